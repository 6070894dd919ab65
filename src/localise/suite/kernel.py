"""Kernel launcher of the runner: an IPython kernel whose own log goes to a file.

The runner's kernel spec starts ``python -m localise.suite.kernel -f CONNECTION_FILE``
instead of ``python -m ipykernel_launcher``. The difference: the kernel process's own
standard output and error (the kernel application's log, not the notebook's output,
which goes to the notebook as usual) are appended to the file named by
``LOCALISE_KERNEL_LOG``. Without it, every kernel of a run writes its log lines (for
instance the ``KeyboardInterrupt caught in kernel`` that jupyter_client's shutdown
provokes by interrupting the kernel) into the terminal of ``localise run``; with it,
:mod:`localise.suite.executor` reads the file after the run and keeps what is not known
noise in the notebook's record.

A *warm* kernel (:mod:`localise.suite.warm`) is started before its notebook is known:
``LOCALISE_KERNEL_PRELOAD`` names modules that the launcher imports once the IPython
shell exists and before the kernel answers (so ``matplotlib.pyplot`` finds the shell and
sets up inline figures exactly as when a notebook cell imports it). When the notebook
is known, :func:`adopt` gives the kernel that notebook's settings.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: Environment variable naming the modules a warm kernel imports before it answers (comma-separated).
PRELOAD_VARIABLE = "LOCALISE_KERNEL_PRELOAD"
#: Environment variable naming the file that receives the kernel process's own output.
LOG_VARIABLE = "LOCALISE_KERNEL_LOG"


def _redirect_process_output(path: str) -> None:
    """Send the process's standard output and error (file descriptors 1 and 2) to ``path``."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(descriptor, 1)
    os.dup2(descriptor, 2)
    os.close(descriptor)


def _log_descriptors() -> list[int]:
    """File descriptors that hold the kernel's own log once ipykernel captures descriptors 1 and 2.

    ipykernel forwards what is written to descriptors 1 and 2 to the notebook and echoes
    it to copies of the original descriptors (``_original_stdstream_copy``), where its
    own log also goes; without that capture, 1 and 2 themselves.
    """
    copies = [getattr(stream, "_original_stdstream_copy", None) for stream in (sys.stdout, sys.stderr)]
    return [fd for fd in copies if isinstance(fd, int)] or [1, 2]


def adopt(environment: dict[str, str]) -> None:
    """Give a warm kernel its notebook's settings; called once, in the kernel, before the first cell.

    ``environment`` holds the notebook's variables (output folder, inputs log, run id and
    kernel log, all read when used, never at import). What the kernel logged while it
    was warm is carried over to the notebook's kernel log, which receives the rest.
    """
    previous = os.environ.get(LOG_VARIABLE)
    log = environment.get(LOG_VARIABLE)
    if log and log != previous:
        earlier = Path(previous).read_bytes() if previous and Path(previous).is_file() else b""
        descriptor = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.write(descriptor, earlier)
        for target in _log_descriptors():
            os.dup2(descriptor, target)
        os.close(descriptor)
        if previous:
            Path(previous).unlink(missing_ok=True)
    os.environ.update(environment)


def _start_with_preload(modules: list[str]) -> None:
    """Initialise the kernel application, import ``modules``, then serve (as ``launch_new_instance``).

    The imports run as a silent cell of the shell, which binds no name, counts no
    execution and stores no history: modules that look at their surroundings when
    imported see a kernel cell, as in a notebook (pandas, for one, sizes its text
    tables for a terminal unless ``get_ipython()`` answers with a kernel).
    """
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize()
    code = f"[__import__('importlib').import_module(name) for name in {modules!r}]"
    app.kernel.shell.run_cell(code, store_history=False, silent=True)
    app.start()


def main() -> None:
    """Start an IPython kernel, as ``python -m ipykernel_launcher`` does."""
    log = os.environ.get(LOG_VARIABLE)
    if log:
        _redirect_process_output(log)
    if sys.path and sys.path[0] == "":  # as ipykernel_launcher: the kernel adds the working folder itself
        del sys.path[0]
    # removed from the environment: a warm kernel's environment must equal a cold one's
    preload = [name for name in os.environ.pop(PRELOAD_VARIABLE, "").split(",") if name]
    if preload:
        _start_with_preload(preload)
        return
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()

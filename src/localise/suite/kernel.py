"""Kernel launcher of the runner: an IPython kernel whose own log goes to a file.

The runner's kernel spec starts ``python -m localise.suite.kernel -f CONNECTION_FILE``
instead of ``python -m ipykernel_launcher``. The only difference: the kernel
process's own standard output and error (the kernel application's log, not the
notebook's output, which goes to the notebook as usual) are appended to the file
named by ``LOCALISE_KERNEL_LOG``. Without it, every kernel of a run writes its log lines
(for instance the ``KeyboardInterrupt caught in kernel`` that jupyter_client's
shutdown provokes by interrupting the kernel) into the terminal of ``localise
run``; with it, :mod:`localise.suite.executor` reads the file after the run and
keeps what is not known noise in the notebook's record.
"""

from __future__ import annotations

import os
import sys


def _redirect_process_output(path: str) -> None:
    """Send the process's standard output and error (file descriptors 1 and 2) to ``path``."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(descriptor, 1)
    os.dup2(descriptor, 2)
    os.close(descriptor)


def main() -> None:
    """Start an IPython kernel, as ``python -m ipykernel_launcher`` does."""
    log = os.environ.get("LOCALISE_KERNEL_LOG")
    if log:
        _redirect_process_output(log)
    if sys.path and sys.path[0] == "":  # as ipykernel_launcher: the kernel adds the working folder itself
        del sys.path[0]
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()

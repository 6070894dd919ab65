"""Execute one notebook: papermill → executed notebook, HTML, recorded inputs.

:func:`execute` is what a process-pool worker or a Dask worker calls. It takes and
returns plain dictionaries so that it pickles cheaply and needs nothing but the
installed package on the worker.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from localise import provenance
from localise.atomic import atomic_path, atomic_write_text

__all__ = ["KERNEL_NAME", "ensure_kernel", "execute"]

#: Name of the kernel spec the runner registers for its own interpreter.
KERNEL_NAME = "localise-python3"

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


_KERNEL_COUNTER = itertools.count()
_KERNEL_LOCK = threading.Lock()


def _kernels_folder() -> Path:
    """This process's private folder of kernel specs, prepended to ``JUPYTER_PATH`` once."""
    with _KERNEL_LOCK:
        folder = os.environ.get("LOCALISE_KERNEL_DIR")
        if folder and Path(folder).is_dir() and folder in os.environ.get("JUPYTER_PATH", ""):
            return Path(folder)
        from localise.suite.safety import remove_kernels_folder

        path = Path(tempfile.mkdtemp(prefix="localise-kernels-"))
        remove_kernels_folder(path)  # removed when this process exits
        os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(path), os.environ.get("JUPYTER_PATH")]))
        os.environ["LOCALISE_KERNEL_DIR"] = str(path)
        return path


def ensure_kernel(env: dict[str, str] | None = None) -> str:
    """Register a kernel spec that runs this very interpreter; return its name.

    The spec lives in a private folder prepended to ``JUPYTER_PATH``, so a
    ``python3`` kernel spec saved by another environment (user or system folders)
    can never be picked instead; ``argv[0]`` is ``sys.executable``, which pins the
    interpreter. Each call makes a new spec carrying ``env`` for the kernel: the
    environment goes to the kernel through its spec, not through ``os.environ``,
    so several executions in threads of one (Dask) worker never see each other's.
    """
    name = f"{KERNEL_NAME}-{os.getpid()}-{next(_KERNEL_COUNTER)}"
    spec_dir = _kernels_folder() / "kernels" / name
    spec_dir.mkdir(parents=True)
    spec = {
        # localise.suite.kernel is ipykernel_launcher with the kernel's own log sent to LOCALISE_KERNEL_LOG
        "argv": [sys.executable, "-m", "localise.suite.kernel", "-f", "{connection_file}"],
        "display_name": "Python 3 (localise)",
        "language": "python",
        "env": dict(env or {}),
        "metadata": {"debugger": False},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return name


def _drop_kernel(name: str) -> None:
    spec_dir = _kernels_folder() / "kernels" / name
    (spec_dir / "kernel.json").unlink(missing_ok=True)
    spec_dir.rmdir()


#: Lines of a kernel's own log that say nothing about the notebook: the transport note
#: of a TCP kernel (IPC is used where available) and the interrupt that jupyter_client
#: sends to every kernel it shuts down.
KERNEL_LOG_NOISE = (
    "Kernel is running over TCP without encryption",
    "KeyboardInterrupt caught in kernel",
)


#: Longest Unix socket path prefix used (sockets add a few characters; macOS allows 104 in all).
_SOCKET_PATH_LIMIT = 96


def _engine_options(kernel: str) -> dict[str, Any]:
    """nbclient options: talk to the kernel over Unix sockets (IPC) where there are any.

    IPC needs no TCP ports, so parallel kernels cannot race for one, and nothing
    travels unencrypted over the network stack. The socket files live beside the
    kernel spec and are removed by jupyter_client when the kernel shuts down.
    """
    prefix = str(_kernels_folder() / kernel.replace(KERNEL_NAME, "ipc"))  # sockets: <prefix>-1 ... <prefix>-5
    if os.name != "posix" or len(prefix) > _SOCKET_PATH_LIMIT:
        return {}  # TCP, as jupyter_client does by default
    from traitlets.config import Config

    return {"config": Config({"KernelManager": {"transport": "ipc", "ip": prefix}})}


def _read_kernel_log(log: Path) -> list[str]:
    """Lines of the kernel's own log, without the known noise; the file is removed."""
    if not log.is_file():
        return []
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    log.unlink()
    kept = [line for line in lines if line.strip() and not any(noise in line for noise in KERNEL_LOG_NOISE)]
    return [_ANSI.sub("", line) for line in kept[-40:]]


def _parameterized_source(notebook: Path, parameters: dict[str, Any], kernel: str, folder: Path) -> Path:
    """Write the notebook with papermill's injected-parameters cell; return the file.

    papermill's own injection first inspects the parameters cell with a line-based
    reader that cannot read comments holding ``=`` and then warns ``Passed unknown
    parameter`` for parameters that exist. The registry has already read the cell
    exactly (:func:`localise.suite.registry.notebook_parameters`), so the cell is
    injected here with papermill's ``parameterize_notebook`` and papermill executes
    the result without inspecting anything.
    """
    import nbformat
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    document = load_notebook_node(str(notebook))
    document = parameterize_notebook(document, parameters, kernel_name=kernel, language="python")
    path = folder / f".{notebook.stem}.{kernel}.parameterized.ipynb"
    nbformat.write(document, str(path))
    return path


def _record_source(executed: Path, source: Path, final: Path) -> None:
    """Name the source and the final notebook, not the temporary files, in papermill's metadata."""
    if not executed.is_file():
        return
    try:
        document = json.loads(executed.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return
    papermill_metadata = document.get("metadata", {}).get("papermill")
    if isinstance(papermill_metadata, dict):
        papermill_metadata["input_path"] = str(source)
        papermill_metadata["output_path"] = str(final)
        executed.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _short_traceback(lines: list[str] | str, limit: int = 20) -> str:
    text = "\n".join(lines) if isinstance(lines, list) else str(lines)
    text = _ANSI.sub("", text)
    kept = text.strip().splitlines()
    return "\n".join(kept[-limit:])


def _error_from_notebook(notebook_path: Path) -> dict[str, Any] | None:
    """Locate the first cell with an error output; its index is the source notebook's (0-based)."""
    try:
        document = json.loads(notebook_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    index = -1
    for cell in document.get("cells", []):
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags or "papermill-error-cell-tag" in tags:
            continue  # cells papermill added: count positions in the source notebook
        index += 1
        for output in cell.get("outputs", []) or []:
            if output.get("output_type") == "error":
                return {
                    "cell_index": index,
                    "execution_count": cell.get("execution_count"),
                    "ename": output.get("ename"),
                    "evalue": _ANSI.sub("", str(output.get("evalue", "")))[:500],
                    "traceback": _short_traceback(output.get("traceback", [])),
                }
    return None


def _to_html(notebook_path: Path, html_path: Path) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    from localise.suite.site import notebook_title

    notebook = nbformat.read(notebook_path, as_version=4)
    title = notebook_title(notebook) or notebook_path.stem  # the page's <title>, not "Notebook"
    body, _ = HTMLExporter().from_notebook_node(notebook, resources={"metadata": {"name": title}})
    atomic_write_text(html_path, body)


def execute(task: dict[str, Any]) -> dict[str, Any]:
    """Execute one notebook described by ``task`` and return its record.

    ``task`` keys: ``notebook`` (path), ``output`` (stem), ``run_dir``, ``parameters``,
    ``timeout`` (seconds per cell or None), ``cwd``, ``html`` (bool), ``env`` (extra
    environment for the kernel).

    The executed notebook is written under a hidden temporary name and renamed to
    ``<output>.ipynb`` only once papermill has finished (also when a cell failed,
    so the error can be read); an interrupted execution leaves no file that looks
    complete. A kernel that fails to start is retried once.
    """
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    run_dir = Path(task["run_dir"]).resolve()  # the kernel runs in the notebook's folder: paths must be absolute
    output = task["output"]
    notebook_out = run_dir / f"{output}.ipynb"
    html_out = run_dir / f"{output}.html"
    artefacts = run_dir / output
    inputs_log = run_dir / ".inputs" / f"{output}.jsonl"
    inputs_log.parent.mkdir(parents=True, exist_ok=True)
    provenance.discard_inputs(inputs_log)
    kernel_log = inputs_log.with_suffix(".kernel.log")
    kernel_log.unlink(missing_ok=True)

    environment = {
        "LOCALISE_RUN_OUTPUT": str(artefacts),
        provenance.INPUTS_LOG_VARIABLE: str(inputs_log),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",  # figures inline, as in Jupyter
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        **task.get("env", {}),
    }
    environment["LOCALISE_KERNEL_LOG"] = str(kernel_log)  # read by localise.suite.kernel
    kernel = ensure_kernel(environment)
    source = Path(task["notebook"])
    parameters = task.get("parameters") or {}
    executed_source = source
    record: dict[str, Any] = {
        "output": output,
        "notebook": Path(task["notebook"]).name,
        "status": "ok",
        "error": None,
        "worker": f"{os.uname().nodename}:{os.getpid()}",
    }
    started = time.perf_counter()
    record["started"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    attempts = 0
    try:
        if parameters:
            executed_source = _parameterized_source(source, parameters, kernel, inputs_log.parent)
        while True:
            attempts += 1
            try:
                with atomic_path(notebook_out, suffix=".partial.ipynb") as partial:
                    try:
                        papermill.execute_notebook(
                            str(executed_source),
                            str(partial),
                            kernel_name=kernel,
                            cwd=task.get("cwd"),
                            progress_bar=False,
                            log_output=False,
                            execution_timeout=task.get("timeout"),
                            start_timeout=120,
                            **_engine_options(kernel),
                        )
                    except PapermillExecutionError as error:
                        # Keep the executed notebook with its error: it is complete as a record.
                        record["status"] = "failed"
                        record["error"] = {
                            "cell_index": None,
                            "execution_count": error.exec_count,
                            "ename": error.ename,
                            "evalue": _ANSI.sub("", str(error.evalue))[:500],
                            "traceback": _short_traceback(error.traceback),
                        }
                        located = _error_from_notebook(partial)
                        if located:
                            record["error"]["cell_index"] = located["cell_index"]
                    except (CellTimeoutError, DeadKernelError) as error:
                        # A cell ran out of time or killed its kernel: keep the notebook as executed
                        # so far; papermill has written the error into the cell concerned.
                        record["status"] = "failed"
                        located = _error_from_notebook(partial) or {}
                        record["error"] = {
                            "cell_index": located.get("cell_index"),
                            "execution_count": located.get("execution_count"),
                            "ename": type(error).__name__,
                            "evalue": _ANSI.sub("", str(error))[:500],
                            "traceback": located.get("traceback", ""),
                        }
                    _record_source(partial, source, notebook_out)
                break
            except (RuntimeError, TimeoutError) as error:
                message = str(error)
                kernel_start = "kernel" in message.lower() and ("start" in message.lower() or "died" in message.lower())
                if attempts == 1 and kernel_start:
                    continue  # parallel kernels can race for ports: retry a kernel start once
                raise
    except Exception as error:  # noqa: BLE001 - every failure is recorded, never hides others
        record["status"] = "failed"
        record["error"] = {
            "cell_index": None,
            "execution_count": None,
            "ename": type(error).__name__,
            "evalue": _ANSI.sub("", str(error))[:500],
            "traceback": _short_traceback(traceback.format_exc()),
        }
    finally:
        _drop_kernel(kernel)
        if executed_source != source:
            executed_source.unlink(missing_ok=True)
    record["attempts"] = attempts
    record["kernel_log"] = _read_kernel_log(kernel_log)
    if notebook_out.is_file() and task.get("html", True):
        try:
            _to_html(notebook_out, html_out)
        except Exception as error:  # noqa: BLE001 - HTML is a convenience, not the result
            record["html_error"] = f"{type(error).__name__}: {error}"
    record["duration_s"] = round(time.perf_counter() - started, 3)
    record["inputs"] = provenance.read_inputs(inputs_log)
    return record


"""Execute one notebook: papermill → executed notebook, HTML, recorded inputs.

:func:`execute` is what a process-pool worker or a Dask worker calls. It takes a
:class:`~localise.suite.records.Task` and returns a :class:`~localise.suite.records.Record`
(typed dictionaries) so that it pickles cheaply and needs nothing but the installed
package on the worker. The kernel is a warm one started ahead of time when the
worker has one that fits (:mod:`localise.suite.warm`), else a cold one that papermill
starts.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from localise import paths, provenance
from localise.atomic import atomic_path, atomic_write_text
from localise.suite.kernel import LOG_VARIABLE
from localise.suite.records import ErrorRecord, Record, Task, execution_error, strip_ansi

if TYPE_CHECKING:
    from localise.suite.warm import WarmKernel

__all__ = ["KERNEL_NAME", "ensure_kernel", "execute", "kernel_environment", "prepare_warm_kernel", "start_worker"]

#: Name of the kernel spec the runner registers for its own interpreter.
KERNEL_NAME = "localise-python3"

#: Seconds a kernel may take to answer after it is started.
START_TIMEOUT = 120


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
KERNEL_LOG_NOISE = ("Kernel is running over TCP without encryption", "KeyboardInterrupt caught in kernel")


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
    return [strip_ansi(line) for line in kept[-40:]]


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
    text = strip_ansi(text)
    kept = text.strip().splitlines()
    return "\n".join(kept[-limit:])


def _error_from_notebook(notebook_path: Path) -> ErrorRecord | None:
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
                return execution_error(
                    output.get("ename"),
                    output.get("evalue", ""),
                    _short_traceback(output.get("traceback", [])),
                    cell_index=index,
                    execution_count=cell.get("execution_count"),
                )
    return None


def _to_html(notebook_path: Path, html_path: Path) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    from localise.suite.site import notebook_title

    notebook = nbformat.read(notebook_path, as_version=4)
    title = notebook_title(notebook) or notebook_path.stem  # the page's <title>, not "Notebook"
    body, _ = HTMLExporter().from_notebook_node(notebook, resources={"metadata": {"name": title}})
    atomic_write_text(html_path, body)


@dataclass(frozen=True)
class _Files:
    """Where one execution writes: the run folder's files of its output stem."""

    run_dir: Path
    output: str

    @property
    def notebook(self) -> Path:
        return self.run_dir / f"{self.output}.ipynb"

    @property
    def html(self) -> Path:
        return self.run_dir / f"{self.output}.html"

    @property
    def artefacts(self) -> Path:
        return self.run_dir / self.output

    @property
    def inputs_log(self) -> Path:
        return self.run_dir / ".inputs" / f"{self.output}.jsonl"

    @property
    def kernel_log(self) -> Path:
        return self.inputs_log.with_suffix(".kernel.log")


def kernel_environment(task: Task, files: _Files | None = None) -> dict[str, str]:
    """Environment variables of the kernel that executes ``task``."""
    files = files or _Files(Path(task["run_dir"]).resolve(), task["output"])
    environment = {
        paths.RUN_OUTPUT_VARIABLE: str(files.artefacts),
        provenance.INPUTS_LOG_VARIABLE: str(files.inputs_log),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",  # figures inline, as in Jupyter
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        **task.get("env", {}),
    }
    environment[LOG_VARIABLE] = str(files.kernel_log)  # read by localise.suite.kernel
    return environment


def prepare_warm_kernel(task: Task) -> None:
    """Start a warm kernel for a notebook like ``task`` (same folder and settings); see :mod:`localise.suite.warm`."""
    from localise.suite import warm

    if task.get("cwd"):
        warm.prepare(str(task["cwd"]), kernel_environment(task))


def start_worker(first: Task | None = None) -> None:
    """Initializer of a pool worker: die with the runner; start a warm kernel for a notebook like ``first``."""
    from localise.suite.safety import die_with_parent

    die_with_parent()
    if first is not None:
        prepare_warm_kernel(first)


def execute(task: Task) -> Record:
    """Execute one notebook described by ``task`` and return its record.

    The executed notebook is written under a hidden temporary name and renamed to
    ``<output>.ipynb`` only once papermill has finished (also when a cell failed,
    so the error can be read); an interrupted execution leaves no file that looks
    complete. A kernel that fails to start is retried once. With ``task["warm_next"]``,
    a warm kernel for this worker's next notebook starts while this one executes.
    """
    files = _Files(Path(task["run_dir"]).resolve(), task["output"])  # the kernel runs elsewhere: absolute paths
    files.inputs_log.parent.mkdir(parents=True, exist_ok=True)
    provenance.discard_inputs(files.inputs_log)
    files.kernel_log.unlink(missing_ok=True)
    environment = kernel_environment(task, files)
    record: Record = {
        "output": task["output"],
        "notebook": Path(task["notebook"]).name,
        "status": "ok",
        "error": None,
        "worker": f"{os.uname().nodename}:{os.getpid()}",
    }
    started = time.perf_counter()
    record["started"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    record["attempts"], exiting = _run_notebook(task, files, environment, record)
    record["kernel_log"] = []  # read below, once the kernel has exited
    try:
        if files.notebook.is_file() and task.get("html", True):
            try:
                _to_html(files.notebook, files.html)
            except Exception as error:  # noqa: BLE001 - HTML is a convenience, not the result
                record["html_error"] = f"{type(error).__name__}: {error}"
    finally:
        if exiting is not None:  # a warm kernel exits while the HTML is rendered
            sys.modules["localise.suite.warm"].release(exiting)
    record["kernel_log"] = _read_kernel_log(files.kernel_log)
    record["duration_s"] = round(time.perf_counter() - started, 3)
    record["inputs"] = provenance.read_inputs(files.inputs_log)
    return record


def _run_notebook(
    task: Task, files: _Files, environment: dict[str, str], record: Record
) -> tuple[int, WarmKernel | None]:
    """Execute the notebook with papermill into ``files.notebook``; fill ``record``.

    Returns the attempts and the warm kernel used, if any, asked to shut down (see
    :func:`localise.suite.warm.release`). Any failure is recorded in ``record``, never raised.
    """
    from localise.suite import warm

    kernel = ensure_kernel(environment)
    source = Path(task["notebook"])
    executed_source = source
    attempts = 0
    warm_kernel = warm.claim(task.get("cwd") or os.getcwd(), environment, source, START_TIMEOUT)
    try:
        if task.get("warm_next"):
            prepare_warm_kernel(task)  # starts while this notebook executes
        if task.get("parameters"):
            executed_source = _parameterized_source(source, task["parameters"], kernel, files.inputs_log.parent)
        while True:
            attempts += 1
            try:
                with atomic_path(files.notebook, suffix=".partial.ipynb") as partial:
                    record.update(_papermill(executed_source, partial, kernel, task, warm_kernel))
                    _record_source(partial, source, files.notebook)
                break
            except (RuntimeError, TimeoutError) as error:
                message = str(error).lower()
                if attempts == 1 and "kernel" in message and ("start" in message or "died" in message):
                    if warm_kernel is not None:  # retried with a cold kernel
                        warm.release(warm_kernel)
                        warm_kernel = None
                    continue  # parallel kernels can race for ports: retry a kernel start once
                raise
    except Exception as error:  # noqa: BLE001 - every failure is recorded, never hides others
        record["status"] = "failed"
        record["error"] = execution_error(type(error).__name__, error, _short_traceback(traceback.format_exc()))
    except BaseException:  # Ctrl-C or a stopped worker: the warm kernel goes at once, with the execution
        if warm_kernel is not None:
            warm.discard(warm_kernel)
            warm_kernel = None
        raise
    finally:
        if warm_kernel is not None:
            warm.begin_release(warm_kernel)
        _drop_kernel(kernel)
        if executed_source != source:
            executed_source.unlink(missing_ok=True)
    return attempts, warm_kernel


def _papermill(source: Path, partial: Path, kernel: str, task: Task, warm_kernel: WarmKernel | None) -> Record:
    """Run papermill on ``source`` into ``partial``; return the status and error to record.

    A failing cell, a cell out of time or a dead kernel is a failed execution whose
    notebook is kept (papermill has written the error into the cell concerned); other
    errors are raised.
    """
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    try:
        papermill.execute_notebook(
            str(source),
            str(partial),
            kernel_name=kernel,
            cwd=task.get("cwd"),
            progress_bar=False,
            log_output=False,
            execution_timeout=task.get("timeout"),
            start_timeout=START_TIMEOUT,
            **({"km": warm_kernel.manager} if warm_kernel else _engine_options(kernel)),
        )
    except PapermillExecutionError as error:
        located = _error_from_notebook(partial) or {}
        return {
            "status": "failed",
            "error": execution_error(
                error.ename,
                error.evalue,
                _short_traceback(error.traceback),
                cell_index=located.get("cell_index"),
                execution_count=error.exec_count,
            ),
        }
    except (CellTimeoutError, DeadKernelError) as error:
        located = _error_from_notebook(partial) or {}
        return {
            "status": "failed",
            "error": execution_error(
                type(error).__name__,
                error,
                located.get("traceback", ""),
                cell_index=located.get("cell_index"),
                execution_count=located.get("execution_count"),
            ),
        }
    return {}

"""Warm kernels: the next notebook's kernel started, and its common imports done, ahead of time.

Starting an IPython kernel and importing matplotlib, pandas and the package take about
as long as a small notebook's cells. A worker therefore starts the kernel of its *next*
notebook while the current one executes (or as soon as the worker starts), with
:data:`PRELOAD_MODULES` imported by the kernel launcher (:mod:`localise.suite.kernel`)
before the kernel answers. The executor then hands that kernel to papermill instead of
letting it start one.

What keeps a warm kernel equivalent to a cold one:

* it serves one notebook only, and is shut down afterwards like a cold kernel;
* it is started with the environment a cold kernel would get, minus the notebook's own
  variables (:data:`ADOPTED_VARIABLES`: output folder, inputs log, run id, kernel log),
  which are read when used, never at import, and are set by
  :func:`localise.suite.kernel.adopt` in a silent execution that adds no execution count
  and no name to the notebook's namespace;
* it is used only by the thread that started it, for a notebook with the same working
  folder and the same other environment, whose code cells mention matplotlib (every
  suite notebook imports it; the preload sets up inline figures as that import would);
  otherwise it is shut down and the notebook gets a cold kernel;
* a warm kernel that fails to answer or to adopt is shut down and a cold kernel is
  started instead, with the usual retry; one never used is shut down when its process
  exits (:mod:`multiprocessing` finalizer, which also runs in pool workers) or when the
  runner closes its engine. Kernels watch their parent process and exit with it.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from multiprocessing import util as multiprocessing_util
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

from localise import paths, provenance
from localise.suite.executor import _drop_kernel, _engine_options, _kernels_folder, ensure_kernel
from localise.suite.kernel import LOG_VARIABLE, PRELOAD_VARIABLE

__all__ = [
    "PRELOAD_MODULES",
    "ADOPTED_VARIABLES",
    "WarmKernel",
    "prepare",
    "claim",
    "begin_release",
    "release",
    "discard",
    "discard_spare",
]

#: Modules a warm kernel imports before it answers, in the order the notebooks import them.
PRELOAD_MODULES = ("matplotlib.pyplot", "localise.report", "localise.data")

#: The notebook's own environment variables, given to a warm kernel when its notebook is known.
ADOPTED_VARIABLES = frozenset(
    {paths.RUN_OUTPUT_VARIABLE, provenance.INPUTS_LOG_VARIABLE, "LOCALISE_RUN_ID", LOG_VARIABLE}
)


class _TrackedKernelManager(AsyncKernelManager):
    """A kernel manager that remembers its clients, so that their channels are closed with the kernel.

    nbclient closes its client only for a kernel manager it created itself.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tracked_clients: list[Any] = []

    def client(self, **kwargs: Any) -> Any:
        """A new client of this kernel (see :meth:`jupyter_client.manager.KernelManager.client`)."""
        client = super().client(**kwargs)
        self.tracked_clients.append(client)
        return client


@dataclass
class WarmKernel:
    """A kernel started ahead of its notebook."""

    manager: _TrackedKernelManager
    spec: str
    """Name of its kernel spec (removed with the kernel)."""
    cwd: str
    environment: dict[str, str]
    """Its environment from the spec: a cold kernel's, without :data:`ADOPTED_VARIABLES`."""
    log: Path
    """The kernel's own log until :func:`claim` moves it to the notebook's."""
    thread: int = field(default_factory=threading.get_ident)
    started: float = field(default_factory=time.perf_counter)
    shutdown_requested: bool = False


_spare: WarmKernel | None = None
_finalizer: Any = None


def _split(environment: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """``environment`` as (set when the kernel starts, adopted when the notebook is known)."""
    fixed = {key: value for key, value in environment.items() if key not in ADOPTED_VARIABLES}
    adopted = {key: value for key, value in environment.items() if key in ADOPTED_VARIABLES}
    return fixed, adopted


def prepare(cwd: str | os.PathLike[str], environment: dict[str, str]) -> None:
    """Start a warm kernel in ``cwd`` for this thread's next notebook, unless a matching one waits.

    ``environment`` is what a cold kernel of the notebook would get; its
    :data:`ADOPTED_VARIABLES` are ignored here. Never raises: without a warm kernel the
    next notebook starts a cold one.
    """
    global _spare, _finalizer
    fixed, _ = _split(environment)
    current = _spare
    if current is not None:
        if current.thread == threading.get_ident() and current.cwd == str(cwd) and current.environment == fixed:
            return
        discard_spare()
    log = _kernels_folder() / f"warm-{os.getpid()}-{time.time_ns()}.kernel.log"
    spec = ensure_kernel({**fixed, PRELOAD_VARIABLE: ",".join(PRELOAD_MODULES), LOG_VARIABLE: str(log)})
    manager = _TrackedKernelManager(kernel_name=spec, **_engine_options(spec))
    try:
        run_sync(manager.start_kernel)(cwd=str(cwd))
    except Exception:  # noqa: BLE001 - a warm kernel is an optimisation: the notebook starts a cold one
        _stop(WarmKernel(manager, spec, str(cwd), fixed, log), now=True)
        return
    if _finalizer is None:  # runs at the exit of this process, pool workers included
        _finalizer = multiprocessing_util.Finalize(None, discard_spare, exitpriority=100)
    _spare = WarmKernel(manager, spec, str(cwd), fixed, log)


def claim(
    cwd: str | os.PathLike[str], environment: dict[str, str], notebook: Path, timeout: float
) -> WarmKernel | None:
    """The waiting warm kernel, given the notebook's environment; None when there is none that fits.

    Waits up to ``timeout`` seconds for the kernel to answer. A kernel that does not fit
    (other thread, folder or environment, a notebook that does not import matplotlib) or
    that fails to answer or adopt is shut down.
    """
    global _spare
    warm, _spare = _spare, None
    if warm is None:
        return None
    fixed, adopted = _split(environment)
    fits = warm.thread == threading.get_ident() and warm.cwd == str(cwd) and warm.environment == fixed
    if not fits or not _imports_matplotlib(notebook):
        _stop(warm, now=True)
        return None
    try:
        run_sync(_adopt)(warm, adopted, timeout)
    except Exception:  # noqa: BLE001 - dead or slow warm kernel: the notebook starts a cold one
        _stop(warm, now=True)
        return None
    return warm


def begin_release(warm: WarmKernel) -> None:
    """Ask a kernel that has executed its notebook to shut down, without waiting for it to exit.

    It exits while the executor renders the HTML; :func:`release` then waits for it.
    """
    try:
        warm.manager.stop_restarter()
        run_sync(warm.manager.request_shutdown)()
        warm.shutdown_requested = True
    except Exception:  # noqa: BLE001 - release() shuts it down the usual way
        pass


def release(warm: WarmKernel) -> None:
    """Shut down a kernel that has executed its notebook, gracefully as nbclient does its own; wait until it exits."""
    if warm.shutdown_requested:
        try:  # as jupyter_client after a shutdown request: wait, then terminate, then kill
            run_sync(warm.manager.finish_shutdown)()
            run_sync(warm.manager.cleanup_resources)()
        except Exception:  # noqa: BLE001 - _stop below kills what is left
            pass
    _stop(warm, now=False)


def discard(warm: WarmKernel) -> None:
    """Shut a warm kernel down at once (interrupted execution); remove what it leaves."""
    _stop(warm, now=True)


def discard_spare() -> None:
    """Shut down the waiting warm kernel, if any (end of a run, exit of a worker)."""
    global _spare
    warm, _spare = _spare, None
    if warm is not None:
        _stop(warm, now=True)


def _imports_matplotlib(notebook: Path) -> bool:
    """True when the notebook's code mentions matplotlib, whose import the preload has done."""
    try:
        document = json.loads(Path(notebook).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    for cell in document.get("cells", []):
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else source
        if cell.get("cell_type") == "code" and "matplotlib" in text:
            return True
    return False


async def _adopt(warm: WarmKernel, adopted: dict[str, str], timeout: float) -> None:
    """Wait until the kernel answers, then give it the notebook's variables (silently)."""
    client = warm.manager.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=timeout)
        code = f"__import__('localise.suite.kernel', fromlist=['adopt']).adopt({adopted!r})"
        request = client.execute(code, silent=True, store_history=False, allow_stdin=False)
        deadline = time.monotonic() + timeout
        while True:
            reply = await client.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            if reply.get("parent_header", {}).get("msg_id") == request:
                break
        if reply["content"].get("status") != "ok":
            raise RuntimeError(f"warm kernel did not adopt its notebook: {reply['content'].get('evalue')}")
    finally:
        client.stop_channels()
        warm.manager.tracked_clients.clear()


def _stop(warm: WarmKernel, *, now: bool) -> None:
    """Shut the kernel down, close its clients, remove its spec and log; never raises."""
    try:
        if run_sync(warm.manager.is_alive)():
            run_sync(warm.manager.shutdown_kernel)(now=now)  # also removes the connection file and sockets
    except Exception:  # noqa: BLE001 - last resort: kill the process, remove what it left
        process = getattr(warm.manager.provisioner, "process", None)
        if process is not None and process.poll() is None:
            process.kill()
        try:
            run_sync(warm.manager.cleanup_resources)()
        except Exception:  # noqa: BLE001 - nothing left to remove
            pass
    finally:
        for client in warm.manager.tracked_clients:
            try:
                client.stop_channels()
            except Exception:  # noqa: BLE001 - closing a closed channel
                pass
        warm.manager.tracked_clients.clear()
        try:
            _drop_kernel(warm.spec)
        except OSError:
            pass
        warm.log.unlink(missing_ok=True)

"""Checks made by ``localise list`` and ``localise run`` before anything is created.

Each function raises :class:`~localise.errors.InputError` naming the option, file,
key or address and what was expected, so that a wrong registry path, a registry entry
named like the run's own files, an unwritable reports folder or a scheduler that does
not answer gives exit code 2 and no run folder, instead of a traceback later.
:func:`remove_kernels_folder` removes the private kernel-spec folder of this process
when it exits.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from localise.errors import InputError

__all__ = [
    "RESERVED_STEMS",
    "check_registry_file",
    "check_entries",
    "check_output_names",
    "check_reports_writable",
    "check_scheduler",
    "remove_kernels_folder",
    "check_run",
    "die_with_parent",
    "terminate_as_interrupt",
    "remove_partials",
    "is_latest_run",
]

#: Output stems that would collide with the run folder's own files (index.html, manifest.json, latest).
RESERVED_STEMS = frozenset({"index", "manifest", "latest"})


def check_registry_file(registry: str | os.PathLike[str] | None) -> None:
    """A ``--registry`` value must be a readable UTF-8 YAML file (not a folder, not empty)."""
    if registry is None:
        return
    from localise.tables import read_text_file

    read_text_file(registry, what="suite registry (YAML)")


def check_entries(entries: Mapping[str, Any], where: str) -> None:
    """Every registry entry must be a mapping with a ``notebook`` file name (checked before listing)."""
    for name, entry in entries.items():
        if not isinstance(entry, Mapping):
            raise InputError(f"{where}: notebooks.{name}: expected a mapping with 'notebook', got {entry!r}")
        notebook = entry.get("notebook")
        if not isinstance(notebook, str) or not notebook.endswith(".ipynb"):
            raise InputError(
                f"{where}: notebooks.{name}.notebook: expected a file name ending in .ipynb, got {notebook!r}"
            )
        for key in ("runs", "after"):
            if entry.get(key) is not None and not isinstance(entry[key], list):
                raise InputError(f"{where}: notebooks.{name}.{key}: expected a list, got {entry[key]!r}")
        if entry.get("parameters") is not None and not isinstance(entry["parameters"], Mapping):
            raise InputError(f"{where}: notebooks.{name}.parameters: expected a mapping, got {entry['parameters']!r}")


def check_output_names(outputs: Iterable[str], where: str = "suite registry") -> None:
    """Output stems must be plain names that do not collide with the run's own files or with each other."""
    seen: dict[str, str] = {}
    for stem in outputs:
        lowered = stem.lower()
        base = lowered.split(".", 1)[0]
        if base in RESERVED_STEMS or lowered.startswith(".") or "/" in stem or "\\" in stem or not stem.strip():
            raise InputError(
                f"{where}: output name {stem!r} is reserved or not a plain name (the run folder has index.html, "
                f"manifest.json and latest); expected a name other than {sorted(RESERVED_STEMS)}, "
                f"without '/' or a leading '.'"
            )
        if lowered in seen:
            raise InputError(
                f"{where}: output names {seen[lowered]!r} and {stem!r} differ only in case; expected distinct names"
            )
        seen[lowered] = stem


def check_reports_writable(reports: Path) -> None:
    """The reports folder must be (or be creatable as) a writable folder."""
    if reports.exists() and not reports.is_dir():
        raise InputError(f"--reports {reports}: is a file; expected a folder for the run folders")
    probe_dir = reports
    while not probe_dir.exists():
        probe_dir = probe_dir.parent
    try:
        fd, name = tempfile.mkstemp(prefix=".write-test.", dir=probe_dir)
        os.close(fd)
        os.unlink(name)
    except OSError as error:
        raise InputError(
            f"--reports {reports}: cannot write in {probe_dir} ({error.strerror}); expected a writable folder"
        ) from None


def check_scheduler(address: str | None, timeout: float = 3.0) -> None:
    """A ``--scheduler`` address must be ``tcp://host:port`` where something answers."""
    if address is None:
        return
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme not in ("tcp", "tls") or not parts.hostname or port is None:
        raise InputError(f"--scheduler {address!r}: expected an address like tcp://127.0.0.1:8786")
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise InputError(
            f"--scheduler {address}: nothing answers at {parts.hostname}:{port} ({reason}); "
            "expected the address of a running Dask scheduler"
        ) from None


def remove_kernels_folder(folder: Path) -> None:
    """Remove ``folder`` (this process's kernel specs) when the process exits."""
    atexit.register(shutil.rmtree, folder, ignore_errors=True)


def check_run(plan: Any, args: Any) -> None:
    """All checks of ``localise run`` once the plan is validated (before any run folder exists)."""
    check_output_names([execution.output for execution in plan.executions], where=str(plan.registry.name))
    if getattr(args, "dry_run", False):
        return
    from localise import paths

    check_reports_writable(Path(args.reports) if args.reports else paths.reports_dir())
    check_scheduler(args.scheduler)


def die_with_parent() -> None:
    """Ask Linux to kill this (worker) process when its parent dies, even by ``kill -9``.

    Used as the initializer of the runner's process pool, so that workers never outlive
    the run. Does nothing on systems without ``prctl``.
    """
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the request took effect
        os._exit(1)


def terminate_as_interrupt() -> None:
    """On ``SIGTERM``, stop the pool's workers and interrupt like Ctrl-C.

    The runner then records the run as interrupted (manifest and index written, the
    unfinished notebooks marked ``interrupted``) instead of dying without a manifest.
    """
    import multiprocessing
    import signal

    def handler(signum: int, frame: Any) -> None:
        for child in multiprocessing.active_children():
            child.terminate()
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave the default
        pass


def remove_partials(run_dir: Path) -> list[str]:
    """Delete the temporary ``.*.partial*`` files that killed workers left in ``run_dir``; return their names."""
    removed = []
    for leftover in run_dir.rglob(".*.partial*"):
        if leftover.is_file():
            leftover.unlink(missing_ok=True)
            removed.append(leftover.name)
    return removed


def _run_key(name: str) -> tuple[str, int]:
    stamp, _, suffix = name.partition("-")
    return stamp, int(suffix) if suffix.isdigit() else 0


def is_latest_run(reports: Path, run_dir: Path) -> bool:
    """True unless ``reports/latest`` already points at a run that started later than ``run_dir``.

    Run ids are UTC start times (``20261202T070000Z``, then ``-1``, ``-2`` ... in the same
    second), so a run that started earlier but finished later never takes ``latest`` back.
    """
    link = reports / "latest"
    current = os.readlink(link) if link.is_symlink() else None
    if current is None and (reports / "LATEST").is_file():
        current = (reports / "LATEST").read_text(encoding="utf-8").strip()
    if not current or not (reports / current).is_dir():
        return True
    return _run_key(run_dir.name) >= _run_key(Path(current).name)

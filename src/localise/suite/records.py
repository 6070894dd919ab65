"""The shapes passed between the runner and the executor, and written to the manifest.

They are :class:`typing.TypedDict`: plain dictionaries at run time, so that a task pickles
cheaply to a pool or Dask worker and a record is written to ``manifest.json`` as it is,
while the keys and their types are stated once, here, for readers and for mypy.
"""

from __future__ import annotations

import re
from typing import Any, NotRequired, TypedDict

__all__ = ["Task", "ErrorRecord", "Record", "execution_error", "strip_ansi"]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    """``text`` without terminal colour codes (tracebacks of IPython carry them)."""
    return _ANSI.sub("", text)


class Task(TypedDict):
    """One notebook execution, as the runner submits it to :func:`localise.suite.executor.execute`."""

    notebook: str
    """Path of the source notebook."""
    output: str
    """Output stem: ``<output>.ipynb``, ``<output>.html`` and the folder ``<output>/``."""
    run_dir: str
    parameters: dict[str, Any]
    timeout: float | None
    """Seconds allowed per cell, or None."""
    cwd: str | None
    """Working folder of the kernel (the notebook's folder)."""
    html: NotRequired[bool]
    """Also write the HTML rendering (default True)."""
    env: NotRequired[dict[str, str]]
    """Extra environment variables of the kernel."""
    warm_next: NotRequired[bool]
    """Start a warm kernel for this worker's next notebook (:mod:`localise.suite.warm`)."""


class ErrorRecord(TypedDict, total=False):
    """Why an execution failed: the first failing cell (0-based index in the source notebook) and its error."""

    cell_index: int | None
    execution_count: int | None
    ename: str | None
    evalue: str
    traceback: str


class Record(TypedDict, total=False):
    """One notebook run in the manifest (``notebooks`` list); keys present depend on the status."""

    output: str
    notebook: str
    """File name of the source notebook."""
    status: str
    """``ok``, ``failed``, ``skipped`` or ``interrupted``."""
    error: ErrorRecord | None
    reason: str
    """Why a notebook was skipped."""
    worker: str
    """``host:pid`` of the process that executed it."""
    started: str
    attempts: int
    """Kernel starts tried (a failed start is retried once)."""
    kernel_log: list[str]
    html_error: str
    duration_s: float
    inputs: list[dict[str, Any]]
    """Data files read, each with its path and SHA-256."""
    cache_key: str
    cached: bool
    cached_from: str
    executed_duration_s: float
    parameters: dict[str, Any]
    after: list[str]
    description: str
    section: str | None
    outputs: list[dict[str, Any]]
    """Files written: path relative to the run folder, SHA-256 and size."""


def execution_error(
    ename: str | None,
    evalue: Any,
    traceback: str = "",
    *,
    cell_index: int | None = None,
    execution_count: int | None = None,
) -> ErrorRecord:
    """The error of a failed execution, its message without colour codes and cut to 500 characters."""
    return {
        "cell_index": cell_index,
        "execution_count": execution_count,
        "ename": ename,
        "evalue": strip_ansi(str(evalue))[:500],
        "traceback": traceback,
    }

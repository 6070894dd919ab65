"""Run a validated plan: process pool or Dask cluster → manifest, index page.

The runner drives papermill from one Python process. Executions whose
dependencies succeeded are submitted as soon as a worker is free; a failed
execution is recorded and its dependents are marked skipped, while every other
execution still runs. An execution whose cache key and inputs are unchanged since
an earlier complete run is reused from it instead (:mod:`localise.suite.cache`).
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import json
import multiprocessing
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from localise import paths
from localise.atomic import atomic_write_text, sha256_file
from localise.suite import cache
from localise.suite.executor import execute, start_worker
from localise.suite.records import Record, Task
from localise.suite.registry import Execution, SuitePlan
from localise.suite.safety import is_latest_run, remove_partials

__all__ = ["RunResult", "run_suite", "default_workers", "PACKAGES_IN_MANIFEST"]

#: Packages whose versions every manifest records.
PACKAGES_IN_MANIFEST = (
    "localise",
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "linearmodels",
    "scikit-learn",
    "matplotlib",
    "seaborn",
    "pyarrow",
    "pandera",
    "krippendorff",
    "geopandas",
    "SALib",
    "papermill",
    "nbclient",
    "nbconvert",
    "ipykernel",
    "dask",
    "distributed",
)


@dataclass
class RunResult:
    """What a suite run produced."""

    run_id: str
    run_dir: Path
    records: list[Record] = field(default_factory=list)
    manifest_path: Path | None = None
    site: Any = None
    """:class:`localise.suite.site.SiteResult` of the report site, when one was built."""

    @property
    def ok(self) -> bool:
        """True when every execution succeeded."""
        return all(record["status"] == "ok" for record in self.records)

    def summary_table(self) -> str:
        """Plain-text table: output, status, seconds, error."""
        rows = [("notebook run", "status", "seconds", "error")]
        for record in self.records:
            error = record.get("error") or {}
            message = f"{error.get('ename')}: {error.get('evalue')}" if error.get("ename") else record.get("reason", "")
            if record.get("cached"):
                message = f"cached from {record.get('cached_from')}"
            rows.append((record["output"], record["status"], f"{record.get('duration_s', 0):.1f}", message[:80]))
        widths = [max(len(str(row[i])) for row in rows) for i in range(4)]
        return "\n".join("  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows)


def default_workers() -> int:
    """One worker per core."""
    return max(1, os.cpu_count() or 1)


def _git_state() -> dict[str, Any]:
    def git(*args: str) -> str | None:
        try:
            completed = subprocess.run(
                ["git", *args], cwd=paths.PROJECT_ROOT, capture_output=True, text=True, timeout=10, check=True
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return completed.stdout.strip()

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def _versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for package in PACKAGES_IN_MANIFEST:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def _new_run_dir(reports: Path) -> tuple[str, Path]:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    for suffix in [""] + [f"-{i}" for i in range(1, 100)]:
        run_id = f"{stamp}{suffix}"
        run_dir = reports / run_id
        try:
            run_dir.mkdir(parents=True)
        except FileExistsError:
            continue
        return run_id, run_dir
    raise RuntimeError(f"cannot create a new run folder in {reports}")


def _task(execution: Execution, run_dir: Path, timeout: float | None, html_output: bool, warm_next: bool) -> Task:
    return {
        "notebook": str(execution.notebook),
        "output": execution.output,
        "run_dir": str(run_dir),
        "parameters": execution.parameters,
        "timeout": execution.timeout or timeout,
        "cwd": str(execution.notebook.parent),
        "html": html_output,
        "env": {"LOCALISE_RUN_ID": run_dir.name},
        "warm_next": warm_next,
    }


class _SerialEngine:
    """Executes in this process, one notebook at a time (``--workers 1``)."""

    warm_kernels = True
    """Each execution starts a warm kernel for the next one (:mod:`localise.suite.warm`)."""

    def submit(self, task: Task) -> cf.Future:
        future: cf.Future = cf.Future()
        try:
            future.set_result(execute(task))
        except BaseException as error:  # noqa: BLE001 - pragma: no cover - execute records its own errors
            future.set_exception(error)
        return future

    @staticmethod
    def wait(pending: set) -> set:
        return {future for future in pending if future.done()}

    def close(self) -> None:
        warm = sys.modules.get("localise.suite.warm")  # imported by the first execution, if any
        if warm is not None:
            warm.discard_spare()


class _PoolEngine:
    warm_kernels = True

    def __init__(self, workers: int, first: Task):
        # spawn: a clean interpreter per worker, safe with threads in the parent. Each worker starts a
        # warm kernel for a notebook like ``first`` as soon as it starts, and never outlives the run.
        self.pool = cf.ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=start_worker,
            initargs=(first,),
        )

    def submit(self, task: Task) -> cf.Future:
        return self.pool.submit(execute, task)

    @staticmethod
    def wait(pending: set) -> set:
        done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
        return done

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)  # workers shut their warm kernels down as they exit


class _DaskEngine:
    warm_kernels = False
    """Tasks run in threads of long-lived workers: no kernel is started ahead of its notebook."""

    def __init__(self, address: str):
        from distributed import Client

        self.client = Client(address, timeout="30s")

    def submit(self, task: Task) -> Any:
        return self.client.submit(execute, task, pure=False, key=f"localise-{task['output']}-{time.time_ns()}")

    @staticmethod
    def wait(pending: set) -> set:
        from distributed import wait

        return set(wait(list(pending), return_when="FIRST_COMPLETED").done)

    def close(self) -> None:
        self.client.close()


def _engine(workers: int, scheduler: str | None, jobs: int, first: Task) -> Any:
    if scheduler:
        return _DaskEngine(scheduler)
    if workers <= 1 or jobs <= 1:
        return _SerialEngine()
    return _PoolEngine(min(workers, jobs), first)


@dataclass
class _Schedule:
    """The executions of one run: which wait, which run, their records; submits and collects them."""

    plan: SuitePlan
    run_dir: Path
    options: dict[str, Any]
    """``workers``, ``scheduler``, ``timeout`` and ``html_output`` of :func:`run_suite`."""
    progress: _Progress
    history: cache.RunHistory | None
    forced: set[str]
    environment: dict[str, Any]
    """What every cache key covers besides the notebook, its parameters and upstream results."""
    records: dict[str, Record] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    running: dict[Any, Execution] = field(default_factory=dict)
    engine: Any = None
    waiting: list[Execution] = field(init=False)
    """Executions neither finished nor running, in plan order."""

    def __post_init__(self) -> None:
        self.waiting = list(self.plan.executions)

    def run(self) -> None:
        """Execute (or reuse) every execution whose dependencies succeeded, skip the others."""
        while self.waiting or self.running:
            for execution in list(self.waiting):
                self._schedule(execution)
            if self.running and self.engine is not None:
                self._collect()

    def close(self) -> None:
        """Stop the engine (its workers and their warm kernels)."""
        if self.engine is not None:
            self.engine.close()

    def _finished(self, record: Record) -> None:
        self.records[record["output"]] = record
        self.progress.finished(record)

    def _schedule(self, execution: Execution) -> None:
        statuses = [self.records.get(dependency, {}).get("status") for dependency in execution.after]
        if any(status in {"failed", "skipped"} for status in statuses):
            failed = [d for d, status in zip(execution.after, statuses) if status in {"failed", "skipped"}]
            self.waiting.remove(execution)
            self._finished(
                {
                    "output": execution.output,
                    "notebook": execution.notebook.name,
                    "status": "skipped",
                    "reason": f"dependency did not succeed: {', '.join(failed)}",
                    "duration_s": 0.0,
                    "inputs": [],
                }
            )
        elif all(status == "ok" for status in statuses):
            upstream = {d: cache.result_key(self.records[d]) for d in execution.after}
            key = cache.execution_key(
                cache.notebook_fingerprint(execution.notebook), execution.parameters, self.environment, upstream
            )
            self.keys[execution.output] = key
            self.waiting.remove(execution)
            reusable = None
            if self.history is not None and not self.forced & {execution.name, execution.output}:
                reusable = cache.find_reusable(
                    self.history, execution.output, key, need_html=self.options["html_output"]
                )
            if reusable is not None:
                self._finished(cache.materialise(reusable, self.run_dir))
            else:
                self._submit(execution)

    def _submit(self, execution: Execution) -> None:
        task = _task(execution, self.run_dir, self.options["timeout"], self.options["html_output"], False)
        if self.engine is None:
            self.engine = _engine(self.options["workers"], self.options["scheduler"], len(self.plan.executions), task)
        task["warm_next"] = bool(self.waiting) and self.engine.warm_kernels  # a notebook is still to come
        self.running[self.engine.submit(task)] = execution

    def _collect(self) -> None:
        for future in self.engine.wait(set(self.running)):
            execution = self.running.pop(future)
            try:
                record = future.result()
            except Exception as error:  # noqa: BLE001 - a lost worker fails one notebook only
                record = {
                    "output": execution.output,
                    "notebook": execution.notebook.name,
                    "status": "failed",
                    "error": {"ename": type(error).__name__, "evalue": str(error)[:500], "traceback": ""},
                    "duration_s": 0.0,
                    "inputs": [],
                }
            record["cache_key"] = self.keys[execution.output]
            self._finished(record)


def run_suite(
    plan: SuitePlan,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    timeout: float | None = None,
    html_output: bool = True,
    progress: bool | str | None = None,
    reports: Path | None = None,
    reuse: bool = True,
    force: bool | list[str] | None = None,
) -> RunResult:
    """Execute every notebook of ``plan``; write ``reports/<run-id>/`` and its manifest.

    Parameters
    ----------
    plan
        Validated plan from :func:`localise.suite.registry.build_plan`.
    workers
        Process-pool size; default one per core. ``1`` executes in this process.
    scheduler
        Address of a Dask distributed scheduler (``tcp://host:port``); when given,
        every execution is submitted to that cluster instead of the local pool.
    timeout
        Seconds allowed per cell (a registry entry's ``timeout`` takes precedence).
    html_output
        Also write an HTML rendering of each executed notebook.
    progress
        How progress is shown: ``"bar"`` (a tqdm bar on standard error; failed and
        skipped notebooks are also named above it), ``"lines"`` (one line per finished
        notebook on standard output, for logs) or ``"none"``. ``True`` means
        ``"bar"``, ``False`` ``"none"``; default: the bar on a terminal, lines when
        standard output is not a terminal or ``CI`` is set.
    reports
        Folder that receives the run folder; default :func:`localise.paths.reports_dir`.
    reuse
        Reuse executions of earlier complete runs in ``reports`` whose cache key and
        input checksums are unchanged (see :mod:`localise.suite.cache`).
    force
        ``True``: execute everything; a list of entry names or output stems: execute
        those even when they could be reused (their dependents are reused when the
        re-execution reads the same inputs).
    """
    reports = Path(reports) if reports else paths.reports_dir()
    run_id, run_dir = _new_run_dir(reports)
    result = RunResult(run_id, run_dir)
    started = dt.datetime.now(dt.UTC)
    workers = workers or default_workers()
    bar = _Progress(_progress_mode(progress), plan, run_dir, workers if not scheduler else None)
    manifest_base = _manifest_base(plan, run_id, started, workers, scheduler, timeout)
    schedule = _Schedule(
        plan,
        run_dir,
        {"workers": workers, "scheduler": scheduler, "timeout": timeout, "html_output": html_output},
        bar,
        history=cache.RunHistory(reports, exclude={run_id}) if reuse and force is not True else None,
        forced=set(force) if isinstance(force, (list, tuple, set)) else set(),
        environment={
            "packages": manifest_base["packages"],
            "python": platform.python_version(),
            "code": cache.code_fingerprint(),
            "data": cache.data_state(),
        },
    )
    interrupted = False
    try:
        schedule.run()
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        schedule.close()
        bar.close()
        result.records = _final_records(plan, schedule.records, run_dir)
        _write_run(result, manifest_base, started, interrupted=interrupted, html_output=html_output)
        _point_latest(reports, run_dir)
    return result


def _manifest_base(
    plan: SuitePlan, run_id: str, started: dt.datetime, workers: int, scheduler: str | None, timeout: float | None
) -> dict[str, Any]:
    """What the manifest says of the run before anything executes."""
    return {
        "run_id": run_id,
        "registry": paths.project_relative(plan.registry),
        "started": started.isoformat(timespec="seconds"),
        "engine": {"scheduler": scheduler} if scheduler else {"workers": workers},
        "timeout_per_cell_s": timeout,
        "git": _git_state(),
        "python": {"version": platform.python_version(), "executable": sys.executable},
        "platform": platform.platform(),
        "packages": _versions(),
    }


def _final_records(plan: SuitePlan, records: dict[str, Record], run_dir: Path) -> list[Record]:
    """One record per execution, in plan order, with what the plan says of it and the files it wrote.

    Executions that never finished (Ctrl-C) are marked ``interrupted``.
    """
    for execution in plan.executions:
        records.setdefault(
            execution.output,
            {
                "output": execution.output,
                "notebook": execution.notebook.name,
                "status": "interrupted",
                "duration_s": 0.0,
                "inputs": [],
            },
        )
    ordered = [records[execution.output] for execution in plan.executions]
    for execution, record in zip(plan.executions, ordered):
        record["parameters"] = execution.parameters
        record["after"] = execution.after
        record["description"], record["section"] = execution.description, execution.section
        if not record.get("cached"):
            record["outputs"] = _outputs(run_dir, execution.output)
    return ordered


def _write_run(
    result: RunResult, manifest_base: dict[str, Any], started: dt.datetime, *, interrupted: bool, html_output: bool
) -> None:
    """Write the manifest and the index page, remove leftovers, build the report site."""
    finished = dt.datetime.now(dt.UTC)
    manifest = {
        **manifest_base,
        "finished": finished.isoformat(timespec="seconds"),
        "wall_time_s": round((finished - started).total_seconds(), 3),
        "status": "interrupted" if interrupted else ("ok" if result.ok else "failed"),
        "synthetic_data_used": any(i.get("synthetic") for r in result.records for i in r.get("inputs", [])),
        "inputs": _all_inputs(result.records),
        "notebooks": result.records,
    }
    result.manifest_path = atomic_write_text(
        result.run_dir / "manifest.json", json.dumps(manifest, indent=2, sort_keys=False, default=str) + "\n"
    )
    from localise.suite.site import index_html, publish_site

    atomic_write_text(result.run_dir / "index.html", index_html(manifest))
    _cleanup(result.run_dir)
    if html_output and not interrupted:
        result.site = publish_site(result.run_dir)  # never raises; index.html then redirects to site/
        if not result.site.ok:
            print(f"report site not built: {result.site.error}", file=sys.stderr)


def _progress_mode(progress: bool | str | None) -> str:
    if progress is None:
        in_ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
        return "bar" if sys.stdout.isatty() and sys.stderr.isatty() and not in_ci else "lines"
    if isinstance(progress, bool):
        return "bar" if progress else "none"
    if progress not in {"bar", "lines", "none"}:
        raise ValueError(f"progress={progress!r}; expected 'bar', 'lines', 'none', True, False or None")
    return progress


class _Progress:
    """What the terminal (or a log) shows while a run goes on."""

    def __init__(self, mode: str, plan: SuitePlan, run_dir: Path, workers: int | None):
        self.mode = mode
        self.total = len(plan.executions)
        self.done = 0
        self.width = max((len(execution.output) for execution in plan.executions), default=0)
        self.bar = None
        if mode == "bar":
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, desc="localise run", unit="nb", file=sys.stderr, dynamic_ncols=True)
        elif mode == "lines":
            engine = f"{workers} worker(s)" if workers else "the Dask cluster"
            print(f"localise run {run_dir.name}: {self.total} notebook run(s) on {engine}, into {run_dir}", flush=True)

    def line(self, record: Record) -> str:
        """``[ 3/12] output  status  seconds  error``: one finished notebook."""
        error = record.get("error") or {}
        detail = f"{error.get('ename')}: {error.get('evalue')}" if error.get("ename") else record.get("reason", "")
        if record.get("cached"):
            detail = f"cached from {record.get('cached_from')}"
        detail = " ".join(str(detail).split())[:100]
        counter = f"[{self.done:>{len(str(self.total))}}/{self.total}]"
        text = f"{counter} {record['output']:<{self.width}}  {record['status']:<8} {record.get('duration_s', 0):7.1f} s"
        return f"{text}  {detail}".rstrip()

    def finished(self, record: Record) -> None:
        self.done += 1
        if self.mode == "lines":
            print(self.line(record), flush=True)
        elif self.bar is not None:
            if record["status"] != "ok":
                self.bar.write(self.line(record), file=sys.stderr)
            self.bar.update(1)
            self.bar.set_postfix_str(f"{record['output']}: {record['status']}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _outputs(run_dir: Path, stem: str) -> list[dict[str, Any]]:
    files = [run_dir / f"{stem}.ipynb", run_dir / f"{stem}.html"]
    folder = run_dir / stem
    if folder.is_dir():
        files += sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    return [
        {"path": str(p.relative_to(run_dir)), "sha256": sha256_file(p), "bytes": p.stat().st_size}
        for p in files
        if p.is_file()
    ]


def _all_inputs(records: list[Record]) -> list[dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for record in records:
        for entry in record.get("inputs", []):
            entry["path"] = paths.project_relative(entry["path"])
            merged.setdefault(entry["path"], {**entry, "read_by": []})["read_by"].append(record["output"])
    return [merged[key] for key in sorted(merged)]


def _cleanup(run_dir: Path) -> None:
    remove_partials(run_dir)  # left by workers stopped in the middle of a write
    inputs = run_dir / ".inputs"
    if inputs.is_dir():
        for leftover in inputs.iterdir():
            leftover.unlink()
        inputs.rmdir()


def _point_latest(reports: Path, run_dir: Path) -> None:
    """Make ``reports/latest`` point at ``run_dir`` (atomic symlink swap)."""
    if not is_latest_run(reports, run_dir):  # a run that started later already finished
        return
    link = reports / "latest"
    temporary = reports / f".latest.{os.getpid()}.partial"
    temporary.unlink(missing_ok=True)
    try:
        temporary.symlink_to(run_dir.name, target_is_directory=True)
        os.replace(temporary, link)
    except OSError:  # file systems without symlinks: write the run id instead
        temporary.unlink(missing_ok=True)
        atomic_write_text(reports / "LATEST", run_dir.name + "\n")

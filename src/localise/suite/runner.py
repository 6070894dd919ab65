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
from localise.suite.executor import execute
from localise.suite.registry import Execution, SuitePlan
from localise.suite.safety import die_with_parent, is_latest_run, remove_partials

__all__ = ["RunResult", "run_suite", "default_workers", "PACKAGES_IN_MANIFEST"]

#: Packages whose versions every manifest records.
PACKAGES_IN_MANIFEST = (
    "localise", "numpy", "pandas", "scipy", "statsmodels", "linearmodels", "scikit-learn",
    "matplotlib", "seaborn", "pyarrow", "pandera", "krippendorff", "geopandas", "SALib",
    "papermill", "nbclient", "nbconvert", "ipykernel", "dask", "distributed",
)


@dataclass
class RunResult:
    """What a suite run produced."""

    run_id: str
    run_dir: Path
    records: list[dict[str, Any]] = field(default_factory=list)
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


def _task(execution: Execution, run_dir: Path, timeout: float | None, html_output: bool) -> dict[str, Any]:
    return {
        "notebook": str(execution.notebook),
        "output": execution.output,
        "run_dir": str(run_dir),
        "parameters": execution.parameters,
        "timeout": execution.timeout or timeout,
        "cwd": str(execution.notebook.parent),
        "html": html_output,
        "env": {"LOCALISE_RUN_ID": run_dir.name},
    }


class _SerialEngine:
    """Executes in this process, one notebook at a time (``--workers 1``)."""

    def submit(self, task: dict[str, Any]) -> cf.Future:
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
        pass


class _PoolEngine:
    def __init__(self, workers: int):
        # spawn: a clean interpreter per worker, safe with threads in the parent.
        self.pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                           initializer=die_with_parent)  # workers never outlive the run

    def submit(self, task: dict[str, Any]) -> cf.Future:
        return self.pool.submit(execute, task)

    @staticmethod
    def wait(pending: set) -> set:
        done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
        return done

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class _DaskEngine:
    def __init__(self, address: str):
        from distributed import Client

        self.client = Client(address, timeout="30s")

    def submit(self, task: dict[str, Any]) -> Any:
        return self.client.submit(execute, task, pure=False, key=f"localise-{task['output']}-{time.time_ns()}")

    @staticmethod
    def wait(pending: set) -> set:
        from distributed import wait

        return set(wait(list(pending), return_when="FIRST_COMPLETED").done)

    def close(self) -> None:
        self.client.close()


def _engine(workers: int, scheduler: str | None, jobs: int) -> Any:
    if scheduler:
        return _DaskEngine(scheduler)
    if workers <= 1 or jobs <= 1:
        return _SerialEngine()
    return _PoolEngine(min(workers, jobs))


_relative = paths.project_relative


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
    records: dict[str, dict[str, Any]] = {}
    waiting = list(plan.executions)
    running: dict[Any, Execution] = {}
    manifest_base = {
        "run_id": run_id,
        "registry": _relative(plan.registry),
        "started": started.isoformat(timespec="seconds"),
        "engine": {"scheduler": scheduler} if scheduler else {"workers": workers},
        "timeout_per_cell_s": timeout,
        "git": _git_state(),
        "python": {"version": platform.python_version(), "executable": sys.executable},
        "platform": platform.platform(),
        "packages": _versions(),
    }
    history = cache.RunHistory(reports, exclude={run_id}) if reuse and force is not True else None
    forced = set(force) if isinstance(force, (list, tuple, set)) else set()
    environment = {"packages": manifest_base["packages"], "python": platform.python_version(),
                   "code": cache.code_fingerprint(), "data": cache.data_state()}
    keys: dict[str, str] = {}
    engine = None
    interrupted = False
    try:
        while waiting or running:
            for execution in list(waiting):
                statuses = [records.get(dependency, {}).get("status") for dependency in execution.after]
                if any(status in {"failed", "skipped"} for status in statuses):
                    failed = [d for d, status in zip(execution.after, statuses) if status in {"failed", "skipped"}]
                    records[execution.output] = {
                        "output": execution.output,
                        "notebook": execution.notebook.name,
                        "status": "skipped",
                        "reason": f"dependency did not succeed: {', '.join(failed)}",
                        "duration_s": 0.0,
                        "inputs": [],
                    }
                    waiting.remove(execution)
                    bar.finished(records[execution.output])
                elif all(status == "ok" for status in statuses):
                    upstream = {d: cache.result_key(records[d]) for d in execution.after}
                    keys[execution.output] = cache.execution_key(
                        cache.notebook_fingerprint(execution.notebook), execution.parameters, environment, upstream)
                    waiting.remove(execution)
                    reusable = None
                    if history is not None and not forced & {execution.name, execution.output}:
                        reusable = cache.find_reusable(history, execution.output, keys[execution.output],
                                                       need_html=html_output)
                    if reusable is not None:
                        records[execution.output] = cache.materialise(reusable, run_dir)
                        bar.finished(records[execution.output])
                        continue
                    engine = engine or _engine(workers, scheduler, len(plan.executions))
                    future = engine.submit(_task(execution, run_dir, timeout, html_output))
                    running[future] = execution
            if not running or engine is None:
                continue
            for future in engine.wait(set(running)):
                execution = running.pop(future)
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
                record["cache_key"] = keys[execution.output]
                records[execution.output] = record
                bar.finished(record)
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        if engine is not None:
            engine.close()
        bar.close()
        for execution in plan.executions:
            records.setdefault(
                execution.output,
                {"output": execution.output, "notebook": execution.notebook.name, "status": "interrupted",
                 "duration_s": 0.0, "inputs": []},
            )
        result.records = [records[execution.output] for execution in plan.executions]
        for execution, record in zip(plan.executions, result.records):
            record["parameters"] = execution.parameters
            record["after"] = execution.after
            record["description"], record["section"] = execution.description, execution.section
            if not record.get("cached"):
                record["outputs"] = _outputs(run_dir, execution.output)
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
            run_dir / "manifest.json", json.dumps(manifest, indent=2, sort_keys=False, default=str) + "\n"
        )
        from localise.suite.site import index_html, publish_site

        atomic_write_text(run_dir / "index.html", index_html(manifest))
        _cleanup(run_dir)
        if html_output and not interrupted:
            result.site = publish_site(run_dir)  # never raises; index.html then redirects to site/
            if not result.site.ok:
                print(f"report site not built: {result.site.error}", file=sys.stderr)
        _point_latest(reports, run_dir)
    return result


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

    def line(self, record: dict[str, Any]) -> str:
        """``[ 3/12] output  status  seconds  error``: one finished notebook."""
        error = record.get("error") or {}
        detail = f"{error.get('ename')}: {error.get('evalue')}" if error.get("ename") else record.get("reason", "")
        if record.get("cached"):
            detail = f"cached from {record.get('cached_from')}"
        detail = " ".join(str(detail).split())[:100]
        counter = f"[{self.done:>{len(str(self.total))}}/{self.total}]"
        text = f"{counter} {record['output']:<{self.width}}  {record['status']:<8} {record.get('duration_s', 0):7.1f} s"
        return f"{text}  {detail}".rstrip()

    def finished(self, record: dict[str, Any]) -> None:
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


def _all_inputs(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for record in records:
        for entry in record.get("inputs", []):
            entry["path"] = _relative(entry["path"])
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

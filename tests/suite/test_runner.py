"""Runner: execution, failure isolation, skipping, manifest, atomic outputs, pool and Dask."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from suite_helpers import GOOD_REGISTRY, make_suite

from localise.atomic import atomic_path, sha256_file
from localise.cli import main
from localise.suite.registry import build_plan
from localise.suite.runner import run_suite

pytestmark = pytest.mark.notebooks


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """One run of the small suite with a planted failure, on a pool of two workers."""
    root = tmp_path_factory.mktemp("run")
    registry = make_suite(root / "notebooks", GOOD_REGISTRY, root / "data")
    plan = build_plan(registry)
    result = run_suite(plan, workers=2, reports=root / "reports", progress=False)
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    return root, result, manifest


def test_failure_is_isolated_and_dependents_skipped(finished_run):
    _, result, manifest = finished_run
    status = {record["output"]: record["status"] for record in manifest["notebooks"]}
    assert status == {
        "10_ok__name-first": "ok",
        "10_ok__name-second__x-2": "ok",
        "20_fail": "failed",
        "30_dependent": "skipped",
        "40_independent": "ok",
    }
    assert manifest["status"] == "failed" and not result.ok
    failed = next(r for r in manifest["notebooks"] if r["output"] == "20_fail")
    assert failed["error"]["ename"] == "ValueError"
    assert "planted failure" in failed["error"]["evalue"]
    assert failed["error"]["cell_index"] == 3  # 0 markdown, 1 parameters, 2 "y = x + 1", 3 raise
    skipped = next(r for r in manifest["notebooks"] if r["output"] == "30_dependent")
    assert "20_fail" in skipped["reason"]
    # the executed notebook with its error is kept for reading
    assert (result.run_dir / "20_fail.ipynb").is_file()
    assert not (result.run_dir / "30_dependent.ipynb").exists()


def test_manifest_records_provenance(finished_run):
    root, result, manifest = finished_run
    for key in ("run_id", "started", "finished", "git", "python", "packages", "inputs", "notebooks"):
        assert key in manifest
    assert manifest["packages"]["pandas"] and manifest["packages"]["papermill"]
    assert set(manifest["git"]) == {"commit", "dirty"}
    ok = next(r for r in manifest["notebooks"] if r["output"] == "10_ok__name-second__x-2")
    assert ok["parameters"] == {"name": "second", "x": 2}
    assert ok["duration_s"] > 0
    data_file = root / "data" / "input.csv"
    assert [i["sha256"] for i in ok["inputs"]] == [sha256_file(data_file)]
    merged = {i["path"]: i for i in manifest["inputs"]}
    assert len(merged) == 1 and sorted(next(iter(merged.values()))["read_by"]) == [
        "10_ok__name-first",
        "10_ok__name-second__x-2",
    ]
    table = result.run_dir / "10_ok__name-second__x-2" / "table_second.csv"
    assert table.read_text().splitlines() == ["a,b,x", "1,2,2", "3,4,2"]
    listed = {o["path"]: o["sha256"] for o in ok["outputs"]}
    assert listed["10_ok__name-second__x-2/table_second.csv"] == sha256_file(table)
    assert "10_ok__name-second__x-2.html" in listed
    page = (result.run_dir / "10_ok__name-second__x-2.html").read_text()
    assert "<title>10_ok</title>" in page  # the notebook's first heading, not "Notebook"


def test_index_page_and_latest_link(finished_run):
    root, result, _ = finished_run
    assert "url=site/index.html" in (result.run_dir / "index.html").read_text()  # the run's report site
    landing = (result.run_dir / "site" / "index.html").read_text()
    assert (
        "20_fail" in landing and "planted failure" in landing and 'href="notebooks/10_ok__name-first.html"' in landing
    )
    assert (root / "reports" / "latest").resolve() == result.run_dir.resolve()
    assert not list(result.run_dir.rglob("*.partial*"))


def test_kernel_is_the_runners_interpreter(finished_run):
    _, result, _ = finished_run
    executed = json.loads((result.run_dir / "10_ok__name-first.ipynb").read_text())
    printed = "".join(
        "".join(output.get("text", "")) for cell in executed["cells"] for output in cell.get("outputs", [])
    )
    assert f"EXECUTABLE {sys.executable}" in printed


def test_pool_uses_several_workers(finished_run):
    _, _, manifest = finished_run
    workers = {r["worker"] for r in manifest["notebooks"] if r["status"] == "ok"}
    assert len(workers) == 2


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("previous")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as partial:
            partial.write_text("half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_interrupted_run_leaves_no_complete_looking_notebook(tmp_path):
    registry = make_suite(
        tmp_path / "notebooks", "notebooks:\n  50_sleep:\n    notebook: 50_sleep.ipynb\n", tmp_path / "data"
    )
    reports = tmp_path / "reports"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "localise.cli",
            "run",
            "--registry",
            str(registry),
            "--reports",
            str(reports),
            "--workers",
            "1",
            "-p",
            "seconds=60",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.time() + 60
    while time.time() < deadline and not list(reports.rglob("*.partial*")):
        time.sleep(0.2)
    assert list(reports.rglob("*.partial*")), "the execution never started"
    time.sleep(2)
    process.send_signal(signal.SIGINT)
    process.wait(timeout=60)
    assert process.returncode != 0
    assert not list(reports.rglob("50_sleep.ipynb"))
    assert not list(reports.rglob("*.partial*"))
    manifest = json.loads(next(reports.glob("*/manifest.json")).read_text())
    assert manifest["status"] == "interrupted"


def test_cli_run_exits_nonzero_with_summary(tmp_path, capsys):
    registry = make_suite(tmp_path / "notebooks", GOOD_REGISTRY, tmp_path / "data")
    code = main(
        [
            "run",
            "--registry",
            str(registry),
            "--reports",
            str(tmp_path / "r"),
            "--only",
            "20_fail",
            "40_independent",
            "--workers",
            "1",
            "--no-html",
        ]
    )
    assert code == 1
    out = capsys.readouterr().out
    assert "20_fail" in out and "failed" in out and "40_independent" in out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_dask_local_cluster(tmp_path):
    from distributed import LocalCluster

    registry = make_suite(tmp_path / "notebooks", GOOD_REGISTRY, tmp_path / "data")
    plan = build_plan(registry, only=["10_ok", "40_independent"])
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None) as cluster:
        result = run_suite(
            plan, scheduler=cluster.scheduler_address, reports=tmp_path / "r", progress=False, html_output=False
        )
    assert result.ok, result.summary_table()
    manifest = json.loads(result.manifest_path.read_text())
    assert manifest["engine"] == {"scheduler": cluster.scheduler_address}
    assert (result.run_dir / "10_ok__name-first" / "table_first.csv").is_file()


@pytest.mark.slow
def test_dask_real_scheduler_and_worker(tmp_path):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    bindir = Path(sys.executable).parent
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    scheduler = subprocess.Popen(
        [str(bindir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--dashboard-address", ":0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    worker = subprocess.Popen(
        [
            str(bindir / "dask"),
            "worker",
            address,
            "--nworkers",
            "1",
            "--nthreads",
            "2",
            "--no-dashboard",
            "--host",
            "127.0.0.1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(1, timeout=60)
        registry = make_suite(tmp_path / "notebooks", GOOD_REGISTRY, tmp_path / "data")
        code = main(
            [
                "run",
                "--registry",
                str(registry),
                "--reports",
                str(tmp_path / "r"),
                "--scheduler",
                address,
                "--only",
                "10_ok",
                "20_fail",
                "30_dependent",
                "--no-html",
            ]
        )
        assert code == 1
        manifest = json.loads(next((tmp_path / "r").glob("*/manifest.json")).read_text())
        status = {r["output"]: r["status"] for r in manifest["notebooks"]}
        assert status == {
            "10_ok__name-first": "ok",
            "10_ok__name-second__x-2": "ok",
            "20_fail": "failed",
            "30_dependent": "skipped",
        }
        worker_pids = {r["worker"].split(":")[1] for r in manifest["notebooks"] if r["status"] != "skipped"}
        assert str(os.getpid()) not in worker_pids  # executed on the dask worker, not here
    finally:
        for process in (worker, scheduler):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def test_cell_timeout_fails_that_notebook_only(tmp_path):
    registry = make_suite(
        tmp_path / "notebooks",
        "notebooks:\n  50_sleep:\n    notebook: 50_sleep.ipynb\n    parameters: {seconds: 30.0}\n"
        "  40_independent:\n    notebook: 40_independent.ipynb\n",
        tmp_path / "data",
    )
    started = time.perf_counter()
    result = run_suite(
        build_plan(registry), workers=1, timeout=2, reports=tmp_path / "r", progress=False, html_output=False
    )
    assert time.perf_counter() - started < 25  # the 30 s cell was stopped
    status = {r["output"]: r["status"] for r in result.records}
    assert status == {"50_sleep": "failed", "40_independent": "ok"}
    error = result.records[0]["error"]
    assert error["ename"] == "CellTimeoutError" and "timed out" in error["evalue"]
    assert error["cell_index"] == 2  # 0 markdown, 1 parameters, 2 the sleeping cell
    assert (result.run_dir / "50_sleep.ipynb").is_file()  # the notebook as executed so far is kept


def test_kernel_start_is_retried_once(tmp_path, monkeypatch):
    import papermill

    from localise.suite import executor

    registry = make_suite(
        tmp_path / "notebooks", "notebooks:\n  40_independent:\n    notebook: 40_independent.ipynb\n", tmp_path / "data"
    )
    calls = []
    real = papermill.execute_notebook

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return real(*args, **kwargs)

    monkeypatch.setattr(papermill, "execute_notebook", flaky)
    plan = build_plan(registry)
    task = {
        "notebook": str(plan.executions[0].notebook),
        "output": "40_independent",
        "run_dir": str(tmp_path / "r"),
        "parameters": {},
        "timeout": None,
        "cwd": str(tmp_path / "notebooks"),
        "html": False,
    }
    (tmp_path / "r").mkdir()
    record = executor.execute(task)
    assert record["status"] == "ok" and record["attempts"] == 2 and len(calls) == 2

    def always_dies(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("Kernel died before replying to kernel_info")

    calls.clear()
    monkeypatch.setattr(papermill, "execute_notebook", always_dies)
    record = executor.execute(task)
    assert record["status"] == "failed" and record["attempts"] == 2 and len(calls) == 2
    assert "Kernel died" in record["error"]["evalue"]

"""Fault injection: ``localise list`` and ``localise run`` given a wrong registry, reports folder or scheduler.

Every case stops before a run folder is made: exit 2, a message naming the option,
file or key, and the work folder unchanged (hashes).
"""

from __future__ import annotations

import os
import shutil

import pytest

from localise import paths

NOTEBOOK = "00_getting_started.ipynb"


@pytest.fixture
def suite(tmp_path):
    folder = tmp_path / "nb"
    folder.mkdir()
    shutil.copy(paths.notebooks_dir() / NOTEBOOK, folder / NOTEBOOK)
    registry = folder / "suite.yml"
    registry.write_text(f"notebooks:\n  intro:\n    notebook: {NOTEBOOK}\n", encoding="utf-8")
    reports = tmp_path / "reports"
    return registry, reports


@pytest.mark.parametrize("command", ["list", "run"])
def test_registry_that_is_a_folder(run, suite, command):
    registry, reports = suite
    extra = ["--reports", reports, "--dry-run"] if command == "run" else []
    run.fails(command, "--registry", registry.parent, *extra, expect=[str(registry.parent), "is a folder"])


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00\x01binary", "notebooks: {caf\u00e9: x}".encode("latin-1")],
    ids=["empty", "binary", "latin1"],
)
def test_registry_file_that_cannot_be_read(run, suite, content):
    registry, _ = suite
    registry.write_bytes(content)
    run.fails("list", "--registry", registry, expect=[str(registry)])


@pytest.mark.parametrize(
    ("entry", "expect"),
    [
        ("intro: just-a-string", "notebooks.intro: expected a mapping"),
        ("intro: {notebook: 42}", "notebooks.intro.notebook: expected a file name ending in .ipynb"),
        (f"intro: {{notebook: {NOTEBOOK}, runs: 3}}", "notebooks.intro.runs: expected a list"),
    ],
)
def test_list_on_a_malformed_entry(run, suite, entry, expect):
    registry, _ = suite
    registry.write_text("notebooks:\n  " + entry + "\n", encoding="utf-8")
    run.fails("list", "--registry", registry, expect=[str(registry.name), expect])


@pytest.mark.parametrize("name", ["index", "manifest.json", "latest", "Index"])
def test_entry_named_like_the_run_files(run, suite, name):
    registry, reports = suite
    registry.write_text(f"notebooks:\n  '{name}':\n    notebook: {NOTEBOOK}\n", encoding="utf-8")
    run.fails("run", "--registry", registry, "--reports", reports, expect=[repr(name), "reserved"])
    assert not reports.exists()


def test_reports_path_that_is_a_file(run, suite):
    registry, reports = suite
    reports.write_text("not a folder", encoding="utf-8")
    run.fails("run", "--registry", registry, "--reports", reports, expect=[str(reports), "is a file"])


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write in any folder")
def test_reports_folder_not_writable(run, suite):
    registry, reports = suite
    reports.mkdir()
    reports.chmod(0o500)
    try:
        run.fails("run", "--registry", registry, "--reports", reports / "sub", expect=[str(reports), "cannot write"])
    finally:
        reports.chmod(0o700)


@pytest.mark.parametrize(
    ("address", "expect"),
    [
        ("tcp://127.0.0.1:1", "nothing answers at 127.0.0.1:1"),
        ("not an address", "expected an address like tcp://"),
        ("tcp://127.0.0.1:99999", "expected an address like tcp://"),
    ],
)
def test_scheduler_that_does_not_answer(run, suite, address, expect):
    registry, reports = suite
    run.fails(
        "run", "--registry", registry, "--reports", reports, "--scheduler", address, expect=["--scheduler", expect]
    )
    assert not reports.exists()  # no empty run folder


def test_no_kernel_folder_is_left_in_the_temporary_directory(tmp_path):
    import subprocess
    import sys

    code = "from localise.suite.executor import ensure_kernel; print(ensure_kernel())"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert list(tmp_path.glob("localise-kernels-*")) == []


# ----------------------------------------------------------------------------- real signals to a real run
def _sleepy_suite(tmp_path):
    import nbformat

    folder = tmp_path / "nb"
    folder.mkdir(exist_ok=True)
    params = nbformat.v4.new_code_cell("seconds = 120")
    params.metadata["tags"] = ["parameters"]
    body = nbformat.v4.new_code_cell("import time\nfor _ in range(int(seconds * 10)):\n    time.sleep(0.1)")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Sleeps"), params, body])
    nbformat.write(notebook, folder / "90_sleepy.ipynb")
    registry = folder / "suite.yml"
    registry.write_text(
        "notebooks:\n  sleep_a:\n    notebook: 90_sleepy.ipynb\n  sleep_b:\n    notebook: 90_sleepy.ipynb\n",
        encoding="utf-8",
    )
    return registry


def _is_kernel(process) -> bool:
    """A notebook kernel of the run: the runner's launcher (or a plain ipykernel); gone processes are not."""
    import psutil

    try:
        command = " ".join(process.cmdline())
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return False
    return "localise.suite.kernel" in command or "ipykernel" in command


def _start_run(tmp_path):
    import subprocess
    import sys
    import time

    import psutil

    registry = _sleepy_suite(tmp_path)
    reports = tmp_path / "reports"
    proc = subprocess.Popen(
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
            "2",
            "--no-html",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        kernels = [p for p in parent.children(recursive=True) if _is_kernel(p)]
        if len(kernels) >= 2:
            return proc, parent.children(recursive=True), reports
        assert proc.poll() is None, "the run ended before its notebooks started"
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("the notebooks did not start")


def _gone(processes, within: float = 15.0) -> list[int]:
    import time

    import psutil

    deadline = time.monotonic() + within
    alive = processes
    while time.monotonic() < deadline:
        alive = [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        if not alive:
            return []
        time.sleep(0.2)
    for p in alive:
        p.kill()
    return [p.pid for p in alive]


@pytest.mark.slow
def test_kill_9_of_localise_run_takes_its_workers_and_kernels_along(tmp_path):
    import signal

    proc, descendants, _ = _start_run(tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _gone(descendants) == [], "workers or kernels outlived the run"


@pytest.mark.slow
def test_kill_term_of_localise_run_records_an_interrupted_run(tmp_path):
    import json
    import signal

    proc, descendants, reports = _start_run(tmp_path)
    os.kill(proc.pid, signal.SIGTERM)
    code = proc.wait(timeout=60)
    assert code == 130
    assert _gone(descendants) == [], "workers or kernels outlived the run"
    (run_dir,) = [p for p in reports.iterdir() if p.is_dir() and not p.is_symlink()]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
    assert {r["status"] for r in manifest["notebooks"]} <= {"interrupted", "failed"}
    assert (run_dir / "index.html").is_file()
    assert [p.name for p in reports.rglob("*partial*")] == []


def test_latest_never_goes_back_to_an_older_run(tmp_path):
    from localise.suite.runner import _point_latest

    reports = tmp_path / "reports"
    older, newer = reports / "20261202T070000Z", reports / "20261202T070500Z"
    for folder in (older, newer):
        folder.mkdir(parents=True)
    _point_latest(reports, newer)  # the later run finishes first
    _point_latest(reports, older)  # the earlier run finishes afterwards
    assert os.readlink(reports / "latest") == newer.name
    third = reports / "20261202T070500Z-1"
    third.mkdir()
    _point_latest(reports, third)
    assert os.readlink(reports / "latest") == third.name

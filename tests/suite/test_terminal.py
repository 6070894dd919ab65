"""What ``localise run`` prints: no kernel or papermill noise, one line per finished notebook in a log.

The run goes through the real command line in a subprocess whose output is captured
(not a terminal, as in CI), on two workers, with ``-p`` values and a parameters cell
whose comments hold ``=`` (which papermill's own parameter reader cannot parse).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from suite_helpers import GOOD_REGISTRY, make_suite, write_notebook

pytestmark = pytest.mark.notebooks

REGISTRY = """
notebooks:
  10_ok:
    notebook: 10_ok.ipynb
    runs:
      - {name: first}
      - {name: second}
  20_fail:
    notebook: 20_fail.ipynb
  60_comments:
    notebook: 60_comments.ipynb
"""

#: Strings that a successful, quiet run must never print.
NOISE = (
    "Kernel is running over TCP without encryption",
    "KeyboardInterrupt caught in kernel",
    "Unable to parse line",
    "Passed unknown parameter",
    "Traceback",
    "IPKernelApp",
)

#: The kernel application logs this itself (not the notebook): it must reach the record, not the terminal.
KERNEL_MESSAGE = "a real message from the kernel application"


@pytest.fixture(scope="module")
def quiet_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("quiet")
    registry = make_suite(root / "notebooks", REGISTRY, root / "data")
    write_notebook(
        root / "notebooks" / "60_comments.ipynb",
        'country = "DE"  # Eurostat code (EL = Greece, UK = United Kingdom)\nratio = 0.5  # share = part / whole',
        f"get_ipython().kernel.log.warning({KERNEL_MESSAGE!r})\nprint(country, ratio)",
    )
    reports = root / "reports"
    completed = subprocess.run(
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
            "-p",
            "x=3",
            "-p",
            "country=PL",
            "-p",
            "ratio=0.25",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=_environment(),
    )
    manifest_path = next(p for p in reports.glob("*/manifest.json") if p.parent.name != "latest")
    return completed, json.loads(manifest_path.read_text()), manifest_path.parent


def _environment() -> dict[str, str]:
    environment = dict(os.environ)
    environment.pop("CI", None)
    return environment


def test_no_kernel_or_papermill_noise(quiet_run):
    completed, _, _ = quiet_run
    printed = completed.stdout + completed.stderr
    for noise in NOISE:
        assert noise not in printed, f"{noise!r} printed:\n{printed}"
    assert KERNEL_MESSAGE not in printed


def test_one_line_per_finished_notebook(quiet_run):
    completed, _, _ = quiet_run
    lines = completed.stdout.splitlines()
    assert lines[0].startswith("localise run ") and "4 notebook run(s) on 2 worker(s)" in lines[0]
    finished = [line for line in lines if re.match(r"^\[\d/4\] ", line)]
    assert len(finished) == 4
    assert sorted(int(line[1]) for line in finished) == [1, 2, 3, 4]
    by_name = {line.split()[1]: line for line in finished}
    assert set(by_name) == {"10_ok__name-first", "10_ok__name-second", "20_fail", "60_comments"}
    assert re.search(r"\] 60_comments\s+ok\s+\d+\.\d s$", by_name["60_comments"])
    assert re.search(r"\] 20_fail\s+failed\s+\d+\.\d s  ValueError: planted failure$", by_name["20_fail"])
    # the end summary follows, as before
    assert "notebook run" in completed.stdout and completed.stdout.rstrip().splitlines()[-1].startswith("run ")
    assert completed.returncode == 1
    assert completed.stderr.strip() == "1 of 4 notebook run(s) did not succeed"


def test_parameters_reach_the_notebook_and_kernel_log_is_kept(quiet_run):
    _, manifest, _ = quiet_run
    record = next(r for r in manifest["notebooks"] if r["output"] == "60_comments")
    assert record["status"] == "ok" and record["parameters"] == {"country": "PL", "ratio": 0.25}
    assert any(KERNEL_MESSAGE in line for line in record["kernel_log"])
    assert not any("KeyboardInterrupt" in line for r in manifest["notebooks"] for line in r.get("kernel_log", []))


def test_executed_notebook_holds_the_values_and_names_its_source(quiet_run):
    _, _, run_dir = quiet_run
    executed = json.loads((run_dir / "60_comments.ipynb").read_text())
    printed = "".join("".join(o.get("text", "")) for c in executed["cells"] for o in c.get("outputs", []))
    assert "PL 0.25" in printed
    injected = [c for c in executed["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1
    papermill = executed["metadata"]["papermill"]
    assert papermill["input_path"].endswith("notebooks/60_comments.ipynb")
    assert papermill["output_path"] == str(run_dir / "60_comments.ipynb")
    assert papermill["parameters"] == {"country": "PL", "ratio": 0.25}
    assert not list(run_dir.rglob("*parameterized*")) and not (run_dir / ".inputs").exists()


class _Stream:
    def __init__(self, tty: bool):
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


@pytest.mark.parametrize(
    ("stdout_tty", "stderr_tty", "ci", "expected"),
    [
        (True, True, None, "bar"),
        (False, True, None, "lines"),
        (True, False, None, "lines"),
        (True, True, "true", "lines"),
    ],
)
def test_bar_on_a_terminal_lines_in_a_log(monkeypatch, stdout_tty, stderr_tty, ci, expected):
    from localise.suite import runner

    monkeypatch.setattr(sys, "stdout", _Stream(stdout_tty))
    monkeypatch.setattr(sys, "stderr", _Stream(stderr_tty))
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    assert runner._progress_mode(None) == expected
    assert runner._progress_mode(False) == "none" and runner._progress_mode(True) == "bar"


def test_bar_names_failures_above_it(tmp_path, capsys):
    from localise.suite import runner
    from localise.suite.registry import build_plan

    registry = make_suite(tmp_path / "notebooks", GOOD_REGISTRY, tmp_path / "data")
    progress = runner._Progress("bar", build_plan(registry, only=["10_ok", "20_fail"]), tmp_path, 2)
    progress.finished({"output": "10_ok__name-first", "status": "ok", "duration_s": 1.0})
    progress.finished(
        {
            "output": "20_fail",
            "status": "failed",
            "duration_s": 2.5,
            "error": {"ename": "ValueError", "evalue": "planted\nfailure"},
        }
    )
    progress.close()
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "[2/3] 20_fail" in captured.err and "failed       2.5 s  ValueError: planted failure" in captured.err
    assert "[1/3] 10_ok__name-first" not in captured.err  # a run that succeeded only moves the bar
    assert "localise run:" in captured.err and "2/3" in captured.err  # the bar itself


def test_kernel_log_drops_only_the_known_noise(tmp_path):
    from localise.suite import executor

    log = tmp_path / "k.kernel.log"
    log.write_text(
        "[IPKernelApp] WARNING | Kernel is running over TCP without encryption. All communication ...\n"
        "[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel.\n"
        "\n"
        "[IPKernelApp] ERROR | Exception in message handler:\n"
        "Fatal Python error: Segmentation fault\n",
        encoding="utf-8",
    )
    assert executor._read_kernel_log(log) == [
        "[IPKernelApp] ERROR | Exception in message handler:",
        "Fatal Python error: Segmentation fault",
    ]
    assert not log.exists()
    assert executor._read_kernel_log(log) == []


def test_kernel_sockets_fall_back_to_tcp_when_the_path_is_too_long(monkeypatch):
    from localise.suite import executor

    options = executor._engine_options(f"{executor.KERNEL_NAME}-1-0")
    if os.name == "posix":
        assert options["config"]["KernelManager"]["transport"] == "ipc"
    monkeypatch.setattr(executor, "_SOCKET_PATH_LIMIT", 5)
    assert executor._engine_options(f"{executor.KERNEL_NAME}-1-0") == {}

"""What ``localise run`` prints: no kernel or papermill noise, one line per finished notebook in a log.

The run goes through the real command line in a subprocess whose output is captured
(not a terminal, as in CI), on two workers, with ``-p`` values and a parameters cell
whose comments hold ``=`` (which papermill's own parameter reader cannot parse).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from suite_helpers import make_suite, write_notebook

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
        [sys.executable, "-m", "localise.cli", "run", "--registry", str(registry), "--reports", str(reports),
         "--workers", "2", "--no-html", "-p", "x=3", "-p", "country=PL", "-p", "ratio=0.25"],
        capture_output=True, text=True, timeout=300, env=_environment(),
    )
    manifest_path = next(p for p in reports.glob("*/manifest.json") if p.parent.name != "latest")
    return completed, json.loads(manifest_path.read_text()), manifest_path.parent


def _environment() -> dict[str, str]:
    import os

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

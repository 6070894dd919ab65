"""Warm kernels (localise.suite.warm): same outputs as a cold kernel, the notebook's own settings, no leftovers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from suite_helpers import write_notebook

pytestmark = pytest.mark.slow

#: A notebook whose outputs depend on what a warm kernel could get wrong: pandas' text width
#: (decided when pandas is imported), inline figures, the environment, folder and execution count.
CELLS = (
    "import os\nimport matplotlib.pyplot as plt\nimport pandas as pd\nfrom localise import report",
    "pd.DataFrame({f'column_{i}': [i * 1.5] * 3 for i in range(14)})",
    "fig, ax = plt.subplots(figsize=(3, 2))\nax.plot([0, 1, 2], [2, 0, 1])\nfiles = report.save_figure(fig, 'line')",
    "print(os.environ['LOCALISE_RUN_OUTPUT'].endswith('probe'), os.environ['LOCALISE_RUN_ID'], os.getcwd())\n"
    "os.write(1, b'written to descriptor 1\\n')\nprint(sorted(k for k in dir() if k.startswith('_') is False))",
)


def _task(notebook: Path, run_dir: Path, run_id: str) -> dict:
    run_dir.mkdir(parents=True, exist_ok=True)
    return {
        "notebook": str(notebook),
        "output": "probe",
        "run_dir": str(run_dir),
        "parameters": {},
        "timeout": 120,
        "cwd": str(notebook.parent),
        "html": False,
        "env": {"LOCALISE_RUN_ID": run_id},
    }


def _cells(path: Path) -> list[dict]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        cell["metadata"].pop("papermill", None)
        cell["metadata"].pop("execution", None)
    return cells


def _kernels() -> list:
    import psutil

    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "localise.suite.kernel" in " ".join(child.cmdline()) and child.status() != psutil.STATUS_ZOMBIE:
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def test_a_warm_kernel_gives_the_outputs_of_a_cold_one(tmp_path):
    from localise.suite import executor, warm

    (tmp_path / "nb").mkdir()
    notebook = write_notebook(tmp_path / "nb" / "probe.ipynb", "x = 1", *CELLS)
    cold = executor.execute(_task(notebook, tmp_path / "cold", "run-1"))
    executor.prepare_warm_kernel(_task(notebook, tmp_path / "warm", "run-2"))
    assert warm._spare is not None
    hot = executor.execute(_task(notebook, tmp_path / "warm", "run-2"))
    assert cold["status"] == hot["status"] == "ok", (cold.get("error"), hot.get("error"))
    cold_cells, warm_cells = _cells(tmp_path / "cold" / "probe.ipynb"), _cells(tmp_path / "warm" / "probe.ipynb")
    assert [cell["execution_count"] for cell in warm_cells if cell["cell_type"] == "code"] == [1, 2, 3, 4, 5]
    assert cold_cells[:-1] == warm_cells[:-1]  # tables, figures, counts: identical
    printed = "".join(warm_cells[-1]["outputs"][0]["text"])
    assert printed.startswith(f"True run-2 {notebook.parent}")  # the notebook's own settings, adopted
    assert printed == "".join(cold_cells[-1]["outputs"][0]["text"]).replace("run-1", "run-2")  # no extra names
    figure = Path("probe", "line.png")
    assert (tmp_path / "cold" / figure).read_bytes() == (tmp_path / "warm" / figure).read_bytes()
    assert "written to descriptor 1" in " ".join(hot["kernel_log"])  # the kernel's log reached the notebook's
    assert hot["kernel_log"] == cold["kernel_log"]
    assert warm._spare is None and _kernels() == []


def test_an_unused_warm_kernel_is_shut_down(tmp_path):
    from localise.suite import executor, warm

    (tmp_path / "nb").mkdir()
    notebook = write_notebook(tmp_path / "nb" / "probe.ipynb", "x = 1", "import matplotlib")
    executor.prepare_warm_kernel(_task(notebook, tmp_path / "r", "run-1"))
    assert len(_kernels()) == 1
    spare = warm._spare
    warm.discard_spare()
    assert warm._spare is None and _kernels() == []
    assert not spare.log.exists() and not (executor._kernels_folder() / "kernels" / spare.spec).exists()


def test_a_warm_kernel_is_not_used_for_other_settings(tmp_path):
    from localise.suite import executor, warm

    (tmp_path / "nb").mkdir()
    notebook = write_notebook(tmp_path / "nb" / "probe.ipynb", "x = 1", "import matplotlib")
    executor.prepare_warm_kernel(_task(notebook, tmp_path / "r", "run-1"))
    task = _task(notebook, tmp_path / "r", "run-1")
    task["env"]["EXTRA"] = "set before the kernel starts"  # not a variable a warm kernel can adopt
    assert warm.claim(task["cwd"], executor.kernel_environment(task), notebook, 60) is None
    assert warm._spare is None and _kernels() == []

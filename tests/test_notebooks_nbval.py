"""Every notebook opened by hand, as a person would: nbval on the SYNTHETIC demo data.

The notebooks run with their own default parameters (no runner, no registry, no
papermill) in a kernel of this environment, top to bottom; ``--nbval-lax`` makes
nbval fail a notebook on any cell that raises, without comparing outputs. The data
are the seeded demo written by ``localise data demo`` into temporary folders,
with no mirror: the project's own data/ and reports/ are never touched.

nbval runs once, in a separate pytest process (its notebooks are collected as test
files); each notebook then has its own test here, which fails with the cells that
did not run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from typing import Any

import pytest

from localise import paths

pytestmark = [pytest.mark.notebooks, pytest.mark.slow]

#: Notebooks that refuse generated data by design: they cannot be opened on the demo data, and
#: the full-suite test executes them on the real data mirror instead.
REAL_DATA_ONLY = {"12_governance_study.ipynb": "governance tables are real data only (no SYNTHETIC fallback)"}

ALL_NOTEBOOKS = sorted(paths.notebooks_dir().glob("[0-9][0-9]_*.ipynb"))
NOTEBOOKS = [notebook for notebook in ALL_NOTEBOOKS if notebook.name not in REAL_DATA_ONLY]


@pytest.fixture(scope="module")
def nbval_results(tmp_path_factory) -> dict[str, Any]:
    """One nbval session: failures per notebook file, cells run per notebook, output tail."""
    root = tmp_path_factory.mktemp("nbval")
    env = {
        **os.environ,
        "LOCALISE_DATA_RAW": str(root / "raw"),
        "LOCALISE_DATA_PROCESSED": str(root / "processed"),
        "LOCALISE_REPORTS": str(root / "reports"),
    }
    for variable in ("LOCALISE_DATA_MIRROR", "LOCALISE_RUN_OUTPUT", "LOCALISE_INPUTS_LOG", "MPLBACKEND"):
        env.pop(variable, None)
    demo = subprocess.run(
        [sys.executable, "-m", "localise.cli", "data", "demo"], env=env, capture_output=True, text=True, timeout=300
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    junit = root / "nbval.xml"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--nbval-lax",
            "--nbval-current-env",
            "--nbval-cell-timeout=900",
            f"--junitxml={junit}",
            "-o",
            "addopts=",
            *map(str, NOTEBOOKS),
        ],
        env=env,
        cwd=paths.PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=2400,
    )
    assert junit.is_file(), completed.stdout[-3000:] + completed.stderr[-3000:]
    results: dict[str, list[tuple[str, str]]] = {notebook.name: [] for notebook in NOTEBOOKS}
    cells: dict[str, int] = {}
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        classname = case.get("classname", "")  # "notebooks.00_getting_started.ipynb"
        notebook = next((name for name in results if classname.endswith(name)), classname or "collection")
        cells[notebook] = cells.get(notebook, 0) + 1
        for element in case:
            if element.tag in {"failure", "error"}:
                text = f"{element.get('message', '')}\n{(element.text or '')[-2000:]}"
                results.setdefault(notebook, []).append((case.get("name", "?"), text))
    return {"results": results, "cells": cells, "output": completed.stdout[-3000:]}


def test_nbval_ran_every_notebook(nbval_results):
    cells, results = nbval_results["cells"], nbval_results["results"]
    stray = {name: problems for name, problems in results.items() if name not in {p.name for p in NOTEBOOKS}}
    assert not stray, f"nbval problems outside the notebooks: {stray}\n{nbval_results['output']}"
    assert all(cells.get(p.name, 0) > 0 for p in NOTEBOOKS), f"cells run per notebook: {cells}"


@pytest.mark.parametrize("notebook", [p.name for p in ALL_NOTEBOOKS])
def test_notebook_runs_top_to_bottom_on_demo_data(nbval_results, notebook):
    if notebook in REAL_DATA_ONLY:
        pytest.skip(f"{notebook}: {REAL_DATA_ONLY[notebook]}; executed on the mirror by tests/test_full_suite.py")
    failures = nbval_results["results"].get(notebook, [])
    assert not failures, "\n\n".join(f"{cell}: {text}" for cell, text in failures)

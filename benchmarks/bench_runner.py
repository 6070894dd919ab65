"""Benchmark of the suite runner: wall time against the floor set by the notebooks themselves.

Runs N generated notebooks of realistic weight (imports pandas, statsmodels and
matplotlib, fits a regression, draws and saves a figure) through ``run_suite``
and prints:

(a) the wall time of the run,
(b) the floor: the sum of the notebooks' own execution times (papermill's
    duration, kernel start included) divided by the number of workers,
(c) the overhead ratio (a) / (b) - 1 (goal: at most 10 %),

and, for comparison, the same notebooks with one worker. Usage::

    python benchmarks/bench_runner.py [--notebooks 6] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from localise.suite.registry import build_plan
from localise.suite.runner import run_suite

WORK = """
import numpy as np, pandas as pd, statsmodels.formula.api as smf
import matplotlib.pyplot as plt
from localise import report
rng = np.random.default_rng(seed)
frame = pd.DataFrame({"x": rng.normal(size=rows), "g": rng.integers(0, 20, size=rows)})
frame["y"] = 2 * frame["x"] + frame["g"] * 0.1 + rng.normal(size=rows)
fit = smf.ols("y ~ x + C(g)", data=frame).fit()
fig, ax = plt.subplots()
ax.scatter(frame["x"][:2000], frame["y"][:2000], s=2)
report.save_figure(fig, "scatter", formats=("png",))
report.save_table(fit.params.to_frame("coef"), "params")
"""


def write_notebook(path: Path, *, rows: int, extra: str = "") -> None:
    """One benchmark notebook: a ``parameters`` cell (seed, rows) and the WORK cell (plus ``extra``)."""
    notebook = new_notebook(
        cells=[
            new_code_cell(f"seed = 0\nrows = {rows}", metadata={"tags": ["parameters"]}),
            new_code_cell(WORK + extra),
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    for number, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{number}"
    nbformat.write(notebook, path)


def make_suite(folder: Path, count: int, *, rows: int = 200000, chained: bool = False) -> Path:
    """``count`` notebooks ``10_bench``, ``11_bench`` ...; with ``chained`` the second runs after the first."""
    folder.mkdir(parents=True)
    lines = ["notebooks:"]
    for index in range(count):
        name = f"{index + 10:02d}_bench"
        write_notebook(folder / f"{name}.ipynb", rows=rows)
        lines += [f"  {name}:", f"    notebook: {name}.ipynb", f"    parameters: {{seed: {index}}}"]
        if chained and index == 1:
            lines.append("    after: [10_bench]")
    registry = folder / "suite.yml"
    registry.write_text("\n".join(lines) + "\n")
    return registry


def measure(registry: Path, reports: Path, workers: int) -> tuple[float, float]:
    plan = build_plan(registry)
    started = time.perf_counter()
    result = run_suite(plan, workers=workers, reports=reports, progress=False, html_output=False, reuse=False)
    wall = time.perf_counter() - started
    assert result.ok, result.summary_table()
    own = 0.0
    for record in result.records:
        executed = json.loads((result.run_dir / f"{record['output']}.ipynb").read_text())
        own += executed["metadata"]["papermill"]["duration"]
    return wall, own


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        registry = make_suite(Path(tmp) / "notebooks", args.notebooks)
        wall_1, own_1 = measure(registry, Path(tmp) / "reports", 1)
        wall, own = measure(registry, Path(tmp) / "reports", args.workers)
    floor = own / args.workers
    print(f"notebooks: {args.notebooks}")
    print(
        f"one worker:  wall {wall_1:6.2f} s, sum of own execution times {own_1:6.2f} s, "
        f"overhead {wall_1 / own_1 - 1:+.1%}"
    )
    print(f"{args.workers} workers:   wall {wall:6.2f} s (a)")
    print(f"             floor {floor:6.2f} s (b) = sum of own execution times {own:.2f} s / {args.workers}")
    print(f"             overhead (a)/(b) - 1 = {wall / floor - 1:+.1%}  (goal <= +10%)")
    print(f"speed-up of {args.workers} workers over one: {wall_1 / wall:.2f}x")


if __name__ == "__main__":
    main()

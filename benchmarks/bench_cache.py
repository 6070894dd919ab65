"""Benchmark of incremental runs: a re-run that reuses earlier executions against a full run.

Builds a registry of N generated notebooks (the weight of ``bench_runner.py``: pandas,
statsmodels, matplotlib, a regression and a figure) in which notebook 1 runs after
notebook 0, and prints side by side, for the same registry and reports folder:

(uncached) a run that executes everything (``reuse=False``),
(a) a no-op re-run: nothing changed, every execution is reused (goal <= 5 s, report site included),
    given with the report site and without it (as ``localise run --no-html``),
(b) a re-run after notebook 0 was edited: only it and its dependent execute.

Each line gives the wall time, the part of it spent on the report site, and how many
notebook runs executed and were reused. The report site is built in every run but the
second (a) line (``--no-html`` leaves it out of all), as ``localise run`` does; the site
of a re-run is built incrementally from the reports folder's site cache. Usage::

    python benchmarks/bench_cache.py [--notebooks 6] [--workers 2] [--no-html]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench_runner import make_suite as _make_suite
from bench_runner import write_notebook

from localise.suite.registry import build_plan
from localise.suite.runner import run_suite

ROWS = 50000  # lighter than bench_runner's notebooks: the re-runs, not the work, are measured


def _write(path: Path, extra: str = "") -> None:
    write_notebook(path, rows=ROWS, extra=extra)


def make_suite(folder: Path, count: int) -> Path:
    """``count`` notebooks; the second runs after the first."""
    return _make_suite(folder, count, rows=ROWS, chained=True)


def measure(registry: Path, reports: Path, workers: int, html: bool, reuse: bool) -> tuple[float, float, int, int]:
    """Wall time, site build time, executed and reused notebook runs of one run."""
    started = time.perf_counter()
    result = run_suite(
        build_plan(registry), workers=workers, reports=reports, progress=False, html_output=html, reuse=reuse
    )
    wall = time.perf_counter() - started
    assert result.ok, result.summary_table()
    reused = sum(bool(record.get("cached")) for record in result.records)
    site = result.site.seconds if result.site is not None else 0.0
    return wall, site, len(result.records) - reused, reused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-html", action="store_true", help="no HTML and no report site")
    args = parser.parse_args()
    html = not args.no_html
    with tempfile.TemporaryDirectory() as tmp:
        registry = make_suite(Path(tmp) / "notebooks", args.notebooks)
        reports = Path(tmp) / "reports"
        rows = [("uncached run", *measure(registry, reports, args.workers, html, reuse=False))]
        rows.append(("(a) no-op re-run", *measure(registry, reports, args.workers, html, reuse=True)))
        if html:
            rows.append(("(a) same, --no-html", *measure(registry, reports, args.workers, False, reuse=True)))
        _write(registry.parent / "10_bench.ipynb", extra="\nprint('edited')\n")
        rows.append(("(b) 10_bench edited", *measure(registry, reports, args.workers, html, reuse=True)))
    print(
        f"incremental runs: {args.notebooks} generated notebooks (11_bench runs after 10_bench), "
        f"{args.workers} workers, report site {'built' if html else 'not built'}"
    )
    print(f"{'':22}{'wall s':>8}{'of which site s':>17}{'executed':>10}{'reused':>8}")
    for label, wall, site, executed, reused in rows:
        print(f"{label:22}{wall:8.2f}{site:17.2f}{executed:10d}{reused:8d}")
    without_site = f", {rows[2][1]:.2f} s without the site" if html else ""
    print(
        f"(a) no-op re-run: {rows[1][1]:.2f} s (goal <= 5 s){without_site}, "
        f"{rows[0][1] / rows[1][1]:.1f}x faster than uncached"
    )
    print(
        f"(b) one edit: {rows[-1][3]} executed (the edited notebook and its dependent), "
        f"{rows[-1][1]:.2f} s against {rows[0][1]:.2f} s uncached"
    )


if __name__ == "__main__":
    main()

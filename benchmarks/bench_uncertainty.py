"""Benchmark of the Monte Carlo uncertainty analysis (localise.indicators.uncertainty).

Goals: 10,000 replications over 240 regions and 55 indicators on 2 cores in at most
10 s (issue 6); the cost grows about linearly in units, 960 units within 2.5x the time
of 480 units at 5,000 replications (issue 15, goal d); plus scaling with the number of
replications and of units.

The input is ILLUSTRATIVE (generated, seeded): values drawn between each EU-SPI 2020
indicator's dystopia and utopia goalposts, 5 % of cells missing. Only the timing matters.

Run:  python benchmarks/bench_uncertainty.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

from localise.indicators import load_framework
from localise.indicators.uncertainty import UncertaintyAnalysis


def illustrative_data(n_units: int, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Seeded ILLUSTRATIVE data in the EU-SPI 2020 layout (not observed values)."""
    fw = load_framework("eu_spi_2020")
    rng = np.random.default_rng(seed)
    cols = {}
    for ind in fw.indicators:
        best, worst = fw.nodes[ind].goalposts
        u = rng.beta(4, 2, n_units)
        x = worst + u * (best - worst)
        x[rng.random(n_units) < 0.05] = np.nan
        cols[fw.nodes[ind].column] = x
    units = [f"R{i:04d}" for i in range(n_units)]
    groups = pd.Series([f"C{i % 27:02d}" for i in range(n_units)], index=units)
    return pd.DataFrame(cols, index=units), groups


def run(n_rep: int, n_units: int) -> tuple[float, int]:
    data, groups = illustrative_data(n_units)
    ua = UncertaintyAnalysis(
        "eu_spi_2020",
        normalisations=("framework", "minmax"),
        imputations=("none", "mean"),
        orders=(0.0, 0.5, 1.0),
        n_replications=n_rep,
        seed=1,
    )
    t = time.perf_counter()
    res = ua.run(data, groups=groups)
    return time.perf_counter() - t, res.n_replications


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    args = parser.parse_args()
    print(f"cores available: {os.cpu_count()}; numpy {np.__version__}")
    print("data: ILLUSTRATIVE generated values in the EU-SPI 2020 layout (55 indicators)")
    if args.quick:
        sec, n = run(1000, 240)
        print(f"{n:>7} replications x 240 units: {sec:6.2f} s")
        return
    sec, n = run(10_000, 240)
    print(
        f"GOAL  {n} replications x 240 units x 55 indicators: {sec:.2f} s (goal <= 10 s) "
        f"-> {'met' if sec <= 10 else 'NOT met'}"
    )
    print("scaling with replications (240 units):")
    for reps in (1000, 2500, 5000, 10_000, 20_000):
        sec, n = run(reps, 240)
        print(f"  {n:>7} replications: {sec:6.2f} s  ({1000 * sec / n:.3f} ms per replication)")
    print("scaling with units (5000 replications):")
    by_units = {}
    for units in (60, 120, 240, 480, 960):
        sec, n = run(5000, units)
        by_units[units] = sec
        print(f"  {units:>5} units: {sec:6.2f} s  ({1000 * sec / units:.2f} ms per unit)")
    ratio = by_units[960] / by_units[480]
    print(
        f"GOAL (d) 480 units {by_units[480]:.2f} s | 960 units {by_units[960]:.2f} s | ratio {ratio:.2f} "
        f"(goal <= 2.5) -> {'met' if ratio <= 2.5 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()

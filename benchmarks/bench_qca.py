"""Benchmark of the QCA engine (not part of the test-suite).

Times ``truth_table(outcome="Y0", incl_cut=0.8)`` followed by
``minimize(include="?")`` on

* the SYNTHETIC files ``perf/synth_k{10,14,18}_n2000.csv`` of the QCA reference folder
  (``localise.paths.qca_reference_dir()``), and
* SYNTHETIC data generated with the reference generator (outcome = X1*X2 + ~X3*X4,
  numpy PCG64 seeded with [2024, k, n]) for k = 8 ... 20 and n = 200, 2000.

Goals (issue 5): every k <= 16 with n = 200 and k = 10 with n = 2000 under 1 s;
k = 20 with n = 2000 under 30 s. For reference, R QCA 3.23 took about 17 s (k = 10),
42 s (k = 14) and 152 s (k = 16) with n = 200, and more than 300 s at k = 10, n = 2000.
The reference case files store no R timings; ``R_SECONDS`` holds the side-by-side R
timings of issue 17 (R 4.2.2, QCA 3.23, same calls), and the R/engine ratio is printed
where one exists.

Usage: ``python benchmarks/bench_qca.py [--kmax 20] [--n 200 2000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from localise import paths
from localise.qca import minimize, truth_table

EXPECTED = {frozenset({"X1", "X2"}), frozenset({"~X3", "X4"})}
#: R QCA 3.23 seconds for truthTable + minimize(include = "?") on generated data,
#: measured side by side with this engine (issue 17): (k, n) -> seconds.
R_SECONDS = {(10, 200): 10.35, (10, 2000): 209.0}


def make(k: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The reference folder's generator (SYNTHETIC)."""
    rng = np.random.default_rng([2024, k, n])
    X = rng.integers(0, 2, size=(n, k), dtype=np.int8)
    y0 = (X[:, 0] & X[:, 1]) | ((1 - X[:, 2]) & X[:, 3])
    flip = rng.random(n) < 0.05
    y = np.where(flip, 1 - y0, y0).astype(np.int8)
    return X, y0.astype(np.int8), y


def frame(k: int, n: int) -> pd.DataFrame:
    X, y0, _ = make(k, n)
    df = pd.DataFrame(X.astype(int), columns=[f"X{i + 1}" for i in range(k)])
    df["Y0"] = y0.astype(int)
    df.index = [f"c{i}" for i in range(n)]
    return df


def run(df: pd.DataFrame, label: str, repeat: int = 1) -> float:
    """Time one problem; with ``repeat`` > 1 the fastest of the runs is reported."""
    conds = [c for c in df.columns if c.startswith("X")]
    best = None
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        tt = truth_table(df[conds + ["Y0"]], "Y0", conds, incl_cut=0.8)
        t1 = time.perf_counter()
        sol = minimize(tt, include="?", simplifying_assumptions=False)
        t2 = time.perf_counter()
        if best is None or t2 - t0 < best[2] - best[0]:
            best = (t0, t1, t2)
    t0, t1, t2 = best
    models = [{frozenset(t.split("*")) for t in m} for m in sol.models]
    ok = models == [EXPECTED]
    r_seconds = R_SECONDS.get((len(conds), len(df))) if label == "generated" else None
    ratio = f"  R/engine {r_seconds / (t2 - t0):8.0f}x" if r_seconds else ""
    print(
        f"{label:<28} k={len(conds):>2} n={len(df):>5}  truth table {t1 - t0:7.3f} s  minimise {t2 - t1:7.3f} s  "
        f"total {t2 - t0:7.3f} s  PIs {len(sol.prime_implicants):>6}  models {len(sol.models)}  "
        f"{'X1*X2 + ~X3*X4' if ok else 'UNEXPECTED: ' + ' | '.join(sol.expressions())}{ratio}",
        flush=True,
    )
    return t2 - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kmin", type=int, default=8)
    parser.add_argument("--kmax", type=int, default=20)
    parser.add_argument("--n", type=int, nargs="+", default=[200, 2000])
    parser.add_argument("--repeat", type=int, default=1, help="report the fastest of this many runs")
    args = parser.parse_args()
    perf = paths.qca_reference_dir() / "perf"
    print("SYNTHETIC benchmark data (generated, not observed)")
    if perf.is_dir():
        for path in sorted(perf.glob("synth_k*_n*.csv")):
            run(pd.read_csv(path), f"file {path.name}", args.repeat)
    else:
        print(f"(no perf folder at {perf}; skipping the stored files)")
    for n in args.n:
        for k in range(args.kmin, args.kmax + 1):
            run(frame(k, n), "generated", args.repeat)


if __name__ == "__main__":
    main()

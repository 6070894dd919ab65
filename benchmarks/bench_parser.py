"""Benchmark: parse every Eurostat bulk TSV of the data mirror.

Compares :func:`localise.data.eurostat.read_eurostat_tsv` (vectorised, Arrow) with a
naive pandas approach -- ``read_csv`` + ``melt`` + a Python split of every cell -- and
prints both times (best of ``--repeat`` runs) and their ratio. Goal: >= 5x faster, the
whole mirror in <= 2 s on 2 cores.

Usage::

    LOCALISE_DATA_MIRROR=/path/to/mirror python benchmarks/bench_parser.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from localise.data.eurostat import read_eurostat_tsv


def naive_parse(path: Path) -> pd.DataFrame:
    """The straightforward way: read_csv, melt, then split each cell in Python."""
    raw = pd.read_csv(path, sep="\t", dtype=str)
    key = raw.columns[0]
    dims = key.split("\\")[0].split(",")
    codes = raw[key].str.split(",", expand=True)
    codes.columns = dims
    wide = pd.concat([codes, raw.drop(columns=key)], axis=1)
    long = wide.melt(id_vars=dims, var_name="time", value_name="cell")
    long["time"] = long["time"].str.strip()

    def split(cell: str) -> tuple[float, str]:
        text = str(cell).strip()
        number, _, flags = text.partition(" ")
        return (np.nan if number == ":" else float(number)), flags.strip()

    parts = [split(c) for c in long["cell"]]
    long["value"] = [p[0] for p in parts]
    long["flags"] = [p[1] for p in parts]
    return long.drop(columns="cell").rename(columns={dims[-1]: "geo"})


def timed(func, files) -> tuple[float, int]:
    start = time.perf_counter()
    cells = sum(len(func(f)) for f in files)
    return time.perf_counter() - start, cells


def best_of(repeat: int, files) -> tuple[float, float, int]:
    """Best times of both parsers, runs interleaved so that machine load affects both alike."""
    fast = slow = float("inf")
    cells = 0
    for _ in range(repeat):
        t_fast, cells = timed(read_eurostat_tsv, files)
        t_slow, n_slow = timed(naive_parse, files)
        assert cells == n_slow, (cells, n_slow)
        fast, slow = min(fast, t_fast), min(slow, t_slow)
    return fast, slow, cells


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    default = Path(__file__).resolve().parents[2] / "shared" / "data"
    mirror = args.mirror or Path(os.environ.get("LOCALISE_DATA_MIRROR") or default)
    files = sorted((mirror / "eurostat").glob("*.tsv.gz"))
    if not files:
        print(f"no Eurostat TSV files under {mirror}/eurostat; set LOCALISE_DATA_MIRROR", file=sys.stderr)
        return 1
    size = sum(f.stat().st_size for f in files)
    read_eurostat_tsv(files[0])  # warm-up (imports, Arrow thread pool)
    fast, slow, cells = best_of(args.repeat, files)
    print(f"files: {len(files)} Eurostat bulk TSV (gzip, {size / 1e6:.1f} MB), cells: {cells:,}")
    print(f"localise read_eurostat_tsv : {fast:6.2f} s  (best of {args.repeat}, interleaved)")
    print(f"naive read_csv+melt+split  : {slow:6.2f} s  (best of {args.repeat}, interleaved)")
    print(
        f"speed-up                   : {slow / fast:6.1f} x   (goal >= 5x; whole mirror <= 2 s: "
        f"{'met' if fast <= 2 else 'NOT met'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark of the command line's start-up: wall time of ``localise --help`` and friends.

Each command runs in a fresh interpreter (``python -m localise.cli ...``), several
times; the median wall time is printed with the heavy libraries (pandas, scipy,
matplotlib) the command imported, which should be none. Goal: ``localise --help``
in at most 0.3 s. Usage::

    python benchmarks/bench_startup.py [--repeat 7]

On a shared, loaded machine the times vary: compare medians of the same run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

COMMANDS = (("--help",), ("list",), ("run", "--dry-run"), ("run", "--help"))

HEAVY = ("pandas", "scipy", "matplotlib", "sklearn", "statsmodels", "papermill")

#: Runs the command in-process, then prints which heavy modules it imported (one JSON line on stderr).
PROBE = """
import json, runpy, sys
heavy = {heavy!r}
sys.argv = ["localise", *{argv!r}]
try:
    runpy.run_module("localise.cli", run_name="__main__")
except SystemExit:
    pass
finally:
    sys.stderr.write("\\n" + json.dumps(sorted(m for m in heavy if m in sys.modules)) + "\\n")
"""

GOAL_S = 0.3


def time_command(argv: tuple[str, ...], repeat: int) -> tuple[float, list[str]]:
    """Median wall time of ``python -m localise.cli *argv`` over ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "localise.cli", *argv], capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    probe = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY, argv=list(argv))], capture_output=True, text=True, check=False
    )
    imported = json.loads(probe.stderr.strip().splitlines()[-1])
    return statistics.median(times), imported


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per command (default 7)")
    args = parser.parse_args()
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    bare = time.perf_counter() - started
    print(f"start-up of the command line (median of {args.repeat} runs; bare interpreter {bare:.3f} s)")
    for argv in COMMANDS:
        median, imported = time_command(argv, args.repeat)
        goal = f"  (goal <= {GOAL_S} s: {'met' if median <= GOAL_S else 'NOT met'})" if argv == ("--help",) else ""
        print(f"  localise {' '.join(argv):<16} {median:6.3f} s  heavy imports: {', '.join(imported) or 'none'}{goal}")


if __name__ == "__main__":
    main()

"""Where the time of a small notebook goes, and what a warm kernel saves: cold vs warm.

Issue 15, goal (c): the smallest notebook's own execution time at most 1.5 s. Measured:

1. ``kernel``: a bare IPython kernel of this interpreter started, made ready and shut
   down with ``jupyter_client`` (what papermill pays before the first cell);
2. ``imports``: the notebook's import lines run one after the other in a fresh
   interpreter, each timed (later lines reuse what earlier ones imported), plus the
   packages with the largest cumulative ``-X importtime``;
3. ``data``: the notebook's data loaders, timed after the imports;
4. ``cold`` and ``warm``: the notebook executed by the runner's executor
   (:func:`localise.suite.executor.execute`, as a pool worker does), alternately with a
   cold kernel (papermill starts it) and with a warm one (:mod:`localise.suite.warm`:
   started, and matplotlib, pandas and the package imported, before the task arrives,
   as happens while the worker's previous notebook executes). Per run: ``cells``, the
   sum of the cell times papermill records; ``papermill``, its whole execution (kernel
   start and shutdown included); ``record``, the ``duration_s`` the run manifest records
   (also the kernel spec, the HTML rendering and the inputs log). For warm runs the
   warm-up itself (kernel start and preload, spent before the task arrived) is shown
   apart: it is moved, not removed.

Needs the processed data (``localise data prepare``); without them the loaders use the
SYNTHETIC demo data and the figures say so. Run:
``python benchmarks/bench_notebook_startup.py [--notebook 09_active_inclusion] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Per notebook: parameters of its smallest run, its import lines and its data loading lines.
NOTEBOOKS = {
    "09_active_inclusion": {
        "parameters": {"city": "ES_BARCELONA"},
        "imports": [
            "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot",
            "import pandas",
            "from localise import report",
            "from localise.data import load_regional_panel, load_country_panel",
            "from localise.data.urban_audit import load_urban_audit",
            "from localise.cohesion import active_inclusion",
        ],
        "loads": [
            "load_regional_panel()",
            "load_country_panel()",
            "{k: load_urban_audit(k) for k in ('cities', 'city_records', 'regions', 'code_list_2019')}",
        ],
    },
    "00_getting_started": {
        "parameters": {},
        "imports": [
            "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot",
            "from localise import report",
            "from localise.data import load_regional_panel",
        ],
        "loads": ["load_regional_panel(indicators=['unemployment_rate'], countries=['DE'])"],
    },
}

_PROBE = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
out = []
t0 = time.perf_counter()
for kind, line in json.loads(sys.argv[1]):
    s = time.perf_counter()
    if kind == "import":
        exec(line, globals())
    else:
        eval(line, globals())
    out.append([kind, line, time.perf_counter() - s])
print(json.dumps(out))
"""


def _environment(folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "LOCALISE_RUN_OUTPUT": str(folder / "out"),
            "LOCALISE_INPUTS_LOG": str(folder / "inputs.jsonl"),
            "MPLBACKEND": "Agg",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        }
    )
    return env


def interpreter_start(env: dict[str, str]) -> float:
    """Seconds to start and stop a bare interpreter (the floor of every subprocess)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True, env=env)
    return time.perf_counter() - start


def imports_and_loads(spec: dict, env: dict[str, str], notebooks: Path) -> tuple[float, list[list]]:
    """Wall time of a fresh interpreter running the notebook's imports and loaders, and each step."""
    steps = [["import", line] for line in spec["imports"]] + [["load", line] for line in spec["loads"]]
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(steps)], env=env, capture_output=True, text=True, cwd=notebooks
    )
    if done.returncode:
        raise SystemExit(f"the imports and loads failed:\n{done.stderr[-2000:]}")
    wall = time.perf_counter() - start
    return wall, json.loads(done.stdout.strip().splitlines()[-1])


def heaviest_imports(spec: dict, env: dict[str, str], top: int = 8) -> list[tuple[str, float]]:
    """Top-level packages with the largest cumulative import time (``python -X importtime``)."""
    code = "; ".join(spec["imports"])
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], check=True, env=env, capture_output=True, text=True
    )
    totals: dict[str, float] = {}
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if match and len(match.group(2)) == 1:  # top-level entry: one space of indent
            name = match.group(3).split(".")[0]
            totals[name] = totals.get(name, 0.0) + int(match.group(1)) / 1e6
    return [kv for kv in sorted(totals.items(), key=lambda kv: -kv[1])[:top] if kv[1] >= 0.01]


def kernel_start(env: dict[str, str], kernel: str) -> float:
    """Seconds to start a kernel, wait until it answers, run ``pass`` and shut it down."""
    from jupyter_client.manager import start_new_kernel

    start = time.perf_counter()
    manager, client = start_new_kernel(kernel_name=kernel, startup_timeout=120, env=env)
    client.execute_interactive("pass", timeout=60)
    client.stop_channels()
    manager.shutdown_kernel(now=True)
    return time.perf_counter() - start


def _task(name: str, spec: dict, run_dir: Path, notebooks: Path) -> dict:
    return {
        "notebook": str(notebooks / f"{name}.ipynb"),
        "output": name,
        "run_dir": str(run_dir),
        "parameters": spec["parameters"],
        "timeout": None,
        "cwd": str(notebooks),
        "html": True,
        "env": {"LOCALISE_RUN_ID": run_dir.name},
    }


def _wait_until_ready() -> float:
    """Seconds until the waiting warm kernel answers (its kernel start and preload)."""
    from jupyter_core.utils import run_sync

    from localise.suite import warm

    spare = warm._spare
    if spare is None:
        raise SystemExit("no warm kernel was started")
    client = spare.manager.client()
    client.start_channels()
    try:
        run_sync(client.wait_for_ready)(timeout=300)
    finally:
        client.stop_channels()
        spare.manager.tracked_clients.remove(client)
    return time.perf_counter() - spare.started


def executor_run(name: str, spec: dict, run_dir: Path, notebooks: Path, warm: bool) -> dict[str, float]:
    """One execution by the runner's executor; its cells, papermill and record times (and warm-up)."""
    from localise.suite import executor

    task = _task(name, spec, run_dir, notebooks)
    times = {}
    if warm:
        executor.prepare_warm_kernel(task)
        times["warm-up"] = _wait_until_ready()
    record = executor.execute(task)
    if record["status"] != "ok":
        raise SystemExit(f"{name} failed: {record.get('error')}")
    document = json.loads((run_dir / f"{name}.ipynb").read_text(encoding="utf-8"))
    times["cells"] = sum(
        float(cell["metadata"].get("papermill", {}).get("duration") or 0.0)
        for cell in document["cells"]
        if cell["cell_type"] == "code"
    )
    times["papermill"] = float(document["metadata"]["papermill"]["duration"])
    times["record"] = float(record["duration_s"])
    return times


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def cold_and_warm(name: str, spec: dict, folder: Path, notebooks: Path, repeat: int) -> dict[str, dict[str, float]]:
    """Median times of ``repeat`` cold and ``repeat`` warm executions, alternated (after one unmeasured run)."""
    runs: dict[str, list[dict[str, float]]] = {"cold": [], "warm": []}
    executor_run(name, spec, folder / "prime", notebooks, warm=False)  # imports papermill & co. in this process
    for index in range(repeat):
        for kind in ("cold", "warm"):
            run_dir = folder / f"{kind}-{index}"
            run_dir.mkdir()
            runs[kind].append(executor_run(name, spec, run_dir, notebooks, warm=kind == "warm"))
    return {kind: {key: _median([run[key] for run in results]) for key in results[0]} for kind, results in runs.items()}


def register_kernel(folder: Path, env: dict[str, str]) -> str:
    """A kernel spec running this interpreter, in a private ``JUPYTER_PATH`` folder."""
    name = "localise-bench"
    spec_dir = folder / "kernels" / name
    spec_dir.mkdir(parents=True)
    kernel_env = {
        k: env[k]
        for k in ("LOCALISE_RUN_OUTPUT", "LOCALISE_INPUTS_LOG", "MPLBACKEND", "PYDEVD_DISABLE_FILE_VALIDATION")
    }
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "localise bench",
        "language": "python",
        "env": kernel_env,
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(folder), os.environ.get("JUPYTER_PATH")]))
    return name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--notebook",
        choices=sorted(NOTEBOOKS),
        action="append",
        help="notebook(s) to measure (default: 00_getting_started)",
    )
    parser.add_argument(
        "--notebooks",
        type=Path,
        default=ROOT / "notebooks",
        help="folder of the notebooks (e.g. those of another checkout, to compare)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="cold and warm executions each (median shown)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="localise-bench-") as tmp:
        folder = Path(tmp)
        env = _environment(folder)
        kernel = register_kernel(folder, env)
        print(
            f"cores available: {os.cpu_count()}; load average {os.getloadavg()[0]:.1f}; python {sys.version.split()[0]}"
        )
        print(f"bare interpreter start/stop:        {interpreter_start(env):5.2f} s")
        print(f"bare kernel start + `pass` + stop:  {kernel_start(env, kernel):5.2f} s")
        for name in args.notebook or ["00_getting_started"]:
            spec = NOTEBOOKS[name]
            print(f"--- {name} {spec['parameters'] or ''}")
            wall, steps = imports_and_loads(spec, env, args.notebooks)
            for kind, line, sec in steps:
                print(f"  {kind:<6} {sec:5.2f} s  {line}")
            print(f"  fresh interpreter with these imports and loads: {wall:5.2f} s")
            print(
                "  heaviest packages (cumulative -X importtime): "
                + ", ".join(f"{pkg} {sec:.2f} s" for pkg, sec in heaviest_imports(spec, env))
            )
            (folder / name).mkdir()
            medians = cold_and_warm(name, spec, folder / name, args.notebooks.resolve(), args.repeat)
            print(f"  executor, median of {args.repeat}:   cells  papermill  record (manifest duration_s)")
            for kind, times in medians.items():
                print(
                    f"    {kind:<5} kernel  {times['cells']:9.2f} {times['papermill']:10.2f} {times['record']:7.2f}"
                    + (f"   (+ warm-up {times['warm-up']:.2f} s before the task)" if "warm-up" in times else "")
                )
            for kind, times in medians.items():
                verdict = "met" if times["record"] <= 1.5 else "NOT met"
                print(
                    f"GOAL (c) {name}, {kind} kernel: manifest duration_s {times['record']:.2f} s, "
                    f"cells {times['cells']:.2f} s (goal <= 1.5 s) -> {verdict}"
                )


if __name__ == "__main__":
    main()

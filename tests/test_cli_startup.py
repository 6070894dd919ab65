"""The command line starts without pandas, scipy or matplotlib; every sub-command's help has examples.

Each command runs in a fresh interpreter, which then reports the heavy modules it
imported. The speed itself is measured by ``benchmarks/bench_startup.py``, not here.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest

from localise.cli import main

HEAVY = ("pandas", "scipy", "matplotlib", "sklearn", "statsmodels", "geopandas", "papermill")

PROBE = """
import json, runpy, sys
sys.argv = ["localise", *{argv!r}]
try:
    runpy.run_module("localise.cli", run_name="__main__")
except SystemExit as exit:
    code = exit.code
else:
    code = 0
sys.stderr.write("\\nPROBE " + json.dumps({{"code": code, "modules": sorted(sys.modules)}}) + "\\n")
"""


def _imports(*argv: str) -> tuple[int, set[str]]:
    completed = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=list(argv))], capture_output=True, text=True, timeout=120, check=False
    )
    line = next(line for line in completed.stderr.splitlines() if line.startswith("PROBE "))
    report = json.loads(line[len("PROBE ") :])
    return report["code"], {name.split(".")[0] for name in report["modules"]}


@pytest.mark.parametrize("argv", [("--help",), ("list",), ("run", "--dry-run"), ("run", "--help"), ("grid", "--help")])
def test_command_imports_no_heavy_library(argv):
    code, modules = _imports(*argv)
    assert code == 0
    assert not modules & set(HEAVY), f"localise {' '.join(argv)} imported {sorted(modules & set(HEAVY))}"


def test_probe_can_see_a_heavy_import():
    """The check above can fail: a command that reads a CSV is seen importing pandas."""
    code, modules = _imports("qca", "minimize", "no-such-file.csv", "--outcome", "Y")
    assert code == 2 and "pandas" in modules


@pytest.mark.parametrize(
    "package",
    [
        "localise.data",
        "localise.grid",
        "localise.qca",
        "localise.models",
        "localise.indicators",
        "localise.context",
        "localise.suite",
        "localise.cohesion",
    ],
)
def test_every_public_name_resolves(package):
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None, f"{package}.{name}"
    assert set(module.__all__) <= set(dir(module))
    with pytest.raises(AttributeError):
        _ = module.no_such_name


def test_notebook_style_imports_still_work():
    from localise.data import load_regional_panel  # noqa: F401
    from localise.grid import load_case_registry, typology  # noqa: F401

    assert typology.__name__ == "localise.grid.typology"


@pytest.mark.parametrize("command", ["run", "list", "data", "grid", "qca", "indicators", "cohesion"])
def test_sub_command_help_has_a_description_and_examples(command, capsys):
    with pytest.raises(SystemExit) as caught:
        main([command, "--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out
    assert f"localise {command} " in out.split("examples:", 1)[1]
    description = out.split("\n\n")[1]
    assert len(description.split()) >= 10, description

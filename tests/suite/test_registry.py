"""Registry validation: every bad entry is named with file and key, before anything runs."""

from __future__ import annotations

import pytest
from suite_helpers import GOOD_REGISTRY, make_suite, write_notebook

from localise.cli import main
from localise.errors import InputError
from localise.suite.registry import build_plan, notebook_parameters, output_name


@pytest.fixture()
def suite_dir(tmp_path):
    make_suite(tmp_path / "notebooks", GOOD_REGISTRY, tmp_path / "data")
    return tmp_path / "notebooks"


def test_parameters_are_read_with_types(suite_dir):
    parameters = notebook_parameters(suite_dir / "10_ok.ipynb")
    assert {name: p.type_name for name, p in parameters.items()} == {
        "x": "int",
        "name": "str",
        "items": "list",
        "ratio": "float",
        "data_dir": "str",
    }
    assert parameters["items"].default == [1, 2]


def test_plan_orders_dependencies_and_names_outputs(suite_dir):
    plan = build_plan(suite_dir / "suite.yml")
    outputs = [e.output for e in plan.executions]
    assert outputs == ["10_ok__name-first", "10_ok__name-second__x-2", "20_fail", "30_dependent", "40_independent"]
    by_output = plan.by_output()
    assert by_output["40_independent"].after == ["10_ok__name-first", "10_ok__name-second__x-2"]
    assert by_output["10_ok__name-second__x-2"].parameters == {"name": "second", "x": 2}


def test_output_name_is_deterministic_and_safe():
    assert output_name("07_country_profile", {"country": "DE"}) == "07_country_profile__country-DE"
    assert output_name("n", {"b": 1, "a": "x y/../z"}) == output_name("n", {"a": "x y/../z", "b": 1})
    assert "/" not in output_name("n", {"a": "../../etc"})


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("  bad:\n    notebook: 99_missing.ipynb\n", "notebooks.bad.notebook: unknown notebook '99_missing.ipynb'"),
        (
            "  bad:\n    notebook: 10_ok.ipynb\n    parameters: {nope: 1}\n",
            "notebooks.bad.parameters.nope: not a parameter",
        ),
        (
            "  bad:\n    notebook: 10_ok.ipynb\n    parameters: {x: 'one'}\n",
            "notebooks.bad.parameters.x: 'one': expected int",
        ),
        (
            "  bad:\n    notebook: 10_ok.ipynb\n    runs: [{ratio: yes}]\n",
            "notebooks.bad.runs[0].ratio: True: expected float",
        ),
        (
            "  bad:\n    notebook: 10_ok.ipynb\n    runs: [{items: 3}]\n",
            "notebooks.bad.runs[0].items: 3: expected a list",
        ),
        (
            "  bad:\n    notebook: 30_dependent.ipynb\n    after: [ghost]\n",
            "notebooks.bad.after: unknown notebook 'ghost'",
        ),
        ("  ../escape:\n    notebook: 30_dependent.ipynb\n", "notebooks.../escape: name must match"),
        ("  bad:\n    notebook: ../../outside.ipynb\n", "lies outside the notebooks folder"),
        ("  bad:\n    notebook: 10_ok.ipynb\n    colour: red\n", "notebooks.bad: unknown key(s) ['colour']"),
        (
            "  bad:\n    notebook: 30_dependent.ipynb\n    section: misc\n",
            "notebooks.bad.section: 'misc': expected one of",
        ),
        (
            "  bad:\n    notebook: 30_dependent.ipynb\n    description: [a, b]\n",
            "notebooks.bad.description: expected one line",
        ),
        (
            '  bad:\n    notebook: 30_dependent.ipynb\n    description: "a\\nb"\n',
            "notebooks.bad.description: expected one line",
        ),
    ],
)
def test_bad_entries_are_named(suite_dir, entry, expected):
    registry = suite_dir / "suite.yml"
    registry.write_text(GOOD_REGISTRY + entry, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        build_plan(registry)
    assert "suite.yml" in str(caught.value)
    assert expected in str(caught.value)


def test_duplicate_output_names_are_rejected(suite_dir):
    registry = suite_dir / "suite.yml"
    registry.write_text(
        "notebooks:\n  a:\n    notebook: 30_dependent.ipynb\n    runs: [{x: 1}, {x: 1}]\n", encoding="utf-8"
    )
    with pytest.raises(InputError, match="duplicate output name 'a__x-1'"):
        build_plan(registry)


def test_dependency_cycle_is_rejected(suite_dir):
    registry = suite_dir / "suite.yml"
    registry.write_text(
        "notebooks:\n  a:\n    notebook: 30_dependent.ipynb\n    after: [b]\n"
        "  b:\n    notebook: 40_independent.ipynb\n    after: [a]\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="dependency cycle"):
        build_plan(registry)


def test_all_problems_reported_at_once(suite_dir):
    registry = suite_dir / "suite.yml"
    registry.write_text(
        GOOD_REGISTRY + "  b1:\n    notebook: nope.ipynb\n  b2:\n    notebook: 10_ok.ipynb\n    parameters: {zzz: 1}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        build_plan(registry)
    assert "notebooks.b1.notebook" in str(caught.value) and "notebooks.b2.parameters.zzz" in str(caught.value)


def test_overrides_are_typed_and_checked(suite_dir):
    plan = build_plan(suite_dir / "suite.yml", overrides={"ratio": 2}, only=["10_ok"])
    assert all(e.parameters["ratio"] == 2 for e in plan.executions)
    with pytest.raises(InputError, match="-p ratio"):
        build_plan(suite_dir / "suite.yml", overrides={"ratio": "high"})
    with pytest.raises(InputError, match="-p unknown_parameter"):
        build_plan(suite_dir / "suite.yml", overrides={"unknown_parameter": 1})


def test_parameters_cell_must_hold_literals(tmp_path):
    notebook = write_notebook(tmp_path / "01_x.ipynb", "import os\nx = os.getcwd()")
    with pytest.raises(InputError, match="parameters cell line 1"):
        notebook_parameters(notebook)


def test_cli_exits_2_and_runs_nothing_on_bad_registry(suite_dir, tmp_path, capsys):
    registry = suite_dir / "suite.yml"
    registry.write_text(GOOD_REGISTRY + "  bad:\n    notebook: 10_ok.ipynb\n    parameters: {x: 'one'}\n")
    reports = tmp_path / "reports"
    code = main(["run", "--registry", str(registry), "--reports", str(reports)])
    assert code == 2
    assert "notebooks.bad.parameters.x" in capsys.readouterr().err
    assert not reports.exists()


def test_cli_list_shows_parameters_and_sets(suite_dir, capsys):
    assert main(["list", "--registry", str(suite_dir / "suite.yml")]) == 0
    out = capsys.readouterr().out
    assert "ratio: float = 0.5" in out
    assert "10_ok (10_ok.ipynb): 2 run(s)" in out

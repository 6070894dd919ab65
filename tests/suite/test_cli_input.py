"""Bad or surprising command-line input to ``localise run``: right labels, clear errors, nothing written.

Issue 16 ("Wrong labels"): ``-p country=PL`` ran Poland once per registered country
and filed it under the other countries' names; an unknown ``--profile`` was ignored;
``-p country=XX`` failed deep inside the notebook; ``--timeout 2.5`` made every
notebook fail. Each case below checks the exit code, the message and that nothing
was written under the reports folder.
"""

from __future__ import annotations

import csv

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from suite_helpers import GOOD_REGISTRY, make_suite

from localise import paths
from localise.cli import main
from localise.errors import InputError
from localise.suite.registry import build_plan

#: Like the real 07_country_profile entry: one run per country.
PER_COUNTRY = """
notebooks:
  10_ok:
    notebook: 10_ok.ipynb
    runs:
      - {name: FR}
      - {name: DE}
      - {name: PL}
    profiles:
      quick: {x: 2}
  40_independent:
    notebook: 40_independent.ipynb
    after: [10_ok]
"""


@pytest.fixture()
def suite(tmp_path):
    """A small notebooks folder (registry text set per test) and an empty reports folder path."""

    def make(registry_text: str = GOOD_REGISTRY):
        registry = make_suite(tmp_path / "notebooks", registry_text, tmp_path / "data")
        return registry, tmp_path / "reports"

    return make


def _run(registry, reports, *arguments: str) -> int:
    return main(["run", "--registry", str(registry), "--reports", str(reports), "--workers", "1", *arguments])


def _case_ids_of_cai_cities() -> list[str]:
    """CAI case ids read straight from the shipped case registry CSV (not through localise)."""
    path = paths.PROJECT_ROOT / "src" / "localise" / "grid" / "data" / "case_registry.csv"
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [row["case_id"] for row in rows if "CAI" in [group.strip() for group in row["group"].split(";")]]


# --- -p on a parameter the runs vary -------------------------------------------------------------


def test_p_on_varied_parameter_gives_one_run_named_after_the_value(suite):
    registry, _ = suite(PER_COUNTRY)
    plan = build_plan(registry, only=["10_ok"], overrides={"name": "SE"})
    assert [(e.output, e.parameters["name"]) for e in plan.executions] == [("10_ok__name-SE", "SE")]


def test_every_output_label_matches_the_parameters_it_ran_with(suite):
    registry, _ = suite(GOOD_REGISTRY)  # 10_ok runs vary name and x
    plan = build_plan(registry, overrides={"x": 5})
    for execution in plan.executions:
        for part in execution.output.split("__")[1:]:
            key, value = part.split("-", 1)
            assert str(execution.parameters[key]) == value, execution
    outputs = [e.output for e in plan.executions if e.name == "10_ok"]
    assert outputs == ["10_ok__name-first__x-5", "10_ok__name-second__x-5"]
    # the dependent waits for the renamed outputs
    assert plan.by_output()["40_independent"].after == outputs


def test_only_accepts_the_stem_before_the_override(suite):
    registry, _ = suite(PER_COUNTRY)
    plan = build_plan(registry, only=["10_ok__name-DE"], overrides={"name": "PL"})
    assert [e.output for e in plan.executions] == ["10_ok__name-PL"]
    registry, _ = suite(GOOD_REGISTRY)  # runs {name: first} and {name: second, x: 2}
    plan = build_plan(registry, only=["10_ok__name-first"], overrides={"name": "third"})
    assert [(e.output, e.parameters) for e in plan.executions] == [("10_ok__name-third", {"name": "third"})]


def test_real_registry_country_and_city(monkeypatch, tmp_path):
    indicators = [
        "unemployment_rate",
        "gdp_pps_per_inhabitant",
        "household_disposable_income_per_inhabitant",
        "adult_learning_rate",
    ]  # notebook 07's defaults (and unemployment_rate:F-M)
    _write_panel(
        tmp_path,
        [
            (geo, ind, sex, year, 4.0 + 3 * k + (sex == "F") * (k % 3))
            for k, geo in enumerate(["PL21", "PL22", "FR10", "FR20", "DE11"])
            for ind in indicators
            for sex in "TFM"
            for year in (2011, 2012, 2013)
        ],
    )
    monkeypatch.setenv("LOCALISE_DATA_PROCESSED", str(tmp_path))
    plan = build_plan(only=["07_country_profile"], overrides={"country": "PL"})
    assert [(e.output, e.parameters["country"]) for e in plan.executions] == [("07_country_profile__country-PL", "PL")]
    plan = build_plan(only=["09_active_inclusion"], overrides={"city": "IT_BOLOGNA"})
    assert [e.output for e in plan.executions] == ["09_active_inclusion__city-IT_BOLOGNA"]


def test_cli_dry_run_prints_one_correctly_named_run(suite, capsys):
    registry, reports = suite(PER_COUNTRY)
    assert _run(registry, reports, "--only", "10_ok", "-p", "name=SE", "--dry-run") == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("10_ok__name-SE: 10_ok.ipynb") and "'name': 'SE'" in out[0]
    assert not reports.exists()


# --- profiles ------------------------------------------------------------------------------------


def test_unknown_profile_is_an_error_naming_the_valid_ones(suite, capsys):
    registry, reports = suite(PER_COUNTRY)
    assert _run(registry, reports, "--profile", "quik") == 2
    err = capsys.readouterr().err
    assert "--profile quik: no entry of" in err and "profiles defined: quick" in err
    assert not reports.exists()


def test_unknown_profile_in_the_real_registry(capsys, tmp_path):
    assert main(["run", "--profile", "quik", "--reports", str(tmp_path / "r")]) == 2
    assert "profiles defined: quick" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_profile_that_the_selected_entries_lack_is_reported_not_fatal(suite, capsys):
    registry, reports = suite(PER_COUNTRY)
    assert _run(registry, reports, "--only", "40_independent", "--profile", "quick", "--dry-run") == 0
    err = capsys.readouterr().err
    assert "note: --profile quick: none of the selected entries defines it (defined by 10_ok)" in err


def test_profile_is_applied(suite):
    registry, _ = suite(PER_COUNTRY)
    plan = build_plan(registry, profile="quick", only=["10_ok"])
    assert {e.parameters["x"] for e in plan.executions} == {2}


# --- values checked against the data -------------------------------------------------------------


def test_choices_from_checks_p_values_before_anything_runs(suite, capsys):
    registry, reports = suite(
        "notebooks:\n  10_ok:\n    notebook: 10_ok.ipynb\n"
        "    choices_from: {name: 'localise.cohesion.active_inclusion:cai_case_ids'}\n"
    )
    expected = _case_ids_of_cai_cities()
    assert len(expected) == 9
    assert _run(registry, reports, "-p", "name=XX") == 2
    err = capsys.readouterr().err
    assert "-p name='XX': not an allowed value" in err
    assert "expected one of: " + ", ".join(expected) in err
    assert not reports.exists()
    plan = build_plan(registry, overrides={"name": expected[2]})
    assert plan.executions[0].parameters["name"] == expected[2]


def _write_panel(folder, rows):
    """A processed regional panel with the loader's columns; rows: (geo, indicator, sex, year, value)."""
    folder.mkdir(parents=True, exist_ok=True)
    columns = {
        name: []
        for name in ("geo", "country", "nuts_level", "year", "indicator", "sex", "unit", "value", "flags", "source")
    }
    for geo, indicator, sex, year, value in rows:
        for name, item in zip(columns, (geo, geo[:2], 2, year, indicator, sex, "PC", value, "", "test")):
            columns[name].append(item)
    pq.write_table(pa.table(columns), folder / "regional_panel_nuts2016.parquet")


def test_real_registry_rejects_a_country_without_data(monkeypatch, tmp_path, capsys):
    processed = tmp_path / "processed"
    # PL and FR have regions with the getting-started indicator; SE only with another one
    _write_panel(
        processed,
        [
            ("PL21", "unemployment_rate", "T", 2012, 9.0),
            ("FR10", "unemployment_rate", "T", 2012, 8.0),
            ("SE11", "arope", "T", 2012, 15.0),
        ],
    )
    monkeypatch.setenv("LOCALISE_DATA_PROCESSED", str(processed))
    reports = tmp_path / "reports"
    code = main(["run", "--only", "00_getting_started", "-p", "country=XX", "--reports", str(reports)])
    assert code == 2
    err = capsys.readouterr().err
    assert "-p country='XX': not an allowed value" in err and "for its indicator, sex" in err
    assert "expected one of: FR, PL" in err
    assert not reports.exists()
    assert main(["run", "--only", "00_getting_started", "-p", "country=SE", "--dry-run"]) == 2  # no such indicator
    assert main(["run", "--only", "00_getting_started", "-p", "country=SE", "-p", "indicator=arope", "--dry-run"]) == 0


def test_country_profile_needs_regions_with_every_indicator(monkeypatch, tmp_path, capsys):
    """07's country must have a region with all of the typology's indicators in the period."""
    processed = tmp_path / "processed"
    indicators = ["unemployment_rate", "arope"]
    rows = [
        (geo, ind, "T", year, 5.0 + i + j)
        for i, geo in enumerate(["PL21", "PL22", "FR10", "FR20", "DE11", "DE12"])
        for j, ind in enumerate(indicators)
        for year in (2011, 2012, 2013)
    ]
    rows += [("SE11", "unemployment_rate", "T", year, 7.0) for year in (2011, 2012, 2013)]  # no arope
    _write_panel(processed, rows)
    monkeypatch.setenv("LOCALISE_DATA_PROCESSED", str(processed))
    reports = tmp_path / "reports"
    base = [
        "run",
        "--only",
        "07_country_profile",
        "--reports",
        str(reports),
        "-p",
        "indicators=[unemployment_rate, arope]",
    ]
    assert main([*base, "-p", "country=SE"]) == 2
    err = capsys.readouterr().err
    assert "-p country='SE': not an allowed value" in err and "expected one of: DE, FR, PL" in err
    assert not reports.exists()
    assert main([*base, "-p", "country=PL", "--dry-run"]) == 0
    assert main([*base, "-p", "indicators=[unemployment_rate]", "-p", "country=SE", "--dry-run"]) == 0


def test_norway_is_a_country_not_a_boolean(suite, capsys):
    registry, reports = suite(PER_COUNTRY)
    assert _run(registry, reports, "--only", "10_ok", "-p", "name=NO", "--dry-run") == 0
    assert capsys.readouterr().out.startswith("10_ok__name-NO: ")
    plan = build_plan(registry, only=["10_ok"], overrides={"name": "NO"})
    assert plan.executions[0].parameters["name"] == "NO"


def test_regional_countries_reads_the_panel_or_names_the_demo(monkeypatch, tmp_path):
    from localise.data import demo
    from localise.data.loaders import regional_countries

    monkeypatch.setenv("LOCALISE_DATA_PROCESSED", str(tmp_path))
    assert regional_countries() == sorted(demo.DEMO_COUNTRIES)
    assert not list(tmp_path.iterdir())  # nothing generated just to list the countries
    _write_panel(
        tmp_path,
        [
            ("SE11", "arope", "T", 2012, 1.0),
            ("AT11", "arope", "F", 2012, 1.0),
            ("AT12", "unemployment_rate", "T", 2012, 1.0),
        ],
    )
    assert regional_countries() == ["AT", "SE"]
    assert regional_countries(indicator="arope", sex="T") == ["SE"]
    assert regional_countries(indicator="unemployment_rate") == ["AT"]


def test_static_choices_check_registry_and_p_values(suite, capsys):
    registry, reports = suite(
        "notebooks:\n  10_ok:\n    notebook: 10_ok.ipynb\n    choices: {name: [a, b]}\n    runs: [{name: a}, {name: c}]\n"
    )
    with pytest.raises(InputError, match=r"notebooks.10_ok.runs\[1\].name: name='c': not an allowed value"):
        build_plan(registry)
    registry.write_text(
        "notebooks:\n  10_ok:\n    notebook: 10_ok.ipynb\n    choices: {name: [a, b], items: [1, 2, 3]}\n"
    )
    assert _run(registry, reports, "-p", "name=z") == 2
    assert "-p name='z': not an allowed value" in capsys.readouterr().err
    assert _run(registry, reports, "-p", "items=[1, 4]") == 2  # a list is checked item by item
    assert "items=4" in capsys.readouterr().err
    assert not reports.exists()


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ("choices_from: {name: 'os:system'}", "expected 'localise.module:function'"),
        ("choices_from: {nope: 'localise.data.loaders:regional_countries'}", "choices_from.nope: not a parameter"),
        ("choices: {name: []}", "choices.name: expected a non-empty list"),
        ("timeout: 2.5", "timeout: 2.5: expected a whole number of seconds"),
        ("timeout: 0", "timeout: 0: expected a whole number of seconds"),
    ],
)
def test_bad_choices_and_timeouts_in_the_registry(suite, block, expected):
    registry, _ = suite(f"notebooks:\n  10_ok:\n    notebook: 10_ok.ipynb\n    {block}\n")
    with pytest.raises(InputError) as caught:
        build_plan(registry)
    assert "suite.yml: notebooks.10_ok." in str(caught.value) and expected in str(caught.value)


def test_choices_from_that_cannot_be_called_is_named(suite):
    registry, _ = suite(
        "notebooks:\n  10_ok:\n    notebook: 10_ok.ipynb\n    choices_from: {name: 'localise.data.loaders:no_such'}\n"
    )
    with pytest.raises(
        InputError, match="notebooks.10_ok.choices_from.name: cannot call localise.data.loaders:no_such"
    ):
        build_plan(registry, overrides={"name": "x"})


# --- --timeout and --workers -----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2.5", "0", "-3", "ten"])
def test_timeout_must_be_a_whole_number_of_seconds(suite, capsys, value):
    registry, reports = suite()
    with pytest.raises(SystemExit) as caught:
        _run(registry, reports, f"--timeout={value}")
    assert caught.value.code == 2
    assert f"argument --timeout: '{value}': expected a whole number of seconds (at least 1)" in capsys.readouterr().err
    assert not reports.exists()


def test_workers_must_be_positive(suite, capsys):
    registry, reports = suite()
    with pytest.raises(SystemExit) as caught:
        main(["run", "--registry", str(registry), "--reports", str(reports), "--workers", "0"])
    assert caught.value.code == 2 and "argument --workers: '0'" in capsys.readouterr().err
    assert not reports.exists()

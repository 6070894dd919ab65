"""Active inclusion dashboard on small panels of the data API schema."""

from __future__ import annotations

import pandas as pd
import pytest

from localise.cohesion.active_inclusion import CAI_CITIES, dashboard, pillars, plot_trends


def _panel(geo, country, level, values, flags=None):
    rows = []
    for (ind, year), v in values.items():
        rows.append(
            dict(
                geo=geo,
                country=country,
                nuts_level=level,
                year=year,
                indicator=ind,
                sex="T",
                unit="PC",
                value=v,
                flags=(flags or {}).get((ind, year), ""),
                source="t",
            )
        )
    return pd.DataFrame(rows)


def test_dashboard_region_country_eu_and_breaks():
    reg = _panel(
        "ES51",
        "ES",
        2,
        {("unemployment_rate", 2010): 17.0, ("unemployment_rate", 2011): 19.0, ("arope", 2011): 25.0},
        flags={("unemployment_rate", 2011): "b"},
    )
    reg = pd.concat([reg, _panel("ES30", "ES", 2, {("unemployment_rate", 2011): 15.0})])
    ctry = pd.concat(
        [
            _panel("ES", "ES", 0, {("unemployment_rate", 2011): 21.0, ("neet_rate", 2011): 18.0}),
            _panel("EU28", "EU", 0, {("unemployment_rate", 2011): 9.7}),
        ]
    )
    prof = dashboard("Barcelona", reg, ctry, nuts2="ES51", country="ES")
    assert prof.eu_geo == "EU28"
    assert set(prof.data["geo"]) == {"ES51", "ES", "EU28"}
    assert prof.breaks()[["geo", "year"]].values.tolist() == [["ES51", 2011]]
    latest = prof.latest()
    row = latest.loc[("inclusive labour markets", "unemployment_rate")]
    assert (row["region"], row["country"], row["EU"]) == (19.0, 21.0, 9.7)
    assert row["breaks in region series"] == 1
    assert "severe_material_deprivation_rate" in prof.missing
    assert plot_trends(prof) is not None


def test_pillars_and_cities():
    p = pillars()
    assert set(p["pillar"]) == {"inclusive labour markets", "adequate income support", "access to quality services"}
    assert len(CAI_CITIES) == 9


def test_registry_guard():
    from localise.errors import DataUnavailableError

    try:
        from localise.grid import load_case_registry  # noqa: F401
    except ImportError:
        with pytest.raises(DataUnavailableError, match="case registry"):
            dashboard("Barcelona", pd.DataFrame(), pd.DataFrame())
    else:
        from localise.cohesion.active_inclusion import cai_cases

        assert len(cai_cases()) == 9
        assert set(cai_cases()["name"].str.split(" ").str[0]) >= {"Barcelona", "Sofia", "Stockholm"}


def test_suite_runs_use_registry_case_ids():
    import yaml

    from localise import paths

    suite = yaml.safe_load((paths.notebooks_dir() / "suite.yml").read_text(encoding="utf-8"))
    runs = [r["city"] for r in suite["notebooks"]["09_active_inclusion"]["runs"]]
    from localise.cohesion.active_inclusion import cai_cases, resolve_city

    assert sorted(runs) == sorted(cai_cases()["case_id"])
    assert resolve_city("Barcelona")["case_id"] == resolve_city("es_barcelona")["case_id"]


def test_fallback_without_registry_keeps_country_and_eu(monkeypatch):
    import localise.cohesion.active_inclusion as ai
    from localise.errors import DataUnavailableError

    def missing(city):
        raise DataUnavailableError("the grid's case registry is not available")

    monkeypatch.setattr(ai, "resolve_city", missing)
    reg = _panel("NL33", "NL", 2, {("unemployment_rate", 2011): 7.0})
    ctry = pd.concat(
        [
            _panel("NL", "NL", 0, {("unemployment_rate", 2011): 5.0}),
            _panel("EU28", "EU", 0, {("unemployment_rate", 2011): 9.7}),
        ]
    )
    prof = ai.city_dashboard("NL_ROTTERDAM", reg, ctry)
    assert prof.nuts2 is None and prof.country == "NL"
    assert set(prof.data["level"]) == {"country", "EU"}
    assert "registry" in prof.summary()


# ----------------------------------------------------------------------------- issue 13: same year, rates
def test_latest_compares_levels_in_one_year_only():
    # The old dashboard took each level's own latest year: Spain 2013 beside Cataluña 2019.
    reg = _panel("ES51", "ES", 2, {("unemployment_rate", 2013): 23.1, ("unemployment_rate", 2019): 11.0})
    ctry = pd.concat(
        [
            _panel("ES", "ES", 0, {("unemployment_rate", 2013): 26.4}),
            _panel("EU28", "EU", 0, {("unemployment_rate", 2013): 10.8}),
        ]
    )
    prof = dashboard("Barcelona", reg, ctry, nuts2="ES51", country="ES")
    row = prof.latest().loc[("inclusive labour markets", "unemployment_rate")]
    assert row["year"] == 2013
    assert (row["region"], row["country"], row["EU"]) == (23.1, 26.4, 10.8)
    assert row["not in reference year"] == ""


def test_same_year_without_a_common_year_names_the_missing_level():
    from localise.cohesion.active_inclusion import same_year

    rows = pd.DataFrame(
        {
            "pillar": "p",
            "indicator": "x",
            "level": ["region", "region", "country", "EU"],
            "year": [2014, 2015, 2015, 2012],
            "value": [1.0, 2.0, 3.0, 4.0],
        }
    )
    row = same_year(rows).loc[("p", "x")]
    assert row["year"] == 2015 and (row["region"], row["country"]) == (2.0, 3.0)
    assert pd.isna(row["EU"]) and row["not in reference year"] == "EU"


def test_employment_enters_as_a_rate_not_a_count():
    p = pillars()
    assert "employment_thousands" not in set(p["indicator"])
    reg = _panel(
        "ES51", "ES", 2, {("employment_thousands", 2015): 3077.7, ("active_population_thousands", 2015): 3781.0}
    )
    ctry = _panel(
        "ES", "ES", 0, {("employment_thousands", 2015): 17866.0, ("active_population_thousands", 2015): 22922.0}
    )
    prof = dashboard("Barcelona", reg, ctry, nuts2="ES51", country="ES")
    assert not prof.data["indicator"].str.endswith("_thousands").any()
    row = prof.latest().loc[("inclusive labour markets", "employment_active_ratio")]
    assert row["region"] == pytest.approx(100 * 3077.7 / 3781.0)
    assert row["country"] == pytest.approx(100 * 17866.0 / 22922.0)


def test_pillars_refuse_a_head_count(monkeypatch, tmp_path):
    import localise.cohesion as cohesion
    from localise.errors import InputError

    yml = tmp_path / "active_inclusion_pillars.yml"
    yml.write_text(
        "version: 2\npillars:\n  labour:\n    employment_thousands: {label: Employment, better: higher}\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(cohesion, "package_data", lambda name: yml)
    with pytest.raises(InputError, match="head-count"):
        pillars()


def test_city_values_join_only_when_the_code_checks_out():
    from localise.cohesion.active_inclusion import add_city_values, city_vs_region_extract

    reg = _panel("ES51", "ES", 2, {("unemployment_rate", 2013): 23.1})
    ctry = _panel("ES", "ES", 0, {("unemployment_rate", 2013): 26.4})
    cities = pd.DataFrame(
        {
            "city_code": "ES002C",
            "city_name": "Barcelona",
            "wikidata_id": "Q1492",
            "country": "ES",
            "indicator_code": "EC1020I",
            "indicator_label": "Unemployment rate (%)",
            "unit": "PC",
            "year": pd.array([2013, 2024], dtype="Int64"),
            "year_note": "",
            "value": [21.81, 7.92],
            "origin": "Urban Audit via third-party extract",
        }
    )
    records = pd.DataFrame(
        {
            "wikidata_id": ["Q1492", "Q1792"],
            "city_code": ["ES002C", "PL006C"],
            "country": ["ES", "PL"],
            "n_values": [2, 0],
            "in_code_list_2019": True,
            "name_2019": ["Barcelona", "Gdansk"],
            "code_note": "",
        }
    )
    case = pd.Series({"case_id": "ES_BARCELONA", "name": "Barcelona", "urban_audit_code": "ES002C1"})
    prof = add_city_values(dashboard("Barcelona", reg, ctry, nuts2="ES51", country="ES"), case, cities, records)
    assert prof.city_status == "present"
    row = prof.latest().loc[("inclusive labour markets", "unemployment_rate")]
    assert (row["year"], row["city"], row["region"], row["country"]) == (2013, 21.81, 23.1, 26.4)
    regions = pd.DataFrame(
        {"geo": "ES51", "indicator": "unemployment_rate", "year": [2013, 2024], "value": [23.1, 8.9]}
    )
    pair = city_vs_region_extract(prof, regions).iloc[0]
    assert (pair["year"], pair["city"], pair["region"]) == (2024, 7.92, 8.9)

    gdansk = pd.Series({"case_id": "PL_GDANSK", "name": "Gdańsk", "urban_audit_code": "PL006C1"})
    prof = add_city_values(dashboard("Gdansk", reg, ctry, nuts2="ES51", country="ES"), gdansk, cities, records)
    assert prof.city_status == "empty record" and "city" not in set(prof.data["level"])
    assert "empty record" in prof.summary()

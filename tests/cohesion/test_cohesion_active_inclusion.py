"""Active inclusion dashboard on small panels of the data API schema."""

from __future__ import annotations

import pandas as pd
import pytest

from localise.cohesion.active_inclusion import CAI_CITIES, dashboard, pillars, plot_trends


def _panel(geo, country, level, values, flags=None):
    rows = []
    for (ind, year), v in values.items():
        rows.append(dict(geo=geo, country=country, nuts_level=level, year=year, indicator=ind, sex="T", unit="PC",
                         value=v, flags=(flags or {}).get((ind, year), ""), source="t"))
    return pd.DataFrame(rows)


def test_dashboard_region_country_eu_and_breaks():
    reg = _panel("ES51", "ES", 2, {("unemployment_rate", 2010): 17.0, ("unemployment_rate", 2011): 19.0,
                                   ("arope", 2011): 25.0}, flags={("unemployment_rate", 2011): "b"})
    reg = pd.concat([reg, _panel("ES30", "ES", 2, {("unemployment_rate", 2011): 15.0})])
    ctry = pd.concat([
        _panel("ES", "ES", 0, {("unemployment_rate", 2011): 21.0, ("neet_rate", 2011): 18.0}),
        _panel("EU28", "EU", 0, {("unemployment_rate", 2011): 9.7}),
    ])
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
    ctry = pd.concat([_panel("NL", "NL", 0, {("unemployment_rate", 2011): 5.0}),
                      _panel("EU28", "EU", 0, {("unemployment_rate", 2011): 9.7})])
    prof = ai.city_dashboard("NL_ROTTERDAM", reg, ctry)
    assert prof.nuts2 is None and prof.country == "NL"
    assert set(prof.data["level"]) == {"country", "EU"}
    assert "registry" in prof.summary()

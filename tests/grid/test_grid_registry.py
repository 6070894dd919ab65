"""Case registry: format, researchers' own cases, and codes cross-checked with the data mirror."""

from __future__ import annotations

import pandas as pd
import pytest

from localise.errors import InputError
from localise.grid import load_case_registry

ISSUE_CITIES = {
    "CAI": {
        "Barcelona",
        "Birmingham",
        "Bologna",
        "Brno",
        "Copenhagen",
        "Lille-Roubaix (Lille Métropole)",
        "Rotterdam",
        "Sofia",
        "Stockholm",
    },
    "SPIRAL": {"Mulhouse"},
    "SPC summit": {
        "Bilbao",
        "Bratislava",
        "Gdańsk",
        "Groningen",
        "Ljubljana",
        "Leuven",
        "Mariehamn",
        "Umeå",
        "Nicosia",
        "Prague",
    },
}


def test_registry_lists_the_issue_cities_with_sources():
    registry = load_case_registry()
    for group, names in ISSUE_CITIES.items():
        assert set(registry.loc[registry["group"] == group, "name"]) == names
    assert registry["case_id"].is_unique
    assert (registry["source"].str.len() > 10).all()
    assert registry.attrs["synthetic"] is False


def test_extra_cases_appended_and_checked(tmp_path):
    extra = tmp_path / "my_cases.csv"
    extra.write_text(
        "case_id,name,country,nuts2_2016,group,source\nDE_X,Some city,DE,DE94,LOCALISE,Interview report 2013\n",
        encoding="utf-8",
    )
    registry = load_case_registry(extra=extra)
    assert registry["case_id"].iloc[-1] == "DE_X"
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "case_id,name,country,nuts2_2016,group,source\nSE_UMEA,Umeå again,SE,SE33,x,y\nDE_Y,City,DE,FR10,LOCALISE,\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        load_case_registry(extra=bad)
    message = str(info.value)
    assert "bad.csv:3:source: empty source" in message
    assert "does not belong to country 'DE'" in message
    assert "'SE_UMEA' already defined" in message


@pytest.mark.mirror
def test_codes_exist_in_mirror_lists(mirror_dir):
    registry = load_case_registry()
    nuts = pd.read_csv(mirror_dir / "nuts" / "nuts_changes_1999_2021_tidy_rOpenGov_regions.csv", dtype=str)
    level2 = nuts[nuts["typology"] == "nuts_level_2"].set_index("code_2016")["geo_name_2016"]
    ua = pd.read_csv(mirror_dir / "city" / "urban_audit_city_fua_codes_2019.csv", dtype=str, keep_default_na=False)
    ua_names = dict(zip(ua["city_code"], ua["fua"]))
    ua_country = dict(zip(ua["city_code"], ua["country_code"]))
    for row in registry.itertuples():
        assert row.nuts2_2016 in level2.index, f"{row.case_id}: {row.nuts2_2016} is not a NUTS 2016 level-2 code"
        assert level2[row.nuts2_2016] == row.nuts2_name, row.case_id
        if row.urban_audit_code:
            assert row.urban_audit_code in ua_names, f"{row.case_id}: {row.urban_audit_code} not in Urban Audit list"
            assert ua_names[row.urban_audit_code] == row.urban_audit_name
            assert ua_country[row.urban_audit_code] == row.country
        else:
            # only Mariehamn lacks a code: check that it really is absent from the list
            assert row.case_id == "FI_MARIEHAMN"
            assert not ua["fua"].str.contains("Mariehamn").any()

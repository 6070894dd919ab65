"""Urban Audit extract loader: values against the raw JSON, code checks, malformed files.

External expected values: numbers read by hand from the mirror's
``city/urban_audit_extract/*.json`` (Barcelona ES002C, Sofia BG001C, Brno CZ002C,
Cataluña ES51), the mirror README's list of present, empty and absent seed cities, and
Eurostat's ``tgs00010`` bulk file in the mirror for the regional unemployment rate.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from localise.data import urban_audit as ua
from localise.data.eurostat import read_eurostat_tsv
from localise.errors import InputError

pytestmark = pytest.mark.mirror


@pytest.fixture(scope="module")
def code_list(mirror_dir):
    return ua.read_code_list(mirror_dir / ua.CODE_LIST_FILE)


@pytest.fixture(scope="module")
def cities(mirror_dir, code_list):
    return ua.read_cities(mirror_dir / ua.CITIES_FILE, code_list)


@pytest.fixture(scope="module")
def records(mirror_dir, code_list):
    return ua.city_records(mirror_dir / ua.CITIES_FILE, code_list)


def _value(frame, code, indicator, year):
    hit = frame[(frame["city_code"] == code) & (frame["indicator_code"] == indicator)]
    hit = hit[hit["year"].isna()] if year is None else hit[hit["year"] == year]
    assert len(hit) == 1, (code, indicator, year)
    return hit.iloc[0]


@pytest.mark.parametrize(
    ("code", "indicator", "year", "value"),
    [
        ("ES002C", "EC1020I", 2013, 21.81),  # Barcelona unemploymentHistory, first entry
        ("ES002C", "EC1020I", 2024, 7.92),  # Barcelona unemploymentPct (latest)
        ("ES002C", "EC1001I", 2018, 58.03),  # Barcelona activityRate
        ("BG001C", "EC3039V", 2011, 3257.0),  # Sofia medianIncome
        ("CZ002C", "EC1020I", 2011, 9.37),  # Brno: 2011 is its latest year
    ],
)
def test_spot_values_from_raw_json(cities, code, indicator, year, value):
    row = _value(cities, code, indicator, year)
    assert row["value"] == value
    assert row["origin"].startswith("Urban Audit via third-party extract")


def test_barcelona_round_trip_against_json(mirror_dir, cities):
    raw = json.loads((mirror_dir / ua.CITIES_FILE).read_text(encoding="utf-8"))["Q1492"]
    assert raw["eurostatCode"] == "ES002C"
    got = cities[(cities["city_code"] == "ES002C") & (cities["indicator_code"] == "EC1020I")]
    assert list(zip(got["year"].astype(int), got["value"])) == [tuple(p) for p in raw["unemploymentHistory"]]
    assert set(got["city_name"]) == {"Barcelona"}
    # median income and poverty are null in the record: no rows, nothing invented
    assert cities[(cities["city_code"] == "ES002C") & cities["indicator_code"].isin(["EC3039V", "EC3065V"])].empty


def test_single_value_without_stated_year_keeps_no_year(cities):
    # Brno povertyPct is 10 with povertyHistory null; the record year (2011) belongs to unemployment
    row = _value(cities, "CZ002C", "EC3065V", None)
    assert row["value"] == 10.0 and "does not state" in row["year_note"]


def test_region_values_match_eurostat_bulk_file(mirror_dir):
    regions = ua.read_regions(mirror_dir / ua.REGIONS_FILE)
    es51 = regions[(regions["geo"] == "ES51") & (regions["indicator"] == "unemployment_rate")].set_index("year")[
        "value"
    ]
    assert es51[2019] == 11.0 and es51[2024] == 8.9  # read from eurostat-regions.json
    tsv = read_eurostat_tsv(mirror_dir / "eurostat/tgs00010.tsv.gz")
    ref = tsv[(tsv["geo"] == "ES51") & (tsv["sex"] == "T") & (tsv["time"] == "2017")]["value"].iloc[0]
    assert es51[2017] == pytest.approx(ref, abs=0.05)


def test_case_checks_report_every_seed_city(records, code_list):
    from localise.grid import load_case_registry

    registry = load_case_registry()
    check = ua.check_cases(records, registry, code_list).set_index("case_id")
    assert len(check) == len(registry)
    assert check.loc["PL_GDANSK", "status"] == "empty record"
    assert "PL006C" in check.loc["PL_GDANSK", "detail"]
    assert check.loc["DK_COPENHAGEN", "status"] == "absent"
    assert "DK001C" in check.loc["DK_COPENHAGEN", "detail"] and "København" in check.loc["DK_COPENHAGEN", "detail"]
    assert check.loc["FR_LILLE_ROUBAIX", "status"] == "matched by name, not verified"
    assert check.loc["FI_MARIEHAMN", "status"] == "no Urban Audit code"
    for absent in ("NL_ROTTERDAM", "NL_GRONINGEN", "SE_UMEA", "ES_BILBAO", "FR_MULHOUSE"):
        assert check.loc[absent, "status"] == "absent", absent
    for present in (
        "ES_BARCELONA",
        "UK_BIRMINGHAM",
        "IT_BOLOGNA",
        "CZ_BRNO",
        "BG_SOFIA",
        "SE_STOCKHOLM",
        "SK_BRATISLAVA",
        "SI_LJUBLJANA",
        "CY_NICOSIA",
        "CZ_PRAGUE",
        "BE_LEUVEN",
    ):
        assert check.loc[present, "status"] == "present", present


def test_empty_records_are_listed_not_dropped(records, cities):
    gdansk = records[records["city_code"] == "PL006C"].iloc[0]
    assert gdansk["n_values"] == 0 and gdansk["wikidata_id"] == "Q1792"
    assert "PL006C" not in set(cities["city_code"])
    assert len(records) == 524 and int((records["n_values"] == 0).sum()) == len(records) - cities["city_code"].nunique()


# ----------------------------------------------------------------------------- malformed input
def _record(**overrides):
    rec = {"eurostatCode": "XX001C", "country": "XX", "year": 2020}
    for ind in ua.CITY_INDICATORS:
        rec[ind.key] = None
        rec[ind.history_key] = None
    rec.update(overrides)
    return rec


def _write(tmp_path: Path, doc) -> Path:
    path = tmp_path / "eurostat-cities.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


def test_not_json_names_the_file(tmp_path):
    path = _write(tmp_path, "{not json")
    with pytest.raises(InputError, match="eurostat-cities.json.*not valid JSON"):
        ua.read_cities(path)


def test_missing_key_names_record_and_key(tmp_path):
    rec = _record()
    del rec["povertyHistory"]
    with pytest.raises(InputError, match=r"record 'Q1'.*povertyHistory"):
        ua.read_cities(_write(tmp_path, {"Q1": rec}))


def test_bad_history_entry_names_record_and_key(tmp_path):
    rec = _record(unemploymentPct=5.0, unemploymentHistory=[[2019, "5%"], [2020, 5.0]])
    with pytest.raises(InputError, match=r"record 'Q1', key 'unemploymentHistory'"):
        ua.read_cities(_write(tmp_path, {"Q1": rec}))


def test_bad_code_and_latest_history_mismatch(tmp_path):
    with pytest.raises(InputError, match="eurostatCode"):
        ua.read_cities(_write(tmp_path, {"Q1": _record(eurostatCode="Barcelona")}))
    rec = _record(unemploymentPct=6.0, unemploymentHistory=[[2019, 5.0], [2020, 5.5]])
    with pytest.raises(InputError, match="unemploymentPct"):
        ua.read_cities(_write(tmp_path, {"Q1": rec}))


def test_year_of_single_values(tmp_path):
    rec = _record(year=2015, activityRate=60.0, povertyPct=12.0)
    frame = ua.read_cities(_write(tmp_path, {"Q1": rec})).set_index("indicator_code")
    assert frame.loc["EC1001I", "year"] == 2015  # first indicator present: the record year is its year
    assert pd.isna(frame.loc["EC3065V", "year"])  # a later one: year unknown


def test_build_tables_skips_when_not_fetched(tmp_path):
    assert ua.build_tables(tmp_path) == {}

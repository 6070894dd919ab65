"""Governance data layer against the real mirror: EQI, RAI, LAI, IMF FD, CWS.

External expected values: the spot values quoted in the mirror's README (section
"governance/"), the raw files themselves (read here with the csv module or plain pandas,
independently of the loaders), the IMF metadata file's ISO-2 codes and pycountry's ISO
3166 lists. Bad input must raise InputError naming file, column and code, and leave
data/processed/ untouched.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pycountry
import pytest

from localise.atomic import sha256_file
from localise.data import catalogue, crosswalk, fetch, governance
from localise.errors import InputError

pytestmark = pytest.mark.mirror

GOV_IDS = ["eqi", "rai", "lai", "imf_fd", "cws"]
NUTS_FILES = [
    "nuts_changes_1999_2021_tidy_rOpenGov_regions.csv",
    "nuts_changes_2010_2013.xls",
    "nuts_changes_2013_2016.xlsx",
    "nuts_changes_2016_2021.xlsx",
]


def _setup_raw(mirror: Path, root: Path, mp: pytest.MonkeyPatch) -> None:
    mp.setenv("LOCALISE_DATA_RAW", str(root / "raw"))
    mp.setenv("LOCALISE_DATA_PROCESSED", str(root / "processed"))
    mp.delenv("LOCALISE_DATA_MIRROR", raising=False)
    mp.delenv("LOCALISE_INPUTS_LOG", raising=False)
    fetch.fetch_all(mirror=mirror, only=GOV_IDS)
    (root / "raw" / "nuts").mkdir(parents=True, exist_ok=True)
    for name in NUTS_FILES:  # test scaffolding: the NUTS tables the EQI recoding reads
        shutil.copyfile(mirror / "nuts" / name, root / "raw" / "nuts" / name)


@pytest.fixture(scope="module")
def built(mirror_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("governance")
    mp = pytest.MonkeyPatch()
    _setup_raw(mirror_dir, root, mp)
    with pytest.warns(governance.UnmatchedCodesWarning, match="HR02"):
        written = governance.write_governance()
    yield root, written
    mp.undo()


@pytest.fixture()
def env(built, monkeypatch):
    root = built[0]
    monkeypatch.setenv("LOCALISE_DATA_RAW", str(root / "raw"))
    monkeypatch.setenv("LOCALISE_DATA_PROCESSED", str(root / "processed"))
    return root


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*")) if p.is_file()}


# ----------------------------------------------------------------------------- catalogue and fetch
def test_catalogue_entries_and_manifest(built, env, mirror_dir):
    sources = catalogue.governance_sources()
    assert sorted(sources) == sorted(GOV_IDS)
    manifest = fetch.read_manifest()
    files = []
    for key, entry in sources.items():
        for field in ("title", "publisher", "citation", "licence", "vintage", "files"):
            assert entry.get(field), (key, field)
        for rel in entry["files"]:
            files.append(rel)
            assert manifest[rel]["sha256"] == sha256_file(mirror_dir / rel)  # copied unchanged
            assert manifest[rel]["source"] == f"mirror:{rel}" and manifest[rel]["vintage"] == entry["vintage"]
    assert sorted(files) == sorted(governance.GOVERNANCE_FILES.values())


def test_loaders_and_codebook(env):
    from localise.data import governance_codebook, has_governance_data, load_governance_country_year

    assert has_governance_data()
    table = load_governance_country_year()
    need = ["country", "iso3", "country_name", "year", "lai", "rai", "rai_self_rule", "rai_shared_rule"]
    need += [f"rai_{d}" for d in governance.RAI_DIMENSIONS]
    need += [
        f"imf_{i}_{s}"
        for i in ("sd", "rd", "taxd", "sp", "health", "edu")
        for s in ("local", "subnational", "state", "central")
    ]
    need += ["cws_social_spending_gdp", "cws_lis_gini", "cws_lis_poverty", "cws_unemployment_replacement"]
    assert [c for c in need if c not in table.columns] == []
    assert table["year"].dtype == "int64" and not table.duplicated(["country", "year"]).any()
    assert table.attrs["synthetic"] is False
    codebook = governance_codebook()
    assert list(codebook.columns) == ["variable", "source", "description", "unit", "years", "countries"]
    assert set(table.columns) <= set(codebook["variable"])
    sd = codebook.set_index("variable").loc["imf_sd_local"]
    assert sd["description"].startswith("Expenditure decentralization (ratio of own spending")  # metadata text
    assert codebook.set_index("variable").loc["lai", "years"] == "1990, 2000, 2010, 2014"
    greece = load_governance_country_year(countries="GR")
    assert set(greece["country"]) == {"EL"} and set(greece["iso3"]) == {"GRC"}
    with pytest.raises(InputError, match="'XX'"):
        load_governance_country_year(countries=["XX"])


def test_loaders_without_processed_files_name_the_fix(tmp_path, monkeypatch):
    from localise.data import has_governance_data, load_eqi_regions, load_governance_country_year

    monkeypatch.setenv("LOCALISE_DATA_PROCESSED", str(tmp_path))
    assert not has_governance_data()
    for loader in (load_governance_country_year, load_eqi_regions, governance.governance_codebook):
        with pytest.raises(InputError, match="localise data prepare"):
            loader()


# ----------------------------------------------------------------------------- spot values (mirror README)
def test_rai_spot_values_and_raw_cells(env, mirror_dir):
    from localise.data import load_governance_country_year

    table = load_governance_country_year().set_index(["country", "year"])
    for key, value in {
        ("BE", 2010): 33.93,
        ("ES", 2018): 35.60,
        ("UK", 2018): 9.59,
        ("SE", 2018): 12.0,
        ("FR", 2018): 21.85,
    }.items():
        assert table.loc[key, "rai"] == pytest.approx(value, abs=1e-9), key
    # every cell of the in-scope rows equals the raw file; repeated names: the FIRST column is used
    with open(mirror_dir / governance.GOVERNANCE_FILES["rai"], newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    assert header.count("n_representation") == 2 and header.count("n_lawmaking") == 2
    first = {name: header.index(name) for name in header}
    iso3 = dict(zip(crosswalk.COUNTRIES["iso3"], crosswalk.COUNTRIES["country"])) | {"KOS": "XK"}
    checked = 0
    for row in rows[1:]:
        code = iso3.get(row[first["abbr_country"]])
        if code is None:
            continue
        got = table.loc[(code, int(row[first["year"]]))]
        assert got["rai"] == float(row[first["n_RAI"]])
        for dim in governance.RAI_DIMENSIONS:
            assert got[f"rai_{dim}"] == float(row[first[f"n_{dim}"]]), (code, dim)
        checked += 1
    assert checked == int(table["rai"].notna().sum()) > 1500


def test_lai_spot_values_quirks_and_no_interpolation(env):
    from localise.data import load_governance_country_year

    table = load_governance_country_year()
    lai = table[table["lai"].notna()]
    assert set(lai["year"]) == {1990, 2000, 2010, 2014}
    indexed = lai.set_index(["country", "year"])["lai"]
    assert indexed[("CH", 2014)] == 77.1 and indexed[("IE", 2014)] == 33.1
    assert indexed[("MD", 2014)] == 34.51 and indexed[("RO", 1990)] == 28.07  # MDV and ROM in the raw file
    assert table[(table["country"] == "SE") & (table["year"] == 2005)]["lai"].isna().all()


def test_imf_spot_values(env):
    from localise.data import load_governance_country_year

    table = load_governance_country_year().set_index(["country", "year"])
    for country, value in {"SE": 0.506, "UK": 0.242, "DE": 0.174}.items():
        assert round(table.loc[(country, 2016), "imf_sd_local"], 3) == value, country
    # shares are not consolidated across levels (mirror README): Denmark central and local sp > 1 together
    dk = table.loc[("DK", 2016)]
    assert dk["imf_sp_central"] + dk["imf_sp_local"] > 1


def test_cws_spot_value(env):
    from localise.data import load_governance_country_year

    table = load_governance_country_year().set_index(["country", "year"])
    assert table.loc[("SE", 2000), "cws_lis_gini"] == 0.252


# ----------------------------------------------------------------------------- crosswalk
def test_crosswalk_codes_are_valid_and_unique():
    table = crosswalk.COUNTRIES
    for col in ("country", "iso2", "iso3", "cws_id", "imf_code"):
        values = table[col].dropna()
        assert values.is_unique, col
    assert table.set_index("iso2").loc["GR", "country"] == "EL" and table.set_index("iso2").loc["GB", "country"] == "UK"
    for iso2, iso3, name in table[["iso2", "iso3", "country_name"]].itertuples(index=False):
        if iso2 == "XK":  # Kosovo: user-assigned code, not in ISO 3166
            continue
        ref = pycountry.countries.get(alpha_2=iso2)
        assert ref is not None and ref.alpha_3 == iso3, (iso2, iso3, name)
    assert set(crosswalk.CORE_SCOPE) <= set(table["country"])


def test_crosswalk_imf_codes_agree_with_the_imf_metadata(mirror_dir):
    meta = pd.read_csv(mirror_dir / governance.GOVERNANCE_FILES["imf_meta"], dtype=str, encoding="utf-8-sig")
    sdmx = meta[meta["Metadata Attribute"] == "Country SDMX Code"]
    imf_iso2 = dict(zip(sdmx["Country Code"], sdmx["Metadata Value"]))
    for iso2, code in crosswalk.COUNTRIES[["iso2", "imf_code"]].dropna().itertuples(index=False):
        if str(code) in imf_iso2:
            assert imf_iso2[str(code)] == iso2, (iso2, code)


def test_crosswalk_is_complete_for_each_source(env):
    from localise.data import load_eqi_regions, load_governance_country_year

    table = load_governance_country_year()
    core = set(crosswalk.CORE_SCOPE)
    imf = [c for c in table.columns if c.startswith("imf_")]
    table = table.assign(imf_any=table[imf].notna().any(axis=1).where(lambda s: s))
    # the IMF file covers every country, though not every indicator (no sd for DK, FR, IT, PL ... in this copy)
    for column, expected in {
        "rai": core,
        "lai": core | {"IS"},
        "imf_any": core | {"IS"},
        "imf_taxd_local": core | {"IS"},
    }.items():
        have = set(table.loc[table[column].notna(), "country"])
        assert expected <= have, (column, sorted(expected - have))
    cws_europe = {"AT", "BE", "DK", "FI", "FR", "DE", "EL", "IE", "IT", "LU", "NL", "NO", "PT", "ES", "SE", "CH", "UK"}
    assert set(table.loc[table["cws_social_spending_gdp"].notna(), "country"]) == cws_europe
    assert set(load_eqi_regions()["country"]) == set(crosswalk.EU27)
    unmatched = governance.load_governance_unmatched()
    outside = unmatched[unmatched["status"].str.startswith("outside")]
    assert set(outside.loc[outside["source"] == "cws", "code"]) == {"AUL", "CAN", "JPN", "NZL", "USA"}
    assert {"USA", "JPN", "TAW", "SCG"} <= set(outside.loc[outside["source"] == "rai", "code"])


def test_match_countries_rejects_unknown_and_keeps_quirks():
    got = crosswalk.match_countries(
        ["MDV", "ROM", "AUT", "USA"], "iso3", file="f.csv", column="cc", quirks={"MDV": "MD", "ROM": "RO"}
    )
    assert got.mapping == {"MDV": "MD", "ROM": "RO", "AUT": "AT"} and got.outside == ["USA"]
    with pytest.raises(InputError, match=r"f\.csv.*\['XYZ'\].*'cc'"):
        crosswalk.match_countries(["AUT", "XYZ"], "iso3", file="f.csv", column="cc")


# ----------------------------------------------------------------------------- EQI
def test_eqi_rows_match_the_raw_file(env, mirror_dir):
    from localise.data import load_eqi_regions

    eqi = load_eqi_regions()
    raw = pd.read_csv(mirror_dir / governance.GOVERNANCE_FILES["eqi"], dtype={"region_code": str})
    assert len(eqi) == len(raw) == 1050 and sorted(eqi["wave"].unique()) == [2010, 2013, 2017, 2021, 2024]
    merged = eqi.merge(raw, left_on=["geo_wave", "wave"], right_on=["region_code", "year"], validate="1:1")
    assert len(merged) == 1050
    np.testing.assert_array_equal(merged["eqi"], merged["EQI"])
    np.testing.assert_array_equal(merged["eqi_me"], merged["EQI_me"])
    np.testing.assert_array_equal(merged["corruption"], merged["corruptionp"])
    ok = merged["eqi_me"].notna()
    np.testing.assert_allclose(merged.loc[ok, "eqi_low"], merged.loc[ok, "eqi"] - merged.loc[ok, "eqi_me"], atol=1e-9)
    row = merged[(merged["geo_wave"] == "AT11") & (merged["wave"] == 2021)].iloc[0]
    assert (row["eqi"], row["eqi_me"], row["quality"]) == (0.949, 0.16956, 0.852)  # first data line of the file
    assert row["eqi_low"] == pytest.approx(0.949 - 0.16956, abs=1e-12)


def test_eqi_every_code_mapped_or_reported(env):
    from localise.data import load_eqi_regions

    eqi = load_eqi_regions()
    unmatched = governance.load_governance_unmatched()
    reported = set(unmatched.loc[unmatched["source"] == "eqi", "code"])
    not_one_to_one = eqi[~eqi["recode"].isin(["identical", "recoded"])]
    assert {f"{c} ({w})" for c, w in zip(not_one_to_one["geo_wave"], not_one_to_one["wave"])} == reported
    assert eqi.loc[eqi["recode"].isin(["identical", "recoded", "split"]), "geo"].notna().all()
    assert eqi.loc[eqi["recode"].isin(["merged", "unmatched-reported"]), "geo"].isna().all()
    # every wave of the 2024 long file is coded in NUTS 2021 (detected, not assumed)
    assert set(eqi["nuts_version_wave"]) == {2021}
    # Croatia: NUTS 2021 HR02, HR05, HR06 are parts of NUTS 2016 HR04
    hr = eqi[(eqi["wave"] == 2024) & (eqi["country"] == "HR")].set_index("geo_wave")
    assert hr.loc[["HR02", "HR05", "HR06"], "geo"].tolist() == ["HR04"] * 3
    assert set(hr.loc[["HR02", "HR05", "HR06"], "recode"]) == {"split"} and hr.loc["HR03", "recode"] == "identical"
    # BE/DE at NUTS 1, five countries as a whole
    w = eqi[eqi["wave"] == 2017]
    assert sorted(w.loc[w["nuts_level"] == 0, "geo"]) == ["CY", "EE", "LU", "LV", "MT"]
    assert set(w.loc[w["nuts_level"] == 1, "country"]) == {"BE", "DE"} and (w["nuts_level"] == 1).sum() == 19


# ----------------------------------------------------------------------------- bad input
def _broken_env(built, tmp_path, monkeypatch):
    root = built[0]
    shutil.copytree(root / "raw", tmp_path / "raw")
    shutil.copytree(root / "processed", tmp_path / "processed")
    monkeypatch.setenv("LOCALISE_DATA_RAW", str(tmp_path / "raw"))
    monkeypatch.setenv("LOCALISE_DATA_PROCESSED", str(tmp_path / "processed"))
    return tmp_path


def _rewrite(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8-sig")
    assert old in text
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    # refresh the manifest entry so that the checksum check passes and the content check is reached
    entries = fetch.read_manifest()
    rel = str(path.relative_to(path.parents[2]))
    entries[rel]["sha256"] = sha256_file(path)
    fetch._write_manifest(entries)


@pytest.mark.parametrize(
    ("source", "old", "new", "pattern"),
    [
        ("rai", ",n_RAI,", ",n_rai,", r"RAI_country-april-2021\.csv.*\['n_RAI'\] missing"),
        ("lai", "Sweden,SWE,", "Sweden,SWX,", r"LAI_2014_aggregate\.csv.*\['SWX'\].*'country_code'"),
        ("eqi", "Austria,AT12,", "Austria,AT19,", r"qog_eqi_long_24\.csv.*'AT19'.*'region_code'"),
        (
            "imf",
            '"Sweden","144"',
            '"Sweden","999"',
            r"imf_fiscal_decentralization_time_series\.csv.*'999'.*'Country Code'",
        ),
    ],
)
def test_bad_input_names_file_column_code_and_writes_nothing(built, tmp_path, monkeypatch, source, old, new, pattern):
    root = _broken_env(built, tmp_path, monkeypatch)
    before = _snapshot(root / "processed")
    _rewrite(root / "raw" / governance.GOVERNANCE_FILES[source], old, new)
    with pytest.raises(InputError, match=pattern):
        governance.write_governance()
    assert _snapshot(root / "processed") == before


def test_wave_matching_no_nuts_version(built, tmp_path, monkeypatch):
    root = _broken_env(built, tmp_path, monkeypatch)
    before = _snapshot(root / "processed")
    path = root / "raw" / governance.GOVERNANCE_FILES["eqi"]
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    wave = raw["year"] == "2013"
    raw.loc[wave, "region_code"] = raw.loc[wave, "region_code"].str.replace(r"^([A-Z]{2}\w?)\w$", r"\1X", regex=True)
    raw.loc[wave & (raw["nuts_level"] == "0"), "region_code"] = raw.loc[wave & (raw["nuts_level"] == "0"), "NUTS0_code"]
    raw.to_csv(path, index=False)
    entries = fetch.read_manifest()
    entries[governance.GOVERNANCE_FILES["eqi"]]["sha256"] = sha256_file(path)
    fetch._write_manifest(entries)
    with pytest.raises(InputError, match=r"qog_eqi_long_24\.csv.*wave 2013.*'region_code'.*match no NUTS version"):
        governance.write_governance()
    assert _snapshot(root / "processed") == before


def test_edited_raw_file_fails_the_checksum(built, tmp_path, monkeypatch):
    root = _broken_env(built, tmp_path, monkeypatch)
    before = _snapshot(root / "processed")
    path = root / "raw" / governance.GOVERNANCE_FILES["lai"]
    path.write_text(path.read_text(encoding="utf-8-sig").replace("77.1", "77.2"), encoding="utf-8")
    with pytest.raises(InputError, match="does not match data/raw/MANIFEST"):
        governance.write_governance()
    assert _snapshot(root / "processed") == before

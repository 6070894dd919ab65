"""Fetch and build against the real mirror: processed panels match the raw files cell
for cell (flags kept), NUTS recoding of real changed regions, idempotent and atomic
writes, and the bad-input cases (nothing written to data/processed/).

External expected values: the raw mirror files themselves (read with the parser, which
test_data_eurostat_parser checks against the raw text), EIGE's published Sweden 2022
index of 83.9 (quoted in the mirror's README), EU-SPI 2016 AT11 component scores as
printed in the published CSV.
"""

from __future__ import annotations

import gzip
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from localise.data import build, catalogue, fetch
from localise.data.eurostat import read_eurostat_tsv
from localise.errors import DataUnavailableError, InputError

pytestmark = pytest.mark.mirror


@pytest.fixture(scope="module")
def built(mirror_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("databuild")
    mp = pytest.MonkeyPatch()
    mp.setenv("LOCALISE_DATA_RAW", str(root / "raw"))
    mp.setenv("LOCALISE_DATA_PROCESSED", str(root / "processed"))
    mp.delenv("LOCALISE_DATA_MIRROR", raising=False)
    mp.delenv("LOCALISE_INPUTS_LOG", raising=False)
    assert build.prepare(mirror=mirror_dir) == 0  # fetch + build (NUTS 2016 and 2021)
    yield root, None, None
    mp.undo()


@pytest.fixture()
def env(built, monkeypatch):
    root = built[0]
    monkeypatch.setenv("LOCALISE_DATA_RAW", str(root / "raw"))
    monkeypatch.setenv("LOCALISE_DATA_PROCESSED", str(root / "processed"))
    monkeypatch.delenv("LOCALISE_DATA_MIRROR", raising=False)
    return root


def _copy_env(built, tmp_path, monkeypatch, *, processed=True):
    """A private copy of raw (and processed) that a test may break."""
    root = built[0]
    shutil.copytree(root / "raw", tmp_path / "raw")
    if processed:
        shutil.copytree(root / "processed", tmp_path / "processed")
    monkeypatch.setenv("LOCALISE_DATA_RAW", str(tmp_path / "raw"))
    monkeypatch.setenv("LOCALISE_DATA_PROCESSED", str(tmp_path / "processed"))
    return tmp_path


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*")) if p.is_file()} if folder.is_dir() else {}


def test_fetch_copies_catalogue_and_writes_manifest(built, env):
    root = built[0]
    manifest = fetch.read_manifest()
    assert "eurostat/tgs00010.tsv.gz" in manifest and "nuts/geo/NUTS_RG_03M_2021_4326_LEVL_2.geojson.gz" in manifest
    entry = manifest["eurostat/lfst_r_lfu3rt.tsv.gz"]
    assert entry["size_bytes"] == str((root / "raw/eurostat/lfst_r_lfu3rt.tsv.gz").stat().st_size)
    assert "NUTS 2010" in entry["vintage"] and entry["source"].startswith("mirror:")
    for rel in (
        "spi/eu_spi_2016_component_scores.csv",
        "eige/gender_equality_index_2013_2022_long.csv",
        "city/urban_audit_city_fua_codes_2019.csv",
    ):
        assert (root / "raw" / rel).is_file()
    assert "eurostat/lfst_r_lfu2ltu.tsv.gz" not in manifest  # online only: skipped with a mirror
    assert not (root / "raw/eurostat/lfst_r_lfu2ltu.tsv.gz").exists()


def test_regional_panel_matches_raw_cells(built, env):
    from localise.data import load_regional_panel

    root = built[0]
    panel = load_regional_panel(nuts_version=2016, allow_synthetic=False)
    assert panel.attrs["synthetic"] is False and "Eurostat" in panel.attrs["source_note"]
    log = pd.read_parquet(root / "processed" / "nuts_recode_log_nuts2016.parquet")
    checked = 0
    for ds in catalogue.datasets().values():
        path = root / "raw" / "eurostat" / f"{ds.code}.tsv.gz"
        if not ds.feeds or not path.is_file():
            continue
        raw = read_eurostat_tsv(path)
        mapping = log[log["dataset"] == ds.code].set_index("geo")["target_geo"].dropna()
        for feed in ds.feeds:
            sub = raw
            for dim, code in feed.filters.items():
                if dim in sub.columns:
                    sub = sub[sub[dim] == code]
            sub = sub[sub["value"].notna() & sub["geo"].isin(mapping.index)]
            sub = sub.assign(
                geo=sub["geo"].map(mapping),
                year=sub["time"].astype(int),
                sex=sub["sex"] if "sex" in sub.columns else "T",
                native=sub["geo"].eq(sub["geo"].map(mapping)),
            )
            # a file may hold an old and a new code of one region (nama_10r_2hhinc: EL11 and EL51);
            # the build keeps the code native to the target version
            sub = sub.sort_values("native", ascending=False, kind="stable").drop_duplicates(["geo", "year", "sex"])
            mine = panel[(panel["indicator"] == feed.indicator) & (panel["source"] == ds.code)]
            merged = mine.merge(sub, on=["geo", "year", "sex"], suffixes=("", "_raw"), how="left")
            if mine.empty:  # a source wholly superseded by a newer vintage (ilc_peps11 by ilc_peps11_2003_2020)
                rivals = [
                    f.priority
                    for d in catalogue.datasets().values()
                    for f in d.feeds
                    if f.indicator == feed.indicator and d.code != ds.code
                ]
                assert rivals and max(rivals) > feed.priority, (ds.code, feed.indicator)
                keys = panel.loc[panel["indicator"] == feed.indicator, ["geo", "year", "sex"]]
                assert len(sub.merge(keys, on=["geo", "year", "sex"])) == len(sub), (ds.code, feed.indicator)
                continue
            assert merged["value_raw"].notna().all(), (ds.code, feed.indicator)
            np.testing.assert_array_equal(merged["value"], merged["value_raw"])
            assert (merged["flags"] == merged["flags_raw"]).all(), (ds.code, feed.indicator)
            checked += len(merged)
    assert checked > 80_000


def test_known_cells_and_recoded_regions(built, env):
    from localise.data import load_country_panel, load_regional_panel

    p16 = load_regional_panel(nuts_version=2016, allow_synthetic=False)
    # raw lfst_r_lfe2emp line 'THS,F,Y15-24,AT ...' is NUTS 2013; FR30 (Nord-Pas de Calais) became FRE1 in 2016
    emp = read_eurostat_tsv(built[0] / "raw/eurostat/lfst_r_lfe2emp.tsv.gz")
    raw_fr30 = emp[(emp["geo"] == "FR30") & (emp["age"] == "Y_GE15") & (emp["sex"] == "T") & (emp["time"] == "2012")]
    row = p16[
        (p16["geo"] == "FRE1")
        & (p16["indicator"] == "employment_thousands")
        & (p16["sex"] == "T")
        & (p16["year"] == 2012)
    ]
    assert row["value"].item() == raw_fr30["value"].item() and row["flags"].item() == raw_fr30["flags"].item()
    assert not (p16["geo"].isin(["FR30", "UKI1", "LT00", "PL12", "HU10"])).any()
    # Greek NUTS 2010 codes of lfst_r_lfu3rt recoded: EL11 -> EL51
    assert ((p16["geo"] == "EL51") & (p16["indicator"] == "youth_unemployment_rate")).any()
    # tgs00010 line 'PC,Y_GE15,F,AT12  4.9  4.4 b ...' (2006, 2007)
    at12 = p16[(p16["geo"] == "AT12") & (p16["indicator"] == "unemployment_rate") & (p16["sex"] == "F")]
    assert at12.set_index("year").loc[2007, ["value", "flags"]].tolist() == [4.4, "b"]
    assert (p16["nuts_level"] == 2).all() and not p16["geo"].str.startswith(("EU", "EA")).any()
    assert not p16["geo"].str.endswith("ZZ").any()
    p21 = load_regional_panel(nuts_version=2021, allow_synthetic=False)
    assert "HR04" in set(p16["geo"]) and "HR04" not in set(p21["geo"])
    with pytest.raises(DataUnavailableError, match="--nuts-version 2013"):
        load_regional_panel(nuts_version=2013)  # real panels exist, but not in this version
    country = load_country_panel(allow_synthetic=False)
    eu = country[country["geo"] == "EU28"]
    assert set(eu["country"]) == {"EU"} and (country["nuts_level"] == 0).all()
    assert {"neet_rate", "at_risk_of_poverty_rate"} <= set(country["indicator"])


def test_arope_takes_the_newest_vintage(built, env):
    """ilc_peps11_2003_2020 (priority 3) wins over ilc_peps11 and tgs00107; values from the mirror README."""
    from localise.data import load_country_panel, load_regional_panel

    p16 = load_regional_panel(nuts_version=2016, indicators="arope", allow_synthetic=False)
    country = load_country_panel(indicators="arope", allow_synthetic=False)

    def cell(df, geo, year):
        return df[(df["geo"] == geo) & (df["year"] == year)][["value", "source", "unit"]]

    assert cell(country, "AT", 2019).values.tolist() == [[16.9, "ilc_peps11_2003_2020", "PC_POP"]]
    assert cell(p16, "CZ01", 2019).values.tolist() == [[7.9, "ilc_peps11_2003_2020", "PC_POP"]]
    assert cell(p16, "ES51", 2020).values.tolist() == [[22.8, "ilc_peps11_2003_2020", "PC_POP"]]
    assert p16["year"].max() == 2020 and set(p16["unit"]) == {"PC_POP"}


def test_extract_rows_match_the_extract(built, env):
    """Rows from the 2020 long extract (no flags) equal the extract's values."""
    from localise.data import load_regional_panel
    from localise.data.eurostat import read_extract

    p16 = load_regional_panel(nuts_version=2016, allow_synthetic=False)
    ext = read_extract(built[0] / "raw/eurostat/extract_2020/eurostat_22_tables_long_2020-12.csv.gz", "tepsr_lm220")
    ext = ext.assign(year=ext["time"].astype(int))
    mine = p16[p16["indicator"] == "gender_employment_gap"]
    assert set(mine["source"]) == {"tepsr_lm220:extract_2020"} and (mine["flags"] == "").all()
    merged = mine.merge(ext[["geo", "year", "value"]], on=["geo", "year"], suffixes=("", "_raw"))
    assert len(merged) == len(mine) > 4000
    np.testing.assert_array_equal(merged["value"], merged["value_raw"])


def test_spi_eige_names(built, env):
    from localise.data import load_eige, load_spi, nuts_geometries, nuts_names

    eige = load_eige(allow_synthetic=False)
    se = eige[(eige["geo"] == "SE") & (eige["edition"] == 2022) & (eige["domain"] == "index")]
    assert se["value"].item() == 83.9  # published EIGE 2022 value for Sweden
    comp = load_spi(2016, "components", allow_synthetic=False)
    at11 = comp[comp["geo"] == "AT11"].set_index("component")["value"]
    assert at11["Nutrition and Basic Medical Care"] == 87.16 and at11["Access to Advanced Education"] == 42.98
    goal = load_spi(2020, "goalposts", allow_synthetic=False)
    regional = load_spi(2020, "regional", allow_synthetic=False)
    assert len(goal) == 55 and regional["position"].max() == 55 and regional["geo"].nunique() == 240
    at11_pm = regional[(regional["geo"] == "AT11") & (regional["position"] == 1)]["value"].item()
    assert at11_pm == pytest.approx(0.1986793)
    names = nuts_names(allow_synthetic=False)
    assert names["geo"].is_unique and "FRE1" in set(names["geo"]) and "FR30" in set(names["geo"])
    gdf = nuts_geometries(level=2)
    assert gdf is not None and len(gdf) == 334 and "geo" in gdf.columns


def test_build_writes_the_governance_tables(built, env):
    """`localise data prepare` with a mirror also builds the governance tables (see test_governance.py)."""
    import json

    from localise.data import has_governance_data, load_eqi_regions

    root = built[0]
    assert has_governance_data()
    meta = json.loads((root / "processed" / "build_metadata.json").read_text())
    assert meta["rows"]["eqi_region_wave"] == 1050 == len(load_eqi_regions())  # 210 regions x 5 waves
    assert sorted(meta["governance_sources"]) == ["cws", "eqi", "imf_fd", "lai", "rai"]
    assert "governance/rai/RAI_country-april-2021.csv" in fetch.read_manifest()


def test_build_is_idempotent(built, tmp_path, monkeypatch):
    root = _copy_env(built, tmp_path, monkeypatch)
    before = _snapshot(root / "processed")
    build.build_all(nuts_versions=[2016, 2021])
    assert _snapshot(root / "processed") == before


def test_refetch_with_changed_file_warns_vintage_change(built, tmp_path, monkeypatch):
    root = _copy_env(built, tmp_path, monkeypatch, processed=False)
    mirror = tmp_path / "mirror"
    (mirror / "eurostat").mkdir(parents=True)
    src = built[0] / "raw/eurostat/tgs00107.tsv.gz"
    text = gzip.decompress(src.read_bytes()).replace(b"16.7 ", b"16.8 ", 1)
    (mirror / "eurostat/tgs00107.tsv.gz").write_bytes(gzip.compress(text, mtime=0))
    with pytest.warns(fetch.VintageChangedWarning, match="tgs00107.*vintage changed"):
        fetch.fetch_all(mirror=mirror, only=["tgs00107"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", fetch.VintageChangedWarning)
        fetch.fetch_all(mirror=mirror, only=["tgs00107"])  # same file again: no warning
    assert (
        fetch.read_manifest()["eurostat/tgs00107.tsv.gz"]["sha256"]
        != fetch.read_manifest(built[0] / "raw/MANIFEST")["eurostat/tgs00107.tsv.gz"]["sha256"]
    )
    assert (root / "raw/eurostat/tgs00107.tsv.gz").read_bytes() == (mirror / "eurostat/tgs00107.tsv.gz").read_bytes()


def test_checksum_mismatch_stops_build_and_writes_nothing(built, tmp_path, monkeypatch):
    root = _copy_env(built, tmp_path, monkeypatch)
    before = _snapshot(root / "processed")
    target = root / "raw/eurostat/lfst_r_lfu3rt.tsv.gz"
    target.write_bytes(target.read_bytes() + b"\x00")
    with pytest.raises(InputError, match=r"lfst_r_lfu3rt\.tsv\.gz: SHA-256 .* does not match data/raw/MANIFEST"):
        build.build_all()
    assert _snapshot(root / "processed") == before


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"<!DOCTYPE html><html><body>Service unavailable</body></html>", r"lfst_r_lfu3rt\.tsv\.gz:1: .*HTML"),
        ("truncate", r"lfst_r_lfu3rt\.tsv\.gz: the gzip stream is truncated"),
        (gzip.compress(b"unit;geo;2015\nPC;AT;1\n"), r"lfst_r_lfu3rt\.tsv\.gz:1: first header cell"),
    ],
)
def test_bad_raw_file_stops_build_and_writes_nothing(built, tmp_path, monkeypatch, content, match):
    root = _copy_env(built, tmp_path, monkeypatch, processed=False)
    (root / "raw/MANIFEST").unlink()  # a file placed by hand, not by fetch
    target = root / "raw/eurostat/lfst_r_lfu3rt.tsv.gz"
    target.write_bytes(target.read_bytes()[:5000] if content == "truncate" else content)
    with pytest.raises(InputError, match=match):
        build.build_all()
    assert not (root / "processed").exists() or not any((root / "processed").iterdir())


def test_unknown_code_and_missing_mirror_file(built, tmp_path, monkeypatch):
    from localise.cli import main

    _copy_env(built, tmp_path, monkeypatch, processed=False)
    with pytest.raises(InputError, match="unknown catalogue code 'lfst_r_nope'"):
        fetch.fetch_all(mirror=built[0] / "raw", only=["lfst_r_nope"])
    assert main(["data", "fetch", "--mirror", str(built[0] / "raw"), "--only", "lfst_r_nope"]) == 2
    empty = tmp_path / "empty_mirror"
    (empty / "eurostat").mkdir(parents=True)
    with pytest.raises(DataUnavailableError, match=r"mirror file .*tgs00010\.tsv\.gz is missing"):
        fetch.fetch_all(mirror=empty, only=["tgs00010"])


def test_prepare_with_and_without_mirror(built, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LOCALISE_DATA_RAW", str(tmp_path / "raw"))
    monkeypatch.setenv("LOCALISE_DATA_PROCESSED", str(tmp_path / "processed"))
    monkeypatch.delenv("LOCALISE_DATA_MIRROR", raising=False)
    assert build.prepare(offline=True) == 0
    out = capsys.readouterr().out
    assert "SYNTHETIC" in out and (tmp_path / "processed/demo/regional_panel_SYNTHETIC.parquet").is_file()
    assert not (tmp_path / "processed/regional_panel_nuts2016.parquet").exists()

"""SYNTHETIC demo generator and the loaders' fallback to it.

Expected values are the parameters planted by the generator (documented in
``localise.data.demo``): an estimator that recovers them validates both.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from localise.data import demo, schemas
from localise.errors import DataUnavailableError, InputError


@pytest.fixture(scope="module")
def tables():
    return demo.generate_demo(7)


@pytest.fixture()
def tmp_data(tmp_path, monkeypatch):
    monkeypatch.setenv("LOCALISE_DATA_PROCESSED", str(tmp_path / "processed"))
    monkeypatch.setenv("LOCALISE_DATA_RAW", str(tmp_path / "raw"))
    monkeypatch.setenv("LOCALISE_INPUTS_LOG", str(tmp_path / "inputs.jsonl"))
    monkeypatch.delenv("LOCALISE_DATA_MIRROR", raising=False)
    return tmp_path


def test_demo_is_deterministic_and_seed_dependent(tables):
    again, meta_again = demo.generate_demo(7)
    other, _ = demo.generate_demo(8)
    for name, frame in tables[0].items():
        pd.testing.assert_frame_equal(frame, again[name])
    assert tables[1] == meta_again
    assert not tables[0]["regional_panel"]["value"].equals(other["regional_panel"]["value"])
    with pytest.raises(InputError, match=r"treatment_years names countries \['XX'\]"):
        demo.generate_demo(7, treatment_years={"XX": 2010})


def test_demo_schema_and_coverage(tables):
    t, meta = tables
    regional = schemas.validate_panel(t["regional_panel"], nuts_level=2)
    country = schemas.validate_panel(t["country_panel"])
    assert set(schemas.CONTRACT_INDICATORS) - {"neet_rate"} <= set(regional["indicator"])
    assert "neet_rate" in set(country["indicator"])
    assert {"FR", "DE", "IT", "PL", "SE", "UK", "ES", "CZ", "DK", "NL", "BG"} <= set(regional["country"])
    assert regional["year"].min() == 2005 and regional["year"].max() == 2019
    assert (regional["source"] == "SYNTHETIC").all()
    assert set(regional.loc[regional["indicator"] == "unemployment_rate", "sex"]) == {"F", "M", "T"}
    assert "EU28" in set(country["geo"]) and set(country.loc[country["geo"] == "EU28", "country"]) == {"EU"}
    assert meta["synthetic"] is True and "SYNTHETIC" in meta["source_note"]
    with pytest.raises(InputError, match=r"regional_panel: columns \['flags'\] missing; expected \['geo'"):
        schemas.validate_panel(t["regional_panel"].drop(columns="flags"), name="regional_panel")


def test_demo_counts_add_up(tables):
    r = tables[0]["regional_panel"]
    for ind in ("active_population_thousands", "employment_thousands", "unemployment_thousands"):
        wide = r[r["indicator"] == ind].pivot_table(index=["geo", "year"], columns="sex", values="value")
        np.testing.assert_allclose(wide["F"] + wide["M"], wide["T"], atol=0.051)


def test_planted_reform_effect_is_recovered_by_twfe(tables):
    t, meta = tables
    spec = meta["reform_effect"]
    d = t["regional_panel"]
    d = d[(d["indicator"] == spec["indicator"]) & (d["sex"] == "T")].copy()
    d["treated"] = [float(y >= spec["treatment_year"].get(c, 10_000)) for c, y in zip(d["country"], d["year"])]
    # Two-way within transformation (balanced panel) then OLS slope.
    y = d["value"] - d.groupby("geo")["value"].transform("mean") - d.groupby("year")["value"].transform("mean")
    x = d["treated"] - d.groupby("geo")["treated"].transform("mean") - d.groupby("year")["treated"].transform("mean")
    y, x = y - y.mean(), x - x.mean()
    beta = float((x * y).sum() / (x * x).sum())
    # Noise sd 1.5 and ~2800 observations: the standard error is about 0.1.
    assert beta == pytest.approx(spec["effect"], abs=0.35)
    assert set(spec["never_treated"]) == {"DE", "SE", "CZ", "BG"}


def test_planted_gender_gap_and_variance_share(tables):
    t, meta = tables
    r = t["regional_panel"]
    le = r[r["indicator"] == "life_expectancy"].pivot_table(index=["geo", "year"], columns="sex", values="value")
    assert (le["F"] - le["M"]).mean() == pytest.approx(meta["gender_gap"]["life_expectancy_F_minus_M"], abs=0.06)
    # Between-country variance of the unemployment rate: variance of country means of the
    # region means, minus the region-level part (ANOVA estimator), vs the realised draws.
    u = r[(r["indicator"] == "unemployment_rate") & (r["sex"] == "T")]
    region_mean = u.groupby(["country", "geo"])["value"].mean()
    by_country = region_mean.groupby("country")
    n_per = by_country.size()
    between = by_country.mean().var(ddof=1) - (by_country.var(ddof=1) / n_per).mean()
    assert between == pytest.approx(meta["variance_components"]["realised"]["country"], abs=1.0)


def test_loader_falls_back_to_demo_with_warning(tmp_data):
    from localise.data import load_demo_metadata, load_regional_panel

    with pytest.warns(UserWarning, match="SYNTHETIC"):
        df = load_regional_panel(indicators=["unemployment_rate"], countries=["GB", "FR"])
    assert df.attrs["synthetic"] is True and "SYNTHETIC" in df.attrs["source_note"]
    assert set(df["country"]) == {"UK", "FR"} and set(df["indicator"]) == {"unemployment_rate"}
    assert (tmp_data / "processed" / "demo" / "regional_panel_SYNTHETIC.parquet").is_file()
    logged = [json.loads(line) for line in (tmp_data / "inputs.jsonl").read_text().splitlines()]
    assert logged and all(entry["synthetic"] for entry in logged)
    assert load_demo_metadata()["reform_effect"]["effect"] == -1.5


def test_loader_refuses_synthetic_when_not_allowed(tmp_data):
    from localise.data import load_country_panel, load_spi

    with pytest.raises(DataUnavailableError, match="localise data fetch"):
        load_country_panel(allow_synthetic=False)
    with pytest.raises(InputError, match="kind"):
        load_spi(2016, "regional")


def test_loader_rejects_unknown_indicator(tmp_data):
    from localise.data import load_regional_panel

    with pytest.warns(UserWarning), pytest.raises(InputError, match="unknown indicator"):
        load_regional_panel(indicators=["unemployment"])


def test_fetch_url_retries_rejects_html_and_reports_offline(tmp_path):
    """Online download path with a fake opener (no network needed)."""
    import gzip as _gzip
    import io
    import urllib.error

    from localise.data.fetch import fetch_url

    calls = []

    def flaky(url, timeout):
        calls.append(url)
        if len(calls) < 3:
            raise urllib.error.URLError("temporary failure")
        return io.BytesIO(_gzip.compress(b"unit,geo\\time\t2015 \nPC,AT\t1.0 \n"))

    target = tmp_path / "x.tsv.gz"
    fetch_url("https://example.invalid/x", target, retries=3, backoff=0.0, opener=flaky)
    assert len(calls) == 3 and target.read_bytes()[:2] == b"\x1f\x8b"

    def html(url, timeout):
        return io.BytesIO(b"<html><body>maintenance</body></html>")

    with pytest.raises(InputError, match="not a gzip TSV"):
        fetch_url("https://example.invalid/y", tmp_path / "y.tsv.gz", retries=0, opener=html)
    assert not (tmp_path / "y.tsv.gz").exists()

    def offline(url, timeout):
        raise urllib.error.URLError("Name or service not known")

    with pytest.raises(DataUnavailableError, match="offline"):
        fetch_url("https://example.invalid/z", tmp_path / "z.tsv.gz", retries=1, backoff=0.0, opener=offline)


def test_bad_mirror_variable_is_reported(tmp_data, monkeypatch):
    from localise.cli import main

    monkeypatch.setenv("LOCALISE_DATA_MIRROR", str(tmp_data / "no_such_dir"))
    assert main(["data", "prepare"]) == 1


def test_cli_demo_writes_labelled_files(tmp_data):
    from localise.cli import main

    assert main(["data", "demo", "--seed", "3"]) == 0
    folder = tmp_data / "processed" / "demo"
    names = sorted(p.name for p in folder.iterdir())
    assert names and all("_SYNTHETIC" in n for n in names)
    meta = json.loads((folder / "metadata_SYNTHETIC.json").read_text())
    assert meta["seed"] == 3 and meta["synthetic"] is True
    panel = pd.read_parquet(folder / "regional_panel_SYNTHETIC.parquet")
    assert list(panel.columns) == list(schemas.PANEL_COLUMNS)

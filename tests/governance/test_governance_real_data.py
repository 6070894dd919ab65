"""The study's key tables on the real data mirror (read straight from the mirror files).

Governance tables are built in memory by the data layer (``build_governance``) from the
mirror; the AROPE outcome is read from the Eurostat bulk file. Spot values are checked
against the raw CSV files, and the QCA solution is re-derived from the calibrated table
through the engine and against the sufficiency formula computed by hand.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from localise.governance.configurations import calibrate_sets, country_conditions
from localise.governance.events import rai_events
from localise.qca import minimize, truth_table

pytestmark = pytest.mark.mirror

CASES = [
    "AT",
    "BE",
    "BG",
    "HR",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "DE",
    "EL",
    "HU",
    "IE",
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
    "UK",
    "NO",
    "CH",
]
# the anchors of notebooks/12_governance_study.ipynb (parameters cell)
ANCHORS = {
    "LAI": "e=50, c=67.5, i=75",
    "RAI": "e=6, c=16, i=21",
    "SPLOC": "e=0.05, c=0.2, i=0.3",
    "QOG": "e=-0.6, c=0.6, i=1.25",
    "AROPE": "e=30, c=23.3, i=16.5",
}


@pytest.fixture(scope="module")
def tables(mirror_dir):
    from localise.data.eurostat import read_eurostat_tsv
    from localise.data.governance import build_governance

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the data layer reports EQI codes it cannot carry one to one
        built = build_governance(mirror_dir)
    arope = read_eurostat_tsv(mirror_dir / "eurostat" / "ilc_peps11_2003_2020.tsv.gz")
    arope = arope[(arope["geo"].str.len() == 2) & (arope["unit"] == "PC")]
    panel = pd.DataFrame(
        {
            "country": arope["geo"],
            "indicator": "arope",
            "sex": "T",
            "year": pd.to_numeric(arope["time"]),
            "value": arope["value"],
        }
    )
    return built["governance_country_year"], built["eqi_region_wave"], panel


@pytest.fixture(scope="module")
def raw(tables):
    gov, eqi, panel = tables
    return country_conditions(
        gov,
        eqi,
        panel,
        lai_year=2014,
        window=(2010, 2014),
        eqi_wave=2013,
        outcome="arope",
        outcome_years=(2015, 2017),
        countries=CASES,
    )


def test_number_of_cases_and_who_drops_out(raw):
    assert len(raw) == 26
    assert raw.attrs["dropped"] == {"HR": ["SPLOC"], "UK": ["QOG"], "NO": ["QOG"], "CH": ["QOG"]}


def test_spot_values_against_raw_files(raw, mirror_dir):
    lai = pd.read_csv(mirror_dir / "governance" / "lai" / "LAI_2014_aggregate.csv", encoding="utf-8-sig")
    assert raw.loc["SE", "LAI"] == pytest.approx(float(lai.loc[lai["country_code"] == "SWE", "D_LAI_2014"].iloc[0]))
    eqi = pd.read_csv(mirror_dir / "governance" / "eqi" / "qog_eqi_long_24.csv")
    se = eqi[(eqi["NUTS0_code"] == "SE") & (eqi["year"] == 2013)]
    assert raw.loc["SE", "QOG"] == pytest.approx(pd.to_numeric(se["EQI"]).mean())


def test_solution_reproducible_through_the_engine(raw):
    sets = calibrate_sets(raw, ANCHORS, names={"AROPE": "LOWPOV"})
    tt = truth_table(sets, "LOWPOV", ["LAI", "RAI", "SPLOC", "QOG"], incl_cut=0.8)
    parsimonious = minimize(tt, include="?")
    assert parsimonious.models == [["QOG"]]
    x, y = sets["QOG"].to_numpy(), sets["LOWPOV"].to_numpy()
    fit = parsimonious.fit.solution.iloc[0]
    assert fit["inclS"] == pytest.approx(np.minimum(x, y).sum() / x.sum(), abs=1e-12)
    assert fit["covS"] == pytest.approx(np.minimum(x, y).sum() / y.sum(), abs=1e-12)
    assert sorted(tt.observed.loc[tt.positive_rows, "cases"].sum()) == ["AT", "DE", "DK", "FI", "IE", "LU", "NL", "SE"]


def test_rai_events_on_the_real_series(tables):
    gov, _, _ = tables
    ev = rai_events(gov, measure="rai_self_rule", min_change=1.0, countries=CASES, since=2003).set_index("country")
    # Ireland's regional tier: self-rule 3 -> 12 in 2014 in the RAI country file
    assert ev.loc["IE", "year"] == 2014 and ev.loc["IE", "change"] == pytest.approx(9.0)

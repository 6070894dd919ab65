"""Event study: planted effects are recovered; analytical identities of Sun-Abraham.

Expected values: the effect planted by the seeded SYNTHETIC generators
(``localise.data.demo`` and ``localise.models.simulate``), and the identity that, in
a balanced panel without covariates and with never-treated controls, each
saturated Sun-Abraham coefficient delta_{g,k} equals the 2x2 DiD of cohort g vs
the never-treated between g-1 and g+k (Sun & Abraham 2021, J. Econometrics 225,
section 4; = Callaway & Sant'Anna 2021 ATT(g, g+k) with base period g-1).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from localise.errors import InputError
from localise.models import EventStudy, prepare_panel, treatment_years
from localise.models.simulate import simulate_regional_panel
from localise.results import Results


def test_sun_abraham_cells_equal_two_by_two_did():
    df = simulate_regional_panel(n_countries=9, regions_per_country=3, years=(2000, 2011), dynamic=0.3, seed=4)
    ty = df.attrs["planted"]["treatment_year"]
    res = EventStudy("y", treatment_year=ty, leads=3, lags=4, inference="cluster").fit(df)
    b = res.raw.params
    means = df.groupby([df["treatment_year"].fillna(0).astype(int), "year"])["y"].mean()
    checked = 0
    for name, value in b.items():
        g, k = name.removeprefix("ev_g").split("_k")
        g, k = int(g), int(k)
        did = (means[(g, g + k)] - means[(g, g - 1)]) - (means[(0, g + k)] - means[(0, g - 1)])
        assert value == pytest.approx(did, abs=1e-9)
        checked += 1
    assert checked > 20


def test_single_cohort_sun_abraham_equals_unbinned_twfe():
    df = simulate_regional_panel(
        n_countries=6, regions_per_country=4, years=(2000, 2009), treatment_year={"C00": 2005, "C01": 2005}, seed=5
    )
    sa = EventStudy("y", treatment_year={"C00": 2005, "C01": 2005}, leads=5, lags=4, inference="cluster").fit(df)
    tw = EventStudy(
        "y", treatment_year={"C00": 2005, "C01": 2005}, leads=5, lags=4, estimator="twfe", inference="cluster"
    ).fit(df)
    np.testing.assert_allclose(sa.coefs["estimate"], tw.coefs["estimate"], rtol=1e-9)
    np.testing.assert_allclose(sa.coefs["std_error"], tw.coefs["std_error"], rtol=1e-9)


def test_recovers_planted_effect_with_many_treated_countries():
    # 30 countries, 15 treated in three cohorts, errors independent across regions.
    df = simulate_regional_panel(n_countries=30, regions_per_country=5, years=(2000, 2015), effect=-1.5, seed=6)
    ty = df.attrs["planted"]["treatment_year"]
    for estimator in ("sun_abraham", "twfe"):
        res = EventStudy("y", treatment_year=ty, x=["x"], estimator=estimator, inference="cluster").fit(df)
        assert res.att["ci_low"] <= -1.5 <= res.att["ci_high"], res.summary()
        assert res.n_treated_clusters == 15 and res.n_clusters == 30
    wb = res.wild_bootstrap(reps=199, seed=2)
    assert wb.ci_low <= -1.5 <= wb.ci_high


def test_sun_abraham_recovers_dynamic_effects():
    # Effects growing with time since treatment (heterogeneous across cohorts in
    # calendar time): each interaction-weighted gamma_k covers its planted value.
    df = simulate_regional_panel(
        n_countries=24, regions_per_country=5, years=(2000, 2019), effect=-1.0, dynamic=-0.5, sd_noise=0.2, seed=7
    )
    ty = df.attrs["planted"]["treatment_year"]
    sa = EventStudy("y", treatment_year=ty, x=["x"], leads=3, lags=3, inference="cluster").fit(df)
    for row in sa.coefs.itertuples():
        truth = 0.0 if row.k < 0 else -1.0 - 0.5 * row.k
        assert row.ci_low <= truth <= row.ci_high, (row.k, row.estimate)
        assert row.estimate == pytest.approx(truth, abs=0.1), (row.k, row.estimate)
    assert sa.pretrend["p_F"] > 0.01


def test_demo_data_default_inference_covers_planted_reform_effect():
    from localise.data.demo import generate_demo

    tables, meta = generate_demo()  # the default seeded SYNTHETIC demo
    planted = meta["reform_effect"]
    panel = prepare_panel(tables["regional_panel"], y=planted["indicator"], sex=planted["sex"], keep=["country"])
    # Defaults throughout: clusters = countries (11, one treated country per cohort),
    # inference = randomization over the countries' treatment dates.
    res = EventStudy(planted["indicator"], treatment_year=planted["treatment_year"]).fit(panel)
    assert res.cluster == "country" and res.n_clusters == 11 and res.n_treated_clusters == 7
    assert res.att["inference"].startswith("randomization")
    assert res.att["ci_low"] <= planted["effect"] <= res.att["ci_high"], res.summary()
    assert res.randomization.pvalue_at(planted["effect"]) > 0.05
    assert res.att["p_value"] < 0.05  # and the effect is still detected against 0
    # The cluster-robust interval this replaces excludes the planted effect (issue 13:
    # ATT -1.218, CR1 se 0.084): the reason the default changed.
    assert not res.att["ci_low_cluster"] <= planted["effect"] <= res.att["ci_high_cluster"]


def test_randomization_inference_matches_brute_force_refits():
    # Oracle: refit the whole event study for every distinct assignment of the
    # treatment dates to the 5 countries and rank |ATT| by hand.
    from itertools import permutations

    ty = {"C00": 2004, "C01": 2007}
    df = simulate_regional_panel(n_countries=5, regions_per_country=3, years=(2000, 2011), treatment_year=ty, seed=11)
    res = EventStudy("y", treatment_year=ty, leads=3, lags=3, ri_reps=999).fit(df)
    ri = res.randomization
    assert ri.enumerated and ri.n_assignments == 20 and ri.reps == 19
    assert isinstance(ri, Results) and repr(ri) == str(ri) == ri.summary()
    assert ri.estimate == pytest.approx(res.att["estimate"], abs=1e-9)
    countries = [f"C{i:02d}" for i in range(5)]
    refits = []
    for a, b in {p[:2] for p in permutations(countries, 2)}:
        if (a, b) == ("C00", "C01"):
            continue
        fit = EventStudy("y", treatment_year={a: 2004, b: 2007}, leads=3, lags=3, inference="cluster").fit(df)
        refits.append(fit.att["estimate"])
    assert len(refits) == 19
    np.testing.assert_allclose(np.sort(ri.draws[:, 0]), np.sort(refits), atol=1e-8)
    expected = (1 + sum(abs(e) >= abs(res.att["estimate"]) - 1e-12 for e in refits)) / 20
    assert ri.pvalue == pytest.approx(expected)


def test_summary_flags_few_clusters_and_notes_samples():
    df = simulate_regional_panel(
        n_countries=6,
        regions_per_country=3,
        years=(2003, 2012),
        treatment_year={"C00": 2003, "C01": 2007, "C02": 2015},
        seed=8,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = EventStudy("y", treatment_year={"C00": 2003, "C01": 2007, "C02": 2015, "XX": 2008}).fit(df)
    text = res.summary()
    assert "unreliable with few treated clusters" in text
    assert "XX" in text and "C00" in text and "C02" in text
    assert res.n_treated_clusters == 1


def test_no_never_treated_uses_last_cohort_as_control():
    ty = {f"C{i:02d}": 2004 + 3 * (i % 3) for i in range(9)}
    df = simulate_regional_panel(n_countries=9, regions_per_country=3, years=(2000, 2013), treatment_year=ty, seed=9)
    res = EventStudy("y", treatment_year=ty, leads=2, lags=2, inference="cluster").fit(df)
    assert "last-treated" in res.control_group
    assert res.data["year"].max() == 2009
    assert res.att["ci_low"] <= -1.5 <= res.att["ci_high"]


def test_treatment_years_from_reform_table():
    reforms = pd.DataFrame({"country": ["DE", "DE", "FR"], "reform": ["a", "b", "c"], "year": [2005, 2012, 2008]})
    assert treatment_years(reforms) == {"DE": 2005, "FR": 2008}
    assert treatment_years(reforms, which="last") == {"DE": 2012, "FR": 2008}
    assert treatment_years(reforms, reform="b") == {"DE": 2012}
    with pytest.raises(InputError):
        treatment_years(reforms, reform="zz")
    with pytest.raises(InputError):
        EventStudy("y", treatment_year={})
    with pytest.raises(InputError):
        EventStudy("y", treatment_year={"C00": 2004}, inference="bootstrap")


def test_real_data_treatment_dates_default_to_rai_events(monkeypatch):
    import localise.data.governance
    import localise.grid
    from localise.models.workflow import event_design

    gov = pd.DataFrame(
        {
            "country": ["AA"] * 4 + ["BB"] * 4,
            "year": [2000, 2001, 2002, 2003] * 2,
            "rai_self_rule": [5.0, 5.0, 7.0, 7.0, 3.0, 3.5, 3.5, 3.5],
        }
    )
    monkeypatch.setattr(localise.data.governance, "load_governance_country_year", lambda countries=None: gov)
    monkeypatch.setattr(
        localise.grid,
        "load_reforms",
        lambda: pd.DataFrame(
            {"country": ["BB"], "reform": ["r"], "year": [2001], "dimensions": ["G1"], "reference": ["x"]}
        ),
    )
    panel = pd.DataFrame(
        {
            "geo": "AA1",
            "country": "AA",
            "year": [2000, 2001],
            "indicator": "unemployment_rate",
            "sex": "T",
            "value": [1.0, 2.0],
        }
    )
    panel.attrs["synthetic"] = False
    rai = event_design(panel, outcomes=["unemployment_rate"])
    assert rai.treatment_year == {"AA": 2002}  # +2 points in 2002; BB's +0.5 is below the 1-point rule
    assert "rai_events" in rai.source and rai.reforms["change"].tolist() == [2.0]
    reforms = event_design(panel, outcomes=["unemployment_rate"], source="reforms")
    assert reforms.treatment_year == {"BB": 2001}
    with pytest.raises(InputError, match="source"):
        event_design(panel, outcomes=["unemployment_rate"], source="nope")

"""Results of localise.cohesion share the results base; the SROI arithmetic has one implementation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from localise.cohesion import active_inclusion, gender, package_data, spiral, sroi
from localise.results import Results


def test_sroi_results_views_and_present_value():
    model = sroi.load_sroi(package_data("sroi_pilot_illustrative.yml"))
    result = model.fit()
    sens = model.sensitivity()
    mc = model.monte_carlo(n_draws=50, seed=1)
    for obj in (result, sens, mc):
        assert isinstance(obj, Results)
        assert repr(obj) == str(obj) == obj.summary()
    assert r"\caption{" + model.title in result.to_latex()
    assert r"\caption{Headline" in result.to_latex(caption="Headline")
    # the present value of fit() is the one the sensitivity analyses evaluate
    a = model._arrays()
    pv, year1 = sroi._present_value(a, a["duration_years"], model.discount_rate)
    assert float(pv) == pytest.approx(result.present_value, rel=1e-12)
    assert float(year1) == pytest.approx(result.by_outcome["impact_year1"].sum(), rel=1e-12)
    # by hand for one outcome: sum over its years of impact_1 (1 - dropoff)^(t-1) / (1 + r)^t
    o = model.outcomes.iloc[0]
    impact1 = o.quantity * o.proxy * (1 - o.deadweight) * (1 - o.displacement) * (1 - o.attribution)
    years = np.arange(1, int(o.duration_years) + 1)
    expected = (impact1 * (1 - o.dropoff) ** (years - 1) / (1 + model.discount_rate) ** years).sum()
    assert result.by_outcome["present_value"].iloc[0] == pytest.approx(expected, rel=1e-12)


def test_spiral_results_views():
    assessments = spiral.read_assessments(package_data("spiral_assessments_illustrative.csv"))
    indicators = spiral.situation_indicators(assessments)
    assert isinstance(indicators, Results) and repr(indicators) == indicators.summary()


def test_active_inclusion_profile_follows_its_data_flag():
    data = pd.DataFrame({"indicator": ["x"], "break": [False]})
    data.attrs["synthetic"] = True
    profile = active_inclusion.ActiveInclusionProfile(
        city="C", nuts2="R", country="K", eu_geo=None, data=data, missing=[]
    )
    assert isinstance(profile, Results) and profile.synthetic
    assert repr(profile) == profile.summary()


@pytest.mark.parametrize("synthetic", [True, False])
def test_eige_correction_medians_carry_the_flag(synthetic):
    gaps = pd.DataFrame(
        {
            "indicator": ["a", "a", "a", "b"],
            "eige_gamma": [0.1, 0.3, 0.2, 0.5],
            "eige_alpha": [1.0, 0.5, 0.8, 1.0],
            "eige_score": [90.0, 40.0, np.nan, 50.0],
            "eige_score_uncorrected": [90.0, 70.0, 80.0, 50.0],
        }
    )
    gaps.attrs["synthetic"] = synthetic
    out = gender.eige_correction(gaps)
    # the row without an EIGE score is left out: medians of the two others
    assert out.loc["a"].tolist() == pytest.approx([0.2, 0.75, 65.0, 80.0])
    assert out.loc["b", "median_score"] == 50.0
    assert out.attrs["synthetic"] is synthetic

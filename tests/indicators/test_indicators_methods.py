"""Normalisation, aggregation, missing data, outliers, weights and coherence against
analytical results and scipy's reference implementations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from localise.indicators import (
    CompositeIndicator,
    Framework,
    cronbach_alpha,
    normalise,
    pca_weights,
    power_mean,
    winsorise,
)
from localise.indicators.methods import impute

X = np.array([12.0, 55.0, 80.0, 3.0, 41.0])
W = np.array([0.1, 0.2, 0.3, 0.15, 0.25])


@pytest.mark.parametrize("order", [1.0, 0.5, 2.0, 0.0, -1.0, 3.5])
def test_power_mean_matches_scipy_pmean(order):
    # reference: scipy.stats.pmean (weighted power mean; p = 0 is the geometric mean)
    expected = stats.pmean(X, order, weights=W) if order != 0 else stats.gmean(X, weights=W)
    assert power_mean(X, order, W) == pytest.approx(expected, rel=1e-12)


def test_power_mean_skips_missing_children():
    x = np.array([[16.0, 36.0, np.nan]])
    # order 0.5 of {16, 36}: ((4 + 6)/2)^2 = 25
    assert power_mean(x, 0.5)[0] == pytest.approx(25.0)


def test_goalposts_clip_and_count():
    vals, clipped = normalise(
        np.array([-5.0, 0.0, 7.9, 15.8, 20.0, np.nan]), "goalposts", direction=-1, goalposts=(0.0, 15.8)
    )
    np.testing.assert_allclose(vals[:5], [100, 100, 50, 0, 0])
    assert np.isnan(vals[5]) and clipped == 2


def test_minmax_zscore_rank_distance():
    x = np.array([2.0, 4.0, 6.0, 10.0])
    np.testing.assert_allclose(normalise(x, "minmax")[0], [0, 25, 50, 100])
    np.testing.assert_allclose(normalise(x, "minmax", direction=-1)[0], [100, 75, 50, 0])
    np.testing.assert_allclose(normalise(x, "zscore")[0], stats.zscore(x, ddof=1))
    np.testing.assert_allclose(normalise(x, "rank", direction=-1)[0], [100, 200 / 3, 100 / 3, 0])
    np.testing.assert_allclose(normalise(x, "distance_to_target", target=4.0)[0], [50, 100, 150, 250])


def test_cronbach_alpha_two_items_by_hand():
    # alpha = k/(k-1) (1 - (var a + var b)/var(a + b)) = 2 (1 - (5/3 + 20/3)/15) = 8/9
    df = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 4, 6, 8]})
    assert cronbach_alpha(df) == pytest.approx(8 / 9)
    assert cronbach_alpha(pd.DataFrame({"a": [1, 2, 3], "b": [1, 2, 3], "c": [1, 2, 3]})) == pytest.approx(1.0)


def test_pca_weights_are_equal_for_exchangeable_indicators():
    # three indicators with the same pairwise correlation: by symmetry equal weights 1/3
    rng = np.random.default_rng(3)
    f = rng.normal(size=4000)
    e = rng.normal(size=(4000, 3))
    cov = np.array([[1, 0.5, 0.5], [0.5, 1, 0.5], [0.5, 0.5, 1]])
    z = e @ np.linalg.cholesky(cov).T
    w, info = pca_weights(pd.DataFrame(z, columns=list("abc")))
    assert w.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(w, 1 / 3, atol=0.02)
    # eigenvalues of the equicorrelation matrix: 1 + 2 rho = 2 and 1 - rho = 0.5 (twice)
    assert info["n_factors"] == 1
    assert info["explained_variance_ratio"][0] == pytest.approx(2 / 3, abs=0.02)
    del f


def test_winsorisation_rule_reports_treated_points():
    rng = np.random.default_rng(0)
    x = pd.DataFrame(
        {"skewed": np.r_[rng.normal(10, 1, 60), 60.0], "normal": rng.normal(0, 1, 61)},
        index=[f"u{i}" for i in range(61)],
    )
    treated, report = winsorise(x)
    assert report.loc["skewed", "n_winsorised"] >= 1 and "u60" in report.loc["skewed", "units"]
    assert report.loc["normal", "n_winsorised"] == 0
    assert treated["skewed"].max() < 60
    assert not report.loc["skewed", "still_failing"]


TOY = {
    "name": "toy",
    "levels": ["indicator", "component", "index"],
    "normalisation": "none",
    "aggregation": {"index": {"method": "geometric"}},
    "missing": {"component": {"min_coverage": 0.5}},
    "nodes": [
        {"id": "idx", "level": "index"},
        {"id": "c1", "level": "component", "parent": "idx"},
        {"id": "c2", "level": "component", "parent": "idx"},
    ],
    "indicators": [
        {"id": "a", "parent": "c1", "direction": "higher"},
        {"id": "b", "parent": "c1", "direction": "higher"},
        {"id": "c", "parent": "c2", "direction": "higher"},
        {"id": "d", "parent": "c2", "direction": "higher"},
    ],
}


def test_unit_missing_a_whole_component_is_reported_or_imputed():
    fw = Framework.from_dict(TOY)
    data = pd.DataFrame(
        {"a": [20.0, 40, 60], "b": [40.0, 60, 80], "c": [25.0, np.nan, 50], "d": [100.0, np.nan, 50]},
        index=["u1", "u2", "u3"],
    )
    res = CompositeIndicator(fw).fit(data)
    # u1: c1 = 30, c2 = 62.5, index = sqrt(30 * 62.5)
    assert res.index["u1"] == pytest.approx(np.sqrt(30 * 62.5))
    assert np.isnan(res.scores["component"].loc["u2", "c2"]) and np.isnan(res.index["u2"])
    assert res.missing_scores()["c2"] == 1 and res.n_imputed == 0
    res_mean = CompositeIndicator(fw, missing={"indicator": {"policy": "mean"}}).fit(data)
    assert res_mean.n_imputed == 2
    assert res_mean.scores["component"].loc["u2", "c2"] == pytest.approx((37.5 + 75) / 2)
    # group mean: u2 takes the mean of its group (u3 only)
    filled, mask = impute(data, "group_mean", groups=pd.Series(["A", "B", "B"], index=data.index))
    assert filled.loc["u2", "c"] == 50 and int(mask.to_numpy().sum()) == 2
    filled_em, mask_em = impute(data, "em")
    assert filled_em.notna().all().all() and int(mask_em.to_numpy().sum()) == 2


def test_results_tables_and_user_weights():
    fw = Framework.from_dict(TOY)
    data = pd.DataFrame({"a": [20.0, 40], "b": [40.0, 60], "c": [25.0, 50], "d": [100.0, 50]}, index=["u1", "u2"])
    res = CompositeIndicator(fw, weighting={"a": 0.75, "b": 0.25}).fit(data)
    assert res.scores["component"].loc["u1", "c1"] == pytest.approx(25.0)
    long = res.to_frame()
    assert set(long.level) == {"indicator", "component", "index"} and len(long) == 2 * 7
    assert res.ranks["index"].loc["u2", "idx"] == 1
    assert "toy" in res.summary() and "tabular" in res.to_latex()
    coh = res.coherence()
    assert ("index", "idx") in coh.index

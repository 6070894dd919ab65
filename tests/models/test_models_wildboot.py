"""Wild cluster bootstrap: size under a true null, consistency with CR1, CI by inversion.

Expected behaviour from theory: under a true null the bootstrap p-value is
(approximately) uniform (Cameron, Gelbach & Miller 2008; MacKinnon & Webb 2017);
the CI by test inversion is the set of nulls not rejected at alpha; with many
balanced clusters it is close to the t(G-1) interval.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from localise.errors import InputError
from localise.models import PanelRegression, wild_cluster_bootstrap
from localise.models.simulate import simulate_regional_panel
from localise.models.wildboot import absorb_twoway, draw_weights
from localise.results import Results


def _clustered_data(rng, G=16, n_g=12, beta=0.0):
    g = np.repeat(np.arange(G), n_g)
    x = rng.normal(size=G)[g] + rng.normal(size=G * n_g)
    u = rng.normal(size=G)[g] + rng.normal(size=G * n_g)
    X = np.column_stack([np.ones(G * n_g), x])
    return X @ np.array([1.0, beta]) + u, X, g


def test_webb_weights_have_mean_zero_unit_variance():
    w = draw_weights(1, 60000, seed=1).ravel()
    assert set(np.round(np.unique(w) ** 2, 12)) == {0.5, 1.0, 1.5}
    assert abs(w.mean()) < 0.02 and abs(w.var() - 1.0) < 0.02
    np.testing.assert_array_equal(draw_weights(5, 7, seed=3), draw_weights(5, 7, seed=3))


def test_null_pvalues_roughly_uniform():
    rng = np.random.default_rng(123)
    pvals = []
    for i in range(200):
        y, X, g = _clustered_data(rng)
        pvals.append(wild_cluster_bootstrap(y, X, g, contrast=[0, 1], reps=99, seed=i, ci=False).pvalue)
    pvals = np.array(pvals)
    # 200 draws: a KS test at 1% and the 5% / 10% rejection rates within binomial bounds.
    assert stats.kstest(pvals, "uniform").pvalue > 0.01
    assert 0.01 <= np.mean(pvals <= 0.05) <= 0.10
    assert 0.04 <= np.mean(pvals <= 0.10) <= 0.17


def test_ci_inversion_and_agreement_with_cr1():
    rng = np.random.default_rng(7)
    y, X, g = _clustered_data(rng, G=40, n_g=10, beta=0.5)
    res = wild_cluster_bootstrap(y, X, g, contrast=[0, 1], reps=999, seed=4)
    assert res.ci_low < res.estimate < res.ci_high
    # at the bounds the test is at the margin: p just below/above alpha
    for bound in (res.ci_low, res.ci_high):
        inside = bound + 0.02 * res.std_error * np.sign(res.estimate - bound)
        outside = bound - 0.02 * res.std_error * np.sign(res.estimate - bound)
        assert wild_cluster_bootstrap(y, X, g, contrast=[0, 1], null=inside, reps=999, seed=4, ci=False).pvalue > 0.05
        assert wild_cluster_bootstrap(y, X, g, contrast=[0, 1], null=outside, reps=999, seed=4, ci=False).pvalue <= 0.05
    crit = stats.t.ppf(0.975, 39)
    width_t = 2 * crit * res.std_error
    assert (res.ci_high - res.ci_low) == pytest.approx(width_t, rel=0.2)
    assert "unreliable with few treated clusters" in res.summary()
    assert res.to_frame()["note"].iloc[0].startswith("Clustered inference is unreliable")
    # the views of the results base come from summary()
    assert isinstance(res, Results) and repr(res) == str(res) == res.summary()


def test_bootstrap_se_equals_panel_cr1_and_is_deterministic():
    df = simulate_regional_panel(n_countries=10, regions_per_country=4, years=(2000, 2010), seed=2)
    fe = PanelRegression("y", ["x", "treated"], cluster="country").fit(df)
    Z = absorb_twoway(fe.data, ["y", "x", "treated"], entity="geo", time="year")
    y = Z.pop("y")
    a = wild_cluster_bootstrap(y, Z, fe.data["country"], contrast="treated", reps=199, seed=5, k_small_sample=2)
    b = wild_cluster_bootstrap(y, Z, fe.data["country"], contrast="treated", reps=199, seed=5, k_small_sample=2)
    assert a.std_error == pytest.approx(fe.std_errors["treated"], rel=1e-8)
    assert a.estimate == pytest.approx(fe.params["treated"], rel=1e-10)
    assert (a.pvalue, a.ci_low, a.ci_high) == (b.pvalue, b.ci_low, b.ci_high)
    # the results method runs the same test; its standard error is linearmodels' CR1
    c = fe.wild_bootstrap("treated", reps=199, seed=5)
    assert c.std_error == pytest.approx(fe.std_errors["treated"], rel=1e-8)
    assert (c.pvalue, c.ci_low, c.ci_high) == (a.pvalue, a.ci_low, a.ci_high)
    with pytest.raises(InputError, match="not a regressor"):
        fe.wild_bootstrap("z", reps=99)
    pooled = PanelRegression("y", ["x"], effects="pooled", cluster="country").fit(df)
    with pytest.raises(InputError, match="effects='twoway'"):
        pooled.wild_bootstrap(reps=99)


def test_bad_input():
    y, X, g = _clustered_data(np.random.default_rng(0))
    with pytest.raises(InputError):
        wild_cluster_bootstrap(y, X, g, contrast=[1.0], reps=99)
    with pytest.raises(InputError):
        wild_cluster_bootstrap(y, X, np.zeros(len(y)), contrast=[0, 1], reps=99)
    with pytest.raises(InputError):
        wild_cluster_bootstrap(y, X, g, contrast=[0, 1], reps=99, weights="mammen")

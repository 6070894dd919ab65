"""Monte Carlo uncertainty analysis: analytical properties of rank intervals and Sobol indices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from localise.errors import InputError
from localise.indicators import CompositeIndicator, Framework, spi
from localise.indicators.uncertainty import UncertaintyAnalysis
from localise.results import SYNTHETIC_BANNER, Results

SPEC = {
    "name": "toy",
    "levels": ["indicator", "component", "index"],
    "normalisation": "minmax",
    "aggregation": {"index": {"method": "power", "order": 0.5}},
    "nodes": [
        {"id": "idx", "level": "index"},
        {"id": "c1", "level": "component", "parent": "idx"},
        {"id": "c2", "level": "component", "parent": "idx"},
    ],
    "indicators": [{"id": f"x{i}", "parent": "c1" if i < 3 else "c2", "direction": "higher"} for i in range(6)],
}


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(11)
    x = pd.DataFrame(
        rng.uniform(10, 90, size=(30, 6)), columns=[f"x{i}" for i in range(6)], index=[f"u{i:02d}" for i in range(30)]
    )
    x.loc["best"] = 100.0  # best on every indicator: rank 1 under any monotone aggregation
    x.loc["worst"] = 0.0  # worst on every indicator: last under any choice
    return x


def test_dominating_units_have_degenerate_rank_intervals(data):
    fw = Framework.from_dict(SPEC)
    res = UncertaintyAnalysis(
        fw, normalisations=("minmax", "rank"), orders=(0.0, 0.5, 1.0), n_replications=600, seed=3
    ).run(data)
    rs = res.rank_summary()
    assert rs.loc["best", ["rank_p05", "median_rank", "rank_p95"]].tolist() == [1, 1, 1]
    n = len(data)
    assert rs.loc["worst", ["rank_p05", "rank_p95"]].tolist() == [n, n]
    assert (rs.rank_p05 <= rs.median_rank).all() and (rs.median_rank <= rs.rank_p95).all()
    # the reference equals the engine with the nominal choices
    ref = CompositeIndicator(fw).fit(data).index
    np.testing.assert_allclose(res.reference_scores, ref, rtol=1e-5)
    assert set(res.sobol.index) == {"weights", "normalisation", "aggregation", "exclusion"}
    assert "Sobol" in res.summary() and "tabular" in res.to_latex()


def test_factor_without_effect_has_zero_total_index(data):
    """Two equal candidate orders: the aggregation factor cannot change the output, so its
    total Sobol index is exactly 0 (Jansen estimator: f(A) - f(A_B) = 0); the only other
    factor then explains all the variance (S1 = ST = 1 up to sampling error)."""
    fw = Framework.from_dict(SPEC)
    res = UncertaintyAnalysis(
        fw, orders=(0.5, 0.5), weight_range=0.0, leave_one_out=True, n_replications=2000, seed=5
    ).run(data)
    assert res.sobol.loc["aggregation", "ST"] == pytest.approx(0.0, abs=1e-12)
    assert res.sobol.loc["exclusion", "ST"] == pytest.approx(1.0, abs=0.1)
    assert res.sobol.loc["exclusion", "S1"] == pytest.approx(1.0, abs=0.1)


def test_seeded_runs_are_identical_and_nothing_varying_is_an_error(data):
    fw = Framework.from_dict(SPEC)
    a = UncertaintyAnalysis(fw, n_replications=300, seed=9).run(data)
    b = UncertaintyAnalysis(fw, n_replications=300, seed=9, chunk_size=37).run(data)
    np.testing.assert_array_equal(a.ranks, b.ranks)
    with pytest.raises(InputError, match="nothing varies"):
        UncertaintyAnalysis(fw, orders=(0.5,), weight_range=0.0, leave_one_out=False).run(data)


def test_dask_scheduler_gives_the_same_result(data):
    distributed = pytest.importorskip("distributed")
    fw = Framework.from_dict(SPEC)
    local = UncertaintyAnalysis(fw, n_replications=200, seed=2, chunk_size=50).run(data)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        remote = UncertaintyAnalysis(
            fw, n_replications=200, seed=2, chunk_size=50, scheduler=cluster.scheduler_address
        ).run(data)
    np.testing.assert_array_equal(local.ranks, remote.ranks)


def test_sobol_indices_of_the_ishigami_function_match_the_analytic_values():
    """Ishigami & Homma (1990), a = 7, b = 0.1, X_i ~ U(-pi, pi): analytic indices
    (Sobol' & Levitan 1999; e.g. Saltelli et al. 2008, Global Sensitivity Analysis,
    section 4.7): V = a^2/8 + b pi^4/5 + b^2 pi^8/18 + 1/2; V1 = (1 + b pi^4/5)^2 / 2,
    V2 = a^2/8, V3 = 0, V13 = b^2 pi^8 (1/18 - 1/50)."""
    from localise.indicators.uncertainty import saltelli_design, sobol_table

    a, b = 7.0, 0.1
    v1, v2, v13 = (1 + b * np.pi**4 / 5) ** 2 / 2, a**2 / 8, b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    s1 = np.array([v1, v2, 0.0]) / v  # 0.3139, 0.4424, 0
    st = np.array([v1 + v13, v2, v13]) / v  # 0.5576, 0.4424, 0.2437
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
    x = saltelli_design(problem, 2**13, seed=3)
    y = np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])
    table = sobol_table(problem, y, num_resamples=50, seed=3)
    np.testing.assert_allclose(table["S1"], s1, atol=0.02)
    np.testing.assert_allclose(table["ST"], st, atol=0.02)
    assert st[2] > 0.2 and table.loc["x3", "S1"] < 0.02  # x3 acts only through its interaction with x1


def _data(synthetic: bool) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    x = pd.DataFrame(
        rng.uniform(10, 90, size=(12, 6)), columns=[f"x{i}" for i in range(6)], index=[f"u{i:02d}" for i in range(12)]
    )
    x.attrs["synthetic"] = synthetic
    return x


@pytest.mark.parametrize("synthetic", [True, False])
def test_composite_and_uncertainty_results(synthetic):
    fw = Framework.from_dict(SPEC)
    data = _data(synthetic)
    res = CompositeIndicator(fw).fit(data)
    unc = UncertaintyAnalysis(fw, n_replications=40, num_resamples=10, seed=1).run(data)
    for obj in (res, unc):
        assert isinstance(obj, Results)
        text = obj.summary()
        assert repr(obj) == str(obj) == text
        assert text.splitlines().count(SYNTHETIC_BANNER) == (1 if synthetic else 0)
        latex = obj.to_latex(caption="Scores")
        assert r"\caption{Scores" in latex and ("SYNTHETIC" in latex) == synthetic
    assert "tabular" in res.to_latex(levels=["index"], float_format="%.1f")
    frames = [
        *res.scores.values(),
        *res.ranks.values(),
        res.normalised,
        res.to_frame(),
        res.wide(),
        res.coherence(),
        res.correlations("component", "index"),
        unc.sobol,
        unc.rank_summary(),
        unc.to_frame(),
        unc.sobol.round(3),
    ]
    for frame in frames:
        assert frame.attrs.get("synthetic") is synthetic
    # the published-vs-computed table follows the index it compares
    assert spi.compare_published(res.index, {"u00": 50.0}).attrs["synthetic"] is synthetic


def test_framework_name_is_loaded_once_by_both_settings_classes():
    composite = CompositeIndicator("eu_spi_2016")
    analysis = UncertaintyAnalysis("eu_spi_2016", n_replications=10)
    assert isinstance(composite.framework, Framework) and isinstance(analysis.framework, Framework)
    assert composite.framework.name == analysis.framework.name == "eu_spi_2016"

"""Analytical checks of localise.context: matrix, PCA, clustering, gap statistic, case selection.

Expected values are analytical (eigenvalues of the correlation matrix, planted
clusters, argmin of distances, moments of winsorised data), not outputs of the code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from localise.context import (
    PROPOSED_LABEL,
    MatrixSpec,
    RegionalTypology,
    build_matrix,
    cluster_labels,
    fit_pca,
    gap_statistic,
    parse_indicator,
    select_cases,
    selection_stability,
    treat_outliers,
    within_dispersion,
)
from localise.errors import InputError
from localise.results import SYNTHETIC_BANNER, Results

INDICATORS = ("unemployment_rate", "gdp_pps_per_inhabitant", "adult_learning_rate", "arope")


def _planted_panel(
    *,
    seed: int = 0,
    n_per: int = 8,
    centres: np.ndarray | None = None,
    spread: float = 0.3,
    years: tuple[int, ...] = (2011, 2012, 2013),
    countries: tuple[str, ...] = ("AA", "BB", "CC"),
) -> tuple[pd.DataFrame, pd.Series]:
    """Tidy panel (data-contract schema) with planted, well-separated clusters.

    Every country holds ``n_per`` regions of every cluster. Returns the panel and
    the planted cluster of each region.
    """
    rng = np.random.default_rng(seed)
    if centres is None:
        # three centres forming a triangle (not collinear) in standardised space: three equally
        # spaced collinear clusters are a known case where the gap rule stops at k = 1
        centres = np.array([[4.0, 40.0, 15.0, 12.0], [22.0, 38.0, 14.0, 35.0], [12.0, 15.0, 3.0, 20.0]])
    rows, truth = [], {}
    for c in countries:
        for cl, centre in enumerate(centres):
            for i in range(n_per):
                geo = f"{c}{cl}{i}"
                truth[geo] = cl
                base = centre + rng.normal(0, spread, size=centre.size) * np.array([1, 2, 1, 1])
                for y in years:
                    for ind, v in zip(INDICATORS, base + rng.normal(0, 0.05, size=centre.size)):
                        rows.append(
                            {
                                "geo": geo,
                                "country": c,
                                "nuts_level": 2,
                                "year": y,
                                "indicator": ind,
                                "sex": "T",
                                "unit": "x",
                                "value": float(v),
                                "flags": "",
                                "source": "test",
                            }
                        )
    panel = pd.DataFrame(rows)
    panel.attrs["synthetic"] = True
    return panel, pd.Series(truth)


def _spec(**kw) -> MatrixSpec:
    settings = {"countries": None, "indicators": INDICATORS, "period": (2011, 2013), "outliers": "none"}
    settings.update(kw)
    return MatrixSpec.make(**settings)


def test_parse_indicator():
    assert parse_indicator("unemployment_rate") == ("unemployment_rate", "T", None)
    assert parse_indicator("unemployment_rate:F-M") == ("unemployment_rate", "F", "M")
    with pytest.raises(InputError, match="expected 'id'"):
        parse_indicator("unemployment rate")


def test_matrix_period_mean_orientation_and_zscores():
    panel, _ = _planted_panel()
    m = build_matrix(panel, _spec())
    # period mean by hand for one region and indicator
    rows = panel[(panel.geo == "AA10") & (panel.indicator == "gdp_pps_per_inhabitant")]
    assert m.treated.loc["AA10", "gdp_pps_per_inhabitant"] == pytest.approx(rows.value.mean())
    # z = sign * (x - mean) / sd(ddof=1); GDP is reversed (higher GDP = less pressure)
    x = m.treated["gdp_pps_per_inhabitant"]
    expected = -(x - x.mean()) / x.std(ddof=1)
    np.testing.assert_allclose(m.z["gdp_pps_per_inhabitant"], expected.loc[m.z.index], rtol=1e-12)
    assert m.orientation == {
        "unemployment_rate": 1,
        "gdp_pps_per_inhabitant": -1,
        "adult_learning_rate": -1,
        "arope": 1,
    }
    np.testing.assert_allclose(m.z.mean(), 0, atol=1e-12)
    np.testing.assert_allclose(m.z.std(ddof=1), 1, rtol=1e-12)
    assert m.synthetic


def test_matrix_standardises_over_all_regions_not_selected_only():
    panel, _ = _planted_panel()
    m = build_matrix(panel, _spec(countries=["AA"]))
    assert set(m.countries) == {"AA"}
    x_all = m.treated["unemployment_rate"]  # population = all regions of the panel
    assert len(x_all) == 72
    z = (x_all - x_all.mean()) / x_all.std(ddof=1)
    np.testing.assert_allclose(m.z["unemployment_rate"], z.loc[m.z.index])
    local = build_matrix(panel, _spec(countries=["AA"], standardise_over="selected"))
    np.testing.assert_allclose(local.z.std(ddof=1), 1, rtol=1e-12)


def test_matrix_gap_spec_and_missing_regions_dropped():
    panel, _ = _planted_panel()
    extra = panel[panel.indicator == "unemployment_rate"].copy()
    female, male = extra.assign(sex="F"), extra.assign(sex="M")
    female["value"] += 1.5
    panel2 = pd.concat([panel, female, male], ignore_index=True)
    panel2 = panel2[~((panel2.geo == "AA00") & (panel2.indicator == "arope"))]
    m = build_matrix(panel2, _spec(indicators=(*INDICATORS, "unemployment_rate:F-M")))
    assert "AA00" not in m.z.index
    assert m.dropped.to_dict("records") == [{"geo": "AA00", "country": "AA", "missing": "arope"}]
    np.testing.assert_allclose(m.treated["unemployment_rate:F-M"], 1.5, rtol=1e-12)
    filled = build_matrix(panel2, _spec(missing="country_mean"))
    assert "AA00" in filled.z.index and len(filled.imputed) == 1


def test_matrix_errors_name_the_parameter():
    panel, _ = _planted_panel()
    with pytest.raises(InputError, match="exactly one of year"):
        MatrixSpec(year=2012, period=(2011, 2013))
    with pytest.raises(InputError, match="no orientation known"):
        build_matrix(
            panel.assign(indicator=panel.indicator.replace("arope", "mystery")),
            _spec(indicators=("unemployment_rate", "mystery")),
        )
    with pytest.raises(InputError, match="countries \\['ZZ'\\]"):
        build_matrix(panel, _spec(countries=["ZZ"]))


def test_outlier_rule_winsorises_until_moments_pass():
    # 29 regular values and one huge outlier: skew > 2 and excess kurtosis > 3.5
    values = pd.Series(np.r_[np.linspace(10, 20, 29), 200.0], index=[f"R{i}" for i in range(30)])
    assert stats.skew(values, bias=False) > 2 and stats.kurtosis(values, bias=False) > 3.5
    treated, log = treat_outliers(values)
    assert log == [{"geo": "R29", "action": "winsorised", "old": 200.0, "new": 20.0}]
    assert treated["R29"] == 20.0
    # tied extreme points move together to the next distinct value (no step is wasted on a tie)
    tied = pd.Series(np.r_[np.linspace(10, 20, 38), 200.0, 200.0], index=[f"T{i}" for i in range(40)])
    t_tied, log_tied = treat_outliers(tied)
    assert [(r["geo"], r["old"], r["new"]) for r in log_tied] == [("T38", 200.0, 20.0), ("T39", 200.0, 20.0)]
    assert t_tied.max() == 20.0
    # a distribution that stays skewed after five winsorisation steps is log-transformed:
    # after five steps the six largest values all equal the sixth largest, and then
    # skew = 2.61 > 2 and excess kurtosis = 6.02 > 3.5 (computed below, independently of the code)
    v = np.exp(np.linspace(0, 12, 200))
    w = v.copy()
    w[-5:] = v[-6]
    assert stats.skew(w, bias=False) > 2 and stats.kurtosis(w, bias=False) > 3.5
    skewed = pd.Series(v, index=[f"S{i}" for i in range(200)])
    t2, log2 = treat_outliers(skewed)
    winsorised = [r for r in log2 if r["action"] == "winsorised"]
    assert len(winsorised) == 1 + 2 + 3 + 4 + 5  # tied points move together at each of the five steps
    assert [r["geo"] for r in log2 if r["action"] == "log"] == list(skewed.index)
    np.testing.assert_allclose(t2.to_numpy(), np.log(w - w.min() + 1.0))
    assert (np.diff(t2.to_numpy()) >= 0).all()  # order kept


def test_pca_explained_variance_equals_correlation_eigenvalues():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 5)) @ rng.normal(size=(5, 5))
    z = pd.DataFrame((X - X.mean(0)) / X.std(0, ddof=1), columns=list("abcde"))
    res = fit_pca(z)
    eig = np.sort(np.linalg.eigvalsh(np.corrcoef(X, rowvar=False)))[::-1]
    np.testing.assert_allclose(res.eigenvalues.to_numpy(), eig, rtol=1e-10)
    np.testing.assert_allclose(res.explained_variance_ratio.to_numpy(), eig / 5, rtol=1e-10)
    # loadings of standardised data are the correlations of indicator and component score
    for j in range(2):
        corr = [np.corrcoef(z[c], res.scores.iloc[:, j])[0, 1] for c in z.columns]
        np.testing.assert_allclose(res.loadings.iloc[:, j], corr, atol=1e-10)
    kaiser = int((eig > 1).sum())
    cum = int(np.argmax(np.cumsum(eig) / 5 >= 0.7) + 1)
    assert res.n_retained == max(kaiser, cum)


def test_within_dispersion_is_half_mean_pairwise_distance():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(12, 3))
    labels = np.repeat([0, 1, 2], 4)
    expected = 0.0
    for lab in range(3):
        pts = X[labels == lab]
        d = ((pts[:, None, :] - pts[None, :, :]) ** 2).sum()
        expected += d / (2 * len(pts))  # D_r / (2 n_r), Tibshirani et al. (2001) eq. (2)
    assert within_dispersion(X, labels) == pytest.approx(expected)


@pytest.mark.parametrize("method", ["ward", "kmeans"])
def test_planted_clusters_recovered(method):
    panel, truth = _planted_panel()
    m = build_matrix(panel, _spec())
    res = RegionalTypology(method=method, k_range=range(2, 7), seed=1, gap_refs=10, n_init=20).fit(m)
    assert res.k == 3 and res.k_source == "highest silhouette"
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(truth[res.labels.index], res.labels) == 1.0
    assert res.ari == 1.0
    assert res.gap.k == 3
    assert "silhouette and gap disagree" not in res.summary()
    # seeded: a second fit gives identical partitions and gap values
    again = RegionalTypology(method=method, k_range=range(2, 7), seed=1, gap_refs=10, n_init=20).fit(m)
    assert (again.labels == res.labels).all()
    np.testing.assert_array_equal(again.gap.table.to_numpy(), res.gap.table.to_numpy())


@pytest.mark.parametrize(("planted", "method"), [(2, "ward"), (4, "kmeans")])
def test_gap_statistic_picks_planted_k(planted, method):
    rng = np.random.default_rng(planted)
    centres = np.array([[0, 0], [10, 0], [0, 10], [10, 10]], dtype=float)[:planted]
    X = np.vstack([c + rng.normal(0, 0.5, size=(25, 2)) for c in centres])
    res = gap_statistic(
        X, lambda d, ks: cluster_labels(d, ks, method=method, n_init=5), ks=range(1, 7), n_refs=10, seed=0
    )
    assert res.k == planted


def test_gap_statistic_picks_one_for_uniform_data():
    X = np.random.default_rng(5).uniform(size=(80, 2))
    res = gap_statistic(X, lambda d, ks: cluster_labels(d, ks, method="ward"), ks=range(1, 6), n_refs=20, seed=0)
    assert res.k == 1


def test_case_selection_typical_is_argmin_and_diverse_covers_clusters():
    panel, truth = _planted_panel(n_per=5)
    # country DD holds clusters 0 and 1 only, with three regions in cluster 0
    dd, _ = _planted_panel(seed=9, n_per=3, countries=("DD",))
    dd = dd[dd.geo.str[2].isin(["0", "1"]) & ~dd.geo.isin(["DD12"])]
    m = build_matrix(pd.concat([panel, dd], ignore_index=True), _spec())
    res = RegionalTypology(k=3, gap_refs=0, n_init=10).fit(m)
    sel = select_cases(res, n_cases=3)
    assert sel.label == PROPOSED_LABEL
    X, cents = res.space, res.centroids
    for country in ["AA", "BB", "CC", "DD"]:
        regions = res.matrix.countries[res.matrix.countries == country].index
        labels = res.labels[regions]
        modal = labels.value_counts().idxmax()
        members = regions[labels == modal]
        d = np.sqrt(((X.loc[members] - cents.loc[modal]) ** 2).sum(axis=1))
        assert sel.selected("typical")[country] == [d.idxmin()]
        diverse = sel.cases[(sel.cases.country == country) & (sel.cases.role == "diverse")]
        assert sorted(diverse.cluster) == sorted(labels.unique())
        for r in diverse.itertuples():
            mem = regions[labels == r.cluster]
            dd_ = np.sqrt(((X.loc[mem] - cents.loc[r.cluster]) ** 2).sum(axis=1))
            assert r.geo == dd_.idxmin() and r.distance == pytest.approx(dd_.min())
        centre = X.mean()
        dist_c = np.sqrt(((X.loc[regions] - centre) ** 2).sum(axis=1))
        assert sel.selected("extreme")[country] == [dist_c.idxmax()]
        assert len(sel.selected("proposed")[country]) == 3
    # DD has two clusters: the proposed set holds both diverse cases plus the second-closest of its largest cluster
    prop = sel.cases[(sel.cases.country == "DD") & (sel.cases.role == "proposed")]
    assert prop.cluster.nunique() == 2
    assert (prop.cluster.value_counts().max()) == 2
    assert "selection proposed by localise" in sel.to_latex()


def test_selection_stability_on_planted_data():
    panel, _ = _planted_panel(n_per=4, years=(2011, 2012, 2013, 2014))
    spec = _spec()
    est = RegionalTypology(k=3, gap_refs=0, n_init=10)
    stab = selection_stability(panel, spec, est, k=3, years=[2014])
    table = stab.table.set_index("variant")
    assert list(table.index) == ["k=2", "k=4", *[f"without {i}" for i in INDICATORS], "year=2014"]
    # well separated clusters: dropping one indicator or changing year leaves the partition intact
    assert (table.loc[[f"without {i}" for i in INDICATORS] + ["year=2014"], "ari"] == 1.0).all()
    assert table.loc["k=2", "ari"] < 1.0
    assert (table.status == "ok").all()
    missing_year = selection_stability(panel, spec, est, k=3, years=[1990], leave_one_out=False, ks=[])
    assert missing_year.table.status.iloc[0].startswith("not run")


def test_structure_verdict_separates_planted_clusters_from_a_continuum():
    from localise.context import structure_verdict

    # planted, well-separated clusters: the verdict reads them as types
    panel, _ = _planted_panel(n_per=6)
    matrix = build_matrix(panel, MatrixSpec.make(countries=None, indicators=INDICATORS, period=(2011, 2013)))
    planted = RegionalTypology(gap_refs=10, k_range=range(2, 6), n_init=5).fit(matrix)
    text, numbers = structure_verdict(planted)
    assert numbers["structure"] and numbers["gap_k"] > 1 and numbers["silhouette_max"] > 0.5, text
    # one Gaussian blob (a continuum): no structure, and the text says the clusters are a description
    rng = np.random.default_rng(1)
    rows = [
        {
            "geo": f"R{i:03d}",
            "country": "AA",
            "nuts_level": 2,
            "year": 2012,
            "indicator": ind,
            "sex": "T",
            "unit": "x",
            "value": float(v),
            "flags": "",
            "source": "test",
        }
        for i in range(90)
        for ind, v in zip(INDICATORS, rng.normal(0, 1, len(INDICATORS)))
    ]
    blob = build_matrix(pd.DataFrame(rows), MatrixSpec.make(countries=None, indicators=INDICATORS, year=2012))
    fit = RegionalTypology(gap_refs=10, k_range=range(2, 6), n_init=5).fit(blob)
    text, numbers = structure_verdict(
        fit, pd.DataFrame({"kind": ["year"], "variant": ["year=2010"], "typical_same": [1 / 6], "proposed_kept": [0.4]})
    )
    assert not numbers["structure"] and numbers["silhouette_max"] <= 0.5
    assert "not distinct types" in text and "only 17%" in text and "year=2010" in text


@pytest.fixture(scope="module", params=[True, False], ids=["synthetic", "real"])
def fitted(request):
    panel, _ = _planted_panel(n_per=4)
    panel.attrs["synthetic"] = request.param
    spec = _spec()
    estimator = RegionalTypology(k=3, gap_refs=5, n_init=5, seed=0)
    result = estimator.fit(build_matrix(panel, spec))
    selection = select_cases(result, n_cases=2)
    stability = selection_stability(panel, spec, estimator, k=3, ks=[2], leave_one_out=False, n_cases=2)
    return request.param, result, selection, stability


def test_views_come_from_summary_with_one_banner(fitted):
    synthetic, result, selection, stability = fitted
    for obj in (result.matrix, result, result.pca, selection, stability):
        assert isinstance(obj, Results)
        text = obj.summary()
        assert repr(obj) == str(obj) == text
        assert obj._repr_html_().startswith("<pre>")
        assert obj.synthetic == synthetic
    for obj in (result.matrix, result, selection, stability):
        # the banner stays at the end of the title line, as it was written before
        title = obj.summary().splitlines()[0]
        assert title.endswith(f" {SYNTHETIC_BANNER}") == synthetic
        assert obj.summary().count(SYNTHETIC_BANNER) == (1 if synthetic else 0)


def test_to_latex_takes_a_caption_marked_when_synthetic(fitted):
    synthetic, result, selection, stability = fitted
    for obj in (result.matrix, result, result.pca, selection, stability):
        latex = obj.to_latex(caption="My caption")
        assert r"\caption{My caption" in latex
        assert ("SYNTHETIC" in latex) == synthetic
    assert "selection proposed by localise" in selection.to_latex()


def test_returned_frames_carry_the_flag(fitted):
    synthetic, result, selection, stability = fitted
    m = result.matrix
    frames = [
        m.raw,
        m.treated,
        m.z,
        m.availability,
        m.dropped,
        m.imputed,
        m.treatment_log,
        m.breaks,
        m.to_frame(),
        result.pca.to_frame(),
        result.pca.loadings,
        result.pca.scores,
        result.k_table,
        result.centroids,
        result.profiles(),
        result.to_frame(),
        selection.to_frame(),
        selection.distances,
        selection.proposed(),
        stability.to_frame(),
        stability.by_country,
    ]
    for frame in frames:
        assert frame.attrs.get("synthetic") is synthetic

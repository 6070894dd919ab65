"""Maps and country-profile helpers of localise.context, on small frames of the data-contract schema."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from test_context_typology import INDICATORS, _planted_panel  # noqa: E402

from localise.context import (  # noqa: E402
    MatrixSpec,
    RegionalTypology,
    build_matrix,
    country_context,
    national_framework,
    outcome_trends,
    plot_k_choice,
    plot_scores,
    plot_trends,
    select_cases,
    typology_map,
    typology_position,
)
from localise.errors import InputError  # noqa: E402


@pytest.fixture(scope="module")
def fitted():
    panel, truth = _planted_panel(n_per=4)
    matrix = build_matrix(panel, MatrixSpec.make(countries=None, indicators=INDICATORS, period=(2011, 2013)))
    result = RegionalTypology(k=3, gap_refs=5, k_range=range(2, 5), n_init=10).fit(matrix)
    return panel, matrix, result, select_cases(result)


def test_typology_map_draws_clusters_and_reports_unmatched(fitted):
    gpd = pytest.importorskip("geopandas")
    from shapely.geometry import box

    _, matrix, result, selection = fitted
    geos = list(matrix.z.index)
    # one unit square per region on a grid; the last region has no polygon (code change between NUTS versions)
    polys = [box(i % 6, i // 6, i % 6 + 1, i // 6 + 1) for i in range(len(geos) - 1)]
    gdf = gpd.GeoDataFrame({"geo": geos[:-1], "country": [g[:2] for g in geos[:-1]]}, geometry=polys, crs=4326)
    outcome = typology_map(result, gdf, selection=selection, title="test")
    assert outcome and outcome.unmatched == [geos[-1]]
    assert geos[-1] in outcome.note
    ax = outcome.figure.axes[0]
    # legend: one entry per cluster plus the case outline, labelled as a localise proposal
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["cluster 1", "cluster 2", "cluster 3", "case (selection proposed by localise)"]
    matplotlib.pyplot.close("all")


def test_typology_map_skipped_without_boundaries(fitted):
    outcome = typology_map(fitted[2], None)
    assert not outcome and outcome.figure is None and "skipped" in outcome.note


def test_k_choice_and_score_plots(fitted):
    _, _, result, selection = fitted
    fig = plot_k_choice(result)
    assert len(fig.axes) == 2
    fig2 = plot_scores(result, highlight="AA", selection=selection)
    labels = [t.get_text() for t in fig2.axes[0].texts]
    assert set(labels) == set(selection.proposed().query("country == 'AA'")["geo"])
    matplotlib.pyplot.close("all")


def test_country_context_and_position(fitted):
    _, matrix, result, _ = fitted
    ctx = country_context(matrix, "AA")
    aa = matrix.countries.index[matrix.countries == "AA"]
    assert ctx.loc["arope", "country_mean"] == pytest.approx(matrix.treated.loc[aa, "arope"].mean())
    assert ctx.loc["arope", "all_regions_median"] == pytest.approx(matrix.treated["arope"].median())
    pos = typology_position(result, "AA")
    assert set(pos.index) == set(aa)
    g = pos.index[0]
    d = np.sqrt(((result.space.loc[g] - result.centroids.loc[result.labels[g]]) ** 2).sum())
    assert pos.loc[g, "dist_own_centroid"] == pytest.approx(d)
    with pytest.raises(InputError, match="'ZZ'"):
        country_context(matrix, "ZZ")


def test_outcome_trends_flag_breaks():
    rows = []
    for geo in ("FR", "EU28", "DE"):
        for y in range(2008, 2013):
            flag = "b" if (geo == "FR" and y == 2010) else ("bp" if (geo == "EU28" and y == 2012) else "")
            rows.append(
                {
                    "geo": geo,
                    "country": geo[:2] if geo != "EU28" else "EU",
                    "nuts_level": 0,
                    "year": y,
                    "indicator": "unemployment_rate",
                    "sex": "T",
                    "unit": "PC_ACT",
                    "value": 8.0 + y % 3,
                    "flags": flag,
                    "source": "test",
                }
            )
    panel = pd.DataFrame(rows)
    tr = outcome_trends(panel, "FR", indicators=["unemployment_rate", "neet_rate"])
    assert set(tr["geo"]) == {"FR", "EU28"}
    assert tr.attrs["absent"] == ["neet_rate"]
    flagged = tr[tr["break_in_series"]][["geo", "year"]].to_records(index=False).tolist()
    assert sorted(flagged) == [("EU28", 2012), ("FR", 2010)]
    fig = plot_trends(tr, "FR")
    assert fig is not None
    matplotlib.pyplot.close("all")


def test_national_framework_counts_codes_in_force():
    import pandas as pd

    from localise.grid.frameworks import DEFAULT_FRAMEWORKS

    outcome = national_framework("DE", as_of=2015)
    table = outcome.table
    assert set(table["country"]) == {"DE"}
    assert table["dimension"].is_unique  # one code in force per dimension
    raw = pd.read_csv(DEFAULT_FRAMEWORKS, dtype=str, keep_default_na=False)
    raw = raw[(raw["country"] == "DE") & (raw["level"] != "") & (raw["valid_from"].astype(int) <= 2015)]
    assert table["level"].notna().sum() == raw["dimension"].nunique()
    assert outcome.note.startswith(f"{raw['dimension'].nunique()} dimension(s) coded in force in 2015 for DE")


def test_report_marks_synthetic_matrix(fitted):
    from localise import provenance

    _, matrix, _, _ = fitted
    assert provenance.label("Title", matrix) == "Title [SYNTHETIC DATA]"


def test_saved_typology_is_read_not_refitted(fitted, tmp_path):
    # notebook 07 reads what notebook 03 saved; distances agree with the fitted result's
    from localise.context import plot_saved_scores, saved_position, saved_typology
    from localise.errors import DataUnavailableError

    _, _, result, selection = fitted
    folder = tmp_path / "03_regional_context"
    folder.mkdir()
    result.to_frame().to_csv(folder / "03_region_clusters_SYNTHETIC.csv")
    selection.to_frame().to_csv(folder / "03_cases_SYNTHETIC.csv")  # as report.save_table writes it
    result.k_table.to_csv(folder / "03_k_choice_SYNTHETIC.csv")
    saved = saved_typology(run_dir=tmp_path)
    assert saved["regions"].attrs["synthetic"] is True
    pd.testing.assert_series_equal(
        saved["regions"]["cluster_ward"],
        result.labels.rename("cluster_ward"),
        check_names=False,
        check_index_type=False,
    )
    pos = saved_position(saved["regions"], "AA")
    expected = typology_position(result, "AA")
    if result.space.shape[1] == result.pca.n_retained:  # clustering space = retained PCA scores
        np.testing.assert_allclose(pos["dist_own_centroid"].sort_index(), expected["dist_own_centroid"].sort_index())
    assert set(pos.index) == set(expected.index)
    fig = plot_saved_scores(saved["regions"], highlight="AA", cases=saved["cases"])
    assert fig.axes[0].get_xlabel() == "PC1"
    assert list(saved["cases"].columns[:3]) == ["country", "role", "geo"]
    matplotlib.pyplot.close("all")
    with pytest.raises(DataUnavailableError, match="run `localise run --only 03_regional_context"):
        saved_typology(run_dir=tmp_path / "empty")


def test_trend_plot_year_ticks_are_integers():
    rows = [
        {
            "geo": "FR",
            "country": "FR",
            "nuts_level": 0,
            "year": y,
            "indicator": "neet_rate",
            "sex": "T",
            "unit": "PC",
            "value": 10.0 + y % 2,
            "flags": "",
            "source": "test",
        }
        for y in (2002, 2003)
    ]
    tr = outcome_trends(pd.DataFrame(rows), "FR", indicators=["neet_rate"], reference=None)
    fig = plot_trends(tr, "FR")
    fig.canvas.draw()
    ticks = fig.axes[0].get_xticks()
    assert len(ticks) and all(float(t).is_integer() for t in ticks), ticks
    matplotlib.pyplot.close("all")

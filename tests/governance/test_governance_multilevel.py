"""Cross-level design, EQI matching and positions, wave panel: hand-made data with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from localise.governance.multilevel import (
    attach_eqi,
    cross_level_bootstrap,
    cross_level_data,
    eqi_positions,
    wave_panel,
)


@pytest.fixture
def eqi() -> pd.DataFrame:
    # AA surveyed at NUTS 2, BB at NUTS 1 (like DE/BE), CC at country level (like MT)
    rows = []
    for wave, shift in ((2010, 0.0), (2013, 1.0)):
        rows += [
            {"geo": "AA11", "country": "AA", "wave": wave, "eqi": -1.0 + shift, "nuts_level": 2},
            {"geo": "AA12", "country": "AA", "wave": wave, "eqi": 0.0, "nuts_level": 2},
            {"geo": "BB1", "country": "BB", "wave": wave, "eqi": 1.0 - shift, "nuts_level": 1},
            {"geo": "CC", "country": "CC", "wave": wave, "eqi": 2.0, "nuts_level": 0},
        ]
    return pd.DataFrame(rows)


def test_attach_eqi_falls_back_to_parent_and_country(eqi):
    regions = pd.DataFrame({"geo": ["AA11", "BB12", "CC00", "DD11"]})
    out = attach_eqi(regions, eqi, 2010)
    assert out["eqi"].tolist()[:3] == [-1.0, 1.0, 2.0] and np.isnan(out["eqi"].iloc[3])
    assert out["eqi_level"].tolist()[:3] == [2, 1, 0]


def test_positions_are_within_wave_percentile_ranks(eqi):
    pos = eqi_positions(eqi)
    w10 = pos[pos["wave"] == 2010].set_index("geo")["eqi_position"]
    np.testing.assert_allclose(w10[["AA11", "AA12", "BB1", "CC"]], [0, 1 / 3, 2 / 3, 1])
    w13 = pos[pos["wave"] == 2013].set_index("geo")["eqi_position"]
    np.testing.assert_allclose(w13[["AA11", "AA12", "BB1", "CC"]], [1 / 3, 1 / 3, 1 / 3, 1])  # three tied at 0: rank 2


def _regional(values: dict[tuple[str, int], float]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "geo": g,
                "country": g[:2],
                "nuts_level": 2,
                "year": y,
                "indicator": "unemployment_rate",
                "sex": "T",
                "value": v,
            }
            for (g, y), v in values.items()
        ]
    )


def test_cross_level_design_standardises_at_the_right_level(eqi):
    regional = _regional(
        {
            ("AA11", 2013): 5.0,
            ("AA12", 2013): 7.0,
            ("BB11", 2013): 9.0,
            ("BB12", 2013): 11.0,
            ("CC00", 2013): 4.0,
            ("DD11", 2013): 3.0,
        }
    )
    measures = pd.DataFrame({"LAI": [50.0, 70.0, 60.0]}, index=["AA", "BB", "CC"])
    data = cross_level_data(regional, eqi, measures, wave=2013, years=(2013, 2013))
    assert sorted(data["geo"]) == ["AA11", "AA12", "BB11", "BB12", "CC00"]  # DD has no EQI and no measure
    # LAI standardised over the 3 countries (50, 70, 60: mean 60, population sd sqrt(200/3)), not over 5 regions
    sd = np.sqrt(200 / 3)
    got = data.drop_duplicates("country").set_index("country")["LAI_z"]
    np.testing.assert_allclose(got[["AA", "BB", "CC"]], [-10 / sd, 10 / sd, 0.0])
    regions = data.set_index("geo")["eqi"]
    np.testing.assert_allclose(data["eqi_z"], (regions - regions.mean()).to_numpy() / regions.std(ddof=0))


def test_cross_level_bootstrap_matches_least_squares():
    rng = np.random.default_rng(3)
    countries = np.repeat([f"C{i:02d}" for i in range(12)], 6)
    years = np.tile([2012, 2013, 2014], 24)
    x = rng.normal(size=72)
    y = 1.0 + 2.0 * x + np.repeat(rng.normal(size=12), 6) + 0.3 * (years == 2013) + rng.normal(scale=0.5, size=72)
    data = pd.DataFrame({"y": y, "x": x, "country": countries, "year": years})
    table = cross_level_bootstrap(data, "y", ["x"], reps=199, seed=1)
    design = np.column_stack([np.ones(72), x, years == 2013, years == 2014]).astype(float)
    beta = np.linalg.lstsq(design, y, rcond=None)[0]
    row = table.iloc[0]
    assert row["estimate"] == pytest.approx(beta[1], rel=1e-10)
    assert row["ci_low_wild"] < row["estimate"] < row["ci_high_wild"] and row["n_clusters"] == 12
    assert row["p_value_wild"] < 0.05  # slope 2 with noise 0.5 over 72 rows


def test_wave_panel_keeps_regions_seen_twice(eqi):
    regional = _regional({("AA11", 2010): 5.0, ("AA11", 2013): 6.0, ("AA12", 2010): 7.0, ("BB11", 2013): 9.0})
    panel = wave_panel(regional, eqi, waves=(2010, 2013))
    assert panel["geo"].unique().tolist() == ["AA11"]
    assert panel["eqi_position"].tolist() == pytest.approx([0.0, 1 / 3])

"""Panel regressions: key checks and analytical identities.

Expected values are analytical: the two-way FE estimator equals OLS on
two-way demeaned data in a balanced panel (Frisch-Waugh-Lovell; Wooldridge 2010,
Econometric Analysis of Cross Section and Panel Data, ch. 10), and the clustered
covariance is the textbook sandwich computed here with numpy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from localise.errors import InputError
from localise.models import PanelRegression, prepare_panel
from localise.models.simulate import simulate_regional_panel
from localise.models.wildboot import absorb_twoway


@pytest.fixture(scope="module")
def balanced() -> pd.DataFrame:
    return simulate_regional_panel(n_countries=10, regions_per_country=6, years=(2001, 2012), seed=3)


def _long(df: pd.DataFrame) -> pd.DataFrame:
    long = df.melt(id_vars=["geo", "country", "year"], value_vars=["y", "x"], var_name="indicator")
    long["sex"] = "T"
    long.attrs["synthetic"] = True
    return long


def test_twoway_fe_equals_within_transformed_ols(balanced):
    df = balanced
    res = PanelRegression("y", ["x", "treated"], effects="twoway", cluster="entity", small_sample=False).fit(df)
    cols = ["y", "x", "treated"]
    dm = df[cols] - df.groupby("geo")[cols].transform("mean") - df.groupby("year")[cols].transform("mean")
    dm = dm + df[cols].mean()
    X = dm[["x", "treated"]].to_numpy()
    y = dm["y"].to_numpy()
    b = np.linalg.solve(X.T @ X, X.T @ y)
    np.testing.assert_allclose(res.params.to_numpy(), b, rtol=1e-10)
    # CR0 cluster sandwich by entity
    u = y - X @ b
    bread = np.linalg.inv(X.T @ X)
    scores = pd.DataFrame(X * u[:, None]).groupby(df["geo"].to_numpy()).sum().to_numpy()
    V = bread @ (scores.T @ scores) @ bread
    np.testing.assert_allclose(res.std_errors.to_numpy(), np.sqrt(np.diag(V)), rtol=1e-8)
    # CR1: G/(G-1) (N-1)/(N-K)
    res1 = PanelRegression("y", ["x", "treated"], effects="twoway", cluster="entity").fit(df)
    G, N, K = df["geo"].nunique(), len(df), 2
    np.testing.assert_allclose(
        res1.std_errors.to_numpy(), np.sqrt(np.diag(V) * G / (G - 1) * (N - 1) / (N - K)), rtol=1e-8
    )


def test_unbalanced_twoway_equals_fwl_with_time_dummies(balanced):
    df = balanced.sample(frac=0.85, random_state=1).reset_index(drop=True)
    res = PanelRegression("y", ["x", "treated"], effects="twoway").fit(df)
    ordered = res.data
    Z = absorb_twoway(ordered, ["y", "x", "treated"], entity="geo", time="year")
    y = Z.pop("y").to_numpy()
    b = np.linalg.lstsq(Z.to_numpy(), y, rcond=None)[0]
    np.testing.assert_allclose(res.params.to_numpy(), b[:2], rtol=1e-8)


def test_entity_fe_and_pooled_against_numpy(balanced):
    df = balanced
    ent = PanelRegression("y", ["x"], effects="entity").fit(df)
    cols = ["y", "x"]
    dm = df[cols] - df.groupby("geo")[cols].transform("mean")
    b = float((dm["x"] @ dm["y"]) / (dm["x"] @ dm["x"]))
    assert ent.params["x"] == pytest.approx(b, rel=1e-10)
    pooled = PanelRegression("y", ["x"], effects="pooled").fit(df)
    X = np.column_stack([np.ones(len(df)), df["x"]])
    np.testing.assert_allclose(pooled.params.to_numpy(), np.linalg.lstsq(X, df["y"], rcond=None)[0], rtol=1e-10)


def test_long_data_gives_same_fit_as_wide(balanced):
    wide = PanelRegression("y", ["x"], cluster="country").fit(balanced)
    long = PanelRegression("y", ["x"], cluster="country").fit(_long(balanced))
    np.testing.assert_allclose(wide.params, long.params, rtol=1e-12)
    np.testing.assert_allclose(wide.std_errors, long.std_errors, rtol=1e-12)
    assert long.synthetic and long.n_clusters == 10


def test_prepare_panel_errors_name_the_problem(balanced):
    long = _long(balanced)
    dup = pd.concat([long, long.iloc[[0]]], ignore_index=True)
    with pytest.raises(InputError, match="share a key"):
        prepare_panel(dup, y="y", x=["x"])
    miss = long.copy()
    miss.loc[3, "geo"] = None
    with pytest.raises(InputError, match="missing key"):
        prepare_panel(miss, y="y", x=["x"])
    with pytest.raises(InputError, match="not in the data"):
        prepare_panel(long, y="y", x=["nope"])
    with pytest.raises(InputError, match="key column"):
        prepare_panel(balanced.drop(columns="year"), y="y", x=["x"])
    with pytest.raises(InputError, match="effects"):
        PanelRegression("y", effects="random")


def test_prepare_panel_listwise_deletion_is_reported(balanced):
    long = _long(balanced)
    long.loc[long.index[:5], "value"] = np.nan
    panel = prepare_panel(long, y="y", x=["x"])
    assert panel.attrs["n_dropped_missing"] == 5
    assert len(panel) == len(balanced) - 5
    assert panel.attrs["synthetic"] is True

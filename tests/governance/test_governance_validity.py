"""Spearman validity of grid codes and named disagreements, against hand computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from localise.governance.validity import framework_validity, measures_at, rank_disagreements


def test_spearman_by_hand():
    codes = pd.Series([1, 2, 3, 4, 5, np.nan], index=list("abcdef"))
    measures = pd.DataFrame({"m": [2, 1, 4, 3, 5, 9]}, index=list("abcdef"))
    out = framework_validity(codes, measures).iloc[0]
    # d = (-1, 1, -1, 1, 0): rho = 1 - 6 * 4 / (5 * 24) = 0.8; f is not assessable and dropped
    assert out["n"] == 5 and out["rho"] == pytest.approx(0.8) and out["countries"] == "a,b,c,d,e"


def test_disagreements_named():
    codes = pd.Series([0, 1, 2], index=["x", "y", "z"])
    measures = pd.DataFrame({"m": [30.0, 20.0, 10.0]}, index=["x", "y", "z"])
    out = rank_disagreements(codes, measures, threshold=0.5)
    assert sorted(out["country"]) == ["x", "z"]
    assert out.set_index("country").loc["x", "difference"] == pytest.approx(-1.0)


def test_measures_at_windows():
    gov = pd.DataFrame({"country": ["a", "a", "a"], "year": [2010, 2012, 2014], "lai": [1.0, 2.0, 3.0]})
    out = measures_at(gov, {"L": "lai", "L14": "lai"}, {"L": (2010, 2012), "L14": (2014, 2014)})
    assert out.loc["a"].tolist() == [1.5, 3.0]

"""The results base: text, HTML and LaTeX views come from summary() and to_frame()."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from localise.models import PanelRegression
from localise.results import SYNTHETIC_BANNER, Results
from localise.warnings import FewClustersWarning


def _panel(synthetic: bool) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = [(f"R{i}", f"C{i % 4}", year) for i in range(24) for year in range(2010, 2016)]
    df = pd.DataFrame(rows, columns=["geo", "country", "year"])
    df["x"] = rng.normal(size=len(df))
    df["y"] = 2.0 * df["x"] + rng.normal(size=len(df))
    df.attrs["synthetic"] = synthetic
    return df


@pytest.mark.parametrize("synthetic", [False, True])
def test_panel_results_views_come_from_summary(synthetic):
    with pytest.warns(FewClustersWarning, match="only 4 clusters"):
        fit = PanelRegression("y", ["x"], effects="entity", cluster="country").fit(_panel(synthetic))
    assert isinstance(fit, Results)
    text = fit.summary()
    assert repr(fit) == str(fit) == text
    assert (
        fit._repr_html_() == "<pre>" + text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "</pre>"
    )
    assert text.splitlines().count(SYNTHETIC_BANNER) == (1 if synthetic else 0)
    latex = fit.to_latex(caption="Panel")
    assert r"\caption{Panel" in latex and (("SYNTHETIC" in latex) == synthetic)
    # the slope is the one of an ordinary least-squares fit of y on x within units
    demeaned = _panel(synthetic).assign(
        x=lambda d: d["x"] - d.groupby("geo")["x"].transform("mean"),
        y=lambda d: d["y"] - d.groupby("geo")["y"].transform("mean"),
    )
    slope = float((demeaned["x"] * demeaned["y"]).sum() / (demeaned["x"] ** 2).sum())
    assert fit.params["x"] == pytest.approx(slope, rel=1e-10)

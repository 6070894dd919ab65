"""Side-by-side tables in LaTeX, HTML and Markdown; tidy CSV frame."""

from __future__ import annotations

import pandas as pd
import pytest

from localise.models import MultilevelModel, PanelRegression, RegressionTable, tidy
from localise.models.simulate import simulate_regional_panel


@pytest.fixture(scope="module")
def models():
    df = simulate_regional_panel(n_countries=8, regions_per_country=4, years=(2000, 2009), seed=1)
    out = {
        e: PanelRegression("y", ["x", "treated"], effects=e, cluster="country").fit(df)
        for e in ("pooled", "entity", "twoway")
    }
    out["multilevel"] = MultilevelModel("y", ["x"]).fit(df)
    return out


def test_three_formats_in_one_call(models, tmp_path):
    table = RegressionTable(models, title="Panel models")
    files = table.write("panel_models", folder=tmp_path)
    assert sorted(p.suffix for p in files) == [".html", ".md", ".tex"]
    assert all("SYNTHETIC" in p.name for p in files)
    est = f"{models['twoway'].params['treated']:.3f}"
    for p in files:
        text = p.read_text()
        assert est in text and "twoway" in text and "SYNTHETIC" in text
    tex = files[0].read_text()
    assert tex.count(r"\\") > 10 and r"\begin{tabular}{lcccc}" in tex


def test_tidy_has_every_estimate(models):
    frame = tidy(models)
    n = sum(len(m.to_frame()) for m in models.values())
    assert len(frame) == n
    assert list(frame.columns[:4]) == ["model", "term", "estimate", "std_error"]
    row = frame[(frame["model"] == "twoway") & (frame["term"] == "x")].iloc[0]
    assert row["estimate"] == models["twoway"].params["x"]
    assert row["std_error"] == models["twoway"].std_errors["x"]
    assert frame.attrs["synthetic"] is True
    assert isinstance(RegressionTable(list(models.values())).to_frame(), pd.DataFrame)

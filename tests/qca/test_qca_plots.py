"""XY plot labels: cases at one point share a label; no two labels are drawn on top of each other."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from localise.qca.plots import xy_plot  # noqa: E402


def _boxes(ax):
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return [t.get_window_extent(renderer) for t in ax.texts if t.get_text() and "incl" not in t.get_text()]


def test_xy_labels_of_coincident_and_nearby_cases_do_not_overlap():
    x = [0.2, 0.2, 0.2, 0.81, 0.82, 0.83, 0.6]
    y = [0.9, 0.9, 0.9, 0.85, 0.86, 0.85, 0.2]
    labels = ["AAAA", "BBBB", "CCCC", "DDDD", "EEEE", "FFFF", "GGGG"]
    ax = xy_plot(x, y, labels=labels)
    texts = [t.get_text() for t in ax.texts if "incl" not in t.get_text()]
    assert "AAAA, BBBB, CCCC" in texts and len(texts) == 5  # one label per distinct point
    boxes = _boxes(ax)
    overlaps = [(i, j) for i in range(len(boxes)) for j in range(i + 1, len(boxes)) if boxes[i].overlaps(boxes[j])]
    assert not overlaps, [(texts[i], texts[j]) for i, j in overlaps]
    plt.close("all")
    assert np.isfinite(x).all()


def test_robustness_verdict_counts_distinct_solutions_and_baseline_recurrence():
    import pandas as pd

    from localise.qca.robustness import RobustnessResult

    table = pd.DataFrame(
        {
            "solution": ["A*B", "A*B", "A", "B*~C", "A*B"],
            "same_solution": [True, False, False, False, True],
            "cases_jaccard": [1.0, 0.5, 0.25, 0.75, 1.0],
            "error": [None, None, None, None, "failed"],
        }
    )
    table.loc[1, "solution"] = "A*B + C"
    text, numbers = RobustnessResult(table=table, baseline={"solution": "A*B"}).verdict()
    assert numbers["ran"] == 4 and numbers["distinct_solutions"] == 4 and numbers["baseline_recurs"] == 1
    assert "recurs in 1 of 4" in text and "not robust" in text and "0.25 to 1.00" in text

"""XY plots of set memberships (solution or condition vs outcome), with seaborn."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from localise.errors import InputError
from localise.qca.fit import necessity_fit, sufficiency_fit

__all__ = ["xy_plot"]

#: Steps adjustText may take to move case labels apart (it stops earlier once they no longer overlap).
ADJUST_TEXT_STEPS = 500


def _case_labels(ax: Any, x: np.ndarray, y: np.ndarray, labels: Sequence[str]) -> list[Any]:
    """Case labels that do not collide: cases at the same point share one label, and
    adjustText moves the labels apart (with a thin line to their point when moved)."""
    from adjustText import adjust_text

    groups: dict[tuple[float, float], list[str]] = {}
    for xi, yi, lab in zip(x, y, labels):
        groups.setdefault((round(float(xi), 3), round(float(yi), 3)), []).append(str(lab))
    texts = [ax.text(px, py, ", ".join(names), fontsize=6, color="0.35") for (px, py), names in groups.items()]
    if len(texts) > 1:
        # A fixed number of steps, not adjustText's default one-second limit: the layout (and the
        # saved figure) must not depend on how busy the machine is.
        adjust_text(
            texts,
            ax=ax,
            x=np.asarray(x, dtype=float),
            y=np.asarray(y, dtype=float),
            iter_lim=ADJUST_TEXT_STEPS,
            arrowprops={"arrowstyle": "-", "color": "0.6", "lw": 0.4},
        )
    return texts


def xy_plot(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    *,
    labels: Sequence[str] | None = None,
    xlabel: str = "X",
    ylabel: str = "Y",
    title: str | None = None,
    relation: str = "sufficiency",
    ax: Any = None,
):
    """Scatter of memberships in X (e.g. a solution) against Y, with the diagonal.

    Cases above the diagonal are consistent with X being sufficient for Y, cases
    below with necessity. The fit (inclS/covS or inclN/covN) is written in the
    corner. Returns the matplotlib Axes.
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape:
        raise InputError(f"x, y: lengths differ ({x.size} vs {y.size})")
    if np.any((x < 0) | (x > 1)) or np.any((y < 0) | (y > 1)):
        raise InputError("x, y: memberships must lie in [0, 1]")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    sns.scatterplot(x=x, y=y, ax=ax, s=30, color="0.2")
    ax.plot([0, 1], [0, 1], color="0.5", lw=0.8, ls="--")
    ax.axhline(0.5, color="0.85", lw=0.6)
    ax.axvline(0.5, color="0.85", lw=0.6)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_aspect("equal")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if labels is not None:
        _case_labels(ax, x, y, labels)
    if relation == "sufficiency":
        f = sufficiency_fit(x, y)
        text = f"inclS = {f['inclS']:.3f}\nPRI = {f['PRI']:.3f}\ncovS = {f['covS']:.3f}"
    else:
        f = necessity_fit(x, y)
        text = f"inclN = {f['inclN']:.3f}\nRoN = {f['RoN']:.3f}\ncovN = {f['covN']:.3f}"
    ax.text(0.98, 0.02, text, transform=ax.transAxes, ha="right", va="bottom", fontsize=8)
    if title:
        ax.set_title(title)
    return ax

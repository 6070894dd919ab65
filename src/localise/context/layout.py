"""Figure layout shared by the small-multiple plots of localise.context and localise.cohesion."""

from __future__ import annotations

from typing import Any

__all__ = ["ring_points", "small_multiples"]


def small_multiples(n_panels: int, *, ncols: int, panel_size: tuple[float, float]) -> tuple[Any, Any]:
    """A figure with a grid of ``n_panels`` panels, ``ncols`` wide and as many rows as needed.

    ``panel_size`` is the (width, height) of one panel in inches. Returns the figure and
    the 2-D array of axes (``squeeze=False``); axes beyond ``n_panels`` are left to the
    caller to hide.
    """
    import matplotlib.pyplot as plt

    nrows = -(-n_panels // ncols)
    return plt.subplots(nrows, ncols, figsize=(panel_size[0] * ncols, panel_size[1] * nrows), squeeze=False)


def ring_points(ax: Any, x: Any, y: Any, label: str) -> None:
    """Draw black rings around the points ``(x, y)``: the regions of the highlighted country."""
    ax.scatter(x, y, s=40, facecolors="none", edgecolors="black", lw=1.2, label=label)

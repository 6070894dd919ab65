"""Atlas of governance configurations: tables and figures of how countries differ and changed.

Measures: Local Autonomy Index 1.0 totals (1990, 2000, 2010, 2014), Regional
Authority Index self-rule (yearly to 2018), the IMF local-government share of general
government social protection spending, and the regional European Quality of Government
Index (waves standardised separately, so maps show positions within each wave).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from localise.errors import InputError
from localise.governance.multilevel import attach_eqi, eqi_positions

__all__ = ["change_table", "plot_change", "plot_heatmap", "plot_eqi_maps", "eqi_country_positions"]


def change_table(gov: pd.DataFrame, column: str, first: int, last: int, *, window: int = 0) -> pd.DataFrame:
    """Country values of ``column`` in ``first`` and ``last`` and the change.

    With ``window > 0`` each end is the mean over ``year ± window`` (for yearly series
    with gaps). Countries lacking either end are dropped.
    """
    if column not in gov.columns:
        raise InputError(f"change_table: column {column!r} not in the governance table")

    def at(year: int) -> pd.Series:
        part = gov[gov["year"].between(year - window, year + window)]
        return part.groupby("country")[column].mean()

    out = pd.DataFrame({f"{column}_{first}": at(first), f"{column}_{last}": at(last)}).dropna()
    out["change"] = out[f"{column}_{last}"] - out[f"{column}_{first}"]
    out.index.name = "country"
    return out.sort_values(f"{column}_{last}")


def plot_change(table: pd.DataFrame, *, ax: Any = None, xlabel: str = "", title: str = "") -> Any:
    """Dumbbell chart of a :func:`change_table` (first value grey, last value dark)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.22 * len(table) + 1))
    first, last = table.columns[0], table.columns[1]
    pos = np.arange(len(table))
    ax.hlines(pos, table[first], table[last], color="0.6", lw=1)
    ax.scatter(table[first], pos, color="0.65", s=18, label=first.rsplit("_", 1)[-1], zorder=3)
    ax.scatter(table[last], pos, color="C0", s=18, label=last.rsplit("_", 1)[-1], zorder=3)
    ax.set_yticks(pos, table.index, fontsize=7)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    return ax


def plot_heatmap(
    gov: pd.DataFrame, column: str, years: tuple[int, int], *, ax: Any = None, title: str = "", cbar_label: str = ""
) -> Any:
    """Countries × years heat map of a yearly measure (countries sorted by the last year)."""
    import matplotlib.pyplot as plt

    part = gov[gov["year"].between(*years)].pivot_table(index="country", columns="year", values=column)
    part = part.dropna(how="all")
    if part.empty:
        raise InputError(f"plot_heatmap: no values of {column!r} in {years}")
    part = part.sort_values(part.columns[-1], na_position="first")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.2 * len(part) + 1.2))
    image = ax.imshow(part.to_numpy(), aspect="auto", cmap="viridis", interpolation="nearest")
    ax.set_yticks(np.arange(len(part)), part.index, fontsize=7)
    step = max(1, len(part.columns) // 10)
    ax.set_xticks(np.arange(0, len(part.columns), step), [str(c) for c in part.columns[::step]], fontsize=7)
    ax.set_title(title, fontsize=10)
    ax.figure.colorbar(image, ax=ax, label=cbar_label, shrink=0.8)
    return ax


def eqi_country_positions(eqi: pd.DataFrame) -> pd.DataFrame:
    """Countries × waves: mean percentile position of the country's regions within each wave."""
    ranked = eqi_positions(eqi)
    return ranked.pivot_table(index="country", columns="wave", values="eqi_position", aggfunc="mean")


def plot_eqi_maps(
    eqi: pd.DataFrame, geometries: Any, waves: Sequence[int], *, title: str = ""
) -> tuple[Any, pd.DataFrame]:
    """One map per wave of the regions' EQI position (percentile rank within the wave).

    NUTS 2021 polygons get the EQI of their own code, else of their NUTS 1 parent, else of
    the country; polygons without a value are grey.

    Returns
    -------
    figure, counts
        ``counts`` has, per wave, the polygons drawn with a value and the EQI regions.
    """
    import matplotlib.pyplot as plt

    ranked = eqi_positions(eqi)
    fig, axes = plt.subplots(1, len(waves), figsize=(3.3 * len(waves), 3.8))
    axes = np.atleast_1d(axes)
    counts = []
    for ax, wave in zip(axes, waves):
        shapes = attach_eqi(geometries[["geo", "geometry"]], ranked, wave, column="eqi_position")
        geometries.plot(ax=ax, color="0.88", linewidth=0.05, edgecolor="white")
        drawn = shapes.dropna(subset=["eqi_position"])
        drawn.plot(column="eqi_position", ax=ax, cmap="RdYlBu", vmin=0, vmax=1, linewidth=0.05, edgecolor="white")
        ax.set_xlim(-12, 35)
        ax.set_ylim(34, 71)
        ax.set_axis_off()
        ax.set_title(str(wave), fontsize=10)
        counts.append(
            {"wave": wave, "polygons_with_value": len(drawn), "eqi_regions": int((ranked["wave"] == wave).sum())}
        )
    mappable = plt.cm.ScalarMappable(cmap="RdYlBu", norm=plt.Normalize(0, 1))
    fig.colorbar(
        mappable,
        ax=list(axes),
        orientation="horizontal",
        shrink=0.5,
        pad=0.02,
        label="EQI position within the wave (0 = lowest region, 1 = highest)",
    )
    fig.suptitle(title, fontsize=11)
    return fig, pd.DataFrame(counts)

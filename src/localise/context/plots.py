"""Figures of the regional typology: k choice, PCA scores, choropleth maps.

Each function returns a matplotlib Figure (or ``None`` with a reason when the
figure cannot be made, e.g. no NUTS boundary file), and never saves anything:
notebooks save through :func:`localise.report.save_figure`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from localise.context.layout import ring_points
from localise.context.selection import CaseSelection
from localise.context.typology import PROPOSED_LABEL, TypologyResult

__all__ = ["plot_k_choice", "plot_scores", "typology_map", "MapOutcome", "load_boundaries"]

#: Map extent (longitude, latitude) of continental Europe; outermost regions fall outside.
EUROPE_EXTENT = (-11.0, 34.0, 34.0, 71.5)


def _cluster_colours(k: int) -> list:
    import matplotlib as mpl

    cmap = mpl.colormaps["tab10"]
    return [cmap(i % 10) for i in range(k)]


def plot_k_choice(result: TypologyResult):
    """Silhouette (Ward and k-means) and gap statistic (± s.e.) against k, side by side."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    t = result.k_table
    for col, style in (("silhouette_ward", "o-"), ("silhouette_kmeans", "s--")):
        axes[0].plot(t.index, t[col], style, label=col.replace("silhouette_", ""))
    axes[0].axvline(result.k, color="grey", lw=0.8, ls=":")
    axes[0].set(xlabel="k", ylabel="mean silhouette", title="Silhouette")
    axes[0].legend(frameon=False)
    if result.gap is not None:
        g = result.gap.table
        axes[1].errorbar(g.index, g["gap"], yerr=g["s"], fmt="o-", capsize=3)
        axes[1].axvline(result.gap.k, color="crimson", lw=0.8, ls=":", label=f"gap rule: k={result.gap.k}")
        axes[1].legend(frameon=False)
        axes[1].set(xlabel="k", ylabel="Gap(k) ± s(k)", title=f"Gap statistic (B={result.gap.n_refs})")
    else:
        axes[1].text(0.5, 0.5, "gap statistic not computed", ha="center", va="center")
        axes[1].set_axis_off()
    fig.tight_layout()
    return fig


def plot_scores(result: TypologyResult, *, highlight: str | None = None, selection: CaseSelection | None = None):
    """Regions on the first two principal components, coloured by cluster.

    ``highlight`` (a country code) draws that country's regions with a black edge;
    ``selection`` marks the proposed cases with their codes.
    """
    import matplotlib.pyplot as plt

    scores = result.pca.scores
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    colours = _cluster_colours(result.k)
    two = scores.shape[1] >= 2
    y = scores.iloc[:, 1] if two else pd.Series(0.0, index=scores.index)
    for cl in sorted(result.labels.unique()):
        idx = result.labels.index[result.labels == cl]
        ax.scatter(scores.loc[idx, "PC1"], y[idx], s=18, color=colours[cl - 1], label=f"cluster {cl}", alpha=0.8)
    if highlight is not None:
        idx = result.matrix.countries.index[result.matrix.countries == highlight]
        ring_points(ax, scores.loc[idx, "PC1"], y[idx], label=f"{highlight} regions")
    if selection is not None:
        for r in selection.proposed().itertuples():
            if highlight is None or r.country == highlight:
                ax.annotate(
                    r.geo, (scores.loc[r.geo, "PC1"], y[r.geo]), fontsize=7, xytext=(3, 3), textcoords="offset points"
                )
    ev = result.pca.explained_variance_ratio
    ax.set_xlabel(f"PC1 ({ev.iloc[0]:.0%})")
    ax.set_ylabel(f"PC2 ({ev.iloc[1]:.0%})" if two else "")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


class MapOutcome:
    """A map figure (or ``None``) with the reason and the region codes without a polygon."""

    def __init__(self, figure: Any, unmatched: list[str], note: str) -> None:
        self.figure = figure
        self.unmatched = unmatched
        self.note = note

    def __bool__(self) -> bool:
        return self.figure is not None

    def __repr__(self) -> str:
        return (
            f"MapOutcome(figure={'yes' if self.figure is not None else 'no'}, unmatched={len(self.unmatched)}, "
            f"note={self.note!r})"
        )


def _outline_cases(ax: Any, gdf: Any, selection: CaseSelection) -> None:
    """Thick black outline and a code label on each proposed case that has a polygon."""
    chosen = selection.proposed()
    sel = gdf[gdf["geo"].isin(chosen["geo"])]
    if len(sel):
        sel.boundary.plot(ax=ax, color="black", linewidth=1.4)
        points = sel.geometry.representative_point()
        for geo, pt in zip(sel["geo"], points):
            ax.annotate(
                geo,
                (pt.x, pt.y),
                fontsize=6,
                ha="center",
                va="center",
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "alpha": 0.7, "lw": 0},
            )


def _frame_analysed(ax: Any, gdf: Any) -> None:
    """Limit the axes to the analysed regions (those with a cluster) within continental Europe."""
    matched = gdf[gdf["cluster"].notna()]
    if len(matched):
        x0, y0, x1, y1 = matched.total_bounds
        ex = EUROPE_EXTENT
        ax.set_xlim(max(x0, ex[0]) - 0.5, min(x1, ex[2]) + 0.5)
        ax.set_ylim(max(y0, ex[1]) - 0.5, min(y1, ex[3]) + 0.5)


def typology_map(
    result: TypologyResult, geometries: Any, *, selection: CaseSelection | None = None, title: str | None = None
) -> MapOutcome:
    """Choropleth of the clusters, with the proposed cases outlined.

    Parameters
    ----------
    result
        The typology.
    geometries
        GeoDataFrame from :func:`localise.data.nuts_geometries` (``geo`` column,
        NUTS 2021 codes) or ``None``: then no map is drawn and the outcome says why.
    selection
        Proposed cases to outline (thick black edge) and label.

    Notes
    -----
    The panel uses NUTS 2016 codes and the boundary file NUTS 2021: regions whose
    code changed between the versions have no polygon and are listed in
    ``unmatched`` (shown in the figure caption) rather than silently dropped.
    """
    if geometries is None:
        return MapOutcome(None, [], "no NUTS boundary polygons given: map skipped")
    if "geo" not in getattr(geometries, "columns", []):
        return MapOutcome(None, [], "boundary frame has no 'geo' column: map skipped")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    labels = result.labels.rename("cluster")
    gdf = geometries.merge(labels, left_on="geo", right_index=True, how="left")
    unmatched = sorted(set(labels.index) - set(geometries["geo"]))
    colours = _cluster_colours(result.k)
    fig, ax = plt.subplots(figsize=(7.5, 7.5))
    others = gdf[gdf["cluster"].isna()]
    if len(others):
        others.plot(ax=ax, color="#eeeeee", edgecolor="white", linewidth=0.2)
    for cl in sorted(labels.unique()):
        part = gdf[gdf["cluster"] == cl]
        if len(part):
            part.plot(ax=ax, color=colours[cl - 1], edgecolor="white", linewidth=0.3)
    handles = [Patch(color=colours[cl - 1], label=f"cluster {cl}") for cl in sorted(labels.unique())]
    if "country" in gdf.columns:
        # regions of the analysed countries left out of the typology (missing values, see matrix.dropped)
        lacking = gdf[gdf["cluster"].isna() & gdf["country"].isin(set(result.matrix.countries))]
        if len(lacking):
            lacking.plot(ax=ax, facecolor="white", edgecolor="#999999", hatch="////", linewidth=0.3)
            handles.append(
                Patch(facecolor="white", edgecolor="#999999", hatch="////", label="not in typology (missing data)")
            )
    if selection is not None:
        _outline_cases(ax, gdf, selection)
        handles.append(Patch(facecolor="none", edgecolor="black", label=f"case ({PROPOSED_LABEL})"))
    _frame_analysed(ax, gdf)
    ax.set_axis_off()
    ax.legend(handles=handles, loc="upper left", fontsize=7, frameon=True)
    note = "Boundaries: © EuroGeographics, Eurostat GISCO NUTS 2021."
    if unmatched:
        shown = ", ".join(unmatched[:12]) + (" …" if len(unmatched) > 12 else "")
        note += f" No NUTS 2021 polygon for {len(unmatched)} region(s): {shown}"
    fig.text(0.01, 0.01, note, fontsize=6, ha="left", va="bottom", wrap=True)
    if title:
        ax.set_title(title)
    return MapOutcome(fig, unmatched, note)


def load_boundaries(level: int = 2) -> tuple[Any, str]:
    """NUTS polygons from :func:`localise.data.nuts_geometries`, or ``None`` with the reason.

    Maps are optional output: when no boundary file is configured, or it cannot be
    read, notebooks skip the map and print the returned note (which carries the
    error message) instead of failing.
    """
    from localise.data import nuts_geometries

    try:
        gdf = nuts_geometries(level=level)
    except Exception as error:  # noqa: BLE001 - reported to the reader, map skipped
        return None, f"NUTS boundary file could not be read ({type(error).__name__}: {error}); map skipped"
    if gdf is None:
        return None, "no NUTS boundary file available (no data mirror configured); map skipped"
    return gdf, str(getattr(gdf, "attrs", {}).get("source_note", "NUTS boundaries"))

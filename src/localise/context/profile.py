"""Country profile: regional context, typology position, national framework, outcome trends.

Used by ``notebooks/07_country_profile.ipynb`` (one run per LOCALISE country).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from localise.context.layout import ring_points
from localise.context.matrix import ContextMatrix
from localise.context.typology import TypologyResult
from localise.errors import DataUnavailableError, InputError
from localise.warnings import PreviousRunOutputsWarning

__all__ = [
    "DEFAULT_OUTCOMES",
    "analysable_countries",
    "country_context",
    "typology_position",
    "national_framework",
    "FrameworkOutcome",
    "outcome_trends",
    "plot_trends",
    "saved_typology",
    "saved_position",
    "plot_saved_scores",
]

#: Outcome indicators of the profile (country panel ids of the data contract).
DEFAULT_OUTCOMES: tuple[str, ...] = (
    "unemployment_rate",
    "long_term_unemployment_share",
    "youth_unemployment_rate",
    "arope",
    "at_risk_of_poverty_rate",
    "neet_rate",
    "gender_employment_gap",
)


def _check_country(country: str, present: Sequence[str], what: str) -> None:
    if country not in set(present):
        raise InputError(f"country {country!r} is not in the {what}; present: {sorted(set(present))}")


def analysable_countries(
    indicators: Sequence[str] | None = None, year: int | None = None, period: Sequence[int] | None = None
) -> list[str]:
    """Countries with at least one NUTS 2 region in the context matrix of these settings.

    The values notebook 07's ``country`` can take: a country whose regions all lack
    one of the ``indicators`` in the ``year`` (or ``period``) has no row in the
    matrix, and its profile cannot be drawn. Reads the regional panel the notebooks
    read (the SYNTHETIC demo when no real data are built). The suite registry calls
    it (``choices_from``) to check ``-p country=...`` before a notebook starts.
    """
    import warnings

    from localise.context.matrix import MatrixSpec, build_matrix
    from localise.data import SyntheticDataWarning, load_regional_panel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntheticDataWarning)  # the notebook says so itself
        panel = load_regional_panel()
    spec = MatrixSpec.make(
        countries=None, indicators=indicators, year=year, period=None if year is not None else period
    )
    return sorted(set(build_matrix(panel, spec).countries.astype(str)))


def country_context(matrix: ContextMatrix, country: str) -> pd.DataFrame:
    """The country's regions against all regions of the standardisation population.

    One row per indicator: number of the country's regions, their mean, min and
    max (treated values, original units), the median over all regions, and the
    country's mean oriented z-score (higher = more problem pressure).
    """
    _check_country(country, matrix.countries, "analysed regions of the matrix")
    geos = matrix.countries.index[matrix.countries == country]
    values = matrix.treated.loc[geos]
    out = pd.DataFrame(
        {
            "n_regions": values.count(),
            "country_mean": values.mean(),
            "country_min": values.min(),
            "country_max": values.max(),
            "all_regions_median": matrix.treated.median(),
            "mean_z_pressure": matrix.z.loc[geos].mean(),
        }
    )
    out.index.name = "indicator"
    out.attrs["synthetic"] = matrix.synthetic
    return out


def typology_position(result: TypologyResult, country: str) -> pd.DataFrame:
    """The country's regions: cluster, distance to its centroid, rank, PCA scores."""
    _check_country(country, result.matrix.countries, "typology")
    frame = result.to_frame()
    frame = frame[frame["country"] == country].copy()
    space = result.space.loc[frame.index]
    cents = result.centroids.loc[result.labels[frame.index]].to_numpy()
    frame.insert(3, "dist_own_centroid", ((space.to_numpy() - cents) ** 2).sum(axis=1) ** 0.5)
    frame.attrs["synthetic"] = result.matrix.synthetic
    return frame.sort_values([f"cluster_{result.method}", "dist_own_centroid"])


@dataclass
class FrameworkOutcome:
    """National framework codes for one country, or why they are not available."""

    table: pd.DataFrame | None
    note: str

    def __bool__(self) -> bool:
        return self.table is not None and len(self.table) > 0


def national_framework(country: str, *, as_of: int | None = None) -> FrameworkOutcome:
    """Codes of the national governance framework from the analytical grid.

    Parameters
    ----------
    country
        Eurostat country code.
    as_of
        Keep, per dimension, the code in force in this year (default: every dated code).

    Returns
    -------
    FrameworkOutcome
        The country's rows of :func:`localise.grid.load_national_frameworks` (``level`` NaN
        = not assessable) and a note counting the dimensions actually coded.
    """
    from localise.grid import load_national_frameworks

    table = load_national_frameworks(as_of=as_of, countries=[country]).reset_index(drop=True)
    coded = table.loc[table["level"].notna(), "dimension"].nunique()
    if coded == 0:
        return FrameworkOutcome(table, f"no national framework codes for {country} in the grid (all not assessable)")
    when = f" in force in {as_of}" if as_of is not None else ""
    return FrameworkOutcome(
        table,
        f"{coded} dimension(s) coded{when} for {country}, "
        f"{table['dimension'].nunique() - coded} not assessable (analytical grid)",
    )


def outcome_trends(
    panel: pd.DataFrame,
    country: str,
    *,
    indicators: Sequence[str] = DEFAULT_OUTCOMES,
    sex: str = "T",
    reference: str | None = "EU28",
) -> pd.DataFrame:
    """Time series of outcome indicators for a country (and an EU reference), breaks flagged.

    Parameters
    ----------
    panel
        Country panel (``localise.data.load_country_panel()`` schema).
    country
        Eurostat country code.
    indicators
        Indicators to keep; those absent from the panel are left out (see ``attrs["absent"]``).
    sex
        Sex category.
    reference
        Geo code of a comparison aggregate (e.g. ``"EU28"``), if present in the panel.

    Returns
    -------
    DataFrame
        geo, indicator, year, value, unit, flags, ``break_in_series`` (flag contains
        "b": Eurostat's break in time series), source.
    """
    geos = [country] + ([reference] if reference else [])
    _check_country(country, panel["geo"], "country panel")
    rows = panel[panel["geo"].isin(geos) & (panel["sex"] == sex) & panel["indicator"].isin(indicators)]
    absent = [i for i in indicators if i not in set(rows["indicator"])]
    flags = rows["flags"].fillna("").astype(str)
    out = (
        rows.assign(break_in_series=flags.str.contains("b", regex=False))[
            ["geo", "indicator", "year", "value", "unit", "flags", "break_in_series", "source"]
        ]
        .sort_values(["indicator", "geo", "year"])
        .reset_index(drop=True)
    )
    out.attrs["synthetic"] = bool(panel.attrs.get("synthetic", False))
    out.attrs["absent"] = absent
    return out


def plot_trends(trends: pd.DataFrame, country: str, *, ncols: int = 3):
    """Small multiples of the outcome trends; breaks in series marked by a red ring and dotted line."""
    from matplotlib.ticker import MaxNLocator

    from localise.context.layout import small_multiples

    indicators = list(dict.fromkeys(trends["indicator"]))
    if not indicators:
        return None
    fig, axes = small_multiples(len(indicators), ncols=ncols, panel_size=(3.3, 2.6))
    for ax, ind in zip(axes.flat, indicators):
        sub = trends[trends["indicator"] == ind]
        for geo, part in sub.groupby("geo", sort=False):
            style = "-" if geo == country else "--"
            ax.plot(
                part["year"], part["value"], style, marker=".", label=geo, color="black" if geo == country else "grey"
            )
            brk = part[part["break_in_series"]]
            if len(brk):
                ax.scatter(
                    brk["year"],
                    brk["value"],
                    s=50,
                    facecolors="none",
                    edgecolors="crimson",
                    zorder=3,
                    label=f"break ({geo})",
                )
                if geo == country:
                    for year in brk["year"]:
                        ax.axvline(year, color="crimson", ls=":", lw=0.8)
        unit = sub["unit"].iloc[0] if len(sub) else ""
        ax.set_title(f"{ind}\n({unit})", fontsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # years, never "2002.5"
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6, frameon=False)
    for ax in list(axes.flat)[len(indicators) :]:
        ax.set_axis_off()
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# notebook 03's saved typology (07 reads it instead of refitting)

TYPOLOGY_NOTEBOOK = "03_regional_context"


def _saved_csv(folder: Path, name: str) -> Path | None:
    for stem in (name, f"{name}_SYNTHETIC"):
        if (folder / f"{stem}.csv").is_file():
            return folder / f"{stem}.csv"
    return None


def saved_typology(*, notebook: str = TYPOLOGY_NOTEBOOK, run_dir: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """The typology and case selection that notebook 03 saved in the run folder.

    Looks in ``run_dir`` (default: the folder of the current run, the parent of
    :func:`localise.report.output_dir`); when 03 did not run there (e.g. ``localise
    run --only 07_country_profile``), falls back to the latest run under
    :func:`localise.paths.reports_dir` that holds it, with a warning.

    Returns
    -------
    dict
        ``regions`` (03_region_clusters: country, clusters, PCA scores by region),
        ``cases`` (03_cases) and ``k_choice`` (03_k_choice); each frame's
        ``attrs["source"]`` is the file read.
    """
    from localise import paths, report

    here = Path(run_dir) if run_dir is not None else report.output_dir().parent
    folders = [here / notebook]
    if run_dir is None and not os.environ.get(paths.RUN_OUTPUT_VARIABLE):
        folders.append(report.output_dir())  # opened by hand: where notebook 03 opened by hand saved it
    if run_dir is None:
        earlier = sorted((p for p in paths.reports_dir().glob(f"*/{notebook}") if p.parent != here), reverse=True)
        folders += earlier
    for folder in folders:
        regions = _saved_csv(folder, "03_region_clusters")
        if regions is None:
            continue
        if folder != folders[0]:
            warnings.warn(
                f"notebook {notebook} did not run in this run; using its outputs in {folder}",
                PreviousRunOutputsWarning,
                stacklevel=2,
            )
        out = {}
        for key, name in (("regions", "03_region_clusters"), ("cases", "03_cases"), ("k_choice", "03_k_choice")):
            path = _saved_csv(folder, name)
            if path is None:
                raise DataUnavailableError(f"{folder}: {name}.csv missing; rerun notebook {notebook}")
            frame = pd.read_csv(path, index_col=0 if key != "cases" else None)
            frame = frame.drop(columns=[c for c in frame.columns if str(c).startswith("Unnamed")])
            frame.attrs["source"] = str(path)
            frame.attrs["synthetic"] = path.stem.endswith("_SYNTHETIC")
            out[key] = frame
        return out
    raise DataUnavailableError(
        f"no saved typology of notebook {notebook} in {here} or earlier runs; run "
        f"`localise run --only {notebook}` first (the suite runs it before 07_country_profile)"
    )


def saved_position(regions: pd.DataFrame, country: str) -> pd.DataFrame:
    """The country's regions in the saved typology: cluster and distance to their cluster's centroid."""
    _check_country(country, regions["country"], "saved typology")
    cluster = next(c for c in regions.columns if c.startswith("cluster_"))
    pcs = [c for c in regions.columns if c.startswith("PC")]
    centroids = regions.groupby(cluster)[pcs].transform("mean")
    out = regions.copy()
    out.insert(3, "dist_own_centroid", ((regions[pcs] - centroids) ** 2).sum(axis=1) ** 0.5)
    out = out[out["country"] == country].sort_values([cluster, "dist_own_centroid"])
    out.attrs.update(regions.attrs)
    return out


def plot_saved_scores(regions: pd.DataFrame, *, highlight: str | None = None, cases: pd.DataFrame | None = None):
    """Regions of the saved typology on PC1 and PC2, coloured by cluster; ``highlight`` a country."""
    import matplotlib.pyplot as plt

    cluster = next(c for c in regions.columns if c.startswith("cluster_"))
    y = regions["PC2"] if "PC2" in regions else pd.Series(0.0, index=regions.index)
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    for cl, part in regions.groupby(cluster):
        ax.scatter(part["PC1"], y[part.index], s=18, alpha=0.8, label=f"cluster {cl}")
    if highlight is not None:
        idx = regions.index[regions["country"] == highlight]
        ring_points(ax, regions.loc[idx, "PC1"], y[idx], label=f"{highlight} regions")
    if cases is not None:
        for r in cases[cases["role"] == "proposed"].itertuples():
            if (highlight is None or r.country == highlight) and r.geo in regions.index:
                ax.annotate(
                    r.geo, (regions.at[r.geo, "PC1"], y[r.geo]), fontsize=7, xytext=(3, 3), textcoords="offset points"
                )
    ax.set_xlabel("PC1")
    ax.set_ylabel("PC2" if "PC2" in regions else "")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig

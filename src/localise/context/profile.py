"""Country profile: regional context, typology position, national framework, outcome trends.

Used by ``notebooks/07_country_profile.ipynb`` (one run per LOCALISE country).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from localise.context.matrix import ContextMatrix
from localise.context.typology import TypologyResult
from localise.errors import InputError

__all__ = [
    "DEFAULT_OUTCOMES",
    "analysable_countries",
    "country_context",
    "typology_position",
    "national_framework",
    "FrameworkOutcome",
    "outcome_trends",
    "plot_trends",
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
    indicators: Sequence[str] | None = None,
    year: int | None = None,
    period: Sequence[int] | None = None,
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
    spec = MatrixSpec.make(countries=None, indicators=indicators, year=year, period=None if year is not None else period)
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
    return FrameworkOutcome(table, f"{coded} dimension(s) coded{when} for {country}, "
                                   f"{table['dimension'].nunique() - coded} not assessable (analytical grid)")


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
    out = rows.assign(break_in_series=flags.str.contains("b", regex=False))[
        ["geo", "indicator", "year", "value", "unit", "flags", "break_in_series", "source"]
    ].sort_values(["indicator", "geo", "year"]).reset_index(drop=True)
    out.attrs["synthetic"] = bool(panel.attrs.get("synthetic", False))
    out.attrs["absent"] = absent
    return out


def plot_trends(trends: pd.DataFrame, country: str, *, ncols: int = 3):
    """Small multiples of the outcome trends; breaks in series marked by a red ring and dotted line."""
    import matplotlib.pyplot as plt

    indicators = list(dict.fromkeys(trends["indicator"]))
    if not indicators:
        return None
    nrows = -(-len(indicators) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.3 * ncols, 2.6 * nrows), squeeze=False)
    for ax, ind in zip(axes.flat, indicators):
        sub = trends[trends["indicator"] == ind]
        for geo, part in sub.groupby("geo", sort=False):
            style = "-" if geo == country else "--"
            ax.plot(part["year"], part["value"], style, marker=".", label=geo, color="black" if geo == country
                    else "grey")
            brk = part[part["break_in_series"]]
            if len(brk):
                ax.scatter(brk["year"], brk["value"], s=50, facecolors="none", edgecolors="crimson", zorder=3,
                           label=f"break ({geo})")
                if geo == country:
                    for year in brk["year"]:
                        ax.axvline(year, color="crimson", ls=":", lw=0.8)
        unit = sub["unit"].iloc[0] if len(sub) else ""
        ax.set_title(f"{ind}\n({unit})", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6, frameon=False)
    for ax in list(axes.flat)[len(indicators):]:
        ax.set_axis_off()
    fig.tight_layout()
    return fig

"""Build the region × indicator matrix used by the regional typology.

Steps (see docs/methods/grid.md, "Context matrix"):

1. pick the NUTS 2 rows of the chosen indicators from the tidy regional panel,
   for one reference year or the mean over a period;
2. treat outliers with the COINr default rule;
3. orient every indicator so that a higher value means more problem pressure;
4. standardise to z-scores over *all* regions of the panel (not within country),
   or over the selected regions only.

Every treated point, every dropped region and the availability of each indicator
are kept on the returned :class:`ContextMatrix`, and printed by its ``summary()``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from localise.constants import LOCALISE_COUNTRIES
from localise.errors import InputError
from localise.results import Results

__all__ = [
    "LOCALISE_COUNTRIES",
    "DEFAULT_INDICATORS",
    "DEFAULT_ORIENTATION",
    "MatrixSpec",
    "ContextMatrix",
    "build_matrix",
    "treat_outliers",
    "parse_indicator",
]


#: Default indicators, chosen among those of the data contract that the regional
#: panel covers at NUTS 2 for the six countries around 2011-2013 [proposed].
#: ``unemployment_rate:F-M`` is the female minus male unemployment rate (pp).
#: ``youth_unemployment_rate`` is left out by default: it is suppressed (flag u) for
#: many small regions and for all of Inner/Outer London in the mirror data, and it
#: correlates at about 0.9 with the unemployment rate.
DEFAULT_INDICATORS: tuple[str, ...] = (
    "unemployment_rate",
    "unemployment_rate:F-M",
    "gdp_pps_per_inhabitant",
    "household_disposable_income_per_inhabitant",
    "adult_learning_rate",
)

#: Sign that turns an indicator into "higher = more problem pressure" [proposed].
#: +1 keeps the direction, -1 reverses it. Unknown indicators raise an error
#: unless an orientation is given.
DEFAULT_ORIENTATION: dict[str, int] = {
    "unemployment_rate": 1,
    "youth_unemployment_rate": 1,
    "long_term_unemployment_share": 1,
    "arope": 1,
    "at_risk_of_poverty_rate": 1,
    "severe_material_deprivation_rate": 1,
    "very_low_work_intensity": 1,
    "gender_employment_gap": 1,
    "neet_rate": 1,
    "unemployment_thousands": 1,
    "gdp_pps_per_inhabitant": -1,
    "gdp_eur_per_inhabitant": -1,
    "household_disposable_income_per_inhabitant": -1,
    "adult_learning_rate": -1,
    "life_expectancy": -1,
    "employment_thousands": -1,
    "active_population_thousands": -1,
}

_SPEC = re.compile(r"^(?P<ind>[A-Za-z0-9_]+)(?::(?P<sex>[TFM])(?:-(?P<sex2>[TFM]))?)?$")


def parse_indicator(spec: str) -> tuple[str, str, str | None]:
    """Split an indicator spec into ``(indicator, sex, minus_sex)``.

    ``"unemployment_rate"`` → total (sex ``T``); ``"unemployment_rate:F"`` → the
    female rows; ``"unemployment_rate:F-M"`` → female minus male (a gap, in the
    indicator's unit or percentage points).
    """
    match = _SPEC.match(str(spec))
    if not match:
        raise InputError(
            f"indicator {spec!r}: expected 'id', 'id:SEX' or 'id:SEX-SEX' with SEX in T/F/M "
            "(e.g. 'unemployment_rate:F-M')"
        )
    return match["ind"], match["sex"] or "T", match["sex2"]


def _orientation_of(spec: str, orientation: Mapping[str, int]) -> int:
    if spec in orientation:
        sign = orientation[spec]
    else:
        ind, _sex, minus = parse_indicator(spec)
        if minus is not None:
            # a F-M gap: larger gap = more pressure on women, whatever the base direction
            sign = 1
        elif ind in orientation:
            sign = orientation[ind]
        else:
            raise InputError(
                f"indicator {spec!r}: no orientation known; pass orientation={{{spec!r}: 1 or -1}} "
                "(+1 when a higher value means more problem pressure)"
            )
    if sign not in (1, -1):
        raise InputError(f"orientation of {spec!r} must be +1 or -1, got {sign!r}")
    return int(sign)


@dataclass(frozen=True)
class MatrixSpec:
    """Settings of the region × indicator matrix (kept on every result).

    Parameters
    ----------
    countries
        Countries whose NUTS 2 regions are analysed (typology, case selection).
        ``None`` = every country in the panel.
    indicators
        Indicator specs (see :func:`parse_indicator`).
    year
        Reference year. Mutually exclusive with ``period``.
    period
        ``(first, last)`` inclusive: the mean over the available years is used.
    standardise_over
        ``"all"``: z-scores use the mean and standard deviation of all regions
        in the panel (over all regions, not within country);
        ``"selected"``: only the analysed regions.
    outliers
        ``"coinr"`` applies the COINr rule (:func:`treat_outliers`); ``"none"`` leaves the values.
    missing
        ``"drop"``: regions lacking any indicator are left out (listed);
        ``"country_mean"``: filled with the mean of the country's regions (listed).
    orientation
        Overrides of :data:`DEFAULT_ORIENTATION` (spec or indicator id → ±1).
    """

    countries: tuple[str, ...] | None = LOCALISE_COUNTRIES
    indicators: tuple[str, ...] = DEFAULT_INDICATORS
    year: int | None = None
    period: tuple[int, int] | None = (2011, 2013)
    standardise_over: Literal["all", "selected"] = "all"
    outliers: Literal["coinr", "none"] = "coinr"
    missing: Literal["drop", "country_mean"] = "drop"
    orientation: tuple[tuple[str, int], ...] = ()

    def __post_init__(self) -> None:
        if (self.year is None) == (self.period is None):
            raise InputError("matrix: give exactly one of year=<int> or period=(first, last)")
        if self.period is not None:
            first, last = self.period
            if int(first) > int(last):
                raise InputError(f"matrix: period {self.period!r} must be (first, last) with first <= last")
        if not self.indicators:
            raise InputError("matrix: indicators must name at least one indicator")
        if len(set(self.indicators)) != len(self.indicators):
            raise InputError(f"matrix: indicators contain duplicates: {list(self.indicators)}")
        for spec in self.indicators:
            parse_indicator(spec)
        if self.standardise_over not in ("all", "selected"):
            raise InputError(f"matrix: standardise_over must be 'all' or 'selected', got {self.standardise_over!r}")
        if self.outliers not in ("coinr", "none"):
            raise InputError(f"matrix: outliers must be 'coinr' or 'none', got {self.outliers!r}")
        if self.missing not in ("drop", "country_mean"):
            raise InputError(f"matrix: missing must be 'drop' or 'country_mean', got {self.missing!r}")

    @classmethod
    def make(
        cls,
        *,
        countries: Sequence[str] | None = LOCALISE_COUNTRIES,
        indicators: Sequence[str] | None = None,
        year: int | None = None,
        period: Sequence[int] | None = None,
        standardise_over: Literal["all", "selected"] = "all",
        outliers: Literal["coinr", "none"] = "coinr",
        missing: Literal["drop", "country_mean"] = "drop",
        orientation: Mapping[str, int] | None = None,
    ) -> MatrixSpec:
        """Build a spec from notebook-style parameters (lists, ``None`` defaults).

        When neither ``year`` nor ``period`` is given the default period 2011-2013 is used.
        """
        if year is None and period is None:
            period = (2011, 2013)
        return cls(
            countries=None if countries is None else tuple(str(c) for c in countries),
            indicators=tuple(indicators) if indicators else DEFAULT_INDICATORS,
            year=None if year is None else int(year),
            period=None if period is None else (int(period[0]), int(period[1])),
            standardise_over=standardise_over,
            outliers=outliers,
            missing=missing,
            orientation=tuple(sorted((orientation or {}).items())),
        )

    def with_(self, **changes: object) -> MatrixSpec:
        """Copy with some settings changed (used by the stability analysis)."""
        if "year" in changes and changes["year"] is not None and "period" not in changes:
            changes["period"] = None
        if "period" in changes and changes["period"] is not None and "year" not in changes:
            changes["year"] = None
        return replace(self, **changes)  # type: ignore[arg-type]

    def describe(self) -> str:
        """One line naming the settings."""
        if self.year is not None:
            when = f"year {self.year}"
        else:
            assert self.period is not None  # a MatrixSpec holds exactly one of year and period
            when = f"mean {self.period[0]}-{self.period[1]}"
        countries = "all" if self.countries is None else ",".join(self.countries)
        return (
            f"countries={countries}; {when}; indicators={','.join(self.indicators)}; "
            f"outliers={self.outliers}; standardise_over={self.standardise_over}; missing={self.missing}"
        )


@dataclass(repr=False)
class ContextMatrix(Results):
    """The region × indicator matrix and how it was made.

    Attributes
    ----------
    spec
        The :class:`MatrixSpec`.
    raw
        Values per region (index ``geo``) and indicator spec, before treatment,
        for every region of the standardisation population.
    treated
        After outlier treatment (still in the original direction and units).
    z
        Oriented z-scores of the *analysed* regions (higher = more pressure).
    countries
        Country of every region in ``z`` (Series indexed by geo).
    orientation
        Sign applied per indicator spec.
    treatment_log
        One row per treated point: indicator, geo, action, old, new.
    dropped
        Regions of the analysed countries left out for missing values, with the
        indicators they lack.
    imputed
        Cells filled by the country mean (``missing="country_mean"``).
    availability
        Share of regions with a value, per country × indicator (before dropping).
    breaks
        Cells whose source carries a break-in-series flag ("b") in the period.
    synthetic
        Whether the panel was generated demo data; every frame above carries it in ``attrs``.
    source_note
        Provenance of the panel.
    """

    spec: MatrixSpec
    raw: pd.DataFrame
    treated: pd.DataFrame
    z: pd.DataFrame
    countries: pd.Series
    orientation: dict[str, int]
    center: pd.Series
    scale: pd.Series
    treatment_log: pd.DataFrame
    dropped: pd.DataFrame
    imputed: pd.DataFrame
    availability: pd.DataFrame
    breaks: pd.DataFrame
    synthetic: bool = False
    source_note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def attrs(self) -> dict:
        """``{"synthetic": ...}``, so that :mod:`localise.report` marks outputs made from demo data."""
        return {"synthetic": self.synthetic, "source_note": self.source_note}

    @property
    def indicators(self) -> list[str]:
        """Indicator specs (columns of ``z``)."""
        return list(self.z.columns)

    @property
    def n_regions(self) -> int:
        """Number of analysed regions."""
        return int(self.z.shape[0])

    def to_frame(self) -> pd.DataFrame:
        """Analysed regions: country, oriented z-scores and treated values."""
        out = pd.concat(
            [
                self.countries.rename("country"),
                self.z.add_prefix("z_"),
                self.treated.loc[self.z.index].add_prefix("value_"),
            ],
            axis=1,
        )
        out.attrs["synthetic"] = self.synthetic
        return out

    def summary(self) -> str:
        """Plain-text account of the matrix and every treatment."""
        lines = [
            " ".join(["Regional context matrix (localise.context)", *self.banner()]),
            f"  settings: {self.spec.describe()}",
            f"  source: {self.source_note or 'n/a'}",
            f"  analysed regions: {self.n_regions} in {self.countries.nunique()} countries; "
            f"standardisation population: {self.raw.dropna(how='all').shape[0]} regions",
            "  orientation (+1 = higher means more pressure): "
            + ", ".join(f"{k} {v:+d}" for k, v in self.orientation.items()),
            f"  outlier treatment: {len(self.treatment_log)} point(s) treated",
        ]
        for row in self.treatment_log[self.treatment_log["action"] != "log"].itertuples(index=False):
            lines.append(f"    {row.indicator} {row.geo}: {row.action} {row.old:.4g} -> {row.new:.4g}")
        logged = self.treatment_log[self.treatment_log["action"] == "log"]
        for ind, part in logged.groupby("indicator", sort=False):
            lines.append(
                f"    {ind}: log-transformed (winsorisation did not meet the rule), all {len(part)} "
                "points (see treatment_log)"
            )
        lines.append(f"  regions dropped for missing values: {len(self.dropped)}")
        for row in self.dropped.itertuples(index=False):
            lines.append(f"    {row.geo} ({row.country}): lacks {row.missing}")
        if len(self.imputed):
            lines.append(f"  cells imputed by country mean: {len(self.imputed)}")
        if len(self.breaks):
            lines.append(f"  cells with a break in series ('b' flag) in the period: {len(self.breaks)}")
        return "\n".join(lines)

    def to_latex(self, *, caption: str | None = None) -> str:
        """Descriptive statistics of the treated indicators of the analysed regions as LaTeX."""
        from localise.provenance import label

        table = self.treated.loc[self.z.index].describe().T[["count", "mean", "std", "min", "max"]]
        caption = label(caption or "Regional context indicators (analysed NUTS 2 regions)", self.synthetic)
        return table.to_latex(float_format="%.3g", caption=caption)


def treat_outliers(
    values: pd.Series, *, skew_max: float = 2.0, kurt_max: float = 3.5, max_winsor: int = 5
) -> tuple[pd.Series, list[dict]]:
    """Apply the COINr default outlier rule to one indicator [recalled].

    See docs/methods/indicators.md, "Outliers".

    If ``|skewness| > skew_max`` and ``kurtosis > kurt_max`` (both must hold),
    Winsorise the most extreme point on the side of the skew (it takes the value of
    the next point inward), one point at a time, at most ``max_winsor`` times,
    until the rule is met. If it still fails, apply a log transform:
    ``log(x - min + 1)`` for positive skew, ``-log(max - x + 1)`` for negative skew
    (our choice of shift, keeping the order of the values).

    Skewness and kurtosis are the sample moments of :func:`scipy.stats.skew` and
    :func:`scipy.stats.kurtosis` (``bias=False``; kurtosis as *excess* kurtosis,
    as we recall COINr to do). Missing values are ignored.

    Returns
    -------
    (Series, list of dict)
        The treated values and one record per treated point
        (``action``: "winsorised" or "log").
    """
    x = values.astype(float).copy()
    log: list[dict] = []

    def failing(series: pd.Series) -> tuple[bool, float]:
        v = series.dropna().to_numpy()
        if v.size < 4 or np.ptp(v) == 0:
            return False, 0.0
        skew = float(stats.skew(v, bias=False))
        kurt = float(stats.kurtosis(v, fisher=True, bias=False))
        return (abs(skew) > skew_max and kurt > kurt_max), skew

    bad, skew = failing(x)
    n = 0
    while bad and n < max_winsor:
        present = x.dropna()
        distinct = np.unique(present.to_numpy())
        if distinct.size < 2:
            break
        extreme, inner = (distinct[-1], distinct[-2]) if skew > 0 else (distinct[0], distinct[1])
        for geo in present.index[present.to_numpy() == extreme]:  # tied extreme points move together
            log.append({"geo": geo, "action": "winsorised", "old": float(extreme), "new": float(inner)})
            x[geo] = inner
        n += 1
        bad, skew = failing(x)
    if bad:
        before = x.copy()
        if skew > 0:
            x = np.log(x - x.min() + 1.0)
        else:
            x = -np.log(x.max() - x + 1.0)
        for geo in x.dropna().index:
            log.append({"geo": geo, "action": "log", "old": float(before[geo]), "new": float(x[geo])})
    return x, log


def _values(panel: pd.DataFrame, spec: str, years: list[int]) -> tuple[pd.Series, pd.DataFrame]:
    ind, sex, minus = parse_indicator(spec)
    rows = panel[(panel["indicator"] == ind) & panel["year"].isin(years)]
    if rows.empty:
        available = sorted(panel["indicator"].unique())
        raise InputError(
            f"indicator {spec!r}: no NUTS 2 rows for {ind!r} in years {years[0]}-{years[-1]}; "
            f"indicators in the panel: {available}"
        )

    def by_sex(s: str) -> pd.DataFrame:
        sub = rows[rows["sex"] == s]
        if sub.empty:
            raise InputError(f"indicator {spec!r}: the panel has no rows with sex={s!r} for {ind!r}")
        return sub.pivot_table(index="geo", columns="year", values="value", aggfunc="first")

    wide = by_sex(sex)
    if minus is not None:
        wide = wide.sub(by_sex(minus))
    value = wide.mean(axis=1, skipna=True)
    flagged = rows[rows["sex"].isin([sex, minus]) & rows["flags"].fillna("").str.contains("b", regex=False)]
    breaks = flagged[["geo", "year"]].drop_duplicates().assign(indicator=spec)
    return value, breaks


def _nuts2_rows(panel: pd.DataFrame) -> pd.DataFrame:
    """The NUTS 2 rows of a tidy regional panel, with a ``flags`` column (empty when absent)."""
    required = {"geo", "country", "year", "indicator", "sex", "value"}
    missing_cols = required - set(panel.columns)
    if missing_cols:
        raise InputError(f"regional panel lacks column(s) {sorted(missing_cols)}; expected {sorted(required)}")
    if "nuts_level" in panel.columns:
        panel = panel[panel["nuts_level"] == 2]
    if "flags" not in panel.columns:
        panel = panel.assign(flags="")
    return panel


def _reference_years(spec: MatrixSpec) -> list[int]:
    if spec.year is not None:
        return [spec.year]
    assert spec.period is not None  # a MatrixSpec holds exactly one of year and period
    return list(range(spec.period[0], spec.period[1] + 1))


def _raw_values(panel: pd.DataFrame, spec: MatrixSpec, years: list[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Region × indicator values (sorted by geo) and the cells flagged as breaks in series."""
    columns, break_frames = {}, []
    for s in spec.indicators:
        columns[s], br = _values(panel, s, years)
        break_frames.append(br)
    raw = pd.DataFrame(columns)
    raw.index.name = "geo"
    return raw.sort_index(), pd.concat(break_frames, ignore_index=True)


def _selected_regions(spec: MatrixSpec, country_of: pd.Series, regions_country: pd.Series) -> pd.Series:
    """Whether each region (index of ``regions_country``) belongs to the analysed countries."""
    if spec.countries is None:
        return pd.Series(True, index=regions_country.index)
    unknown = sorted(set(spec.countries) - set(country_of.unique()))
    if unknown:
        raise InputError(
            f"countries {unknown} have no NUTS 2 regions in the panel; countries present: {sorted(country_of.unique())}"
        )
    return regions_country.isin(spec.countries)


def _fill_missing(
    raw: pd.DataFrame, selected: pd.Series, regions_country: pd.Series, spec: MatrixSpec
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Missing values of the analysed regions: filled by the country mean or listed for dropping.

    Returns the values (filled where ``missing="country_mean"``), the imputed cells and the
    regions still lacking an indicator.
    """
    sel_raw = raw[selected]
    lacking = sel_raw.isna()
    imputed_rows: list[dict] = []
    if spec.missing == "country_mean":
        filled = sel_raw.copy()
        for geo, row in lacking.iterrows():
            for col in row.index[row.to_numpy()]:
                peers = sel_raw.loc[regions_country[sel_raw.index] == regions_country[geo], col].dropna()
                if len(peers):
                    filled.loc[geo, col] = peers.mean()
                    imputed_rows.append(
                        {"geo": geo, "country": regions_country[geo], "indicator": col, "value": float(peers.mean())}
                    )
        raw = raw.copy()
        raw.loc[filled.index] = filled
        lacking = raw[selected].isna()
    dropped = pd.DataFrame(
        [
            {"geo": geo, "country": regions_country[geo], "missing": ",".join(row.index[row.to_numpy()])}
            for geo, row in lacking.iterrows()
            if row.any()
        ],
        columns=["geo", "country", "missing"],
    )
    imputed = pd.DataFrame(imputed_rows, columns=["geo", "country", "indicator", "value"])
    return raw, imputed, dropped


def _treated_values(raw: pd.DataFrame, population: pd.Index, spec: MatrixSpec) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Values after the outlier rule (over the standardisation population) and the log of treated points."""
    treated = raw.copy()
    log_rows: list[dict] = []
    if spec.outliers == "coinr":
        for s in spec.indicators:
            new, log = treat_outliers(raw.loc[population, s])
            treated.loc[population, s] = new
            log_rows += [{"indicator": s, **r} for r in log]
    return treated, pd.DataFrame(log_rows, columns=["indicator", "geo", "action", "old", "new"])


def _standardised(
    treated: pd.DataFrame, population: pd.Index, analysed: list, orientation: dict[str, int]
) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """Mean, standard deviation (over ``population``) and oriented z-scores of the analysed regions."""
    center = treated.loc[population].mean()
    scale = treated.loc[population].std(ddof=1)
    flat = scale[scale == 0]
    if len(flat):
        raise InputError(f"matrix: indicator(s) {list(flat.index)} have no variation over the regions")
    signs = pd.Series(orientation)
    return center, scale, ((treated.loc[analysed] - center) / scale) * signs


def _mark_synthetic(matrix: ContextMatrix) -> None:
    """Copy the matrix's SYNTHETIC flag onto each of its frames, so that tables saved from them are marked."""
    for frame in (
        matrix.raw,
        matrix.treated,
        matrix.z,
        matrix.treatment_log,
        matrix.dropped,
        matrix.imputed,
        matrix.availability,
        matrix.breaks,
    ):
        frame.attrs["synthetic"] = matrix.synthetic


def build_matrix(panel: pd.DataFrame, spec: MatrixSpec | None = None, **settings: object) -> ContextMatrix:
    """Build the oriented, standardised region × indicator matrix.

    Parameters
    ----------
    panel
        Tidy regional panel (``localise.data.load_regional_panel()`` schema).
    spec
        A :class:`MatrixSpec`; or give its settings as keyword arguments
        (``countries``, ``indicators``, ``year``, ``period``, ...), see :meth:`MatrixSpec.make`.

    Returns
    -------
    ContextMatrix
        Its frames carry the panel's SYNTHETIC flag in ``attrs``.

    Notes
    -----
    Outlier treatment and standardisation use the standardisation population
    (all regions of the panel with ``standardise_over="all"``). A region counts
    in that population when it has every indicator. ``z = s · (x - mean) / sd``
    with ``s`` the orientation sign and ``sd`` the sample standard deviation (ddof=1).
    """
    if spec is None:
        spec = MatrixSpec.make(**settings)  # type: ignore[arg-type]
    elif settings:
        raise InputError("build_matrix: give either spec or keyword settings, not both")
    attrs = dict(getattr(panel, "attrs", {}) or {})
    panel = _nuts2_rows(panel)
    orientation_map = {**DEFAULT_ORIENTATION, **dict(spec.orientation)}
    orientation = {s: _orientation_of(s, orientation_map) for s in spec.indicators}

    country_of = panel.drop_duplicates("geo").set_index("geo")["country"].astype(str)
    raw, breaks = _raw_values(panel, spec, _reference_years(spec))
    regions_country = country_of.reindex(raw.index)
    selected = _selected_regions(spec, country_of, regions_country)
    availability = raw[selected].notna().groupby(regions_country[selected]).mean()
    availability.index.name = "country"

    raw, imputed, dropped = _fill_missing(raw, selected, regions_country, spec)
    analysed = [g for g in raw.index[selected.to_numpy()] if g not in set(dropped["geo"])]
    if len(analysed) < 3:
        raise InputError(
            f"matrix: only {len(analysed)} region(s) have all indicators {list(spec.indicators)} "
            f"for {spec.describe()}; choose other indicators, years or missing='country_mean'"
        )
    complete = raw.dropna().index
    population = complete if spec.standardise_over == "all" else pd.Index(analysed)
    population = population.union(pd.Index(analysed))

    treated, treatment_log = _treated_values(raw, population, spec)
    center, scale, z = _standardised(treated, population, analysed, orientation)
    matrix = ContextMatrix(
        spec=spec,
        raw=raw.loc[population.union(raw.index[selected.to_numpy()])],
        treated=treated.loc[population],
        z=z,
        countries=regions_country.loc[analysed].rename("country"),
        orientation=orientation,
        center=center,
        scale=scale,
        treatment_log=treatment_log,
        dropped=dropped,
        imputed=imputed,
        availability=availability,
        breaks=breaks[breaks["geo"].isin(analysed)].reset_index(drop=True),
        synthetic=bool(attrs.get("synthetic", False)),
        source_note=str(attrs.get("source_note", "")),
    )
    _mark_synthetic(matrix)
    return matrix

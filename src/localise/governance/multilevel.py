"""Regions in countries: regional quality of government and national configurations.

Two designs on the Eurostat regional panel (NUTS 2016) and the regional EQI:

* **Cross-level** (:func:`cross_level_data`, :func:`cross_level_bootstrap`): region-years
  around one EQI wave; the regional outcome on the region's EQI and country-level
  configuration measures (LAI, RAI self-rule, local share of social protection), fitted
  as a random-intercept model (regions nested in countries,
  :class:`localise.models.MultilevelModel`) and, for inference robust to ~25 country
  clusters, as pooled OLS with year effects and a restricted wild cluster bootstrap at
  country level (:func:`localise.models.wild_cluster_bootstrap`).
* **Within-region change** (:func:`wave_panel`): one row per region and EQI wave, for
  region and wave fixed effects. The EQI is standardised within each wave, so the
  regressor is the region's percentile position among all surveyed regions of the wave.

Regions are matched to the EQI at their own code, else at their NUTS 1 parent (Belgium
and Germany are surveyed at NUTS 1), else at country level (CY, EE, LU, LV, MT); the
level used is kept in ``eqi_level``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from localise.errors import InputError

__all__ = ["eqi_positions", "attach_eqi", "cross_level_data", "cross_level_bootstrap", "wave_panel"]


def eqi_positions(eqi: pd.DataFrame) -> pd.DataFrame:
    """Add ``eqi_position``: percentile rank (0 = lowest, 1 = highest) of each region within its wave."""
    out = eqi.copy()
    n = out.groupby("wave")["eqi"].transform("count")
    out["eqi_position"] = (out.groupby("wave")["eqi"].rank(method="average") - 1) / (n - 1)
    return out


def attach_eqi(regions: pd.DataFrame, eqi: pd.DataFrame, wave: int, *, column: str = "eqi") -> pd.DataFrame:
    """Give every region (``geo``) the EQI ``column`` of ``wave`` at the finest level available.

    Returns ``regions`` with ``column`` and ``eqi_level`` (2, 1 or 0; NaN when unmatched).
    """
    part = eqi.loc[eqi["wave"] == wave].drop_duplicates("geo").set_index("geo")
    if part.empty:
        raise InputError(f"attach_eqi: no EQI rows for wave {wave}")
    out = regions.copy()
    geo = out["geo"].astype(str)
    value = pd.Series(np.nan, index=out.index)
    level = pd.Series(np.nan, index=out.index)
    for lvl, codes in ((2, geo), (1, geo.str[:3]), (0, geo.str[:2])):
        todo = value.isna()
        found = codes[todo].map(part[column])
        value[todo] = found
        level[todo & found.notna()] = lvl
    out[column] = value.to_numpy()
    out["eqi_level"] = level.to_numpy()
    return out


def cross_level_data(
    regional: pd.DataFrame,
    eqi: pd.DataFrame,
    country_measures: pd.DataFrame,
    *,
    outcome: str = "unemployment_rate",
    wave: int = 2013,
    years: tuple[int, int] = (2012, 2014),
) -> pd.DataFrame:
    """Region-year analysis frame for the cross-level model.

    Parameters
    ----------
    regional
        Tidy regional panel (``localise.data.load_regional_panel``), NUTS 2 rows are used.
    eqi
        Regional EQI (``load_eqi_regions``).
    country_measures
        Country-indexed table of configuration measures (e.g. LAI, RAI, SPLOC).
    outcome, wave, years
        Outcome indicator (sex ``T``), EQI wave and outcome years (inclusive).

    Returns
    -------
    pandas.DataFrame
        Columns ``geo``, ``country``, ``year``, the outcome, ``eqi``, ``eqi_level``, each
        country measure, and standardised versions ``<name>_z`` (EQI over regions, country
        measures over countries), complete cases only.
    """
    sel = regional[(regional["indicator"] == outcome) & regional["year"].between(*years)]
    if "sex" in sel.columns:
        sel = sel[sel["sex"] == "T"]
    if "nuts_level" in sel.columns:
        sel = sel[sel["nuts_level"] == 2]
    if sel.empty:
        raise InputError(f"cross_level_data: no {outcome!r} values in {years}")
    frame = sel[["geo", "country", "year", "value"]].rename(columns={"value": outcome})
    frame = attach_eqi(frame, eqi, wave)
    measures = country_measures.copy()
    measures.index = measures.index.astype(str)
    frame = frame.join(measures, on="country")
    names = list(country_measures.columns)
    frame = frame.dropna(subset=[outcome, "eqi", *names]).reset_index(drop=True)
    regions = frame.drop_duplicates("geo")
    frame["eqi_z"] = (frame["eqi"] - regions["eqi"].mean()) / regions["eqi"].std(ddof=0)
    countries = frame.drop_duplicates("country").set_index("country")
    for name in names:
        mu, sd = countries[name].mean(), countries[name].std(ddof=0)
        frame[f"{name}_z"] = (frame[name] - mu) / sd if sd > 0 else 0.0
    frame.attrs.update(synthetic=False, source_note=f"{outcome} {years[0]}-{years[1]} (Eurostat, NUTS 2); EQI {wave}")
    return frame


def cross_level_bootstrap(
    data: pd.DataFrame,
    y: str,
    x: Sequence[str],
    *,
    cluster: str = "country",
    time: str = "year",
    reps: int = 999,
    seed: int = 0,
    level: float = 0.95,
) -> pd.DataFrame:
    """Pooled OLS with period effects and a country-level wild cluster bootstrap per regressor.

    The design is ``y ~ 1 + x + period dummies``; each coefficient is tested (H0: 0) with the
    restricted wild cluster bootstrap (Webb weights) of :func:`localise.models.wild_cluster_bootstrap`
    and gets the interval obtained by inverting that test.

    Returns
    -------
    pandas.DataFrame
        One row per regressor: ``estimate``, ``std_error_cr1``, ``p_value_wild``,
        ``ci_low_wild``, ``ci_high_wild``, ``n_clusters``, ``nobs``, ``reps``, ``seed``.
    """
    from localise.models import wild_cluster_bootstrap

    needed = [y, *x, cluster, time]
    absent = [c for c in needed if c not in data.columns]
    if absent:
        raise InputError(f"cross_level_bootstrap: column(s) {absent} not in the data")
    frame = data[needed].dropna().reset_index(drop=True)
    design = pd.DataFrame({"const": 1.0}, index=frame.index)
    for col in x:
        design[col] = frame[col].astype(float)
    periods = sorted(frame[time].unique())
    for p in periods[1:]:
        design[f"_t{p}"] = (frame[time] == p).astype(float)
    rows = []
    for col in x:
        res = wild_cluster_bootstrap(frame[y], design, frame[cluster], contrast=col, reps=reps, seed=seed, level=level)
        rows.append(
            {
                "term": col,
                "estimate": res.estimate,
                "std_error_cr1": res.std_error,
                "p_value_wild": res.pvalue,
                "ci_low_wild": res.ci_low,
                "ci_high_wild": res.ci_high,
                "level": level,
                "n_clusters": res.n_clusters,
                "nobs": len(frame),
                "reps": reps,
                "seed": seed,
                "weights": res.weights,
            }
        )
    return pd.DataFrame(rows)


def wave_panel(
    regional: pd.DataFrame,
    eqi: pd.DataFrame,
    *,
    outcome: str = "unemployment_rate",
    waves: Sequence[int] = (2010, 2013, 2017),
    lag: int = 0,
) -> pd.DataFrame:
    """Region × wave panel: the outcome in ``wave + lag`` and the region's EQI position in the wave.

    Returns
    -------
    pandas.DataFrame
        Columns ``geo``, ``country``, ``wave``, the outcome, ``eqi``, ``eqi_position`` and
        ``eqi_level``; only regions observed in at least two waves (fixed effects need change).
    """
    ranked = eqi_positions(eqi)
    sel = regional[regional["indicator"] == outcome]
    if "sex" in sel.columns:
        sel = sel[sel["sex"] == "T"]
    if "nuts_level" in sel.columns:
        sel = sel[sel["nuts_level"] == 2]
    parts = []
    for wave in waves:
        rows = sel.loc[sel["year"] == wave + lag, ["geo", "country", "value"]].rename(columns={"value": outcome})
        if rows.empty:
            continue
        rows = attach_eqi(rows, ranked, wave, column="eqi_position")
        rows = rows.join(attach_eqi(rows[["geo"]], ranked, wave)["eqi"])
        rows["wave"] = wave
        parts.append(rows)
    if not parts:
        raise InputError(f"wave_panel: no {outcome!r} values in the years {[w + lag for w in waves]}")
    panel = pd.concat(parts, ignore_index=True).dropna(subset=[outcome, "eqi_position"])
    counts = panel.groupby("geo")["wave"].transform("nunique")
    panel = panel[counts >= 2].sort_values(["geo", "wave"]).reset_index(drop=True)
    panel = panel[["geo", "country", "wave", outcome, "eqi", "eqi_position", "eqi_level"]]
    panel.attrs.update(synthetic=False, source_note=f"{outcome} (Eurostat, NUTS 2) in EQI waves {list(waves)} (+{lag})")
    return panel

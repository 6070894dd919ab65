"""Convergent validity of the grid's national framework codes against published measures.

The grid codes national frameworks on ordinal 0-3 dimensions
(:func:`localise.grid.load_national_frameworks`). Dimension G3 (vertical coordination /
local discretion) should rank countries as published measures of local and regional
authority do. :func:`framework_validity` computes Spearman rank correlations with their N
and names the countries whose relative positions disagree most.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from localise.errors import InputError

__all__ = ["framework_validity", "rank_disagreements", "measures_at"]


def measures_at(gov: pd.DataFrame, columns: Mapping[str, str], years: Mapping[str, tuple[int, int]]) -> pd.DataFrame:
    """Country × measure table: each column averaged over its own year window.

    ``columns`` maps a label to a governance column, ``years`` maps the same label to
    ``(first, last)`` (inclusive).
    """
    out = {}
    for label, column in columns.items():
        if column not in gov.columns:
            raise InputError(f"measures_at: column {column!r} not in the governance table")
        first, last = years[label]
        out[label] = gov[gov["year"].between(first, last)].groupby("country")[column].mean()
    frame = pd.DataFrame(out)
    frame.index.name = "country"
    return frame


def framework_validity(codes: pd.Series, measures: pd.DataFrame) -> pd.DataFrame:
    """Spearman rank correlation of the grid's codes with each measure.

    Parameters
    ----------
    codes
        Codes of one grid dimension, indexed by country (NaN = not assessable, dropped).
    measures
        Country × measure table (e.g. from :func:`measures_at`).

    Returns
    -------
    pandas.DataFrame
        One row per measure: ``n`` (countries with both), ``rho``, ``p_value`` (two-sided;
        with ties and small N read it as indicative), ``countries``.
    """
    rows = []
    for label in measures.columns:
        pair = pd.concat([codes.rename("code"), measures[label].rename("measure")], axis=1).dropna()
        n = len(pair)
        if n >= 3 and pair["code"].nunique() > 1 and pair["measure"].nunique() > 1:
            res = stats.spearmanr(pair["code"], pair["measure"])
            rho, p = float(res.statistic), float(res.pvalue)
        else:
            rho, p = np.nan, np.nan
        rows.append({"measure": label, "n": n, "rho": rho, "p_value": p, "countries": ",".join(sorted(pair.index))})
    return pd.DataFrame(rows)


def rank_disagreements(codes: pd.Series, measures: pd.DataFrame, *, threshold: float = 0.5) -> pd.DataFrame:
    """Countries whose relative position differs between the code and a measure.

    Positions are percentile ranks in [0, 1] among the countries having both values
    (average ranks for ties, rescaled as ``(rank - 1) / (n - 1)``). A country is listed
    when the absolute difference is at least ``threshold``.

    Returns
    -------
    pandas.DataFrame
        Columns ``measure``, ``country``, ``code``, ``value``, ``code_position``,
        ``measure_position``, ``difference`` (code minus measure position), largest first.
    """
    rows = []
    for label in measures.columns:
        pair = pd.concat([codes.rename("code"), measures[label].rename("value")], axis=1).dropna()
        n = len(pair)
        if n < 2:
            continue
        pos_code = (pair["code"].rank(method="average") - 1) / (n - 1)
        pos_meas = (pair["value"].rank(method="average") - 1) / (n - 1)
        diff = pos_code - pos_meas
        for country in pair.index[diff.abs() >= threshold - 1e-12]:
            rows.append(
                {
                    "measure": label,
                    "country": country,
                    "code": pair.loc[country, "code"],
                    "value": pair.loc[country, "value"],
                    "code_position": pos_code[country],
                    "measure_position": pos_meas[country],
                    "difference": diff[country],
                }
            )
    out = pd.DataFrame(
        rows, columns=["measure", "country", "code", "value", "code_position", "measure_position", "difference"]
    )
    return out.reindex(out["difference"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def codes_of(matrix: pd.DataFrame, dimension: str, countries: Sequence[str] | None = None) -> pd.Series:
    """One dimension of :func:`localise.grid.frameworks.frameworks_matrix` as a Series."""
    if dimension not in matrix.columns:
        raise InputError(f"codes_of: dimension {dimension!r} not in the frameworks matrix ({list(matrix.columns)})")
    s = matrix[dimension]
    return s.reindex(list(countries)) if countries is not None else s

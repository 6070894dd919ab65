"""Robustness of a QCA result over calibration anchors and cut-offs.

See docs/methods/qca.md, "Robustness".

Re-runs calibration (optional), truth table and minimisation over a grid of anchor
shifts (a fraction of each raw variable's range, applied to all anchors of all
calibrated variables), inclusion cut-offs and frequency cut-offs, and tabulates how
the solution and its fit change relative to the baseline.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from localise.errors import InputError
from localise.qca.calibrate import calibrate, parse_thresholds
from localise.qca.fit import _TableResult
from localise.qca.minimise import minimize
from localise.qca.truthtable import TruthTable, truth_table

__all__ = ["robustness", "RobustnessResult"]


@dataclass(repr=False)
class RobustnessResult(_TableResult):
    """One row per setting: solution, fit, cases covered and agreement with the baseline."""

    table: pd.DataFrame
    baseline: dict[str, Any]
    settings: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        t = self.table
        ok = t["error"].isna()
        same = int(t.loc[ok, "same_solution"].sum())
        return (
            f"Robustness over {len(t)} settings ({int(ok.sum())} ran): the baseline solution "
            f"{self.baseline.get('solution')!r} recurs in {same}; "
            f"{t.loc[ok, 'solution'].nunique()} distinct solutions."
        )

    def verdict(self) -> tuple[str, dict[str, Any]]:
        """How robust the baseline solution is, in words generated from the table.

        Returns
        -------
        text, numbers
            A paragraph (settings run, distinct solutions, settings reproducing the
            baseline, overlap of the covered cases) and the numbers behind it.
        """
        t = self.table
        ok = t[t["error"].isna()]
        n, distinct = len(ok), int(ok["solution"].nunique())
        same = int(ok["same_solution"].sum())
        jac = ok["cases_jaccard"].dropna()
        numbers = {
            "settings": len(t),
            "ran": n,
            "distinct_solutions": distinct,
            "baseline_recurs": same,
            "jaccard_min": float(jac.min()) if len(jac) else float("nan"),
            "jaccard_median": float(jac.median()) if len(jac) else float("nan"),
        }
        if n == 0:
            return "No robustness setting ran.", numbers
        text = (
            f"Over {n} settings of the calibration anchors and inclusion cut-off, the minimisation gives "
            f"{distinct} distinct solution(s); the baseline solution {self.baseline.get('solution')!r} recurs in "
            f"{same} of {n}."
        )
        if len(jac):
            text += (
                f" The cases covered by the solution and in the outcome overlap with the baseline's by a "
                f"Jaccard index of {jac.min():.2f} to {jac.max():.2f} (median {jac.median():.2f})."
            )
        if same <= n / 2:
            text += (
                " The solution is therefore not robust: it depends on choices within a defensible range, "
                "so it should be read as one of several models consistent with these data, not as a finding."
            )
        else:
            text += " The baseline solution holds in most settings."
        return text, numbers


def _calibrated(raw: pd.DataFrame, anchors: Mapping[str, Any], shift: float) -> pd.DataFrame:
    out = raw.copy()
    for col, spec in anchors.items():
        if col not in raw.columns:
            raise InputError(f"anchors: {col!r} is not a column of the data")
        th = parse_thresholds(spec)
        if not isinstance(th, dict):
            raise InputError(f"anchors: {col!r} needs named anchors e, c, i")
        x = raw[col].to_numpy(dtype=float)
        delta = shift * (np.nanmax(x) - np.nanmin(x))
        moved = {k: v + delta for k, v in th.items()}
        out[col] = calibrate(x, type="fuzzy", thresholds=moved, warn_half=False)
    return out


def robustness(
    data: pd.DataFrame,
    outcome: str,
    conditions: Sequence[str],
    *,
    anchors: Mapping[str, Any] | None = None,
    anchor_shifts: Sequence[float] = (0.0,),
    incl_cuts: Sequence[float] = (0.8,),
    n_cuts: Sequence[int] = (1,),
    pri_cut: float = 0.0,
    include: str = "?",
    dir_exp: Any = None,
    baseline_incl_cut: float | None = None,
) -> RobustnessResult:
    """Re-run the analysis over a grid of settings.

    A setting whose calibration yields a membership of exactly 0.5 (such a case falls
    in no truth-table row) is not adjusted silently: its ``error`` column says so.

    Parameters
    ----------
    data
        Calibrated data, or raw data when ``anchors`` is given.
    anchors
        ``{column: "e=.., c=.., i=.."}`` for columns to (re)calibrate from raw values.
    anchor_shifts
        Shifts of all anchors as fractions of each column's range (e.g. -0.1, 0, 0.1).
    incl_cuts, n_cuts
        Cut-offs to try. The baseline is shift 0 (or the first shift), ``baseline_incl_cut``
        (default the first inclusion cut) and the first frequency cut.
    include, dir_exp
        Passed to :func:`~localise.qca.minimise.minimize`.
    """
    if not incl_cuts or not n_cuts or not anchor_shifts:
        raise InputError("incl_cuts, n_cuts, anchor_shifts: each needs at least one value")
    base_shift = 0.0 if 0.0 in anchor_shifts else anchor_shifts[0]
    rows = []
    calibrated: dict[float, pd.DataFrame] = {}
    for shift, incl_cut, n_cut in itertools.product(anchor_shifts, incl_cuts, n_cuts):
        record: dict[str, Any] = {"anchor_shift": shift, "incl_cut": incl_cut, "n_cut": n_cut}
        try:
            if shift not in calibrated:
                calibrated[shift] = _calibrated(data, anchors, shift) if anchors else data
            tt = truth_table(
                calibrated[shift], outcome, list(conditions), incl_cut=incl_cut, n_cut=n_cut, pri_cut=pri_cut
            )
            record.update(_solution_record(tt, include, dir_exp), error=None)
        except InputError as error:
            record.update(
                solution=None,
                n_models=0,
                inclS=np.nan,
                covS=np.nan,
                positive_rows=0,
                cases_covered="",
                error=str(error),
            )
        rows.append(record)
    table = pd.DataFrame(rows)
    base_ic = incl_cuts[0] if baseline_incl_cut is None else baseline_incl_cut
    if base_ic not in incl_cuts:
        raise InputError(f"baseline_incl_cut: {base_ic} is not among incl_cuts {list(incl_cuts)}")
    base = table[
        (table["anchor_shift"] == base_shift) & (table["incl_cut"] == base_ic) & (table["n_cut"] == n_cuts[0])
    ].iloc[0]
    _compare_with_baseline(table, base)
    return RobustnessResult(
        table=table,
        baseline=base.to_dict(),
        settings={
            "anchor_shifts": list(anchor_shifts),
            "incl_cuts": list(incl_cuts),
            "n_cuts": list(n_cuts),
            "include": include,
            "dir_exp": dir_exp,
        },
    )


def _solution_record(tt: TruthTable, include: str, dir_exp: Any) -> dict[str, Any]:
    """Solution (the first intermediate one with ``dir_exp``), its fit and the cases it covers in the outcome."""
    sol = minimize(tt, include=include, dir_exp=dir_exp, simplifying_assumptions=dir_exp is not None)
    models = sol.intermediate[0].models if sol.intermediate else sol.models
    fit = sol.intermediate[0].fit if sol.intermediate else sol.fit
    solution_fit = fit.solution if not fit.multiple_models else fit.per_model["M1"][1]
    assert solution_fit is not None  # a single model has its solution frame
    membership = sol.membership(0, intermediate=0 if sol.intermediate else None)
    covered = sorted(tt.data.index[(membership > 0.5) & (tt.y > 0.5)].astype(str))
    return {
        "solution": " | ".join(" + ".join(sorted(m)) for m in models),
        "n_models": len(models),
        "inclS": float(solution_fit["inclS"].iloc[0]),
        "covS": float(solution_fit["covS"].iloc[0]),
        "positive_rows": len(tt.positive_rows),
        "cases_covered": ",".join(covered),
    }


def _compare_with_baseline(table: pd.DataFrame, base: pd.Series) -> None:
    """Add ``same_solution`` and ``cases_jaccard`` (overlap of the covered cases) relative to ``base``."""
    table["same_solution"] = table["solution"] == base["solution"]
    base_cases = set(filter(None, str(base["cases_covered"]).split(",")))

    def jaccard(s: str) -> float:
        other = set(filter(None, str(s).split(",")))
        union = base_cases | other
        return len(base_cases & other) / len(union) if union else 1.0

    table["cases_jaccard"] = table["cases_covered"].map(jaccard)

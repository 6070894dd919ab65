"""Parameters of fit: sufficiency (inclS, PRI, covS, covU) and necessity (inclN, RoN, covN).

Formulas: docs/methods/qca.md, "Parameters of fit" (Ragin 2006, 2008; Schneider and Wagemann 2012),
identical to R ``QCA::pof``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from localise.errors import InputError
from localise.qca.expressions import condition_kinds, format_term, outcome_membership, parse_expression, term_membership
from localise.results import Results

__all__ = ["sufficiency_fit", "necessity_fit", "pof", "FitResult", "model_fit_table"]


def _safe_div(a: float, b: float) -> float:
    return float(a / b) if b != 0 else float("nan")


def sufficiency_fit(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """inclS, PRI and covS of set ``x`` for outcome ``y``."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    mxy = np.minimum(x, y)
    sxy = mxy.sum()
    sxyny = np.minimum(mxy, 1 - y).sum()
    return {
        "inclS": _safe_div(sxy, x.sum()),
        "PRI": _safe_div(sxy - sxyny, x.sum() - sxyny),
        "covS": _safe_div(sxy, y.sum()),
    }


def necessity_fit(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """inclN, RoN and covN of set ``x`` as necessary for outcome ``y``."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    mxy = np.minimum(x, y)
    return {
        "inclN": _safe_div(mxy.sum(), y.sum()),
        "RoN": _safe_div((1 - x).sum(), (1 - mxy).sum()),
        "covN": _safe_div(mxy.sum(), x.sum()),
    }


def model_fit_table(
    memberships: Mapping[str, np.ndarray] | tuple[Sequence[str], np.ndarray],
    y: np.ndarray,
    *,
    model_name: str | None = None,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Per-term sufficiency fit with unique coverage, and the fit of the union.

    ``memberships`` maps term names to memberships, or is a pair (names, matrix with
    one row per term). ``covU`` of a term is covS of the union of all terms minus covS
    of the union without that term; NaN when there is a single term (R prints "-").
    """
    if isinstance(memberships, tuple):
        names, mats = list(memberships[0]), np.asarray(memberships[1], dtype=float)
    else:
        names = list(memberships)
        mats = np.vstack([memberships[n] for n in names]) if names else np.zeros((0, len(y)))
    y = np.asarray(y, dtype=float)
    t = len(names)
    union = mats.max(axis=0) if t else np.zeros(len(y))
    total = sufficiency_fit(union, y)
    ny = 1 - y
    sx = mats.sum(axis=1)
    mxy = np.minimum(mats, y[None, :])
    sxy = mxy.sum(axis=1)
    sxyny = np.minimum(mxy, ny[None, :]).sum(axis=1)
    sy = y.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        incl = np.where(sx != 0, sxy / np.where(sx != 0, sx, 1), np.nan)
        pri_den = sx - sxyny
        pri = np.where(pri_den != 0, (sxy - sxyny) / np.where(pri_den != 0, pri_den, 1), np.nan)
        cov = sxy / sy if sy != 0 else np.full(t, np.nan)
    if t > 1:
        # union without term j: the largest other membership, from the two largest per case
        top2 = np.sort(mats, axis=0)[-2:]
        first = mats.argmax(axis=0)
        others = np.where(np.arange(t)[:, None] == first[None, :], top2[0][None, :], top2[1][None, :])
        cov_others = np.minimum(others, y[None, :]).sum(axis=1) / sy if sy != 0 else np.full(t, np.nan)
        covu = total["covS"] - cov_others
    else:
        covu = np.full(t, np.nan)
    frame = pd.DataFrame(
        {"term": np.array(names, dtype=object), "inclS": incl, "PRI": pri, "covS": cov, "covU": covu}, copy=False
    )
    return frame, total


def latex_table(frame: pd.DataFrame, *, caption: str | None, synthetic: bool) -> str:
    """A QCA table as LaTeX: numbers to 3 decimals, missing as ``-``; the caption marked SYNTHETIC if need be."""
    from localise.provenance import label

    text = label(caption or "", synthetic).strip() or None
    return frame.to_latex(index=False, float_format="%.3f", caption=text, na_rep="-")


class _TableResult(Results):
    """``to_frame``/``to_latex`` for results whose content is the data frame ``self.table``."""

    table: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """A copy of the result table."""
        return self.table.copy()

    def to_latex(self, *, caption: str | None = None) -> str:
        """The result table as LaTeX, numbers to 3 decimals, missing as ``-``."""
        return latex_table(self.table, caption=caption, synthetic=self.synthetic)


@dataclass(repr=False)
class FitResult(_TableResult):
    """Parameters of fit of one or more sets (R ``pof``)."""

    table: pd.DataFrame
    relation: str
    outcome: str
    settings: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """The fit table as R prints it (columns without any value left out)."""
        cols = ["inclN", "RoN", "covN"] if self.relation == "necessity" else ["inclS", "PRI", "covS", "covU"]
        cols = [c for c in cols if c in self.table.columns and self.table[c].notna().any()]
        return _r_table(self.table, cols)


def format_fit_value(value: Any) -> str:
    """A parameter of fit as R prints it: three decimals, ``-`` when missing."""
    return "  -  " if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:.3f}"


def _r_table(table: pd.DataFrame, cols: Sequence[str]) -> str:
    """R-like fit table: numbered rows, right-aligned terms, 3 decimals, dashed rules."""
    width = max([len(str(t)) for t in table["term"]] + [1])
    nw = len(str(len(table)))
    head = " " * (nw + 2 + width) + "".join(f"  {c:>5}" for c in cols)
    lines = [head, "-" * len(head)]
    for i, row in enumerate(table.itertuples(index=False), start=1):
        values = row._asdict()
        lines.append(
            f"{i:>{nw}}  {str(values['term']):>{width}}" + "".join(f"  {format_fit_value(values[c]):>5}" for c in cols)
        )
    lines.append("-" * len(head))
    return "\n".join(lines)


def pof(
    setms: str | pd.DataFrame | pd.Series | Sequence[str],
    outcome: str,
    data: pd.DataFrame,
    *,
    relation: str = "necessity",
) -> FitResult:
    """Parameters of fit of sets for an outcome (R ``QCA::pof``).

    Parameters
    ----------
    setms
        A sum-of-products expression (``"~A + B*C"``; each term plus a row
        ``"expression"`` for the whole disjunction when it has several terms), a list
        of expressions, or a DataFrame/Series of set memberships (one row per column).
    outcome
        Outcome column, ``~Y`` for its negation, ``Y[v]`` for a multi-value outcome.
    data
        Cases in rows.
    relation
        ``"necessity"`` or ``"sufficiency"``.
    """
    if relation not in ("necessity", "sufficiency"):
        raise InputError(f"relation: expected 'necessity' or 'sufficiency', got {relation!r}")
    _, y, _ = outcome_membership(data, outcome)
    memberships: dict[str, np.ndarray] = {}
    expression_row = False
    if isinstance(setms, pd.Series):
        setms = setms.to_frame()
    if isinstance(setms, pd.DataFrame):
        if len(setms) != len(data):
            raise InputError(f"setms: {len(setms)} rows but data has {len(data)}")
        for col in setms.columns:
            v = setms[col].to_numpy(dtype=float)
            if np.any((v < 0) | (v > 1)):
                raise InputError(f"setms: column {col!r} has values outside [0, 1]")
            memberships[str(col)] = v
    else:
        exprs = [setms] if isinstance(setms, str) else list(setms)
        for expr in exprs:
            terms = parse_expression(expr)
            names = {n for t in terms for n, _ in t}
            kinds = condition_kinds(data, sorted(names))
            mv = {n: k == "mv" for n, k in kinds.items()}
            for term in terms:
                memberships[format_term(term, mv=any(mv.values()))] = term_membership(data, term, mv)
            if len(terms) > 1 and len(exprs) == 1:
                expression_row = True
    rows = []
    if relation == "sufficiency" and expression_row:
        frame, total = model_fit_table(memberships, y)
        frame = pd.concat([frame, pd.DataFrame([{"term": "expression", **total, "covU": np.nan}])], ignore_index=True)
    else:
        for name, x in memberships.items():
            fit = sufficiency_fit(x, y) if relation == "sufficiency" else necessity_fit(x, y)
            rows.append({"term": name, **fit})
        if expression_row:
            union = np.vstack(list(memberships.values())).max(axis=0)
            rows.append({"term": "expression", **necessity_fit(union, y)})
        frame = pd.DataFrame(rows)
    return FitResult(
        table=frame, relation=relation, outcome=outcome, settings={"setms": setms if isinstance(setms, str) else None}
    )

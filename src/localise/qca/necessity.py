"""Necessity analysis and the superset/subset search (R ``QCA::superSubset``).

Necessity (see docs/methods/qca.md, "Necessity"): inclN, RoN and covN of single conditions,
their conjunctions and disjunctions of literals. The search keeps

* for necessity: every conjunction passing ``incl_cut``, ``cov_cut`` and ``ron_cut``,
  and the disjunctions of literals passing them that are not redundant (no literal or
  smaller disjunction inside them is already necessary by ``incl_cut``);
* for sufficiency: the conjunctions passing ``incl_cut``, ``pri_cut`` and ``cov_cut``
  none of whose sub-conjunctions passes the inclusion cut (the minimal ones).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from localise.errors import InputError
from localise.qca.expressions import condition_kinds, format_term, outcome_membership, parse_literal
from localise.qca.fit import FitResult, necessity_fit, pof, sufficiency_fit

__all__ = ["necessity", "super_subset"]

TOL = 1e-10


def _condition_columns(data: pd.DataFrame, outcome: str, conditions: Sequence[str] | None) -> list[str]:
    """The conditions (default: every column but the outcome's), which must not include the outcome."""
    out_name = parse_literal(outcome)[0]
    conds = list(conditions) if conditions is not None else [c for c in data.columns if c != out_name]
    if out_name in conds:
        raise InputError(f"conditions: the outcome {out_name!r} is also among the conditions")
    return conds


def necessity(
    data: pd.DataFrame, outcome: str, conditions: Sequence[str] | None = None, *, negated: bool = True
) -> FitResult:
    """inclN, RoN and covN of each condition (and of its negation when ``negated``)."""
    conds = _condition_columns(data, outcome, conditions)
    kinds = condition_kinds(data, conds)
    exprs = []
    for c in conds:
        if kinds[c] == "mv":
            levels = sorted(int(v) for v in data[c].unique())
            exprs += [f"{c}[{v}]" for v in levels]
        else:
            exprs += [c] + ([f"~{c}"] if negated else [])
    return pof(exprs, outcome, data, relation="necessity")


#: A literal: (condition index, value, membership of every case).
_Literal = tuple[int, int, np.ndarray]


def _literals(data: pd.DataFrame, conds: list[str], kinds: dict[str, str]) -> list[_Literal]:
    lits: list[_Literal] = []
    for j, c in enumerate(conds):
        x = data[c].to_numpy(dtype=float)
        if kinds[c] == "mv":
            for v in range(int(x.max()) + 1):
                lits.append((j, v, (x == v).astype(float)))
        else:
            lits.append((j, 1, x))
            lits.append((j, 0, 1 - x))
    return lits


@dataclass(frozen=True)
class _Cuts:
    """The cut-offs of :func:`super_subset`."""

    incl: float
    cov: float
    ron: float
    pri: float


@dataclass
class _Search:
    """What the superset/subset search works on: literals, outcome, cut-offs, depth and term names."""

    lits: list[_Literal]
    #: literals (positions in ``lits``) of each condition
    by_cond: dict[int, list[int]]
    y: np.ndarray
    cuts: _Cuts
    depth: int
    #: name of a combination of literals, joined by ``*`` or ``+``
    name: Callable[[Sequence[int], str], str]

    def conjunction_rows(self, relation: str) -> list[dict[str, Any]]:
        """Conjunctions passing the cut-offs, searched level by level (one more condition per level)."""
        lits, y, cuts = self.lits, self.y, self.cuts
        rows: list[dict[str, Any]] = []
        passing_incl: list[frozenset[int]] = []
        frontier: list[tuple[tuple[int, ...], np.ndarray]] = [((li,), lits[li][2]) for li in range(len(lits))]
        level = 1
        while frontier and level <= self.depth:
            nxt = []
            for combo, x in frontier:
                if relation == "sufficiency":
                    if any(s <= set(combo) for s in passing_incl):
                        continue
                    f = sufficiency_fit(x, y)
                    if f["inclS"] >= cuts.incl - TOL:
                        passing_incl.append(frozenset(combo))
                        if f["PRI"] >= cuts.pri - TOL and f["covS"] >= cuts.cov - TOL:
                            rows.append({"term": self.name(combo, "*"), **f})
                        continue
                    if f["covS"] < cuts.cov - TOL:
                        continue  # extensions only lose coverage
                else:
                    f = necessity_fit(x, y)
                    if f["inclN"] < cuts.incl - TOL:
                        continue  # extensions only lose inclusion
                    if f["covN"] >= cuts.cov - TOL and f["RoN"] >= cuts.ron - TOL:
                        rows.append({"term": self.name(combo, "*"), **f})
                last_cond = lits[combo[-1]][0]
                for j in range(last_cond + 1, len(self.by_cond)):
                    for li in self.by_cond[j]:
                        nxt.append((combo + (li,), np.minimum(x, lits[li][2])))
            frontier = nxt
            level += 1
        return rows

    def disjunction_rows(self) -> list[dict[str, Any]]:
        """Necessary disjunctions of literals of different conditions, none containing a smaller necessary one."""
        lits, y, cuts = self.lits, self.y, self.cuts
        rows: list[dict[str, Any]] = []
        necessary: list[frozenset[int]] = [
            frozenset([li]) for li in range(len(lits)) if necessity_fit(lits[li][2], y)["inclN"] >= cuts.incl - TOL
        ]
        for size in range(2, self.depth + 1):
            found_now = []
            for cset in itertools.combinations(range(len(self.by_cond)), size):
                for combo in itertools.product(*[self.by_cond[j] for j in cset]):
                    sc = frozenset(combo)
                    if any(s <= sc for s in necessary):
                        continue
                    x = np.max(np.vstack([lits[i][2] for i in combo]), axis=0)
                    f = necessity_fit(x, y)
                    if f["inclN"] >= cuts.incl - TOL:
                        found_now.append(sc)
                        if f["covN"] >= cuts.cov - TOL and f["RoN"] >= cuts.ron - TOL:
                            rows.append({"term": self.name(combo, "+"), **f})
            necessary += found_now
        return rows


def super_subset(
    data: pd.DataFrame,
    outcome: str,
    conditions: Sequence[str] | None = None,
    *,
    relation: str = "necessity",
    incl_cut: float = 1.0,
    cov_cut: float = 0.0,
    ron_cut: float = 0.0,
    pri_cut: float = 0.0,
    depth: int | None = None,
) -> FitResult:
    """Search necessary supersets or sufficient subsets of the outcome (R ``superSubset``).

    Parameters
    ----------
    relation
        ``"necessity"`` (conjunctions and disjunctions of literals) or ``"sufficiency"``.
    incl_cut, cov_cut, ron_cut, pri_cut
        Cut-offs (RoN for necessity, PRI for sufficiency).
    depth
        Largest number of conditions in an expression (default all).
    """
    if relation not in ("necessity", "sufficiency"):
        raise InputError(f"relation: expected 'necessity' or 'sufficiency', got {relation!r}")
    conds = _condition_columns(data, outcome, conditions)
    kinds = condition_kinds(data, conds)
    mv = any(k == "mv" for k in kinds.values())
    _, y, _ = outcome_membership(data, outcome)
    k = len(conds)
    depth = k if depth is None else int(depth)
    if depth < 1:
        raise InputError(f"depth: expected a positive integer, got {depth}")
    lits = _literals(data, conds, kinds)
    by_cond: dict[int, list[int]] = {}
    for li, (j, _, _) in enumerate(lits):
        by_cond.setdefault(j, []).append(li)

    def name(combo: Sequence[int], sep: str) -> str:
        if sep == "*":
            return format_term(tuple((conds[lits[i][0]], lits[i][1]) for i in combo), mv=mv)
        return " + ".join(format_term(((conds[lits[i][0]], lits[i][1]),), mv=mv) for i in combo)

    search = _Search(lits, by_cond, y, _Cuts(incl=incl_cut, cov=cov_cut, ron=ron_cut, pri=pri_cut), depth, name)
    rows = search.conjunction_rows(relation)
    if relation == "necessity":
        rows += search.disjunction_rows()
    cols = ["term", "inclN", "RoN", "covN"] if relation == "necessity" else ["term", "inclS", "PRI", "covS"]
    frame = pd.DataFrame(rows, columns=cols)
    return FitResult(
        table=frame,
        relation=relation,
        outcome=outcome,
        settings={"incl_cut": incl_cut, "cov_cut": cov_cut, "ron_cut": ron_cut, "pri_cut": pri_cut, "depth": depth},
    )

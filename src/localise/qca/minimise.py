"""Boolean minimisation of a truth table (R ``QCA::minimize`` conventions).

* conservative (``include=""``): only positive rows;
* parsimonious (``include="?"``): remainders are "don't cares";
* intermediate (``include="?"`` and ``dir_exp``): positives plus the easy
  counterfactuals, one result per conservative x parsimonious model pair (R's ``C1P1``,
  ``C1P2``, ...). As in R, a condition fixed by a conservative term but not by a
  parsimonious term containing it is freed (to all its levels) when the term's value is
  not an expected one; the easy counterfactuals are the parsimonious model's
  simplifying assumptions inside the freed cubes.

All prime implicants are found exactly and **all** minimal models are read from the
prime implicant chart (R's ``all.sol``; ``row.dom`` removes only strictly dominated
implicants, from the chart too); see :mod:`localise.qca._engine` for the algorithms and
``docs/methods/qca_r_agreement.md`` for each rule and where R differs.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from localise.errors import InputError
from localise.qca import _engine
from localise.qca.expressions import Term, format_term, parse_literal, term_membership
from localise.qca.fit import model_fit_table
from localise.qca.truthtable import TruthTable

__all__ = ["minimize", "minimise", "Solution", "IntermediateSolution", "ModelFit"]

#: Largest number of remainders enumerated for simplifying assumptions.
SA_LIMIT = 2_000_000


@dataclass
class ModelFit:
    """Parameters of fit of one or several models.

    ``terms`` (one row per term, with ``cases``) and ``solution`` for a single model;
    with several models ``overall_terms`` (covU relative to all implicants in the
    models), ``overall_solution`` and ``per_model`` (name -> (terms, solution)).
    """

    multiple_models: bool
    terms: pd.DataFrame | None = None
    solution: pd.DataFrame | None = None
    overall_terms: pd.DataFrame | None = None
    overall_solution: pd.DataFrame | None = None
    per_model: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = field(default_factory=dict)


@dataclass
class IntermediateSolution:
    """Intermediate solution from one conservative and one parsimonious model (``C1P1`` ...)."""

    name: str
    conservative_terms: list[str]
    parsimonious_terms: list[str]
    models: list[list[str]]
    essential: list[str]
    prime_implicants: list[str]
    easy_counterfactuals: list[int]
    difficult_counterfactuals: list[int]
    fit: ModelFit


@dataclass
class Solution:
    """Result of :func:`minimize`; prints like R's ``minimize(..., details = TRUE)``."""

    truth_table: TruthTable
    include: str
    models: list[list[str]]
    essential: list[str]
    chart: Any = field(repr=False)
    positive_rows: list[int]
    initials: list[str]
    negatives: list[int]
    fit: ModelFit
    simplifying_assumptions: dict[str, list[int]] | None
    intermediate: list[IntermediateSolution]
    settings: dict[str, Any]
    model_cubes: list[np.ndarray] = field(default_factory=list, repr=False)

    @property
    def prime_implicants(self) -> list[str]:
        """All prime implicants, in R's order."""
        if not hasattr(self, "_pi_names"):
            self._pi_names = [_cube_str(c, self.truth_table) for c in self.chart.cubes]
        return self._pi_names

    @property
    def pi_chart(self) -> pd.DataFrame:
        """Prime implicant chart: implicants x positive rows (True = covers)."""
        n = self.chart.cubes.shape[0] * len(self.positive_rows)
        if n > 5e7:
            raise InputError(f"pi_chart: {self.chart.cubes.shape[0]} implicants are too many to tabulate")
        return pd.DataFrame(
            self.chart.dense(len(self.positive_rows)), index=self.prime_implicants, columns=self.positive_rows
        )

    @property
    def solution_type(self) -> str:
        if self.intermediate:
            return "intermediate"
        return "parsimonious" if "?" in self.include else "conservative"

    def expressions(self) -> list[str]:
        return [" + ".join(m) for m in self.models]

    def membership(self, model: int = 0, *, intermediate: int | None = None) -> np.ndarray:
        """Case memberships in a model (max over its terms)."""
        tt = self.truth_table
        terms = self.intermediate[intermediate].models[model] if intermediate is not None else self.models[model]
        mv = {c: tt.kinds[c] == "mv" for c in tt.conditions}
        out = np.zeros(len(tt.data))
        for t in terms:
            out = np.maximum(out, term_membership(tt.data, _parse(t, tt), mv))
        return out

    # ---------------------------------------------------------------- output
    def to_frame(self) -> pd.DataFrame:
        """Long table: one row per (solution, model, term) with the parameters of fit."""
        rows = []

        def add(kind: str, fit: ModelFit, models: list[list[str]]):
            for mi, terms in enumerate(models, start=1):
                name = f"M{mi}"
                if fit.multiple_models:
                    tframe, sframe = fit.per_model.get(name, (None, None))
                else:
                    tframe, sframe = fit.terms, fit.solution
                for t in terms:
                    rec = {"solution": kind, "model": name, "term": t}
                    if tframe is not None:
                        r = tframe[tframe["term"] == t].iloc[0]
                        rec.update({c: r[c] for c in ("inclS", "PRI", "covS", "covU")})
                    rows.append(rec)
                if sframe is not None:
                    r = sframe.iloc[0]
                    rows.append(
                        {
                            "solution": kind,
                            "model": name,
                            "term": "(model)",
                            "inclS": r["inclS"],
                            "PRI": r["PRI"],
                            "covS": r["covS"],
                        }
                    )

        add(self.solution_type if not self.intermediate else "parsimonious", self.fit, self.models)
        for inter in self.intermediate:
            add(f"intermediate {inter.name}", inter.fit, inter.models)
        return pd.DataFrame(rows, columns=["solution", "model", "term", "inclS", "PRI", "covS", "covU"])

    def to_latex(self, *, caption: str | None = None, digits: int = 3) -> str:
        return self.to_frame().to_latex(index=False, float_format=f"%.{digits}f", caption=caption, na_rep="-")

    def summary(self) -> str:
        return str(self)

    def __str__(self) -> str:
        tt = self.truth_table
        s = self.settings
        head = [
            f"{self.solution_type.capitalize()} solution: outcome {tt.outcome}; incl.cut = "
            f"{', '.join(str(c) for c in tt.settings['incl_cut'])}; n.cut = {tt.settings['n_cut']}; "
            f"pri.cut = {tt.settings['pri_cut']}; include = {self.include!r}"
            + (f"; dir.exp = {s['dir_exp']}" if s.get("dir_exp") else "")
            + (f"; row.dom = {s['row_dom']}; all.sol = {s['all_sol']}")
        ]
        lines = head + [""]
        arrow = "<->" if self.fit_solution_covers_all() else "->"
        for i, terms in enumerate(self.models, start=1):
            prefix = f"M{i}: " if len(self.models) > 1 else "M1: "
            lines.append(f"{prefix}{' + '.join(terms)} {arrow} {tt.outcome}")
        lines.append("")
        lines.append(_fit_text(self.fit, self.models))
        for inter in self.intermediate:
            lines += ["", f"From {inter.name}:", ""]
            for i, terms in enumerate(inter.models, start=1):
                lines.append(f"M{i}:    {' + '.join(terms)} -> {tt.outcome}")
            lines += ["", _fit_text(inter.fit, inter.models)]
        return "\n".join(lines)

    __repr__ = __str__

    def fit_solution_covers_all(self) -> bool:
        frame = self.fit.solution if not self.fit.multiple_models else self.fit.overall_solution
        if frame is None or frame.empty:
            return False
        r = frame.iloc[0]
        return bool(np.isclose(r["inclS"], 1) and np.isclose(r["covS"], 1))


def _fmt(v: Any) -> str:
    return "  -  " if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:.3f}"


def _fit_text(fit: ModelFit, models: list[list[str]]) -> str:
    if not fit.multiple_models:
        terms, sol = fit.terms, fit.solution
        assert terms is not None and sol is not None  # set for a single model
        w = max([len(t) for t in terms["term"]] + [2])
        nw = len(str(len(terms)))
        head = " " * (nw + 2 + w) + "  inclS   PRI   covS   covU  cases"
        lines = [head, "-" * (len(head) - 7)]
        for i, r in enumerate(terms.itertuples(index=False), start=1):
            lines.append(
                f"{i:>{nw}}  {r.term:>{w}}  {_fmt(r.inclS)}  {_fmt(r.PRI)}  {_fmt(r.covS)}  {_fmt(r.covU)}  {r.cases}"
            )
        lines.append("-" * (len(head) - 7))
        r = sol.iloc[0]
        lines.append(f"{'':>{nw}}  {r['term']:>{w}}  {_fmt(r['inclS'])}  {_fmt(r['PRI'])}  {_fmt(r['covS'])}")
        return "\n".join(lines)
    terms = fit.overall_terms
    assert terms is not None  # set when there are several models
    names = list(fit.per_model)
    w = max([len(t) for t in terms["term"]] + [2])
    nw = len(str(len(terms)))
    head = " " * (nw + 2 + w) + "  inclS   PRI   covS   covU" + "".join(f"  {('(' + n + ')'):>5}" for n in names)
    lines = [head, "-" * len(head)]
    for i, r in enumerate(terms.itertuples(index=False), start=1):
        line = f"{i:>{nw}}  {r.term:>{w}}  {_fmt(r.inclS)}  {_fmt(r.PRI)}  {_fmt(r.covS)}  {_fmt(r.covU)}"
        for n in names:
            tf, _ = fit.per_model[n]
            if tf is not None and r.term in set(tf["term"]):
                line += f"  {_fmt(float(tf.loc[tf['term'] == r.term, 'covU'].iloc[0])):>5}"
            else:
                line += "       "
        lines.append(line)
    lines.append("-" * len(head))
    for n in names:
        _, sf = fit.per_model[n]
        r = sf.iloc[0]
        lines.append(f"{'':>{nw}}  {n:>{w}}  {_fmt(r['inclS'])}  {_fmt(r['PRI'])}  {_fmt(r['covS'])}")
    return "\n".join(lines)


# ---------------------------------------------------------------------- helpers
def _cube_term(cube: np.ndarray, conditions: Sequence[str]) -> Term:
    return tuple((conditions[j], int(v)) for j, v in enumerate(cube) if v != _engine.FREE)


def _cube_str(cube: np.ndarray, tt: TruthTable) -> str:
    """R's notation; the empty conjunction (every case) is written ``1``."""
    term = _cube_term(cube, tt.conditions)
    return format_term(term, mv=tt.multivalue) if term else "1"


def _sort_key(cube: np.ndarray) -> tuple:
    """R's order: complexity, then literals by condition position, ``~X`` before ``X``."""
    lits = tuple((j, int(v)) for j, v in enumerate(cube) if v != _engine.FREE)
    return (len(lits), lits)


def _parse(term: str, tt: TruthTable) -> Term:
    if term.strip() == "1":
        return ()
    lits = []
    for part in term.split("*"):
        name, value, neg = parse_literal(part)
        if value is None:
            value = 0 if neg else 1
        elif neg:
            value = 1 - value
        lits.append((name, value))
    return tuple(lits)


@dataclass
class DirectionalExpectations:
    """Directional expectations read as R's QCA reads them.

    ``single`` maps a condition index to the values expected to lead to the outcome
    (one-literal expectations such as ``DEV`` or ``IND[2]``); ``joint`` lists the
    conjunctural expectations (``DEV*~URB``) as {condition index: value}.
    """

    single: dict[int, set[int]] = field(default_factory=dict)
    joint: list[dict[int, int]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.single or self.joint)


_DIR_SPLIT = re.compile(r"[,+;](?![^\[{]*[\]}])")


def _literal_values(text: str, tt: TruthTable) -> tuple[int, set[int]]:
    """Condition index and expected values of ``X``, ``~X``, ``X[v]`` or ``X[v1,v2]``."""
    text = text.strip()
    m = re.fullmatch(r"(~?)\s*([A-Za-z_.][A-Za-z0-9_.]*)\s*(?:[\[{]([0-9,\s]+)[\]}])?", text)
    if not m:
        raise InputError(f"dir_exp: cannot read the expectation {text!r}")
    neg, name, values = m.groups()
    if name not in tt.conditions:
        raise InputError(f"dir_exp: {name!r} is not a condition of the truth table (conditions: {tt.conditions})")
    j = tt.conditions.index(name)
    L = tt.noflevels[j]
    if values is None:
        if L > 2:
            raise InputError(f"dir_exp: {name!r} is multi-value; write the expected level(s) as {name}[v]")
        vals = {0 if neg else 1}
    else:
        vals = {int(v) for v in values.split(",") if v.strip()}
        if neg:
            if L > 2 or len(vals) != 1:
                raise InputError(f"dir_exp: negated multi-value expectation {text!r} is ambiguous; write the level(s)")
            vals = {1 - next(iter(vals))}
    if any(not 0 <= v < L for v in vals):
        raise InputError(f"dir_exp: value(s) {sorted(vals)} for {name!r} outside 0..{L - 1}")
    return j, vals


def _parse_dir_exp(dir_exp: Any, tt: TruthTable) -> DirectionalExpectations:
    """Directional expectations: literals (``"DEV, ~URB, IND[2]"`` or a list), a mapping
    ``{"DEV": 1, "IND": [1, 2]}`` (``"-"`` = none) or conjunctions (``"DEV*~URB"``)."""
    out = DirectionalExpectations()
    if dir_exp is None or (isinstance(dir_exp, str) and not dir_exp.strip()):
        return out
    if isinstance(dir_exp, Mapping):
        for name, value in dir_exp.items():
            if isinstance(value, str) and value.strip() == "-":
                if name not in tt.conditions:
                    raise InputError(
                        f"dir_exp: {name!r} is not a condition of the truth table (conditions: {tt.conditions})"
                    )
                continue
            values = value if isinstance(value, (list, tuple, set)) else [value]
            j, vals = _literal_values(f"{name}[{','.join(str(int(v)) for v in values)}]", tt)
            out.single.setdefault(j, set()).update(vals)
        return out
    parts = _DIR_SPLIT.split(dir_exp) if isinstance(dir_exp, str) else [str(p) for p in dir_exp]
    for part in (p.strip() for p in parts):
        if not part or part == "-":
            continue
        blank = re.fullmatch(r"([A-Za-z_.][A-Za-z0-9_.]*)\s*[\[{]\s*-\s*[\]}]", part)
        if blank:  # "X[-]": no expectation for X
            if blank.group(1) not in tt.conditions:
                raise InputError(
                    f"dir_exp: {blank.group(1)!r} is not a condition of the truth table (conditions: {tt.conditions})"
                )
            continue
        literals = [_literal_values(lit, tt) for lit in part.split("*")]
        if len(literals) == 1:
            j, vals = literals[0]
            out.single.setdefault(j, set()).update(vals)
            continue
        # a conjunction; several values of one literal give one conjunction per value
        if len({j for j, _ in literals}) != len(literals):
            raise InputError(f"dir_exp: condition repeated in the conjunctural expectation {part!r}")
        for combo in itertools.product(*[sorted(v) for _, v in literals]):
            out.joint.append({j: v for (j, _), v in zip(literals, combo)})
    return out


def _no_dir_exp(dir_exp: Any) -> bool:
    return dir_exp is None or (isinstance(dir_exp, str) and not dir_exp.strip())


def _easy_cubes(comp_cubes: np.ndarray, pars_cubes: np.ndarray, dirs: DirectionalExpectations) -> np.ndarray:
    """Cubes holding the easy counterfactuals of one conservative and one parsimonious model.

    R's rule: for each conservative term and each parsimonious term that contains it,
    a condition fixed by the conservative term but not by the parsimonious one is freed
    (to all its levels) when the conservative term's value is not an expected one; a
    conjunctural expectation frees all its conditions of that kind unless the
    conservative term takes every expected value among them.
    """
    out = []
    for comp in comp_cubes:
        for pars in pars_cubes:
            fixed = pars != _engine.FREE
            if not np.array_equal(pars[fixed], comp[fixed]):
                continue
            open_ = (comp != _engine.FREE) & ~fixed
            res = comp.copy()
            for j, values in dirs.single.items():
                if open_[j] and int(comp[j]) not in values:
                    res[j] = _engine.FREE
            for joint in dirs.joint:
                cols = [j for j in joint if open_[j]]
                if any(int(comp[j]) != joint[j] for j in cols):
                    res[cols] = _engine.FREE
            out.append(res)
    k = comp_cubes.shape[1] if comp_cubes.ndim == 2 else 0
    return np.asarray(out, dtype=np.int64).reshape(-1, k)


def _parse_rows(spec: Any, tt: TruthTable, argument: str) -> np.ndarray:
    """Row numbers, or expressions whose remainders are meant (``exclude``)."""
    if spec is None or (isinstance(spec, str) and not spec.strip()):
        return np.zeros(0, dtype=np.int64)
    if isinstance(spec, str):
        spec = [spec]
    rows: list[int] = []
    for item in spec:
        if isinstance(item, (int, np.integer)):
            if not 1 <= int(item) <= tt.n_rows_total:
                raise InputError(f"{argument}: row {item} outside 1..{tt.n_rows_total}")
            rows.append(int(item))
            continue
        for term_text in str(item).split("+"):
            term = _parse(term_text.strip(), tt)
            cube = np.full(len(tt.conditions), _engine.FREE, dtype=np.int64)
            for name, value in term:
                if name not in tt.conditions:
                    raise InputError(f"{argument}: {name!r} is not a condition")
                cube[tt.conditions.index(name)] = value
            rows.extend(tt.row_numbers(_expand_cube(cube, tt.noflevels)).tolist())
    return np.unique(np.asarray(rows, dtype=np.int64))


def _expand_cube(cube: np.ndarray, noflevels: Sequence[int], allowed: list[list[int]] | None = None) -> np.ndarray:
    """All configurations inside a cube (or inside per-condition allowed value lists)."""
    choices = (
        allowed
        if allowed is not None
        else [list(range(L)) if v == _engine.FREE else [int(v)] for v, L in zip(cube, noflevels)]
    )
    total = int(np.prod([len(c) for c in choices], dtype=np.float64))
    if total > SA_LIMIT:
        raise InputError(f"expansion of {total} configurations exceeds the limit {SA_LIMIT}")
    grids = np.meshgrid(*[np.asarray(c, dtype=np.int64) for c in choices], indexing="ij")
    return np.stack([g.ravel() for g in grids], axis=1) if grids else np.zeros((1, 0), dtype=np.int64)


def _cube_memberships(tt: TruthTable, cubes: np.ndarray) -> np.ndarray:
    """Membership of every case (columns) in every cube (rows): minimum over its literals."""
    X = tt.condition_values
    out = np.ones((cubes.shape[0], X.shape[0]))
    for j, cond in enumerate(tt.conditions):
        vals = cubes[:, j]
        rows = np.flatnonzero(vals != _engine.FREE)
        if rows.size == 0:
            continue
        x = X[:, j]
        if tt.kinds[cond] == "mv":
            lit = (x[None, :] == vals[rows, None]).astype(float)
        else:
            lit = np.where(vals[rows, None] == 1, x[None, :], 1.0 - x[None, :])
        out[rows] = np.minimum(out[rows], lit)
    return out


def _solution_frame(name: str, fit: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        {"term": np.array([name], dtype=object), **{k: np.array([v]) for k, v in fit.items()}}, copy=False
    )


def _model_fit(tt: TruthTable, chart: _Chart, pos_rows: np.ndarray) -> ModelFit:
    cases_by_row = tt.observed["cases"].to_dict()
    models, cubes = chart.models, chart.cubes
    names = {i: _cube_str(cubes[i], tt) for m in models for i in m}

    def cases_of(i: int) -> str:
        rows = pos_rows[chart.covered(i)]
        return "; ".join(",".join(cases_by_row[int(r)]) for r in sorted(rows))

    used = sorted({i for m in models for i in m})
    matrix = _cube_memberships(tt, cubes[used])
    row_of = {i: r for r, i in enumerate(used)}

    def table(m: Sequence[int]) -> tuple[pd.DataFrame, dict[str, float]]:
        return model_fit_table(([names[i] for i in m], matrix[[row_of[i] for i in m]]), tt.y)

    if len(models) == 1:
        m = models[0]
        frame, total = table(m)
        frame["cases"] = [cases_of(i) for i in m]
        sol = _solution_frame("M1", total)
        return ModelFit(multiple_models=False, terms=frame, solution=sol)
    overall, total = table(used)
    overall["cases"] = [cases_of(i) for i in used]
    fit = ModelFit(
        multiple_models=True,
        overall_terms=overall,
        overall_solution=_solution_frame("union_of_all_PIs", total),
    )
    for mi, m in enumerate(models, start=1):
        frame, tot = table(m)
        fit.per_model[f"M{mi}"] = (frame if len(models) <= 50 else None, _solution_frame(f"M{mi}", tot))
    return fit


@dataclass
class _Chart:
    """Prime implicants (R order) with their coverage of the positive configurations."""

    cubes: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    models: list[list[int]]

    def covered(self, i: int) -> np.ndarray:
        return self.indices[self.indptr[i] : self.indptr[i + 1]]

    def dense(self, n_pos: int) -> np.ndarray:
        out = np.zeros((self.cubes.shape[0], n_pos), dtype=bool)
        rows = np.repeat(np.arange(self.cubes.shape[0]), np.diff(self.indptr))
        out[rows, self.indices] = True
        return out


def _csr_from_dense(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    counts = cov.sum(axis=1)
    indptr = np.r_[0, np.cumsum(counts)].astype(np.int64)
    indices = np.nonzero(cov)[1].astype(np.int64)
    return indptr, indices


def _select_rows(
    cubes: np.ndarray, indptr: np.ndarray, indices: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The implicants ``rows`` (in that order) of a chart in compressed sparse rows."""
    lengths = np.diff(indptr)[rows]
    new_indptr = np.r_[0, np.cumsum(lengths)].astype(np.int64)
    gather = np.repeat(indptr[rows] - new_indptr[:-1], lengths) + np.arange(int(lengths.sum()), dtype=np.int64)
    return cubes[rows], new_indptr, indices[gather]


def _solve(
    cubes: np.ndarray, pos: np.ndarray, row_dom: bool, all_sol: bool, csr: tuple[np.ndarray, np.ndarray] | None = None
) -> _Chart:
    """Sort implicants R-like, solve the chart, return all minimal models.

    Implicants with identical coverage are solved as one class and the models are
    expanded over the class members afterwards (exact; much smaller charts).
    """
    if csr is None:
        indptr, indices = _csr_from_dense(_engine.covers(cubes, pos))
    else:
        indptr, indices = csr
    lengths = np.diff(indptr)
    order = _engine.r_order(cubes)
    cubes, indptr, indices = _select_rows(cubes, indptr, indices, order[lengths[order] > 0])
    if row_dom:
        # R's row dominance: an implicant whose columns are a proper subset of another
        # implicant's columns leaves the chart; implicants of equal coverage all stay.
        keep = ~_engine.strictly_dominated(indptr, indices, pos.shape[0])
        if not keep.all():
            cubes, indptr, indices = _select_rows(cubes, indptr, indices, np.flatnonzero(keep))
    cls, members = _engine.coverage_classes(indptr, indices)
    reps = np.asarray([int(m[0]) for m in members], dtype=np.int64)
    rep_len = np.diff(indptr)[reps]
    rep_ptr = np.r_[0, np.cumsum(rep_len)].astype(np.int64)
    rep_idx = indices[np.repeat(indptr[reps] - rep_ptr[:-1], rep_len) + np.arange(int(rep_len.sum()), dtype=np.int64)]
    class_models = _engine.solve_chart(rep_ptr, rep_idx, pos.shape[0], all_sol=all_sol)
    models: list[tuple[int, ...]] = []
    for cm in class_models:
        choices = [members[c].tolist() for c in cm]
        for combo in itertools.product(*choices):
            models.append(tuple(sorted(combo)))
            if len(models) > _engine.MAX_MODELS:
                raise InputError(f"prime implicant chart: more than {_engine.MAX_MODELS} models; use row_dom=True")
    models = sorted(set(models), key=lambda m: (len(m), m)) if all_sol else sorted(set(models))
    return _Chart(cubes=cubes, indptr=indptr, indices=indices, models=[list(m) for m in models])


def minimize(
    tt: TruthTable,
    *,
    include: str = "",
    dir_exp: str | Sequence[str] | Mapping[str, Any] | None = None,
    exclude: Any = None,
    row_dom: bool = False,
    all_sol: bool = False,
    simplifying_assumptions: bool = True,
) -> Solution:
    """Minimise a truth table (R ``QCA::minimize``).

    Parameters
    ----------
    tt
        A :class:`~localise.qca.truthtable.TruthTable`.
    include
        ``""`` conservative; ``"?"`` parsimonious (remainders as don't cares);
        ``"?,C"`` also contradictions.
    dir_exp
        Directional expectations for the intermediate solution (with ``include="?"``):
        ``"DEV, URB, ~IND"``, a list of such literals, multi-value levels ``"IND[2]"``
        or ``"IND[1,2]"``, a mapping ``{"DEV": 1, "IND": [1, 2]}`` (``"-"`` = no
        expectation), or conjunctions (``"DEV*~URB"``, an expectation on the
        combination).
    exclude
        Remainders that may not be used: row numbers or expressions.
    row_dom
        Row dominance: drop implicants whose positive configurations are a proper subset
        of another implicant's (implicants of equal coverage all stay).
    all_sol
        Every irredundant model instead of only those with the fewest implicants.
    simplifying_assumptions
        List the remainders each model uses (skipped when there are too many).

    Raises
    ------
    InputError
        Where R's ``minimize()`` stops too: no positive configuration; ``include="?"``
        with no negative (or contradictory) row left; every configuration positive.
    """
    if not isinstance(tt, TruthTable):
        raise InputError(f"tt: expected a TruthTable, got {type(tt).__name__}")
    inc = {p.strip() for p in str(include).split(",") if p.strip()}
    if not inc <= {"?", "C", "1"}:
        raise InputError(f"include: expected '', '?', 'C' or '?,C', got {include!r}")
    dirs = _parse_dir_exp(dir_exp, tt)
    if not _no_dir_exp(dir_exp) and "?" not in inc:
        raise InputError("dir_exp: directional expectations need include='?' (intermediate solution)")
    excl = _parse_rows(exclude, tt, "exclude")
    obs = tt.observed
    pos_rows = np.asarray(tt.positive_rows, dtype=np.int64)
    if pos_rows.size == 0:
        raise InputError("tt: no positive configurations (OUT = 1) to minimise; lower incl_cut or check the outcome")
    pos = tt.configs(pos_rows)
    neg_rows = np.asarray(sorted(tt.negative_rows + tt.contradiction_rows), dtype=np.int64)
    forb_rows = np.asarray(sorted(tt.negative_rows + ([] if "C" in inc else tt.contradiction_rows)), dtype=np.int64)
    obs_rows = obs.index[obs["OUT"] != "?"].to_numpy(dtype=np.int64)
    remainder_excl = np.setdiff1d(excl, obs_rows)
    mv = tt.multivalue

    def names_of(cubes):
        return [_cube_str(c, tt) for c in cubes]

    if "?" in inc and forb_rows.size == 0:
        raise InputError(
            "include: every observed configuration is positive or a remainder, so with include='?' all "
            "conditions are minimised away; R's minimize() refuses this too ('All truth table configurations "
            "are used, all conditions are minimized'). Check the truth table (incl_cut, n_cut)."
        )
    # --- conservative (always needed: output or intermediate input)
    wants_intermediate = "?" in inc and not _no_dir_exp(dir_exp)
    if "?" not in inc or wants_intermediate:
        cons_allowed = pos
        if "C" in inc and tt.contradiction_rows:
            cons_allowed = np.vstack([pos, tt.configs(tt.contradiction_rows)])
        c_primes = _engine.primes_from_allowed(cons_allowed, tt.noflevels)
        if c_primes.shape[0] == 1 and np.all(c_primes == _engine.FREE):
            raise InputError(
                "tt: every configuration of the truth table is positive, so all conditions are minimised "
                "away; R's minimize() refuses this too ('All truth table configurations are used'). "
                "Check the truth table."
            )
        c_chart = _solve(c_primes, pos, row_dom, all_sol)
        c_cubes, c_models = c_chart.cubes, c_chart.models
    if "?" in inc:
        forbidden = (
            tt.configs(np.union1d(forb_rows, remainder_excl))
            if (forb_rows.size or remainder_excl.size)
            else np.zeros((0, len(tt.conditions)), dtype=np.int64)
        )
        raw, indptr, indices = _engine.primes_from_forbidden(pos, forbidden, tt.noflevels)
        chart = _solve(raw, pos, row_dom, all_sol, (indptr, indices))
    else:
        chart = c_chart
    cubes, models = chart.cubes, chart.models
    used = sorted({i for m in models for i in m})
    names = {i: _cube_str(cubes[i], tt) for i in used}
    model_names = [[names[i] for i in m] for m in models]
    essential = [names[i] for i in sorted(set.intersection(*[set(m) for m in models]))] if models else []
    fit = _model_fit(tt, chart, pos_rows)
    sa: dict[str, list[int]] | None = None
    if "?" in inc and simplifying_assumptions:
        sa = {}
        try:
            # remainders inside each implicant, then per model their union
            inside = {i: np.setdiff1d(tt.row_numbers(_expand_cube(cubes[i], tt.noflevels)), pos_rows) for i in used}
            for mi, m in enumerate(models, start=1):
                sa[f"M{mi}"] = np.unique(np.concatenate([inside[i] for i in m])).tolist()
        except InputError:
            sa = None
    elif simplifying_assumptions:
        sa = {f"M{mi}": [] for mi in range(1, len(models) + 1)}
    intermediates: list[IntermediateSolution] = []
    if wants_intermediate:
        if sa is None:
            raise InputError("dir_exp: too many simplifying assumptions to derive easy counterfactuals")
        solved: dict[tuple[int, ...], tuple[_Chart, list[str], ModelFit]] = {}
        c_names = names_of(c_cubes)
        for ci, cm in enumerate(c_models, start=1):
            for pi_, pm in enumerate(models, start=1):
                sa_rows = np.asarray(sa[f"M{pi_}"], dtype=np.int64)
                easy_cubes = _easy_cubes(c_cubes[cm], cubes[pm], dirs)
                easy_mask = (
                    _engine.covers(easy_cubes, tt.configs(sa_rows)).any(axis=0)
                    if sa_rows.size
                    else np.zeros(0, dtype=bool)
                )
                easy = sa_rows[easy_mask]
                # R: with no expectation at all ("-" everywhere) the intermediate solution
                # is the conservative one and lists no counterfactuals of either kind
                difficult = np.setdiff1d(sa_rows, easy) if dirs else np.zeros(0, dtype=np.int64)
                key = tuple(easy.tolist())
                if key not in solved:  # pairs of models often share their easy counterfactuals
                    allowed_cfg = np.vstack([pos, tt.configs(easy)]) if easy.size else pos
                    i_chart = _solve(_engine.primes_from_allowed(allowed_cfg, tt.noflevels), pos, row_dom, all_sol)
                    solved[key] = (i_chart, names_of(i_chart.cubes), _model_fit(tt, i_chart, pos_rows))
                i_chart, i_names, i_fit = solved[key]
                i_models = i_chart.models
                intermediates.append(
                    IntermediateSolution(
                        name=f"C{ci}P{pi_}",
                        conservative_terms=[c_names[i] for i in cm],
                        parsimonious_terms=[names[i] for i in pm],
                        models=[[i_names[i] for i in m] for m in i_models],
                        essential=[i_names[i] for i in sorted(set.intersection(*[set(m) for m in i_models]))]
                        if i_models
                        else [],
                        prime_implicants=i_names,
                        easy_counterfactuals=easy.tolist(),
                        difficult_counterfactuals=difficult.tolist(),
                        fit=i_fit,
                    )
                )
    return Solution(
        truth_table=tt,
        include=",".join(sorted(inc)),
        models=model_names,
        essential=essential,
        chart=chart,
        positive_rows=pos_rows.tolist(),
        initials=[format_term(_cube_term(p, tt.conditions), mv=mv) for p in pos],
        negatives=neg_rows.tolist(),
        fit=fit,
        simplifying_assumptions=sa,
        intermediate=intermediates,
        settings={"dir_exp": dir_exp, "exclude": excl.tolist(), "row_dom": row_dom, "all_sol": all_sol},
        model_cubes=[cubes[m] for m in models],
    )


minimise = minimize

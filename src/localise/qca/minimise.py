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

The public function is spelled :func:`minimize`, as in R's ``QCA::minimize``, and has no
``minimise`` alias: its name is that of the R function it reproduces, which the reference
cases, the ``localise qca minimize`` command, the notebooks and the R agreement notes all
use, while the prose, and this module's name, stay British. The module must not be named
like the function anyway: a submodule ``localise.qca.minimize``, once imported, would
replace the function of that name on the package.
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
from localise.qca.expressions import Term, format_term, parse_term, term_membership
from localise.qca.fit import format_fit_value, latex_table, model_fit_table
from localise.qca.truthtable import TruthTable
from localise.results import Results

__all__ = ["minimize", "Solution", "IntermediateSolution", "ModelFit"]

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


@dataclass(repr=False)
class Solution(Results):
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
        if not hasattr(self, "_implicant_names"):
            self._implicant_names = _cube_names(self.chart.cubes, self.truth_table)
        return self._implicant_names

    @property
    def pi_chart(self) -> pd.DataFrame:
        """Prime implicant chart: implicants x positive rows (True = covers)."""
        n_cells = self.chart.cubes.shape[0] * len(self.positive_rows)
        if n_cells > 5e7:
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
        multivalue = {c: tt.kinds[c] == "mv" for c in tt.conditions}
        out = np.zeros(len(tt.data))
        for term in terms:
            out = np.maximum(out, term_membership(tt.data, _parse_term(term, tt), multivalue))
        return out

    # ---------------------------------------------------------------- output
    def to_frame(self) -> pd.DataFrame:
        """Long table: one row per (solution, model, term) with the parameters of fit."""
        rows = _fit_rows(self.solution_type if not self.intermediate else "parsimonious", self.fit, self.models)
        for inter in self.intermediate:
            rows += _fit_rows(f"intermediate {inter.name}", inter.fit, inter.models)
        return pd.DataFrame(rows, columns=["solution", "model", "term", "inclS", "PRI", "covS", "covU"])

    def to_latex(self, *, caption: str | None = None) -> str:
        """:meth:`to_frame` as LaTeX, numbers to 3 decimals, missing as ``-``."""
        return latex_table(self.to_frame(), caption=caption, synthetic=self.synthetic)

    def summary(self) -> str:
        """The solution as R prints ``minimize(..., details = TRUE)``: models, then their fit."""
        tt = self.truth_table
        settings = self.settings
        head = [
            f"{self.solution_type.capitalize()} solution: outcome {tt.outcome}; incl.cut = "
            f"{', '.join(str(c) for c in tt.settings['incl_cut'])}; n.cut = {tt.settings['n_cut']}; "
            f"pri.cut = {tt.settings['pri_cut']}; include = {self.include!r}"
            + (f"; dir.exp = {settings['dir_exp']}" if settings.get("dir_exp") else "")
            + (f"; row.dom = {settings['row_dom']}; all.sol = {settings['all_sol']}")
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

    def fit_solution_covers_all(self) -> bool:
        frame = self.fit.solution if not self.fit.multiple_models else self.fit.overall_solution
        if frame is None or frame.empty:
            return False
        first = frame.iloc[0]
        return bool(np.isclose(first["inclS"], 1) and np.isclose(first["covS"], 1))


def _fit_rows(kind: str, fit: ModelFit, models: list[list[str]]) -> list[dict[str, Any]]:
    """Rows of :meth:`Solution.to_frame` for one solution: each term's fit, then the model's."""
    rows: list[dict[str, Any]] = []
    for model_number, terms in enumerate(models, start=1):
        name = f"M{model_number}"
        if fit.multiple_models:
            term_frame, solution_frame = fit.per_model.get(name, (None, None))
        else:
            term_frame, solution_frame = fit.terms, fit.solution
        for term in terms:
            record: dict[str, Any] = {"solution": kind, "model": name, "term": term}
            if term_frame is not None:
                term_fit = term_frame[term_frame["term"] == term].iloc[0]
                record.update({c: term_fit[c] for c in ("inclS", "PRI", "covS", "covU")})
            rows.append(record)
        if solution_frame is not None:
            model_fit = solution_frame.iloc[0]
            rows.append(
                {
                    "solution": kind,
                    "model": name,
                    "term": "(model)",
                    "inclS": model_fit["inclS"],
                    "PRI": model_fit["PRI"],
                    "covS": model_fit["covS"],
                }
            )
    return rows


def _fit_text(fit: ModelFit, models: list[list[str]]) -> str:
    """R's fit table under the models: one line per term, then one per model."""
    if not fit.multiple_models:
        return _single_model_fit_text(fit)
    terms = fit.overall_terms
    assert terms is not None  # set when there are several models
    model_names = list(fit.per_model)
    term_width = max([len(t) for t in terms["term"]] + [2])
    number_width = len(str(len(terms)))
    head = (
        " " * (number_width + 2 + term_width)
        + "  inclS   PRI   covS   covU"
        + "".join(f"  {('(' + n + ')'):>5}" for n in model_names)
    )
    lines = [head, "-" * len(head)]
    for i, row in enumerate(terms.itertuples(index=False), start=1):
        line = f"{i:>{number_width}}  {row.term:>{term_width}}  " + _fit_columns(row, ("inclS", "PRI", "covS", "covU"))
        for name in model_names:
            model_terms, _ = fit.per_model[name]
            if model_terms is not None and row.term in set(model_terms["term"]):
                unique_coverage = float(model_terms.loc[model_terms["term"] == row.term, "covU"].iloc[0])
                line += f"  {format_fit_value(unique_coverage):>5}"
            else:
                line += "       "
        lines.append(line)
    lines.append("-" * len(head))
    for name in model_names:
        _, solution_frame = fit.per_model[name]
        lines.append(_model_fit_line(name, solution_frame.iloc[0], number_width, term_width))
    return "\n".join(lines)


def _single_model_fit_text(fit: ModelFit) -> str:
    terms, solution = fit.terms, fit.solution
    assert terms is not None and solution is not None  # set for a single model
    term_width = max([len(t) for t in terms["term"]] + [2])
    number_width = len(str(len(terms)))
    head = " " * (number_width + 2 + term_width) + "  inclS   PRI   covS   covU  cases"
    lines = [head, "-" * (len(head) - 7)]
    for i, row in enumerate(terms.itertuples(index=False), start=1):
        lines.append(
            f"{i:>{number_width}}  {row.term:>{term_width}}  "
            + _fit_columns(row, ("inclS", "PRI", "covS", "covU"))
            + f"  {row.cases}"
        )
    lines.append("-" * (len(head) - 7))
    lines.append(_model_fit_line(solution["term"].iloc[0], solution.iloc[0], number_width, term_width))
    return "\n".join(lines)


def _model_fit_line(name: str, model_fit: pd.Series, number_width: int, term_width: int) -> str:
    """The line of a model's fit under its terms (no row number, no covU)."""
    return f"{'':>{number_width}}  {name:>{term_width}}  " + _fit_columns(model_fit, ("inclS", "PRI", "covS"))


def _fit_columns(row: Any, columns: Sequence[str]) -> str:
    """Fit values of a row (named tuple or series), three decimals, two spaces apart."""
    get = row.__getitem__ if isinstance(row, pd.Series) else lambda c: getattr(row, c)
    return "  ".join(format_fit_value(get(c)) for c in columns)


# ---------------------------------------------------------------------- helpers
def _cube_term(cube: np.ndarray, conditions: Sequence[str]) -> Term:
    return tuple((conditions[j], int(v)) for j, v in enumerate(cube) if v != _engine.FREE)


def _cube_name(cube: np.ndarray, tt: TruthTable) -> str:
    """R's notation; the empty conjunction (every case) is written ``1``."""
    term = _cube_term(cube, tt.conditions)
    return format_term(term, mv=tt.multivalue) if term else "1"


def _cube_names(cubes: np.ndarray, tt: TruthTable) -> list[str]:
    """:func:`_cube_name` of each cube (row)."""
    return [_cube_name(cube, tt) for cube in cubes]


def _parse_term(term: str, tt: TruthTable) -> Term:
    """A term in R's notation (``A*~B``, ``X[2]``, ``1``) as (condition, value) pairs."""
    return () if term.strip() == "1" else parse_term(term)


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


def _condition_index(name: str, tt: TruthTable) -> int:
    """Position of a condition named in ``dir_exp``."""
    if name not in tt.conditions:
        raise InputError(f"dir_exp: {name!r} is not a condition of the truth table (conditions: {tt.conditions})")
    return tt.conditions.index(name)


def _literal_values(text: str, tt: TruthTable) -> tuple[int, set[int]]:
    """Condition index and expected values of ``X``, ``~X``, ``X[v]`` or ``X[v1,v2]``."""
    text = text.strip()
    m = re.fullmatch(r"(~?)\s*([A-Za-z_.][A-Za-z0-9_.]*)\s*(?:[\[{]([0-9,\s]+)[\]}])?", text)
    if not m:
        raise InputError(f"dir_exp: cannot read the expectation {text!r}")
    negated, name, listed = m.groups()
    j = _condition_index(name, tt)
    n_levels = tt.noflevels[j]
    if listed is None:
        if n_levels > 2:
            raise InputError(f"dir_exp: {name!r} is multi-value; write the expected level(s) as {name}[v]")
        values = {0 if negated else 1}
    else:
        values = {int(v) for v in listed.split(",") if v.strip()}
        if negated:
            if n_levels > 2 or len(values) != 1:
                raise InputError(f"dir_exp: negated multi-value expectation {text!r} is ambiguous; write the level(s)")
            values = {1 - next(iter(values))}
    if any(not 0 <= v < n_levels for v in values):
        raise InputError(f"dir_exp: value(s) {sorted(values)} for {name!r} outside 0..{n_levels - 1}")
    return j, values


def _parse_dir_exp(dir_exp: Any, tt: TruthTable) -> DirectionalExpectations:
    """Directional expectations: literals (``"DEV, ~URB, IND[2]"`` or a list), a mapping
    ``{"DEV": 1, "IND": [1, 2]}`` (``"-"`` = none) or conjunctions (``"DEV*~URB"``)."""
    out = DirectionalExpectations()
    if _no_dir_exp(dir_exp):
        return out
    if isinstance(dir_exp, Mapping):
        for name, value in dir_exp.items():
            if isinstance(value, str) and value.strip() == "-":
                _condition_index(name, tt)  # no expectation, but the condition must exist
                continue
            levels = value if isinstance(value, (list, tuple, set)) else [value]
            j, values = _literal_values(f"{name}[{','.join(str(int(v)) for v in levels)}]", tt)
            out.single.setdefault(j, set()).update(values)
        return out
    parts = _DIR_SPLIT.split(dir_exp) if isinstance(dir_exp, str) else [str(p) for p in dir_exp]
    for part in (p.strip() for p in parts):
        if not part or part == "-":
            continue
        blank = re.fullmatch(r"([A-Za-z_.][A-Za-z0-9_.]*)\s*[\[{]\s*-\s*[\]}]", part)
        if blank:  # "X[-]": no expectation for X
            _condition_index(blank.group(1), tt)
            continue
        literals = [_literal_values(lit, tt) for lit in part.split("*")]
        if len(literals) == 1:
            j, values = literals[0]
            out.single.setdefault(j, set()).update(values)
            continue
        # a conjunction; several values of one literal give one conjunction per value
        if len({j for j, _ in literals}) != len(literals):
            raise InputError(f"dir_exp: condition repeated in the conjunctural expectation {part!r}")
        for combo in itertools.product(*[sorted(v) for _, v in literals]):
            out.joint.append({j: v for (j, _), v in zip(literals, combo)})
    return out


def _no_dir_exp(dir_exp: Any) -> bool:
    return dir_exp is None or (isinstance(dir_exp, str) and not dir_exp.strip())


def _easy_cubes(
    conservative_cubes: np.ndarray, parsimonious_cubes: np.ndarray, expectations: DirectionalExpectations
) -> np.ndarray:
    """Cubes holding the easy counterfactuals of one conservative and one parsimonious model.

    R's rule: for each conservative term and each parsimonious term that contains it,
    a condition fixed by the conservative term but not by the parsimonious one is freed
    (to all its levels) when the conservative term's value is not an expected one; a
    conjunctural expectation frees all its conditions of that kind unless the
    conservative term takes every expected value among them.
    """
    out = []
    for conservative in conservative_cubes:
        for parsimonious in parsimonious_cubes:
            fixed = parsimonious != _engine.FREE
            if not np.array_equal(parsimonious[fixed], conservative[fixed]):
                continue
            # fixed by the conservative term only: the conditions an expectation may free
            freeable = (conservative != _engine.FREE) & ~fixed
            easy = conservative.copy()
            for j, values in expectations.single.items():
                if freeable[j] and int(conservative[j]) not in values:
                    easy[j] = _engine.FREE
            for joint in expectations.joint:
                columns = [j for j in joint if freeable[j]]
                if any(int(conservative[j]) != joint[j] for j in columns):
                    easy[columns] = _engine.FREE
            out.append(easy)
    k = conservative_cubes.shape[1] if conservative_cubes.ndim == 2 else 0
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
            term = _parse_term(term_text.strip(), tt)
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
        values = cubes[:, j]
        fixing = np.flatnonzero(values != _engine.FREE)  # the cubes with a literal on this condition
        if fixing.size == 0:
            continue
        x = X[:, j]
        if tt.kinds[cond] == "mv":
            literal = (x[None, :] == values[fixing, None]).astype(float)
        else:
            literal = np.where(values[fixing, None] == 1, x[None, :], 1.0 - x[None, :])
        out[fixing] = np.minimum(out[fixing], literal)
    return out


def _solution_frame(name: str, fit: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        {"term": np.array([name], dtype=object), **{k: np.array([v]) for k, v in fit.items()}}, copy=False
    )


def _model_fit(tt: TruthTable, chart: _Chart, positive_rows: np.ndarray) -> ModelFit:
    """Parameters of fit of the chart's models: per term (with its cases) and per model."""
    cases_by_row = tt.observed["cases"].to_dict()
    models, cubes = chart.models, chart.cubes
    used = sorted({i for model in models for i in model})
    names = {i: _cube_name(cubes[i], tt) for i in used}
    memberships = _cube_memberships(tt, cubes[used])
    membership_row = {i: row for row, i in enumerate(used)}

    def cases_of(i: int) -> str:
        rows = positive_rows[chart.covered(i)]
        return "; ".join(",".join(cases_by_row[int(row)]) for row in sorted(rows))

    def table(implicants: Sequence[int]) -> tuple[pd.DataFrame, dict[str, float]]:
        terms = [names[i] for i in implicants]
        return model_fit_table((terms, memberships[[membership_row[i] for i in implicants]]), tt.y)

    if len(models) == 1:
        frame, total = table(models[0])
        frame["cases"] = [cases_of(i) for i in models[0]]
        return ModelFit(multiple_models=False, terms=frame, solution=_solution_frame("M1", total))
    overall, total = table(used)
    overall["cases"] = [cases_of(i) for i in used]
    fit = ModelFit(
        multiple_models=True, overall_terms=overall, overall_solution=_solution_frame("union_of_all_PIs", total)
    )
    for number, model in enumerate(models, start=1):
        frame, model_total = table(model)
        # R leaves out the per-model term tables when there are very many models
        fit.per_model[f"M{number}"] = (frame if len(models) <= 50 else None, _solution_frame(f"M{number}", model_total))
    return fit


@dataclass
class _Chart:
    """Prime implicants (R order) with their coverage of the positive configurations."""

    cubes: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    models: list[list[int]]

    def covered(self, i: int) -> np.ndarray:
        """Positions (among the positive rows) of the configurations implicant ``i`` covers."""
        return self.indices[self.indptr[i] : self.indptr[i + 1]]

    def dense(self, n_positives: int) -> np.ndarray:
        """Boolean chart: implicants x positive configurations."""
        out = np.zeros((self.cubes.shape[0], n_positives), dtype=bool)
        rows = np.repeat(np.arange(self.cubes.shape[0]), np.diff(self.indptr))
        out[rows, self.indices] = True
        return out


def _csr_from_dense(coverage: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    counts = coverage.sum(axis=1)
    indptr = np.r_[0, np.cumsum(counts)].astype(np.int64)
    indices = np.nonzero(coverage)[1].astype(np.int64)
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
    cubes: np.ndarray,
    positives: np.ndarray,
    row_dom: bool,
    all_sol: bool,
    csr: tuple[np.ndarray, np.ndarray] | None = None,
) -> _Chart:
    """Sort implicants R-like, solve the chart, return all minimal models.

    Implicants with identical coverage are solved as one class and the models are
    expanded over the class members afterwards (exact; much smaller charts).
    """
    if csr is None:
        indptr, indices = _csr_from_dense(_engine.covers(cubes, positives))
    else:
        indptr, indices = csr
    lengths = np.diff(indptr)
    order = _engine.r_order(cubes)
    cubes, indptr, indices = _select_rows(cubes, indptr, indices, order[lengths[order] > 0])
    if row_dom:
        # R's row dominance: an implicant whose columns are a proper subset of another
        # implicant's columns leaves the chart; implicants of equal coverage all stay.
        keep = ~_engine.strictly_dominated(indptr, indices, positives.shape[0])
        if not keep.all():
            cubes, indptr, indices = _select_rows(cubes, indptr, indices, np.flatnonzero(keep))
    _, members = _engine.coverage_classes(indptr, indices)
    representatives = np.asarray([int(m[0]) for m in members], dtype=np.int64)
    _, class_indptr, class_indices = _select_rows(cubes, indptr, indices, representatives)
    class_models = _engine.solve_chart(class_indptr, class_indices, positives.shape[0], all_sol=all_sol)
    models: list[tuple[int, ...]] = []
    for class_model in class_models:
        for combo in itertools.product(*[members[c].tolist() for c in class_model]):
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
    included = _read_include(include)
    expectations = _parse_dir_exp(dir_exp, tt)
    if not _no_dir_exp(dir_exp) and "?" not in included:
        raise InputError("dir_exp: directional expectations need include='?' (intermediate solution)")
    excluded = _parse_rows(exclude, tt, "exclude")
    rows = _ChartRows.of(tt, included, excluded)
    wants_intermediate = "?" in included and not _no_dir_exp(dir_exp)
    conservative = None
    if "?" not in included or wants_intermediate:  # the output, or the intermediate solution's input
        conservative = _conservative_chart(tt, rows, included, row_dom, all_sol)
    if "?" in included:
        chart = _parsimonious_chart(tt, rows, row_dom, all_sol)
    else:
        assert conservative is not None  # computed above without "?"
        chart = conservative
    assumptions = None
    if simplifying_assumptions:
        assumptions = _simplifying_assumptions(tt, chart, rows.positive_rows, uses_remainders="?" in included)
    intermediates: list[IntermediateSolution] = []
    if wants_intermediate:
        if assumptions is None:
            raise InputError("dir_exp: too many simplifying assumptions to derive easy counterfactuals")
        assert conservative is not None  # computed above for the intermediate solution
        intermediates = _intermediate_solutions(
            tt, rows, conservative, chart, assumptions, expectations, row_dom=row_dom, all_sol=all_sol
        )
    model_terms = [_cube_names(chart.cubes[model], tt) for model in chart.models]
    return Solution(
        truth_table=tt,
        include=",".join(sorted(included)),
        models=model_terms,
        essential=_cube_names(chart.cubes[_essential(chart.models)], tt),
        chart=chart,
        positive_rows=rows.positive_rows.tolist(),
        initials=[format_term(_cube_term(p, tt.conditions), mv=tt.multivalue) for p in rows.positives],
        negatives=rows.negative_rows.tolist(),
        fit=_model_fit(tt, chart, rows.positive_rows),
        simplifying_assumptions=assumptions,
        intermediate=intermediates,
        settings={"dir_exp": dir_exp, "exclude": excluded.tolist(), "row_dom": row_dom, "all_sol": all_sol},
        model_cubes=[chart.cubes[model] for model in chart.models],
    )


def _read_include(include: str) -> set[str]:
    """The parts of ``include``: ``?`` (remainders), ``C`` (contradictions), ``1``."""
    included = {part.strip() for part in str(include).split(",") if part.strip()}
    if not included <= {"?", "C", "1"}:
        raise InputError(f"include: expected '', '?', 'C' or '?,C', got {include!r}")
    return included


@dataclass
class _ChartRows:
    """The truth-table rows a minimisation starts from (R row numbers, sorted)."""

    positive_rows: np.ndarray
    #: configurations of the positive rows (the chart's columns)
    positives: np.ndarray
    #: negative and contradictory rows (R's ``negatives``)
    negative_rows: np.ndarray
    #: rows no implicant may contain: negatives, and contradictions unless included
    forbidden_rows: np.ndarray
    #: remainders that ``exclude`` keeps out of the parsimonious solution
    excluded_remainders: np.ndarray

    @classmethod
    def of(cls, tt: TruthTable, included: set[str], excluded: np.ndarray) -> _ChartRows:
        positive_rows = np.asarray(tt.positive_rows, dtype=np.int64)
        if positive_rows.size == 0:
            raise InputError(
                "tt: no positive configurations (OUT = 1) to minimise; lower incl_cut or check the outcome"
            )
        contradictions = [] if "C" in included else tt.contradiction_rows
        forbidden_rows = np.asarray(sorted(tt.negative_rows + contradictions), dtype=np.int64)
        if "?" in included and forbidden_rows.size == 0:
            raise InputError(
                "include: every observed configuration is positive or a remainder, so with include='?' all "
                "conditions are minimised away; R's minimize() refuses this too ('All truth table configurations "
                "are used, all conditions are minimized'). Check the truth table (incl_cut, n_cut)."
            )
        observed_rows = tt.observed.index[tt.observed["OUT"] != "?"].to_numpy(dtype=np.int64)
        return cls(
            positive_rows=positive_rows,
            positives=tt.configs(positive_rows),
            negative_rows=np.asarray(sorted(tt.negative_rows + tt.contradiction_rows), dtype=np.int64),
            forbidden_rows=forbidden_rows,
            excluded_remainders=np.setdiff1d(excluded, observed_rows),
        )


def _conservative_chart(tt: TruthTable, rows: _ChartRows, included: set[str], row_dom: bool, all_sol: bool) -> _Chart:
    """Chart of the conservative solution: implicants of the positive (and included contradictory) rows."""
    allowed = rows.positives
    if "C" in included and tt.contradiction_rows:
        allowed = np.vstack([rows.positives, tt.configs(tt.contradiction_rows)])
    primes = _engine.primes_from_allowed(allowed, tt.noflevels)
    if primes.shape[0] == 1 and np.all(primes == _engine.FREE):
        raise InputError(
            "tt: every configuration of the truth table is positive, so all conditions are minimised "
            "away; R's minimize() refuses this too ('All truth table configurations are used'). "
            "Check the truth table."
        )
    return _solve(primes, rows.positives, row_dom, all_sol)


def _parsimonious_chart(tt: TruthTable, rows: _ChartRows, row_dom: bool, all_sol: bool) -> _Chart:
    """Chart of the parsimonious solution: implicants avoiding the forbidden rows and excluded remainders."""
    if rows.forbidden_rows.size or rows.excluded_remainders.size:
        forbidden = tt.configs(np.union1d(rows.forbidden_rows, rows.excluded_remainders))
    else:
        forbidden = np.zeros((0, len(tt.conditions)), dtype=np.int64)
    primes, indptr, indices = _engine.primes_from_forbidden(rows.positives, forbidden, tt.noflevels)
    return _solve(primes, rows.positives, row_dom, all_sol, (indptr, indices))


def _essential(models: list[list[int]]) -> list[int]:
    """Implicants in every model (sorted)."""
    return sorted(set.intersection(*[set(model) for model in models])) if models else []


def _simplifying_assumptions(
    tt: TruthTable, chart: _Chart, positive_rows: np.ndarray, *, uses_remainders: bool
) -> dict[str, list[int]] | None:
    """The remainders each model uses (``M1``: rows ...); None when there are too many to list."""
    if not uses_remainders:
        return {f"M{number}": [] for number in range(1, len(chart.models) + 1)}
    used = sorted({i for model in chart.models for i in model})
    try:
        # remainders inside each implicant, then per model their union
        inside = {
            i: np.setdiff1d(tt.row_numbers(_expand_cube(chart.cubes[i], tt.noflevels)), positive_rows) for i in used
        }
    except InputError:
        return None
    return {
        f"M{number}": np.unique(np.concatenate([inside[i] for i in model])).tolist()
        for number, model in enumerate(chart.models, start=1)
    }


def _intermediate_solutions(
    tt: TruthTable,
    rows: _ChartRows,
    conservative: _Chart,
    parsimonious: _Chart,
    assumptions: dict[str, list[int]],
    expectations: DirectionalExpectations,
    *,
    row_dom: bool,
    all_sol: bool,
) -> list[IntermediateSolution]:
    """One intermediate solution per pair of conservative and parsimonious models (``C1P1``, ``C1P2`` ...)."""
    # pairs of models often share their easy counterfactuals, and then their solution
    solved: dict[tuple[int, ...], tuple[_Chart, list[str], ModelFit]] = {}
    conservative_names = _cube_names(conservative.cubes, tt)
    out = []
    for conservative_number, conservative_model in enumerate(conservative.models, start=1):
        for parsimonious_number, parsimonious_model in enumerate(parsimonious.models, start=1):
            assumed_rows = np.asarray(assumptions[f"M{parsimonious_number}"], dtype=np.int64)
            easy_cubes = _easy_cubes(
                conservative.cubes[conservative_model], parsimonious.cubes[parsimonious_model], expectations
            )
            in_easy_cube = (
                _engine.covers(easy_cubes, tt.configs(assumed_rows)).any(axis=0)
                if assumed_rows.size
                else np.zeros(0, dtype=bool)
            )
            easy = assumed_rows[in_easy_cube]
            # R: with no expectation at all ("-" everywhere) the intermediate solution
            # is the conservative one and lists no counterfactuals of either kind
            difficult = np.setdiff1d(assumed_rows, easy) if expectations else np.zeros(0, dtype=np.int64)
            key = tuple(easy.tolist())
            if key not in solved:
                solved[key] = _intermediate_chart(tt, rows, easy, row_dom, all_sol)
            chart, implicant_names, fit = solved[key]
            out.append(
                IntermediateSolution(
                    name=f"C{conservative_number}P{parsimonious_number}",
                    conservative_terms=[conservative_names[i] for i in conservative_model],
                    parsimonious_terms=_cube_names(parsimonious.cubes[parsimonious_model], tt),
                    models=[[implicant_names[i] for i in model] for model in chart.models],
                    essential=[implicant_names[i] for i in _essential(chart.models)],
                    prime_implicants=implicant_names,
                    easy_counterfactuals=easy.tolist(),
                    difficult_counterfactuals=difficult.tolist(),
                    fit=fit,
                )
            )
    return out


def _intermediate_chart(
    tt: TruthTable, rows: _ChartRows, easy_rows: np.ndarray, row_dom: bool, all_sol: bool
) -> tuple[_Chart, list[str], ModelFit]:
    """Chart, implicant names and fit of the positive rows minimised with the easy counterfactuals."""
    allowed = np.vstack([rows.positives, tt.configs(easy_rows)]) if easy_rows.size else rows.positives
    chart = _solve(_engine.primes_from_allowed(allowed, tt.noflevels), rows.positives, row_dom, all_sol)
    return chart, _cube_names(chart.cubes, tt), _model_fit(tt, chart, rows.positive_rows)

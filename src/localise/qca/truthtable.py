"""Truth tables for crisp, multi-value and fuzzy sets (R ``QCA::truthTable`` conventions).

Rows are numbered as R does: ``row = 1 + sum_i value_i * prod_{j>i} noflevels_j`` (first
condition most significant). A case belongs to the row where its membership exceeds
0.5; inclusion and PRI of a row are computed over all cases (docs/methods/qca.md, "Truth table").
Only observed rows are stored; remainders are implicit (the complete table can have
2^20 rows and more).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from localise.errors import InputError
from localise.qca.expressions import condition_kinds, outcome_membership, parse_literal
from localise.qca.fit import format_fit_value, latex_table
from localise.results import Results

__all__ = ["TruthTable", "truth_table", "MAX_CONDITIONS", "COMPLETE_ROW_LIMIT"]

#: Upper bound on the number of conditions (row numbers must fit in int64 and the
#: minimiser's search space in memory).
MAX_CONDITIONS = 30
#: Largest complete table that :meth:`TruthTable.to_frame` will materialise.
COMPLETE_ROW_LIMIT = 2**20
#: Tolerance for comparing inclusion scores with cut-offs (floating sums).
CUT_TOLERANCE = 1e-10

_OUT_ORDER = {"1": 3, "C": 2, "0": 1, "?": 0}


def _as_list(value: str | Sequence[str] | None) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value]


@dataclass(repr=False)
class TruthTable(Results):
    """A truth table: observed rows with OUT, n, incl, PRI and cases; remainders implicit.

    Attributes
    ----------
    data : DataFrame
        The conditions and the outcome column (cases in rows, case names as index).
    conditions, outcome, noflevels, kinds
        Table layout; ``kinds`` maps conditions to ``"crisp"``, ``"mv"`` or ``"fuzzy"``.
    y : ndarray
        Outcome membership (negated when the outcome is written ``~Y``).
    observed : DataFrame
        One row per observed configuration, indexed by R's row number, with the
        condition values, ``OUT``, ``n``, ``incl``, ``PRI`` and ``cases`` (list).
    case_rows : ndarray
        R row number of each case.
    """

    data: pd.DataFrame
    conditions: list[str]
    outcome: str
    noflevels: list[int]
    kinds: dict[str, str]
    y: np.ndarray
    observed: pd.DataFrame
    case_rows: np.ndarray
    settings: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ layout
    @functools.cached_property
    def condition_values(self) -> np.ndarray:
        """The conditions' values as a float matrix (cases x conditions)."""
        return self.data[self.conditions].to_numpy(dtype=float)

    @property
    def multivalue(self) -> bool:
        """True when any condition is multi-value (literals are then written ``X[v]``)."""
        return any(k == "mv" for k in self.kinds.values())

    @property
    def n_rows_total(self) -> int:
        return int(np.prod(self.noflevels, dtype=object))

    @property
    def weights(self) -> np.ndarray:
        w = np.ones(len(self.noflevels), dtype=np.int64)
        for i in range(len(self.noflevels) - 2, -1, -1):
            w[i] = w[i + 1] * self.noflevels[i + 1]
        return w

    def row_numbers(self, configs: np.ndarray) -> np.ndarray:
        """R row numbers of configurations (array of shape (m, k))."""
        return 1 + np.asarray(configs, dtype=np.int64) @ self.weights

    def configs(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """Configurations (m, k) of R row numbers."""
        r = np.asarray(rows, dtype=np.int64) - 1
        out = np.empty((r.size, len(self.noflevels)), dtype=np.int64)
        for i, w in enumerate(self.weights):
            out[:, i] = (r // w) % self.noflevels[i]
        return out

    def _rows_with(self, out: str) -> list[int]:
        return sorted(int(r) for r in self.observed.index[self.observed["OUT"] == out])

    @property
    def positive_rows(self) -> list[int]:
        return self._rows_with("1")

    @property
    def negative_rows(self) -> list[int]:
        return self._rows_with("0")

    @property
    def contradiction_rows(self) -> list[int]:
        return self._rows_with("C")

    @property
    def remainder_rows_count(self) -> int:
        return self.n_rows_total - int((self.observed["OUT"] != "?").sum())

    # ------------------------------------------------------------------ output
    def to_frame(
        self, *, complete: bool | None = None, sort_by: Sequence[str] | str | None = "settings"
    ) -> pd.DataFrame:
        """The table as R prints it: sorted by ``sort_by``, remainders only if ``complete``.

        Returns a frame indexed by row number with the conditions, OUT, n, incl, PRI and
        cases (comma-joined).
        """
        complete = self.settings.get("complete", False) if complete is None else complete
        if sort_by == "settings":
            sort_by = self.settings.get("sort_by")
        frame = self.observed.copy()
        if not complete:
            # R prints only rows coded 1, 0 or C: observed rows with fewer than n.cut
            # cases are remainders and stay hidden like the unobserved ones
            frame = frame[frame["OUT"] != "?"]
        keys = _as_list(sort_by) or []
        if keys:
            order_cols, ascending = [], []
            for key in keys:
                name = key.rstrip("+-")
                if name not in ("OUT", "n", "incl", "PRI"):
                    raise InputError(f"sort_by: expected OUT, n, incl or PRI, got {key!r}")
                col = f"__{name}"
                frame[col] = frame["OUT"].map(_OUT_ORDER) if name == "OUT" else frame[name]
                order_cols.append(col)
                ascending.append(key.endswith("+"))
            frame["__row"] = frame.index
            frame = frame.sort_values(
                order_cols + ["__row"], ascending=ascending + [True], kind="mergesort", na_position="last"
            )
            frame = frame.drop(columns=order_cols + ["__row"])
        else:
            frame = frame.sort_index()
        if complete:
            total = self.n_rows_total
            if total > COMPLETE_ROW_LIMIT:
                raise InputError(
                    f"complete: the complete table has {total} rows (limit {COMPLETE_ROW_LIMIT}); use complete=False"
                )
            missing = np.setdiff1d(np.arange(1, total + 1), frame.index.to_numpy())
            if missing.size:
                conf = self.configs(missing)
                rem = pd.DataFrame(conf, columns=self.conditions, index=pd.Index(missing, name="row"))
                rem["OUT"], rem["n"], rem["incl"], rem["PRI"] = "?", 0, np.nan, np.nan
                rem["cases"] = [[] for _ in range(len(rem))]
                frame = pd.concat([frame, rem])
            if not keys:
                frame = frame.sort_index()
        frame = frame.copy()
        frame["cases"] = frame["cases"].map(lambda c: ",".join(c))
        frame.index.name = "row"
        return frame

    def summary(self) -> str:
        """The table as R prints it: settings, then one line per row (see :meth:`to_frame`)."""
        frame = self.to_frame()
        show_cases = self.settings.get("show_cases", True)
        lines = [
            f"Truth table: outcome {self.outcome}; conditions {', '.join(self.conditions)}",
            f"  incl.cut = {', '.join(str(c) for c in self.settings['incl_cut'])}, n.cut = {self.settings['n_cut']}, "
            f"pri.cut = {self.settings['pri_cut']}",
            "  OUT: output value; n: number of cases in configuration;",
            "  incl: sufficiency inclusion score; PRI: proportional reduction in inconsistency",
            "",
        ]
        rw = max(len(str(r)) for r in frame.index) if len(frame) else 1
        head = (
            " " * (rw + 1)
            + " ".join(f"{c:>{max(len(c), 1)}}" for c in self.conditions)
            + "   OUT    n  incl  PRI "
            + ("  cases" if show_cases else "")
        )
        lines.append(head)
        for r, rec in frame.iterrows():
            vals = " ".join(f"{int(rec[c]):>{max(len(c), 1)}}" for c in self.conditions)
            incl, pri = format_fit_value(rec["incl"]), format_fit_value(rec["PRI"])
            line = f"{r:>{rw}} {vals}     {rec['OUT']}  {int(rec['n']):>4}  {incl} {pri}"
            if show_cases:
                line += f"  {rec['cases']}"
            lines.append(line)
        return "\n".join(lines)

    def to_latex(self, *, caption: str | None = None) -> str:
        """:meth:`to_frame` (row numbers as a column) as LaTeX, numbers to 3 decimals, missing as ``-``."""
        return latex_table(self.to_frame().reset_index(), caption=caption, synthetic=self.synthetic)


#: R's QCA refuses multi-value conditions with more levels than this.
MAX_LEVELS = 20


def _check_levels(X: np.ndarray, conds: Sequence[str], kinds: dict[str, str]) -> None:
    """A multi-value condition must take every level 0, 1, ..., max (R's ``verifyQCA``)."""
    bad = []
    for j, cond in enumerate(conds):
        if kinds[cond] != "mv":
            continue
        levels = np.unique(X[:, j]).astype(int)
        if levels[-1] + 1 > MAX_LEVELS or levels.size != levels[-1] + 1:
            bad.append(f"{cond} (values {levels.tolist()})")
    if bad:
        raise InputError(
            f"conditions: multi-value condition(s) {', '.join(bad)} must take every level 0, 1, ..., max "
            f"(at most {MAX_LEVELS} levels); calibrate them first. R's truthTable() refuses them too "
            "('Possibly uncalibrated multivalue conditions')"
        )


def truth_table(
    data: pd.DataFrame,
    outcome: str,
    conditions: Sequence[str] | str | None = None,
    *,
    incl_cut: float | Sequence[float] = 1.0,
    n_cut: int = 1,
    pri_cut: float = 0.0,
    sort_by: Sequence[str] | str | None = None,
    complete: bool = False,
    show_cases: bool = True,
) -> TruthTable:
    """Build a truth table (R ``QCA::truthTable``).

    Parameters
    ----------
    data
        Cases in rows (index = case names); crisp 0/1, multi-value 0..k or fuzzy
        memberships in [0, 1].
    outcome
        Outcome column; ``"~Y"`` for the negated outcome, ``"Y[v]"`` for a value of a
        multi-value outcome.
    conditions
        Condition columns (list or comma-separated string); default all columns but
        the outcome.
    incl_cut
        One value (rows with ``incl >= incl_cut`` and ``PRI >= pri_cut`` are "1") or
        two (rows with ``incl_cut[1] <= incl < incl_cut[0]`` are contradictions "C").
    n_cut
        Rows with fewer cases are remainders.
    pri_cut
        Minimal PRI of a positive row.
    sort_by
        Printing order, e.g. ``"incl, n"`` (decreasing; append ``+`` for increasing).
    complete
        Print remainders too.
    show_cases
        Print case names.

    Raises
    ------
    InputError
        Where R's ``truthTable()`` stops too: a multi-value condition that does not take
        every level 0..max (or has more than 20 levels), or no configuration with at
        least ``n_cut`` cases; also a missing case label.

    Notes
    -----
    Observed rows with fewer than ``n_cut`` cases are remainders: like R, the printed
    table leaves them out unless ``complete=True``.
    """
    out_name, conds = _read_layout(data, outcome, conditions)
    cuts = _read_cuts(incl_cut, n_cut, pri_cut)
    _check_case_labels(data)
    _, y, _ = outcome_membership(data, outcome)
    kinds = condition_kinds(data, conds)
    X = data[conds].to_numpy(dtype=float)
    _check_levels(X, conds, kinds)
    noflevels = [int(X[:, j].max()) + 1 if kinds[c] == "mv" else 2 for j, c in enumerate(conds)]
    fuzzy = np.array([kinds[c] == "fuzzy" for c in conds])
    config = _crisp_configurations(data, X, conds, fuzzy)
    table = TruthTable(
        data=data[conds + [out_name]].copy(),
        conditions=conds,
        outcome=outcome,
        noflevels=noflevels,
        kinds=kinds,
        y=y,
        observed=pd.DataFrame(),
        case_rows=np.zeros(len(data), dtype=np.int64),
        settings={
            "incl_cut": cuts,
            "n_cut": int(n_cut),
            "pri_cut": float(pri_cut),
            "sort_by": _as_list(sort_by),
            "complete": bool(complete),
            "show_cases": bool(show_cases),
        },
    )
    rows = table.row_numbers(config)
    table.case_rows = rows
    row_numbers, first_case, counts = np.unique(rows, return_index=True, return_counts=True)
    row_configs = config[first_case]
    incl, pri = _row_inclusion(X, fuzzy, y, rows, row_numbers, row_configs)
    out = _out_codes(incl, pri, counts, cuts, pri_cut, n_cut)
    names = np.asarray(data.index.astype(str))
    order = np.argsort(rows, kind="stable")
    cases = np.split(names[order], np.cumsum(counts)[:-1])
    observed = pd.DataFrame(row_configs, columns=conds, index=pd.Index(row_numbers, name="row"))
    observed["OUT"] = out
    observed["n"] = counts
    observed["incl"] = incl
    observed["PRI"] = pri
    observed["cases"] = [list(c) for c in cases]
    table.observed = observed
    return table


def _read_layout(data: pd.DataFrame, outcome: str, conditions: Sequence[str] | str | None) -> tuple[str, list[str]]:
    """The outcome's column and the condition columns, checked."""
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    if len(data) == 0:
        raise InputError("data: no cases")
    out_name = parse_literal(outcome)[0] if isinstance(outcome, str) else None
    if out_name is None:
        raise InputError(f"outcome: expected a column name, got {outcome!r}")
    conds = _as_list(conditions)
    if conds is None:
        conds = [c for c in data.columns if c != out_name]
    if not conds:
        raise InputError("conditions: at least one condition is needed")
    if out_name in conds:
        raise InputError(f"conditions: the outcome {out_name!r} is also among the conditions")
    if len(set(conds)) != len(conds):
        raise InputError(f"conditions: duplicated names in {conds}")
    if len(conds) > MAX_CONDITIONS:
        raise InputError(f"conditions: {len(conds)} conditions exceed the limit of {MAX_CONDITIONS} (memory)")
    return out_name, conds


def _check_case_labels(data: pd.DataFrame) -> None:
    missing_labels = pd.isna(data.index)
    if missing_labels.any():
        raise InputError(
            f"data: case label missing in row(s) {list(np.flatnonzero(missing_labels)[:5] + 1)}; "
            "read case names as strings (labels such as 'NA' are names, see datasets.read_case_table)"
        )


def _read_cuts(incl_cut: float | Sequence[float], n_cut: int, pri_cut: float) -> list[float]:
    """The inclusion cut-off(s) as a list, after checking all three cut-offs."""
    cuts = [float(c) for c in np.atleast_1d(incl_cut)]
    if len(cuts) not in (1, 2) or any(not 0 <= c <= 1 for c in cuts) or (len(cuts) == 2 and cuts[1] > cuts[0]):
        raise InputError(f"incl_cut: expected one or two values in [0, 1] (second <= first), got {incl_cut}")
    if not 0 <= pri_cut <= 1:
        raise InputError(f"pri_cut: expected a value in [0, 1], got {pri_cut}")
    if int(n_cut) != n_cut or n_cut < 1:
        raise InputError(f"n_cut: expected a positive integer, got {n_cut}")
    return cuts


def _crisp_configurations(data: pd.DataFrame, X: np.ndarray, conds: list[str], fuzzy: np.ndarray) -> np.ndarray:
    """Each case's configuration: fuzzy memberships above 0.5 are 1; 0.5 itself is refused."""
    half = np.isclose(X[:, fuzzy], 0.5, atol=1e-12, rtol=0)
    if half.any():
        i, j = np.argwhere(half)[0]
        raise InputError(
            f"data: case {data.index[i]!r} has membership 0.5 in condition {np.array(conds)[fuzzy][j]!r}; "
            "such a case belongs to no truth-table row (recalibrate)"
        )
    return np.where(fuzzy[None, :], (X > 0.5).astype(np.int64), X.astype(np.int64))


def _row_inclusion(
    X: np.ndarray,
    fuzzy: np.ndarray,
    y: np.ndarray,
    case_rows: np.ndarray,
    row_numbers: np.ndarray,
    row_configs: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Inclusion and PRI of each observed row, from sums over ALL cases of min(row membership, Y) etc."""
    s_x = np.zeros(row_numbers.size)
    s_xy = np.zeros(row_numbers.size)
    s_xyn = np.zeros(row_numbers.size)
    ny = np.minimum(y, 1 - y)
    if not fuzzy.any():
        pos = np.searchsorted(row_numbers, case_rows)
        np.add.at(s_x, pos, 1.0)
        np.add.at(s_xy, pos, y)
        np.add.at(s_xyn, pos, ny)
    else:
        Xc = X.copy()
        step = max(1, int(2e6 // max(1, X.size)))
        for start in range(0, row_numbers.size, step):
            conf = row_configs[start : start + step]  # (r, k)
            # membership of every case in each row: min over conditions
            memb = np.where(
                fuzzy[None, None, :],
                np.where(conf[:, None, :] == 1, Xc[None, :, :], 1 - Xc[None, :, :]),
                (conf[:, None, :] == Xc[None, :, :]).astype(float),
            ).min(axis=2)
            s_x[start : start + step] = memb.sum(axis=1)
            s_xy[start : start + step] = np.minimum(memb, y[None, :]).sum(axis=1)
            s_xyn[start : start + step] = np.minimum(memb, ny[None, :]).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        incl = s_xy / s_x
        pri = (s_xy - s_xyn) / (s_x - s_xyn)
    return incl, pri


def _out_codes(
    incl: np.ndarray, pri: np.ndarray, counts: np.ndarray, cuts: list[float], pri_cut: float, n_cut: int
) -> np.ndarray:
    """OUT of each observed row: "1", "C" (between two inclusion cut-offs), "0", or "?" below ``n_cut`` cases."""
    out = np.full(incl.size, "0", dtype=object)
    tol = CUT_TOLERANCE
    is1 = (incl >= cuts[0] - tol) & (pri >= pri_cut - tol)
    out[is1] = "1"
    if len(cuts) == 2:
        out[~is1 & (incl >= cuts[1] - tol)] = "C"
    out[counts < n_cut] = "?"
    if counts.max() < n_cut:
        raise InputError(
            f"n_cut: no configuration has at least {n_cut} cases (the most populated has {counts.max()}); "
            "R's truthTable() refuses this too ('There are no configurations, using these cutoff values')"
        )
    return out

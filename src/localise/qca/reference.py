"""Run R QCA reference cases (``<reference>/cases/*.json``) through this engine and compare.

A case holds the R call's parameters (R argument names) and R's outputs; see the
reference folder's README for the schema. :func:`run_case` translates the parameters
into calls of :mod:`localise.qca` and returns outputs in the same schema;
:func:`compare_case` lists every difference (solutions compared as sets of sets, term
and model order free; numbers at ``atol``). A kind or parameter the engine does not
support raises :class:`UnsupportedCase` naming it - never a silent pass.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from localise import paths
from localise.errors import InputError

__all__ = ["UnsupportedCase", "case_files", "load_case", "run_case", "compare_case", "check_directory"]

ATOL = 1e-6


class UnsupportedCase(InputError):
    """The case uses a kind or a parameter that the engine does not implement."""


SUPPORTED = {
    "calibrate": {"x", "type", "method", "thresholds", "logistic", "idm", "ecdf", "below", "above"},
    "truthTable": {"outcome", "conditions", "incl.cut", "n.cut", "pri.cut", "sort.by", "complete", "show.cases"},
    "minimize": {
        "outcome",
        "conditions",
        "incl.cut",
        "n.cut",
        "pri.cut",
        "include",
        "dir.exp",
        "solution",
        "row.dom",
        "all.sol",
        "exclude",
        "details",
    },
    "superSubset": {"outcome", "conditions", "relation", "incl.cut", "cov.cut", "ron.cut", "pri.cut", "depth"},
    "pof": {"setms", "outcome", "relation"},
}


def case_files(reference_dir: Path | None = None) -> list[Path]:
    folder = (reference_dir or paths.qca_reference_dir()) / "cases"
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def load_case(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _data(case: dict[str, Any], reference_dir: Path) -> pd.DataFrame:
    files = case.get("data_files") or []
    if len(files) != 1:
        raise UnsupportedCase(f"data_files: expected exactly one data file, got {files}")
    from localise.qca.datasets import read_case_table

    return read_case_table(reference_dir / files[0])


def _check_params(kind: str, inputs: dict[str, Any]) -> None:
    if kind not in SUPPORTED:
        raise UnsupportedCase(f"kind: {kind!r} is not supported (supported: {sorted(SUPPORTED)})")
    unknown = set(inputs) - SUPPORTED[kind]
    if unknown:
        raise UnsupportedCase(f"{kind}: parameter(s) {sorted(unknown)} not supported")


def _cuts(inputs: dict[str, Any]) -> dict[str, Any]:
    incl = inputs.get("incl.cut", 1)
    return {
        "incl_cut": incl if np.isscalar(incl) else list(incl),
        "n_cut": inputs.get("n.cut", 1),
        "pri_cut": inputs.get("pri.cut", 0),
    }


def _tt_from(case: dict[str, Any], data: pd.DataFrame, inputs: dict[str, Any], **extra):
    from localise.qca.truthtable import truth_table

    return truth_table(data, inputs["outcome"], inputs.get("conditions"), **_cuts(inputs), **extra)


def _fit_records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    if frame is None:
        return []
    columns = frame.columns.tolist()
    return [
        {c: (None if isinstance(v, float) and math.isnan(v) else v) for c, v in zip(columns, values)}
        for values in frame.to_numpy(dtype=object).tolist()
    ]


def _fit_out(fit) -> dict[str, Any]:
    if not fit.multiple_models:
        return {"multiple_models": False, "terms": _fit_records(fit.terms), "solution": _fit_records(fit.solution)}
    return {
        "multiple_models": True,
        "overall_terms": _fit_records(fit.overall_terms),
        "overall_solution": _fit_records(fit.overall_solution),
        "per_model": [
            (
                {"name": n, "terms": _fit_records(t), "solution": _fit_records(s)}
                if t is not None
                else {"name": n, "solution": _fit_records(s)}
            )
            for n, (t, s) in fit.per_model.items()
        ],
    }


def _setms(spec: str, data: pd.DataFrame, outcome: str):
    m = re.fullmatch(r"each condition (\S+)\.\.(\S+)", spec.strip())
    if m:
        cols = list(data.columns)
        return data[cols[cols.index(m.group(1)) : cols.index(m.group(2)) + 1]]
    m = re.fullmatch(r"each negated condition, 1 - x, named (\w+)\.\.(\w+)", spec.strip())
    if m:
        prefix_first, prefix_last = m.group(1), m.group(2)
        cols = list(data.columns)
        first = next(c for c in cols if prefix_first.endswith(c) and prefix_first[: -len(c)])
        prefix = prefix_first[: -len(first)]
        last = prefix_last[len(prefix) :]
        sel = cols[cols.index(first) : cols.index(last) + 1]
        neg = 1 - data[sel]
        neg.columns = [f"{prefix}{c}" for c in sel]
        return neg
    if spec.startswith("each"):
        raise UnsupportedCase(f"setms: cannot interpret {spec!r}")
    return spec


def run_case(case: dict[str, Any], reference_dir: Path | None = None) -> dict[str, Any]:
    """Compute a reference case with this engine; outputs in the reference schema."""
    reference_dir = reference_dir or paths.qca_reference_dir()
    kind = case.get("kind")
    inputs = dict(case.get("inputs") or {})
    _check_params(kind, inputs)  # type: ignore[arg-type]  # a missing kind is reported there
    data = _data(case, reference_dir)
    runners = {
        "calibrate": _run_calibrate,
        "truthTable": _run_truth_table,
        "minimize": _run_minimize,
        "superSubset": _run_super_subset,
        "pof": _run_pof,
    }
    if kind not in runners:  # pragma: no cover - _check_params knows the same kinds
        raise UnsupportedCase(f"kind: {kind!r} is not supported")
    return runners[kind](case, data, inputs)


def _run_calibrate(case: dict[str, Any], data: pd.DataFrame, inputs: dict[str, Any]) -> dict[str, Any]:
    from localise.qca.calibrate import calibrate

    opts = {k: inputs[k] for k in ("type", "method", "logistic", "idm", "ecdf", "below", "above") if k in inputs}
    th = inputs.get("thresholds")
    if "x" not in inputs:
        if not isinstance(th, dict) or not all(isinstance(v, dict) for v in th.values()):
            raise UnsupportedCase("x: missing, and thresholds is not a per-column mapping")
        return {
            col: calibrate(data[col].to_numpy(float), thresholds=t, warn_half=False, **opts).tolist()
            for col, t in th.items()
        }
    col = str(inputs["x"]).split("$")[-1]
    if col not in data.columns:
        raise UnsupportedCase(f"x: cannot find column {inputs['x']!r}")
    return {"values": calibrate(data[col].to_numpy(float), thresholds=th, warn_half=False, **opts).tolist()}


def _run_truth_table(case: dict[str, Any], data: pd.DataFrame, inputs: dict[str, Any]) -> dict[str, Any]:
    tt = _tt_from(case, data, inputs, sort_by=inputs.get("sort.by"), complete=bool(inputs.get("complete", False)))
    full = tt.to_frame(complete=True, sort_by=None)
    printed = tt.to_frame()
    rows = []
    for r, rec in full.iterrows():
        rows.append(
            {
                "row": int(r),
                "config": {c: int(rec[c]) for c in tt.conditions},
                "OUT": rec["OUT"],
                "n": int(rec["n"]),
                "incl": None if pd.isna(rec["incl"]) else float(rec["incl"]),
                "PRI": None if pd.isna(rec["PRI"]) else float(rec["PRI"]),
                "cases": [c for c in rec["cases"].split(",") if c],
            }
        )
    return {
        "conditions": tt.conditions,
        "outcome": tt.outcome,
        "noflevels": tt.noflevels,
        "n_rows_total": tt.n_rows_total,
        "rows": rows,
        "printed_row_order": [int(r) for r in printed.index],
        "positive_rows": tt.positive_rows,
        "negative_rows": tt.negative_rows,
        "contradiction_rows": tt.contradiction_rows,
        "remainder_rows_count": tt.remainder_rows_count,
    }


def _models_out(models: list[list[str]]) -> list[dict[str, Any]]:
    return [{"name": f"M{i}", "terms": m, "expression": " + ".join(m)} for i, m in enumerate(models, start=1)]


def _run_minimize(case: dict[str, Any], data: pd.DataFrame, inputs: dict[str, Any]) -> dict[str, Any]:
    from localise.qca.minimise import minimize

    tt = _tt_from(case, data, inputs)
    sol = minimize(
        tt,
        include=inputs.get("include", ""),
        dir_exp=inputs.get("dir.exp"),
        exclude=inputs.get("exclude"),
        row_dom=bool(inputs.get("row.dom", False)),
        all_sol=bool(inputs.get("all.sol", False)),
    )
    expected_solution = inputs.get("solution")
    if expected_solution is not None and expected_solution != sol.solution_type:
        raise UnsupportedCase(
            f"solution: case asks for {expected_solution!r}, the parameters give {sol.solution_type!r}"
        )
    chart = sol.pi_chart
    out = {
        "n_models": len(sol.models),
        "models": _models_out(sol.models),
        "essential": sol.essential,
        "prime_implicants": sol.prime_implicants,
        "PIchart": {
            "columns": [int(c) for c in chart.columns],
            "covers": {pi: [int(c) for c in chart.columns[chart.loc[pi].to_numpy()]] for pi in chart.index},
        },
        "initials": sol.initials,
        "negatives": sol.negatives,
        "fit": _fit_out(sol.fit),
        "simplifying_assumptions": sol.simplifying_assumptions,
    }
    if sol.intermediate:
        out["intermediate"] = [
            {
                "name": it.name,
                "conservative_terms": it.conservative_terms,
                "parsimonious_terms": it.parsimonious_terms,
                "n_models": len(it.models),
                "models": _models_out(it.models),
                "essential": it.essential,
                "prime_implicants": it.prime_implicants,
                "easy_counterfactuals": it.easy_counterfactuals,
                "difficult_counterfactuals": it.difficult_counterfactuals,
                "fit": _fit_out(it.fit),
            }
            for it in sol.intermediate
        ]
    return out


def _run_super_subset(case: dict[str, Any], data: pd.DataFrame, inputs: dict[str, Any]) -> dict[str, Any]:
    from localise.qca.necessity import super_subset

    res = super_subset(
        data,
        inputs["outcome"],
        inputs.get("conditions"),
        relation=inputs.get("relation", "necessity"),
        incl_cut=inputs.get("incl.cut", 1),
        cov_cut=inputs.get("cov.cut", 0),
        ron_cut=inputs.get("ron.cut", 0),
        pri_cut=inputs.get("pri.cut", 0),
        depth=inputs.get("depth"),
    )
    return {"terms": _fit_records(res.table)}


def _run_pof(case: dict[str, Any], data: pd.DataFrame, inputs: dict[str, Any]) -> dict[str, Any]:
    from localise.qca.fit import pof

    setms = _setms(inputs["setms"], data, inputs["outcome"])
    res = pof(setms, inputs["outcome"], data, relation=inputs.get("relation", "necessity"))
    return {"terms": _fit_records(res.table)}


# ---------------------------------------------------------------- comparison
def norm_term(term: str) -> Any:
    """A term as a set of literals; a disjunction as ("+", set of literals)."""
    term = term.strip()
    if "+" in term:
        return ("+", frozenset(p.strip() for p in term.split("+")))
    return frozenset(p.strip() for p in term.split("*"))


def _num_equal(a: Any, b: Any, atol: float) -> bool:
    if a is None or b is None:
        na = a is None or (isinstance(a, float) and math.isnan(a))
        nb = b is None or (isinstance(b, float) and math.isnan(b))
        return na and nb
    return abs(float(a) - float(b)) <= atol


class _Diff:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, where: str, msg: str) -> None:
        self.messages.append(f"{where}: {msg}")


def _cmp_values(diff: _Diff, where: str, exp: list, got: list, atol: float) -> None:
    if len(exp) != len(got):
        diff.add(where, f"length {len(got)} != expected {len(exp)}")
        return
    bad = [i for i, (a, b) in enumerate(zip(exp, got)) if not _num_equal(a, b, atol)]
    if bad:
        i = bad[0]
        diff.add(where, f"{len(bad)} value(s) differ, first at {i}: got {got[i]}, expected {exp[i]}")


def _cmp_fit_terms(diff: _Diff, where: str, exp: list[dict], got: list[dict], atol: float) -> None:
    gmap = {norm_term(r["term"]): r for r in got}
    emap = {norm_term(r["term"]): r for r in exp}
    if set(gmap) != set(emap):
        diff.add(
            where,
            f"terms {sorted(map(str, (r['term'] for r in got)))} "
            f"!= expected {sorted(map(str, (r['term'] for r in exp)))}",
        )
        return
    for key, er in emap.items():
        gr = gmap[key]
        for field, ev in er.items():
            if field == "term":
                continue
            if field == "cases":
                enorm = {frozenset(s.split(",")) for s in str(ev).split("; ")}
                gnorm = {frozenset(s.split(",")) for s in str(gr.get("cases", "")).split("; ")}
                if enorm != gnorm:
                    diff.add(where, f"{er['term']}.cases {gr.get('cases')!r} != expected {ev!r}")
                continue
            if field not in gr:
                diff.add(where, f"{er['term']}: field {field} missing")
            elif not _num_equal(ev, gr[field], atol):
                diff.add(where, f"{er['term']}.{field} = {gr[field]} != expected {ev}")


def _model_set(models: Iterable[dict]) -> set[frozenset]:
    return {frozenset(norm_term(t) for t in m["terms"]) for m in models}


def _cmp_fit(
    diff: _Diff, where: str, exp: dict, got: dict, exp_models: list[dict], got_models: list[dict], atol: float
) -> None:
    if exp.get("multiple_models") != got.get("multiple_models"):
        diff.add(where, f"multiple_models {got.get('multiple_models')} != {exp.get('multiple_models')}")
        return
    if not exp["multiple_models"]:
        _cmp_fit_terms(diff, f"{where}.terms", exp["terms"], got["terms"], atol)
        _cmp_solution(diff, f"{where}.solution", exp["solution"], got["solution"], atol)
        return
    _cmp_fit_terms(diff, f"{where}.overall_terms", exp["overall_terms"], got["overall_terms"], atol)
    _cmp_solution(diff, f"{where}.overall_solution", exp["overall_solution"], got["overall_solution"], atol)
    # per-model entries: match by the model's set of terms
    e_by = {frozenset(norm_term(t) for t in m["terms"]): m["name"] for m in exp_models}
    g_by = {frozenset(norm_term(t) for t in m["terms"]): m["name"] for m in got_models}
    g_per = {p["name"]: p for p in got["per_model"]}
    for p in exp["per_model"]:
        key = next((k for k, n in e_by.items() if n == p["name"]), None)
        if key is None or key not in g_by:
            diff.add(where, f"per_model {p['name']}: no matching model")
            continue
        gp = g_per[g_by[key]]
        if "terms" in p:
            _cmp_fit_terms(diff, f"{where}.per_model[{p['name']}].terms", p["terms"], gp.get("terms") or [], atol)
        _cmp_solution(diff, f"{where}.per_model[{p['name']}].solution", p["solution"], gp["solution"], atol)


def _cmp_solution(diff: _Diff, where: str, exp: list[dict], got: list[dict], atol: float) -> None:
    if len(exp) != len(got):
        diff.add(where, f"{len(got)} rows != {len(exp)}")
        return
    for er, gr in zip(exp, got):
        for f in ("inclS", "PRI", "covS"):
            if not _num_equal(er[f], gr[f], atol):
                diff.add(where, f"{f} = {gr[f]} != expected {er[f]}")


def _cmp_minimize(diff: _Diff, exp: dict, got: dict, atol: float) -> None:
    if exp["n_models"] != got["n_models"]:
        diff.add("n_models", f"{got['n_models']} != expected {exp['n_models']}")
    if _model_set(exp["models"]) != _model_set(got["models"]):
        diff.add(
            "models",
            f"{[m['expression'] for m in got['models']]} != expected {[m['expression'] for m in exp['models']]}",
        )
        return
    for key in ("essential", "prime_implicants", "initials"):
        if {norm_term(t) for t in exp[key]} != {norm_term(t) for t in got[key]}:
            diff.add(key, f"{got[key]} != expected {exp[key]}")
    if sorted(exp["negatives"]) != sorted(got["negatives"]):
        diff.add("negatives", f"{got['negatives']} != expected {exp['negatives']}")
    ec, gc = exp["PIchart"], got["PIchart"]
    if sorted(ec["columns"]) != sorted(gc["columns"]):
        diff.add("PIchart.columns", f"{gc['columns']} != expected {ec['columns']}")
    ecov = {norm_term(k): sorted(v) for k, v in ec["covers"].items()}
    gcov = {norm_term(k): sorted(v) for k, v in gc["covers"].items()}
    if ecov != gcov:
        diff.add("PIchart.covers", f"{gc['covers']} != expected {ec['covers']}")
    _cmp_fit(diff, "fit", exp["fit"], got["fit"], exp["models"], got["models"], atol)
    _cmp_simplifying_assumptions(diff, exp, got)
    _cmp_intermediate(diff, exp.get("intermediate") or [], got.get("intermediate") or [], atol)


def _cmp_simplifying_assumptions(diff: _Diff, exp: dict, got: dict) -> None:
    """Remainders used by each of R's models, matched to ours by the model's terms."""
    esa = exp.get("simplifying_assumptions")
    if not esa:
        return
    gsa = got.get("simplifying_assumptions") or {}
    e_by = {m["name"]: frozenset(norm_term(t) for t in m["terms"]) for m in exp["models"]}
    g_by = {frozenset(norm_term(t) for t in m["terms"]): m["name"] for m in got["models"]}
    for name, rows in esa.items():
        gname = g_by.get(e_by[name]) if name in e_by else None
        if gname is None or sorted(gsa.get(gname, [])) != sorted(rows):
            diff.add(f"simplifying_assumptions[{name}]", f"{gsa.get(gname)} != expected {rows}")


def _cmp_intermediate(diff: _Diff, eint: list[dict], gint: list[dict], atol: float) -> None:
    """Intermediate solutions, matched by their conservative and parsimonious terms."""
    if len(eint) != len(gint):
        diff.add("intermediate", f"{len(gint)} entries != expected {len(eint)}")
        return

    def ikey(entry: dict) -> tuple[frozenset, frozenset]:
        return (
            frozenset(norm_term(t) for t in entry["conservative_terms"]),
            frozenset(norm_term(t) for t in entry["parsimonious_terms"]),
        )

    gmap = {ikey(g): g for g in gint}
    for e in eint:
        g = gmap.get(ikey(e))
        where = f"intermediate[{e['name']}]"
        if g is None:
            diff.add(where, "no entry with the same conservative and parsimonious terms")
            continue
        if e["n_models"] != g["n_models"] or _model_set(e["models"]) != _model_set(g["models"]):
            diff.add(
                where,
                f"models {[m['expression'] for m in g['models']]} != expected {[m['expression'] for m in e['models']]}",
            )
            continue
        for key in ("essential", "prime_implicants"):
            if {norm_term(t) for t in e[key]} != {norm_term(t) for t in g[key]}:
                diff.add(f"{where}.{key}", f"{g[key]} != expected {e[key]}")
        for key in ("easy_counterfactuals", "difficult_counterfactuals"):
            if sorted(e[key]) != sorted(g[key]):
                diff.add(f"{where}.{key}", f"{g[key]} != expected {e[key]}")
        _cmp_fit(diff, f"{where}.fit", e["fit"], g["fit"], e["models"], g["models"], atol)


def compare_case(case: dict[str, Any], got: dict[str, Any], atol: float = ATOL) -> list[str]:
    """Differences between R's outputs and ours (empty list = identical)."""
    exp = case["outputs"]
    kind = case["kind"]
    diff = _Diff()
    if kind == "calibrate":
        if "values" in exp:
            _cmp_values(diff, "values", exp["values"], got.get("values", []), atol)
        else:
            for col, vals in exp.items():
                _cmp_values(diff, col, vals, got.get(col, []), atol)
    elif kind == "truthTable":
        for key in (
            "conditions",
            "noflevels",
            "n_rows_total",
            "printed_row_order",
            "positive_rows",
            "negative_rows",
            "contradiction_rows",
            "remainder_rows_count",
        ):
            if exp[key] != got[key]:
                diff.add(key, f"{got[key]} != expected {exp[key]}")
        if exp["outcome"] != got["outcome"]:
            diff.add("outcome", f"{got['outcome']} != expected {exp['outcome']}")
        gmap = {r["row"]: r for r in got["rows"]}
        for er in exp["rows"]:
            gr = gmap.get(er["row"])
            if gr is None:
                diff.add(f"row {er['row']}", "missing")
                continue
            for f in ("config", "OUT", "n", "cases"):
                if er[f] != gr[f]:
                    diff.add(f"row {er['row']}.{f}", f"{gr[f]} != expected {er[f]}")
            for f in ("incl", "PRI"):
                if not _num_equal(er[f], gr[f], atol):
                    diff.add(f"row {er['row']}.{f}", f"{gr[f]} != expected {er[f]}")
    elif kind == "minimize":
        _cmp_minimize(diff, exp, got, atol)
    elif kind in ("superSubset", "pof"):
        _cmp_fit_terms(diff, "terms", exp["terms"], got["terms"], atol)
    else:
        raise UnsupportedCase(f"kind: {kind!r} is not supported")
    return diff.messages


def check_directory(reference_dir: Path | None = None) -> dict[str, list[str]]:
    """Run and compare every case; returns {case id: differences}."""
    reference_dir = reference_dir or paths.qca_reference_dir()
    results = {}
    for path in case_files(reference_dir):
        case = load_case(path)
        try:
            results[case.get("id", path.stem)] = compare_case(case, run_case(case, reference_dir))
        except InputError as error:
            results[case.get("id", path.stem)] = [f"error: {error}"]
    return results

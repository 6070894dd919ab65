"""Set-theoretic expressions: literals, terms (conjunctions) and sums of products.

Notation follows R's QCA: ``*`` is AND, ``~`` negation, `` + `` OR, ``X[v]`` a
multi-value literal. Terms are represented internally as tuples of
``(condition, value)`` pairs; for binary conditions value 1 is ``X`` and 0 is ``~X``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from localise.errors import InputError

__all__ = [
    "Literal",
    "Term",
    "parse_term",
    "parse_expression",
    "format_term",
    "format_expression",
    "term_membership",
    "expression_membership",
    "outcome_membership",
    "is_multivalue",
    "condition_kinds",
]

Literal = tuple[str, int]
Term = tuple[Literal, ...]

_LITERAL = re.compile(r"^(~?)\s*([A-Za-z_.][A-Za-z0-9_.]*)\s*(?:[\[{]\s*([0-9]+)\s*[\]}])?$")


def parse_literal(text: str) -> tuple[str, int | None, bool]:
    """Return ``(name, value or None, negated)`` for ``X``, ``~X``, ``X[2]`` or ``~X[2]``."""
    match = _LITERAL.match(text.strip())
    if not match:
        raise InputError(f"expression: cannot read literal {text!r}")
    neg, name, value = match.groups()
    return name, (int(value) if value is not None else None), bool(neg)


def parse_term(text: str, *, multivalue: Mapping[str, bool] | None = None) -> Term:
    """Parse a conjunction such as ``DEV*~URB`` or ``DEV[2]*IND[0]``.

    ``~X[v]`` is only allowed for binary conditions (it means ``X[1-v]``).
    """
    literals: list[Literal] = []
    for part in text.split("*"):
        name, value, neg = parse_literal(part)
        if value is None:
            value = 0 if neg else 1
        elif neg:
            if multivalue and multivalue.get(name):
                raise InputError(f"expression: negated multi-value literal {part!r} is ambiguous; write the value(s)")
            value = 1 - value
        literals.append((name, value))
    return tuple(literals)


def parse_expression(text: str, *, multivalue: Mapping[str, bool] | None = None) -> list[Term]:
    """Parse a sum of products (``A*B + ~C``) into a list of terms."""
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"expression: expected a non-empty string, got {text!r}")
    return [parse_term(part, multivalue=multivalue) for part in text.split("+")]


def format_literal(name: str, value: int, mv: bool) -> str:
    if mv:
        return f"{name}[{value}]"
    return name if value == 1 else f"~{name}"


def format_term(term: Term, *, mv: bool = False, order: Sequence[str] | None = None) -> str:
    """Write a term as R does; literals in condition order when ``order`` is given."""
    lits = list(term)
    if order is not None:
        pos = {n: i for i, n in enumerate(order)}
        lits.sort(key=lambda lv: pos.get(lv[0], len(pos)))
    return "*".join(format_literal(n, v, mv) for n, v in lits)


def format_expression(terms: Iterable[Term], *, mv: bool = False, order: Sequence[str] | None = None) -> str:
    return " + ".join(format_term(t, mv=mv, order=order) for t in terms)


def is_multivalue(series: pd.Series) -> bool:
    """A column is multi-value when its values are integers with a maximum above 1."""
    values = series.dropna().to_numpy(dtype=float)
    return bool(values.size and np.all(values == np.round(values)) and values.max() > 1)


def condition_kinds(data: pd.DataFrame, columns: Sequence[str]) -> dict[str, str]:
    """Classify columns as ``"crisp"``, ``"mv"`` or ``"fuzzy"``; bad values raise InputError."""
    kinds: dict[str, str] = {}
    for col in columns:
        if col not in data.columns:
            raise InputError(f"conditions: column {col!r} not in the data (columns: {list(data.columns)})")
        s = data[col]
        if not pd.api.types.is_numeric_dtype(s):
            raise InputError(f"data: column {col!r} is not numeric")
        v = s.to_numpy(dtype=float)
        if np.isnan(v).any():
            bad = list(data.index[np.isnan(v)][:5])
            raise InputError(f"data: column {col!r} has missing values (cases {bad})")
        if np.any(v < 0):
            bad = list(data.index[v < 0][:5])
            raise InputError(
                f"data: column {col!r} has negative values (cases {bad}); expected 0/1, 0..k or memberships in [0, 1]"
            )
        integer = np.all(v == np.round(v))
        if integer and v.max() > 1:
            kinds[col] = "mv"
        elif integer:
            kinds[col] = "crisp"
        elif v.max() > 1:
            bad = list(data.index[v > 1][:5])
            raise InputError(
                f"data: column {col!r} has fuzzy values outside [0, 1] (cases {bad}); calibrate raw values first"
            )
        else:
            kinds[col] = "fuzzy"
    return kinds


def literal_membership(data: pd.DataFrame, name: str, value: int, mv: bool | None = None) -> np.ndarray:
    if name not in data.columns:
        raise InputError(f"expression: condition {name!r} not in the data")
    x = data[name].to_numpy(dtype=float)
    if mv is None:
        mv = is_multivalue(data[name])
    if mv:
        return (x == value).astype(float)
    return x if value == 1 else 1.0 - x


def term_membership(data: pd.DataFrame, term: Term, mv: Mapping[str, bool] | None = None) -> np.ndarray:
    """Membership of each case in a conjunction (minimum over its literals)."""
    out = np.ones(len(data))
    for name, value in term:
        out = np.minimum(out, literal_membership(data, name, value, None if mv is None else mv.get(name)))
    return out


def expression_membership(
    data: pd.DataFrame, terms: Sequence[Term], mv: Mapping[str, bool] | None = None
) -> np.ndarray:
    """Membership in a sum of products (maximum over terms)."""
    out = np.zeros(len(data))
    for term in terms:
        out = np.maximum(out, term_membership(data, term, mv))
    return out


def outcome_membership(data: pd.DataFrame, outcome: str) -> tuple[str, np.ndarray, bool]:
    """Parse an outcome (``Y``, ``~Y``, ``Y[2]``) and return (name, membership, negated)."""
    name, value, neg = parse_literal(outcome)
    if name not in data.columns:
        raise InputError(f"outcome: {name!r} is not a column of the data (columns: {list(data.columns)})")
    x = data[name].to_numpy(dtype=float)
    if np.isnan(x).any():
        raise InputError(f"outcome: column {name!r} has missing values")
    if value is not None:
        y = (x == value).astype(float)
    else:
        if is_multivalue(data[name]):
            raise InputError(f"outcome: {name!r} is multi-value; write the value, e.g. {name}[1]")
        if np.any((x < 0) | (x > 1)):
            raise InputError(f"outcome: {name!r} has values outside [0, 1]")
        y = x
    if neg:
        y = 1.0 - y
    return name, y, neg

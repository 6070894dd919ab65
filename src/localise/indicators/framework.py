"""Composite-indicator frameworks: indicators -> components -> ... -> index, read from YAML.

A framework file has these keys (see ``frameworks/eu_spi_2020.yml`` for a full example)::

    name: eu_spi_2020
    title: ...
    reference: ...
    levels: [indicator, component, dimension, index]   # leaves first, root last
    normalisation: goalposts          # default for every indicator (none, minmax, goalposts,
                                      # zscore, rank, distance_to_target)
    aggregation:                      # per non-leaf level: arithmetic, geometric, harmonic, power
      dimension: {method: power, order: 0.5}
    missing:                          # per level
      indicator: {policy: none}       # none | mean | group_mean | em   (imputation of raw values)
      component: {min_coverage: 0.5}  # share of children's weight needed (default 1: all)
    nodes:                            # every non-leaf node; exactly one has no parent (the root)
      - {id: spi, level: index, name: ...}
      - {id: bhn, level: dimension, parent: spi, weight: 0.5}
    indicators:                       # the leaves
      - {id: x1, column: "Name in data", parent: bhn, direction: lower,
         goalposts: {best: 0, worst: 15.8}, weight: 1.0, source: ..., target: ...}

Validation (every problem raises :class:`~localise.errors.InputError` naming the file and node):
unknown parent (unknown node), cycles in the parent chain, a parent not on the next level,
missing or invalid ``direction``, weights of siblings that are only partly given or do not
sum to 1 (within 1e-6), goalposts with ``best == worst``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from localise.errors import InputError

__all__ = ["Node", "Framework", "FrameworkSettings", "load_framework", "available_frameworks", "FRAMEWORK_DIR"]

#: Folder of the frameworks shipped with the package.
FRAMEWORK_DIR = Path(__file__).resolve().parent / "frameworks"

_NORMALISATIONS = {"none", "minmax", "goalposts", "zscore", "rank", "distance_to_target"}
_AGGREGATIONS = {"arithmetic", "geometric", "harmonic", "power"}
_IMPUTATIONS = {"none", "mean", "group_mean", "em"}
_DIRECTIONS = {"higher": 1, "lower": -1, 1: 1, -1: -1, "+1": 1, "-1": -1}


@dataclass(frozen=True)
class Node:
    """One element of a framework (an indicator or an aggregate).

    Attributes
    ----------
    id, name, level, parent
        Identifier, label, level name and parent id (``None`` for the root).
    weight
        Weight within the siblings, or ``None`` for equal weights.
    column
        Indicators only: column of the input data (defaults to ``id``).
    direction
        Indicators only: +1 when higher is better, -1 when lower is better.
    goalposts
        Indicators only: ``(best, worst)`` for goalpost normalisation.
    normalisation, target, source
        Indicators only: per-indicator normalisation override, target value for
        distance-to-target normalisation, and data source.
    """

    id: str
    name: str
    level: str
    parent: str | None
    weight: float | None = None
    column: str | None = None
    direction: int | None = None
    goalposts: tuple[float, float] | None = None
    normalisation: str | None = None
    target: float | None = None
    source: str | None = None


@dataclass
class Framework:
    """A validated hierarchical framework. Build it with :func:`load_framework` or :meth:`from_dict`."""

    name: str
    levels: list[str]
    nodes: dict[str, Node]
    title: str = ""
    reference: str = ""
    normalisation: str = "minmax"
    aggregation: dict[str, dict[str, Any]] = field(default_factory=dict)
    missing: dict[str, dict[str, Any]] = field(default_factory=dict)
    origin: str = "<dict>"

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_dict(cls, spec: dict[str, Any], *, origin: str = "<dict>") -> Framework:
        """Validate a framework specification (the parsed YAML) and build the framework."""
        levels, default_norm = _check_top_level(spec, origin)
        nodes: dict[str, Node] = {}

        def add(node: Node, where: str) -> None:
            if node.id in nodes:
                raise InputError(f"{origin}: {where}: duplicate node id {node.id!r}")
            nodes[node.id] = node

        for i, raw in enumerate(spec["nodes"] or []):
            add(_aggregate_node(raw, f"nodes[{i}]", levels, origin), f"nodes[{i}]")
        for i, raw in enumerate(spec["indicators"] or []):
            add(_indicator_node(raw, f"indicators[{i}]", levels, origin), f"indicators[{i}]")
        framework = cls(
            name=str(spec["name"]),
            levels=levels,
            nodes=nodes,
            title=str(spec.get("title", spec["name"])),
            reference=str(spec.get("reference", "")),
            normalisation=default_norm,
            aggregation=_aggregation_settings(spec, levels, origin),
            missing=_missing_settings(spec, levels, origin),
            origin=origin,
        )
        framework._validate()
        return framework

    def _validate(self) -> None:
        origin = self.origin
        roots = [n.id for n in self.nodes.values() if n.parent is None]
        for node in self.nodes.values():
            if node.parent is not None and node.parent not in self.nodes:
                raise InputError(f"{origin}: node {node.id!r}: parent {node.parent!r} is an unknown node")
        # cycles: follow the parent chain of every node
        for node in self.nodes.values():
            seen = [node.id]
            current = node
            while current.parent is not None:
                if current.parent in seen:
                    chain = " -> ".join(seen + [current.parent])
                    raise InputError(f"{origin}: cycle in the framework: {chain}")
                seen.append(current.parent)
                current = self.nodes[current.parent]
        if len(roots) != 1:
            raise InputError(f"{origin}: expected exactly one root node (without parent), found {roots}")
        if self.nodes[roots[0]].level != self.levels[-1]:
            raise InputError(f"{origin}: the root {roots[0]!r} must be on the top level {self.levels[-1]!r}")
        for node in self.nodes.values():
            if node.parent is None:
                continue
            parent = self.nodes[node.parent]
            if self.levels.index(parent.level) != self.levels.index(node.level) + 1:
                raise InputError(
                    f"{origin}: node {node.id!r} (level {node.level}) has parent {parent.id!r} on level "
                    f"{parent.level}; expected a parent on level {self.levels[self.levels.index(node.level) + 1]!r}"
                )
        for node in self.nodes.values():
            if node.level != self.levels[0] and not self.children(node.id):
                raise InputError(f"{origin}: aggregate node {node.id!r} has no children")
            kids = [self.nodes[c] for c in self.children(node.id)]
            given = [k.weight for k in kids if k.weight is not None]
            if given and len(given) != len(kids):
                raise InputError(
                    f"{origin}: children of {node.id!r}: weights are given for {len(given)} of {len(kids)}; "
                    "give all or none"
                )
            if given and abs(sum(given) - 1.0) > 1e-6:
                raise InputError(
                    f"{origin}: weights of the children of {node.id!r} sum to {sum(given):.6g}; they must sum to 1"
                )

    # ------------------------------------------------------------------ queries
    @property
    def root(self) -> str:
        """Id of the root node."""
        return next(n.id for n in self.nodes.values() if n.parent is None)

    def children(self, node_id: str | None) -> list[str]:
        """Ids of the direct children of ``node_id`` (``None``: the root), in file order."""
        return [n.id for n in self.nodes.values() if n.parent == node_id]

    def members(self, level: str) -> list[str]:
        """Ids of the nodes on ``level``, ordered so that siblings are contiguous (tree order)."""
        if level not in self.levels:
            raise InputError(f"{self.origin}: unknown level {level!r}; levels are {self.levels}")
        order = self._tree_order()
        return [i for i in order if self.nodes[i].level == level]

    def _tree_order(self) -> list[str]:
        out: list[str] = []

        def visit(i: str) -> None:
            out.append(i)
            for c in self.children(i):
                visit(c)

        visit(self.root)
        return out

    @property
    def indicators(self) -> list[str]:
        """Ids of the leaves in tree order."""
        return self.members(self.levels[0])

    def ancestor(self, node_id: str, level: str) -> str:
        """Id of the ancestor of ``node_id`` on ``level`` (the node itself if on that level)."""
        current = self.nodes[node_id]
        while current.level != level:
            if current.parent is None:
                raise InputError(f"{self.origin}: {node_id!r} has no ancestor on level {level!r}")
            current = self.nodes[current.parent]
        return current.id

    def membership(self, level: str) -> np.ndarray:
        """0/1 matrix (members of the level below × members of ``level``)."""
        below = self.levels[self.levels.index(level) - 1]
        rows, cols = self.members(below), self.members(level)
        out = np.zeros((len(rows), len(cols)))
        pos = {c: j for j, c in enumerate(cols)}
        for i, r in enumerate(rows):
            parent = self.nodes[r].parent
            assert parent is not None  # only the root has no parent, and it is on the top level
            out[i, pos[parent]] = 1.0
        return out

    def weights(self, level: str) -> np.ndarray:
        """Framework weights of the members of ``level`` (equal within siblings when not given)."""
        ids = self.members(level)
        out = np.empty(len(ids))
        for k, i in enumerate(ids):
            node = self.nodes[i]
            if node.weight is not None:
                out[k] = node.weight
            else:
                out[k] = 1.0 / len(self.children(node.parent)) if node.parent else 1.0
        return out

    def aggregation_for(self, level: str) -> dict[str, Any]:
        """Aggregation settings of ``level`` (arithmetic when not given)."""
        return dict(self.aggregation.get(level, {"method": "arithmetic"}))

    def missing_for(self, level: str) -> dict[str, Any]:
        """Missing-data settings of ``level``."""
        return dict(self.missing.get(level, {}))

    def normalisation_for(self, indicator: str) -> str:
        """Normalisation of one indicator (its own setting, else the framework default)."""
        return self.nodes[indicator].normalisation or self.normalisation

    def check_columns(self, columns: Any, *, source: str = "data") -> None:
        """Raise InputError when an indicator column of the framework is absent from ``columns``."""
        cols = set(map(str, columns))
        absent = [f"{i} (column {self.nodes[i].column!r})" for i in self.indicators if self.nodes[i].column not in cols]
        if absent:
            raise InputError(
                f"{source}: framework {self.name!r} ({self.origin}) needs indicator columns that are absent: "
                + ", ".join(absent[:10])
                + (f" and {len(absent) - 10} more" if len(absent) > 10 else "")
            )

    def to_frame(self):  # noqa: ANN201 - pandas import kept local
        """One row per node: id, name, level, parent, weight, direction, goalposts, column."""
        import pandas as pd

        rows = []
        for i in self._tree_order():
            n = self.nodes[i]
            rows.append(
                {
                    "id": n.id,
                    "name": n.name,
                    "level": n.level,
                    "parent": n.parent,
                    "weight": n.weight,
                    "direction": n.direction,
                    "best": n.goalposts[0] if n.goalposts else np.nan,
                    "worst": n.goalposts[1] if n.goalposts else np.nan,
                    "column": n.column,
                }
            )
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        counts = ", ".join(f"{len(self.members(lv))} {lv}" for lv in self.levels)
        return f"Framework({self.name!r}: {counts})"


class FrameworkSettings:
    """Base of the settings classes built on a framework given as a :class:`Framework`, a name or a path.

    The dataclass deriving from it declares the ``framework`` field and calls
    :meth:`_load_framework` first thing in its ``__post_init__``.
    """

    framework: Framework | str

    @property
    def _fw(self) -> Framework:
        """The framework, loaded by ``__post_init__`` when given as a name or path."""
        if not isinstance(self.framework, Framework):
            raise TypeError(f"framework not loaded: {self.framework!r}")
        return self.framework

    def _load_framework(self) -> Framework:
        """Replace a framework name or path by the loaded :class:`Framework`, and return it."""
        if not isinstance(self.framework, Framework):
            self.framework = load_framework(self.framework)
        return self.framework


def _check_top_level(spec: Any, origin: str) -> tuple[list[str], str]:
    """The levels (leaves first) and the default normalisation of a framework specification."""
    if not isinstance(spec, dict):
        raise InputError(f"{origin}: a framework must be a mapping, got {type(spec).__name__}")
    for key in ("name", "levels", "nodes", "indicators"):
        if key not in spec:
            raise InputError(f"{origin}: missing top-level key {key!r}")
    levels = list(spec["levels"])
    if len(levels) < 2 or len(set(levels)) != len(levels):
        raise InputError(f"{origin}: 'levels' must list at least two distinct level names, leaves first")
    default_norm = str(spec.get("normalisation", "minmax"))
    if default_norm not in _NORMALISATIONS:
        raise InputError(f"{origin}: normalisation {default_norm!r} is not one of {sorted(_NORMALISATIONS)}")
    return levels, default_norm


def _aggregate_node(raw: dict[str, Any], where: str, levels: list[str], origin: str) -> Node:
    """An entry of ``nodes`` (an aggregate), checked."""
    if "id" not in raw or "level" not in raw:
        raise InputError(f"{origin}: {where}: every node needs 'id' and 'level'")
    if raw["level"] not in levels[1:]:
        raise InputError(
            f"{origin}: {where} ({raw['id']}): level {raw['level']!r} is not an aggregate level of {levels[1:]}"
        )
    return Node(
        id=str(raw["id"]),
        name=str(raw.get("name", raw["id"])),
        level=str(raw["level"]),
        parent=None if raw.get("parent") is None else str(raw["parent"]),
        weight=_weight(raw.get("weight"), origin, where),
    )


def _goalposts(raw: dict[str, Any], direction: int, where: str, origin: str) -> tuple[float, float] | None:
    """The ``(best, worst)`` goalposts of an indicator entry, checked against its direction."""
    if raw.get("goalposts") is None:
        return None
    ident = str(raw["id"])
    gp = raw["goalposts"]
    try:
        goalposts = (float(gp["best"]), float(gp["worst"]))
    except (KeyError, TypeError, ValueError) as error:
        raise InputError(f"{origin}: {where} ({ident}): goalposts need numeric 'best' and 'worst'") from error
    if goalposts[0] == goalposts[1]:
        raise InputError(f"{origin}: {where} ({ident}): goalposts best == worst ({goalposts[0]})")
    if np.sign(goalposts[0] - goalposts[1]) != direction:
        raise InputError(
            f"{origin}: {where} ({ident}): goalposts best={goalposts[0]} worst={goalposts[1]} "
            f"contradict direction {raw['direction']!r}"
        )
    return goalposts


def _indicator_node(raw: dict[str, Any], where: str, levels: list[str], origin: str) -> Node:
    """An entry of ``indicators`` (a leaf), checked."""
    if "id" not in raw:
        raise InputError(f"{origin}: {where}: every indicator needs an 'id'")
    ident = str(raw["id"])
    if "direction" not in raw or raw["direction"] is None:
        raise InputError(
            f"{origin}: {where} ({ident}): 'direction' is missing; expected 'higher' or 'lower' (is better)"
        )
    direction = _DIRECTIONS.get(raw["direction"])
    if direction is None:
        raise InputError(f"{origin}: {where} ({ident}): direction {raw['direction']!r} is not 'higher' or 'lower'")
    goalposts = _goalposts(raw, direction, where, origin)
    norm = raw.get("normalisation")
    if norm is not None and norm not in _NORMALISATIONS:
        raise InputError(f"{origin}: {where} ({ident}): normalisation {norm!r} not in {sorted(_NORMALISATIONS)}")
    return Node(
        id=ident,
        name=str(raw.get("name", ident)),
        level=levels[0],
        parent=None if raw.get("parent") is None else str(raw["parent"]),
        weight=_weight(raw.get("weight"), origin, where),
        column=str(raw.get("column", ident)),
        direction=direction,
        goalposts=goalposts,
        normalisation=norm,
        target=None if raw.get("target") is None else float(raw["target"]),
        source=None if raw.get("source") is None else str(raw["source"]),
    )


def _aggregation_settings(spec: dict[str, Any], levels: list[str], origin: str) -> dict[str, dict[str, Any]]:
    """The ``aggregation`` section, checked: aggregate levels and known methods only."""
    aggregation = {str(k): dict(v) for k, v in (spec.get("aggregation") or {}).items()}
    for level, agg in aggregation.items():
        if level not in levels[1:]:
            raise InputError(f"{origin}: aggregation.{level}: not an aggregate level of {levels[1:]}")
        if agg.get("method", "arithmetic") not in _AGGREGATIONS:
            raise InputError(
                f"{origin}: aggregation.{level}.method {agg.get('method')!r} not in {sorted(_AGGREGATIONS)}"
            )
    return aggregation


def _missing_settings(spec: dict[str, Any], levels: list[str], origin: str) -> dict[str, dict[str, Any]]:
    """The ``missing`` section, checked: known levels and policies, coverage within [0, 1]."""
    missing = {str(k): dict(v) for k, v in (spec.get("missing") or {}).items()}
    for level, pol in missing.items():
        if level not in levels:
            raise InputError(f"{origin}: missing.{level}: not a level of {levels}")
        if pol.get("policy", "none") not in _IMPUTATIONS:
            raise InputError(f"{origin}: missing.{level}.policy {pol.get('policy')!r} not in {sorted(_IMPUTATIONS)}")
        cov = pol.get("min_coverage", 0.0)
        if not 0.0 <= float(cov) <= 1.0:
            raise InputError(f"{origin}: missing.{level}.min_coverage must be within [0, 1], got {cov}")
    return missing


def _weight(value: Any, origin: str, where: str) -> float | None:
    if value is None:
        return None
    try:
        w = float(value)
    except (TypeError, ValueError) as error:
        raise InputError(f"{origin}: {where}: weight {value!r} is not a number") from error
    if not np.isfinite(w) or w < 0:
        raise InputError(f"{origin}: {where}: weight {value!r} must be a finite number >= 0")
    return w


def available_frameworks() -> list[str]:
    """Names of the frameworks shipped with the package."""
    return sorted(p.stem for p in FRAMEWORK_DIR.glob("*.yml"))


def load_framework(name_or_path: str | Path) -> Framework:
    """Load and validate a framework: a shipped name (``eu_spi_2016``) or a YAML file path.

    Raises
    ------
    InputError
        Unknown name, unreadable YAML, or a framework that fails validation.
    """
    path = Path(name_or_path)
    if not path.suffix:
        path = FRAMEWORK_DIR / f"{name_or_path}.yml"
        if not path.is_file():
            raise InputError(f"unknown framework {str(name_or_path)!r}; shipped frameworks: {available_frameworks()}")
    if not path.is_file():
        raise InputError(f"framework file {path} does not exist")
    try:
        from localise.tables import read_text_file

        spec = yaml.safe_load(read_text_file(path, what="indicator framework (YAML)"))
    except yaml.YAMLError as error:
        raise InputError(f"{path.name}: not valid YAML: {error}") from error
    return Framework.from_dict(spec, origin=path.name)

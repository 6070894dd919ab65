"""The analytical grid's codebook: a versioned YAML file loaded into typed objects.

The shipped codebook (``data/codebook_v1.yaml``) implements the grid described in
docs/methods/grid.md, "Analytical grid": ordinal dimensions G1-G9 with levels 0-3 and anchor texts, and
the categorical mode of governance. The grid is a *proposal* of this project (the
LOCALISE WP4 item list was not found in public material); each dimension records the
literature its concept rests on.

A codebook that lacks a level, repeats a dimension id or misses required fields is
rejected with every problem listed at once (:class:`~localise.errors.InputError`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from localise.errors import InputError
from localise.problems import ProblemCollector

__all__ = ["Dimension", "Codebook", "load_codebook", "available_codebooks", "NOT_ASSESSABLE", "ORDINAL_LEVELS"]

DATA_DIR = Path(__file__).with_name("data")
#: Code written in a coding sheet for "not assessable" (distinct from level 0).
NOT_ASSESSABLE = "NA"
#: Levels every ordinal dimension must define.
ORDINAL_LEVELS = (0, 1, 2, 3)
_SCALES = ("ordinal", "nominal")


@dataclass(frozen=True)
class Dimension:
    """One dimension of the grid.

    Attributes
    ----------
    id, name, description
        Identifier (e.g. ``"G2"``), short name and longer description.
    scale
        ``"ordinal"`` (levels 0-3) or ``"nominal"`` (named categories).
    status
        ``"proposed"`` when the anchors are this project's proposal.
    basis
        Whether the concept rests on literature that was read (``"source"``), recalled,
        or is itself proposed.
    levels
        Level -> anchor text (ordinal dimensions).
    categories
        Category -> description (nominal dimensions).
    literature
        References the dimension rests on.
    """

    id: str
    name: str
    scale: str
    status: str
    basis: str
    description: str
    levels: dict[int, str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    literature: tuple[str, ...] = ()

    @property
    def is_ordinal(self) -> bool:
        return self.scale == "ordinal"

    @property
    def allowed_codes(self) -> list[str]:
        """Codes a coder may enter, including "NA" (not assessable)."""
        codes = [str(level) for level in self.levels] if self.is_ordinal else list(self.categories)
        return [*codes, NOT_ASSESSABLE]


@dataclass(frozen=True)
class Codebook:
    """A versioned analytical grid."""

    version: str
    title: str
    status: str
    source: str
    dimensions: tuple[Dimension, ...]
    derived_indices: dict[str, object]
    path: Path | None = None

    @property
    def ids(self) -> list[str]:
        """All dimension ids, in codebook order."""
        return [d.id for d in self.dimensions]

    @property
    def ordinal_ids(self) -> list[str]:
        """Ids of the ordinal (0-3) dimensions."""
        return [d.id for d in self.dimensions if d.is_ordinal]

    def __getitem__(self, dimension_id: str) -> Dimension:
        for dimension in self.dimensions:
            if dimension.id == dimension_id:
                return dimension
        raise KeyError(f"dimension {dimension_id!r} not in codebook {self.version} (has {self.ids})")

    def __contains__(self, dimension_id: object) -> bool:
        return dimension_id in self.ids

    def to_frame(self) -> pd.DataFrame:
        """Readable table: one row per dimension × level (or category)."""
        rows = []
        for d in self.dimensions:
            entries = d.levels.items() if d.is_ordinal else d.categories.items()
            for code, anchor in entries:
                rows.append(
                    {
                        "dimension": d.id,
                        "name": d.name,
                        "scale": d.scale,
                        "code": str(code),
                        "anchor": anchor,
                        "status": d.status,
                        "basis": d.basis,
                    }
                )
        table = pd.DataFrame(rows)
        table.attrs["codebook_version"] = self.version
        return table

    def literature_frame(self) -> pd.DataFrame:
        """One row per dimension × reference."""
        rows = [
            {"dimension": d.id, "reference": ref, "basis": d.basis} for d in self.dimensions for ref in d.literature
        ]
        return pd.DataFrame(rows)


def available_codebooks() -> dict[str, Path]:
    """Shipped codebook versions and their files."""
    import yaml

    found = {}
    for path in sorted(DATA_DIR.glob("codebook_v*.yaml")):
        with open(path, encoding="utf-8") as handle:
            version = str((yaml.safe_load(handle) or {}).get("version", ""))
        found[version] = path
    return found


def load_codebook(source: str | os.PathLike[str] | None = None, *, version: str | None = None) -> Codebook:
    """Load and validate a codebook.

    Parameters
    ----------
    source
        Path to a codebook YAML file; by default the shipped codebook.
    version
        Version of a shipped codebook (e.g. ``"1.0"``); default the newest.

    Raises
    ------
    InputError
        Listing every problem: missing or extra levels, duplicate dimension ids,
        missing fields, unknown scale.
    """
    if source is None:
        shipped = available_codebooks()
        if not shipped:
            raise InputError(f"no codebook_v*.yaml found in {DATA_DIR}")
        if version is None:
            version = max(shipped, key=lambda v: tuple(int(p) for p in re.findall(r"\d+", v)))
        if version not in shipped:
            raise InputError(f"version: codebook {version!r} not shipped; available: {sorted(shipped)}")
        path = shipped[version]
    else:
        path = Path(source)
        if not path.is_file():
            raise InputError(f"codebook file {path} not found")
    from localise.tables import read_yaml_file

    codebook = _parse(read_yaml_file(path, what="codebook (YAML)"), path)
    if version is not None and source is not None and codebook.version != version:
        raise InputError(f"{path}: version is {codebook.version!r}, expected {version!r}")
    try:
        from localise import provenance

        provenance.record_input(path, synthetic=False, role="codebook")
    except OSError:  # pragma: no cover - recording must not break loading
        pass
    return codebook


def _parse(raw: object, path: Path) -> Codebook:
    problems = ProblemCollector(path)
    if not isinstance(raw, dict):
        problems.add(None, None, "expected a mapping with keys version, dimensions, ...")
        problems.raise_if_any()
    assert isinstance(raw, dict)
    for key in ("version", "title", "dimensions"):
        if key not in raw:
            problems.add(None, key, f"missing top-level key {key!r}")
    entries = raw.get("dimensions") or []
    if not isinstance(entries, list) or not entries:
        problems.add(None, "dimensions", "expected a non-empty list of dimensions")
        entries = []
    seen: dict[str, int] = {}
    dimensions = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            problems.add(f"dimensions[{i}]", None, "expected a mapping")
            continue
        dimensions.append(_parse_dimension(i, entry, seen, problems))
    problems.raise_if_any()
    return Codebook(
        version=str(raw["version"]),
        title=str(raw.get("title", "")),
        status=str(raw.get("status", "")),
        source=str(raw.get("source", "")),
        dimensions=tuple(dimensions),
        derived_indices=dict(raw.get("derived_indices") or {}),
        path=path,
    )


def _parse_dimension(i: int, entry: dict, seen: dict[str, int], problems: ProblemCollector) -> Dimension:
    """The dimension of entry ``i`` of the codebook; problems are collected, not raised."""
    dim_id = str(entry.get("id", "")).strip()
    where = f"dimensions[{i}] ({dim_id})" if dim_id else f"dimensions[{i}]"
    for key in ("id", "name", "scale", "literature"):
        if not entry.get(key):
            problems.add(where, key, f"missing or empty {key!r}")
    if dim_id in seen:
        problems.add(where, "id", f"duplicate dimension id {dim_id!r} (first at dimensions[{seen[dim_id]}])")
    elif dim_id:
        seen[dim_id] = i
    scale = entry.get("scale")
    levels: dict[int, str] = {}
    categories: dict[str, str] = {}
    if scale == "ordinal":
        levels = _ordinal_levels(entry.get("levels"), where, problems)
    elif scale == "nominal":
        raw_categories = entry.get("categories")
        if not isinstance(raw_categories, dict) or len(raw_categories) < 2:
            problems.add(where, "categories", "nominal dimension needs at least two named categories")
        else:
            categories = {str(k): str(v or "").strip() for k, v in raw_categories.items()}
            if NOT_ASSESSABLE in categories:
                problems.add(where, "categories", f"{NOT_ASSESSABLE!r} is reserved for 'not assessable'")
    elif scale is not None:
        problems.add(where, "scale", f"expected one of {_SCALES}, got {scale!r}")
    literature = entry.get("literature") or []
    if isinstance(literature, str):
        literature = [literature]
    return Dimension(
        id=dim_id,
        name=str(entry.get("name", "")),
        scale=str(scale),
        status=str(entry.get("status", "proposed")),
        basis=str(entry.get("basis", "")),
        description=" ".join(str(entry.get("description", "")).split()),
        levels=levels,
        categories=categories,
        literature=tuple(str(x) for x in literature),
    )


def _ordinal_levels(raw_levels: object, where: str, problems: ProblemCollector) -> dict[int, str]:
    """Anchors of the levels 0-3 of an ordinal dimension, sorted by level."""
    levels: dict[int, str] = {}
    if not isinstance(raw_levels, dict):
        problems.add(where, "levels", f"ordinal dimension needs levels {list(ORDINAL_LEVELS)} with anchors")
        return levels
    for key, anchor in raw_levels.items():
        try:
            level = int(key)
        except (TypeError, ValueError):
            problems.add(where, "levels", f"level {key!r} is not an integer")
            continue
        if level not in ORDINAL_LEVELS:
            problems.add(where, "levels", f"level {level} outside {list(ORDINAL_LEVELS)}")
        if not str(anchor or "").strip():
            problems.add(where, f"levels.{level}", "empty anchor text")
        levels[level] = str(anchor or "").strip()
    missing = [lv for lv in ORDINAL_LEVELS if lv not in levels]
    if missing:
        problems.add(where, "levels", f"missing level(s) {missing}; every ordinal dimension needs 0, 1, 2, 3")
    return dict(sorted(levels.items()))

"""The source catalogue (``catalogue.yml``): datasets, files and indicator ids."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from localise.errors import InputError

__all__ = [
    "Feed",
    "Dataset",
    "load_catalogue",
    "indicator_ids",
    "dataset",
    "datasets",
    "catalogue_files",
    "governance_sources",
]


@dataclass(frozen=True)
class Feed:
    """How rows of a dataset become one indicator of a panel."""

    indicator: str
    filters: dict[str, str]
    level: str = "regional"  # "regional" (NUTS 2) or "country" (NUTS 0 + aggregates)
    priority: int = 0
    unit: str | None = None  # unit to record when the dataset has no unit dimension


@dataclass(frozen=True)
class Dataset:
    """One Eurostat dataset of the catalogue."""

    code: str
    title: str
    mirror: str | None
    online: bool
    vintage: str
    nuts_version: int | None
    feeds: tuple[Feed, ...] = field(default_factory=tuple)
    extract: str | None = None  # mirror path of a long-format extract holding this table
    note: str = ""


@functools.cache
def load_catalogue() -> dict[str, Any]:
    """Return the parsed ``catalogue.yml`` (cached)."""
    text = resources.files("localise.data").joinpath("catalogue.yml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml: about 7 times faster


def indicator_ids() -> list[str]:
    """Indicator ids of the processed panels."""
    return list(load_catalogue()["indicators"])


def datasets() -> dict[str, Dataset]:
    """Every dataset of the catalogue, keyed by code."""
    out = {}
    for code, entry in (load_catalogue().get("datasets") or {}).items():
        feeds = tuple(
            Feed(
                indicator=f["indicator"],
                filters={k: str(v) for k, v in (f.get("filters") or {}).items()},
                level=f.get("level", "regional"),
                priority=int(f.get("priority", 0)),
                unit=f.get("unit"),
            )
            for f in entry.get("feeds") or []
        )
        out[code] = Dataset(
            code=code,
            title=entry["title"],
            mirror=entry.get("mirror"),
            online=bool(entry.get("online", True)),
            vintage=str(entry.get("vintage", "")),
            nuts_version=entry.get("nuts_version"),
            feeds=feeds,
            extract=entry.get("extract"),
            note=entry.get("note", ""),
        )
    return out


def dataset(code: str) -> Dataset:
    """Look up one dataset; raise :class:`InputError` for an unknown code."""
    table = datasets()
    if code not in table:
        raise InputError(
            f"unknown catalogue code {code!r}; expected one of {sorted(table)} (see localise/data/catalogue.yml)"
        )
    return table[code]


def catalogue_files() -> list[dict[str, Any]]:
    """Non-Eurostat files copied from the mirror (``files`` section)."""
    return list(load_catalogue().get("files") or [])


def governance_sources() -> dict[str, dict[str, Any]]:
    """Governance sources (``governance`` section): title, publisher, citation, licence, vintage, files."""
    return {key: dict(entry) for key, entry in (load_catalogue().get("governance") or {}).items()}

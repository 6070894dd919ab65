"""The case registry: the real local entities coded on the grid.

The shipped registry (``data/case_registry.csv``) lists the cities the project's seed
material names: the nine Cities for Active Inclusion, Mulhouse (the SPIRAL pilot city) and
the signatories of the 2019 Social Progress Cities Summit, each with its country, the NUTS
2016 level-2 region it lies in, its Urban Audit city code (2019 list) where one exists, and
the source that names it. Codes were checked against the NUTS and Urban Audit lists of the
data mirror (see tests/grid/test_grid_registry.py).

The names of the 18 LOCALISE cities could not be verified (docs/methods/grid.md,
"Case registry and national frameworks"): they are
*not* in the shipped registry. Researchers add their own cases in the same CSV format and
pass the file(s) as ``extra``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from localise.problems import ProblemCollector

__all__ = ["REGISTRY_COLUMNS", "load_case_registry", "validate_registry"]

DATA_DIR = Path(__file__).with_name("data")
DEFAULT_REGISTRY = DATA_DIR / "case_registry.csv"
#: Columns of a registry file (``nuts2_name``, ``urban_audit_*`` and ``note`` may be empty).
REGISTRY_COLUMNS = [
    "case_id",
    "name",
    "country",
    "nuts2_2016",
    "nuts2_name",
    "urban_audit_code",
    "urban_audit_name",
    "group",
    "source",
    "note",
]
_REQUIRED = ["case_id", "name", "country", "nuts2_2016", "group", "source"]
_NUTS2 = re.compile(r"^[A-Z]{2}[0-9A-Z]{2}$")
_UA = re.compile(r"^[A-Z]{2}[0-9]{3}[CK][0-9]$")


def _read(path: Path) -> pd.DataFrame:
    from localise.tables import read_table

    return read_table(path, what="case registry", as_text=True)


def validate_registry(
    frame: pd.DataFrame, file: str | os.PathLike[str], problems: ProblemCollector | None = None
) -> ProblemCollector:
    """Check a registry frame; return the collector (does not raise)."""
    problems = ProblemCollector(file) if problems is None else problems
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        problems.add(1, ",".join(missing), f"missing column(s); a registry needs {REGISTRY_COLUMNS}")
        return problems
    seen: dict[str, int] = {}
    for i, row in enumerate(frame.to_dict("records")):
        line = i + 2
        for column in _REQUIRED:
            if not str(row.get(column, "")).strip():
                problems.add(line, column, f"empty {column}")
        case_id = str(row["case_id"]).strip()
        if case_id in seen:
            problems.add(line, "case_id", f"duplicate case_id {case_id!r} (first on row {seen[case_id]})")
        elif case_id:
            seen[case_id] = line
        country = str(row["country"]).strip()
        if country and not re.fullmatch(r"[A-Z]{2}", country):
            problems.add(line, "country", f"expected a 2-letter Eurostat country code, got {country!r}")
        nuts = str(row["nuts2_2016"]).strip()
        if nuts and not _NUTS2.match(nuts):
            problems.add(line, "nuts2_2016", f"expected a NUTS level-2 code like 'FRE1', got {nuts!r}")
        elif nuts and country and not nuts.startswith(country):
            problems.add(line, "nuts2_2016", f"NUTS code {nuts!r} does not belong to country {country!r}")
        ua = str(row.get("urban_audit_code", "")).strip()
        if ua and not _UA.match(ua):
            problems.add(line, "urban_audit_code", f"expected an Urban Audit city code like 'FR009C1', got {ua!r}")
    return problems


def load_case_registry(
    path: str | os.PathLike[str] | None = None,
    *,
    extra: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None = None,
) -> pd.DataFrame:
    """Load the case registry, optionally with researchers' own case files appended.

    Parameters
    ----------
    path
        Registry CSV; default the shipped one.
    extra
        One or more further CSV files in the same format (e.g. the LOCALISE cases a
        researcher can document with sources).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`REGISTRY_COLUMNS` (strings; empty string where unknown) plus
        ``registry_file``. ``attrs["synthetic"]`` is False.

    Raises
    ------
    InputError
        Every problem in every file, including case ids repeated across files.
    """
    from localise import provenance

    files = [Path(path) if path is not None else DEFAULT_REGISTRY]
    if extra is not None:
        files += [Path(extra)] if isinstance(extra, (str, os.PathLike)) else [Path(p) for p in extra]
    frames = []
    collectors = []
    for file in files:
        problems = ProblemCollector(file)
        if not file.is_file():
            problems.add(None, None, "file not found")
            collectors.append(problems)
            continue
        frame = _read(file)
        validate_registry(frame, file, problems)
        collectors.append(problems)
        for column in REGISTRY_COLUMNS:
            if column not in frame.columns:
                frame[column] = ""
        frame = frame[REGISTRY_COLUMNS].map(lambda v: str(v).strip())
        frame["registry_file"] = file.name
        frames.append(frame)
        provenance.record_input(file, synthetic=False, role="case registry")
    combined = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=REGISTRY_COLUMNS)
    if len(files) > 1 and not combined.empty:
        duplicated = combined[combined.duplicated("case_id", keep="first")]
        for _, row in duplicated.iterrows():
            collectors[-1].add(None, "case_id", f"case_id {row['case_id']!r} already defined in another registry file")
    _raise_all(collectors)
    combined.attrs["synthetic"] = False
    combined.attrs["source_note"] = "case registry: " + ", ".join(f.name for f in files)
    return combined


def _raise_all(collectors: list[ProblemCollector]) -> None:
    merged = ProblemCollector(", ".join(c.file for c in collectors if c) or "registry")
    for collector in collectors:
        merged.problems.extend(collector.problems)
    merged.raise_if_any()

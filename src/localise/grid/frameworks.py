"""National governance frameworks (WP2) coded on the grid, and the reforms table.

``data/national_frameworks.csv`` codes national frameworks on the ordinal grid
dimensions. Every code carries a rationale and a named reference (law or reform and its
year) and a ``valid_from`` year; a country can have several rows for one dimension when a
reform changed the framework. Dimensions without a supportable code are *not assessable*
(``NaN``) and are added by :func:`load_national_frameworks` with ``complete=True``.
These are national frameworks: local cases inherit them only when a coding sheet marks
a row ``inherited = TRUE`` (see :mod:`localise.grid.coding`), never silently.

``data/reforms.csv`` lists governance reforms (country, reform, year, grid dimensions
affected, description, legal reference and how the date was verified) that the impact
models use as treatment dates.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from localise.constants import LOCALISE_COUNTRIES
from localise.problems import ProblemCollector

__all__ = ["LOCALISE_COUNTRIES", "frameworks_matrix", "load_national_frameworks", "load_reforms"]

DATA_DIR = Path(__file__).with_name("data")
DEFAULT_FRAMEWORKS = DATA_DIR / "national_frameworks.csv"
DEFAULT_REFORMS = DATA_DIR / "reforms.csv"
NOT_CODED = "not assessable: no code supported by a named source in this file"


def _read_csv(file: Path, columns: list[str]) -> tuple[pd.DataFrame, ProblemCollector]:
    """Read ``file`` as strings; raise InputError if it is missing or lacks one of ``columns``.

    Returns the raw table and the collector to which row checks add their problems.
    """
    problems = ProblemCollector(file)
    if not file.is_file():
        problems.add(None, None, "file not found")
        problems.raise_if_any()
    raw = pd.read_csv(file, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in columns if c not in raw.columns]
    if missing:
        problems.add(1, ",".join(missing), f"missing column(s); expected {columns}")
        problems.raise_if_any()
    return raw, problems


def load_national_frameworks(
    path: str | os.PathLike[str] | None = None,
    *,
    as_of: int | None = None,
    complete: bool = True,
    countries: list[str] | None = None,
) -> pd.DataFrame:
    """National frameworks in long form.

    Parameters
    ----------
    path
        CSV file; default the shipped one.
    as_of
        When given, keep for each country × dimension the code in force in that year
        (the row with the largest ``valid_from <= as_of``).
    complete
        Add a "not assessable" row (``level = NaN``) for every ordinal codebook
        dimension without a code, for the countries in the file and the six LOCALISE
        countries.
    countries
        Restrict to these countries.

    Returns
    -------
    pandas.DataFrame
        Columns country, dimension, level (float, NaN = not assessable), valid_from
        (Int64), rationale, reference.
    """
    from localise import provenance
    from localise.grid.codebook import load_codebook

    file = Path(path) if path is not None else DEFAULT_FRAMEWORKS
    columns = ["country", "dimension", "level", "valid_from", "rationale", "reference"]
    raw, problems = _read_csv(file, columns)
    codebook = load_codebook()
    ordinal = codebook.ordinal_ids
    levels, years = _check_framework_rows(raw, ordinal, problems)
    problems.raise_if_any()
    table = raw[columns].copy()
    table["level"] = pd.Series(levels, dtype="float64")
    table["valid_from"] = pd.array(years, dtype="Int64")
    if as_of is not None:
        table = table[table["valid_from"].isna() | (table["valid_from"] <= as_of)]
        table = (
            table.sort_values(["country", "dimension", "valid_from"])
            .groupby(["country", "dimension"], as_index=False, sort=False)
            .tail(1)
        )
    if complete:
        table = _complete(table, ordinal)
    if countries is not None:
        table = table[table["country"].isin(countries)]
    order = {d: i for i, d in enumerate(ordinal)}
    table = (
        table.assign(_o=table["dimension"].map(order))
        .sort_values(["country", "_o", "valid_from"], na_position="first")
        .drop(columns="_o")
        .reset_index(drop=True)
    )
    table.attrs["synthetic"] = False
    table.attrs["source_note"] = f"national frameworks coded on the grid ({file.name}), as of {as_of or 'all years'}"
    provenance.record_input(file, synthetic=False, role="national frameworks")
    return table


def _check_framework_rows(
    raw: pd.DataFrame, ordinal: list[str], problems: ProblemCollector
) -> tuple[list[float], list[object]]:
    """Levels (NaN = not assessable) and ``valid_from`` years of the rows; problems are collected."""
    levels: list[float] = []
    years: list[object] = []
    for i, row in enumerate(raw.to_dict("records")):
        line = i + 2
        if row["dimension"] not in ordinal:
            problems.add(line, "dimension", f"unknown dimension {row['dimension']!r}; expected one of {ordinal}")
        text = row["level"].strip()
        level = np.nan
        if text not in ("", "NA"):
            try:
                level = float(text)
            except ValueError:
                level = np.nan
            if level not in (0, 1, 2, 3):
                problems.add(line, "level", f"expected 0, 1, 2, 3 or empty/NA (not assessable), got {text!r}")
                level = np.nan
            for column in ("rationale", "reference"):
                if not row[column].strip():
                    problems.add(line, column, f"a code needs a {column}")
        levels.append(level)
        try:
            years.append(int(row["valid_from"]) if row["valid_from"].strip() else pd.NA)
        except ValueError:
            problems.add(line, "valid_from", f"expected a year, got {row['valid_from']!r}")
            years.append(pd.NA)
    duplicated = raw.duplicated(["country", "dimension", "valid_from"], keep=False)
    for position in np.flatnonzero(duplicated.to_numpy()):
        problems.add(int(position) + 2, "valid_from", "repeats a country × dimension × valid_from of another row")
    return levels, years


def _complete(table: pd.DataFrame, ordinal: list[str]) -> pd.DataFrame:
    """Add a not-assessable row for every uncoded country × ordinal dimension (file and LOCALISE countries)."""
    all_countries = sorted(set(table["country"]) | set(LOCALISE_COUNTRIES))
    have = set(zip(table["country"], table["dimension"]))
    filler = [
        {"country": c, "dimension": d, "level": np.nan, "valid_from": pd.NA, "rationale": NOT_CODED, "reference": ""}
        for c in all_countries
        for d in ordinal
        if (c, d) not in have
    ]
    if not filler:
        return table
    extra = pd.DataFrame(filler)
    extra["valid_from"] = extra["valid_from"].astype("Int64")
    return pd.concat([table, extra], ignore_index=True)


def load_reforms(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Governance reforms usable as treatment dates.

    Returns
    -------
    pandas.DataFrame
        Columns country, reform, year (int), dimensions (str, e.g. ``"G2;G3"``),
        description, reference, verification (how the year was checked).
    """
    from localise import provenance
    from localise.grid.codebook import load_codebook

    file = Path(path) if path is not None else DEFAULT_REFORMS
    columns = ["country", "reform", "year", "dimensions", "description", "reference"]
    raw, problems = _read_csv(file, columns)
    ids = set(load_codebook().ids)
    years = []
    for i, row in enumerate(raw.to_dict("records")):
        line = i + 2
        for column in columns:
            if not row[column].strip():
                problems.add(line, column, f"empty {column}")
        try:
            years.append(int(row["year"]))
        except ValueError:
            problems.add(line, "year", f"expected a year, got {row['year']!r}")
            years.append(0)
        unknown = [d for d in row["dimensions"].split(";") if d.strip() and d.strip() not in ids]
        if unknown:
            problems.add(line, "dimensions", f"unknown dimension(s) {unknown}; expected ids from the codebook")
    problems.raise_if_any()
    table = raw.copy()
    table["year"] = pd.Series(years, dtype="int64")
    if "verification" not in table.columns:
        table["verification"] = ""
    table = table[[*columns, "verification"]].reset_index(drop=True)
    table.attrs["synthetic"] = False
    table.attrs["source_note"] = f"governance reforms ({file.name})"
    provenance.record_input(file, synthetic=False, role="reforms")
    return table


def frameworks_matrix(frameworks: pd.DataFrame) -> pd.DataFrame:
    """Countries × dimensions matrix of national codes (NaN = not assessable).

    ``frameworks`` must hold one code per country × dimension, e.g.
    ``load_national_frameworks(as_of=2012)``.
    """
    from localise.errors import InputError

    if frameworks.duplicated(["country", "dimension"]).any():
        raise InputError("frameworks: several codes per country × dimension; load them with as_of=<year>")
    matrix = frameworks.pivot(index="country", columns="dimension", values="level").astype(float)
    order = sorted(matrix.columns, key=lambda d: int("".join(ch for ch in d if ch.isdigit()) or 0))
    matrix = matrix[order]
    matrix.index.name, matrix.columns.name = "country", "dimension"
    matrix.attrs.update(frameworks.attrs)
    return matrix

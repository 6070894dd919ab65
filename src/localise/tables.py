"""One reader for every tabular input file (CSV or XLSX) given to a ``localise`` command.

:func:`read_table` is used by the grid, qca, indicators and cohesion commands, so
that the same rules hold everywhere:

* a missing path, a folder, an empty (0-byte) file, a binary file, text that is not
  UTF-8 (for instance latin-1), a workbook named ``.csv`` or a CSV named ``.xlsx``
  each raise :class:`~localise.errors.InputError` naming the file (and the line and
  byte for an encoding error) and what was expected;
* a header that repeats a column name is an error (pandas would otherwise rename
  the second copy silently, and the wrong copy would be read);
* invisible Unicode *format* characters (category ``Cf``: zero-width space, byte
  order mark, direction marks ...) are removed from every cell and header, and a
  :class:`InvisibleCharacterWarning` names the first cell where one was found;
  they would otherwise make ``"anna"`` and ``"anna\\u200b"`` two different coders.

:func:`check_finite` rejects ``inf`` and ``-inf`` in numeric columns, naming the row
and column (missing values stay missing; infinite values are never counted as data).
"""

from __future__ import annotations

import csv
import io
import math
import os
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from localise.errors import InputError
from localise.warnings import InvisibleCharacterWarning

__all__ = [
    "InvisibleCharacterWarning",
    "read_table",
    "read_text_file",
    "read_yaml_file",
    "check_finite",
    "strip_invisible",
    "check_number",
]

_TEXT_SUFFIXES = (".csv", ".txt")
_BOOK_SUFFIXES = (".xlsx", ".xlsm")
_ZIP_MAGIC = b"PK\x03\x04"
_BINARY_MAGIC = {
    b"\x1f\x8b": "a gzip archive",
    b"%PDF": "a PDF document",
    b"\xd0\xcf\x11\xe0": "an old .xls workbook",
    b"PAR1": "a Parquet file",
    b"\x89PNG": "a PNG image",
}


def strip_invisible(text: str) -> tuple[str, int]:
    """Return ``text`` in NFC form without Unicode format characters, and how many were removed."""
    removed = sum(unicodedata.category(ch) == "Cf" for ch in text)
    if removed:
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return unicodedata.normalize("NFC", text), removed


def _check_file(path: Path, what: str) -> bytes:
    if not path.exists():
        raise InputError(f"{path}: {what} not found")
    if path.is_dir():
        raise InputError(f"{path}: is a folder; expected a {what} file (.csv or .xlsx)")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot read the {what} ({error.strerror})") from None
    if not data.strip():
        raise InputError(f"{path}: the file is empty ({len(data)} bytes); expected a {what} with a header row")
    return data


def _format_of(path: Path, data: bytes, what: str) -> str:
    """``"csv"`` or ``"xlsx"`` from the content, checked against the file name."""
    suffix = path.suffix.lower()
    is_zip = data.startswith(_ZIP_MAGIC)
    if suffix in _BOOK_SUFFIXES:
        if not is_zip:
            looks = "CSV text" if _looks_like_text(data) else "not a workbook"
            raise InputError(
                f"{path}: named {suffix} but the content is {looks}; expected an XLSX workbook "
                f"(if it is a CSV file, rename it to {path.stem}.csv)"
            )
        return "xlsx"
    if suffix in _TEXT_SUFFIXES:
        if is_zip:
            raise InputError(
                f"{path}: named {suffix} but the content is a ZIP archive (an XLSX workbook?); expected CSV text "
                f"(rename it to {path.stem}.xlsx or export it as CSV)"
            )
        return "csv"
    raise InputError(
        f"{path}: unsupported file type {suffix or '(no extension)'!r}; expected a {what} as .csv or .xlsx"
    )


def _looks_like_text(data: bytes) -> bool:
    head = data[:4096]
    return b"\x00" not in head and not any(head.startswith(m) for m in _BINARY_MAGIC)


def _decode(path: Path, data: bytes, what: str) -> str:
    for magic, kind in _BINARY_MAGIC.items():
        if data.startswith(magic):
            raise InputError(f"{path}: the content is {kind}, not text; expected a {what} as UTF-8 CSV")
    if b"\x00" in data[:65536]:
        offset = data.index(b"\x00")
        line = data[:offset].count(b"\n") + 1
        raise InputError(
            f"{path}: binary content (NUL byte at line {line}, byte {offset}); expected a {what} as UTF-8 CSV text"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        bad = data[error.start : error.start + 1].hex()
        raise InputError(
            f"{path}: line {line}: byte 0x{bad} at offset {error.start} is not UTF-8 "
            f"(the file may be latin-1 or Windows-1252); expected a {what} saved as UTF-8"
        ) from None


def _check_header(path: Path, header: Sequence[Any], what: str) -> list[str]:
    names = ["" if h is None else str(h).strip() for h in header]
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if not name:
            continue
        if name in seen:
            raise InputError(
                f"{path}:1:{name}: column {name!r} appears twice in the header (columns {seen[name]} and {position}); "
                f"expected each column of the {what} once"
            )
        seen[name] = position
    return names


def _warn_invisible(path: Path, where: str, count: int) -> None:
    warnings.warn(
        f"{path}: removed {count} invisible Unicode format character(s) (e.g. zero-width space), first at {where}",
        InvisibleCharacterWarning,
        stacklevel=3,
    )


def _read_csv_text(path: Path, text: str, what: str, **kwargs: Any) -> pd.DataFrame:
    cleaned, removed = strip_invisible(text)
    if removed:
        first = next(i for i, ch in enumerate(text) if unicodedata.category(ch) == "Cf")
        _warn_invisible(path, f"line {text[:first].count(chr(10)) + 1}", removed)
    try:
        header = next(csv.reader(io.StringIO(cleaned)))
    except (StopIteration, csv.Error) as error:
        raise InputError(f"{path}: no header row ({error}); expected a {what} with a header row") from None
    _check_header(path, header, what)
    try:
        frame = pd.read_csv(io.StringIO(cleaned), **kwargs)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: no columns; expected a {what} with a header row") from None
    except (pd.errors.ParserError, ValueError) as error:
        raise InputError(f"{path}: cannot parse as CSV ({str(error).strip()}); expected a {what}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _read_book(path: Path, data: bytes, what: str, sheet: str | None) -> list[list[Any]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise InputError(f"{path}: not a readable XLSX workbook ({error}); expected a {what}") from None
    except Exception as error:  # noqa: BLE001 - openpyxl raises its own InvalidFileException
        raise InputError(f"{path}: not a readable XLSX workbook ({error}); expected a {what}") from None
    try:
        ws = book[sheet] if sheet and sheet in book.sheetnames else book.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        book.close()
    removed, where = 0, ""
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if isinstance(value, str):
                clean, n = strip_invisible(value)
                if n:
                    removed += n
                    where = where or f"row {i + 1}, column {j + 1}"
                    row[j] = clean
    if removed:
        _warn_invisible(path, where, removed)
    return rows


def read_table(
    path: str | os.PathLike[str],
    *,
    what: str = "table",
    as_text: bool = False,
    sheet: str | None = None,
    **csv_options: Any,
) -> pd.DataFrame:
    """Read a CSV or XLSX input file under the rules of this module.

    Parameters
    ----------
    path
        ``.csv`` (UTF-8 text) or ``.xlsx``/``.xlsm`` file.
    what
        What the file is (``"coding sheet"``, ``"indicator table"`` ...), used in messages.
    as_text
        Return every cell as a string, blank cells as ``""`` (sheets checked cell by cell).
    sheet
        Preferred worksheet of a workbook (default: the first).
    **csv_options
        Passed to :func:`pandas.read_csv` for CSV files (ignored when ``as_text``).

    Raises
    ------
    InputError
        Naming the file, and the line, byte or column, for every case listed in the module docstring.
    """
    file = Path(path)
    data = _check_file(file, what)
    kind = _format_of(file, data, what)
    if kind == "csv":
        text = _decode(file, data, what)
        options = {"dtype": str, "keep_default_na": False} if as_text else csv_options
        return _read_csv_text(file, text, what, **options)
    rows = _read_book(file, data, what, sheet)
    rows = [r for r in rows if any(v is not None and str(v).strip() for v in r)]
    if not rows:
        raise InputError(f"{file}: the workbook has no rows; expected a {what} with a header row")
    header = _check_header(file, rows[0], what)
    body = [["" if v is None else _cell_text(v) for v in r] for r in rows[1:]]
    frame = pd.DataFrame(body, columns=header, dtype=str)
    if not as_text:
        frame = frame.replace("", np.nan).apply(_maybe_numeric)
    return frame


def read_text_file(path: str | os.PathLike[str], *, what: str) -> str:
    """Text of a UTF-8 file (YAML model, codebook ...) under the same rules as :func:`read_table`.

    A missing, empty, binary or non-UTF-8 file raises :class:`InputError` naming the file
    (and line and byte); invisible format characters are removed with a warning.
    """
    file = Path(path)
    data = _check_file(file, what)
    if data.startswith(_ZIP_MAGIC):
        raise InputError(f"{file}: the content is a ZIP archive (an XLSX workbook?); expected a {what} as UTF-8 text")
    text = _decode(file, data, what)
    cleaned, removed = strip_invisible(text)
    if removed:
        first = next(i for i, ch in enumerate(text) if unicodedata.category(ch) == "Cf")
        _warn_invisible(file, f"line {text[:first].count(chr(10)) + 1}", removed)
    return cleaned


def read_yaml_file(path: str | os.PathLike[str], *, what: str) -> Any:
    """Parsed content of a YAML file read with :func:`read_text_file`.

    Raises
    ------
    InputError
        As :func:`read_text_file`, and ``"<path>: not valid YAML (<parser message>)"``.
    """
    import yaml

    try:
        return yaml.safe_load(read_text_file(path, what=what))
    except yaml.YAMLError as error:
        raise InputError(f"{path}: not valid YAML ({error})") from None


def _maybe_numeric(column: pd.Series) -> pd.Series:
    converted = pd.to_numeric(column, errors="coerce")
    return converted if converted.notna().sum() == column.notna().sum() else column


def _cell_text(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_finite(
    frame: pd.DataFrame, columns: Iterable[str] | None = None, *, source: str, unit_label: str = "row"
) -> None:
    """Raise :class:`InputError` naming every infinite value in the numeric ``columns`` of ``frame``.

    Missing values (NaN) are allowed: they are reported as missing by the caller.
    ``inf``/``-inf`` are never data: they come from a division by zero or a typing
    error upstream, and would otherwise pass as a valid, extreme observation.
    """
    columns = list(frame.columns) if columns is None else list(columns)
    bad = []
    for col in columns:
        values = pd.to_numeric(frame[col], errors="coerce") if col in frame else None
        if values is None:
            continue
        mask = np.isinf(values.to_numpy(dtype=float))
        for label in frame.index[mask][:5]:
            bad.append(f"{unit_label} {label!r}, column {col!r}: {values[label]}")
    if bad:
        raise InputError(f"{source}: infinite value(s), expected finite numbers or an empty cell: " + "; ".join(bad))


def check_number(value: float, *, name: str, low: float, high: float, expected: str = "") -> float:
    """Return ``value`` if it is finite and in ``[low, high]``; else raise :class:`InputError` naming ``name``."""
    if value is None or not isinstance(value, (int, float)) or not math.isfinite(value) or not low <= value <= high:
        raise InputError(f"{name}: expected a finite number in [{low:g}, {high:g}]{expected}, got {value!r}")
    return float(value)

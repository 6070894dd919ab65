"""Parser of Eurostat bulk-download TSV files (vectorised).

A bulk TSV file looks like this (old style, before 2023)::

    unit,sex,age,geo\\time<TAB>2015 <TAB>2014 ...
    THS,F,Y15-24,AT<TAB>236.2 <TAB>243.6 b ...

or (new SDMX-TSV style of the dissemination API)::

    freq,unit,sex,geo\\TIME_PERIOD<TAB>2014 <TAB>2015 ...
    A,PC,F,AT11<TAB>: u<TAB>5.5 u ...

The first header cell packs the dimension names (read from the header: their number
and order vary from table to table; the last one is the geo dimension). The other
header cells are periods -- annual ``2015``, quarterly ``2015Q1``/``2015-Q1``, monthly
``2015M01``/``2015-01``, semesters ``2015S1``, daily ``2015-01-31`` -- newest or
oldest first. A cell is a number, or ``:`` (no value), optionally followed by a space
and one or more flag letters (``9.4 b``, ``: bu``).

:func:`read_eurostat_tsv` returns a tidy frame with one row per cell: the dimension
columns, ``geo``, ``time`` (a normalised period label, see :func:`normalise_period`),
``value`` (float, NaN for ``:``) and ``flags`` (the flag letters, ``""`` when none).
Every cell is kept, missing ones too, so flags such as ``: c`` (confidential) survive.
The label columns (dimensions, ``geo``, ``time``, ``flags``) are pandas categoricals of
strings: they compare, filter and group like strings, and ``.astype(str)`` gives plain
strings.

Hand-written rather than using ``pandas.read_csv`` + ``melt`` + a per-cell split: the
work is done on whole Arrow columns (``pyarrow.csv`` reader and ``pyarrow.compute``
regular expressions), which is several times faster (``benchmarks/bench_parser.py``)
and lets us report the exact line and period of any malformed cell.
"""

from __future__ import annotations

import functools
import gzip
import io
import os
import re
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from localise.errors import InputError

__all__ = ["FLAG_CODES", "read_eurostat_tsv", "parse_eurostat_bytes", "normalise_period", "read_extract"]

#: Eurostat observation flags (Eurostat's published list; see eurostat_flag_codes.csv in the mirror).
FLAG_CODES: dict[str, str] = {
    "b": "break in time series",
    "c": "confidential",
    "d": "definition differs, see metadata",
    "e": "estimated",
    "f": "forecast",
    # SDMX observation status "M" (missing value; data cannot exist), used by newer Eurostat
    # bulk files on empty cells (mirror: eurostat/ilc_peps11_2003_2020.tsv.gz, ": m").
    "m": "missing value; data cannot exist",
    "n": "not significant",
    "p": "provisional",
    "r": "revised",
    "s": "Eurostat estimate",
    "u": "low reliability",
    "z": "not applicable",
}

_CELL = re.compile(r"^(?P<num>:|[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)(?:\s*(?P<flags>[a-z]+))?$|^$")
_PERIOD_PATTERNS = [
    (re.compile(r"^(\d{4})$"), "A", lambda m: m.group(1)),
    (re.compile(r"^(\d{4})-?Q([1-4])$"), "Q", lambda m: f"{m.group(1)}Q{m.group(2)}"),
    (re.compile(r"^(\d{4})-?S([12])$"), "S", lambda m: f"{m.group(1)}S{m.group(2)}"),
    (re.compile(r"^(\d{4})-?M(\d{2})$"), "M", lambda m: f"{m.group(1)}M{m.group(2)}"),
    (re.compile(r"^(\d{4})-(\d{2})$"), "M", lambda m: f"{m.group(1)}M{m.group(2)}"),
    (re.compile(r"^(\d{4})-?W(\d{2})$"), "W", lambda m: f"{m.group(1)}W{m.group(2)}"),
    (re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})$"), "D", lambda m: f"{m.group(1)}-{m.group(2)}-{m.group(3)}"),
    (re.compile(r"^(\d{4})M(\d{2})D(\d{2})$"), "D", lambda m: f"{m.group(1)}-{m.group(2)}-{m.group(3)}"),
]


def normalise_period(label: str) -> tuple[str, str]:
    """Return ``(frequency, normalised label)`` of a period header.

    Annual ``"2015"``; quarterly ``"2015Q1"``; semester ``"2015S1"``; monthly
    ``"2015M01"``; weekly ``"2015W01"``; daily ``"2015-01-31"``. Both old (``2015Q1``,
    ``2015M01``) and new (``2015-Q1``, ``2015-01``) spellings are accepted.

    Raises
    ------
    ValueError
        If the label is not a period.
    """
    text = label.strip()
    for pattern, freq, build in _PERIOD_PATTERNS:
        match = pattern.match(text)
        if match:
            return freq, build(match)
    raise ValueError(f"{label!r} is not a period label")


def _decompress(raw: bytes, source: str) -> bytes:
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as error:
            raise InputError(
                f"{source}: the gzip stream is truncated or corrupt ({error}); expected a complete "
                ".tsv.gz file from Eurostat's bulk download (re-fetch it)"
            ) from error
    return raw


def _header(first_line: str, source: str) -> tuple[list[str], str, list[str]]:
    cells = first_line.rstrip("\r\n").split("\t")
    head = cells[0].strip()
    lowered = head.lower()
    if lowered.startswith(("<!doctype", "<html", "<?xml", "<")) or "<html" in first_line.lower():
        raise InputError(
            f"{source}:1: the file is an HTML/XML page, not Eurostat data; expected a tab-separated header "
            "like 'unit,sex,geo\\time' (old style) or 'freq,unit,geo\\TIME_PERIOD' (new style) -- "
            "the download probably returned an error page"
        )
    if "\\" not in head or not re.fullmatch(r"[A-Za-z0-9_,\-]+\\(time|TIME_PERIOD)", head, flags=re.IGNORECASE):
        raise InputError(
            f"{source}:1: first header cell {head[:80]!r} is not a Eurostat bulk TSV header; expected "
            "'dim1,dim2,...,geo\\time' (old style) or 'freq,...,geo\\TIME_PERIOD' (new style)"
        )
    dims_part = head.split("\\")[0]
    dims = [d.strip() for d in dims_part.split(",")]
    if any(not d for d in dims):
        raise InputError(f"{source}:1: empty dimension name in header cell {head!r}")
    if len(set(dims)) != len(dims):
        raise InputError(f"{source}:1: repeated dimension name in header cell {head!r}")
    if len(cells) < 2:
        raise InputError(f"{source}:1: header has no period columns; expected tab-separated periods after {head!r}")
    periods = []
    for k, cell in enumerate(cells[1:], start=2):
        try:
            periods.append(normalise_period(cell))
        except ValueError:
            raise InputError(
                f"{source}:1: header column {k} {cell!r} is not a period; expected e.g. '2015', '2015Q1', "
                "'2015-Q1', '2015M01' or '2015-01'"
            ) from None
    labels = [p[1] for p in periods]
    if len(set(labels)) != len(labels):
        dup = sorted({x for x in labels if labels.count(x) > 1})
        raise InputError(f"{source}:1: period columns {dup} occur more than once in the header")
    return dims, cells[0], labels


def parse_eurostat_bytes(raw: bytes, *, source: str = "<bytes>", check_flags: bool = True) -> pd.DataFrame:
    """Parse the content of a Eurostat bulk TSV file (gzip or plain) into a tidy frame.

    Parameters
    ----------
    raw
        File content; gzip is detected from its magic bytes.
    source
        Name used in error messages (the file path).
    check_flags
        Reject flag letters outside :data:`FLAG_CODES`.

    Returns
    -------
    DataFrame
        Columns: the dimensions named in the header (the geo dimension renamed ``geo``),
        ``time``, ``value`` (float64, NaN for ``:``), ``flags``; label columns are
        categoricals of strings. One row
        per cell, ordered by the file's row order then ascending period.
        ``attrs["dimensions"]``, ``attrs["frequencies"]`` and ``attrs["header_style"]``
        describe the file.

    Raises
    ------
    InputError
        For a truncated gzip stream, an HTML page, a wrong header, a malformed or
        non-numeric cell, an unknown flag or duplicate rows; the message names the
        file, the line and what was expected.
    """
    data = _decompress(raw, source)
    dims, head_cell, labels, body = _header_and_body(data, source)
    header_style = "new" if head_cell.strip().lower().endswith("time_period") else "old"
    geo_name = dims[-1]
    n_periods = len(labels)
    table = _read_cells(body, n_periods, source)
    n_rows = table.num_rows
    dim_arrays = _key_codes(table.column("__key__").combine_chunks(), dims, source)

    # Cells, period by period in ascending period order, then reordered series-major.
    order = sorted(range(n_periods), key=lambda k: labels[k])
    cells = pa.concat_arrays([table.column(f"__p{k}__").combine_chunks() for k in order])
    values, flags = _split_cells(cells, n_rows, [labels[k] for k in order], source, check_flags)

    # Series-major output: row r of the file, then its periods in ascending order.
    # Dimensions, periods and flags are categoricals (integer codes into few labels),
    # which avoids copying ~10^6 short strings per column.
    take = (np.arange(n_periods)[None, :] * n_rows + np.arange(n_rows)[:, None]).ravel()
    row_of_cell = np.repeat(np.arange(n_rows), n_periods)
    out: dict[str, object] = {}
    for name in dims:
        codes, categories = _encode(dim_arrays[name])
        out["geo" if name == geo_name else name] = pd.Categorical.from_codes(codes[row_of_cell], categories=categories)
    sorted_labels = [labels[k] for k in order]
    out["time"] = pd.Categorical.from_codes(
        np.tile(np.arange(n_periods, dtype=np.int32), n_rows), categories=sorted_labels
    )
    out["value"] = values.to_numpy(zero_copy_only=False)[take]
    flag_codes, flag_categories = _encode(flags)
    out["flags"] = pd.Categorical.from_codes(flag_codes[take], categories=flag_categories)
    df = pd.DataFrame(out)
    df.attrs = {
        "dimensions": ["geo" if d == geo_name else d for d in dims],
        "frequencies": sorted({normalise_period(x)[0] for x in labels}),
        "header_style": header_style,
        "source": source,
    }
    return df


def _header_and_body(data: bytes, source: str) -> tuple[list[str], str, list[str], bytes]:
    """Split decompressed file content into the parsed header and the bytes of the data rows."""
    if not data.strip():
        raise InputError(f"{source}: the file is empty; expected a Eurostat bulk TSV header and rows")
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    newline = data.find(b"\n")
    first = data if newline < 0 else data[:newline]
    try:
        first_line = first.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{source}:1: header is not UTF-8 text ({error}); expected a Eurostat TSV") from error
    dims, head_cell, labels = _header(first_line, source)
    body = b"" if newline < 0 else data[newline + 1 :]
    if not body.strip():
        raise InputError(f"{source}: no data rows after the header")
    return dims, head_cell, labels, body


def _read_cells(body: bytes, n_periods: int, source: str) -> pa.Table:
    """The data rows as a table of strings: ``__key__`` and one ``__p<k>__`` column per period."""
    column_names = ["__key__"] + [f"__p{k}__" for k in range(n_periods)]
    try:
        return pacsv.read_csv(
            io.BytesIO(body),
            read_options=pacsv.ReadOptions(column_names=column_names, use_threads=True),
            parse_options=pacsv.ParseOptions(delimiter="\t", quote_char=False, escape_char=False),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in column_names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        message = str(error)
        match = re.search(r"Expected (\d+) columns, got (\d+)", message)
        line = _line_of_error(body, n_periods + 1)
        where = f"{source}:{line}" if line else source
        if match:
            raise InputError(
                f"{where}: row has {match.group(2)} tab-separated fields; expected {n_periods + 1} "
                f"(the key cell and one cell per period of the header)"
            ) from error
        raise InputError(f"{where}: cannot read the table ({message.splitlines()[0]})") from error


def _key_codes(keys: pa.Array, dims: list[str], source: str) -> dict[str, pa.Array]:
    """The codes of each dimension, split from the key cells; rejects malformed and duplicate keys."""
    n_rows = len(keys)
    key_parts = pc.split_pattern(keys, ",")
    part_counts = pc.list_value_length(key_parts).to_numpy(zero_copy_only=False)
    bad = np.flatnonzero(part_counts != len(dims))
    if bad.size:
        i = int(bad[0])
        raise InputError(
            f"{source}:{i + 2}: key cell {keys[i].as_py()!r} has {int(part_counts[i])} comma-separated codes; "
            f"expected {len(dims)} ({','.join(dims)})"
        )
    flat = pc.list_flatten(key_parts)
    dim_arrays = {}
    for j, name in enumerate(dims):
        idx = pa.array(np.arange(j, n_rows * len(dims), len(dims)))
        dim_arrays[name] = pc.utf8_trim_whitespace(pc.take(flat, idx))

    # Duplicate series (same combination of codes) -> error naming both lines.
    key_np = pc.utf8_trim_whitespace(keys).to_numpy(zero_copy_only=False)
    uniq, first_idx, counts = np.unique(key_np, return_index=True, return_counts=True)
    if (counts > 1).any():
        dup_key = uniq[counts > 1][0]
        lines = np.flatnonzero(key_np == dup_key)[:2] + 2
        raise InputError(
            f"{source}:{lines[1]}: duplicate row {dup_key!r} (also on line {lines[0]}); expected one row per "
            "combination of dimension codes"
        )
    return dim_arrays


def _encode(arr: pa.Array) -> tuple[np.ndarray, list[str]]:
    """Integer codes and distinct labels of a string array (Arrow dictionary encoding)."""
    encoded = pc.dictionary_encode(arr)
    return encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary.to_pylist()


def _split_cells(
    cells: pa.Array, n_rows: int, period_labels: list[str], source: str, check_flags: bool
) -> tuple[pa.Array, pa.Array]:
    """Split cells ``'9.4 b'`` into values (float, null for ``:``) and flags, vectorised.

    Each trimmed cell is split once at its first space (Arrow ``split_pattern``); the
    number part is cast to float in one call. Only when that cast fails is the slower
    regular expression run, to report the first offending cell with its line.
    """
    trimmed = pc.ascii_trim_whitespace(cells)
    parts = pc.split_pattern(trimmed, " ", max_splits=1)
    offsets = parts.offsets.to_numpy()
    flat = parts.values
    starts = offsets[:-1]
    has_flags = (offsets[1:] - starts) == 2
    num = pc.take(flat, pa.array(starts))
    flags = pc.take(flat, pa.array(starts + 1, mask=~has_flags)).fill_null("")
    missing = pc.or_(pc.equal(num, ":"), pc.equal(num, ""))
    try:
        values = pc.cast(pc.if_else(missing, pa.scalar(None, pa.string()), num), pa.float64())
        valid = True
    except pa.ArrowInvalid:
        valid = False
    if valid:
        distinct = [f for f in pc.unique(flags).to_pylist() if not re.fullmatch(r"[a-z]*", f)]
        valid = not distinct
    if not valid:
        bad = pc.invert(pc.match_substring_regex(trimmed, _CELL.pattern)).to_numpy(zero_copy_only=False)
        pos = int(np.flatnonzero(bad)[0])
        k, i = divmod(pos, n_rows)
        raise InputError(
            f"{source}:{i + 2}: cell {trimmed[pos].as_py()!r} in period column {period_labels[k]!r} is not "
            "a number or ':' optionally followed by flag letters; expected e.g. '9.4', '9.4 b', ': u'"
        )
    if check_flags:
        allowed = set(FLAG_CODES)
        unknown = [f for f in pc.unique(flags).to_pylist() if set(f) - allowed]
        if unknown:
            bad = pc.is_in(flags, value_set=pa.array(unknown)).to_numpy(zero_copy_only=False)
            pos = int(np.flatnonzero(bad)[0])
            k, i = divmod(pos, n_rows)
            raise InputError(
                f"{source}:{i + 2}: unknown flag(s) {flags[pos].as_py()!r} in period column "
                f"{period_labels[k]!r}; expected letters among {''.join(FLAG_CODES)}"
            )
    return values, flags


def _line_of_error(body: bytes, expected_fields: int) -> int | None:
    """Line number (1-based, header = 1) of the first body row with a wrong field count."""
    for i, line in enumerate(body.split(b"\n"), start=2):
        if line.strip() and line.count(b"\t") + 1 != expected_fields:
            return i
    return None


def read_eurostat_tsv(path: str | os.PathLike[str], *, check_flags: bool = True) -> pd.DataFrame:
    """Read a Eurostat bulk TSV file (``.tsv`` or ``.tsv.gz``) into a tidy frame.

    See :func:`parse_eurostat_bytes` for the output and the errors.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found; expected a Eurostat bulk TSV file") from None
    return parse_eurostat_bytes(raw, source=str(path), check_flags=check_flags)


@functools.lru_cache(maxsize=2)
def _read_extract_file(path: str, mtime_ns: int, size: int) -> pd.DataFrame:
    """The whole extract as strings, cached per file version (it holds 22 tables)."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except (EOFError, OSError, zlib.error, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read the extract ({error}); expected a gzip CSV") from error


def read_extract(path: str | os.PathLike[str], table: str) -> pd.DataFrame:
    """Rows of one table of the 2020 long-format extract (``eurostat_22_tables_long_*.csv.gz``).

    The extract has no flags (the R ``eurostat`` package drops them): ``flags`` is
    ``""``. Returns the table's non-empty dimension columns plus ``geo``, ``time``
    (str), ``value`` and ``flags``.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found; expected the 2020 long-format Eurostat extract") from None
    df = _read_extract_file(str(path), stat.st_mtime_ns, stat.st_size)
    required = {"geo", "time", "values", "input_var_code"}
    if not required <= set(df.columns):
        raise InputError(f"{path}: columns {sorted(required - set(df.columns))} missing; expected {sorted(required)}")
    sub = df[df["input_var_code"] == table]
    if sub.empty:
        raise InputError(f"{path}: no rows of table {table!r}; expected one of {sorted(df['input_var_code'].unique())}")
    skip = {"geo", "time", "values", "input_var_code", "input_var_desc"}
    dims = [c for c in sub.columns if c not in skip and (sub[c] != "").any()]
    out = sub[dims + ["geo", "time"]].copy()
    values = pd.to_numeric(sub["values"].replace({"NA": ""}), errors="coerce")
    bad = sub["values"].ne("") & sub["values"].ne("NA") & values.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"{path}:{sub.index[i] + 2}: value {sub['values'].iloc[i]!r} is not numeric")
    out["value"] = values.astype(float)
    out["flags"] = ""
    out["time"] = [normalise_period(t)[1] for t in out["time"]]
    return out.reset_index(drop=True)

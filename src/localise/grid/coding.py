"""Coding workflow: blank coding sheets, validation of filled sheets, merging coders' sheets.

A coding sheet has one row per case × dimension × coder with the columns
:data:`SHEET_COLUMNS`. ``level`` holds 0-3 for ordinal dimensions, a category name for
the mode of governance, or ``NA`` for *not assessable* (which is never the same as 0).
A row may instead set ``inherited = TRUE`` and leave ``level`` empty: the case then takes
the national framework's code for that dimension (explicitly, never silently).

Row numbers in messages are spreadsheet rows: the header is row 1.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from localise.atomic import atomic_path
from localise.errors import InputError
from localise.grid.codebook import NOT_ASSESSABLE, Codebook, Dimension
from localise.outputs import plain_name
from localise.problems import Problem, ProblemCollector
from localise.results import Results

__all__ = [
    "SHEET_COLUMNS",
    "MergeResult",
    "template_frame",
    "write_template",
    "read_sheet",
    "check_sheet",
    "merge_sheets",
    "consensus",
    "write_illustrative_sheets",
]

#: Columns of a coding sheet; ``case_name`` and ``dimension_name`` are for the reader only.
SHEET_COLUMNS = [
    "case_id",
    "case_name",
    "dimension",
    "dimension_name",
    "coder",
    "level",
    "rationale",
    "source_reference",
    "inherited",
]
_REQUIRED = ["case_id", "dimension", "coder", "level", "rationale", "source_reference"]
_NA_SPELLINGS = {"na", "n/a", "not assessable"}
_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n", ""}


# --------------------------------------------------------------------------- template
def template_frame(
    cases: Sequence[str],
    coders: Sequence[str],
    *,
    codebook: Codebook,
    registry: pd.DataFrame,
    dimensions: Sequence[str] | None = None,
) -> pd.DataFrame:
    """A blank coding sheet as a frame (one row per case × dimension × coder)."""
    names = dict(zip(registry["case_id"], registry["name"]))
    unknown = [c for c in cases if c not in names]
    problems = ProblemCollector("template request")
    if unknown:
        problems.add(None, "cases", f"unknown case id(s) {unknown}; known: {sorted(names)}")
    if not cases:
        problems.add(None, "cases", "give at least one case id")
    if not coders or any(not str(c).strip() for c in coders):
        problems.add(None, "coders", "give at least one non-empty coder name")
    for coder in coders:
        try:
            plain_name(coder, what="coder")
        except InputError as error:
            problems.add(None, "coders", str(error))
    dims = list(dimensions) if dimensions is not None else codebook.ids
    bad_dims = [d for d in dims if d not in codebook]
    if bad_dims:
        problems.add(None, "dimensions", f"unknown dimension(s) {bad_dims}; codebook has {codebook.ids}")
    problems.raise_if_any()
    rows = [
        {
            "case_id": case,
            "case_name": names[case],
            "dimension": dim,
            "dimension_name": codebook[dim].name,
            "coder": coder,
            "level": "",
            "rationale": "",
            "source_reference": "",
            "inherited": "FALSE",
        }
        for coder in coders
        for case in cases
        for dim in dims
    ]
    frame = pd.DataFrame(rows, columns=SHEET_COLUMNS)
    frame.attrs["codebook_version"] = codebook.version
    return frame


def write_template(
    cases: Sequence[str],
    coders: Sequence[str],
    *,
    codebook: Codebook,
    registry: pd.DataFrame,
    csv_path: str | os.PathLike[str] | None = None,
    xlsx_path: str | os.PathLike[str] | None = None,
    dimensions: Sequence[str] | None = None,
) -> list[Path]:
    """Write a blank coding sheet as CSV and/or XLSX (with drop-down validation).

    The XLSX file has the sheet ``coding`` (drop-downs: allowed codes per dimension,
    TRUE/FALSE for ``inherited``), ``codebook`` (anchors) and ``cases`` (registry rows).
    Nothing is written when the request is invalid. Returns the files written.
    """
    frame = template_frame(cases, coders, codebook=codebook, registry=registry, dimensions=dimensions)
    if csv_path is None and xlsx_path is None:
        raise InputError("give csv_path and/or xlsx_path")
    written = []
    if csv_path is not None:
        target = Path(csv_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as tmp:
            frame.to_csv(tmp, index=False, encoding="utf-8")
        written.append(target)
    if xlsx_path is not None:
        target = Path(xlsx_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as tmp:
            _write_xlsx(frame, tmp, codebook=codebook, registry=registry)
        written.append(target)
    return written


def _write_xlsx(frame: pd.DataFrame, path: Path, *, codebook: Codebook, registry: pd.DataFrame) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = "coding"
    sheet.append(SHEET_COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in frame.itertuples(index=False):
        sheet.append(list(row))
    level_col = chr(ord("A") + SHEET_COLUMNS.index("level"))
    inherited_col = chr(ord("A") + SHEET_COLUMNS.index("inherited"))
    validations: dict[str, DataValidation] = {}
    for i, dim in enumerate(frame["dimension"], start=2):
        codes = ",".join(codebook[dim].allowed_codes)
        if codes not in validations:
            validation = DataValidation(type="list", formula1=f'"{codes}"', allow_blank=True)
            validation.error = f"Choose one of {codes} ({NOT_ASSESSABLE} = not assessable)"
            validation.errorTitle = "Invalid level"
            validation.prompt = f"Allowed: {codes}; {NOT_ASSESSABLE} = not assessable (not the same as 0)"
            validations[codes] = validation
            sheet.add_data_validation(validation)
        validations[codes].add(f"{level_col}{i}")
    if len(frame):
        flag = DataValidation(type="list", formula1='"TRUE,FALSE"', allow_blank=True)
        flag.error = "TRUE to inherit the national framework's code, else FALSE"
        sheet.add_data_validation(flag)
        flag.add(f"{inherited_col}2:{inherited_col}{len(frame) + 1}")
    widths = {"case_name": 28, "dimension_name": 40, "rationale": 60, "source_reference": 40}
    for j, column in enumerate(SHEET_COLUMNS):
        sheet.column_dimensions[chr(ord("A") + j)].width = widths.get(column, 12)
    sheet.freeze_panes = "A2"
    anchors = book.create_sheet("codebook")
    table = codebook.to_frame()
    anchors.append(list(table.columns))
    for row in table.itertuples(index=False):
        anchors.append(list(row))
    cases = book.create_sheet("cases")
    columns = [c for c in registry.columns if c != "registry_file"]
    cases.append(columns)
    for row in registry[columns].itertuples(index=False):
        cases.append(list(row))
    book.properties.creator = "localise"
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(_deterministic_xlsx(buffer.getvalue()))


#: Time stamped into the XLSX document properties and zip entries, so that two writes
#: of the same template give identical bytes (openpyxl stamps the current time).
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_CORE_TIME = re.compile(rb"(<dcterms:(?:created|modified)\b[^>]*>)[^<]*(</dcterms:(?:created|modified)>)")


def _deterministic_xlsx(data: bytes) -> bytes:
    """Rewrite an XLSX archive with fixed creation/modification times.

    openpyxl always sets ``modified`` to the current time on save and zips each part
    with the current time; both are replaced by :data:`_FIXED_TIME`. Parts and their
    order are kept.
    """
    stamp = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format(*_FIXED_TIME).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "docProps/core.xml":
                content = _CORE_TIME.sub(rb"\g<1>" + stamp + rb"\g<2>", content)
            info = zipfile.ZipInfo(item.filename, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = item.external_attr
            target.writestr(info, content)
    return out.getvalue()


# --------------------------------------------------------------------------- reading
def read_sheet(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a coding sheet (CSV or XLSX, first sheet or the sheet ``coding``) as strings.

    Read with :func:`localise.tables.read_table`: empty, binary, non-UTF-8 or misnamed
    files and repeated column names raise :class:`InputError`; invisible format
    characters (zero-width spaces) are removed with a warning.
    """
    from localise.tables import read_table

    return read_table(path, what="coding sheet", as_text=True, sheet="coding")


# --------------------------------------------------------------------------- checking
def check_sheet(
    path: str | os.PathLike[str],
    *,
    codebook: Codebook,
    registry: pd.DataFrame,
    frameworks: pd.DataFrame | None = None,
    problems: ProblemCollector | None = None,
) -> pd.DataFrame:
    """Validate a filled coding sheet against the codebook and the registry.

    Every problem is collected; at the end an :class:`InputError` lists them all with
    file, row and column (unless ``problems`` is given, in which case the caller raises).
    Checks: required columns; unknown case or dimension; empty coder; level outside
    0-3 / the categories / ``NA``; a level without rationale or source reference;
    ``inherited`` not TRUE/FALSE, inherited rows with a level, or without a national
    code to inherit; duplicate case × dimension × coder rows.

    Returns
    -------
    pandas.DataFrame
        Clean long table: case_id, dimension, coder, level (float; NaN when not
        assessable or nominal), category (nominal code or ""), not_assessable (bool),
        inherited (bool), rationale, source_reference, source_file, source_row.
    """
    file = Path(path)
    own = problems is None
    problems = ProblemCollector(os.fspath(path)) if problems is None else problems
    sheet = _read_checked_sheet(file, problems)
    if sheet is None:
        if own:
            problems.raise_if_any()
        return _empty_clean()
    if sheet.empty:
        problems.add(None, None, "the sheet has no coding rows")
    check = _RowCheck(
        codebook=codebook,
        cases=dict(zip(registry["case_id"], registry["country"])),
        national=_national_lookup(frameworks),
        problems=problems,
        file_name=file.name,
    )
    rows = [check.row(i + 2, row) for i, row in enumerate(sheet.to_dict("records"))]
    if own:
        problems.raise_if_any()
    return pd.DataFrame(rows, columns=_CLEAN_COLUMNS) if rows else _empty_clean()


def _read_checked_sheet(file: Path, problems: ProblemCollector) -> pd.DataFrame | None:
    """The sheet with its required columns (``inherited`` added empty when absent), or ``None`` after a problem."""
    try:
        sheet = read_sheet(file)
    except InputError as error:
        problems.add(None, None, str(error))
        return None
    missing = [c for c in _REQUIRED if c not in sheet.columns]
    if missing:
        problems.add(1, ",".join(missing), f"missing column(s); a coding sheet needs {_REQUIRED}")
        return None
    if "inherited" not in sheet.columns:
        sheet["inherited"] = ""
    return sheet


@dataclass
class _RowCheck:
    """Checks the rows of one coding sheet in order, collecting every problem with its row and column."""

    codebook: Codebook
    cases: dict[str, str]
    national: dict[tuple[str, str], tuple[float, str, str]]
    problems: ProblemCollector
    file_name: str
    seen: dict[tuple[str, str, str], int] = field(default_factory=dict)

    def row(self, line: int, row: dict[str, Any]) -> dict[str, Any]:
        """Check one sheet row (spreadsheet row ``line``) and return its clean record."""
        problems = self.problems
        case_id = str(row["case_id"]).strip()
        dim_id = str(row["dimension"]).strip()
        coder = str(row["coder"]).strip()
        text = str(row["level"]).strip()
        rationale = str(row["rationale"]).strip()
        reference = str(row["source_reference"]).strip()
        if case_id not in self.cases:
            problems.add(line, "case_id", f"unknown case {case_id!r}; add it to the case registry first")
        dimension = self.codebook[dim_id] if dim_id in self.codebook else None
        if dimension is None:
            problems.add(line, "dimension", f"unknown dimension {dim_id!r}; expected one of {self.codebook.ids}")
        if not coder:
            problems.add(line, "coder", "empty coder")
        inherited = self._inherited_flag(line, row)
        key = (case_id, dim_id, coder)
        first = self.seen.setdefault(key, line)
        if first != line:
            problems.add(
                line, "case_id", f"duplicate row: {case_id} × {dim_id} × coder {coder!r} already on row {first}"
            )
        level, category, not_assessable = np.nan, "", False
        if inherited:
            self._check_inherited(line, text, case_id, dim_id, dimension)
        else:
            level, category, not_assessable = self._coded_level(line, text, dim_id, dimension, rationale, reference)
        return {
            "case_id": case_id,
            "dimension": dim_id,
            "coder": coder,
            "level": level,
            "category": category,
            "not_assessable": not_assessable,
            "inherited": inherited,
            "rationale": rationale,
            "source_reference": reference,
            "source_file": self.file_name,
            "source_row": line,
        }

    def _inherited_flag(self, line: int, row: dict[str, Any]) -> bool:
        flag_text = str(row.get("inherited", "")).strip().lower()
        if flag_text in _TRUE:
            return True
        if flag_text not in _FALSE:
            self.problems.add(line, "inherited", f"expected TRUE or FALSE, got {row.get('inherited')!r}")
        return False

    def _check_inherited(self, line: int, text: str, case_id: str, dim_id: str, dimension: Dimension | None) -> None:
        """An inherited row leaves its level empty and needs a national code to inherit."""
        problems = self.problems
        if text and text.lower() not in _NA_SPELLINGS:
            problems.add(line, "level", f"inherited = TRUE but level {text!r} given; leave level empty to inherit")
        if dimension is not None and not dimension.is_ordinal:
            problems.add(line, "inherited", f"national frameworks are not coded on {dim_id}; code it directly")
        elif case_id in self.cases and dimension is not None:
            code = self.national.get((self.cases[case_id], dim_id))
            if code is None or np.isnan(code[0]):
                problems.add(
                    line,
                    "inherited",
                    f"inherited = TRUE but the national frameworks file has no code for {self.cases[case_id]} {dim_id}",
                )

    def _coded_level(
        self, line: int, text: str, dim_id: str, dimension: Dimension | None, rationale: str, reference: str
    ) -> tuple[float, str, bool]:
        """``(level, category, not_assessable)`` of a row coded directly; problems for bad codes."""
        problems = self.problems
        level, category = np.nan, ""
        if not text:
            problems.add(
                line, "level", f"empty level; enter a code or {NOT_ASSESSABLE} (not assessable, which is not 0)"
            )
        elif text.lower() in _NA_SPELLINGS:
            return level, category, True
        elif dimension is not None:
            if dimension.is_ordinal:
                try:
                    number = float(text)
                except ValueError:
                    number = np.nan
                if number in dimension.levels:
                    level = float(number)
                else:
                    problems.add(line, "level", f"expected {', '.join(dimension.allowed_codes)}, got {text!r}")
            elif text in dimension.categories:
                category = text
            else:
                problems.add(line, "level", f"expected one of {dimension.allowed_codes} for {dim_id}, got {text!r}")
            if not rationale:
                problems.add(line, "rationale", "a coded level needs a rationale")
            if not reference:
                problems.add(
                    line, "source_reference", "a coded level needs a source reference (document, interview id, page)"
                )
        return level, category, False


_CLEAN_COLUMNS = [
    "case_id",
    "dimension",
    "coder",
    "level",
    "category",
    "not_assessable",
    "inherited",
    "rationale",
    "source_reference",
    "source_file",
    "source_row",
]


def _empty_clean() -> pd.DataFrame:
    return pd.DataFrame(columns=_CLEAN_COLUMNS)


def _national_lookup(frameworks: pd.DataFrame | None) -> dict[tuple[str, str], tuple[float, str, str]]:
    if frameworks is None or frameworks.empty:
        return {}
    table = frameworks
    if table.duplicated(["country", "dimension"]).any():
        raise InputError(
            "frameworks: several codes per country × dimension; load them with as_of=<year> "
            "so that each case inherits one code"
        )
    return {
        (r.country, r.dimension): (float(r.level), str(r.rationale), str(r.reference))
        for r in table.itertuples(index=False)
    }


# --------------------------------------------------------------------------- merging
@dataclass(repr=False)
class MergeResult(Results):
    """Merged coding table and the list of disagreements.

    Attributes
    ----------
    table
        Long table, one row per case × dimension × coder (see :func:`check_sheet`), with
        inherited rows filled from the national frameworks (``inherited = True``).
    disagreements
        One row per case × dimension where coders gave different codes (a code vs
        "not assessable" counts as a disagreement): case_id, dimension, n_coders,
        codes (``coder=code; ...``), range (ordinal spread; NaN for nominal).
    files
        Names of the merged sheets.
    """

    table: pd.DataFrame
    disagreements: pd.DataFrame
    files: list[str]

    def __post_init__(self) -> None:
        self.synthetic = bool(self.table.attrs.get("synthetic", False))

    def summary(self) -> str:
        """Counts of sheets, coders, cases, dimensions and disagreements; the SYNTHETIC banner for illustrative data."""
        t = self.table
        text = (
            f"{len(self.files)} sheet(s), {t['coder'].nunique()} coder(s), {t['case_id'].nunique()} case(s), "
            f"{t['dimension'].nunique()} dimension(s); {int(t['not_assessable'].sum())} not assessable, "
            f"{int(t['inherited'].sum())} inherited; {len(self.disagreements)} disagreement(s)"
        )
        return "\n".join([text, *self.banner()])

    def to_frame(self) -> pd.DataFrame:
        """The merged long table."""
        return self.table


def merge_sheets(
    paths: Iterable[str | os.PathLike[str]],
    *,
    codebook: Codebook,
    registry: pd.DataFrame,
    frameworks: pd.DataFrame | None = None,
) -> MergeResult:
    """Check every sheet, then combine them into one long table with disagreements.

    ``frameworks`` (from ``load_national_frameworks(as_of=year)``) is needed only when a
    sheet has inherited rows. All problems of all sheets, and rows repeated across
    sheets, are reported together.
    """
    files = [Path(p) for p in paths]
    if not files:
        raise InputError("paths: give at least one coding sheet")
    problems = ProblemCollector(", ".join(f.name for f in files))
    seen_paths: dict[Path, Path] = {}
    for f in files:
        if f.resolve() in seen_paths:
            raise InputError(
                f"{f}: coding sheet given twice (also as {seen_paths[f.resolve()]}); expected each sheet once"
            )
        seen_paths[f.resolve()] = f
    parts = []
    for f in files:
        own = ProblemCollector(os.fspath(f))
        part = check_sheet(f, codebook=codebook, registry=registry, frameworks=frameworks, problems=own)
        label = f.name if [g.name for g in files].count(f.name) == 1 else os.fspath(f)  # name, or path if ambiguous
        parts.append(part.assign(sheet_label=label))
        problems.problems.extend(own.problems)
    filled = [p for p in parts if not p.empty]
    table = pd.concat(filled, ignore_index=True) if filled else _empty_clean().assign(sheet_label="")
    first_seen: dict[tuple[str, str, str], tuple[str, int]] = {}
    for row in table.itertuples(index=False):
        key = (row.case_id, row.dimension, row.coder)
        if key in first_seen and first_seen[key][0] != row.sheet_label:
            other_file, other_row = first_seen[key]
            problems.problems.append(
                Problem(
                    row.sheet_label,
                    row.source_row,
                    "coder",
                    f"{row.case_id} × {row.dimension} × coder {row.coder!r} also coded in {other_file} row {other_row}",
                )
            )
        first_seen.setdefault(key, (row.sheet_label, row.source_row))
    problems.raise_if_any()
    table = table.drop(columns="sheet_label")
    table = _fill_inherited(table, registry, frameworks)
    table = table.astype({"not_assessable": bool, "inherited": bool, "source_row": int})
    illustrative = any(mark in f.name.upper() for f in files for mark in (ILLUSTRATIVE_MARK, "SYNTHETIC"))
    table.attrs["synthetic"] = illustrative
    table.attrs["source_note"] = (
        ("ILLUSTRATIVE generated coding sheets" if illustrative else "coding sheets")
        + ": "
        + ", ".join(f.name for f in files)
    )
    table.attrs["codebook_version"] = codebook.version
    disagreements = _disagreements(table, codebook)
    disagreements.attrs.update({"synthetic": illustrative, "source_note": table.attrs["source_note"]})
    return MergeResult(table=table, disagreements=disagreements, files=[f.name for f in files])


def _fill_inherited(table: pd.DataFrame, registry: pd.DataFrame, frameworks: pd.DataFrame | None) -> pd.DataFrame:
    if not table["inherited"].any():
        return table
    national = _national_lookup(frameworks)
    country = dict(zip(registry["case_id"], registry["country"]))
    table = table.copy()
    for idx in table.index[table["inherited"].astype(bool)]:
        level, rationale, reference = national[(country[table.at[idx, "case_id"]], table.at[idx, "dimension"])]
        table.at[idx, "level"] = level
        note = table.at[idx, "rationale"]
        table.at[idx, "rationale"] = f"inherited from the national framework: {rationale}" + (
            f" (coder: {note})" if note else ""
        )
        table.at[idx, "source_reference"] = reference
    return table


def _code_text(row: pd.Series) -> str:
    if row["not_assessable"]:
        return NOT_ASSESSABLE
    if row["category"]:
        return str(row["category"])
    return str(int(row["level"])) if pd.notna(row["level"]) else NOT_ASSESSABLE


def _disagreements(table: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    rows = []
    for (case_id, dim), group in table.groupby(["case_id", "dimension"], sort=False):
        if len(group) < 2:
            continue
        codes = [_code_text(r) for _, r in group.iterrows()]
        if len(set(codes)) > 1:
            levels = group["level"].dropna()
            spread = float(levels.max() - levels.min()) if dim in codebook.ordinal_ids and len(levels) else np.nan
            rows.append(
                {
                    "case_id": case_id,
                    "dimension": dim,
                    "n_coders": len(group),
                    "codes": "; ".join(f"{c}={v}" for c, v in zip(group["coder"], codes)),
                    "range": spread,
                }
            )
    return pd.DataFrame(rows, columns=["case_id", "dimension", "n_coders", "codes", "range"])


def consensus(table: pd.DataFrame, *, codebook: Codebook, method: str = "median_low") -> pd.DataFrame:
    """One code per case × dimension from several coders.

    ``method="median_low"``: for ordinal dimensions the lower median of the coders'
    levels (an observed code; not-assessable codes ignored; NaN when no coder gave a
    level); for the nominal mode of governance the most frequent category (ties: the
    alphabetically first). Report it with the reliability table: a consensus of
    unreliable codes is not reliable.
    """
    if method != "median_low":
        raise InputError(f"method: only 'median_low' is implemented, got {method!r}")
    rows = []
    for (case_id, dim), group in table.groupby(["case_id", "dimension"], sort=False):
        if dim in codebook.ordinal_ids:
            values = np.sort(group["level"].dropna().to_numpy())
            value = float(values[(len(values) - 1) // 2]) if len(values) else np.nan
            rows.append({"case_id": case_id, "dimension": dim, "level": value, "category": "", "n_coders": len(values)})
        else:
            cats = group.loc[group["category"] != "", "category"]
            counts = cats.value_counts()
            best = sorted(counts[counts == counts.max()].index)[0] if len(counts) else ""
            rows.append(
                {"case_id": case_id, "dimension": dim, "level": np.nan, "category": best, "n_coders": len(cats)}
            )
    result = pd.DataFrame(rows)
    result.attrs.update(table.attrs)
    return result


# --------------------------------------------------------------------------- illustrative
ILLUSTRATIVE_MARK = "ILLUSTRATIVE"


def write_illustrative_sheets(
    folder: str | os.PathLike[str],
    *,
    cases: Sequence[str],
    coders: Sequence[str],
    codebook: Codebook,
    registry: pd.DataFrame,
    seed: int = 0,
    agreement: float = 0.75,
    not_assessable_rate: float = 0.05,
) -> list[Path]:
    """Write *illustrative* filled coding sheets (generated, not real coding results).

    Each case gets a generated "true" profile (one of three prototypes plus noise);
    each coder reports it with probability ``agreement`` and otherwise one level off;
    a few cells are "not assessable". File names end in ``_ILLUSTRATIVE.csv``, every
    rationale and source reference says ILLUSTRATIVE, and merged tables built from them
    carry ``attrs["synthetic"] = True``. Use them to demonstrate the workflow only.
    """
    rng = np.random.default_rng(seed)
    frame = template_frame(cases, coders[:1], codebook=codebook, registry=registry)
    ordinal = codebook.ordinal_ids
    prototypes = np.array([[0, 0, 1, 0, 1, 0, 1, 1, 0], [2, 3, 1, 1, 1, 2, 2, 1, 0], [2, 1, 3, 3, 2, 2, 2, 2, 2]])
    modes = ["hierarchical", "market", "network"]
    truth: dict[tuple[str, str], object] = {}
    for case in cases:
        kind = int(rng.integers(0, len(prototypes)))
        noise = rng.integers(-1, 2, size=len(ordinal)) * (rng.random(len(ordinal)) < 0.3)
        for dim, value in zip(ordinal, np.clip(prototypes[kind, : len(ordinal)] + noise, 0, 3)):
            truth[(case, dim)] = int(value)
        if "MODE" in codebook:
            truth[(case, "MODE")] = modes[kind]
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for coder in coders:
        sheet = frame.copy()
        sheet["coder"] = coder
        levels = []
        for case, dim in zip(sheet["case_id"], sheet["dimension"]):
            value = truth[(case, dim)]
            if rng.random() < not_assessable_rate:
                levels.append(NOT_ASSESSABLE)
            elif isinstance(value, str):
                levels.append(value if rng.random() < agreement else modes[int(rng.integers(0, 3))])
            elif rng.random() < agreement:
                levels.append(str(value))
            else:
                levels.append(str(int(np.clip(value + rng.choice([-1, 1]), 0, 3))))
        sheet["level"] = levels
        sheet["rationale"] = f"{ILLUSTRATIVE_MARK}: generated code, not a real coding result"
        sheet["source_reference"] = f"{ILLUSTRATIVE_MARK} (no source)"
        target = folder / f"coding_{coder}_{ILLUSTRATIVE_MARK}.csv"
        with atomic_path(target) as tmp:
            sheet.to_csv(tmp, index=False, encoding="utf-8")
        written.append(target)
    return written

"""NUTS codes: level, country, aggregates, names, and recoding between versions.

Recoding between NUTS 2010, 2013, 2016 and 2021 uses Eurostat's official
correspondence sheets (``Correspondence NUTS-2`` of the 2010-2013 and 2013-2016
workbooks, ``Changes NUTS-2`` of the 2016-2021 workbook; files ``nuts_changes_*.xls(x)``
of the mirror) and the per-version code lists of the rOpenGov ``regions`` tidy table.

Rules (level-2 codes):

* a code that only changed its code or name (``code change``, ``recoded``,
  ``recoded and relabelled``, ``name change``, ``renamed``) is recoded one to one;
* a code whose territory changed -- split, merged, discontinued, new region made from
  parts, boundary shift or boundary change -- is **flagged and not mapped**
  (:func:`recode` returns no target code and the reason);
* a code absent from the correspondence sheet and present in both versions' code
  lists is unchanged.

Aggregates (``EU28``, ``EA19``, ``EU27_2020`` ...) and extra-regio codes (``..ZZ``)
are recognised by :func:`classify` and kept out of regional panels.
"""

from __future__ import annotations

import functools
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from localise.errors import DataUnavailableError, InputError

__all__ = [
    "NUTS_VERSIONS",
    "classify",
    "is_aggregate",
    "nuts_level",
    "country_of",
    "Correspondence",
    "load_correspondence",
    "recode",
    "recode_frame",
]

NUTS_VERSIONS = (2010, 2013, 2016, 2021)
_STEP_FILES = {
    (2010, 2013): ("nuts_changes_2010_2013.xls", "Correspondence NUTS-2"),
    (2013, 2016): ("nuts_changes_2013_2016.xlsx", "Correspondence NUTS-2"),
    (2016, 2021): ("nuts_changes_2016_2021.xlsx", "Changes NUTS-2"),
}
TIDY_FILE = "nuts_changes_1999_2021_tidy_rOpenGov_regions.csv"
_AGGREGATE = re.compile(r"^(EU|EA|EEA|EFTA|EU\d+|EA\d+|EEA\d+)(_\d{4})?$|^(EU|EA)\d*_?\d*$")
_NUTS = re.compile(r"^[A-Z]{2}[A-Z0-9]{0,3}$")


def is_aggregate(code: str) -> bool:
    """True for Eurostat aggregates such as ``EU28``, ``EA19``, ``EU27_2020``, ``EFTA``."""
    return bool(_AGGREGATE.match(code))


def nuts_level(code: str) -> int | None:
    """NUTS level from the code length (2 -> 0, 3 -> 1, 4 -> 2, 5 -> 3); ``None`` for aggregates."""
    if is_aggregate(code) or not _NUTS.match(code):
        return None
    return len(code) - 2


def country_of(code: str) -> str:
    """Two-letter (Eurostat) country of a code; ``"EU"`` for aggregates."""
    return "EU" if is_aggregate(code) else code[:2]


def classify(codes: pd.Series) -> pd.DataFrame:
    """Vectorised classification of geo codes.

    Returns
    -------
    DataFrame
        Columns ``country`` (``"EU"`` for aggregates), ``nuts_level`` (Int64, NA for
        aggregates and unrecognised codes), ``aggregate`` (bool), ``extra_regio`` (bool,
        codes ending in ``Z``/``ZZ``/``ZZZ``), aligned with ``codes``.
    """
    codes = codes.astype(str)
    aggregate = codes.str.match(_AGGREGATE.pattern)
    valid = codes.str.match(_NUTS.pattern) & ~aggregate
    level = (codes.str.len() - 2).where(valid).astype("Int64")
    extra = valid & codes.str.match(r"^[A-Z]{2}Z{1,3}$")
    country = codes.str[:2].where(~aggregate, "EU")
    return pd.DataFrame({"country": country, "nuts_level": level, "aggregate": aggregate, "extra_regio": extra})


@dataclass(frozen=True)
class Correspondence:
    """Level-2 correspondence between consecutive NUTS versions.

    Attributes
    ----------
    codes
        Level-2 code list per version (``{2010: frozenset, ...}``).
    recoded
        ``{(from, to): {old: new}}`` one-to-one code changes (forward direction).
    flagged_old, flagged_new
        ``{(from, to): {code: reason}}``: codes of the older (newer) version whose
        territory changed, which are therefore not mapped.
    """

    codes: dict[int, frozenset[str]]
    recoded: dict[tuple[int, int], dict[str, str]]
    flagged_old: dict[tuple[int, int], dict[str, str]]
    flagged_new: dict[tuple[int, int], dict[str, str]]
    names: dict[str, str]


def _clean(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


#: Messages of pandas' notices about its future Excel engines (DeprecationWarning subclasses).
_EXCEL_ENGINE_NOTICES = (r"The xlrd engine is deprecated", r"The default engine for reading 'xlsx' files will change")


def _read_step(path: Path, sheet: str) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    try:
        with warnings.catch_warnings():
            # pandas 3 announces future changes of its Excel engines on every read (xlrd for .xls is
            # deprecated, calamine becomes the default for .xlsx). The engines used today read these
            # Eurostat workbooks correctly; the notices say nothing about the data, so only they are silenced.
            for notice in _EXCEL_ENGINE_NOTICES:
                warnings.filterwarnings("ignore", message=notice, category=DeprecationWarning)
            raw = pd.read_excel(path, sheet_name=sheet, header=None, dtype=str)
    except FileNotFoundError:
        raise DataUnavailableError(
            f"{path}: NUTS correspondence workbook not found (run `localise data fetch`)"
        ) from None
    except ValueError as error:
        raise InputError(
            f"{path}: sheet {sheet!r} not readable ({error}); expected Eurostat's NUTS workbook"
        ) from error
    header = [(_clean(v)).lower() for v in raw.iloc[0, :4]]
    if not (header[0].startswith("code") and header[1].startswith("code") and "change" in header[3]):
        raise InputError(
            f"{path}: sheet {sheet!r} row 1 is {header}; expected 'Code <old>', 'Code <new>', 'Label', 'Change'"
        )
    recoded: dict[str, str] = {}
    flag_old: dict[str, str] = {}
    flag_new: dict[str, str] = {}
    for _, row in raw.iloc[1:].iterrows():
        old, new, change = _clean(row[0]), _clean(row[1]), _clean(row[3]).lower()
        if not old and not new:
            continue
        part = "(part)" in old
        old = old.replace("(part)", "").strip()
        one_to_one = old and new and not part
        territorial = part or any(w in change for w in ("boundary", "split", "merge", "new", "discontinued"))
        if one_to_one and not territorial:
            if old != new:  # code change, possibly with a new name
                recoded[old] = new
            continue  # same code: name change only
        if old:
            flag_old.setdefault(old, change or "part of a split")
        if new:
            flag_new.setdefault(new, change or "part of a split")
    return recoded, flag_old, flag_new


@functools.cache
def _load(nuts_dir: str) -> Correspondence:
    folder = Path(nuts_dir)
    tidy_path = folder / TIDY_FILE
    try:
        tidy = pd.read_csv(tidy_path, dtype=str)
    except FileNotFoundError:
        raise DataUnavailableError(f"{tidy_path}: NUTS code table not found (run `localise data fetch`)") from None
    level2 = tidy[tidy["typology"] == "nuts_level_2"]
    codes = {v: frozenset(level2[f"code_{v}"].dropna().str.strip()) for v in NUTS_VERSIONS}
    names: dict[str, str] = {}
    for v in (2010, 2013, 2016, 2021):
        col = f"geo_name_{v}"
        sub = tidy[[f"code_{v}", col]].dropna()
        names.update(dict(zip(sub[f"code_{v}"].str.strip(), sub[col].str.strip())))
    recoded, flagged_old, flagged_new = {}, {}, {}
    for step, (file, sheet) in _STEP_FILES.items():
        r, fo, fn = _read_step(folder / file, sheet)
        recoded[step], flagged_old[step], flagged_new[step] = r, fo, fn
    return Correspondence(codes, recoded, flagged_old, flagged_new, names)


def load_correspondence(nuts_dir: str | Path) -> Correspondence:
    """Read (and cache) the correspondence from a folder holding the mirror's ``nuts/`` files."""
    return _load(str(Path(nuts_dir).resolve()))


def recode(code: str, source: int, target: int, corr: Correspondence) -> tuple[str | None, str]:
    """Recode one level-2 code from NUTS ``source`` to NUTS ``target``.

    Returns
    -------
    (code or None, status)
        ``status`` is ``"unchanged"``, ``"recoded"`` or, with ``None``, the reason the
        code is not mapped (``"split ..."``, ``"discontinued"``, ``"not in NUTS 2016"`` ...).
    """
    for version in (source, target):
        if version not in NUTS_VERSIONS:
            raise InputError(f"NUTS version {version!r}; expected one of {NUTS_VERSIONS}")
    current, status = code, "unchanged"
    if source == target:
        return (code, status) if code in corr.codes[source] else (None, f"not in NUTS {source}")
    forward = source < target
    versions = [v for v in NUTS_VERSIONS if min(source, target) <= v <= max(source, target)]
    steps = list(zip(versions[:-1], versions[1:]))
    if not forward:
        steps = [(b, a) for a, b in reversed(steps)]
    for a, b in steps:
        key = (a, b) if forward else (b, a)
        mapping = corr.recoded[key] if forward else {v: k for k, v in corr.recoded[key].items()}
        flagged = corr.flagged_old[key] if forward else corr.flagged_new[key]
        if current in flagged:
            return None, f"{flagged[current]} (NUTS {a} -> {b})"
        if current in mapping:
            current, status = mapping[current], "recoded"
        elif current not in corr.codes[b]:
            return None, f"not in NUTS {b}"
    return current, status


def recode_frame(
    df: pd.DataFrame, *, source: int, target: int, corr: Correspondence, geo: str = "geo"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Recode the level-2 ``geo`` codes of a frame; return ``(recoded rows, log of codes)``.

    Rows whose code cannot be mapped one to one are dropped from the first frame and
    listed in the log (columns ``geo, source_version, target_version, target_geo, status``).
    """
    codes = pd.Series(pd.unique(df[geo].astype(str)))
    results = [recode(c, source, target, corr) for c in codes]
    log = pd.DataFrame(
        {
            "geo": codes,
            "source_version": source,
            "target_version": target,
            "target_geo": [r[0] for r in results],
            "status": [r[1] for r in results],
        }
    )
    mapping = dict(zip(log["geo"], log["target_geo"]))
    out = df.copy()
    out[geo] = out[geo].astype(str).map(mapping)
    out = out[out[geo].notna()].reset_index(drop=True)
    out[geo] = out[geo].astype(str)
    return out, log

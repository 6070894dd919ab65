"""Governance data: how government is organised, from published expert-coded sources.

Sources (catalogue section ``governance``; raw files fetched from the mirror into
``data/raw/governance/`` by ``localise data fetch``):

* **EQI** -- European Quality of Government Index 2010-2024, regions (QoG Institute);
* **RAI** -- Regional Authority Index v3, country-year 1950-2018;
* **LAI** -- Local Autonomy Index 1.0, country totals 1990, 2000, 2010, 2014;
* **IMF FD** -- IMF Fiscal Decentralization Dataset, 2018 vintage, country-year by sector;
* **CWS** -- Comparative Welfare States Data Set 2020, a few welfare controls.

``localise data build`` writes to ``data/processed/``:

* ``governance_country_year.parquet`` (:func:`load_governance_country_year`): one row per
  country-year of the European scope (see :mod:`localise.data.crosswalk`), columns
  ``country, iso3, country_name, year``, ``lai``, ``rai``, ``rai_self_rule``,
  ``rai_shared_rule``, ``rai_<dimension>``, ``imf_<indicator>_<sector>`` and ``cws_*``;
* ``eqi_region_wave.parquet`` (:func:`load_eqi_regions`): one row per EQI region and wave,
  with the code as published (``geo_wave``) and its NUTS 2016 code (``geo``);
* ``governance_codebook.parquet`` (:func:`governance_codebook`);
* ``governance_unmatched.parquet`` (:func:`load_governance_unmatched`): every source code
  that is not carried one to one into the tables (codes outside the European scope, EQI
  regions that are parts of a NUTS 2016 region, unmatched codes).

The governance study uses real data only: there is no SYNTHETIC fallback, and the loaders
raise :class:`~localise.errors.InputError` when the processed files are missing.

Choices worth knowing:

* RAI: the file repeats the column names ``n_representation`` and ``n_lawmaking`` (once among
  the ten dimensions, once again among the sub-components that follow the empty
  ``COMPONENTS`` column). The first occurrence is the dimension score that enters
  ``n_selfrule``/``n_sharedrule``; the repeats differ from it by at most 0.29 in 9 rows
  (Brazil) and are not used.
* LAI: only the four published years; nothing is interpolated.
* IMF: shares of general government, **not consolidated across levels** (a sector's
  social-protection share and another sector's can sum to more than one); read the codebook.
* EQI: every wave is standardised within the wave (mean 0), so compare positions, not
  levels, across waves. The 2024 long file codes every wave in NUTS 2021 (checked per wave
  against the NUTS code lists; the version is detected, not assumed). The sub-indices
  ``corruption_subPer``/``corruption_subExp`` are not carried over: they are empty for 2010
  and 2013, and in 2017 ``corruption_subExp`` equals ``EQI_me`` on 94 % of the rows of this
  file, which points to a column mix-up in the published long file.
* Countries outside the European scope of :mod:`localise.data.crosswalk` (e.g. the United
  States in RAI, IMF and CWS) are left out and listed, with their codes, in
  ``governance_unmatched``; they are logged at build time, never dropped silently.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from localise import paths, provenance
from localise.data import crosswalk, nuts
from localise.errors import DataUnavailableError, InputError
from localise.warnings import UnmatchedCodesWarning

if TYPE_CHECKING:  # pandera is imported where a schema is used: it costs ~0.3 s
    import pandera.pandas as pa

__all__ = [
    "GOVERNANCE_FILES",
    "RAI_DIMENSIONS",
    "IMF_SECTORS",
    "CWS_VARIABLES",
    "EQI_WAVES",
    "UnmatchedCodesWarning",
    "read_rai",
    "read_lai",
    "read_imf",
    "read_cws",
    "read_eqi",
    "build_governance",
    "write_governance",
    "governance_raw_present",
    "load_governance_country_year",
    "load_eqi_regions",
    "load_governance_unmatched",
    "governance_codebook",
    "has_governance_data",
]

log = logging.getLogger(__name__)

GOVERNANCE_FILES = {
    "eqi": "governance/eqi/qog_eqi_long_24.csv",
    "rai": "governance/rai/RAI_country-april-2021.csv",
    "lai": "governance/lai/LAI_2014_aggregate.csv",
    "imf": "governance/imf_fd/imf_fiscal_decentralization_time_series.csv",
    "imf_meta": "governance/imf_fd/imf_fiscal_decentralization_metadata.csv",
    "cws": "governance/cws/CWS-data-2020.xlsx",
}
PROCESSED = {
    "country_year": "governance_country_year.parquet",
    "eqi": "eqi_region_wave.parquet",
    "codebook": "governance_codebook.parquet",
    "unmatched": "governance_unmatched.parquet",
}
RAI_DIMENSIONS = (
    "instdepth",
    "policyautonomy",
    "fiscalautonomy",
    "borrowautonomy",
    "representation",
    "lawmaking",
    "execcontrol",
    "fiscalcontrol",
    "borrowcontrol",
    "constitutional",
)
_RAI_TEXT = {
    "instdepth": "institutional depth (self-rule)",
    "policyautonomy": "policy scope (self-rule)",
    "fiscalautonomy": "fiscal autonomy (self-rule)",
    "borrowautonomy": "borrowing autonomy (self-rule)",
    "representation": "representation (self-rule)",
    "lawmaking": "law making (shared rule)",
    "execcontrol": "executive control (shared rule)",
    "fiscalcontrol": "fiscal control (shared rule)",
    "borrowcontrol": "borrowing control (shared rule)",
    "constitutional": "constitutional reform (shared rule)",
}
#: IMF sector codes -> column suffix.
IMF_SECTORS = {"LG": "local", "SNG": "subnational", "SG": "state", "CG": "central"}
#: CWS column -> (governance column, description, unit).
CWS_VARIABLES = {
    "socx_pub": ("cws_social_spending_gdp", "public social expenditure (OECD SOCX), as compiled in CWS", "% of GDP"),
    "lisgini": (
        "cws_lis_gini",
        "Gini coefficient of disposable household income (Luxembourg Income Study)",
        "Gini (0-1)",
    ),
    "lisrpr_tot": (
        "cws_lis_poverty",
        "relative poverty rate, total population (Luxembourg Income Study)",
        "% of population",
    ),
    "usucavg": (
        "cws_unemployment_replacement",
        "unemployment insurance net replacement rate, average of the CWS single and family cases "
        "(CWS variable usucavg; check the CWS codebook before substantive use)",
        "ratio (0-1)",
    ),
}
#: Quirks of the CWS country ids: non-European members of the data set.
CWS_OUTSIDE = {"AUL": None, "CAN": None, "JPN": None, "NZL": None, "USA": None}
#: Quirks of the RAI and LAI ISO-3 columns.
RAI_QUIRKS = {"KOS": "XK", "TAW": None}
LAI_QUIRKS = {"MDV": "MD", "ROM": "RO"}
EQI_WAVES = (2010, 2013, 2017, 2021, 2024)
RECODE_VALUES = ("identical", "recoded", "split", "merged", "unmatched-reported")
#: Share of a wave's codes that must exist in one NUTS version for that version to be detected.
EQI_MIN_COVERAGE = 0.9
UNMATCHED_COLUMNS = ["source", "file", "column", "code", "status"]


# ----------------------------------------------------------------------------- helpers
def _read_csv(path: Path, **kwargs) -> pd.DataFrame:
    if not path.is_file():
        raise DataUnavailableError(f"{path}: file missing; run `localise data fetch` with a data mirror")
    try:
        return pd.read_csv(path, encoding="utf-8-sig", **kwargs)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as error:
        raise InputError(f"{path}: cannot read CSV ({error})") from error


def _require(df: pd.DataFrame, columns: Iterable[str], path: Path) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            f"{path}: column(s) {missing} missing; expected {list(columns)} (found {list(df.columns)[:12]} ...)"
        )


def _numeric(series: pd.Series, path: Path, column: str) -> pd.Series:
    values = pd.to_numeric(series, errors="coerce")
    bad = series[values.isna() & series.notna() & (series.astype(str).str.strip() != "")]
    if len(bad):
        raise InputError(f"{path}: non-numeric value {bad.iloc[0]!r} in column {column!r} (row {bad.index[0] + 2})")
    return values.astype(float)


def _check_names(codes: pd.Series, names: pd.Series, mapping: dict[str, str], path: Path, column: str) -> None:
    """Cross-check a code column against its name column (catches a wrong quirk or a shifted row)."""
    pairs = pd.DataFrame({"code": codes.astype(str).str.strip(), "name": names.astype(str)}).drop_duplicates()
    pairs = pairs[pairs["code"].isin(mapping)]
    by_name = crosswalk.match_countries(pairs["name"], "name", file=str(path), column=column).mapping
    for code, name in pairs.itertuples(index=False):
        if by_name.get(name.strip()) != mapping[code]:
            raise InputError(
                f"{path}: country code {code!r} (-> {mapping[code]}) but name {name!r} in column {column!r} "
                f"(-> {by_name.get(name.strip())}); expected code and name of the same country"
            )


def _unmatched(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=UNMATCHED_COLUMNS)


# ----------------------------------------------------------------------------- RAI
def read_rai(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Regional Authority Index, country-year: ``(table, unmatched codes)``.

    Columns ``country, year, rai, rai_self_rule, rai_shared_rule, rai_<dimension>``. The
    first occurrence of the duplicated column names is used (see the module docstring).
    """
    df = _read_csv(path)  # pandas renames the repeated names to n_representation.1, n_lawmaking.1
    need = ["abbr_country", "country_name", "year", "n_selfrule", "n_sharedrule", "n_RAI"]
    need += [f"n_{d}" for d in RAI_DIMENSIONS]
    _require(df, need, path)
    match = crosswalk.match_countries(
        df["abbr_country"], "iso3", file=str(path), column="abbr_country", quirks=RAI_QUIRKS
    )
    _check_names(df["abbr_country"], df["country_name"], match.mapping, path, "country_name")
    df = df[df["abbr_country"].astype(str).str.strip().isin(match.mapping)]
    out = pd.DataFrame(
        {
            "country": df["abbr_country"].astype(str).str.strip().map(match.mapping),
            "year": _numeric(df["year"], path, "year").astype("int64"),
            "rai": _numeric(df["n_RAI"], path, "n_RAI"),
            "rai_self_rule": _numeric(df["n_selfrule"], path, "n_selfrule"),
            "rai_shared_rule": _numeric(df["n_sharedrule"], path, "n_sharedrule"),
        }
    )
    for dim in RAI_DIMENSIONS:
        out[f"rai_{dim}"] = _numeric(df[f"n_{dim}"], path, f"n_{dim}")
    _no_duplicates(out, ["country", "year"], path, "abbr_country/year")
    return out.reset_index(drop=True), match.report(source="rai", file=GOVERNANCE_FILES["rai"], column="abbr_country")


def _no_duplicates(df: pd.DataFrame, keys: list[str], path: Path, column: str) -> None:
    dup = df[df.duplicated(keys, keep=False)]
    if len(dup):
        raise InputError(
            f"{path}: duplicate rows for {dup[keys].iloc[0].to_dict()} in column(s) {column!r}; "
            "expected one row per key"
        )


# ----------------------------------------------------------------------------- LAI
def read_lai(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Local Autonomy Index totals: ``country, year, lai`` for 1990, 2000, 2010, 2014 only."""
    df = _read_csv(path)
    years = (1990, 2000, 2010, 2014)
    _require(df, ["country_name", "country_code"] + [f"D_LAI_{y}" for y in years], path)
    match = crosswalk.match_countries(
        df["country_code"], "iso3", file=str(path), column="country_code", quirks=LAI_QUIRKS
    )
    _check_names(df["country_code"], df["country_name"], match.mapping, path, "country_name")
    df = df[df["country_code"].astype(str).str.strip().isin(match.mapping)]
    parts = [
        pd.DataFrame(
            {
                "country": df["country_code"].str.strip().map(match.mapping),
                "year": y,
                "lai": _numeric(df[f"D_LAI_{y}"], path, f"D_LAI_{y}"),
            }
        )
        for y in years
    ]
    out = pd.concat(parts, ignore_index=True).astype({"year": "int64"})
    _no_duplicates(out, ["country", "year"], path, "country_code")
    return out, match.report(source="lai", file=GOVERNANCE_FILES["lai"], column="country_code")


# ----------------------------------------------------------------------------- IMF
def _imf_iso2(meta_path: Path) -> dict[str, str]:
    """IMF numeric country code -> ISO-2 (``Country SDMX Code`` of the metadata file)."""
    meta = _read_csv(meta_path, dtype=str, keep_default_na=False)
    _require(meta, ["Country Code", "Metadata Attribute", "Metadata Value"], meta_path)
    sdmx = meta[meta["Metadata Attribute"] == "Country SDMX Code"]
    return dict(zip(sdmx["Country Code"].str.strip(), sdmx["Metadata Value"].str.strip()))


def imf_indicator_names(meta_path: Path) -> dict[str, str]:
    """IMF indicator code -> name, as given in the metadata file."""
    meta = _read_csv(meta_path, dtype=str, keep_default_na=False)
    _require(meta, ["Indicator Code", "Metadata Attribute", "Metadata Value"], meta_path)
    names = meta[meta["Metadata Attribute"] == "Indicator Name"]
    return dict(zip(names["Indicator Code"].str.strip(), names["Metadata Value"].str.strip()))


def _imf_countries(codes: pd.Series, path: Path, meta_path: Path) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """Match IMF numeric country codes through their ISO-2 code: ``(iso2 of code, country of code, outside codes)``.

    A matched country's IMF code in the crosswalk must be the code itself; codes outside the
    European scope are returned apart, to be reported.
    """
    iso2_of = _imf_iso2(meta_path)
    unknown = sorted(set(codes) - set(iso2_of))
    if unknown:
        raise InputError(
            f"{path}: unknown country code(s) {unknown} in column 'Country Code' (IMF numeric); "
            f"expected codes listed in {meta_path.name}"
        )
    iso2 = {c: iso2_of[c] for c in set(codes)}
    by_iso = crosswalk.match_countries(
        iso2.values(), "iso2", file=str(meta_path), column="Country SDMX Code", quirks={"XK": "XK"}
    )
    mapping, outside = {}, []
    for code, i2 in iso2.items():
        if i2 in by_iso.mapping:
            target = by_iso.mapping[i2]
            expected = crosswalk.COUNTRIES.set_index("country").loc[target, "imf_code"]
            if pd.notna(expected) and str(expected) != code:
                raise InputError(
                    f"{path}: IMF code {code!r} has ISO-2 {i2!r} in the metadata, but the crosswalk gives "
                    f"IMF code {expected} for {target}; expected the same country"
                )
            mapping[code] = target
        else:
            outside.append(code)
    return iso2, mapping, outside


def read_imf(path: Path, meta_path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """IMF Fiscal Decentralization, wide: ``country, year, imf_<indicator>_<sector>``.

    Country codes are IMF numeric codes; each is matched through the metadata file's ISO-2
    code (``Country SDMX Code``) and checked against the crosswalk's IMF code.
    """
    df = _read_csv(path, dtype=str)
    ids = ["Country Name", "Country Code", "Indicator Code", "Sector Code", "Attribute"]
    _require(df, ids, path)
    year_cols = [c for c in df.columns if str(c).strip().isdigit()]
    if not year_cols:
        raise InputError(f"{path}: no year columns (e.g. '2016'); expected the IMF wide layout")
    df = df[df["Attribute"].str.strip() == "Value"]
    codes = df["Country Code"].str.strip()
    iso2, mapping, outside = _imf_countries(codes, path, meta_path)
    sectors = df["Sector Code"].str.strip()
    bad = sorted(set(sectors) - set(IMF_SECTORS))
    if bad:
        raise InputError(
            f"{path}: unknown sector code(s) {bad} in column 'Sector Code'; expected {sorted(IMF_SECTORS)}"
        )
    df = df[codes.isin(mapping)]
    long = df.melt(id_vars=ids, value_vars=year_cols, var_name="year", value_name="value")
    long = long[long["value"].notna() & (long["value"].str.strip() != "")]
    long["value"] = _numeric(long["value"], path, "year columns")
    long["variable"] = (
        "imf_" + long["Indicator Code"].str.strip().str.lower() + "_" + long["Sector Code"].str.strip().map(IMF_SECTORS)
    )
    long["country"] = long["Country Code"].str.strip().map(mapping)
    long["year"] = long["year"].astype(str).str.strip().astype("int64")
    _no_duplicates(long, ["country", "year", "variable"], path, "Country Code/Indicator Code/Sector Code")
    wide = long.pivot(index=["country", "year"], columns="variable", values="value").reset_index()
    wide.columns.name = None
    rows = [
        {
            "source": "imf_fd",
            "file": GOVERNANCE_FILES["imf"],
            "column": "Country Code",
            "code": c,
            "status": f"outside the European scope (ISO-2 {iso2[c]})",
        }
        for c in sorted(outside)
    ]
    return wide, _unmatched(rows)


# ----------------------------------------------------------------------------- CWS
def read_cws(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Comparative Welfare States: ``country, year`` and the ``cws_*`` columns of :data:`CWS_VARIABLES`."""
    if not path.is_file():
        raise DataUnavailableError(f"{path}: file missing; run `localise data fetch` with a data mirror")
    try:  # calamine (Rust) reads the 1 299 x 400 sheet in about a second; openpyxl takes 20 s
        df = pd.read_excel(path, engine="calamine")
    except Exception as error:  # noqa: BLE001 - any reader failure means a bad workbook
        raise InputError(f"{path}: cannot read the workbook ({error}); expected the CWS 2020 xlsx") from error
    need = ["id", "year", *CWS_VARIABLES]
    _require(df, need, path)
    df = df[df["id"].notna()]
    match = crosswalk.match_countries(df["id"], "cws", file=str(path), column="id", quirks=CWS_OUTSIDE)
    df = df[df["id"].astype(str).str.strip().isin(match.mapping)]
    out = pd.DataFrame(
        {
            "country": df["id"].astype(str).str.strip().map(match.mapping),
            "year": _numeric(df["year"], path, "year").astype("int64"),
        }
    )
    for source, (column, _, _) in CWS_VARIABLES.items():
        out[column] = _numeric(df[source], path, source)
    out = out[out.drop(columns=["country", "year"]).notna().any(axis=1)]
    _no_duplicates(out, ["country", "year"], path, "id/year")
    return out.reset_index(drop=True), match.report(source="cws", file=GOVERNANCE_FILES["cws"], column="id")


# ----------------------------------------------------------------------------- EQI
_EQI_COLUMNS = {
    "EQI": "eqi",
    "EQI_me": "eqi_me",
    "EQI_low_me": "eqi_low",
    "EQI_high_me": "eqi_high",
    "qualityp": "quality",
    "impartialityp": "impartiality",
    "corruptionp": "corruption",
}
_TYPOLOGY = {0: "country", 1: "nuts_level_1", 2: "nuts_level_2", 3: "nuts_level_3"}


def _codes_by_version(tidy: pd.DataFrame) -> dict[tuple[int, int], set[str]]:
    return {
        (v, lvl): set(tidy.loc[tidy["typology"] == typ, f"code_{v}"].dropna().str.strip())
        for v in nuts.NUTS_VERSIONS
        for lvl, typ in _TYPOLOGY.items()
    }


def detect_nuts_version(codes: pd.DataFrame, tidy: pd.DataFrame, *, file: str, wave: int) -> tuple[int, list[str]]:
    """The NUTS version whose code lists hold a wave's codes: ``(version, codes not in it)``.

    ``codes`` has columns ``code`` and ``nuts_level``. Among versions holding every code, the
    one nearest to the wave year wins (ties: the newer). When none holds every code, the
    best one is used if it holds at least :data:`EQI_MIN_COVERAGE` of them and the others
    are returned; otherwise the wave matches no NUTS version (:class:`InputError`).
    """
    lists = _codes_by_version(tidy)
    missing = {
        v: [c for c, lvl in zip(codes["code"], codes["nuts_level"]) if c not in lists[(v, int(lvl))]]
        for v in nuts.NUTS_VERSIONS
    }
    full = [v for v in nuts.NUTS_VERSIONS if not missing[v]]
    if full:
        return min(full, key=lambda v: (abs(v - wave), -v)), []
    best = min(nuts.NUTS_VERSIONS, key=lambda v: (len(missing[v]), -v))
    coverage = 1 - len(missing[best]) / max(len(codes), 1)
    if coverage < EQI_MIN_COVERAGE:
        raise InputError(
            f"{file}: the region codes of wave {wave} (column 'region_code') match no NUTS version: the best, NUTS "
            f"{best}, holds {coverage:.0%} of them (e.g. {missing[best][:5]}); expected NUTS 2010/2013/2016/2021 codes"
        )
    return best, missing[best]


def _to_nuts2016(
    code: str, level: int, version: int, tidy: pd.DataFrame, corr: nuts.Correspondence
) -> tuple[str | None, str, str]:
    """Map one code of NUTS ``version`` to NUTS 2016: ``(code or None, recode, detail)``."""
    if level == 2:
        target, status = nuts.recode(code, version, 2016, corr)
        if target is not None:
            return target, ("identical" if target == code else "recoded"), status
        return _via_nuts3(code, version, tidy, reason=status)
    rows = tidy[(tidy["typology"] == _TYPOLOGY[level]) & (tidy[f"code_{version}"] == code)]
    targets = sorted(set(rows["code_2016"].dropna()))
    if len(targets) == 1:
        return targets[0], ("identical" if targets[0] == code else "recoded"), f"NUTS {level} code"
    return None, "unmatched-reported", f"NUTS {level} code without a NUTS 2016 counterpart"


def _via_nuts3(code: str, version: int, tidy: pd.DataFrame, *, reason: str) -> tuple[str | None, str, str]:
    """Place a level-2 code that changed territory through its NUTS 3 regions."""
    n3 = tidy[tidy["typology"] == "nuts_level_3"]
    children = n3[n3[f"code_{version}"].fillna("").str.startswith(code)]
    old = children["code_2016"].dropna()
    parents = sorted(set(old.str[:4]))
    if len(parents) == 1 and len(old) == len(children):
        parent = parents[0]
        all_children = set(n3["code_2016"].dropna()[n3["code_2016"].dropna().str.startswith(parent)])
        if set(old) == all_children:
            return parent, ("identical" if parent == code else "recoded"), f"same NUTS 3 regions ({reason})"
        return parent, "split", f"part of {parent} (NUTS 2016), which was split ({reason})"
    if len(parents) > 1:
        return None, "merged", f"covers parts of {'+'.join(parents)} (NUTS 2016) ({reason})"
    return None, "unmatched-reported", f"no NUTS 2016 counterpart ({reason})"


def _check_eqi_codes(df: pd.DataFrame, level: pd.Series, path: Path) -> None:
    """Reject EQI region codes whose level, country or country prefix do not fit their row."""
    from_code = df["region_code"].map(nuts.nuts_level)
    wrong = df.loc[from_code != level, "region_code"]
    if len(wrong):
        raise InputError(
            f"{path}: unknown region code {wrong.iloc[0]!r} in column 'region_code' "
            f"(nuts_level {level[wrong.index[0]]}); expected a NUTS code of that level"
        )
    countries = crosswalk.match_countries(df["NUTS0_code"], "eurostat", file=str(path), column="NUTS0_code")
    if countries.outside:
        raise InputError(
            f"{path}: country code(s) {countries.outside} in column 'NUTS0_code' are outside the EU; "
            "expected EU-27 codes"
        )
    prefix = df["region_code"].str[:2] != df["NUTS0_code"].str.strip()
    if prefix.any():
        raise InputError(
            f"{path}: region code {df.loc[prefix, 'region_code'].iloc[0]!r} in column 'region_code' does "
            f"not start with its country code {df.loc[prefix, 'NUTS0_code'].iloc[0]!r}"
        )


def _eqi_wave(
    sub: pd.DataFrame, level: pd.Series, wave: int, tidy: pd.DataFrame, corr: nuts.Correspondence, path: Path
) -> tuple[pd.DataFrame, list[dict]]:
    """One EQI wave's rows with NUTS 2016 codes: ``(table, report rows of codes not carried one to one)``.

    The wave's codes are read in the NUTS version that holds them all, then mapped to NUTS 2016.
    """
    codes = pd.DataFrame({"code": sub["region_code"], "nuts_level": level}).drop_duplicates()
    version, absent = detect_nuts_version(codes, tidy, file=str(path), wave=wave)
    if absent:
        raise InputError(
            f"{path}: unknown region code {absent[0]!r} in column 'region_code' (wave {wave}); "
            f"expected a NUTS {version} code like the other codes of the wave (also: {absent[1:5]})"
        )
    mapped = {c: _to_nuts2016(c, int(lvl), version, tidy, corr) for c, lvl in codes.itertuples(index=False)}
    part = pd.DataFrame(
        {
            "geo": sub["region_code"].map({c: target for c, (target, _, _) in mapped.items()}),
            "geo_wave": sub["region_code"],
            "nuts_level": level,
            "country": sub["NUTS0_code"].str.strip(),
            "wave": np.int64(wave),
            **{new: _numeric(sub[old], path, old) for old, new in _EQI_COLUMNS.items()},
            "recode": sub["region_code"].map({c: recode for c, (_, recode, _) in mapped.items()}),
            "name": sub["name"].astype(str),
            "nuts_version_wave": np.int64(version),
        }
    )
    report_rows = [
        {
            "source": "eqi",
            "file": GOVERNANCE_FILES["eqi"],
            "column": "region_code",
            "code": f"{code} ({wave})",
            "status": f"{recode}: {detail}",
        }
        for code, (_target, recode, detail) in sorted(mapped.items())
        if recode not in ("identical", "recoded")
    ]
    return part, report_rows


def read_eqi(path: Path, nuts_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """EQI regions x waves with NUTS 2016 codes: ``(table, report of codes not carried one to one)``."""
    df = _read_csv(path, dtype={"region_code": str, "NUTS0_code": str})
    _require(df, ["region_code", "name", "year", "nuts_level", "NUTS0_code", *_EQI_COLUMNS], path)
    tidy = pd.read_csv(nuts_dir / nuts.TIDY_FILE, dtype=str)
    corr = nuts.load_correspondence(nuts_dir)
    df["region_code"] = df["region_code"].astype(str).str.strip()
    year = _numeric(df["year"], path, "year").astype("int64")
    bad_wave = sorted(set(year) - set(EQI_WAVES))
    if bad_wave:
        raise InputError(f"{path}: unknown wave(s) {bad_wave} in column 'year'; expected {list(EQI_WAVES)}")
    level = _numeric(df["nuts_level"], path, "nuts_level").astype("int64")
    _check_eqi_codes(df, level, path)
    parts, report_rows = [], []
    for wave in EQI_WAVES:
        mask = (year == wave).to_numpy()
        if not mask.any():
            continue
        part, wave_report = _eqi_wave(df.loc[mask], level[mask], wave, tidy, corr, path)
        parts.append(part)
        report_rows += wave_report
    out = pd.concat(parts, ignore_index=True).sort_values(["wave", "geo_wave"]).reset_index(drop=True)
    _no_duplicates(out, ["geo_wave", "wave"], path, "region_code/year")
    report_df = _unmatched(report_rows)
    if len(report_df):
        warnings.warn(
            f"{GOVERNANCE_FILES['eqi']}: {len(report_df)} region code x wave not carried one to one into "
            f"NUTS 2016: {sorted(set(report_df['status'].str.split(':').str[0]))} -- "
            f"{list(report_df['code'])[:12]} (table governance_unmatched)",
            UnmatchedCodesWarning,
            stacklevel=2,
        )
    return out, report_df


# ----------------------------------------------------------------------------- schemas
def _share_columns(columns: Iterable[str]) -> list[str]:
    return [c for c in columns if c.startswith(("imf_sd_", "imf_rd_", "imf_taxd_"))]


def country_year_schema(columns: Iterable[str]) -> pa.DataFrameSchema:
    """Pandera schema of ``governance_country_year`` (the IMF and CWS columns vary with the files)."""
    import pandera.pandas as pa

    known = set(crosswalk.COUNTRIES["country"])
    spec = {
        "country": pa.Column(str, pa.Check.isin(known)),
        "iso3": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{3}$")),
        "country_name": pa.Column(str),
        "year": pa.Column("int64", pa.Check.in_range(1950, 2030)),
        "lai": pa.Column(float, pa.Check.in_range(0, 100), nullable=True),
        "rai": pa.Column(float, pa.Check.in_range(0, 60), nullable=True),
        "rai_self_rule": pa.Column(float, pa.Check.ge(0), nullable=True),
        "rai_shared_rule": pa.Column(float, pa.Check.ge(0), nullable=True),
    }
    spec.update({f"rai_{d}": pa.Column(float, pa.Check.ge(0), nullable=True) for d in RAI_DIMENSIONS})
    for col in columns:
        if col.startswith(("imf_", "cws_")):
            spec[col] = pa.Column(float, nullable=True)
    for col in _share_columns(columns):
        spec[col] = pa.Column(float, pa.Check.in_range(-0.01, 1.01), nullable=True)
    return pa.DataFrameSchema(spec, unique=["country", "year"], strict=True, ordered=False)


def eqi_schema() -> pa.DataFrameSchema:
    """Pandera schema of ``eqi_region_wave``."""
    import pandera.pandas as pa

    close = pa.Check(
        lambda d: d["eqi_low"].isna() | ((d["eqi_low"] - (d["eqi"] - d["eqi_me"])).abs() < 1e-6),
        error="eqi_low = eqi - eqi_me",
    )
    close_high = pa.Check(
        lambda d: d["eqi_high"].isna() | ((d["eqi_high"] - (d["eqi"] + d["eqi_me"])).abs() < 1e-6),
        error="eqi_high = eqi + eqi_me",
    )
    return pa.DataFrameSchema(
        {
            "geo": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{2}[A-Z0-9]{0,2}$"), nullable=True),
            "geo_wave": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{2}[A-Z0-9]{0,2}$")),
            "nuts_level": pa.Column("int64", pa.Check.isin([0, 1, 2])),
            "country": pa.Column(str, pa.Check.isin(crosswalk.EU27)),
            "wave": pa.Column("int64", pa.Check.isin(EQI_WAVES)),
            "eqi": pa.Column(float),
            **{c: pa.Column(float, nullable=True) for c in ("eqi_me", "eqi_low", "eqi_high")},
            **{c: pa.Column(float, nullable=True) for c in ("quality", "impartiality", "corruption")},
            "recode": pa.Column(str, pa.Check.isin(RECODE_VALUES)),
            "name": pa.Column(str),
            "nuts_version_wave": pa.Column("int64", pa.Check.isin(nuts.NUTS_VERSIONS)),
        },
        checks=[close, close_high],
        unique=["geo_wave", "wave"],
        strict=True,
    )


def _validate(frame: pd.DataFrame, schema: pa.DataFrameSchema, name: str) -> pd.DataFrame:
    import pandera.pandas as pa

    try:
        return schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as error:
        raise InputError(f"{name} failed schema validation: {str(error)[:1500]}") from error


# ----------------------------------------------------------------------------- build
def governance_raw_present(raw: Path | None = None) -> bool:
    """True when at least one governance raw file was fetched into ``raw``."""
    raw = paths.data_raw() if raw is None else raw
    return any((raw / rel).is_file() for rel in GOVERNANCE_FILES.values())


def _years_text(years: pd.Series) -> str:
    ys = sorted(set(int(y) for y in years))
    if not ys:
        return ""
    if len(ys) <= 6 and (ys[-1] - ys[0] + 1) != len(ys):
        return ", ".join(map(str, ys))
    gaps = (ys[-1] - ys[0] + 1) - len(ys)
    return f"{ys[0]}-{ys[-1]}" + (f" ({len(ys)} years)" if gaps else "")


def _codebook(table: pd.DataFrame, eqi: pd.DataFrame, imf_names: dict[str, str]) -> pd.DataFrame:
    rows = [
        ("country", "crosswalk", "Eurostat geo code of the country (EL Greece, UK United Kingdom)", "code"),
        ("iso3", "crosswalk", "ISO 3166-1 alpha-3 code", "code"),
        ("country_name", "crosswalk", "English country name", "text"),
        ("year", "all", "calendar year", "year"),
        ("lai", "lai", "Local Autonomy Index 1.0, total (published years only; not interpolated)", "index (0-100)"),
        ("rai", "rai", "Regional Authority Index, country score (n_RAI: self rule + shared rule)", "index"),
        ("rai_self_rule", "rai", "RAI self rule (n_selfrule)", "index"),
        ("rai_shared_rule", "rai", "RAI shared rule (n_sharedrule)", "index"),
    ]
    rows += [
        (f"rai_{d}", "rai", f"RAI dimension {_RAI_TEXT[d]} (n_{d}; first of repeated columns)", "index")
        for d in RAI_DIMENSIONS
    ]
    for col in table.columns:
        if col.startswith("imf_"):
            code, sector = col[4:].rsplit("_", 1)
            name = next((v for k, v in imf_names.items() if k.lower() == code), code)
            rows.append(
                (
                    col,
                    "imf_fd",
                    f"{name}; {sector} government (IMF indicator {code}); shares are of general "
                    "government and not consolidated across levels",
                    "ratio",
                )
            )
    for source, (col, text, unit) in CWS_VARIABLES.items():
        rows.append((col, "cws", f"{text} (CWS variable {source})", unit))
    years = [
        _years_text(table.loc[table[v].notna(), "year"])
        if v in table.columns and v not in ("country", "iso3", "country_name", "year")
        else _years_text(table["year"])
        for v, *_ in rows
    ]
    out = _codebook_entries(rows, years, table)
    eqi_cb = _codebook_entries(_EQI_CODEBOOK, ", ".join(str(w) for w in sorted(eqi["wave"].unique())), eqi)
    return pd.concat([out, eqi_cb], ignore_index=True)


#: Codebook rows (variable, source, description, unit) of the EQI table.
_EQI_CODEBOOK = [
    ("eqi", "eqi", "European Quality of Government Index (standardised within each wave)", "z-score"),
    ("eqi_me", "eqi", "margin of error of the EQI", "z-score"),
    ("eqi_low", "eqi", "lower bound, eqi - eqi_me", "z-score"),
    ("eqi_high", "eqi", "upper bound, eqi + eqi_me", "z-score"),
    ("quality", "eqi", "quality pillar (qualityp)", "z-score"),
    ("impartiality", "eqi", "impartiality pillar (impartialityp)", "z-score"),
    ("corruption", "eqi", "corruption pillar (corruptionp; higher = less corruption)", "z-score"),
]


def _codebook_entries(
    rows: list[tuple[str, str, str, str]], years: list[str] | str, data: pd.DataFrame
) -> pd.DataFrame:
    """Codebook table of ``rows`` with the years covered and the number of countries with a value in ``data``."""
    entries = pd.DataFrame(rows, columns=["variable", "source", "description", "unit"])
    entries["years"] = years
    entries["countries"] = [int(data.loc[data[v].notna(), "country"].nunique()) for v in entries["variable"]]
    return entries


def build_governance(raw: Path | None = None) -> dict[str, pd.DataFrame]:
    """Build (without writing) the governance tables from the raw files.

    Returns
    -------
    dict
        ``governance_country_year``, ``eqi_region_wave``, ``governance_codebook``,
        ``governance_unmatched`` (frames, validated).
    """
    from localise.data.fetch import verify_manifest

    raw = paths.data_raw() if raw is None else raw
    verify_manifest(GOVERNANCE_FILES.values())
    file = {k: raw / rel for k, rel in GOVERNANCE_FILES.items()}
    rai, rai_out = read_rai(file["rai"])
    lai, lai_out = read_lai(file["lai"])
    imf, imf_out = read_imf(file["imf"], file["imf_meta"])
    eqi, eqi_out = read_eqi(file["eqi"], raw / "nuts")
    cws, cws_out = read_cws(file["cws"])

    keys = pd.concat([t[["country", "year"]] for t in (rai, lai, imf, cws)]).drop_duplicates()
    table = keys
    for part in (lai, rai, imf, cws):
        table = table.merge(part, on=["country", "year"], how="left")
    names = crosswalk.COUNTRIES.set_index("country")
    table.insert(1, "iso3", table["country"].map(names["iso3"]))
    table.insert(2, "country_name", table["country"].map(names["country_name"]))
    imf_cols = sorted(c for c in table.columns if c.startswith("imf_"))
    front = [c for c in table.columns if not c.startswith(("imf_", "cws_"))]
    cws_cols = [c for c in table.columns if c.startswith("cws_")]
    table = table[front + imf_cols + cws_cols].sort_values(["country", "year"]).reset_index(drop=True)
    table = _validate(table, country_year_schema(table.columns), "governance_country_year")
    eqi = _validate(eqi, eqi_schema(), "eqi_region_wave")
    unmatched = pd.concat([rai_out, lai_out, imf_out, cws_out, eqi_out], ignore_index=True)
    for source, codes in unmatched.groupby("source")["code"]:
        log.info(
            "governance %s: %d codes not carried one to one (see governance_unmatched): %s",
            source,
            len(codes),
            ", ".join(codes),
        )
    codebook = _codebook(table, eqi, imf_indicator_names(file["imf_meta"]))
    log.info(
        "governance: %d country-years (%d countries), %d EQI rows, %d codes reported",
        len(table),
        table["country"].nunique(),
        len(eqi),
        len(unmatched),
    )
    return {
        "governance_country_year": table,
        "eqi_region_wave": eqi,
        "governance_codebook": codebook,
        "governance_unmatched": unmatched,
    }


def write_governance(raw: Path | None = None) -> dict[str, Path]:
    """Build the governance tables and write them to ``data/processed/`` (each file atomically).

    Everything is read and validated before the first file is written, so bad input
    (an :class:`InputError`) leaves ``data/processed/`` as it was. ``localise data build``
    does the same as part of :func:`localise.data.build.build_all`.
    """
    from localise.atomic import atomic_path

    tables = build_governance(raw)
    written = {}
    for name, frame in tables.items():
        target = paths.data_processed() / f"{name}.parquet"
        with atomic_path(target) as tmp:
            frame.to_parquet(tmp, index=False)
        written[name] = target
    return written


# ----------------------------------------------------------------------------- loaders
def _processed(key: str) -> Path:
    return paths.data_processed() / PROCESSED[key]


def has_governance_data() -> bool:
    """True when ``localise data build`` has written the processed governance tables."""
    return all(_processed(k).is_file() for k in PROCESSED)


def _read_processed(key: str) -> pd.DataFrame:
    path = _processed(key)
    if not path.is_file():
        raise InputError(
            f"{path} does not exist: the governance data are real data only (no SYNTHETIC fallback). "
            "Run `localise data prepare` with the data mirror (LOCALISE_DATA_MIRROR) to build them"
        )
    from localise.data import processed

    processed.verify(path)
    df = pd.read_parquet(path)
    df.attrs = {
        "synthetic": False,
        "path": str(path),
        "source_note": "Sources: QoG EQI 2024; RAI v3 (2021); LAI 1.0; IMF Fiscal Decentralization "
        "Dataset 2018; Comparative Welfare States 2020; processed by localise",
    }
    provenance.record_input(path, synthetic=False)
    return df


def _countries(countries: Iterable[str] | str | None, what: str) -> list[str] | None:
    if countries is None:
        return None
    if isinstance(countries, str):
        countries = [countries]
    known = set(crosswalk.COUNTRIES["country"])
    out = []
    for code in countries:
        code = str(code).strip().upper()
        code = {"GR": "EL", "GB": "UK"}.get(code, code)
        if code not in known:
            raise InputError(
                f"{what}(countries=...): unknown country code {code!r}; expected Eurostat codes such "
                f"as {sorted(known)[:8]} ..."
            )
        out.append(code)
    return out


def load_governance_country_year(countries: Iterable[str] | str | None = None) -> pd.DataFrame:
    """Country-year governance measures (RAI, LAI, IMF fiscal decentralisation, CWS).

    Parameters
    ----------
    countries
        Eurostat country codes to keep (``GR``/``GB`` are accepted for ``EL``/``UK``);
        default all.

    Returns
    -------
    DataFrame
        One row per country-year: ``country, iso3, country_name, year, lai, rai,
        rai_self_rule, rai_shared_rule, rai_<dimension>`` (ten), ``imf_<indicator>_<sector>``
        (sector ``local``, ``subnational``, ``state``, ``central``) and ``cws_*``. Variables are
        described by :func:`governance_codebook`.

    Raises
    ------
    InputError
        When the processed file is missing (run ``localise data prepare``) or a country is unknown.
    """
    keep = _countries(countries, "load_governance_country_year")
    df = _read_processed("country_year")
    if keep is not None:
        attrs = df.attrs
        df = df[df["country"].isin(keep)].reset_index(drop=True)
        df.attrs = attrs
    return df


def load_eqi_regions(countries: Iterable[str] | str | None = None) -> pd.DataFrame:
    """European Quality of Government Index, one row per region and wave.

    Returns
    -------
    DataFrame
        ``geo`` (NUTS 2016 code; several rows of one wave share it where NUTS 2016 has one
        region that the wave's NUTS version splits, ``recode == "split"``; empty where no
        NUTS 2016 region corresponds), ``geo_wave`` (code as published), ``nuts_level``
        (0, 1 or 2: BE and DE are surveyed at NUTS 1; CY, EE, LU, LV, MT as countries),
        ``country``, ``wave`` (2010, 2013, 2017, 2021, 2024), ``eqi, eqi_me, eqi_low,
        eqi_high, quality, impartiality, corruption``, ``recode`` (identical / recoded /
        split / merged / unmatched-reported), ``name``, ``nuts_version_wave``.
    """
    keep = _countries(countries, "load_eqi_regions")
    df = _read_processed("eqi")
    if keep is not None:
        attrs = df.attrs
        df = df[df["country"].isin(keep)].reset_index(drop=True)
        df.attrs = attrs
    return df


def load_governance_unmatched() -> pd.DataFrame:
    """Source codes not carried one to one into the governance tables (``source, file, column, code, status``)."""
    return _read_processed("unmatched")


def governance_codebook() -> pd.DataFrame:
    """Codebook of the governance tables: ``variable, source, description, unit, years, countries``.

    ``years`` lists the years with at least one value; ``countries`` counts the countries
    with at least one value (coverage differs a lot between IMF indicators).
    """
    return _read_processed("codebook")

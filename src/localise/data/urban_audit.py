"""City values of Eurostat's Urban Audit from a third-party extract (derived, not raw).

The mirror folder ``city/urban_audit_extract/`` holds two JSON files that a web-map
project built from Eurostat's dissemination API (see ``catalogue.yml``, ``files:``):

* ``eurostat-cities.json``: one record per Urban Audit core city, keyed by a Wikidata
  identifier, with the Urban Audit code (``eurostatCode``, e.g. ``ES002C``; the 2019
  code list writes ``ES002C1``), a latest value and a history ``[[year, value], ...]``
  per indicator. The project matched Eurostat's city names to Wikidata entities **by
  name**; the values themselves were fetched by Urban Audit code.
* ``eurostat-regions.json``: NUTS 2 unemployment rate and GDP per head (PPS, EU = 100).

:func:`read_cities` and :func:`read_regions` turn them into tidy tables (one row per
city or region, indicator and year) validated with pandera; every row carries
``origin`` = :data:`ORIGIN`. :func:`city_records` lists every record with its number of
values, so an empty record is reported and not silently dropped; :func:`check_cases`
compares the case registry's Urban Audit codes with the extract and the 2019 code list.

Years. The extract drops the history when a city has a single value for an indicator
and keeps only the latest value. Its record ``year`` is the latest year of the first
indicator present in the order unemployment, activity, median income, poverty, so the
year of a single value is known only when no earlier indicator of that order has a
value; otherwise the row gets no year (``year`` missing) and ``year_note`` says why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from localise.errors import DataUnavailableError, InputError

if TYPE_CHECKING:  # pandera is imported where a schema is used: it costs ~0.3 s
    import pandera.pandas as pa

__all__ = [
    "CITIES_FILE",
    "REGIONS_FILE",
    "CODE_LIST_FILE",
    "ORIGIN",
    "CITY_INDICATORS",
    "UNVERIFIED_CODES",
    "read_cities",
    "read_regions",
    "city_records",
    "read_code_list",
    "check_cases",
    "build_tables",
    "load_urban_audit",
]

CITIES_FILE = "city/urban_audit_extract/eurostat-cities.json"
REGIONS_FILE = "city/urban_audit_extract/eurostat-regions.json"
CODE_LIST_FILE = "city/urban_audit_city_fua_codes_2019.csv"
ORIGIN = "Urban Audit via third-party extract (kevinkicho/kworlddatamap032926 @ a9bc621f; derived, not raw)"


@dataclass(frozen=True)
class CityIndicator:
    """One Urban Audit indicator of the city extract."""

    code: str
    key: str
    history_key: str
    label: str
    unit: str


#: Indicators read from the city records, in the order the extract uses to set a record's ``year``.
CITY_INDICATORS: tuple[CityIndicator, ...] = (
    CityIndicator("EC1020I", "unemploymentPct", "unemploymentHistory", "Unemployment rate (%)", "PC"),
    CityIndicator("EC1001I", "activityRate", "activityHistory", "Activity rate (%)", "PC"),
    CityIndicator(
        "EC3039V", "medianIncome", "medianIncomeHistory", "Median disposable annual household income (EUR)", "EUR"
    ),
    CityIndicator("EC3065V", "povertyPct", "povertyHistory", "Poverty indicator as labelled by the extract (%)", "PC"),
)

#: Codes of the extract whose attribution to a city is by name only and disagrees with the 2019
#: code list: Wikidata key of the extract record, what the extract calls it, and the 2019 list.
UNVERIFIED_CODES: dict[str, str] = {
    "FR003C": "the extract gives it to Lille (Wikidata Q648); the 2019 list has FR003C2 = Lyon",
    "FR009C": "the extract gives it to Wikidata Q6602 (Strasbourg); the 2019 list has FR009C1 = Lille",
    "FR025C": (
        "the extract gives it to Mulhouse (Wikidata Q79815); the 2019 list has FR025C1 = Besançon, Mulhouse = FR040C2"
    ),
}

_CITY_COLUMNS = [
    "city_code",
    "city_name",
    "wikidata_id",
    "country",
    "indicator_code",
    "indicator_label",
    "unit",
    "year",
    "year_note",
    "value",
    "origin",
]
_REGION_INDICATORS = {
    "unemployment": (
        "unemployment_rate",
        "unemployment_history",
        "unemployment_year",
        "Unemployment rate 15-74 (%)",
        "PC",
    ),
    "gdp": ("gdp_pps_eu100", "gdp_pps_history", "gdp_pps_year", "GDP per inhabitant in PPS (EU = 100)", "PPS_EU100"),
}


# ----------------------------------------------------------------------------- reading
def _read_json(path: Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise DataUnavailableError(f"{path}: file missing; run `localise data fetch` with the data mirror")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: not valid JSON ({error}); expected an object of records") from error
    if not isinstance(doc, dict) or not doc:
        raise InputError(f"{path}: top level is {type(doc).__name__}; expected a non-empty object keyed by identifier")
    return doc


def _history(path: Path, key: str, field: str, raw: Any) -> list[tuple[int, float]]:
    """``[[year, value], ...]`` as a list of pairs; InputError naming file, record and key otherwise."""
    if raw is None:
        return []
    where = f"{path}: record {key!r}, key {field!r}"
    if not isinstance(raw, list):
        raise InputError(f"{where}: {type(raw).__name__}; expected a list of [year, value] pairs")
    out = []
    for item in raw:
        ok = (
            isinstance(item, list)
            and len(item) == 2
            and isinstance(item[0], int)
            and isinstance(item[1], (int, float))
            and not isinstance(item[1], bool)
        )
        if not ok:
            raise InputError(f"{where}: entry {item!r}; expected [year, value] with an integer year and a number")
        out.append((int(item[0]), float(item[1])))
    return out


def _number(path: Path, key: str, field: str, raw: Any) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise InputError(f"{path}: record {key!r}, key {field!r}: {raw!r}; expected a number or null")
    return float(raw)


def _record(path: Path, key: str, rec: Any, required: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(rec, dict):
        raise InputError(f"{path}: record {key!r} is {type(rec).__name__}; expected an object")
    missing = [k for k in required if k not in rec]
    if missing:
        raise InputError(f"{path}: record {key!r} lacks key(s) {missing}; expected {list(required)}")
    return rec


def _city_required() -> tuple[str, ...]:
    keys = ["eurostatCode", "country", "year"]
    for ind in CITY_INDICATORS:
        keys += [ind.key, ind.history_key]
    return tuple(keys)


def _city_rows(path: Path, key: str, rec: dict[str, Any]) -> list[dict[str, Any]]:
    code = rec["eurostatCode"]
    if not isinstance(code, str) or len(code) != 6 or not code[:2].isalpha() or not code.endswith("C"):
        raise InputError(
            f"{path}: record {key!r}, key 'eurostatCode': {code!r}; expected an Urban Audit city code like 'ES002C'"
        )
    record_year = rec["year"]
    if record_year is not None and not isinstance(record_year, int):
        raise InputError(f"{path}: record {key!r}, key 'year': {record_year!r}; expected an integer or null")
    rows = []
    earlier_present = False
    for ind in CITY_INDICATORS:
        latest = _number(path, key, ind.key, rec[ind.key])
        history = _history(path, key, ind.history_key, rec[ind.history_key])
        base = {
            "city_code": code,
            "wikidata_id": key,
            "country": str(rec["country"]),
            "indicator_code": ind.code,
            "indicator_label": ind.label,
            "unit": ind.unit,
            "origin": ORIGIN,
        }
        if history:
            if latest is not None and history[-1][1] != latest:
                raise InputError(
                    f"{path}: record {key!r}: {ind.key}={latest} differs from the last entry of "
                    f"{ind.history_key} {history[-1]}; expected the latest value to close the history"
                )
            rows += [{**base, "year": y, "year_note": "", "value": v} for y, v in history]
        elif latest is not None:
            known = not earlier_present and record_year is not None
            rows.append(
                {
                    **base,
                    "year": record_year if known else None,
                    "year_note": "" if known else "single value; the extract does not state its year",
                    "value": latest,
                }
            )
        earlier_present = earlier_present or latest is not None
    return rows


def city_schema() -> pa.DataFrameSchema:
    """Pandera schema of the tidy city table."""
    import pandera.pandas as pa

    return pa.DataFrameSchema(
        {
            "city_code": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{2}[0-9]{3}C$")),
            "city_name": pa.Column(str, nullable=True),
            "wikidata_id": pa.Column(str, pa.Check.str_matches(r"^Q[0-9]+$")),
            "country": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{2}$")),
            "indicator_code": pa.Column(str, pa.Check.isin([i.code for i in CITY_INDICATORS])),
            "indicator_label": pa.Column(str),
            "unit": pa.Column(str),
            "year": pa.Column("Int64", pa.Check.in_range(1980, 2035), nullable=True),
            "year_note": pa.Column(str),
            "value": pa.Column(float, pa.Check.ge(0)),
            "origin": pa.Column(str),
        },
        # activity rates above 100 occur in the source (ES056C 2016: 118.58) and are kept as published
        checks=[
            pa.Check(
                lambda df: ~df["indicator_code"].isin(["EC1020I", "EC3065V"]) | df["value"].le(100),
                error="unemployment and poverty percentages must be <= 100",
            )
        ],
        unique=["city_code", "indicator_code", "year"],
        strict=True,
        name="urban_audit_cities",
    )


def _validate(frame: pd.DataFrame, schema: pa.DataFrameSchema, path: Path) -> pd.DataFrame:
    import pandera.pandas as pa

    try:
        return schema.validate(frame, lazy=True)
    except (pa.errors.SchemaErrors, pa.errors.SchemaError) as error:
        raise InputError(f"{path}: {schema.name} failed schema validation: {str(error)[:1500]}") from error


def read_code_list(path: str | Path) -> pd.DataFrame:
    """The 2019 Urban Audit code list (``country_code, country, fua_code, fua, city_code``)."""
    path = Path(path)
    if not path.is_file():
        raise DataUnavailableError(f"{path}: file missing; run `localise data fetch` with the data mirror")
    codes = pd.read_csv(path, dtype=str, keep_default_na=False)
    need = ["country_code", "fua", "city_code"]
    missing = [c for c in need if c not in codes.columns]
    if missing:
        raise InputError(f"{path}: columns {missing} missing; expected {need}")
    return codes


def _names_2019(code_list: pd.DataFrame | None) -> dict[str, str]:
    """Extract code (``ES002C``) -> name in the 2019 list (its C1 or C2 code)."""
    if code_list is None:
        return {}
    cities = code_list[code_list["city_code"].str.fullmatch(r"[A-Z]{2}[0-9]{3}C[0-9]")]
    return dict(zip(cities["city_code"].str[:6], cities["fua"]))


def read_cities(path: str | Path, code_list: pd.DataFrame | None = None) -> pd.DataFrame:
    """Tidy city values of ``eurostat-cities.json``.

    Parameters
    ----------
    path
        The JSON file.
    code_list
        The 2019 Urban Audit code list (:func:`read_code_list`); gives ``city_name``
        (missing when the code is not in the list or no list is given).

    Returns
    -------
    DataFrame
        Columns ``city_code, city_name, wikidata_id, country, indicator_code,
        indicator_label, unit, year, year_note, value, origin``; one row per city,
        indicator and year (``year`` missing for the single values whose year the
        extract does not state, explained in ``year_note``).

    Raises
    ------
    InputError
        Malformed file: the message names the file, the record and the key.
    """
    path = Path(path)
    doc = _read_json(path)
    required = _city_required()
    rows = []
    for key, rec in doc.items():
        rows += _city_rows(path, key, _record(path, key, rec, required))
    frame = pd.DataFrame(rows, columns=[c for c in _CITY_COLUMNS if c != "city_name"])
    frame.insert(1, "city_name", frame["city_code"].map(_names_2019(code_list)).astype("str"))
    frame["year"] = frame["year"].astype("Int64")
    frame["value"] = frame["value"].astype(float)
    frame = frame.sort_values(["city_code", "indicator_code", "year"], kind="stable").reset_index(drop=True)
    return _validate(frame, city_schema(), path)


def city_records(path: str | Path, code_list: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per record of ``eurostat-cities.json``, also the empty ones.

    Columns ``wikidata_id, city_code, country, n_values`` (values of
    :data:`CITY_INDICATORS`), ``in_code_list_2019``, ``name_2019`` and ``code_note``
    (why the code's attribution is not verified, from :data:`UNVERIFIED_CODES`).
    """
    path = Path(path)
    doc = _read_json(path)
    required = _city_required()
    names = _names_2019(code_list)
    rows = []
    for key, rec in doc.items():
        n = len(_city_rows(path, key, _record(path, key, rec, required)))
        code = rec["eurostatCode"]
        rows.append(
            {
                "wikidata_id": key,
                "city_code": code,
                "country": str(rec["country"]),
                "n_values": n,
                "in_code_list_2019": code in names,
                "name_2019": names.get(code),
                "code_note": UNVERIFIED_CODES.get(code, ""),
            }
        )
    out = pd.DataFrame(rows)
    dup = out[out["city_code"].duplicated(keep=False)]
    if not dup.empty:
        raise InputError(
            f"{path}: Urban Audit code {dup['city_code'].iloc[0]} appears in records "
            f"{list(dup['wikidata_id'])}; expected one record per code"
        )
    return out.sort_values("city_code").reset_index(drop=True)


def read_regions(path: str | Path) -> pd.DataFrame:
    """Tidy NUTS 2 values of ``eurostat-regions.json``.

    Columns ``geo, name, country, indicator, indicator_label, unit, year, value, origin``.
    """
    import pandera.pandas as pa

    path = Path(path)
    doc = _read_json(path)
    rows = []
    for geo, rec in doc.items():
        rec = _record(path, geo, rec, ("name", "country_iso2"))
        for latest_key, hist_key, year_key, label, unit in _REGION_INDICATORS.values():
            history = _history(path, geo, hist_key, rec.get(hist_key))
            latest = _number(path, geo, latest_key, rec.get(latest_key))
            if latest is not None and history and (history[-1][1], history[-1][0]) != (latest, rec.get(year_key)):
                raise InputError(
                    f"{path}: record {geo!r}: {latest_key}={latest} ({year_key}={rec.get(year_key)}) "
                    f"differs from the last entry of {hist_key} {history[-1]}"
                )
            rows += [
                {
                    "geo": geo,
                    "name": str(rec["name"]),
                    "country": str(rec["country_iso2"]),
                    "indicator": latest_key,
                    "indicator_label": label,
                    "unit": unit,
                    "year": y,
                    "value": v,
                    "origin": ORIGIN,
                }
                for y, v in history
            ]
    frame = pd.DataFrame(rows)
    schema = pa.DataFrameSchema(
        {
            "geo": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{2}[A-Z0-9]{2}$")),
            "name": pa.Column(str),
            "country": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{2}$")),
            "indicator": pa.Column(str, pa.Check.isin([v[0] for v in _REGION_INDICATORS.values()])),
            "indicator_label": pa.Column(str),
            "unit": pa.Column(str),
            "year": pa.Column("int64", pa.Check.in_range(1980, 2035)),
            "value": pa.Column(float, pa.Check.ge(0)),
            "origin": pa.Column(str),
        },
        checks=[pa.Check(lambda df: ~df["unit"].eq("PC") | df["value"].le(100), error="percentages must be <= 100")],
        unique=["geo", "indicator", "year"],
        strict=True,
        name="urban_audit_regions",
    )
    frame = frame.astype({"year": "int64", "value": float}).sort_values(["geo", "indicator", "year"])
    return _validate(frame.reset_index(drop=True), schema, path)


# ----------------------------------------------------------------------------- code checks
def _case_status(code: str, records: pd.DataFrame, names: dict[str, str], name: str = "") -> tuple[str, str, str]:
    """(extract code, status, detail) of one registry Urban Audit code."""
    if not code:
        return "", "no Urban Audit code", "the case registry has no Urban Audit code for this case"
    short = code[:6]
    listed = names.get(short)
    in_list = (
        f"2019 list: {short}* = {listed}"
        if listed
        else f"{code} is not in the 2019 code list"
        if names
        else "2019 code list not checked"
    )
    hit = records[records["city_code"] == short]
    if hit.empty:
        own = [f"{c}: {note}" for c, note in UNVERIFIED_CODES.items() if name and name.lower() in note.lower()]
        also = f"; not used either: {'; '.join(own)}" if own else ""
        return "", "absent", f"no record with code {short} in the extract ({in_list}){also}"
    rec = hit.iloc[0]
    if short in UNVERIFIED_CODES:
        return short, "matched by name, not verified", f"{UNVERIFIED_CODES[short]}; city values not shown"
    if int(rec["n_values"]) == 0:
        return (
            short,
            "empty record",
            (
                f"record {rec['wikidata_id']} ({short}) holds no unemployment, activity, "
                f"income or poverty value ({in_list})"
            ),
        )
    return short, "present", f"{int(rec['n_values'])} values in record {rec['wikidata_id']} ({in_list})"


def check_cases(records: pd.DataFrame, registry: pd.DataFrame, code_list: pd.DataFrame | None = None) -> pd.DataFrame:
    """Status of every case of the registry in the extract.

    Parameters
    ----------
    records
        :func:`city_records` of the extract.
    registry
        Case registry (``case_id, name, urban_audit_code``).
    code_list
        The 2019 Urban Audit code list, to name codes and report registry codes it lacks.

    Returns
    -------
    DataFrame
        ``case_id, name, urban_audit_code, extract_code, status, detail``; status is
        ``present``, ``empty record``, ``absent``, ``matched by name, not verified`` or
        ``no Urban Audit code``. Every case of the registry has a row.
    """
    names = _names_2019(code_list)
    rows = []
    for _, case in registry.iterrows():
        code = str(case.get("urban_audit_code", "") or "").strip()
        extract_code, status, detail = _case_status(code, records, names, str(case["name"]))
        rows.append(
            {
                "case_id": case["case_id"],
                "name": case["name"],
                "urban_audit_code": code,
                "extract_code": extract_code,
                "status": status,
                "detail": detail,
            }
        )
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- build and load
def build_tables(raw: Path) -> dict[str, pd.DataFrame]:
    """Processed tables from ``raw`` (the fetched mirror files); ``{}`` when the extract is absent.

    Returns ``urban_audit_cities``, ``urban_audit_city_records``, ``urban_audit_regions`` and,
    when fetched, ``urban_audit_code_list_2019`` (the 2019 code list, unchanged).
    """
    raw = Path(raw)
    if not (raw / CITIES_FILE).is_file() or not (raw / REGIONS_FILE).is_file():
        return {}
    code_list = read_code_list(raw / CODE_LIST_FILE) if (raw / CODE_LIST_FILE).is_file() else None
    return {
        "urban_audit_cities": read_cities(raw / CITIES_FILE, code_list),
        "urban_audit_city_records": city_records(raw / CITIES_FILE, code_list),
        "urban_audit_regions": read_regions(raw / REGIONS_FILE),
        **({"urban_audit_code_list_2019": code_list} if code_list is not None else {}),
    }


def load_urban_audit(kind: str = "cities") -> pd.DataFrame:
    """Load a processed Urban Audit table (``cities``, ``city_records``, ``regions``, ``code_list_2019``).

    Reads ``data/processed/urban_audit_<kind>.parquet`` (written by ``localise data
    build``). There is no synthetic fallback: without the file this raises
    :class:`~localise.errors.DataUnavailableError`, and notebooks say that city values
    are unavailable.
    """
    from localise import paths, provenance

    kinds = ("cities", "city_records", "regions", "code_list_2019")
    if kind not in kinds:
        raise InputError(f"load_urban_audit(kind={kind!r}); expected one of {kinds}")
    path = paths.data_processed() / f"urban_audit_{kind}.parquet"
    if not path.is_file():
        raise DataUnavailableError(
            f"{path} does not exist; run `localise data prepare` with the data mirror "
            "(it holds city/urban_audit_extract/)"
        )
    frame = pd.read_parquet(path)
    frame.attrs = {"synthetic": False, "source_note": f"Source: Eurostat Urban Audit; {ORIGIN}", "path": str(path)}
    provenance.record_input(path, synthetic=False)
    return frame

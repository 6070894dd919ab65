"""``localise data build`` and ``localise data prepare``: processed Parquet tables.

``build_all`` reads the raw files in ``data/raw/`` (written by ``localise data fetch``)
and writes to ``data/processed/``:

* ``regional_panel_nuts{V}.parquet`` -- NUTS 2 x year x indicator (x sex), codes
  recoded to NUTS version ``V`` (one file per requested version);
* ``country_panel.parquet`` -- NUTS 0 rows and EU aggregates (country ``"EU"``);
* ``spi_2016_components.parquet``, ``spi_2020_{regional,national,goalposts}.parquet``;
* ``eige.parquet``; ``nuts_names.parquet``;
* ``governance_country_year.parquet``, ``eqi_region_wave.parquet``, ``governance_codebook.parquet``,
  ``governance_unmatched.parquet`` -- see :mod:`localise.data.governance` (only when the
  governance raw files were fetched from a mirror);
* ``urban_audit_{cities,city_records,regions}.parquet`` -- the third-party Urban Audit
  extract (:mod:`localise.data.urban_audit`), when it was fetched;
* ``nuts_recode_log_nuts{V}.parquet`` -- every source code, its target and status;
* ``build_metadata.json`` -- sources, vintages, raw checksums, row counts.

Every table is validated (pandera) before anything is written; each file is
written through :mod:`localise.data.processed` (staging folder + journal), so a
failure or a kill leaves the previous complete build, and the build is idempotent
(same inputs, same bytes).

Where several sources feed one indicator, the row of the source with the highest
``priority`` in the catalogue wins for a given (geo, year, indicator, sex); within a
source, the bulk TSV (with flags) beats the 2020 long extract (no flags), and a code
native to the target NUTS version beats a recoded one. The ``source`` column tells
which dataset each row came from (``<code>:extract_2020`` for the extract).
"""

from __future__ import annotations

import datetime as _dt
import logging
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from localise import paths
from localise.atomic import sha256_file
from localise.data import catalogue, governance, nuts, processed
from localise.data.eurostat import read_eurostat_tsv, read_extract
from localise.data.schemas import PANEL_COLUMNS, eige_schema, spi_schema, validate_panel
from localise.errors import DataUnavailableError, InputError
from localise.warnings import EmptyFeedWarning

__all__ = [
    "DEFAULT_NUTS_VERSIONS",
    "build_all",
    "build_panels",
    "build_spi",
    "build_eige",
    "build_nuts_names",
    "build_urban_audit",
    "prepare",
]

log = logging.getLogger(__name__)
DEFAULT_NUTS_VERSIONS = (2016, 2021)
EIGE_DOMAINS = {
    "Gender.Equality.Index": "index",
    "WORK": "work",
    "MONEY": "money",
    "KNOWLEDGE": "knowledge",
    "TIME": "time",
    "POWER": "power",
    "HEALTH": "health",
}


# ----------------------------------------------------------------------------- panels
def _raw_tables(ds: catalogue.Dataset, raw: Path) -> list[tuple[pd.DataFrame, str, int, Path]]:
    """Tidy tables of one dataset available in ``raw``: (frame, source label, rank, path)."""
    out = []
    for name in (f"eurostat/{ds.code}.tsv.gz", f"eurostat/{ds.code}.tsv"):
        path = raw / name
        if path.is_file():
            out.append((read_eurostat_tsv(path), ds.code, 1, path))
            break
    if ds.extract and (raw / ds.extract).is_file():
        path = raw / ds.extract
        out.append((read_extract(path, ds.code), f"{ds.code}:extract_2020", 0, path))
    return out


def _feed_rows(frame: pd.DataFrame, feed: catalogue.Feed, source: str, path: Path) -> pd.DataFrame:
    df = frame
    if "freq" in df.columns:
        df = df[df["freq"] == "A"]
    for dim, code in feed.filters.items():
        if dim in df.columns:
            df = df[df[dim] == code]
    if df.empty:
        available = {d: sorted(frame[d].astype(str).unique())[:8] for d in feed.filters if d in frame.columns}
        warnings.warn(
            f"{path}: no rows for indicator {feed.indicator!r} with the catalogue filters {feed.filters}; "
            f"codes in the file: {available}. Check catalogue.yml.",
            EmptyFeedWarning,
            stacklevel=2,
        )
    df = df[df["value"].notna()]
    annual = df["time"].str.fullmatch(r"\d{4}")
    df = df[annual]
    sex = df["sex"] if "sex" in df.columns else pd.Series("T", index=df.index)
    unit = feed.unit or None
    out = pd.DataFrame(
        {
            "geo": df["geo"].astype(str),
            "year": df["time"].astype(int),
            "indicator": feed.indicator,
            "sex": sex.astype(str),
            "unit": df["unit"].astype(str) if ("unit" in df.columns and unit is None) else (unit or ""),
            "value": df["value"].astype(float),
            "flags": df["flags"].astype(str),
            "source": source,
        }
    )
    keys = ["geo", "year", "sex"]
    dup = out.duplicated(keys, keep=False)
    if dup.any():
        varying = [
            c
            for c in frame.columns
            if c not in ("geo", "time", "value", "flags", "sex") and c not in feed.filters and frame[c].nunique() > 1
        ]
        first = out[dup].iloc[0]
        raise InputError(
            f"{path}: indicator {feed.indicator!r} has several rows for geo {first['geo']}, year {first['year']}, "
            f"sex {first['sex']}; expected the catalogue filters {feed.filters} to select one row "
            f"(dimensions still varying: {varying})"
        )
    return out


def _recode_regional(df: pd.DataFrame, source_version: int | None, target: int, corr: nuts.Correspondence):
    codes = pd.unique(df["geo"])
    rows = []
    for code in codes:
        versions = [source_version] if source_version else []
        versions += [v for v in sorted(nuts.NUTS_VERSIONS, reverse=True) if v not in versions and code in corr.codes[v]]
        result: tuple[str | None, str] = (None, "not a NUTS 2 code of 2010-2021")
        used = source_version
        for v in versions:
            if code not in corr.codes[v]:
                continue
            result, used = nuts.recode(code, v, target, corr), v
            break
        rows.append((code, used, target, result[0], result[1]))
    log_df = pd.DataFrame(rows, columns=["geo", "source_version", "target_version", "target_geo", "status"])
    mapping = dict(zip(log_df["geo"], log_df["target_geo"]))
    native = dict(zip(log_df["geo"], log_df["status"] == "unchanged"))
    out = df.assign(_native=df["geo"].map(native).astype(bool), geo=df["geo"].map(mapping))
    return out[out["geo"].notna()], log_df


def _country_codes(nuts_dir: Path) -> frozenset[str]:
    """Country codes of the NUTS classification (any version), e.g. EL and UK."""
    tidy = pd.read_csv(nuts_dir / nuts.TIDY_FILE, dtype=str)
    countries = tidy[tidy["typology"] == "country"]
    return frozenset(countries.filter(like="code_").stack().str.strip())


def build_panels(
    *, nuts_versions: Iterable[int] = DEFAULT_NUTS_VERSIONS, raw: Path | None = None
) -> tuple[dict[int, pd.DataFrame], pd.DataFrame, dict[int, pd.DataFrame], list[dict[str, Any]]]:
    """Build (without writing) the regional panels, the country panel, recode logs and source notes."""
    raw = paths.data_raw() if raw is None else raw
    nuts_dir = raw / "nuts"
    if not (nuts_dir / nuts.TIDY_FILE).is_file():
        raise DataUnavailableError(f"{nuts_dir}: NUTS files missing; run `localise data fetch` first")
    corr = nuts.load_correspondence(nuts_dir)
    country_codes = _country_codes(nuts_dir)
    versions = list(nuts_versions)
    regional_parts: dict[int, list[pd.DataFrame]] = {v: [] for v in versions}
    logs: dict[int, list[pd.DataFrame]] = {v: [] for v in versions}
    country_parts: list[pd.DataFrame] = []
    sources: list[dict[str, Any]] = []
    from localise.data.fetch import read_manifest, verify_manifest

    manifest = read_manifest()
    for ds in catalogue.datasets().values():
        if not ds.feeds:
            continue
        tables = _raw_tables(ds, raw)
        if not tables:
            log.warning("%s: no raw file (online-only or not fetched); skipped", ds.code)
            continue
        for frame, source, rank, path in tables:
            rel = str(path.relative_to(raw))
            verify_manifest([rel])
            sources.append(
                {
                    "code": ds.code,
                    "source": source,
                    "file": rel,
                    "vintage": ds.vintage,
                    "sha256": manifest.get(rel, {}).get("sha256") or sha256_file(path),
                    "nuts_version": ds.nuts_version,
                }
            )
            for feed in ds.feeds:
                rows = _feed_rows(frame, feed, source, path)
                cls = nuts.classify(rows["geo"])
                rows = rows.assign(priority=feed.priority, rank=rank, country=cls["country"].to_numpy())
                level = cls["nuts_level"].to_numpy()
                is_country = (rows["geo"].isin(country_codes).to_numpy() & (level == 0)) | cls["aggregate"].to_numpy()
                country_parts.append(rows[is_country].assign(nuts_level=0, _native=True))
                regional = rows[(level == 2) & ~cls["extra_regio"].to_numpy()]
                for v in versions:
                    recoded, log_df = _recode_regional(regional, ds.nuts_version, v, corr)
                    regional_parts[v].append(recoded.assign(nuts_level=2))
                    logs[v].append(log_df.assign(dataset=source))

    regional = {v: _finish_panel(regional_parts[v], 2, f"regional_panel_nuts{v}") for v in versions}
    country = _finish_panel(country_parts, None, "country_panel")
    recode_logs = {
        v: pd.concat(logs[v], ignore_index=True)
        .drop_duplicates()
        .sort_values(["dataset", "geo"])
        .reset_index(drop=True)
        for v in versions
    }
    return regional, country, recode_logs, sources


def _finish_panel(parts: list[pd.DataFrame], level: int | None, name: str) -> pd.DataFrame:
    """One panel from the rows of every feed: the best-ranked value per cell, sorted and validated."""
    if not parts:
        raise DataUnavailableError(f"no raw data to build {name}; run `localise data fetch` first")
    df = pd.concat(parts, ignore_index=True)
    df = df.sort_values(["priority", "rank", "_native"], ascending=False, kind="stable")
    df = df.drop_duplicates(["geo", "year", "indicator", "sex"], keep="first")
    df = df.sort_values(["indicator", "geo", "year", "sex"], kind="stable")
    return validate_panel(df[list(PANEL_COLUMNS)], nuts_level=level, name=name)


# ----------------------------------------------------------------------------- SPI, EIGE, names
def _read_csv(path: Path, **kwargs) -> pd.DataFrame:
    if not path.is_file():
        raise DataUnavailableError(f"{path}: file missing; run `localise data fetch` with a mirror")
    try:
        return pd.read_csv(path, **kwargs)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as error:
        raise InputError(f"{path}: cannot read CSV ({error})") from error


def _spi_2016_components(folder: Path) -> pd.DataFrame:
    """EU-SPI 2016 component scores, long: ``geo, country, dimension, component, value``."""
    from localise.data.demo import SPI_DIMENSIONS

    comp = _read_csv(folder / "eu_spi_2016_component_scores.csv")
    dimension_of = {c: d for d, cs in SPI_DIMENSIONS.items() for c in cs}
    expected = ["Region Code"] + list(dimension_of)
    if list(comp.columns) != expected:
        raise InputError(
            f"{folder / 'eu_spi_2016_component_scores.csv'}: columns {list(comp.columns)}; expected {expected}"
        )
    long = comp.melt(id_vars="Region Code", var_name="component", value_name="value").rename(
        columns={"Region Code": "geo"}
    )
    long["country"] = long["geo"].str[:2]
    long["dimension"] = long["component"].map(dimension_of)
    return long[["geo", "country", "dimension", "component", "value"]]


def _spi_2020_goalposts(folder: Path) -> pd.DataFrame:
    """EU-SPI 2020 utopian and dystopian values, one row per indicator in file order."""
    goal = _read_csv(folder / "eu_spi_2020_utopia_dystopia.csv")
    want = ["Indicator", "Inverted", "Utopian value", "Dystopian value"]
    if list(goal.columns) != want:
        raise InputError(f"{folder / 'eu_spi_2020_utopia_dystopia.csv'}: columns {list(goal.columns)}; expected {want}")
    return pd.DataFrame(
        {
            "position": np.arange(1, len(goal) + 1, dtype="int64"),
            "indicator": goal["Indicator"].astype(str),
            "inverted": goal["Inverted"].astype(str).str.lower().eq("true"),
            "utopian": goal["Utopian value"].astype(float),
            "dystopian": goal["Dystopian value"].astype(float),
        }
    )


def _spi_2020_indicators(folder: Path, kind: str, ids: list[str], file: str, n_goalposts: int) -> pd.DataFrame:
    """EU-SPI 2020 raw indicators (``kind`` regional or national), long, one column per goalpost in order."""
    wide = _read_csv(folder / file, na_values=["NA"], keep_default_na=False)
    indicators = [c for c in wide.columns if c not in ids]
    if list(wide.columns[: len(ids)]) != ids or len(indicators) != n_goalposts:
        raise InputError(f"{folder / file}: expected columns {ids} then {n_goalposts} indicators (one per goalpost)")
    geo = wide[ids[1]] if kind == "regional" else wide["Country"]
    name = wide[ids[2]] if kind == "regional" else wide["Country name"]
    parts = []
    for pos, col in enumerate(indicators, start=1):
        parts.append(
            pd.DataFrame(
                {
                    "geo": geo.astype(str),
                    "country": wide["Country"].astype(str),
                    "name": name.astype(str),
                    "position": pos,
                    "indicator": col,
                    "value": pd.to_numeric(wide[col], errors="raise").astype(float),
                }
            )
        )
    tidy = pd.concat(parts, ignore_index=True)
    tidy["position"] = tidy["position"].astype("int64")
    return tidy


def build_spi(raw: Path | None = None) -> dict[str, pd.DataFrame]:
    """Tidy EU-SPI tables from ``raw/spi/`` (see :func:`localise.data.load_spi`)."""
    raw = paths.data_raw() if raw is None else raw
    folder = raw / "spi"
    out: dict[str, pd.DataFrame] = {}
    out["spi_2016_components"] = _spi_2016_components(folder)
    out["spi_2020_goalposts"] = _spi_2020_goalposts(folder)
    for kind, ids, file in (
        ("regional", ["Country", "NUTS region", "Region name"], "eu_spi_2020_raw_indicators_regional.csv"),
        ("national", ["Country", "Country name"], "eu_spi_2020_raw_indicators_national.csv"),
    ):
        out[f"spi_2020_{kind}"] = _spi_2020_indicators(folder, kind, ids, file, len(out["spi_2020_goalposts"]))
    for key, frame in out.items():
        try:
            spi_schema(key.split("_", 2)[2]).validate(frame, lazy=True)
        except Exception as error:  # pandera SchemaErrors
            raise InputError(f"{key} failed schema validation: {str(error)[:1500]}") from error
    return out


def build_eige(raw: Path | None = None) -> pd.DataFrame:
    """Tidy EIGE Gender Equality Index: ``geo, edition, reference_year, domain, value``."""
    raw = paths.data_raw() if raw is None else raw
    path = raw / "eige" / "gender_equality_index_2013_2022_long.csv"
    df = _read_csv(path)
    need = ["Index.year", "Reference.year..main.", "Country", "categoria", "valor"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise InputError(f"{path}: columns {missing} missing; expected {need}")
    unknown = sorted(set(df["categoria"]) - set(EIGE_DOMAINS))
    if unknown:
        raise InputError(f"{path}: unknown series {unknown} in column 'categoria'; expected {sorted(EIGE_DOMAINS)}")
    out = (
        pd.DataFrame(
            {
                "geo": df["Country"].astype(str),
                "edition": df["Index.year"].astype("int64"),
                "reference_year": df["Reference.year..main."].astype("int64"),
                "domain": df["categoria"].map(EIGE_DOMAINS),
                "value": df["valor"].astype(float),
            }
        )
        .sort_values(["domain", "geo", "edition"])
        .reset_index(drop=True)
    )
    try:
        return eige_schema().validate(out, lazy=True)
    except Exception as error:
        raise InputError(f"{path} failed schema validation: {str(error)[:1500]}") from error


def build_nuts_names(raw: Path | None = None) -> pd.DataFrame:
    """NUTS names: all NUTS 2021 regions (GISCO) plus older codes (rOpenGov tidy table)."""
    raw = paths.data_raw() if raw is None else raw
    gisco = _read_csv(raw / "nuts" / "nuts_2021_regions_gisco_attributes.csv", dtype=str, keep_default_na=False)
    names = pd.DataFrame(
        {
            "geo": gisco["NUTS_ID"],
            "nuts_level": gisco["LEVL_CODE"].astype("int64"),
            "country": gisco["CNTR_CODE"],
            "name": gisco["NAME_LATN"],
            "nuts_version": 2021,
        }
    )
    tidy = _read_csv(raw / "nuts" / nuts.TIDY_FILE, dtype=str)
    extra = []
    for v in (2016, 2013, 2010):
        sub = tidy[[f"code_{v}", f"geo_name_{v}"]].dropna()
        sub = sub.rename(columns={f"code_{v}": "geo", f"geo_name_{v}": "name"}).drop_duplicates("geo")
        sub["nuts_version"] = v
        extra.append(sub)
    old = pd.concat(extra, ignore_index=True).drop_duplicates("geo")
    old = old[~old["geo"].isin(names["geo"])]
    cls = nuts.classify(old["geo"])
    old = old.assign(nuts_level=cls["nuts_level"].to_numpy(), country=cls["country"].to_numpy())
    old = old[old["nuts_level"].notna()].astype({"nuts_level": "int64"})
    out = pd.concat([names, old[names.columns]], ignore_index=True)
    return out.sort_values(["nuts_level", "geo"]).reset_index(drop=True)


# ----------------------------------------------------------------------------- Urban Audit extract
def build_urban_audit(raw: Path | None = None) -> dict[str, pd.DataFrame]:
    """Urban Audit city and region tables of the third-party extract (``{}`` when not fetched).

    See :mod:`localise.data.urban_audit`; raw files are checked against the manifest first.
    """
    from localise.data import urban_audit
    from localise.data.fetch import verify_manifest

    raw = paths.data_raw() if raw is None else raw
    verify_manifest([urban_audit.CITIES_FILE, urban_audit.REGIONS_FILE])
    tables = urban_audit.build_tables(raw)
    if not tables:
        log.warning("%s: Urban Audit extract not fetched; city tables skipped", raw / urban_audit.CITIES_FILE)
    return tables


# ----------------------------------------------------------------------------- orchestration
def build_all(*, nuts_versions: Iterable[int] | None = None) -> dict[str, Path]:
    """Build and write every processed table; return the paths written.

    Every raw file listed in ``data/raw/MANIFEST`` is checked against its checksum
    first. All tables are built and validated in memory; only then are they written,
    all at once (:func:`localise.data.processed.commit`: a staging folder, a journal,
    then renames), with their SHA-256 in ``build_metadata.json``. Bad input or a kill
    leaves the previous complete build in ``data/processed/``.
    """
    versions = list(nuts_versions or DEFAULT_NUTS_VERSIONS)
    bad = [v for v in versions if v not in nuts.NUTS_VERSIONS]
    if bad:
        raise InputError(f"--nuts-version {bad}; expected among {nuts.NUTS_VERSIONS}")
    raw = paths.data_raw()
    from localise.data.fetch import verify_all_raw

    verify_all_raw()
    regional, country, logs, sources = build_panels(nuts_versions=versions, raw=raw)
    tables: dict[str, pd.DataFrame] = {f"regional_panel_nuts{v}": regional[v] for v in versions}
    tables["country_panel"] = country
    tables.update({f"nuts_recode_log_nuts{v}": logs[v] for v in versions})
    tables.update(build_spi(raw))
    tables["eige"] = build_eige(raw)
    tables["nuts_names"] = build_nuts_names(raw)
    governance_built = governance.governance_raw_present(raw)
    if governance_built:
        tables.update(governance.build_governance(raw))
    else:
        log.warning("no governance raw files in %s (they come from a data mirror); governance tables not built", raw)
    tables.update(build_urban_audit(raw))

    out_dir = paths.data_processed()
    today = _dt.date.today().isoformat()
    meta = {
        "synthetic": False,
        "built": today,
        "nuts_versions": versions,
        "source_note": (
            "Source: Eurostat (bulk downloads; mirror snapshots 2014-2020, see build_metadata.json), "
            f"EU-SPI (DG REGIO), EIGE; processed by localise on {today}"
        ),
        "sources": sources,
        "governance_sources": (
            {
                key: {k: entry.get(k) for k in ("publisher", "citation", "vintage", "files")}
                for key, entry in catalogue.governance_sources().items()
            }
            if governance_built
            else {}
        ),
        "rows": {name: int(len(frame)) for name, frame in tables.items()},
    }
    writers = {
        f"{name}.parquet": (lambda target, frame=frame: frame.to_parquet(target, index=False))
        for name, frame in tables.items()
    }
    files = processed.commit(out_dir, writers, meta)
    written = {name: files[f"{name}.parquet"] for name in tables}
    written["metadata"] = files[processed.METADATA]
    print(f"built {len(tables)} processed tables in {out_dir} (NUTS {', '.join(map(str, versions))})")
    return written


def prepare(*, mirror: Path | None = None, offline: bool = False) -> int:
    """Real data when possible, else the SYNTHETIC demo; always exit status 0 on success.

    With a mirror (argument or ``LOCALISE_DATA_MIRROR``), or when Eurostat is reachable,
    run fetch + build. Otherwise keep existing processed real data if present, or write
    the SYNTHETIC demo data and say so clearly.
    """
    from localise.data import demo, fetch

    if mirror is None:
        mirror = fetch.configured_mirror()
    if mirror is not None:
        fetch.fetch_all(mirror=mirror)
        build_all()
        return 0
    if not offline and fetch.network_available():
        try:
            fetch.fetch_all()
            build_all()
            return 0
        except DataUnavailableError as error:  # reachable web, but downloads fail
            print(f"localise data prepare: online fetch failed ({error}); falling back.")
    if (paths.data_processed() / "regional_panel_nuts2016.parquet").is_file():
        print("localise data prepare: no mirror and no network; keeping the processed real data already built.")
        return 0
    files = demo.write_demo(demo.DEFAULT_SEED)
    banner = "=" * 78
    print(
        f"{banner}\nNOTICE: no data mirror (LOCALISE_DATA_MIRROR) and no network access.\n"
        f"The suite will run on SYNTHETIC demo data ({files['metadata'].parent}).\n"
        "Every figure, table and manifest made from it is labelled SYNTHETIC; it is not observed data.\n"
        f"To use real data: set LOCALISE_DATA_MIRROR or go online, then run `localise data prepare`.\n{banner}"
    )
    return 0

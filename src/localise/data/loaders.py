"""Loaders of the processed data sets (the data API used by every notebook).

Each loader reads the processed real data in ``data/processed/`` (written by
``localise data build``). When those files do not exist and ``allow_synthetic`` is
true, it falls back to the SYNTHETIC demo data in ``data/processed/demo/``
(generating it first if needed) and emits a :class:`SyntheticDataWarning`.
Frames carry ``attrs["synthetic"]`` and ``attrs["source_note"]``, and every file read
is recorded in the run manifest through :func:`localise.provenance.record_input`.
"""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from localise import paths, provenance
from localise.data import processed
from localise.errors import DataUnavailableError, InputError
from localise.warnings import MissingIndicatorsWarning, SyntheticDataWarning, SyntheticNutsVersionWarning

__all__ = [
    "SyntheticDataWarning",
    "processed_files",
    "load_regional_panel",
    "load_country_panel",
    "load_spi",
    "load_eige",
    "nuts_geometries",
    "nuts_names",
    "load_demo_metadata",
    "has_real_data",
    "regional_countries",
]

#: Accepted alternative spellings of country codes (ISO -> Eurostat).
COUNTRY_ALIASES = {"GR": "EL", "GB": "UK"}
SPI_KINDS = {2016: ("components",), 2020: ("regional", "national", "goalposts")}


def processed_files(nuts_version: int = 2016) -> dict[str, Path]:
    """Paths of the processed real data files, keyed by table name."""
    folder = paths.data_processed()
    return {
        "regional_panel": folder / f"regional_panel_nuts{nuts_version}.parquet",
        "country_panel": folder / "country_panel.parquet",
        "spi_2016_components": folder / "spi_2016_components.parquet",
        "spi_2020_regional": folder / "spi_2020_regional.parquet",
        "spi_2020_national": folder / "spi_2020_national.parquet",
        "spi_2020_goalposts": folder / "spi_2020_goalposts.parquet",
        "eige": folder / "eige.parquet",
        "nuts_names": folder / "nuts_names.parquet",
        "metadata": folder / "build_metadata.json",
    }


def has_real_data(nuts_version: int = 2016) -> bool:
    """True when ``localise data build`` has written the processed regional panel."""
    return processed_files(nuts_version)["regional_panel"].is_file()


def _build_note() -> str:
    meta = processed_files()["metadata"]
    if meta.is_file():
        try:
            info = json.loads(meta.read_text(encoding="utf-8"))
            return str(info.get("source_note", "")).strip()
        except (OSError, ValueError):
            return ""
    return ""


def _read(table: str, *, allow_synthetic: bool, nuts_version: int = 2016) -> pd.DataFrame:
    """Read one processed table, falling back to the demo; set attrs and record the input."""
    real = processed_files(nuts_version)[table]
    processed.recover(real.parent)
    if real.is_file():
        processed.verify(real)
        df = pd.read_parquet(real)
        df.attrs = {
            "synthetic": False,
            "source_note": _build_note()
            or f"Source: Eurostat and other public sources, processed by localise ({real.name})",
            "path": str(real),
        }
        provenance.record_input(real, synthetic=False)
        return df
    if not allow_synthetic:
        raise DataUnavailableError(
            f"{real} does not exist; run `localise data fetch && localise data build` "
            "(with LOCALISE_DATA_MIRROR set or network access), or pass allow_synthetic=True"
        )
    from localise.data import demo

    files = demo.ensure_demo()
    path = files[table]
    _tell_terminal(
        f"localise: WARNING: {real} is missing, so {table} comes from the SYNTHETIC demo data ({path.name}); "
        "results are not observed data. Build the real data with `localise data prepare` "
        "(LOCALISE_DATA_MIRROR set, or network access)."
    )
    warnings.warn(
        f"no processed real data ({real.name}); using the SYNTHETIC demo data {path.name}. "
        "Run `localise data prepare` with a data mirror or network to use real data.",
        SyntheticDataWarning,
        stacklevel=3,
    )
    df = pd.read_parquet(path)
    meta = json.loads(files["metadata"].read_text(encoding="utf-8"))
    df.attrs = {"synthetic": True, "source_note": meta["source_note"], "path": str(path)}
    provenance.record_input(path, synthetic=True)
    return df


_told: set[str] = set()


def _tell_terminal(message: str) -> None:
    """Print ``message`` once per process on stderr, and on the process's own stderr too.

    Inside a notebook kernel ``sys.stderr`` is the cell output, while ``sys.__stderr__``
    is the terminal of the command that started the kernel (``localise run``).
    """
    if message in _told:
        return
    _told.add(message)
    streams = [sys.stderr] + ([sys.__stderr__] if sys.__stderr__ not in (None, sys.stderr) else [])
    for stream in streams:
        try:
            print(message, file=stream, flush=True)
        except (OSError, ValueError):
            pass


def _normalise_countries(countries: Iterable[str] | str | None) -> list[str] | None:
    if countries is None:
        return None
    if isinstance(countries, str):
        countries = [countries]
    out = []
    for code in countries:
        if not isinstance(code, str) or len(code.strip()) != 2:
            raise InputError(f"countries: {code!r} is not a two-letter country code (Eurostat: EL, UK)")
        code = code.strip().upper()
        out.append(COUNTRY_ALIASES.get(code, code))
    return out


def _filter(df: pd.DataFrame, indicators, countries, *, what: str) -> pd.DataFrame:
    from localise.data.catalogue import indicator_ids

    attrs = dict(df.attrs)
    if indicators is not None:
        if isinstance(indicators, str):
            indicators = [indicators]
        indicators = list(indicators)
        known = set(indicator_ids())
        unknown = [i for i in indicators if i not in known]
        if unknown:
            raise InputError(
                f"{what}: unknown indicator id(s) {unknown}; expected ids from the catalogue: {sorted(known)}"
            )
        absent = sorted(set(indicators) - set(df["indicator"].unique()))
        if absent:
            warnings.warn(
                f"{what}: indicator(s) {absent} are not in the data set ({attrs.get('path', '')})",
                MissingIndicatorsWarning,
                stacklevel=3,
            )
        df = df[df["indicator"].isin(indicators)]
    wanted = _normalise_countries(countries)
    if wanted is not None:
        df = df[df["country"].isin(wanted)]
    df = df.reset_index(drop=True)
    df.attrs = attrs
    return df


def load_regional_panel(
    *,
    nuts_version: int = 2016,
    indicators: Iterable[str] | str | None = None,
    countries: Iterable[str] | str | None = None,
    allow_synthetic: bool = True,
) -> pd.DataFrame:
    """Load the NUTS 2 regional panel (tidy long frame).

    Parameters
    ----------
    nuts_version
        NUTS version of the geo codes (2010, 2013, 2016 or 2021); the real panel must
        have been built in that version (``localise data build --nuts-version``).
        The synthetic demo uses NUTS 2016 codes whatever is asked.
    indicators, countries
        Optional selections (indicator ids of the catalogue; two-letter Eurostat
        country codes, ``GR``/``GB`` are accepted for ``EL``/``UK``).
    allow_synthetic
        Fall back to the SYNTHETIC demo data when no processed real panel exists.

    Returns
    -------
    DataFrame
        Columns ``geo, country, nuts_level, year, indicator, sex, unit, value, flags,
        source``; keys ``(geo, year, indicator, sex)`` unique. ``attrs["synthetic"]``
        and ``attrs["source_note"]`` describe the provenance.
    """
    if nuts_version not in (2010, 2013, 2016, 2021):
        raise InputError(f"nuts_version={nuts_version!r}; expected one of 2010, 2013, 2016, 2021")
    if not has_real_data(nuts_version):
        built = sorted(paths.data_processed().glob("regional_panel_nuts*.parquet"))
        if built:
            raise DataUnavailableError(
                f"no regional panel in NUTS {nuts_version}; built: {[p.name for p in built]}. "
                f"Run `localise data build --nuts-version {nuts_version}`"
            )
    df = _read("regional_panel", allow_synthetic=allow_synthetic, nuts_version=nuts_version)
    if df.attrs["synthetic"] and nuts_version != 2016:
        warnings.warn(
            f"the SYNTHETIC demo panel uses NUTS 2016 codes, not NUTS {nuts_version}",
            SyntheticNutsVersionWarning,
            stacklevel=2,
        )
    df.attrs["nuts_version"] = 2016 if df.attrs["synthetic"] else nuts_version
    return _filter(df, indicators, countries, what="load_regional_panel")


def load_country_panel(
    *,
    indicators: Iterable[str] | str | None = None,
    countries: Iterable[str] | str | None = None,
    allow_synthetic: bool = True,
) -> pd.DataFrame:
    """Load the country panel (NUTS 0 plus EU aggregates with country ``"EU"``).

    Same columns and attrs as :func:`load_regional_panel`; ``nuts_level`` is 0.
    """
    df = _read("country_panel", allow_synthetic=allow_synthetic)
    return _filter(df, indicators, countries, what="load_country_panel")


def load_spi(edition: int, kind: str, *, allow_synthetic: bool = True) -> pd.DataFrame:
    """Load an EU Regional Social Progress Index table in tidy form.

    Parameters
    ----------
    edition, kind
        ``(2016, "components")``: columns ``geo, country, dimension, component, value``
        (published component scores 0-100, NUTS 2013 codes).
        ``(2020, "regional")`` / ``(2020, "national")``: raw indicators, columns
        ``geo, country, name, position, indicator, value`` (``position`` 1-55 is the
        column order of the published file, which matches the goalposts).
        ``(2020, "goalposts")``: ``position, indicator, inverted, utopian, dystopian``.
    allow_synthetic
        Fall back to SYNTHETIC tables of the same shape when no processed file exists.
    """
    kinds = SPI_KINDS.get(edition)
    if kinds is None or kind not in kinds:
        valid = [f"({e}, {k!r})" for e, ks in SPI_KINDS.items() for k in ks]
        raise InputError(f"load_spi(edition={edition!r}, kind={kind!r}); expected one of {', '.join(valid)}")
    return _read(f"spi_{edition}_{kind}", allow_synthetic=allow_synthetic)


def load_eige(*, allow_synthetic: bool = True) -> pd.DataFrame:
    """Load the EIGE Gender Equality Index (tidy: ``geo, edition, reference_year, domain, value``).

    ``domain`` is one of ``index, work, money, knowledge, time, power, health``; ``geo``
    is ``EU`` or a Eurostat country code (``EL`` for Greece).
    """
    return _read("eige", allow_synthetic=allow_synthetic)


def nuts_names(*, allow_synthetic: bool = True) -> pd.DataFrame:
    """NUTS codes with level, country and name (columns ``geo, nuts_level, country, name, nuts_version``).

    Holds every NUTS 2021 region (GISCO attributes) plus codes of NUTS 2010/2013/2016
    that no longer exist in 2021 (names from the correspondence tables).
    """
    return _read("nuts_names", allow_synthetic=allow_synthetic)


def nuts_geometries(level: int = 2) -> Any:
    """NUTS 2021 polygons (GISCO, 1:3 million, EPSG:4326) as a GeoDataFrame, or ``None``.

    Looks in ``data/raw/nuts/geo/`` (copied by ``localise data fetch``) and then in the
    mirror (``LOCALISE_DATA_MIRROR``). Returns ``None`` when no boundary file is available,
    so notebooks can skip maps gracefully. Boundaries: © EuroGeographics.
    """
    if level not in (0, 2):
        raise InputError(f"nuts_geometries(level={level!r}); boundary files exist for levels 0 and 2")
    name = f"NUTS_RG_03M_2021_4326_LEVL_{level}.geojson.gz"
    candidates = [paths.data_raw() / "nuts" / "geo" / name]
    try:
        mirror = paths.mirror_dir()
    except FileNotFoundError:
        mirror = None
    if mirror is not None:
        candidates.append(mirror / "nuts" / "geo" / name)
    for path in candidates:
        if path.is_file():
            import gzip
            import io

            import geopandas as gpd

            gdf = gpd.read_file(io.BytesIO(gzip.decompress(path.read_bytes())))
            gdf = gdf.rename(
                columns={"NUTS_ID": "geo", "CNTR_CODE": "country", "LEVL_CODE": "nuts_level", "NAME_LATN": "name"}
            )
            gdf.attrs = {
                "synthetic": False,
                "source_note": "© EuroGeographics for the administrative boundaries; Eurostat GISCO NUTS 2021",
            }
            provenance.record_input(path, synthetic=False, role="geometry")
            return gdf
    return None


def load_demo_metadata() -> dict[str, Any]:
    """Planted relationships of the SYNTHETIC demo data (generating the demo when missing).

    Returns
    -------
    dict
        Includes ``{"reform_effect": {"indicator", "effect", "treatment_year": {country: year}}}``,
        ``variance_components``, ``gender_gap``, ``arope_slope``, ``seed``.
    """
    from localise.data import demo

    files = demo.ensure_demo()
    provenance.record_input(files["metadata"], synthetic=True, role="metadata")
    return json.loads(files["metadata"].read_text(encoding="utf-8"))


def regional_countries(nuts_version: int = 2016, indicator: str | None = None, sex: str | None = None) -> list[str]:
    """Country codes that have NUTS 2 regions in the panel :func:`load_regional_panel` returns.

    Only regions with rows for ``indicator`` (and ``sex``) count when they are given.
    The processed real panel when it is built, else the SYNTHETIC demo's countries
    (the loader's fallback). Only three columns are read, so this is cheap enough to
    check a ``-p country=...`` value before a notebook starts (the suite registry's
    ``choices_from``, which passes the notebook's ``indicator`` and ``sex``).
    """
    real = processed_files(nuts_version)["regional_panel"]
    if not real.is_file():
        from localise.data import demo

        return sorted(demo.DEMO_COUNTRIES)
    import pyarrow.parquet as pq

    filters = [(column, "==", value) for column, value in (("indicator", indicator), ("sex", sex)) if value is not None]
    column = pq.read_table(real, columns=["country"], filters=filters or None).column("country")
    return sorted({str(code) for code in column.unique().to_pylist() if code})

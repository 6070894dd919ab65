"""Column definitions and pandera schemas of the processed data sets.

Every processed table -- real or synthetic -- is validated against these schemas
before it is written, so the notebooks can rely on one shape whatever the source.

Panels (regional and country) are tidy long frames with the columns of
:data:`PANEL_COLUMNS`; the keys ``(geo, year, indicator, sex)`` are unique.
Missing observations (Eurostat ``:``) are not rows of a panel: a panel row always
holds a number. Flags are kept verbatim (``"b"``, ``"e"``, ``"bu"`` ...; ``""`` when none).
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

__all__ = [
    "PANEL_COLUMNS",
    "PANEL_KEYS",
    "SPI_COMPONENT_COLUMNS",
    "SPI_INDICATOR_COLUMNS",
    "SPI_GOALPOST_COLUMNS",
    "EIGE_COLUMNS",
    "RATE_UNITS",
    "panel_schema",
    "spi_schema",
    "eige_schema",
    "coerce_panel",
    "validate_panel",
]

#: Columns of the regional and the country panel, in order, with their dtypes.
PANEL_COLUMNS: dict[str, str] = {
    "geo": "str",
    "country": "str",
    "nuts_level": "int64",
    "year": "int64",
    "indicator": "str",
    "sex": "str",
    "unit": "str",
    "value": "float64",
    "flags": "str",
    "source": "str",
}
PANEL_KEYS = ["geo", "year", "indicator", "sex"]

#: Units whose values are percentages and must lie in [0, 100].
RATE_UNITS = frozenset({"PC", "PC_ACT", "PC_POP", "PC_UNE", "PC_Y_LT60", "PC_Y18-59", "PC_Y_LT65"})

SPI_COMPONENT_COLUMNS = ["geo", "country", "dimension", "component", "value"]
SPI_INDICATOR_COLUMNS = ["geo", "country", "name", "position", "indicator", "value"]
SPI_GOALPOST_COLUMNS = ["position", "indicator", "inverted", "utopian", "dystopian"]
EIGE_COLUMNS = ["geo", "edition", "reference_year", "domain", "value"]

_GEO_PATTERN = r"^([A-Z]{2}[A-Z0-9]{0,3}|EU\d{2}(_\d{4})?|EA\d{0,2}(_\d{4})?|EU|EA|EFTA|EEA\d*)$"


def panel_schema(*, nuts_level: int | None = None, name: str = "panel") -> pa.DataFrameSchema:
    """Return the pandera schema of a panel.

    Parameters
    ----------
    nuts_level
        If given, every row must have this ``nuts_level`` (2 for the regional panel).
        The country panel (``None``) allows level 0 and EU aggregates (``-1`` is not
        used; aggregates carry level 0 and country ``"EU"``).
    name
        Name shown in validation errors.
    """
    level_checks = [pa.Check.isin([nuts_level])] if nuts_level is not None else [pa.Check.isin([0, 1, 2, 3])]

    def _rates_in_range(df: pd.DataFrame) -> pd.Series:
        rate = df["unit"].isin(RATE_UNITS) & (df["indicator"] != "gender_employment_gap")
        return ~rate | df["value"].between(0, 100)

    return pa.DataFrameSchema(
        {
            "geo": pa.Column(str, pa.Check.str_matches(_GEO_PATTERN)),
            "country": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{2}$")),
            "nuts_level": pa.Column("int64", level_checks),
            "year": pa.Column("int64", pa.Check.in_range(1950, 2035)),
            "indicator": pa.Column(str, pa.Check.str_matches(r"^[a-z][a-z0-9_]*$")),
            "sex": pa.Column(str, pa.Check.isin(["T", "F", "M"])),
            "unit": pa.Column(str),
            "value": pa.Column("float64", pa.Check(lambda s: s.notna().all() and bool(s.abs().lt(1e12).all()))),
            "flags": pa.Column(str, pa.Check.str_matches(r"^[a-z]*$")),
            "source": pa.Column(str),
        },
        checks=[
            pa.Check(_rates_in_range, error="rates (percentage units) must lie in [0, 100]"),
            pa.Check(
                lambda df: bool((df.groupby("indicator")["unit"].nunique() <= 1).all()),
                error="each indicator must have a single unit (sources with different units were mixed)",
            ),
        ],
        unique=PANEL_KEYS,
        strict=True,
        ordered=True,
        name=name,
    )


def spi_schema(kind: str) -> pa.DataFrameSchema:
    """Schema of a processed SPI table (``components``, ``regional``, ``national``, ``goalposts``)."""
    if kind == "components":
        return pa.DataFrameSchema(
            {
                "geo": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{2}[A-Z0-9]{2}$")),
                "country": pa.Column(str),
                "dimension": pa.Column(str),
                "component": pa.Column(str),
                "value": pa.Column(float, pa.Check.in_range(0, 100), nullable=True),
            },
            unique=["geo", "component"],
            strict=True,
            name="spi_2016_components",
        )
    if kind in ("regional", "national"):
        return pa.DataFrameSchema(
            {
                "geo": pa.Column(str),
                "country": pa.Column(str),
                "name": pa.Column(str, nullable=True),
                "position": pa.Column("int64", pa.Check.in_range(1, 55)),
                "indicator": pa.Column(str),
                "value": pa.Column(float, nullable=True),
            },
            unique=["geo", "position"],
            strict=True,
            name=f"spi_2020_{kind}",
        )
    if kind == "goalposts":
        return pa.DataFrameSchema(
            {
                "position": pa.Column("int64", pa.Check.in_range(1, 55), unique=True),
                "indicator": pa.Column(str),
                "inverted": pa.Column(bool),
                "utopian": pa.Column(float),
                "dystopian": pa.Column(float),
            },
            strict=True,
            name="spi_2020_goalposts",
        )
    raise ValueError(f"unknown SPI table kind {kind!r}; expected components, regional, national or goalposts")


def eige_schema() -> pa.DataFrameSchema:
    """Schema of the tidy EIGE Gender Equality Index table."""
    return pa.DataFrameSchema(
        {
            "geo": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{2}[A-Z0-9]*$")),
            "edition": pa.Column("int64", pa.Check.in_range(2013, 2035)),
            "reference_year": pa.Column("int64", pa.Check.in_range(2000, 2035)),
            "domain": pa.Column(str),
            "value": pa.Column(float, pa.Check.in_range(1, 100), nullable=True),
        },
        unique=["geo", "edition", "domain"],
        strict=True,
        name="eige_gender_equality_index",
    )


def coerce_panel(df: pd.DataFrame, *, name: str = "panel") -> pd.DataFrame:
    """Return ``df`` with exactly the panel columns, in order, with the panel dtypes.

    Raises
    ------
    localise.errors.InputError
        When a panel column is missing; the message names ``name``, the missing
        columns and the expected ones.
    """
    missing = [c for c in PANEL_COLUMNS if c not in df.columns]
    if missing:
        from localise.errors import InputError

        raise InputError(f"{name}: columns {missing} missing; expected {list(PANEL_COLUMNS)}")
    out = df[list(PANEL_COLUMNS)].copy()
    for column, dtype in PANEL_COLUMNS.items():
        if dtype == "str":
            out[column] = out[column].fillna("").astype(str) if column == "flags" else out[column].astype(str)
        else:
            out[column] = out[column].astype(dtype)
    return out.reset_index(drop=True)


def validate_panel(df: pd.DataFrame, *, nuts_level: int | None = None, name: str = "panel") -> pd.DataFrame:
    """Coerce and validate a panel; raise :class:`localise.errors.InputError` on failure."""
    from localise.errors import InputError

    coerced = coerce_panel(df, name=name)
    try:
        return panel_schema(nuts_level=nuts_level, name=name).validate(coerced, lazy=True)
    except (pa.errors.SchemaErrors, pa.errors.SchemaError) as error:
        raise InputError(f"{name} failed schema validation: {str(error)[:2000]}") from error


#: Indicator ids of the data API contract (the catalogue may add more).
CONTRACT_INDICATORS = (
    "unemployment_rate",
    "youth_unemployment_rate",
    "long_term_unemployment_share",
    "arope",
    "at_risk_of_poverty_rate",
    "severe_material_deprivation_rate",
    "very_low_work_intensity",
    "employment_thousands",
    "active_population_thousands",
    "unemployment_thousands",
    "adult_learning_rate",
    "gdp_pps_per_inhabitant",
    "gdp_eur_per_inhabitant",
    "household_disposable_income_per_inhabitant",
    "gender_employment_gap",
    "life_expectancy",
    "neet_rate",
    "population",
)

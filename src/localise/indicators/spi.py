"""EU Regional Social Progress Index: data adapters and the published values used as references.

The tidy tables of :func:`localise.data.load_spi` are turned into the units × indicators
frames the engine expects. The 2020 goalposts are taken from the loaded goalpost table by
position (1–55, the column order of the published raw-data file), so the same code runs on
the real tables and on the SYNTHETIC demo tables.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from localise.errors import InputError
from localise.indicators.framework import Framework, load_framework

__all__ = [
    "PUBLISHED_2016_INDEX",
    "PUBLISHED_2020_INDEX",
    "spi2016_wide",
    "spi2020_wide",
    "spi2020_framework",
    "fill_from_national",
    "compare_published",
    "select_countries",
]

#: Published EU-SPI 2016 index scores (Annoni, Dijkstra and Hellman 2016); docs/methods/indicators.md, "EU-SPI 2016".
PUBLISHED_2016_INDEX: dict[str, float] = {
    "SE33": 82.33,
    "DK04": 81.98,
    "DK01": 81.67,
    "FI20": 81.61,
    "NL31": 81.37,
    "FI1D": 80.41,
    "SE32": 78.96,
}
#: Published EU-SPI 2020 index score of SE33 Övre Norrland; docs/methods/indicators.md, "EU-SPI 2020".
PUBLISHED_2020_INDEX: dict[str, float] = {"SE33": 85.11}


def spi2016_wide(components: pd.DataFrame) -> pd.DataFrame:
    """Tidy 2016 component table (``geo, component, value``) → regions × component names."""
    need = {"geo", "component", "value"}
    if not need <= set(components.columns):
        raise InputError(f"SPI 2016 components: expected columns {sorted(need)}, got {list(components.columns)}")
    wide = components.pivot_table(index="geo", columns="component", values="value", aggfunc="first")
    wide.columns.name = None
    wide.attrs.update(components.attrs)
    return wide


def spi2020_framework(goalposts: pd.DataFrame, base: Framework | str = "eu_spi_2020") -> Framework:
    """The 2020 framework with goalposts and directions from a goalpost table (by position)."""
    fw = base if isinstance(base, Framework) else load_framework(base)
    need = {"position", "inverted", "utopian", "dystopian"}
    if not need <= set(goalposts.columns):
        raise InputError(f"SPI 2020 goalposts: expected columns {sorted(need)}, got {list(goalposts.columns)}")
    gp = goalposts.set_index("position").sort_index()
    inds = fw.indicators
    if list(gp.index) != list(range(1, len(inds) + 1)):
        raise InputError(f"SPI 2020 goalposts: expected positions 1..{len(inds)}, got {list(gp.index)[:5]}...")
    nodes = dict(fw.nodes)
    for pos, ind in enumerate(inds, start=1):
        row = gp.loc[pos]
        best, worst = float(row["utopian"]), float(row["dystopian"])
        nodes[ind] = dataclasses.replace(
            nodes[ind], goalposts=(best, worst), direction=-1 if bool(row["inverted"]) else 1
        )
    return dataclasses.replace(fw, nodes=nodes)


def spi2020_wide(raw: pd.DataFrame, framework: Framework) -> tuple[pd.DataFrame, pd.Series]:
    """Tidy 2020 raw table (``geo, country, position, value``) → units × framework columns, country."""
    need = {"geo", "country", "position", "value"}
    if not need <= set(raw.columns):
        raise InputError(f"SPI 2020 raw indicators: expected columns {sorted(need)}, got {list(raw.columns)}")
    wide = raw.pivot_table(index="geo", columns="position", values="value", aggfunc="first", dropna=False)
    inds = framework.indicators
    if sorted(wide.columns) != list(range(1, len(inds) + 1)):
        raise InputError(f"SPI 2020 raw indicators: expected positions 1..{len(inds)}")
    wide = wide[list(range(1, len(inds) + 1))]
    wide.columns = [framework.nodes[i].column for i in inds]
    wide.attrs.update(raw.attrs)
    country = raw.drop_duplicates("geo").set_index("geo")["country"].reindex(wide.index)
    return wide, country


def fill_from_national(
    regional: pd.DataFrame, national: pd.DataFrame, country: pd.Series
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fill missing regional cells with the value of the region's country.

    Returns the filled frame and a boolean frame of the filled cells (to be reported).
    """
    nat = national.reindex(country.to_numpy())
    nat.index = regional.index
    filled = regional.fillna(nat[regional.columns])
    mask = regional.isna() & filled.notna()
    filled.attrs.update(regional.attrs)
    return filled, mask


def compare_published(computed: pd.Series, published: dict[str, float]) -> pd.DataFrame:
    """Table of published vs computed scores (rounded to 2 decimals) and their difference."""
    rows = [
        {"unit": u, "published": v, "computed": float(np.round(computed.get(u, np.nan), 2))}
        for u, v in published.items()
    ]
    out = pd.DataFrame(rows).set_index("unit")
    out["difference"] = (out["computed"] - out["published"]).round(2)
    out.attrs["synthetic"] = bool(computed.attrs.get("synthetic", False)) if hasattr(computed, "attrs") else False
    return out


def select_countries(data: pd.DataFrame, countries: list[str] | None) -> pd.DataFrame:
    """Rows whose unit id (a NUTS code) starts with one of ``countries``; all rows when ``None``."""
    if not countries:
        return data
    keep = data.index.astype(str).str[:2].isin([c.upper() for c in countries])
    if not keep.any():
        raise InputError(f"countries={countries}: no unit of the table belongs to these countries")
    out = data[keep]
    out.attrs.update(data.attrs)
    return out

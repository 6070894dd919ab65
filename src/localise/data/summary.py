"""Summaries of the data sets for the data notebook: sources, coverage, flags, NUTS recoding.

Every function returns a DataFrame that keeps ``attrs["synthetic"]`` of its input, so
tables and figures made from the SYNTHETIC demo are labelled by :mod:`localise.provenance`.
"""

from __future__ import annotations

import pandas as pd

from localise import paths
from localise.data import catalogue
from localise.data.eurostat import FLAG_CODES

__all__ = [
    "catalogue_table",
    "coverage",
    "flag_counts",
    "series_breaks",
    "load_recode_log",
    "recode_summary",
    "flag_legend",
    "indicator_table",
]


def _keep_attrs(out: pd.DataFrame, source: pd.DataFrame) -> pd.DataFrame:
    out.attrs = {k: v for k, v in source.attrs.items() if k in ("synthetic", "source_note", "nuts_version")}
    return out


def catalogue_table() -> pd.DataFrame:
    """One row per catalogue dataset: code, title, indicators fed, mirror file, vintage, NUTS version."""
    rows = []
    for ds in catalogue.datasets().values():
        rows.append(
            {
                "code": ds.code,
                "title": ds.title,
                "indicators": ", ".join(sorted({f.indicator for f in ds.feeds})) or "-",
                "in_mirror": bool(ds.mirror or ds.extract),
                "vintage": ds.vintage,
                "nuts_version": ds.nuts_version if ds.nuts_version else "-",
            }
        )
    return pd.DataFrame(rows)


def flag_legend() -> pd.DataFrame:
    """Eurostat flag letters and their meaning."""
    return pd.DataFrame({"flag": list(FLAG_CODES), "meaning": list(FLAG_CODES.values())})


def indicator_table(panel: pd.DataFrame) -> pd.DataFrame:
    """One row per indicator: rows, regions, first and last year, unit and the source datasets.

    Parameters
    ----------
    panel
        Tidy panel of the data contract (e.g. from :func:`localise.data.load_regional_panel`).

    Returns
    -------
    pandas.DataFrame
        Indexed by indicator, with columns ``rows``, ``regions``, ``first_year``,
        ``last_year``, ``unit`` (the first unit seen) and ``sources`` (sorted dataset
        codes, comma-separated); the panel's ``synthetic`` flag is kept in ``attrs``.
    """
    grouped = panel.groupby("indicator")
    out = grouped.agg(
        rows=("value", "size"),
        regions=("geo", "nunique"),
        first_year=("year", "min"),
        last_year=("year", "max"),
        unit=("unit", "first"),
    )
    out["sources"] = grouped["source"].unique().map(sorted).map(", ".join)
    return _keep_attrs(out, panel)


def coverage(panel: pd.DataFrame, indicator: str, *, sex: str = "T") -> pd.DataFrame:
    """Number of regions with a value, by country (rows) and year (columns), for one indicator."""
    sub = panel[(panel["indicator"] == indicator) & (panel["sex"] == sex)]
    out = sub.pivot_table(index="country", columns="year", values="geo", aggfunc="nunique", fill_value=0)
    out.columns = [int(c) for c in out.columns]
    return _keep_attrs(out, panel)


def flag_counts(panel: pd.DataFrame) -> pd.DataFrame:
    """Share (%) of observations carrying each flag letter, by indicator (a cell may carry several)."""
    letters = sorted({ch for f in panel["flags"].unique() for ch in f})
    out = pd.DataFrame(index=sorted(panel["indicator"].unique()))
    for letter in letters:
        hit = panel["flags"].str.contains(letter, regex=False)
        out[letter] = (hit.groupby(panel["indicator"]).mean() * 100).round(2)
    out["n_obs"] = panel.groupby("indicator").size()
    return _keep_attrs(out.fillna(0.0), panel)


def series_breaks(panel: pd.DataFrame) -> pd.DataFrame:
    """Breaks in series (flag ``b``): number of regions flagged, by indicator, country and year."""
    sub = panel[panel["flags"].str.contains("b", regex=False)]
    out = (
        sub.groupby(["indicator", "country", "year"])
        .size()
        .rename("regions_flagged")
        .reset_index()
        .sort_values(["indicator", "country", "year"])
        .reset_index(drop=True)
    )
    return _keep_attrs(out, panel)


def load_recode_log(nuts_version: int = 2016) -> pd.DataFrame | None:
    """The NUTS recoding log written by ``localise data build`` (``None`` before a real build)."""
    path = paths.data_processed() / f"nuts_recode_log_nuts{nuts_version}.parquet"
    if not path.is_file():
        return None
    from localise import provenance
    from localise.data import processed

    processed.verify(path)
    provenance.record_input(path, synthetic=False, role="log")
    df = pd.read_parquet(path)
    df.attrs = {"synthetic": False}
    return df


def recode_summary(log: pd.DataFrame) -> pd.DataFrame:
    """Codes by outcome of the recoding (unchanged, recoded, not mapped and why), over all datasets."""
    codes = log.drop_duplicates(["geo", "status"])
    kind = codes["status"].where(codes["status"].isin(["unchanged", "recoded"]), "not mapped: " + codes["status"])
    out = kind.value_counts().rename_axis("outcome").rename("codes").reset_index()
    examples = codes.groupby(kind)["geo"].apply(lambda s: ", ".join(sorted(s)[:6]))
    out["examples"] = out["outcome"].map(examples)
    return _keep_attrs(out, log)

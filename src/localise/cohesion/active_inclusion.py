"""Active inclusion dashboard for the EUROCITIES Cities for Active Inclusion (CAI).

Commission Recommendation 2008/867/EC names three strands: inclusive labour markets,
adequate income support and access to quality services (methods dossier §6.1). For the
NUTS 2 region of a CAI city and its country, :func:`dashboard` collects the panel
indicators of each pillar (package data ``active_inclusion_pillars.yml``), adds the EU
average from the country panel and flags breaks in series (Eurostat flag ``b``).

City → NUTS 2 region comes from the analytical grid's case registry
(:func:`localise.grid.load_case_registry`); without it the dashboard raises a clear
:class:`~localise.errors.DataUnavailableError` instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from localise.errors import DataUnavailableError, InputError

__all__ = ["CAI_CITIES", "pillars", "cai_cases", "cai_case_ids", "resolve_city", "dashboard", "city_dashboard", "ActiveInclusionProfile", "plot_trends"]

#: The nine CAI cities and their countries (EUROCITIES network; dossier §6.1, from the project brief).
CAI_CITIES: dict[str, str] = {
    "Barcelona": "ES",
    "Birmingham": "UK",
    "Bologna": "IT",
    "Brno": "CZ",
    "Copenhagen": "DK",
    "Lille-Roubaix": "FR",
    "Rotterdam": "NL",
    "Sofia": "BG",
    "Stockholm": "SE",
}


def pillars() -> pd.DataFrame:
    """Pillar of each indicator (package data): columns pillar, indicator, label, better."""
    import yaml

    from localise.cohesion import package_data

    doc = yaml.safe_load(package_data("active_inclusion_pillars.yml").read_text(encoding="utf-8"))
    rows = [
        {"pillar": pillar, "indicator": ind, **spec}
        for pillar, items in doc["pillars"].items()
        for ind, spec in items.items()
    ]
    return pd.DataFrame(rows)


def cai_cases() -> pd.DataFrame:
    """CAI cases of the grid's case registry (case_id, name, country, nuts2_2016 ...).

    Raises
    ------
    DataUnavailableError
        When :func:`localise.grid.load_case_registry` is not available.
    """
    try:
        from localise.grid import load_case_registry
    except ImportError as error:
        raise DataUnavailableError(
            "the grid's case registry (localise.grid.load_case_registry) is not available: it maps each "
            "CAI city to its NUTS 2 region; the active inclusion dashboard needs it"
        ) from error
    registry = load_case_registry()
    groups = registry["group"].astype(str)
    cai = registry[groups.str.split(";").map(lambda g: "CAI" in [x.strip() for x in g])]
    return cai.reset_index(drop=True)


def cai_case_ids() -> list[str]:
    """Case ids of the CAI cities in the grid's case registry (the values notebook 09's ``city`` takes)."""
    return cai_cases()["case_id"].astype(str).tolist()


def resolve_city(city: str) -> pd.Series:
    """Registry row of a CAI city given its case_id or name (case-insensitive)."""
    cases = cai_cases()
    key = str(city).strip().lower()
    hit = cases[(cases["case_id"].astype(str).str.lower() == key) | (cases["name"].astype(str).str.lower() == key)]
    if hit.empty:
        raise InputError(
            f"city {city!r} is not a CAI case of the registry; expected one of "
            f"{', '.join(cases['case_id'].astype(str))} (or their names)"
        )
    return hit.iloc[0]


def _eu_geo(country_panel: pd.DataFrame) -> str | None:
    eu = country_panel[country_panel["geo"].astype(str).str.startswith("EU")]["geo"].unique()
    for pref in ("EU28", "EU27_2020", "EU27_2007", "EU27", "EU"):
        if pref in eu:
            return pref
    return sorted(eu)[0] if len(eu) else None


@dataclass
class ActiveInclusionProfile:
    """Dashboard data for one city: region, country and EU rows of every pillar indicator."""

    city: str
    nuts2: str
    country: str
    eu_geo: str | None
    data: pd.DataFrame
    missing: list[str]
    note: str = ""

    def to_frame(self) -> pd.DataFrame:
        return self.data.copy()

    def latest(self, sex: str = "T") -> pd.DataFrame:
        """Latest value per indicator and level (region, country, EU), with year and break flag."""
        d = self.data[self.data["sex"] == sex]
        idx = d.groupby(["pillar", "indicator", "level"])["year"].idxmax()
        last = d.loc[idx]
        value = last.pivot_table(index=["pillar", "indicator"], columns="level", values="value", aggfunc="first")
        year = last.pivot_table(index=["pillar", "indicator"], columns="level", values="year", aggfunc="first")
        out = value.join(year.add_suffix(" year"))
        out["breaks in region series"] = (
            d[d["level"] == "region"].groupby(["pillar", "indicator"])["break"].sum().reindex(out.index).fillna(0).astype(int)
        )
        out.attrs.update(self.data.attrs)
        return out

    def breaks(self) -> pd.DataFrame:
        """Rows flagged as a break in series (flag ``b``)."""
        return self.data[self.data["break"]][["level", "geo", "indicator", "sex", "year", "value", "flags"]]

    def summary(self) -> str:
        miss = f"; not in the panel: {', '.join(self.missing)}" if self.missing else ""
        note = f"\nNote: {self.note}" if self.note else ""
        return (f"Active inclusion profile of {self.city} (NUTS 2 {self.nuts2 or 'unknown'}, country {self.country}, "
                f"EU average {self.eu_geo or 'not available'}): {self.data['indicator'].nunique()} indicators, "
                f"{int(self.data['break'].sum())} values flagged as breaks in series{miss}{note}")


def dashboard(
    city: str,
    regional: pd.DataFrame,
    country_panel: pd.DataFrame,
    *,
    nuts2: str | None = None,
    country: str | None = None,
) -> ActiveInclusionProfile:
    """Collect pillar indicators for a city's region, its country and the EU average.

    Parameters
    ----------
    city
        CAI case_id or city name (resolved with the case registry unless ``nuts2`` and
        ``country`` are given).
    regional, country_panel
        Tidy panels of the data API contract.
    nuts2, country
        Override the registry (e.g. in tests).
    """
    if nuts2 is None or country is None:
        case = resolve_city(city)
        nuts2 = nuts2 or str(case["nuts2_2016"])
        country = country or str(case["country"])
        city = str(case["name"])
    spec = pillars()
    inds = list(spec["indicator"])
    eu = _eu_geo(country_panel)
    reg = regional[(regional["geo"] == nuts2) & regional["indicator"].isin(inds)].assign(level="region")
    ctry = country_panel[(country_panel["geo"] == country) & country_panel["indicator"].isin(inds)].assign(level="country")
    eus = country_panel[(country_panel["geo"] == eu) & country_panel["indicator"].isin(inds)].assign(level="EU")
    data = pd.concat([reg, ctry, eus], ignore_index=True)
    data = data.merge(spec[["pillar", "indicator", "label"]], on="indicator", how="left")
    data["flags"] = data["flags"].fillna("").astype(str)
    data["break"] = data["flags"].str.contains("b")
    data = data.sort_values(["pillar", "indicator", "level", "sex", "year"], kind="stable").reset_index(drop=True)
    data.attrs.update(regional.attrs)
    if country_panel.attrs.get("synthetic"):
        data.attrs["synthetic"] = True
    missing = [i for i in inds if i not in set(data["indicator"])]
    return ActiveInclusionProfile(city=city, nuts2=nuts2, country=country, eu_geo=eu, data=data, missing=missing)


def city_dashboard(city: str, regional: pd.DataFrame, country_panel: pd.DataFrame) -> ActiveInclusionProfile:
    """Dashboard of a CAI city; country and EU only when the case registry is unavailable.

    The region comes only from the grid's case registry. Without it, a CAI city named
    in :data:`CAI_CITIES` still gets its country and EU rows, and the profile's ``note``
    says that the regional part was skipped and why.
    """
    try:
        return dashboard(city, regional, country_panel)
    except DataUnavailableError as error:
        wanted = "".join(ch for ch in str(city).lower() if ch.isalpha())
        name = next((c for c in CAI_CITIES if "".join(ch for ch in c.lower() if ch.isalpha()) in wanted), None)
        if name is None:
            raise InputError(f"city {city!r} is not one of the CAI cities {', '.join(CAI_CITIES)}") from error
        prof = dashboard(name, regional.iloc[0:0], country_panel, nuts2="", country=CAI_CITIES[name])
        prof.nuts2 = None
        prof.note = f"regional rows skipped: {error}"
        return prof


def plot_trends(profile: ActiveInclusionProfile, *, sex: str = "T", ncols: int = 3) -> Any:
    """Small multiples: region, country and EU series per indicator; breaks marked with x."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    d = profile.data[profile.data["sex"] == sex]
    inds = list(dict.fromkeys(d["indicator"]))
    if not inds:
        return None
    nrows = -(-len(inds) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4 * ncols, 2.8 * nrows), squeeze=False)
    styles = {"region": ("tab:red", "-"), "country": ("tab:blue", "--"), "EU": ("grey", ":")}
    for ax, ind in zip(axes.flat, inds):
        sub = d[d["indicator"] == ind]
        if ind.endswith("_thousands"):  # counts: country/EU levels are not comparable with a region
            sub = sub[sub["level"] == "region"]
        for level, g in sub.groupby("level"):
            color, ls = styles.get(level, ("black", "-"))
            ax.plot(g["year"], g["value"], ls, color=color, label=level)
            br = g[g["break"]]
            ax.plot(br["year"], br["value"], "x", color="black", ms=7)
        ax.set_title(ind + (" (region only)" if ind.endswith("_thousands") else ""), fontsize=9)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in list(axes.flat)[len(inds):]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(f"Active inclusion: {profile.city} ({profile.nuts2}), sex={sex}; x = break in series")
    fig.tight_layout()
    return fig

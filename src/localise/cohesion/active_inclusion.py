"""Active inclusion dashboard for the EUROCITIES Cities for Active Inclusion (CAI).

Commission Recommendation 2008/867/EC names three strands: inclusive labour markets,
adequate income support and access to quality services (see docs/methods/cohesion.md,
"Active inclusion dashboards"). For the
NUTS 2 region of a CAI city and its country, :func:`dashboard` collects the panel
indicators of each pillar (package data ``active_inclusion_pillars.yml``), adds the EU
average from the country panel and flags breaks in series (Eurostat flag ``b``).
:func:`city_dashboard` adds the city's own values from the third-party Urban Audit
extract (:mod:`localise.data.urban_audit`) where the extract has them and its code
is checked; otherwise the profile says why the city level is missing.

Two rules keep the comparisons honest:

* **One reference year per comparison.** :meth:`ActiveInclusionProfile.latest` (and
  :func:`same_year` in general) compares the levels of an indicator in a single year:
  the latest year in which every level shown has a value. When no year covers every
  level, it takes the latest year covering the most levels and names the levels left
  without a value; values of different years are never put side by side.
* **Rates, not counts.** Every pillar indicator is a rate, share, gap or life
  expectancy. Employment enters as employed persons per 100 active persons,
  computed from the panel's thousands (:data:`DERIVED`); :func:`pillars` refuses a
  head-count indicator.

City → NUTS 2 region comes from the analytical grid's case registry
(:func:`localise.grid.load_case_registry`); without it the dashboard raises a clear
:class:`~localise.errors.DataUnavailableError` instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from localise.errors import DataUnavailableError, InputError
from localise.results import Results

__all__ = [
    "CAI_CITIES",
    "LEVELS",
    "CITY_COUNTERPARTS",
    "pillars",
    "cai_cases",
    "cai_case_ids",
    "resolve_city",
    "same_year",
    "dashboard",
    "add_city_values",
    "city_dashboard",
    "city_vs_region_extract",
    "ActiveInclusionProfile",
    "plot_trends",
    "plot_comparison",
]

#: The nine CAI cities and their countries (EUROCITIES network, from the project brief; not re-checked).
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


#: Levels of a comparison, in display order.
LEVELS = ("city", "region", "country", "EU")

#: Urban Audit city indicators with a panel counterpart of the same kind (a rate in %).
#: The definitions differ (Urban Audit city data versus the Labour Force Survey for regions),
#: so a city-region gap is partly a difference of sources.
CITY_COUNTERPARTS: dict[str, str] = {"EC1020I": "unemployment_rate"}

_COUNT_UNITS = ("persons", "thousand")


def pillars() -> pd.DataFrame:
    """Pillar of each indicator (package data): columns pillar, indicator, label, better, numerator, denominator.

    ``numerator``/``denominator`` name the panel indicators of a derived ratio (empty otherwise).

    Raises
    ------
    InputError
        When a pillar indicator is a head-count (its catalogue unit counts persons).
    """
    import yaml

    from localise.cohesion import package_data
    from localise.data.catalogue import load_catalogue

    doc = yaml.safe_load(package_data("active_inclusion_pillars.yml").read_text(encoding="utf-8"))
    rows = []
    for pillar, items in doc["pillars"].items():
        for ind, spec in items.items():
            derived = spec.get("derived") or {}
            rows.append(
                {
                    "pillar": pillar,
                    "indicator": ind,
                    "label": spec["label"],
                    "better": spec["better"],
                    "numerator": derived.get("numerator", ""),
                    "denominator": derived.get("denominator", ""),
                }
            )
    out = pd.DataFrame(rows)
    units = {k: str(v.get("unit", "")) for k, v in load_catalogue()["indicators"].items()}
    counts = [i for i in out["indicator"] if any(w in units.get(i, "") for w in _COUNT_UNITS)]
    if counts:
        raise InputError(
            f"active_inclusion_pillars.yml: indicator(s) {counts} are head-counts (catalogue units "
            f"{[units[i] for i in counts]}); expected rates, shares or gaps -- derive a ratio instead"
        )
    return out


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


def same_year(data: pd.DataFrame, *, keys: tuple[str, ...] = ("pillar", "indicator")) -> pd.DataFrame:
    """Compare levels (city, region, country, EU) of each indicator in one reference year.

    The rule: for each indicator, the reference year is the latest year in which every
    level that has the indicator at all has a value. When no year covers all of them,
    the reference year is the latest year covering the most levels, and the levels
    without a value in that year are named in ``not in reference year``. Values of
    different years are never placed in one row.

    Parameters
    ----------
    data
        Tidy rows with the ``keys`` columns and ``level``, ``year``, ``value``
        (one sex; one row per key, level and year).
    keys
        Columns identifying an indicator.

    Returns
    -------
    DataFrame
        Indexed by ``keys``: ``year`` (the reference year), one column per level
        present (in :data:`LEVELS` order), and ``not in reference year``.
    """
    key_columns = list(keys)
    rows = []
    d = data[data["value"].notna() & data["year"].notna()]
    for key, sub in d.groupby(key_columns, sort=False):
        years = sub.groupby("year")["level"].nunique()
        best = years[years == years.max()].index.max()
        at = sub[sub["year"] == best].drop_duplicates("level").set_index("level")["value"]
        absent = [lv for lv in _ordered(sub["level"].unique()) if lv not in at.index]
        key = key if isinstance(key, tuple) else (key,)
        rows.append(
            {
                **dict(zip(key_columns, key)),
                "year": int(best),
                **at.to_dict(),
                "not in reference year": ", ".join(absent),
            }
        )
    levels = _ordered(d["level"].unique())
    out = pd.DataFrame(rows, columns=key_columns + ["year"] + levels + ["not in reference year"])
    return out.set_index(key_columns)


def _ordered(levels) -> list[str]:
    known = [lv for lv in LEVELS if lv in set(levels)]
    return known + sorted(set(levels) - set(known))


@dataclass(repr=False)
class ActiveInclusionProfile(Results):
    """Dashboard data for one city: city (where available), region, country and EU rows of every pillar indicator.

    ``city_status`` is ``present``, ``empty record``, ``absent``, ``matched by name, not verified``,
    ``no Urban Audit code`` or ``not loaded``; ``city_detail`` explains it. ``city_values`` holds all the
    extract's values of the city (also those without a panel counterpart), empty unless the status is
    ``present``. ``synthetic`` follows ``data.attrs``.
    """

    city: str
    nuts2: str | None
    country: str
    eu_geo: str | None
    data: pd.DataFrame
    missing: list[str]
    note: str = ""
    city_status: str = "not loaded"
    city_detail: str = "the Urban Audit extract was not given to the dashboard"
    city_values: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __post_init__(self) -> None:
        self.synthetic = bool(self.data.attrs.get("synthetic", False))

    def to_frame(self) -> pd.DataFrame:
        """Every row of the dashboard (all levels, sexes and years)."""
        return self.data.copy()

    def latest(self, sex: str = "T") -> pd.DataFrame:
        """Levels of each indicator in one reference year (see :func:`same_year`), with breaks in the region series."""
        d = self.data[self.data["sex"] == sex]
        out = same_year(d)
        out["breaks in region series"] = (
            d[d["level"] == "region"]
            .groupby(["pillar", "indicator"])["break"]
            .sum()
            .reindex(out.index)
            .fillna(0)
            .astype(int)
        )
        out.attrs.update(self.data.attrs)
        return out

    def city_table(self) -> pd.DataFrame:
        """The city's extract values: latest year of each indicator, with origin (empty when none)."""
        v = self.city_values
        if v.empty:
            return v
        dated = v[v["year"].notna()]
        last = dated.loc[dated.groupby("indicator_code")["year"].idxmax()] if not dated.empty else dated
        undated = v[v["year"].isna() & ~v["indicator_code"].isin(last["indicator_code"])]
        cols = ["indicator_code", "indicator_label", "year", "value", "year_note", "origin"]
        return pd.concat([last, undated])[cols].reset_index(drop=True)

    def breaks(self) -> pd.DataFrame:
        """Rows flagged as a break in series (flag ``b``)."""
        return self.data[self.data["break"]][["level", "geo", "indicator", "sex", "year", "value", "flags"]]

    def summary(self) -> str:
        """Levels compared, indicators, breaks in series and the state of the city values."""
        miss = f"; not in the panel: {', '.join(self.missing)}" if self.missing else ""
        note = f"\nNote: {self.note}" if self.note else ""
        return (
            f"Active inclusion profile of {self.city} (NUTS 2 {self.nuts2 or 'unknown'}, country {self.country}, "
            f"EU average {self.eu_geo or 'not available'}): {self.data['indicator'].nunique()} indicators, "
            f"{int(self.data['break'].sum())} values flagged as breaks in series{miss}{note}\n"
            f"City values (Urban Audit extract): {self.city_status} -- {self.city_detail}"
        )


def _derive(rows: pd.DataFrame, spec: pd.DataFrame) -> pd.DataFrame:
    """Derived ratios (percent) of :func:`pillars` computed per geo, sex and year."""
    parts = []
    for _, d in spec[spec["numerator"] != ""].iterrows():
        num = rows[rows["indicator"] == d["numerator"]]
        den = rows[rows["indicator"] == d["denominator"]]
        keys = ["geo", "country", "nuts_level", "year", "sex", "level"]
        m = num.merge(den, on=keys, suffixes=("_n", "_d"))
        m = m[m["value_d"] > 0]
        parts.append(
            pd.DataFrame(
                {
                    **{k: m[k] for k in keys},
                    "indicator": d["indicator"],
                    "unit": "PC",
                    "value": 100 * m["value_n"] / m["value_d"],
                    "flags": (m["flags_n"].fillna("") + m["flags_d"].fillna("")).map(lambda f: "".join(sorted(set(f)))),
                    "source": m["source_n"] + " / " + m["source_d"],
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else rows.iloc[0:0]


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
    inputs = inds + [i for i in pd.concat([spec["numerator"], spec["denominator"]]) if i]
    eu = _eu_geo(country_panel)
    reg = regional[(regional["geo"] == nuts2) & regional["indicator"].isin(inputs)].assign(level="region")
    ctry = country_panel[(country_panel["geo"] == country) & country_panel["indicator"].isin(inputs)].assign(
        level="country"
    )
    eus = country_panel[(country_panel["geo"] == eu) & country_panel["indicator"].isin(inputs)].assign(level="EU")
    rows = pd.concat([reg, ctry, eus], ignore_index=True)
    data = pd.concat([rows, _derive(rows, spec)], ignore_index=True)
    data = data[data["indicator"].isin(inds)]
    data = data.merge(spec[["pillar", "indicator", "label"]], on="indicator", how="left")
    data["flags"] = data["flags"].fillna("").astype(str)
    data["break"] = data["flags"].str.contains("b")
    data = data.sort_values(["pillar", "indicator", "level", "sex", "year"], kind="stable").reset_index(drop=True)
    data.attrs.update(regional.attrs)
    if country_panel.attrs.get("synthetic"):
        data.attrs["synthetic"] = True
    missing = [i for i in inds if i not in set(data["indicator"])]
    return ActiveInclusionProfile(city=city, nuts2=nuts2, country=country, eu_geo=eu, data=data, missing=missing)


def add_city_values(
    profile: ActiveInclusionProfile,
    case: pd.Series,
    cities: pd.DataFrame,
    records: pd.DataFrame,
    code_list: pd.DataFrame | None = None,
) -> ActiveInclusionProfile:
    """Add the city's Urban Audit values (third-party extract) to ``profile`` when its code checks out.

    The case's code is checked with :func:`localise.data.urban_audit.check_cases`; only
    status ``present`` adds values. The unemployment rate (the indicator with a panel
    counterpart, :data:`CITY_COUNTERPARTS`) joins ``profile.data`` as level ``city``;
    all values are kept in ``profile.city_values``.
    """
    from localise.data.urban_audit import check_cases

    check = check_cases(records, pd.DataFrame([case]), code_list).iloc[0]
    profile.city_status, profile.city_detail = str(check["status"]), str(check["detail"])
    if profile.city_status != "present":
        return profile
    values = cities[cities["city_code"] == check["extract_code"]].reset_index(drop=True)
    profile.city_values = values
    spec = pillars().set_index("indicator")
    rows = values[values["indicator_code"].isin(CITY_COUNTERPARTS) & values["year"].notna()]
    if not rows.empty:
        ind = rows["indicator_code"].map(CITY_COUNTERPARTS)
        city_rows = pd.DataFrame(
            {
                "geo": rows["city_code"],
                "country": rows["country"],
                "nuts_level": -1,
                "year": rows["year"].astype(int),
                "indicator": ind,
                "sex": "T",
                "unit": "PC",
                "value": rows["value"].astype(float),
                "flags": "",
                "source": rows["origin"],
                "level": "city",
                "pillar": ind.map(spec["pillar"]),
                "label": ind.map(spec["label"]),
                "break": False,
            }
        )
        attrs = dict(profile.data.attrs)
        profile.data = pd.concat([profile.data, city_rows], ignore_index=True)
        profile.data.attrs = attrs
    return profile


def city_dashboard(
    city: str,
    regional: pd.DataFrame,
    country_panel: pd.DataFrame,
    *,
    cities: pd.DataFrame | None = None,
    records: pd.DataFrame | None = None,
    code_list: pd.DataFrame | None = None,
) -> ActiveInclusionProfile:
    """Dashboard of a CAI city; country and EU only when the case registry is unavailable.

    The region comes only from the grid's case registry. Without it, a CAI city named
    in :data:`CAI_CITIES` still gets its country and EU rows, and the profile's ``note``
    says that the regional part was skipped and why. With ``cities`` and ``records``
    (:func:`localise.data.urban_audit.load_urban_audit`), the city's own values are
    added where the extract has them (:func:`add_city_values`).
    """
    try:
        profile = dashboard(city, regional, country_panel)
    except DataUnavailableError as error:
        wanted = "".join(ch for ch in str(city).lower() if ch.isalpha())
        name = next((c for c in CAI_CITIES if "".join(ch for ch in c.lower() if ch.isalpha()) in wanted), None)
        if name is None:
            raise InputError(f"city {city!r} is not one of the CAI cities {', '.join(CAI_CITIES)}") from error
        prof = dashboard(name, regional.iloc[0:0], country_panel, nuts2="", country=CAI_CITIES[name])
        prof.nuts2 = None
        prof.note = f"regional rows skipped: {error}"
        prof.city_detail = "the case registry (and so the city's Urban Audit code) is not available"
        return prof
    if cities is not None and records is not None:
        add_city_values(profile, resolve_city(city), cities, records, code_list)
    return profile


def city_vs_region_extract(profile: ActiveInclusionProfile, regions: pd.DataFrame) -> pd.DataFrame:
    """City and NUTS 2 unemployment rate, both from the Urban Audit extract, in one reference year.

    The extract's regional series runs to a later year than the panels, so this gives a
    more recent same-year pair than :meth:`ActiveInclusionProfile.latest`. Empty when the
    city has no unemployment value or the region is not in ``regions``
    (:func:`localise.data.urban_audit.load_urban_audit` ``("regions")``).
    """
    v = profile.city_values
    if v.empty or not profile.nuts2:
        return pd.DataFrame()
    city = v[(v["indicator_code"] == "EC1020I") & v["year"].notna()]
    reg = regions[(regions["geo"] == profile.nuts2) & (regions["indicator"] == "unemployment_rate")]
    if city.empty or reg.empty:
        return pd.DataFrame()
    rows = pd.concat(
        [
            pd.DataFrame(
                {
                    "indicator": "unemployment_rate",
                    "level": "city",
                    "year": city["year"].astype(int),
                    "value": city["value"],
                }
            ),
            pd.DataFrame(
                {"indicator": "unemployment_rate", "level": "region", "year": reg["year"], "value": reg["value"]}
            ),
        ]
    )
    return same_year(rows, keys=("indicator",))


_STYLES = {"city": ("tab:green", "-"), "region": ("tab:red", "-"), "country": ("tab:blue", "--"), "EU": ("grey", ":")}


def plot_trends(profile: ActiveInclusionProfile, *, sex: str = "T", ncols: int = 3) -> Any:
    """Small multiples: city, region, country and EU series per indicator; breaks marked with x.

    A city series is drawn only over the years the other levels cover, so a stray early
    value of the extract does not stretch the axis.
    """
    from matplotlib.ticker import MaxNLocator

    from localise.context.layout import small_multiples

    d = profile.data[profile.data["sex"] == sex]
    inds = list(dict.fromkeys(d["indicator"]))
    if not inds:
        return None
    fig, axes = small_multiples(len(inds), ncols=ncols, panel_size=(4, 2.8))
    for ax, ind in zip(axes.flat, inds):
        sub = d[d["indicator"] == ind]
        others = sub[sub["level"] != "city"]
        if not others.empty:
            sub = sub[(sub["level"] != "city") | sub["year"].between(others["year"].min(), others["year"].max())]
        for level in _ordered(sub["level"].unique()):
            g = sub[sub["level"] == level].sort_values("year")
            color, ls = _STYLES.get(level, ("black", "-"))
            ax.plot(
                g["year"], g["value"], ls, color=color, label=level, marker="o" if level == "city" else None, ms=2.5
            )
            br = g[g["break"]]
            ax.plot(br["year"], br["value"], "x", color="black", ms=7)
        ax.set_title(ind, fontsize=9)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize=6)
    for ax in list(axes.flat)[len(inds) :]:
        ax.set_visible(False)
    fig.suptitle(f"Active inclusion: {profile.city} ({profile.nuts2}), sex={sex}; x = break in series")
    fig.tight_layout()
    return fig


def plot_comparison(table: pd.DataFrame, *, title: str = "", ncols: int = 4) -> Any:
    """Bar charts of a :func:`same_year` table: one panel per indicator, all bars of one year (named in the title)."""
    from localise.context.layout import small_multiples

    levels = [lv for lv in LEVELS if lv in table.columns]
    if table.empty or not levels:
        return None
    fig, axes = small_multiples(len(table), ncols=ncols, panel_size=(3.4, 2.6))
    for ax, (key, row) in zip(axes.flat, table.iterrows()):
        name = key[-1] if isinstance(key, tuple) else key
        values = [row[lv] for lv in levels]
        colors = [_STYLES[lv][0] for lv in levels]
        ax.bar(levels, [0 if pd.isna(v) else v for v in values], color=colors)
        for i, v in enumerate(values):
            ax.text(
                i, 0 if pd.isna(v) else v, "n/a" if pd.isna(v) else f"{v:.1f}", ha="center", va="bottom", fontsize=7
            )
        ax.set_title(f"{name}\n(all bars: {int(row['year'])})", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(table) :]:
        ax.set_visible(False)
    fig.suptitle(title or "Same-year comparison (one reference year per indicator)")
    fig.tight_layout()
    return fig

"""Seeded generator of the SYNTHETIC demo data (``localise data demo --seed N``).

The suite must run where neither the network nor the data mirror is available.
This module writes a small, clearly labelled **synthetic** data set with exactly the
processed schema of the real panels (see :mod:`localise.data.schemas`) into
``data/processed/demo/``. Every file name ends in ``_SYNTHETIC``, every frame read
from it carries ``attrs["synthetic"] = True``, and its ``source`` column says
``SYNTHETIC``. None of these numbers is an observation: they are draws from the
model below, whose parameters were chosen to give plausible ranges.

Geography: the real NUTS 2016 level-2 codes of FR (metropolitan), DE, IT, PL, SE,
UK, ES, CZ, DK, NL and BG (the countries of the suite's case studies and of the
EUROCITIES "Cities for Active Inclusion" network), so that joins with case
registries and maps work. Years 2005-2019.

Planted relationships (all recorded in ``metadata_SYNTHETIC.json``, returned by
:func:`localise.data.load_demo_metadata`) for teaching and for tests:

``reform_effect``
    ``long_term_unemployment_share`` (share of the unemployed out of work for 12+
    months, % of unemployment) drops by exactly ``effect`` = -1.5 percentage points
    from the treatment year on, in every region of a treated country; treatment
    years are staggered by country; some countries are never treated. There is no
    anticipation and the effect is constant over time, so a two-way fixed-effects
    or event-study estimator should recover it.
``variance_components``
    ``unemployment_rate`` (sex T) = 9 + country effect + region effect + common
    cycle + noise, with planted variances 6.0 / 2.5 / 1.5: the between-country share
    of the non-cycle variance is 0.6. The realised sample variances of the draws
    are recorded as well.
``gender_gap``
    ``unemployment_rate`` F minus M equals a country-specific gap (mean 0.8 pp);
    ``life_expectancy`` F minus M is 5.6 years everywhere; the
    ``gender_employment_gap`` has a country level around 10 pp.
``arope_slope``
    ``arope`` = 12 + 0.8 x ``unemployment_rate`` (T) + country and region effects +
    noise, independent of the unemployment rate: regressions recover 0.8.

Counts are internally consistent: ``unemployment_thousands`` = active population x
unemployment rate / 100 for F, M and T, and F + M = T.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from localise import paths
from localise.atomic import atomic_path, atomic_write_text
from localise.errors import InputError

__all__ = [
    "DEFAULT_SEED",
    "DEMO_COUNTRIES",
    "DEMO_YEARS",
    "DEFAULT_TREATMENT_YEARS",
    "demo_dir",
    "demo_files",
    "generate_demo",
    "write_demo",
    "ensure_demo",
]

log = logging.getLogger(__name__)

DEFAULT_SEED = 2024
#: Bumped whenever the generator changes, so stale demo files are regenerated.
DEMO_VERSION = 2
DEMO_YEARS = list(range(2005, 2020))
SOURCE = "SYNTHETIC"
SUFFIX = "_SYNTHETIC"

#: Real NUTS 2016 level-2 codes (Eurostat NUTS 2016 classification); extra-regio
#: ``ZZ`` codes and the French outermost regions (FRY) are left out.
DEMO_REGIONS: dict[str, list[str]] = {
    "FR": "FR10 FRB0 FRC1 FRC2 FRD1 FRD2 FRE1 FRE2 FRF1 FRF2 FRF3 FRG0 FRH0 FRI1 FRI2 FRI3 FRJ1 FRJ2 "
    "FRK1 FRK2 FRL0 FRM0".split(),
    "DE": "DE11 DE12 DE13 DE14 DE21 DE22 DE23 DE24 DE25 DE26 DE27 DE30 DE40 DE50 DE60 DE71 DE72 DE73 "
    "DE80 DE91 DE92 DE93 DE94 DEA1 DEA2 DEA3 DEA4 DEA5 DEB1 DEB2 DEB3 DEC0 DED2 DED4 DED5 DEE0 DEF0 "
    "DEG0".split(),
    "IT": "ITC1 ITC2 ITC3 ITC4 ITF1 ITF2 ITF3 ITF4 ITF5 ITF6 ITG1 ITG2 ITH1 ITH2 ITH3 ITH4 ITH5 ITI1 "
    "ITI2 ITI3 ITI4".split(),
    "PL": "PL21 PL22 PL41 PL42 PL43 PL51 PL52 PL61 PL62 PL63 PL71 PL72 PL81 PL82 PL84 PL91 PL92".split(),
    "SE": "SE11 SE12 SE21 SE22 SE23 SE31 SE32 SE33".split(),
    "UK": "UKC1 UKC2 UKD1 UKD3 UKD4 UKD6 UKD7 UKE1 UKE2 UKE3 UKE4 UKF1 UKF2 UKF3 UKG1 UKG2 UKG3 UKH1 "
    "UKH2 UKH3 UKI3 UKI4 UKI5 UKI6 UKI7 UKJ1 UKJ2 UKJ3 UKJ4 UKK1 UKK2 UKK3 UKK4 UKL1 UKL2 UKM5 UKM6 "
    "UKM7 UKM8 UKM9 UKN0".split(),
    "ES": "ES11 ES12 ES13 ES21 ES22 ES23 ES24 ES30 ES41 ES42 ES43 ES51 ES52 ES53 ES61 ES62 ES63 ES64 ES70".split(),
    "CZ": "CZ01 CZ02 CZ03 CZ04 CZ05 CZ06 CZ07 CZ08".split(),
    "DK": "DK01 DK02 DK03 DK04 DK05".split(),
    "NL": "NL11 NL12 NL13 NL21 NL22 NL23 NL31 NL32 NL33 NL34 NL41 NL42".split(),
    "BG": "BG31 BG32 BG33 BG34 BG41 BG42".split(),
}
DEMO_COUNTRIES = list(DEMO_REGIONS)

#: Staggered synthetic "reform" years (illustrative only, not real reform dates).
DEFAULT_TREATMENT_YEARS: dict[str, int] = {
    "DK": 2009,
    "FR": 2010,
    "PL": 2011,
    "IT": 2012,
    "UK": 2013,
    "ES": 2014,
    "NL": 2015,
}

# Illustrative country profiles for the synthetic draws (not observations):
# GDP in PPS per inhabitant in 2005, price level (EUR per PPS), adult learning (%),
# gender employment gap (pp), life expectancy (years), base AROPE shift.
_PROFILE: dict[str, tuple[float, float, float, float, float]] = {
    "FR": (26000, 1.08, 12.0, 8.0, 81.0),
    "DE": (28000, 1.04, 8.0, 9.0, 80.0),
    "IT": (25000, 1.00, 6.5, 20.0, 81.5),
    "PL": (12000, 0.58, 4.5, 14.0, 76.0),
    "SE": (29000, 1.25, 27.0, 4.5, 81.5),
    "UK": (28000, 1.12, 16.0, 10.0, 80.0),
    "ES": (23000, 0.92, 10.5, 14.0, 81.5),
    "CZ": (18000, 0.62, 8.5, 16.0, 77.5),
    "DK": (29500, 1.38, 29.0, 7.0, 79.0),
    "NL": (31000, 1.08, 17.0, 11.0, 80.0),
    "BG": (8500, 0.45, 2.0, 8.0, 73.0),
}
# Common business cycle of the unemployment rate (pp), 2005-2019.
_CYCLE = np.array([0.6, 0.1, -0.6, -1.0, 0.9, 1.7, 1.8, 2.3, 2.5, 2.0, 1.3, 0.6, -0.2, -0.8, -1.2])

_SEX_SHARE_ACTIVE = {"F": 0.46, "M": 0.54}
# Planted variances of the unemployment rate: country, region, residual.
_VARIANCES = (6.0, 2.5, 1.5)
# Life expectancy, women minus men (years).
_LE_GAP = 5.6

SPI_DIMENSIONS: dict[str, list[str]] = {
    "Basic Human Needs": ["Nutrition and Basic Medical Care", "Water and Sanitation", "Shelter", "Personal Safety"],
    "Foundations of Wellbeing": [
        "Access to Basic Knowledge",
        "Access to Information and Communications",
        "Health and Wellness",
        "Environmental Quality",
    ],
    "Opportunity": [
        "Personal Rights",
        "Personal Freedom and Choice",
        "Tolerance and Inclusion",
        "Access to Advanced Education",
    ],
}
EIGE_DOMAINS = ["index", "work", "money", "knowledge", "time", "power", "health"]
EIGE_EDITIONS = {2013: 2010, 2015: 2012, 2017: 2015, 2019: 2017, 2020: 2018, 2021: 2019, 2022: 2020}

#: Names of the demo files (keys are the table names used by the loaders).
DEMO_TABLES = (
    "regional_panel",
    "country_panel",
    "spi_2016_components",
    "spi_2020_regional",
    "spi_2020_national",
    "spi_2020_goalposts",
    "eige",
    "nuts_names",
)


def demo_dir() -> Path:
    """Folder of the synthetic demo files (``data/processed/demo``)."""
    return paths.data_processed() / "demo"


def demo_files(folder: Path | None = None) -> dict[str, Path]:
    """Paths of every demo file, keyed by table name (plus ``"metadata"``)."""
    folder = demo_dir() if folder is None else Path(folder)
    files = {name: folder / f"{name}{SUFFIX}.parquet" for name in DEMO_TABLES}
    files["metadata"] = folder / f"metadata{SUFFIX}.json"
    return files


def _rows(geo, country, level, years, indicator, sex, unit, values, flags=None) -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame(
        {
            "geo": np.asarray(geo, dtype=object) if np.ndim(geo) else np.repeat(geo, n),
            "country": np.asarray(country, dtype=object) if np.ndim(country) else np.repeat(country, n),
            "nuts_level": level,
            "year": np.asarray(years, dtype="int64"),
            "indicator": indicator,
            "sex": sex,
            "unit": unit,
            "value": np.round(np.asarray(values, dtype=float), 1),
            "flags": "" if flags is None else flags,
            "source": SOURCE,
        }
    )


def generate_demo(
    seed: int = DEFAULT_SEED, *, treatment_years: dict[str, int] | None = None, reform_effect: float = -1.5
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Draw the synthetic demo tables.

    Parameters
    ----------
    seed
        Seed of the NumPy random generator; the same seed gives identical tables.
    treatment_years
        Synthetic reform year per country (default :data:`DEFAULT_TREATMENT_YEARS`);
        countries not listed are never treated.
    reform_effect
        Planted effect on ``long_term_unemployment_share`` (percentage points).

    Returns
    -------
    tables : dict of str to DataFrame
        One frame per name in :data:`DEMO_TABLES`, each in the processed schema.
    metadata : dict
        The planted relationships and generation settings.
    """
    from localise.data.schemas import coerce_panel

    rng = np.random.default_rng(seed)
    treat = dict(DEFAULT_TREATMENT_YEARS if treatment_years is None else treatment_years)
    unknown = sorted(set(treat) - set(DEMO_COUNTRIES))
    if unknown:
        raise InputError(
            f"treatment_years names countries {unknown} that are not in the demo; expected codes among {DEMO_COUNTRIES}"
        )
    grid = _DemoGrid(rng)
    # The draws below consume the one random stream in a fixed order: keep it, or the demo data change.
    unemployment = _draw_unemployment(grid)
    counts = _draw_counts(grid)
    series = {**unemployment, **counts}
    series.update(_draw_outcomes(grid, series, treat, reform_effect))
    regional = _balance_counts(_regional_rows(grid, series))
    regional = coerce_panel(regional.sort_values(["indicator", "geo", "year", "sex"]))

    country = _country_panel(regional, rng)
    spi16, spi_reg, spi_nat, goal = _spi_tables(regional, rng)
    eige = _eige_table(country, rng)
    tables = {
        "regional_panel": regional,
        "country_panel": country,
        "spi_2016_components": spi16,
        "spi_2020_regional": spi_reg,
        "spi_2020_national": spi_nat,
        "spi_2020_goalposts": goal,
        "eige": eige,
        "nuts_names": _names_table(grid.regions),
    }
    return tables, _demo_metadata(seed, grid, series, treat, reform_effect)


class _DemoGrid:
    """The region x year grid of the demo (region-major) and the random stream drawn on it."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.regions = pd.DataFrame(
            [(geo, c) for c, geos in DEMO_REGIONS.items() for geo in geos], columns=["geo", "country"]
        )
        self.n_reg = len(self.regions)
        self.years = np.array(DEMO_YEARS)
        self.n_year = len(self.years)
        c_index = self.regions["country"].map({c: i for i, c in enumerate(DEMO_COUNTRIES)}).to_numpy()
        self.n_c = len(DEMO_COUNTRIES)
        self.geo = np.repeat(self.regions["geo"].to_numpy(), self.n_year)
        self.country = np.repeat(self.regions["country"].to_numpy(), self.n_year)
        self.country_index = np.repeat(c_index, self.n_year)
        self.year = np.tile(self.years, self.n_reg)
        self.t = self.year - self.years[0]
        self.cycle = np.tile(_CYCLE, self.n_reg)
        self.size = self.n_reg * self.n_year

    def region_effect(self, sd: float) -> np.ndarray:
        """One normal draw per region, repeated over the years."""
        return np.repeat(self.rng.normal(0, sd, self.n_reg), self.n_year)

    def country_effect(self, sd: float) -> np.ndarray:
        """One normal draw per country, spread over its regions and years."""
        return self.rng.normal(0, sd, self.n_c)[self.country_index]

    def noise(self, sd: float) -> np.ndarray:
        """One normal draw per region-year."""
        return self.rng.normal(0, sd, self.size)

    def break_flags(self, p: float) -> np.ndarray:
        """A series break ("b") in one random year of each country, with probability ``p``."""
        flags = np.full(self.size, "", dtype=object)
        for ci in range(self.n_c):
            if self.rng.random() < p:
                year = int(self.rng.integers(2007, 2018))
                flags[(self.country_index == ci) & (self.year == year)] = "b"
        return flags

    def random_flags(self, p: float, letter: str, base: np.ndarray | None = None) -> np.ndarray:
        """``letter`` appended to ``base`` flags in each region-year with probability ``p``."""
        flags = np.full(self.size, "", dtype=object) if base is None else base.copy()
        hit = self.rng.random(self.size) < p
        flags[hit] = np.char.add(flags[hit].astype(str), letter)
        return flags


def _draw_unemployment(g: _DemoGrid) -> dict[str, Any]:
    """Unemployment rates by sex with the planted variance components and gender gaps."""
    rng, ci_g = g.rng, g.country_index
    var_c, var_r, var_e = _VARIANCES
    a_c = rng.normal(0, np.sqrt(var_c), g.n_c)
    b_r = rng.normal(0, np.sqrt(var_r), g.n_reg)
    e_rt = rng.normal(0, np.sqrt(var_e), g.size)
    u_t = 9.0 + a_c[ci_g] + np.repeat(b_r, g.n_year) + g.cycle + e_rt
    u_t = np.clip(u_t, 2.0, 40.0)
    gap_c = rng.normal(0.8, 1.0, g.n_c)  # F - M, pp
    gap_g = gap_c[ci_g]
    youth_t = np.clip(2.1 * u_t + rng.normal(0, 1.5, u_t.size), 2.0, 70.0)
    return {
        "u_t": u_t,
        "u_f": np.clip(u_t + _SEX_SHARE_ACTIVE["M"] * gap_g, 0.3, 50.0),
        "u_m": np.clip(u_t - _SEX_SHARE_ACTIVE["F"] * gap_g, 0.3, 50.0),
        "youth_t": youth_t,
        "youth_f": np.clip(youth_t + 0.6 * gap_g, 1.0, 80.0),
        "youth_m": np.clip(youth_t - 0.5 * gap_g, 1.0, 80.0),
        "a_c": a_c,
        "b_r": b_r,
        "e_rt": e_rt,
        "gap_c": gap_c,
    }


def _draw_counts(g: _DemoGrid) -> dict[str, np.ndarray]:
    """Population (thousands) and active population by sex."""
    rng, n_reg, n_year = g.rng, g.n_reg, g.n_year
    pop0 = np.exp(rng.normal(np.log(1800.0), 0.6, n_reg))  # thousands
    growth = rng.normal(0.002, 0.004, n_reg)
    pop_g = np.repeat(pop0, n_year) * (1 + np.repeat(growth, n_year)) ** g.t
    activity = np.clip(np.repeat(rng.normal(0.50, 0.03, n_reg), n_year) + 0.002 * g.t, 0.35, 0.65)
    active_t = pop_g * activity
    return {
        "pop_g": pop_g,
        "active_t": active_t,
        "active_f": active_t * _SEX_SHARE_ACTIVE["F"],
        "active_m": active_t * _SEX_SHARE_ACTIVE["M"],
    }


def _draw_outcomes(
    g: _DemoGrid, series: dict[str, Any], treat: dict[str, int], reform_effect: float
) -> dict[str, np.ndarray]:
    """Long-term unemployment (with the reform effect), poverty, income, skills, gender gap and health."""
    rng, ci_g, t_g, year_g = g.rng, g.country_index, g.t, g.year
    u_t = series["u_t"]
    # --- long-term unemployment share with the planted reform effect ---------------------------
    treat_year_g = np.array([treat.get(c, 10_000) for c in g.country])
    treated_g = year_g >= treat_year_g
    ltu = (
        33.0
        + 1.2 * (u_t - 9.0)
        + g.country_effect(6.0)
        + g.region_effect(3.0)
        + rng.normal(0, 1.5, u_t.size)
        + reform_effect * treated_g
    )
    out = {"ltu": np.clip(ltu, 3.0, 85.0)}
    # --- poverty and exclusion ---------------------------------------------------------------
    arope = np.clip(12.0 + 0.8 * u_t + g.country_effect(3.0) + g.region_effect(2.0) + g.noise(1.0), 3, 70)
    out["arope"] = arope
    out["arop"] = np.clip(4.0 + 0.55 * arope + g.noise(0.8), 2, 60)
    out["smd"] = np.clip(-2.0 + 0.35 * arope + g.country_effect(2.0) + g.noise(0.6), 0.3, 60)
    out["vlwi"] = np.clip(1.0 + 0.3 * arope + g.noise(0.8), 1.0, 40)
    # --- income and output -------------------------------------------------------------------
    prof = np.array([_PROFILE[c] for c in DEMO_COUNTRIES])
    gdp_level = prof[ci_g, 0] * np.exp(g.region_effect(0.22))
    gdp_growth = (1.02 + np.repeat(rng.normal(0, 0.005, g.n_reg), g.n_year)) ** t_g * (1 - 0.03 * (year_g >= 2009))
    gdp_pps = gdp_level * gdp_growth * np.exp(g.noise(0.01))
    out["gdp_pps"] = gdp_pps
    out["gdp_eur"] = gdp_pps * prof[ci_g, 1]
    out["hh_inc"] = 0.6 * gdp_pps * np.exp(g.noise(0.05))
    # --- skills, gender, health ----------------------------------------------------------------
    learn_t = np.clip(prof[ci_g, 2] + g.region_effect(1.5) + 0.1 * t_g + g.noise(0.5), 0.3, 60)
    out.update(learn_t=learn_t, learn_f=np.clip(learn_t + 0.9, 0.2, 70), learn_m=np.clip(learn_t - 0.9, 0.1, 70))
    out["emp_gap"] = prof[ci_g, 3] + g.region_effect(2.0) - 0.15 * t_g + g.noise(0.8)
    le_t = prof[ci_g, 4] + 0.2 * t_g + g.region_effect(0.8) + g.noise(0.2)
    out.update(le_t=le_t, le_f=le_t + _LE_GAP / 2, le_m=le_t - _LE_GAP / 2)
    return out


def _regional_rows(g: _DemoGrid, s: dict[str, Any]) -> pd.DataFrame:
    """The long regional panel of every series, with flags for breaks, estimates and low reliability."""
    frames = []

    def add(indicator: str, unit: str, values: np.ndarray, sex: str = "T", flags=None) -> None:
        frames.append(_rows(g.geo, g.country, 2, g.year, indicator, sex, unit, values, flags))

    small = s["active_t"] < 600  # thousands: "low reliability" for small regions' sex splits
    uflag = g.break_flags(0.3)
    uflag_sex = uflag.copy()
    uflag_sex[small] = np.char.add(uflag_sex[small].astype(str), "u")
    # Flags are drawn as the rows are added: the order of these calls is part of the random stream.
    for sex, u, y in (("T", s["u_t"], s["youth_t"]), ("F", s["u_f"], s["youth_f"]), ("M", s["u_m"], s["youth_m"])):
        add("unemployment_rate", "PC", u, sex, uflag if sex == "T" else uflag_sex)
        add("youth_unemployment_rate", "PC", y, sex, uflag if sex == "T" else uflag_sex)
    add("long_term_unemployment_share", "PC_UNE", s["ltu"], "T", g.break_flags(0.2))
    add("arope", "PC_POP", s["arope"], "T", g.random_flags(0.03, "e", g.break_flags(0.2)))
    add("at_risk_of_poverty_rate", "PC_POP", s["arop"], "T", g.random_flags(0.03, "e"))
    add("severe_material_deprivation_rate", "PC_POP", s["smd"], "T", g.random_flags(0.03, "e"))
    add("very_low_work_intensity", "PC_Y_LT60", s["vlwi"], "T", g.random_flags(0.03, "e"))
    for sex in ("T", "F", "M"):
        act, urate = s[f"active_{sex.lower()}"], s[f"u_{sex.lower()}"]
        unemp = act * urate / 100.0
        add("active_population_thousands", "THS", act, sex, uflag if sex == "T" else uflag_sex)
        add("employment_thousands", "THS", act - unemp, sex, uflag if sex == "T" else uflag_sex)
        add("unemployment_thousands", "THS", unemp, sex, uflag if sex == "T" else uflag_sex)
    for sex, v in (("T", s["learn_t"]), ("F", s["learn_f"]), ("M", s["learn_m"])):
        add("adult_learning_rate", "PC", v, sex)
    add("gdp_pps_per_inhabitant", "PPS_HAB", s["gdp_pps"], "T", g.random_flags(0.02, "e"))
    add("gdp_eur_per_inhabitant", "EUR_HAB", s["gdp_eur"], "T", g.random_flags(0.02, "e"))
    add("household_disposable_income_per_inhabitant", "PPCS_HAB", s["hh_inc"], "T")
    add("gender_employment_gap", "PC", s["emp_gap"], "T")
    for sex, v in (("T", s["le_t"]), ("F", s["le_f"]), ("M", s["le_m"])):
        add("life_expectancy", "YR", v, sex)
    add("population", "NR", np.round(s["pop_g"] * 1000.0), "T")
    return pd.concat(frames, ignore_index=True)


def _balance_counts(regional: pd.DataFrame) -> pd.DataFrame:
    """Counts were rounded to 0.1 independently; recompute T so that F + M = T exactly."""
    for ind in ("active_population_thousands", "employment_thousands", "unemployment_thousands"):
        sel = regional["indicator"] == ind
        wide = regional[sel].pivot_table(index=["geo", "year"], columns="sex", values="value")
        total = (wide["F"] + wide["M"]).round(1)
        idx = regional.index[sel & (regional["sex"] == "T")]
        keys = pd.MultiIndex.from_frame(regional.loc[idx, ["geo", "year"]])
        regional.loc[idx, "value"] = total.reindex(keys).to_numpy()
    return regional


def _names_table(regions: pd.DataFrame) -> pd.DataFrame:
    """Country and region codes with a placeholder name (no names offline)."""
    codes = list(DEMO_COUNTRIES) + regions["geo"].tolist()
    return pd.DataFrame(
        {
            "geo": codes,
            "nuts_level": [0] * len(DEMO_COUNTRIES) + [2] * len(regions),
            "country": list(DEMO_COUNTRIES) + regions["country"].tolist(),
            "name": [f"{g} (name not available offline)" for g in codes],
            "nuts_version": 2016,
        }
    )


def _demo_metadata(
    seed: int, g: _DemoGrid, s: dict[str, Any], treat: dict[str, int], reform_effect: float
) -> dict[str, Any]:
    """The planted relationships and generation settings (``metadata_SYNTHETIC.json``)."""
    var_c, var_r, var_e = _VARIANCES
    return {
        "synthetic": True,
        "generator": "localise.data.demo.generate_demo",
        "generator_version": DEMO_VERSION,
        "seed": int(seed),
        "nuts_version": 2016,
        "years": [int(g.years[0]), int(g.years[-1])],
        "countries": DEMO_COUNTRIES,
        "n_regions": int(g.n_reg),
        "source_note": f"SYNTHETIC demo data generated by localise.data.demo (seed {seed}); not observed data",
        "reform_effect": {
            "indicator": "long_term_unemployment_share",
            "sex": "T",
            "effect": float(reform_effect),
            "unit": "percentage points",
            "treatment_year": {c: int(y) for c, y in sorted(treat.items())},
            "never_treated": [c for c in DEMO_COUNTRIES if c not in treat],
            "design": "constant effect from the treatment year on, all regions of a treated country, no anticipation",
        },
        "variance_components": {
            "indicator": "unemployment_rate",
            "sex": "T",
            "model": "9 + country + region + common cycle(year) + noise",
            "planted": {"country": var_c, "region": var_r, "residual": var_e},
            "between_country_share": var_c / (var_c + var_r + var_e),
            "realised": {
                "country": float(np.var(s["a_c"], ddof=1)),
                "region": float(np.var(s["b_r"], ddof=1)),
                "residual": float(np.var(s["e_rt"], ddof=1)),
            },
        },
        "gender_gap": {
            "unemployment_rate_F_minus_M": {
                "mean": 0.8,
                "by_country": {c: float(round(gap, 4)) for c, gap in zip(DEMO_COUNTRIES, s["gap_c"])},
            },
            "life_expectancy_F_minus_M": _LE_GAP,
            "gender_employment_gap_country_level": {c: _PROFILE[c][3] for c in DEMO_COUNTRIES},
        },
        "arope_slope": {"outcome": "arope", "regressor": "unemployment_rate (T)", "slope": 0.8},
        "rounding": "values rounded to 0.1 after drawing, so recovered effects match up to rounding noise",
    }


def _country_panel(regional: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Population-weighted country means (sums for counts), plus an EU28-labelled aggregate."""
    from localise.data.schemas import coerce_panel

    pop = regional.loc[(regional["indicator"] == "population"), ["geo", "year", "value"]].rename(columns={"value": "w"})
    df = regional.merge(pop, on=["geo", "year"])
    df = df.assign(wv=df["value"] * df["w"], is_b=df["flags"].str.contains("b"))
    out = []
    for level_geo, keys in (("country", ["country"]), ("EU28", [])):
        group_keys = keys + ["year", "indicator", "sex", "unit"]
        agg = df.groupby(group_keys, as_index=False).agg(
            wv=("wv", "sum"), w=("w", "sum"), s=("value", "sum"), b=("is_b", "any")
        )
        summed = agg["unit"].isin(["THS", "NR"])
        agg["value"] = np.where(summed, agg["s"], agg["wv"] / agg["w"])
        if level_geo == "country":
            agg["geo"] = agg["country"]
        else:
            agg["geo"] = "EU28"
            agg["country"] = "EU"
        agg["flags"] = np.where(agg["b"], "b", "")
        out.append(agg)
    panel = pd.concat(out, ignore_index=True)
    panel["nuts_level"] = 0
    panel["source"] = SOURCE
    panel["value"] = panel["value"].round(1)
    # Country-only indicators: NEET rate 15-24 and the national at-risk-of-poverty rate already
    # aggregated above; add NEET from unemployment with noise.
    u = panel[(panel["indicator"] == "youth_unemployment_rate") & (panel["sex"] == "T")]
    neet = u.assign(
        indicator="neet_rate",
        unit="PC",
        value=np.clip(0.45 * u["value"].to_numpy() + 3.0 + rng.normal(0, 0.7, len(u)), 1, 50).round(1),
        flags="",
    )
    panel = pd.concat([panel, neet], ignore_index=True)
    return coerce_panel(panel.sort_values(["indicator", "geo", "year", "sex"]))


def _spi_latent(regional: pd.DataFrame) -> pd.Series:
    """Latent social progress per region in 2014: high GDP, low AROPE and unemployment -> higher scores."""
    last = regional[(regional["year"] == 2014) & (regional["sex"] == "T")]
    wide = last.pivot_table(index="geo", columns="indicator", values="value")
    return (
        (np.log(wide["gdp_pps_per_inhabitant"]) - np.log(wide["gdp_pps_per_inhabitant"]).mean())
        / np.log(wide["gdp_pps_per_inhabitant"]).std()
        - (wide["arope"] - wide["arope"].mean()) / wide["arope"].std()
    ) / 2


def _spi_2016_components(z: pd.Series, rng: np.random.Generator) -> pd.DataFrame:
    """Synthetic EU-SPI 2016 component scores (0-100), each loading on the latent score ``z``."""
    geos = z.index.to_numpy()
    countries = np.array([g[:2] for g in geos])
    rows = []
    for dimension, components in SPI_DIMENSIONS.items():
        for component in components:
            loading = rng.uniform(3, 12)
            centre = rng.uniform(45, 85)
            vals = np.clip(centre + loading * z.to_numpy() + rng.normal(0, 4, len(geos)), 0, 100).round(2)
            rows.append(
                pd.DataFrame(
                    {"geo": geos, "country": countries, "dimension": dimension, "component": component, "value": vals}
                )
            )
    return pd.concat(rows, ignore_index=True)


def _spi_2020_goalposts(rng: np.random.Generator, n_indicators: int = 55) -> pd.DataFrame:
    """Synthetic EU-SPI 2020 goalposts: utopian and dystopian values, some indicators inverted."""
    inverted = rng.random(n_indicators) < 0.45
    low = rng.uniform(0, 20, n_indicators)
    high = low + rng.uniform(20, 80, n_indicators)
    return pd.DataFrame(
        {
            "position": np.arange(1, n_indicators + 1, dtype="int64"),
            "indicator": [f"spi_indicator_{i:02d} (SYNTHETIC)" for i in range(1, n_indicators + 1)],
            "inverted": inverted.astype(bool),
            "utopian": np.where(inverted, low, high).round(2),
            "dystopian": np.where(inverted, high, low).round(2),
        }
    )


def _spi_2020_indicators(
    goal: pd.DataFrame, latent: np.ndarray, geo: np.ndarray, cty: np.ndarray, name: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Synthetic EU-SPI 2020 raw indicators between each goalpost pair, about 2 % missing."""
    parts = []
    for _, g in goal.iterrows():
        lo, hi = min(g.utopian, g.dystopian), max(g.utopian, g.dystopian)
        sign = -1.0 if g.inverted else 1.0
        pos = np.clip(0.5 + sign * 0.15 * latent + rng.normal(0, 0.12, len(latent)), 0.02, 0.98)
        vals = (lo + pos * (hi - lo)).round(4)
        missing = rng.random(len(latent)) < 0.02
        parts.append(
            pd.DataFrame(
                {
                    "geo": geo,
                    "country": cty,
                    "name": name,
                    "position": int(g.position),
                    "indicator": g.indicator,
                    "value": np.where(missing, np.nan, vals),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _spi_tables(regional: pd.DataFrame, rng: np.random.Generator):
    """Synthetic EU-SPI tables: 2016 component scores and 2020 raw indicators with goalposts."""
    z = _spi_latent(regional)
    geos = z.index.to_numpy()
    countries = np.array([g[:2] for g in geos])
    # The draws below share one random stream; their order fixes the demo data.
    spi16 = _spi_2016_components(z, rng)
    goal = _spi_2020_goalposts(rng)
    spi_reg = _spi_2020_indicators(
        goal, z.to_numpy(), geos, countries, np.array([f"{g} (SYNTHETIC)" for g in geos]), rng
    )
    cz = z.groupby(countries).mean()
    spi_nat = _spi_2020_indicators(
        goal,
        cz.to_numpy(),
        cz.index.to_numpy(),
        cz.index.to_numpy(),
        np.array([f"{c} (SYNTHETIC)" for c in cz.index]),
        rng,
    )
    spi_nat = spi_nat[spi_nat["geo"] != "UK"].reset_index(drop=True)  # EU-SPI 2020 covers the EU-27
    return spi16, spi_reg, spi_nat, goal


def _eige_table(country: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Synthetic Gender Equality Index: six domains, index = geometric mean of the domains."""
    geos = [c for c in DEMO_COUNTRIES if c != "UK"]  # the index covers EU Member States
    gap = country[(country["indicator"] == "gender_employment_gap") & (country["nuts_level"] == 0)]
    gap = gap.groupby("geo")["value"].mean()
    rows = []
    base = {g: 75 - 1.2 * (gap.get(g, 10.0) - 10.0) + rng.normal(0, 5) for g in geos}
    for edition, ref in EIGE_EDITIONS.items():
        t = edition - 2013
        for g in geos:
            domains = {d: float(np.clip(base[g] + rng.normal(0, 8) + 0.5 * t, 20, 99)) for d in EIGE_DOMAINS[1:]}
            domains["index"] = float(np.exp(np.mean(np.log(list(domains.values())))))
            for d in EIGE_DOMAINS:
                rows.append((g, edition, ref, d, round(domains[d], 1)))
    df = pd.DataFrame(rows, columns=["geo", "edition", "reference_year", "domain", "value"])
    eu = df.groupby(["edition", "reference_year", "domain"], as_index=False)["value"].mean().round(1)
    eu["geo"] = "EU"
    df = pd.concat([df, eu[df.columns]], ignore_index=True)
    df["edition"] = df["edition"].astype("int64")
    df["reference_year"] = df["reference_year"].astype("int64")
    return df


def write_demo(seed: int = DEFAULT_SEED, *, folder: Path | None = None, **kwargs: Any) -> dict[str, Path]:
    """Generate the demo tables and write them (Parquet + metadata JSON) atomically.

    Returns the paths written, keyed as in :func:`demo_files`.
    """
    from localise.data.schemas import eige_schema, spi_schema, validate_panel

    tables, metadata = generate_demo(seed, **kwargs)
    validate_panel(tables["regional_panel"], nuts_level=2, name="regional_panel_SYNTHETIC")
    validate_panel(tables["country_panel"], name="country_panel_SYNTHETIC")
    spi_schema("components").validate(tables["spi_2016_components"])
    spi_schema("regional").validate(tables["spi_2020_regional"])
    spi_schema("national").validate(tables["spi_2020_national"])
    spi_schema("goalposts").validate(tables["spi_2020_goalposts"])
    eige_schema().validate(tables["eige"])
    files = demo_files(folder)
    for name, frame in tables.items():
        with atomic_path(files[name]) as tmp:
            frame.to_parquet(tmp, index=False)
    atomic_write_text(files["metadata"], json.dumps(metadata, indent=2, sort_keys=True) + "\n")
    return files


def ensure_demo(seed: int = DEFAULT_SEED) -> dict[str, Path]:
    """Return the demo files, generating them first when any is missing."""
    files = demo_files()
    current = all(p.is_file() for p in files.values())
    if current:
        try:
            meta = json.loads(files["metadata"].read_text(encoding="utf-8"))
            current = meta.get("generator_version") == DEMO_VERSION
        except (OSError, ValueError):
            current = False
    if not current:
        log.warning("generating the SYNTHETIC demo data set in %s (seed %d)", demo_dir(), seed)
        files = write_demo(seed)
    return files

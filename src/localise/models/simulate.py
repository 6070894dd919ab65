"""Seeded SYNTHETIC panels for tests and power checks (never presented as observed data).

The frames carry ``attrs["synthetic"] = True`` so every table or figure made from
them is labelled SYNTHETIC by :mod:`localise.report`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["simulate_regional_panel"]


def simulate_regional_panel(
    *,
    n_countries: int = 12,
    regions_per_country: int = 8,
    years: tuple[int, int] = (2000, 2019),
    treatment_year: Mapping[str, int] | None = None,
    effect: float = -1.5,
    dynamic: float = 0.0,
    sd_country: float = 2.0,
    sd_region: float = 1.0,
    sd_noise: float = 0.5,
    beta_x: float = 0.8,
    seed: int = 0,
) -> pd.DataFrame:
    """A SYNTHETIC balanced panel of regions nested in countries with a staggered reform.

    ``y = 10 + u_country + v_region + lambda_year + beta_x * x + tau(k) * D + e`` with
    ``tau(k) = effect + dynamic * k`` for ``k = year - treatment_year >= 0`` (0 before).

    Parameters
    ----------
    treatment_year
        Country code → reform year; countries not listed are never treated. By
        default the first half of the countries is treated in three staggered
        cohorts.
    seed
        Seed of the numpy Generator; the output is a deterministic function of all
        arguments.

    Returns
    -------
    pandas.DataFrame
        Wide: ``geo, country, year, y, x, treated, treatment_year`` with
        ``attrs["synthetic"] = True`` and ``attrs["planted"]`` (the arguments).
    """
    rng = np.random.default_rng(seed)
    countries = [f"C{i:02d}" for i in range(n_countries)]
    first, last = years
    if treatment_year is None:
        treatment_year = _staggered_cohorts(countries, years)
    year_values = np.arange(first, last + 1)
    lam = np.cumsum(rng.normal(0.0, 0.3, len(year_values)))
    rows = []
    for c in countries:
        u = rng.normal(0.0, sd_country)
        g = treatment_year.get(c)
        for r in range(regions_per_country):
            rows.append(
                _simulate_region(
                    rng,
                    geo=f"{c}{r:02d}",
                    country=c,
                    u=u,
                    g=g,
                    year_values=year_values,
                    lam=lam,
                    effect=effect,
                    dynamic=dynamic,
                    sd_region=sd_region,
                    sd_noise=sd_noise,
                    beta_x=beta_x,
                )
            )
    out = pd.concat(rows, ignore_index=True)
    out.attrs["synthetic"] = True
    out.attrs["source_note"] = "SYNTHETIC panel from localise.models.simulate (seeded)"
    out.attrs["planted"] = {
        "effect": effect,
        "dynamic": dynamic,
        "treatment_year": dict(treatment_year),
        "sd_country": sd_country,
        "sd_region": sd_region,
        "sd_noise": sd_noise,
        "beta_x": beta_x,
        "seed": seed,
    }
    return out


def _simulate_region(
    rng: np.random.Generator,
    *,
    geo: str,
    country: str,
    u: float,
    g: int | None,
    year_values: np.ndarray,
    lam: np.ndarray,
    effect: float,
    dynamic: float,
    sd_region: float,
    sd_noise: float,
    beta_x: float,
) -> pd.DataFrame:
    """One region's series: draws its effect ``v``, then ``x`` and the noise ``e``, in that order.

    The draw order is part of the seeded output (:func:`simulate_regional_panel`); keep it.
    """
    v = rng.normal(0.0, sd_region)
    x = rng.normal(0.0, 1.0, len(year_values)) + 0.3 * u
    e = rng.normal(0.0, sd_noise, len(year_values))
    k = year_values - g if g is not None else np.full(len(year_values), -999)
    d = (k >= 0).astype(float)
    tau = (effect + dynamic * np.maximum(k, 0)) * d
    y = 10.0 + u + v + lam + beta_x * x + tau + e
    return pd.DataFrame(
        {
            "geo": geo,
            "country": country,
            "year": year_values,
            "y": y,
            "x": x,
            "treated": d,
            "treatment_year": np.nan if g is None else float(g),
        }
    )


def _staggered_cohorts(countries: list[str], years: tuple[int, int]) -> dict[str, int]:
    """Default reform years: the first half of the countries, in three cohorts at 1/3, 1/2 and 2/3 of the span."""
    first, last = years
    span = last - first
    cohorts = [first + span // 3, first + span // 2, first + 2 * span // 3]
    return {c: cohorts[i % 3] for i, c in enumerate(countries[: len(countries) // 2])}

"""Treatment dates from changes in regional authority (Regional Authority Index).

:func:`rai_events` turns the RAI country-year series into a table of events with a
stated, parameterised rule, in the shape of the grid's reforms table
(:func:`localise.grid.load_reforms`): columns ``country``, ``reform``, ``year``,
``dimensions``, ``description``, ``reference``, ``verification``, so that
:func:`localise.models.eventstudy.treatment_years` (and through it notebook 06)
can use either source::

    from localise.models import treatment_years
    years = treatment_years(rai_events(gov, measure="rai_self_rule", min_change=1.0))

Rule: for each country, sort the years and take the year-on-year change of
``measure``; a year qualifies when the change is at least ``min_change`` upwards
(``direction="increase"``), downwards (``"decrease"``) or either way (``"any"``).
The event year is the first qualifying year at or after ``since`` (the year in which
the RAI records the new value); one event per country.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from localise.errors import InputError

__all__ = ["rai_events", "EVENT_COLUMNS"]

#: Columns of the reforms table (localise.grid.load_reforms) plus the rule's own numbers.
EVENT_COLUMNS = [
    "country",
    "reform",
    "year",
    "dimensions",
    "description",
    "reference",
    "verification",
    "measure",
    "before",
    "after",
    "change",
    "rule",
]

RAI_REFERENCE = (
    "Regional Authority Index v3, country scores (Hooghe, Marks, Schakel, Niedzwiecki, Chapman Osterkatz and "
    "Shair-Rosenfield, Measuring Regional Authority, OUP 2016; release RAI_country-april-2021)"
)


def rai_events(
    gov: pd.DataFrame,
    *,
    measure: str = "rai_self_rule",
    min_change: float = 1.0,
    direction: Literal["increase", "decrease", "any"] = "increase",
    countries: Sequence[str] | None = None,
    since: int | None = None,
) -> pd.DataFrame:
    """First change in regional authority per country that passes the rule.

    Parameters
    ----------
    gov
        Country-year table with ``country``, ``year`` and ``measure``
        (``localise.data.governance.load_governance_country_year``).
    measure
        RAI column: ``rai``, ``rai_self_rule``, ``rai_shared_rule`` or one of the ten dimensions.
    min_change
        Smallest year-on-year change that counts (in RAI points; > 0).
    direction
        ``"increase"``, ``"decrease"`` or ``"any"``.
    countries
        Restrict to these countries.
    since
        Ignore changes recorded before this year (e.g. the first year of the outcome panel
        plus the number of leads).

    Returns
    -------
    pandas.DataFrame
        One row per country with a qualifying change (columns :data:`EVENT_COLUMNS`),
        sorted by country; ``attrs["rule"]`` states the rule.
    """
    _check_rule(gov, measure, min_change, direction)
    frame = gov[["country", "year", measure]].dropna()
    if countries is not None:
        frame = frame[frame["country"].isin(list(countries))]
    if frame.duplicated(["country", "year"]).any():
        raise InputError("rai_events: several rows per country and year")
    frame = frame.sort_values(["country", "year"])
    previous = frame.groupby("country")[measure].shift()
    previous_year = frame.groupby("country")["year"].shift()
    change = frame[measure] - previous
    tol = 1e-9
    if direction == "increase":
        hit = change >= min_change - tol
    elif direction == "decrease":
        hit = change <= -min_change + tol
    else:
        hit = change.abs() >= min_change - tol
    hit &= (frame["year"] - previous_year) == 1  # consecutive years only
    if since is not None:
        hit &= frame["year"] >= since
    rule = f"first year-on-year {direction} of {measure} by at least {min_change:g} RAI points" + (
        f" from {since}" if since is not None else ""
    )
    events = frame.loc[hit].assign(before=previous[hit], change=change[hit]).groupby("country", as_index=False).first()
    return _events_table(events, measure, rule)


def _check_rule(gov: pd.DataFrame, measure: str, min_change: float, direction: str) -> None:
    """Raise InputError for a missing column or an invalid rule."""
    for column in ("country", "year", measure):
        if column not in gov.columns:
            raise InputError(f"rai_events: column {column!r} not in the governance table")
    if not np.isfinite(min_change) or min_change <= 0:
        raise InputError(f"rai_events: min_change={min_change!r}; expected a positive number of RAI points")
    if direction not in ("increase", "decrease", "any"):
        raise InputError(f"rai_events: direction={direction!r}; expected 'increase', 'decrease' or 'any'")


def _events_table(events: pd.DataFrame, measure: str, rule: str) -> pd.DataFrame:
    """The qualifying changes (one row per country) in the shape of the grid's reforms table."""
    out = pd.DataFrame(
        {
            "country": events["country"].astype(str),
            "year": events["year"].astype("int64"),
            "measure": measure,
            "before": events["before"].astype(float),
            "after": events[measure].astype(float),
            "change": events["change"].astype(float),
        }
    )
    out["reform"] = [
        f"RAI {measure} {b:g} -> {a:g} ({c:+g})" for b, a, c in zip(out["before"], out["after"], out["change"])
    ]
    out["dimensions"] = "G3"
    out["description"] = [
        f"Change in regional authority recorded by the RAI in {y}: {measure} from {b:g} to {a:g}."
        for y, b, a in zip(out["year"], out["before"], out["after"])
    ]
    out["reference"] = RAI_REFERENCE
    out["verification"] = f"derived by rule: {rule}"
    out["rule"] = rule
    out = out[EVENT_COLUMNS].sort_values("country").reset_index(drop=True)
    out.attrs.update(synthetic=False, rule=rule, source_note=f"events from the RAI: {rule}")
    return out

"""Glue for notebook 06: choose the event-study outcome and treatment dates.

On real data the treatment years come by default from changes in the Regional
Authority Index (:func:`localise.governance.rai_events`: a stated rule applied to
every country the RAI covers), or, with ``source="reforms"``, from the reforms
table of the analytical grid (:func:`localise.grid.load_reforms`, hand-coded
national reforms). On the SYNTHETIC demo they come from the planted reform of
:func:`localise.data.load_demo_metadata`, so that the estimate can be compared
with the planted effect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from localise.errors import DataUnavailableError, InputError
from localise.models.eventstudy import treatment_years

__all__ = ["EventDesign", "event_design"]


@dataclass
class EventDesign:
    """Outcome and treatment dates of the event study, with their provenance."""

    indicator: str
    sex: str
    treatment_year: dict[str, int]
    source: str
    planted_effect: float | None
    reforms: pd.DataFrame | None

    def describe(self) -> str:
        planted = "" if self.planted_effect is None else f"; planted effect {self.planted_effect:g}"
        return (
            f"outcome {self.indicator} (sex {self.sex}); treatment years {self.treatment_year} "
            f"from {self.source}{planted}"
        )


def event_design(
    data: pd.DataFrame,
    *,
    outcomes: Sequence[str],
    reform_selection: Literal["first", "last"] = "first",
    reform_names: Sequence[str] | None = None,
    countries: Sequence[str] | None = None,
    source: str = "rai",
    rai_measure: str = "rai_self_rule",
    rai_min_change: float = 1.0,
    rai_direction: Literal["increase", "decrease", "any"] = "increase",
    rai_since: int | None = None,
) -> EventDesign:
    """Pick the first of ``outcomes`` present in ``data`` and the treatment years.

    Parameters
    ----------
    data
        Tidy long regional panel; ``attrs["synthetic"]`` decides the source of the dates.
    outcomes
        Candidate indicator ids in order of preference (sex ``T``). On synthetic data
        the planted reform indicator is used.
    reform_selection
        ``"first"`` or ``"last"`` reform per country (real data).
    reform_names
        Restrict to these reforms (real data).
    countries
        Restrict treated countries.
    source
        Real data: ``"rai"`` (default) for events derived from the Regional Authority
        Index, ``"reforms"`` for the grid's reforms table.
    rai_measure, rai_min_change, rai_direction, rai_since
        The rule of :func:`localise.governance.rai_events`; ``rai_since=None`` uses the
        second year of the outcome panel, so that every event has a pre-period.
    """
    synthetic = bool(data.attrs.get("synthetic", False))
    if synthetic:
        from localise.data import load_demo_metadata

        meta: dict[str, Any] = load_demo_metadata()["reform_effect"]
        years = {c: int(y) for c, y in meta["treatment_year"].items() if countries is None or c in countries}
        return EventDesign(
            meta["indicator"],
            meta.get("sex", "T"),
            years,
            "the planted SYNTHETIC reform (load_demo_metadata)",
            float(meta["effect"]),
            None,
        )
    present = set(data.loc[data["sex"] == "T", "indicator"].unique())
    chosen = next((o for o in outcomes if o in present), None)
    if chosen is None:
        raise InputError(f"event_design: none of the outcomes {list(outcomes)} is in the data")
    if source == "rai":
        from localise.data.governance import load_governance_country_year
        from localise.governance import rai_events

        since = rai_since if rai_since is not None else int(data["year"].min()) + 1
        events = rai_events(
            load_governance_country_year(),
            measure=rai_measure,
            min_change=rai_min_change,
            direction=rai_direction,
            countries=countries,
            since=since,
        )
        if events.empty:
            raise InputError(f"event_design: no country passes the RAI rule ({events.attrs.get('rule')})")
        years = treatment_years(events)
        return EventDesign(chosen, "T", years, f"localise.governance.rai_events: {events.attrs['rule']}", None, events)
    if source != "reforms":
        raise InputError(f"event_design: source={source!r}; expected 'rai' or 'reforms'")
    try:
        from localise.grid import load_reforms

        reforms = load_reforms()
    except (ImportError, DataUnavailableError) as exc:
        raise DataUnavailableError(f"event_design: reforms table unavailable ({exc})") from exc
    years = treatment_years(reforms, reform=reform_names, which=reform_selection, countries=countries)
    return EventDesign(chosen, "T", years, "localise.grid.load_reforms()", None, reforms)

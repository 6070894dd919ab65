"""rai_events on constructed RAI series with known event years."""

from __future__ import annotations

import pandas as pd
import pytest

from localise.errors import InputError
from localise.governance.events import EVENT_COLUMNS, rai_events
from localise.models import treatment_years


@pytest.fixture
def gov() -> pd.DataFrame:
    rows = []
    series = {
        "AA": [0, 0, 2, 2, 5],  # +2 in 2002 (first), +3 in 2004
        "BB": [3, 3.5, 4.2, 4.2, 4.2],  # steps of 0.5 and 0.7: below 1
        "CC": [5, 5, 5, 3, 3],  # -2 in 2003
        "DD": [1, 1, 1, 1, 1],  # never changes
    }
    for country, values in series.items():
        for year, value in zip(range(2000, 2005), values):
            rows.append({"country": country, "year": year, "rai_self_rule": value, "rai": value * 2})
    return pd.DataFrame(rows)


def test_first_increase_per_country(gov):
    ev = rai_events(gov, measure="rai_self_rule", min_change=1.0, direction="increase")
    assert list(ev.columns) == EVENT_COLUMNS
    assert ev[["country", "year", "before", "after", "change"]].to_dict("records") == [
        {"country": "AA", "year": 2002, "before": 0.0, "after": 2.0, "change": 2.0}
    ]


def test_rule_is_a_parameter(gov):
    small = rai_events(gov, min_change=0.5)
    assert dict(zip(small["country"], small["year"])) == {"AA": 2002, "BB": 2001}
    down = rai_events(gov, direction="decrease")
    assert dict(zip(down["country"], down["year"])) == {"CC": 2003}
    both = rai_events(gov, direction="any", min_change=2.0)
    assert dict(zip(both["country"], both["year"])) == {"AA": 2002, "CC": 2003}
    # rai doubles the series: a change of 1 in self-rule is 2 in rai
    assert dict(zip(*rai_events(gov, measure="rai", min_change=4.0).pipe(lambda e: (e["country"], e["year"])))) == {
        "AA": 2002
    }


def test_since_and_countries(gov):
    late = rai_events(gov, since=2003)
    assert dict(zip(late["country"], late["year"])) == {"AA": 2004}
    assert rai_events(gov, countries=["CC", "DD"]).empty


def test_non_consecutive_years_do_not_count(gov):
    gapped = gov[~((gov["country"] == "AA") & (gov["year"] == 2002))]  # AA: 2001 = 0, 2003 = 2
    ev = rai_events(gapped)
    assert dict(zip(ev["country"], ev["year"])) == {"AA": 2004}


def test_shape_usable_as_reform_table(gov):
    ev = rai_events(gov, min_change=0.5)
    assert treatment_years(ev) == {"AA": 2002, "BB": 2001}
    assert ev["reference"].str.contains("Regional Authority Index").all()
    assert ev.attrs["rule"].startswith("first year-on-year increase of rai_self_rule by at least 0.5")


@pytest.mark.parametrize("kwargs", [{"min_change": 0}, {"min_change": -1}, {"direction": "up"}, {"measure": "nope"}])
def test_bad_rules_raise(gov, kwargs):
    with pytest.raises(InputError):
        rai_events(gov, **kwargs)

"""Case roles, gaps, anchors and robustness counts on hand-worked examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from localise.errors import InputError
from localise.governance.configurations import (
    ROLES,
    anchor_report,
    calibrate_sets,
    case_roles,
    country_conditions,
    distribution_gaps,
    robustness_overview,
    solutions_table,
    term_case_roles,
)
from localise.qca import minimize, truth_table


def test_case_roles_hand_worked():
    # Schneider & Rohlfing (2013) zones, worked by hand:
    # a: X .8 <= Y .9 typical; b: .9 > .6 both > .5 deviant in degree; c: X .7, Y .2 deviant in kind;
    # d: X .2, Y .8 deviant coverage; e: .3, .1 irrelevant; f: X .6 <= Y .9 typical, weaker member than a.
    roles = case_roles([0.8, 0.9, 0.7, 0.2, 0.3, 0.6], [0.9, 0.6, 0.2, 0.8, 0.1, 0.9], list("abcdef"))
    got = dict(zip(roles["case"], roles["role"]))
    assert got == {"a": ROLES[0], "b": ROLES[1], "c": ROLES[2], "d": ROLES[3], "e": ROLES[4], "f": ROLES[0]}
    typical = roles[roles["role"] == ROLES[0]]
    assert list(typical["case"]) == ["a", "f"] and list(typical["rank_in_role"]) == [1, 2]


def test_case_roles_refuses_half():
    with pytest.raises(InputError):
        case_roles([0.5], [0.9], ["a"])


def test_term_roles_and_unique_coverage():
    data = pd.DataFrame(
        {"A": [0.8, 0.8, 0.1, 0.2], "B": [0.2, 0.9, 0.7, 0.1], "Y": [0.9, 0.9, 0.3, 0.8]}, index=["p", "q", "r", "s"]
    )
    roles = term_case_roles(data, ["A", "B"], "Y")
    a = roles[roles["term"] == "A"].set_index("case")
    b = roles[roles["term"] == "B"].set_index("case")
    assert a.loc["p", "role"] == "typical" and bool(a.loc["p", "unique"])
    assert a.loc["q", "role"] == "typical" and not bool(a.loc["q", "unique"])  # also member of B
    assert b.loc["r", "role"] == "deviant consistency (kind)"
    assert a.loc["s", "role"] == "deviant coverage"
    neg = term_case_roles(data, ["B"], "~Y").set_index("case")
    assert neg.loc["r", "role"] == "typical"  # B .7 <= 1 - .3


def test_distribution_gaps_and_anchor_report():
    values = pd.Series([1.0, 2.0, 5.0, 5.5], index=["w", "x", "y", "z"])
    gaps = distribution_gaps(values)
    first = gaps.iloc[0]
    assert (first["below"], first["above"], first["gap"], first["midpoint"]) == ("x", "y", 3.0, 3.5)
    assert list(gaps["rank"]) == [1, 2, 3]
    raw = pd.DataFrame({"V": values, "P": [30.0, 25.0, 10.0, 12.0]})
    rep = anchor_report(raw, {"V": "e=1.5, c=3.5, i=5.2", "P": "e=28, c=20, i=11"}).set_index("variable")
    assert rep.loc["V", "gap_rank"] == 1 and rep.loc["V", "n_members"] == 2 and rep.loc["V", "members"] == "y,z"
    assert rep.loc["P", "direction"] == "decreasing" and rep.loc["P", "members"] == "y,z"
    assert (rep.loc["P", "below"], rep.loc["P", "above"]) == ("z", "x")


def test_calibrate_sets_known_values():
    raw = pd.DataFrame({"V": [0.0, 5.0, 10.0], "P": [30.0, 20.0, 10.0]}, index=["a", "b", "c"])
    with pytest.warns(UserWarning, match="exactly 0.5"):
        sets = calibrate_sets(raw, {"V": "e=0, c=5, i=10", "P": "e=30, c=20, i=10"}, names={"P": "LOWP"})
    # logistic calibration: 0.05 / 0.5 / 0.95 at the e, c, i anchors (R QCA with idm 0.95)
    np.testing.assert_allclose(sets["V"], [0.05, 0.5, 0.95], atol=1e-12)
    np.testing.assert_allclose(sets["LOWP"], [0.05, 0.5, 0.95], atol=1e-12)


def test_country_conditions_means_and_drops():
    gov = pd.DataFrame(
        {
            "country": ["AA"] * 3 + ["BB"] * 3,
            "year": [2010, 2011, 2014] * 2,
            "lai": [np.nan, np.nan, 60.0, np.nan, np.nan, 70.0],
            "rai_self_rule": [2.0, 4.0, 6.0, 10.0, 10.0, 10.0],
            "imf_sp_local": [0.1, 0.3, np.nan, np.nan, np.nan, np.nan],
        }
    )
    eqi = pd.DataFrame(
        {"country": ["AA", "AA", "BB"], "wave": [2013] * 3, "eqi": [1.0, 0.0, -1.0], "geo": ["AA1", "AA2", "BB1"]}
    )
    panel = pd.DataFrame(
        {
            "country": ["AA", "AA", "BB"],
            "indicator": "arope",
            "sex": "T",
            "year": [2015, 2016, 2015],
            "value": [20.0, 22.0, 30.0],
        }
    )
    raw = country_conditions(gov, eqi, panel, window=(2010, 2014), outcome_years=(2015, 2017))
    assert list(raw.index) == ["AA"]
    assert raw.loc["AA"].to_dict() == {"LAI": 60.0, "RAI": 4.0, "SPLOC": 0.2, "QOG": 0.5, "AROPE": 21.0}
    assert raw.attrs["dropped"] == {"BB": ["SPLOC"]}
    both = country_conditions(
        gov, eqi, panel, window=(2010, 2014), outcome_years=(2015, 2017), measures=("LAI", "RAI", "QOG")
    )
    assert list(both.index) == ["AA", "BB"] and list(both.columns) == ["LAI", "RAI", "QOG", "AROPE"]
    with pytest.raises(InputError):
        country_conditions(gov, eqi, panel, measures=("GDP",))


def test_robustness_overview_counts():
    table = pd.DataFrame(
        {"solution": ["A*B", "A*B", "A*B + C", None, "C"], "error": [None, None, None, "no positive", None]}
    )
    out = robustness_overview(table, "A*B")
    assert out == {
        "settings": 5,
        "ran": 4,
        "distinct_solutions": 3,
        "baseline_holds": 2,
        "terms": {"A*B": 3},
        "errors": 1,
    }
    assert robustness_overview(table, None)["terms"] == {}


def test_solutions_table_reads_engine_fit():
    data = pd.DataFrame({"A": [1, 1, 0, 0], "B": [1, 0, 1, 0], "Y": [1, 1, 0, 0]}, index=list("abcd"))
    tt = truth_table(data, "Y", ["A", "B"], incl_cut=1)
    table = solutions_table({"parsimonious": minimize(tt, include="?")})
    row = table.iloc[0]
    assert row["formula"] == "A" and row["inclS"] == 1.0 and row["covS"] == 1.0

"""SPIRAL criteria sheets, reliability, situation-scale indicators, actions."""

from __future__ import annotations

import krippendorff
import numpy as np
import pandas as pd
import pytest

from localise.cohesion import package_data
from localise.cohesion.spiral import (
    check_sheet,
    criteria_profile,
    criteria_reliability,
    load_coding_key,
    monitor_actions,
    progress,
    read_actions,
    read_assessments,
    read_criteria_sheet,
    situation_indicators,
)
from localise.errors import InputError


def test_coding_key_versions():
    key = load_coding_key("guide-2010-8")
    assert sorted(key["family"].unique()) == list("ABCDEFGH")
    assert key.attrs["components_complete"] is False
    assert {"A01", "A06", "B02"} <= set(key["theme"])
    with pytest.raises(InputError, match="unknown coding-key version"):
        load_coding_key("nope")


def test_criteria_sheet_errors_are_collected(tmp_path):
    sheet = pd.DataFrame(
        [
            dict(criterion_id="c1", group="g", question="wellbeing", text="t", family="A", theme="B02", coder="x"),
            dict(criterion_id="c1", group="g", question="4", text="t", family="Z", theme="", coder="x"),
            dict(criterion_id="c2", group="", question="1", text="u", family="A", theme="A99", coder="y"),
        ]
    )
    path = tmp_path / "crit.csv"
    sheet.to_csv(path, index=False)
    with pytest.raises(InputError) as err:
        read_criteria_sheet(path)
    msg = str(err.value)
    assert "6 problems" in msg
    assert "crit.csv:2:theme: theme 'B02' belongs to family 'B'" in msg
    assert "crit.csv:3:question" in msg and "crit.csv:3:family" in msg and "crit.csv:3:coder" in msg
    assert "crit.csv:4:group" in msg
    assert "crit.csv:4:theme: 'A99' is not a theme" in msg


def test_reliability_uses_grid_alpha_and_agrees_with_krippendorff_package():
    sheet = read_criteria_sheet(package_data("spiral_criteria_illustrative.csv"))
    rel = criteria_reliability(sheet)
    wide = sheet.pivot(index="coder", columns="criterion_id", values="family")
    codes = {f: i for i, f in enumerate(sorted(sheet["family"].unique()))}
    ref = krippendorff.alpha(reliability_data=wide.replace(codes).to_numpy(dtype=float), level_of_measurement="nominal")
    assert rel.loc["family", "alpha"] == pytest.approx(ref, abs=1e-12)
    prof = criteria_profile(sheet)
    assert np.allclose(prof.sum(axis=1), 1.0)
    assert prof.loc["all groups", "A"] == pytest.approx(4 / 16)


def _assess() -> pd.DataFrame:
    rows = []
    # group g, family A, two indicators; round 1 levels 1,2 / 3,5 ; round 2 levels 4,4 / 5,5
    for rnd, levels in ((1, {"i1": [1, 2], "i2": [3, 5]}), (2, {"i1": [4, 4], "i2": [5, 5]})):
        for ind, lv in levels.items():
            for k, level in enumerate(lv):
                rows.append(
                    dict(round=str(rnd), group="g", indicator=ind, family="A", respondent=f"r{k}", level=str(level))
                )
    rows.append(dict(round="1", group="h", indicator="i3", family="D", respondent="r0", level=""))
    return pd.DataFrame(rows)


def test_situation_indicators_by_hand():
    a = read_assessments(_assess())
    t = situation_indicators(a).table.set_index(["round", "group", "family"])
    r1 = t.loc[(1, "g", "A")]
    assert r1["n"] == 4
    assert [r1[f"share_{k}"] for k in range(1, 6)] == [0.25, 0.25, 0.25, 0.0, 0.25]
    assert r1["share_good_ideal"] == 0.25 and r1["share_illbeing"] == 0.5
    # i1 mean score (0 + 25)/2 = 12.5; i2 (50 + 100)/2 = 75; family = 43.75
    assert r1["score"] == pytest.approx(43.75)
    assert (1, "territory", "A") in t.index
    assert situation_indicators(a).scores("group", round_=2).loc["g", "A"] == pytest.approx(87.5)  # (75 + 100)/2
    p = progress(a, round_from=1, round_to=2).set_index(["group", "family"])
    assert p.loc[("g", "A"), "change_score"] == pytest.approx(87.5 - 43.75)
    acts = read_actions(pd.DataFrame([dict(action_id="x", action="y", families="A;D", groups="g")]))
    mon = monitor_actions(acts, a, round_from=1, round_to=2).set_index("family")
    assert mon.loc["A", "change_score"] == pytest.approx(43.75)
    assert "not assessed" in mon.loc["D", "note"]


def test_bad_assessment_and_check_sheet(tmp_path):
    bad = _assess()
    bad.loc[0, "level"] = "6"
    bad.loc[1, "family"] = "D"
    path = tmp_path / "assess.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(InputError) as err:
        check_sheet(path)
    assert "assess.csv:2:level" in str(err.value) and "assess.csv:3:family" in str(err.value)
    ok = check_sheet(package_data("spiral_criteria_illustrative.csv"))
    assert "criteria sheet OK" in ok and "alpha" in ok
    other = tmp_path / "x.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a SPIRAL sheet"):
        check_sheet(other)

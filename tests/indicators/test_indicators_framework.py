"""Framework loading and validation (bad input gives InputError naming the problem)."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from localise.errors import InputError
from localise.indicators import CompositeIndicator, Framework, available_frameworks, load_framework

BASE = {
    "name": "toy",
    "levels": ["indicator", "component", "index"],
    "normalisation": "minmax",
    "nodes": [
        {"id": "idx", "level": "index"},
        {"id": "c1", "level": "component", "parent": "idx"},
        {"id": "c2", "level": "component", "parent": "idx"},
    ],
    "indicators": [
        {"id": "a", "parent": "c1", "direction": "higher"},
        {"id": "b", "parent": "c1", "direction": "lower"},
        {"id": "c", "parent": "c2", "direction": "higher"},
    ],
}


def spec(**changes):
    out = copy.deepcopy(BASE)
    out.update(changes)
    return out


def test_shipped_frameworks_have_the_published_structure():
    assert set(available_frameworks()) >= {"eu_spi_2016", "eu_spi_2020", "regional_social_cohesion"}
    fw16 = load_framework("eu_spi_2016")
    assert [len(fw16.members(lv)) for lv in fw16.levels] == [12, 3, 1]
    fw20 = load_framework("eu_spi_2020")
    # Annoni and Bolsi (2020): 55 indicators -> 12 components -> 3 dimensions -> index
    assert [len(fw20.members(lv)) for lv in fw20.levels] == [55, 12, 3, 1]
    assert all(len(fw20.children(d)) == 4 for d in fw20.members("dimension"))
    # components carry the same ids in both editions
    assert fw16.members("component") == fw20.members("component")
    cohesion = load_framework("regional_social_cohesion")
    assert cohesion.root == "social_cohesion"


def test_toy_framework_loads():
    fw = Framework.from_dict(spec())
    assert fw.indicators == ["a", "b", "c"]
    assert fw.nodes["b"].direction == -1
    assert fw.membership("component").tolist() == [[1, 0], [1, 0], [0, 1]]


def test_cycle_is_rejected():
    s = spec()
    s["nodes"][0]["parent"] = "c1"  # idx -> c1 -> idx
    with pytest.raises(InputError, match="cycle"):
        Framework.from_dict(s)


def test_unknown_parent_is_rejected():
    s = spec()
    s["indicators"][2]["parent"] = "c9"
    with pytest.raises(InputError, match="unknown node"):
        Framework.from_dict(s)


def test_missing_direction_is_rejected():
    s = spec()
    del s["indicators"][1]["direction"]
    with pytest.raises(InputError, match="direction"):
        Framework.from_dict(s)


def test_weights_must_sum_to_one_among_siblings():
    s = spec()
    s["indicators"][0]["weight"] = 0.7
    s["indicators"][1]["weight"] = 0.7
    with pytest.raises(InputError, match="sum to 1.4"):
        Framework.from_dict(s)
    s["indicators"][1]["weight"] = 0.3
    Framework.from_dict(s)  # sums to 1: fine
    del s["indicators"][1]["weight"]
    with pytest.raises(InputError, match="give all or none"):
        Framework.from_dict(s)


def test_parent_on_wrong_level_and_bad_goalposts():
    s = spec()
    s["indicators"][2]["parent"] = "idx"
    with pytest.raises(InputError, match="expected a parent on level"):
        Framework.from_dict(s)
    s = spec()
    s["indicators"][0]["goalposts"] = {"best": 0, "worst": 10}  # contradicts 'higher'
    with pytest.raises(InputError, match="contradict"):
        Framework.from_dict(s)


def test_unknown_framework_name_and_unknown_indicator_column():
    with pytest.raises(InputError, match="unknown framework"):
        load_framework("no_such_framework")
    fw = Framework.from_dict(spec())
    data = pd.DataFrame({"a": [1.0, 2.0], "b": [1.0, 2.0]}, index=["u1", "u2"])
    with pytest.raises(InputError, match="absent: c"):
        CompositeIndicator(fw).fit(data)
    with pytest.raises(InputError, match="unknown indicator or node"):
        CompositeIndicator(fw, weighting={"zz": 1.0})


def test_social_cohesion_labels_and_whole_dimension_rule():
    from localise.indicators import CompositeIndicator

    cohesion = load_framework("regional_social_cohesion")
    # a comma inside a YAML flow mapping once cut this label to "Income"
    assert cohesion.nodes["capabilities"].name == "Income, learning and health"
    assert all(cohesion.nodes[n].name for n in cohesion.nodes)
    # unit B has no poverty indicator at all: no index value, hence no rank
    import pandas as pd

    rows = {"A": 1.0, "B": 2.0, "C": 3.0}
    data = pd.DataFrame({i: pd.Series(rows) * (k + 1) for k, i in enumerate(cohesion.indicators)})
    poverty = cohesion.children("poverty_and_exclusion")
    data.loc["B", poverty] = float("nan")
    res = CompositeIndicator(cohesion).fit(data)
    assert pd.isna(res.index["B"]) and res.index[["A", "C"]].notna().all()


def test_reference_year_is_the_latest_year_with_every_indicator():
    import pandas as pd

    from localise.indicators import reference_year

    panel = pd.DataFrame(
        [
            ("R1", 2013, "a", 1.0),
            ("R1", 2013, "b", 1.0),
            ("R1", 2015, "a", 1.0),
            ("R2", 2014, "b", 2.0),
            ("R2", 2016, "a", 2.0),
            ("R2", 2016, "b", None),
        ],
        columns=["geo", "year", "indicator", "value"],
    ).assign(sex="T")
    assert reference_year(panel, ["a", "b"]) == 2013
    assert reference_year(panel, ["a"]) == 2016
    with pytest.raises(InputError, match="never observed: \\['c'\\]"):
        reference_year(panel, ["a", "c"])

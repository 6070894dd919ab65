"""NUTS codes: classification, and recoding on regions that really changed.

Expected recodings are read off Eurostat's official correspondence sheets in the
mirror (e.g. 2013-2016 sheet row 'FR30 -> FRE1 recoded', 2010-2013 'EL11 -> EL51 Code
change', 'UKI1 Split', 2013-2016 'LT00 split into new LT01 and LT02', 2016-2021 'HR04
discontinued; split into new HR02, HR05 and HR06', 'ES52 name change').
"""

from __future__ import annotations

import pandas as pd
import pytest

from localise.data import nuts


def test_classify_levels_aggregates_extra_regio():
    codes = pd.Series(["EU28", "EA19", "EU27_2020", "DE", "DE1", "DE11", "DE111", "FRZZ", "EL30", "UK", "FI19_20"])
    c = nuts.classify(codes)
    assert c["aggregate"].tolist() == [True, True, True] + [False] * 8
    assert c["nuts_level"].tolist()[3:8] == [0, 1, 2, 3, 2]
    assert pd.isna(c["nuts_level"].iloc[0]) and pd.isna(c["nuts_level"].iloc[-1])
    assert c["extra_regio"].tolist() == [False] * 7 + [True] + [False] * 3
    assert c["country"].tolist()[:4] == ["EU", "EU", "EU", "DE"]
    assert nuts.nuts_level("DEA1") == 2 and nuts.country_of("EL30") == "EL" and nuts.is_aggregate("EA")


@pytest.fixture(scope="module")
def corr(mirror_dir):
    return nuts.load_correspondence(mirror_dir / "nuts")


@pytest.mark.mirror
@pytest.mark.parametrize(
    ("code", "source", "target", "expected"),
    [
        ("FR30", 2013, 2016, "FRE1"),  # recoded (Nord-Pas de Calais)
        ("FR30", 2010, 2021, "FRE1"),  # chained
        ("FRE1", 2021, 2010, "FR30"),  # backwards
        ("PL11", 2013, 2016, "PL71"),  # Łódzkie recoded
        ("EL11", 2010, 2013, "EL51"),  # Greek code change
        ("FR94", 2010, 2016, "FRY4"),  # La Réunion: name change with new code, then recoded
        ("ES52", 2016, 2021, "ES52"),  # name change only
        ("DE11", 2010, 2021, "DE11"),  # unchanged
    ],
)
def test_recode_one_to_one(corr, code, source, target, expected):
    new, status = nuts.recode(code, source, target, corr)
    assert new == expected
    assert status == ("unchanged" if code == expected else "recoded")


@pytest.mark.mirror
@pytest.mark.parametrize(
    ("code", "source", "target", "reason"),
    [
        ("UKI1", 2010, 2016, "split"),  # Inner London split into UKI3 + UKI4
        ("UKI3", 2016, 2010, "new region"),  # backwards: no single 2010 code
        ("LT00", 2013, 2016, "split into new lt01 and lt02"),
        ("HU10", 2013, 2021, "split into new hu11 and hu12"),
        ("PL12", 2010, 2016, "split into new pl91 and pl92"),
        ("UKM2", 2013, 2016, "boundary shift"),
        ("HR04", 2016, 2021, "split into new hr02, hr05 and hr06"),
        ("NO05", 2016, 2021, "boundary change"),
        ("XX99", 2013, 2016, "not in NUTS 2016"),
    ],
)
def test_splits_merges_and_boundary_changes_are_flagged_not_mapped(corr, code, source, target, reason):
    new, status = nuts.recode(code, source, target, corr)
    assert new is None
    assert reason in status


@pytest.mark.mirror
def test_recode_frame_logs_every_code(corr):
    df = pd.DataFrame({"geo": ["FR30", "LT00", "DE11", "FR30"], "value": [1.0, 2.0, 3.0, 4.0]})
    out, log = nuts.recode_frame(df, source=2013, target=2016, corr=corr)
    assert out["geo"].tolist() == ["FRE1", "DE11", "FRE1"]
    assert out["value"].tolist() == [1.0, 3.0, 4.0]
    assert dict(zip(log["geo"], log["status"]))["DE11"] == "unchanged"
    assert log.set_index("geo").loc["LT00", "target_geo"] is None or pd.isna(
        log.set_index("geo").loc["LT00", "target_geo"]
    )

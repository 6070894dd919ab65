"""From parsed Eurostat tables to panel rows (catalogue feeds), without the mirror."""

from __future__ import annotations

from pathlib import Path

import pytest

from localise.data.build import _feed_rows
from localise.data.catalogue import Feed, dataset, datasets, indicator_ids
from localise.data.eurostat import parse_eurostat_bytes
from localise.data.schemas import CONTRACT_INDICATORS
from localise.errors import InputError

TABLE = (
    b"unit,age,sex,geo\\time\t2014 \t2013 \n"
    b"PC,Y_GE15,F,AT11\t5.1 u\t: u\n"
    b"PC,Y15-24,F,AT11\t9.0 \t8.5 b\n"
    b"PC,Y_GE15,T,EU28\t10.2 \t10.9 \n"
)


def test_feed_selects_filters_and_drops_missing_cells():
    frame = parse_eurostat_bytes(TABLE, source="t.tsv")
    rows = _feed_rows(frame, Feed("unemployment_rate", {"age": "Y_GE15", "unit": "PC"}), "tgs00010", Path("t.tsv"))
    got = sorted(rows[["geo", "year", "sex", "value", "flags", "unit"]].values.tolist())
    assert got == [
        ["AT11", 2014, "F", 5.1, "u", "PC"],  # 2013 is ': u' (missing): not a panel row
        ["EU28", 2013, "T", 10.9, "", "PC"],
        ["EU28", 2014, "T", 10.2, "", "PC"],
    ]
    assert (rows["source"] == "tgs00010").all() and (rows["indicator"] == "unemployment_rate").all()


def test_feed_that_leaves_several_rows_per_key_is_an_error():
    frame = parse_eurostat_bytes(TABLE, source="t.tsv")
    with pytest.raises(InputError, match=r"t\.tsv: indicator 'unemployment_rate' has several rows .*age"):
        _feed_rows(frame, Feed("unemployment_rate", {"unit": "PC"}), "x", Path("t.tsv"))


def test_catalogue_covers_the_contract_and_rejects_unknown_codes():
    assert set(CONTRACT_INDICATORS) <= set(indicator_ids())
    fed = {f.indicator for ds in datasets().values() for f in ds.feeds}
    assert set(CONTRACT_INDICATORS) <= fed
    for code in ("ilc_peps11n", "lfst_r_lfu2ltu", "lfst_r_lfe2emprt", "edat_lfse_16", "edat_lfse_22"):
        assert dataset(code).mirror is None  # online-only codes are catalogued
    with pytest.raises(InputError, match="unknown catalogue code 'nope'"):
        dataset("nope")


def test_indicator_table_counts_a_hand_made_panel():
    import pandas as pd

    from localise.data.summary import indicator_table

    panel = pd.DataFrame(
        {
            "geo": ["AT11", "AT11", "AT12", "AT11", "AT11"],
            "indicator": ["arope", "arope", "arope", "gdp", "gdp"],
            "year": [2012, 2014, 2013, 2010, 2010],
            "sex": ["T", "T", "T", "T", "T"],
            "unit": ["PC", "PC", "PC", "EUR_HAB", "EUR_HAB"],
            "value": [1.0, 2.0, 3.0, 4.0, 5.0],
            "source": ["ilc_peps11", "tgs00107", "tgs00107", "nama_10r_2gdp", "nama_10r_2gdp"],
        }
    )
    panel.attrs["synthetic"] = True
    table = indicator_table(panel)
    assert table.to_dict("index") == {
        "arope": {
            "rows": 3,
            "regions": 2,
            "first_year": 2012,
            "last_year": 2014,
            "unit": "PC",
            "sources": "ilc_peps11, tgs00107",
        },
        "gdp": {
            "rows": 2,
            "regions": 1,
            "first_year": 2010,
            "last_year": 2010,
            "unit": "EUR_HAB",
            "sources": "nama_10r_2gdp",
        },
    }
    assert table.attrs["synthetic"] is True

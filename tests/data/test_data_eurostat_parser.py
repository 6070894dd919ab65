"""Eurostat bulk TSV parser: own fixtures for every format variant and flag, and
cell-for-cell spot checks against the raw text of the real mirror files.

Expected values of the fixture tests are read off the fixture text by eye (the
fixtures are small, hand-written files in tests/data/fixtures/); the mirror tests
compare with an independent, deliberately simple line-by-line reading of the raw file.
"""

from __future__ import annotations

import gzip
import math
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from localise.data.eurostat import FLAG_CODES, normalise_period, parse_eurostat_bytes, read_eurostat_tsv
from localise.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures"


def cell(df, **keys):
    sel = np.ones(len(df), dtype=bool)
    for k, v in keys.items():
        sel &= (df[k] == v).to_numpy()
    assert sel.sum() == 1, keys
    row = df[sel].iloc[0]
    return row["value"], row["flags"]


def test_new_style_quarterly_every_flag():
    df = read_eurostat_tsv(FIXTURES / "new_style_quarterly.tsv")
    assert list(df.columns) == ["freq", "unit", "sex", "geo", "time", "value", "flags"]
    assert df.attrs["header_style"] == "new" and df.attrs["frequencies"] == ["Q"]
    assert len(df) == 16
    assert cell(df, geo="AT11", time="2019Q1") == (5.1, "b")
    v, f = cell(df, geo="AT11", time="2019Q2")
    assert math.isnan(v) and f == "c"
    assert cell(df, geo="EU27_2020", time="2019Q1") == (6.8, "f")
    assert cell(df, geo="DE30", time="2019Q1") == (7.0, "s")
    v, f = cell(df, geo="DE30", time="2019Q4")
    assert math.isnan(v) and f == "bu"
    assert cell(df, geo="FR10", time="2019Q1") == (-0.5, "")
    assert cell(df, geo="FR10", time="2019Q2") == (100.0, "")
    assert cell(df, geo="FR10", time="2019Q3") == (12.0, "bep")
    v, f = cell(df, geo="FR10", time="2019Q4")  # SDMX "m": data cannot exist (newer Eurostat files)
    assert math.isnan(v) and f == "m"
    # every Eurostat flag letter occurs in the fixture and survives parsing
    assert set("".join(df["flags"])) == set(FLAG_CODES)


def test_old_style_newest_first_without_unit_gzip_and_plain_agree():
    plain = read_eurostat_tsv(FIXTURES / "old_style_annual.tsv")
    gz = read_eurostat_tsv(FIXTURES / "old_style_annual.tsv.gz")
    assert plain.equals(gz)
    assert list(plain.columns) == ["age", "sex", "geo", "time", "value", "flags"]
    assert plain.attrs["header_style"] == "old"
    # newest-first columns come out in ascending period order within each series
    assert plain[plain["geo"] == "AT"]["time"].tolist() == ["2011", "2012", "2013"]
    assert cell(plain, geo="AT", time="2013") == (9.4, "b")
    assert cell(plain, geo="AT1", time="2011") == (11.4, "bu")
    v, f = cell(plain, geo="AT1", time="2012")
    assert math.isnan(v) and f == "u"
    v, f = cell(plain, geo="EL30", time="2013")
    assert math.isnan(v) and f == ""


def test_monthly_both_styles_give_the_same_labels():
    new = read_eurostat_tsv(FIXTURES / "new_style_monthly.tsv")
    old = read_eurostat_tsv(FIXTURES / "old_style_monthly.tsv")
    be_new = new[new["geo"] == "BE"][["time", "value", "flags"]].reset_index(drop=True)
    be_old = old[["time", "value", "flags"]].reset_index(drop=True)
    assert be_new.equals(be_old)
    assert be_old["time"].tolist() == ["2020M01", "2020M02", "2020M03"]
    assert cell(new, geo="PL", time="2020M03") == (112.1, "p")


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("2015 ", ("A", "2015")),
        ("2015Q3", ("Q", "2015Q3")),
        ("2015-Q3", ("Q", "2015Q3")),
        ("2015M07", ("M", "2015M07")),
        ("2015-07", ("M", "2015M07")),
        ("2015S2", ("S", "2015S2")),
        ("2015-01-31", ("D", "2015-01-31")),
    ],
)
def test_normalise_period(label, expected):
    assert normalise_period(label) == expected


@pytest.mark.parametrize(
    ("fixture", "match"),
    [
        ("html_error.tsv", r"html_error\.tsv:1: .*HTML"),
        ("wrong_header.tsv", r"wrong_header\.tsv:1: .*expected 'dim1,dim2"),
        ("non_numeric.tsv", r"non_numeric\.tsv:3: cell 'n/a' in period column '2014'"),
        ("duplicate_rows.tsv", r"duplicate_rows\.tsv:4: duplicate row 'PC,AT' \(also on line 2\)"),
        ("ragged_row.tsv", r"ragged_row\.tsv:3: row has 2 .*expected 3"),
        ("unknown_flag.tsv", r"unknown_flag\.tsv:2: unknown flag"),
    ],
)
def test_bad_input_names_file_line_and_expectation(fixture, match):
    with pytest.raises(InputError, match=match):
        read_eurostat_tsv(FIXTURES / fixture)


def test_truncated_gzip(tmp_path):
    raw = (FIXTURES / "old_style_annual.tsv.gz").read_bytes()
    target = tmp_path / "cut.tsv.gz"
    target.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(InputError, match=r"cut\.tsv\.gz: the gzip stream is truncated"):
        read_eurostat_tsv(target)


def test_wrong_key_arity_and_missing_file(tmp_path):
    bad = tmp_path / "arity.tsv"
    bad.write_text("unit,sex,geo\\time\t2015 \nPC,AT\t1.0 \n")
    with pytest.raises(InputError, match=r"arity\.tsv:2: key cell 'PC,AT' has 2 .*expected 3"):
        read_eurostat_tsv(bad)
    with pytest.raises(InputError, match="file not found"):
        read_eurostat_tsv(tmp_path / "absent.tsv.gz")


# --------------------------------------------------------------------------- mirror
MIRROR_FILES = [
    "ilc_peps11",
    "ilc_li41",
    "ilc_mddd21",
    "ilc_lvhl21",
    "lfst_r_lfu3pers",
    "lfst_r_lfe2emp",
    "lfst_r_lfp2acedu",
    "lfst_r_lfe2eedu",
    "nama_10r_2gdp",
    "nama_10r_2hhinc",
    "trng_lfse_04",
    "lfst_r_lfu3rt",
    "tgs00010",
    "tgs00107",
]
# rows (series) per file, from the mirror README's inventory
README_ROWS = {
    "lfst_r_lfu3rt": 5604,
    "lfst_r_lfe2eedu": 33653,
    "tgs00010": 1014,
    "tgs00107": 248,
    "nama_10r_2gdp": 2564,
    "trng_lfse_04": 1455,
}


def _naive_cells(path: Path):
    """Independent reading: yield (dims dict, period, raw cell text) for each cell."""
    lines = gzip.decompress(path.read_bytes()).decode("utf-8").splitlines()
    header = lines[0].split("\t")
    names = header[0].split("\\")[0].split(",")
    periods = [p.strip() for p in header[1:]]
    for line in lines[1:]:
        parts = line.split("\t")
        codes = dict(zip(names[:-1] + ["geo"], parts[0].split(",")))
        for period, text in zip(periods, parts[1:]):
            yield codes, period, text


@pytest.mark.mirror
@pytest.mark.parametrize("code", MIRROR_FILES)
def test_mirror_cells_match_raw_text(mirror_dir, code):
    path = mirror_dir / "eurostat" / f"{code}.tsv.gz"
    df = read_eurostat_tsv(path)
    cells = list(_naive_cells(path))
    assert len(df) == len(cells)
    if code in README_ROWS:
        assert len(df) // df["time"].nunique() == README_ROWS[code]
    index = df.set_index(df.attrs["dimensions"] + ["time"])
    rng = random.Random(code)
    for codes, period, text in rng.sample(cells, 150) + [c for c in cells if "d" in c[2]][:20]:
        value, flags = index.loc[tuple(codes.values()) + (period,)]
        number, _, letters = text.strip().partition(" ")
        assert flags == letters.strip(), (code, codes, period, text)
        if number == ":":
            assert math.isnan(value)
        else:
            assert value == float(number), (code, codes, period, text)


@pytest.mark.mirror
def test_mirror_known_cells(mirror_dir):
    """Individual cells read off the raw text of the mirror files (zcat | grep)."""
    t = read_eurostat_tsv(mirror_dir / "eurostat" / "tgs00010.tsv.gz")
    v, f = cell(t, sex="F", geo="AT11", time="2007")  # line 'PC,Y_GE15,F,AT11  6.4 u  : bu ...'
    assert math.isnan(v) and f == "bu"
    assert cell(t, sex="F", geo="AT11", time="2006") == (6.4, "u")
    a = read_eurostat_tsv(mirror_dir / "eurostat" / "lfst_r_lfp2acedu.tsv.gz")
    assert cell(a, sex="F", age="Y25-64", isced11="ED0-2", geo="MT", time="2004") == (17.2, "bd")
    r = read_eurostat_tsv(mirror_dir / "eurostat" / "lfst_r_lfu3rt.tsv.gz")
    assert cell(r, age="Y15-24", sex="F", geo="AT", time="2013") == (9.4, "b")
    g = read_eurostat_tsv(mirror_dir / "eurostat" / "nama_10r_2gdp.tsv.gz")
    assert cell(g, unit="EUR_HAB", geo="AT", time="2014") == (38500.0, "")


@pytest.mark.mirror
def test_mirror_plain_copy_parses_identically(mirror_dir, tmp_path):
    src = mirror_dir / "eurostat" / "tgs00107.tsv.gz"
    plain = tmp_path / "tgs00107.tsv"
    plain.write_bytes(gzip.decompress(src.read_bytes()))
    assert read_eurostat_tsv(plain).equals(read_eurostat_tsv(src))
    shutil.copy(src, tmp_path / "copy.tsv.gz")
    assert parse_eurostat_bytes((tmp_path / "copy.tsv.gz").read_bytes()).shape == (2976, 5)


def test_crlf_line_endings_and_trailing_blank_lines():
    raw = (FIXTURES / "old_style_annual.tsv").read_bytes()
    expected = parse_eurostat_bytes(raw)
    assert parse_eurostat_bytes(raw.replace(b"\n", b"\r\n")).equals(expected)
    assert parse_eurostat_bytes(raw + b"\n\n").equals(expected)

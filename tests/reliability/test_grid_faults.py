"""Fault injection: the ``localise grid`` commands under hostile input.

Each case: exit code 2, a message naming the file/row/value and what was expected,
and every file under the work folder unchanged (hashes).
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from faultkit import snapshot

from localise.grid import load_case_registry, load_codebook
from localise.grid.coding import template_frame

CASES = ["FR_MULHOUSE", "SE_UMEA", "PL_GDANSK"]


@pytest.fixture(scope="module")
def grid_inputs():
    return load_codebook(), load_case_registry()


def filled(grid_inputs, coder: str, shift: int = 0) -> pd.DataFrame:
    codebook, registry = grid_inputs
    frame = template_frame(CASES, [coder], codebook=codebook, registry=registry)
    ordinal = frame["dimension"] != "MODE"
    base = (np.arange(len(frame)) % 4 + shift) % 4
    frame.loc[ordinal, "level"] = [str(v) for v in base[ordinal.to_numpy()]]
    frame.loc[~ordinal, "level"] = "network"
    frame["rationale"] = "coded from the local strategy document"
    frame["source_reference"] = "doc 12, p. 3"
    return frame


@pytest.fixture
def sheets(tmp_path, grid_inputs):
    a, b = tmp_path / "coding_anna.csv", tmp_path / "coding_ben.csv"
    filled(grid_inputs, "anna").to_csv(a, index=False)
    filled(grid_inputs, "ben", shift=1).to_csv(b, index=False)
    return a, b


@pytest.fixture
def merged(tmp_path, sheets, run):
    out = tmp_path / "merged.csv"
    code, _, err = run("grid", "merge", *sheets, "--out", out)
    assert code == 0, err
    return out


# ----------------------------------------------------------------------------- template
@pytest.mark.parametrize(
    "coder",
    ["x/../../../escaped", "..", ".hidden", "a\\b", "/etc/passwd", "anna\u200b", "tab\tname", ""],
    ids=["dotdot-path", "dotdot", "leading-dot", "backslash", "absolute", "zero-width-space", "control-char", "empty"],
)
def test_template_rejects_coder_names_that_are_not_plain(run, tmp_path, coder):
    out = tmp_path / "a" / "b" / "out"
    err = run.fails("grid", "template", "--cases", *CASES, "--coders", "anna", coder, "--out", out, expect=["coder"])
    assert "plain name" in err or "give at least one non-empty coder name" in err
    assert not out.exists()


def test_template_refuses_to_blank_a_filled_sheet(run, tmp_path, grid_inputs):
    out = tmp_path / "sheets"
    code, _, err = run("grid", "template", "--cases", *CASES, "--coders", "anna", "--out", out, "--format", "csv")
    assert code == 0, err
    sheet = out / "coding_anna.csv"
    filled(grid_inputs, "anna").to_csv(sheet, index=False)  # the coder's work
    run.fails(
        "grid",
        "template",
        "--cases",
        *CASES,
        "--coders",
        "anna",
        "ben",
        "--out",
        out,
        "--format",
        "csv",
        expect=[str(sheet), "already exist", "--force"],
    )
    assert not (out / "coding_ben.csv").exists()  # nothing written, not even the new coder's sheet
    code, _, err = run(
        "grid", "template", "--cases", *CASES, "--coders", "anna", "--out", out, "--format", "csv", "--force"
    )
    assert code == 0, err
    assert pd.read_csv(sheet, keep_default_na=False)["level"].eq("").all()  # replaced only when asked


# ----------------------------------------------------------------------------- merge outputs
def test_merge_refuses_out_equal_to_an_input(run, sheets):
    a, b = sheets
    run.fails("grid", "merge", a, b, "--out", b, expect=["--out", str(b), "also an input"])


def test_merge_refuses_out_that_resolves_to_an_input(run, sheets, tmp_path):
    a, b = sheets
    (tmp_path / "sub").mkdir()
    alias = tmp_path / "sub" / ".." / a.name
    run.fails("grid", "merge", a, b, "--out", alias, expect=["--out", "also an input"])


def test_merge_refuses_disagreements_equal_to_out(run, sheets, tmp_path):
    out = tmp_path / "merged.csv"
    run.fails(
        "grid", "merge", *sheets, "--out", out, "--disagreements", out, expect=["--disagreements", "same file as --out"]
    )
    assert not out.exists()


def test_merge_refuses_disagreements_equal_to_an_input(run, sheets, tmp_path):
    a, b = sheets
    run.fails(
        "grid",
        "merge",
        a,
        b,
        "--out",
        tmp_path / "m.csv",
        "--disagreements",
        a,
        expect=["--disagreements", "also an input"],
    )


def test_reliability_refuses_out_equal_to_its_input(run, merged):
    run.fails("grid", "reliability", merged, "--n-boot", "0", "--out", merged, expect=["--out", "also an input"])


# ----------------------------------------------------------------------------- codes outside the codebook
def test_check_rejects_level_99(run, sheets, grid_inputs):
    a, _ = sheets
    frame = pd.read_csv(a, dtype=str, keep_default_na=False)
    frame.loc[4, "level"] = "99"
    frame.to_csv(a, index=False)
    run.fails("grid", "check", a, expect=[f"{a}:6:level", "'99'", "expected 0, 1, 2, 3, NA"])


def test_check_rejects_dimension_g42(run, sheets):
    a, _ = sheets
    frame = pd.read_csv(a, dtype=str, keep_default_na=False)
    frame.loc[0, "dimension"] = "G42"
    frame.to_csv(a, index=False)
    run.fails("grid", "check", a, expect=[f"{a}:2:dimension", "'G42'", "expected one of"])


def _edit_merged(path, row, column, value):
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table.loc[row, column] = value
    table.to_csv(path, index=False)


def test_reliability_rejects_level_99_in_merged_table(run, merged):
    ordinal_row = int(pd.read_csv(merged).query("dimension == 'G3'").index[0])
    _edit_merged(merged, ordinal_row, "level", "99")
    run.fails(
        "grid",
        "reliability",
        merged,
        "--n-boot",
        "0",
        expect=[f"{merged}:{ordinal_row + 2}:level", "level 99 is", "outside the codebook", "expected one of"],
    )


def test_reliability_rejects_dimension_g42_in_merged_table(run, merged):
    _edit_merged(merged, 3, "dimension", "G42")
    run.fails(
        "grid", "reliability", merged, "--n-boot", "0", expect=[f"{merged}:5:dimension", "'G42'", "expected one of"]
    )


def test_reliability_rejects_unknown_mode_category(run, merged):
    row = int(pd.read_csv(merged).query("dimension == 'MODE'").index[0])
    _edit_merged(merged, row, "category", "anarchy")
    run.fails(
        "grid",
        "reliability",
        merged,
        "--n-boot",
        "0",
        expect=[f"{merged}:{row + 2}:category", "'anarchy'", "hierarchical"],
    )


def test_reliability_rejects_text_level(run, merged):
    _edit_merged(merged, 0, "level", "high")
    run.fails("grid", "reliability", merged, "--n-boot", "0", expect=[f"{merged}:2:level", "'high'", "not a number"])


# ----------------------------------------------------------------------------- sheet structure
def test_check_rejects_two_level_columns_csv(run, sheets):
    a, _ = sheets
    text = a.read_text(encoding="utf-8").splitlines()
    text = [line + ("," + ("level" if i == 0 else "2")) for i, line in enumerate(text)]
    a.write_text("\n".join(text) + "\n", encoding="utf-8")
    run.fails("grid", "check", a, expect=[str(a), "'level' appears twice", "columns 6 and 10"])


def test_check_rejects_two_level_columns_xlsx(run, sheets, tmp_path):
    import openpyxl

    a, _ = sheets
    frame = pd.read_csv(a, dtype=str, keep_default_na=False)
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "coding"
    ws.append([*frame.columns, "level"])
    for row in frame.itertuples(index=False):
        ws.append([*row, "3"])
    xlsx = tmp_path / "coding_anna.xlsx"
    book.save(xlsx)
    run.fails("grid", "check", xlsx, expect=[str(xlsx), "'level' appears twice"])


def test_zero_width_space_does_not_create_a_phantom_coder(run, sheets, tmp_path):
    a, b = sheets
    frame = pd.read_csv(a, dtype=str, keep_default_na=False)
    frame.loc[3, "coder"] = "anna\u200b"
    frame.to_csv(a, index=False)
    before = snapshot(tmp_path)
    with pytest.warns(UserWarning, match=r"invisible Unicode format character.*line 5"):
        code, out, err = run("grid", "check", a, b)
    assert code == 0, err
    assert "2 coder(s)" in out  # anna and ben, no third coder 'anna\u200b'
    assert snapshot(tmp_path) == before


def test_outputs_get_the_mode_of_an_ordinary_new_file(run, sheets, tmp_path):
    import os

    out = tmp_path / "merged.csv"
    mask = os.umask(0o022)
    os.umask(mask)
    code, _, err = run("grid", "merge", *sheets, "--out", out)
    assert code == 0, err
    for path in (out, tmp_path / "merged_disagreements.csv"):
        assert path.stat().st_mode & 0o777 == 0o666 & ~mask


@pytest.mark.parametrize(
    ("option", "value", "expect"),
    [
        ("--threshold", "nan", "finite number in [0, 1]"),
        ("--threshold", "1.5", "finite number in [0, 1]"),
        ("--n-boot", "-3", "expected 0 (no interval)"),
    ],
)
def test_reliability_rejects_nonsense_settings(run, merged, option, value, expect):
    run.fails("grid", "reliability", merged, f"{option}={value}", expect=[option, expect])


def test_merge_refuses_the_same_sheet_twice(run, sheets, tmp_path):
    a, b = sheets
    run.fails(
        "grid",
        "merge",
        a,
        b,
        tmp_path / "sub" / ".." / a.name,
        "--out",
        tmp_path / "m.csv",
        expect=["given twice", str(a)],
    )


def test_merge_sees_the_same_coding_in_two_folders_with_one_file_name(run, sheets, tmp_path):
    a, _ = sheets
    for folder in ("x", "y"):
        (tmp_path / folder).mkdir()
        shutil.copy(a, tmp_path / folder / a.name)
    err = run.fails(
        "grid",
        "merge",
        tmp_path / "x" / a.name,
        tmp_path / "y" / a.name,
        "--out",
        tmp_path / "m.csv",
        expect=["also coded in", str(tmp_path / "x" / a.name)],
    )
    assert str(tmp_path / "y" / a.name) in err

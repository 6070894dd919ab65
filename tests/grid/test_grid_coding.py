"""Coding workflow: template -> filled sheets -> check -> merge -> reliability, and bad input."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from localise.cli import main
from localise.errors import InputError
from localise.grid import load_case_registry, load_codebook, load_national_frameworks
from localise.grid.coding import (
    SHEET_COLUMNS,
    check_sheet,
    consensus,
    merge_sheets,
    read_sheet,
    write_illustrative_sheets,
    write_template,
)

CASES = ["FR_MULHOUSE", "SE_UMEA", "PL_GDANSK"]


@pytest.fixture(scope="module")
def inputs():
    return load_codebook(), load_case_registry(), load_national_frameworks(as_of=2012)


def _fill(frame: pd.DataFrame, coder: str, shift: int = 0) -> pd.DataFrame:
    frame = frame.copy()
    ordinal = frame["dimension"] != "MODE"
    base = (np.arange(len(frame)) % 4 + shift) % 4
    frame.loc[ordinal, "level"] = [str(v) for v in base[ordinal.to_numpy()]]
    frame.loc[~ordinal, "level"] = "network"
    frame["rationale"] = "coded from the local strategy document"
    frame["source_reference"] = "doc 12, p. 3"
    frame["coder"] = coder
    return frame


def test_template_csv_and_xlsx_with_validation(tmp_path, inputs):
    codebook, registry, _ = inputs
    csv, xlsx = write_template(
        CASES,
        ["anna"],
        codebook=codebook,
        registry=registry,
        csv_path=tmp_path / "t.csv",
        xlsx_path=tmp_path / "t.xlsx",
    )
    sheet = pd.read_csv(csv, dtype=str, keep_default_na=False)
    assert list(sheet.columns) == SHEET_COLUMNS
    assert len(sheet) == len(CASES) * len(codebook.ids)
    import openpyxl

    book = openpyxl.load_workbook(xlsx)
    assert book.sheetnames == ["coding", "codebook", "cases"]
    formulas = sorted(v.formula1 for v in book["coding"].data_validations.dataValidation)
    assert '"0,1,2,3,NA"' in formulas and '"hierarchical,market,network,NA"' in formulas and '"TRUE,FALSE"' in formulas
    assert len(read_sheet(xlsx)) == len(sheet)


def test_template_xlsx_is_byte_identical_across_writes(tmp_path, inputs, monkeypatch):
    # openpyxl stamps the current time into docProps/core.xml and each zip entry; the
    # second write runs with the clock moved on by a year, so only fixed stamps make it equal.
    import datetime
    import time

    import openpyxl.writer.excel

    codebook, registry, _ = inputs
    first = write_template(CASES, ["anna"], codebook=codebook, registry=registry, xlsx_path=tmp_path / "a.xlsx")[0]

    later = time.time() + 366 * 86400

    class _Later(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.datetime.fromtimestamp(later, tz)

    monkeypatch.setattr(time, "time", lambda: later)
    monkeypatch.setattr(openpyxl.writer.excel, "datetime", SimpleNamespace(datetime=_Later, timezone=datetime.timezone))
    second = write_template(CASES, ["anna"], codebook=codebook, registry=registry, xlsx_path=tmp_path / "b.xlsx")[0]
    assert first.read_bytes() == second.read_bytes()
    import openpyxl

    assert openpyxl.load_workbook(second).properties.modified == datetime.datetime(1980, 1, 1)


def test_template_unknown_case_writes_nothing(tmp_path, inputs):
    codebook, registry, _ = inputs
    with pytest.raises(InputError, match="unknown case id"):
        write_template(["XX_NOWHERE"], ["anna"], codebook=codebook, registry=registry, csv_path=tmp_path / "t.csv")
    assert not (tmp_path / "t.csv").exists()


def test_check_reports_every_problem(tmp_path, inputs):
    codebook, registry, frameworks = inputs
    rows = [
        # case, dim, coder, level, rationale, source, inherited
        ("FR_MULHOUSE", "G1", "anna", "2", "r", "s", "FALSE"),  # fine
        ("XX_NOWHERE", "G1", "anna", "1", "r", "s", "FALSE"),  # unknown case
        ("FR_MULHOUSE", "G42", "anna", "1", "r", "s", "FALSE"),  # unknown dimension
        ("FR_MULHOUSE", "G2", "anna", "4", "r", "s", "FALSE"),  # outside 0-3
        ("FR_MULHOUSE", "G3", "anna", "2", "", "", "FALSE"),  # no rationale, no source
        ("FR_MULHOUSE", "G4", "anna", "", "r", "s", "FALSE"),  # empty level (NA must be explicit)
        ("FR_MULHOUSE", "G1", "anna", "3", "r", "s", "FALSE"),  # duplicate of row 2
        ("FR_MULHOUSE", "MODE", "anna", "anarchy", "r", "s", "FALSE"),  # unknown category
        ("FR_MULHOUSE", "G5", "anna", "", "", "", "TRUE"),  # FR G5 has no national code to inherit
        ("FR_MULHOUSE", "G6", "anna", "NA", "", "", "maybe"),  # bad flag
    ]
    sheet = pd.DataFrame(
        rows, columns=["case_id", "dimension", "coder", "level", "rationale", "source_reference", "inherited"]
    )
    path = tmp_path / "bad.csv"
    sheet.to_csv(path, index=False)
    with pytest.raises(InputError) as info:
        check_sheet(path, codebook=codebook, registry=registry, frameworks=frameworks)
    message = str(info.value)
    expected = [
        "bad.csv:3:case_id: unknown case 'XX_NOWHERE'",
        "bad.csv:4:dimension: unknown dimension 'G42'",
        "bad.csv:5:level: expected 0, 1, 2, 3, NA, got '4'",
        "bad.csv:6:rationale",
        "bad.csv:6:source_reference",
        "bad.csv:7:level: empty level",
        "bad.csv:8:case_id: duplicate row",
        "bad.csv:9:level: expected one of",
        "bad.csv:10:inherited: inherited = TRUE but the national frameworks file has no code for FR G5",
        "bad.csv:11:inherited: expected TRUE or FALSE",
    ]
    for fragment in expected:
        assert fragment in message, fragment
    assert "10 problems" in message


def test_not_assessable_is_not_zero(tmp_path, inputs):
    codebook, registry, frameworks = inputs
    sheet = pd.DataFrame(
        [
            ("SE_UMEA", "G1", "a", "0", "r", "s"),
            ("SE_UMEA", "G2", "a", "NA", "", ""),
            ("SE_UMEA", "G3", "a", "not assessable", "", ""),
        ],
        columns=["case_id", "dimension", "coder", "level", "rationale", "source_reference"],
    )
    sheet.to_csv(tmp_path / "s.csv", index=False)
    clean = check_sheet(tmp_path / "s.csv", codebook=codebook, registry=registry, frameworks=frameworks)
    assert clean["level"].tolist()[0] == 0.0
    assert np.isnan(clean["level"].tolist()[1]) and np.isnan(clean["level"].tolist()[2])
    assert clean["not_assessable"].tolist() == [False, True, True]


def test_merge_inherits_only_marked_rows_and_lists_disagreements(tmp_path, inputs):
    codebook, registry, frameworks = inputs
    base = pd.DataFrame(
        [
            ("SE_UMEA", "G4", "a", "", "", "", "TRUE"),  # explicit inheritance of Sweden's G4 code
            ("SE_UMEA", "G2", "a", "2", "r", "s", "FALSE"),  # local code differs from national (1): kept
            ("SE_UMEA", "G1", "a", "1", "r", "s", "FALSE"),
        ],
        columns=["case_id", "dimension", "coder", "level", "rationale", "source_reference", "inherited"],
    )
    other = base.assign(coder="b", inherited="FALSE", rationale="r", source_reference="s")
    other["level"] = ["2", "NA", "1"]
    base.to_csv(tmp_path / "a.csv", index=False)
    other.to_csv(tmp_path / "b.csv", index=False)
    result = merge_sheets(
        [tmp_path / "a.csv", tmp_path / "b.csv"], codebook=codebook, registry=registry, frameworks=frameworks
    )
    table = result.table.set_index(["coder", "dimension"])
    assert table.loc[("a", "G4"), "level"] == 2.0 and table.loc[("a", "G4"), "inherited"]
    assert "Lag (2003:1210)" in table.loc[("a", "G4"), "source_reference"]
    assert table.loc[("a", "G2"), "level"] == 2.0 and not table.loc[("a", "G2"), "inherited"]
    dis = result.disagreements.set_index("dimension")
    assert list(dis.index) == ["G2"]  # G4 agrees (2 = 2), G1 agrees
    assert dis.loc["G2", "codes"] == "a=2; b=NA"
    cons = consensus(result.table, codebook=codebook).set_index("dimension")
    assert cons.loc["G2", "level"] == 2.0 and cons.loc["G2", "n_coders"] == 1


def test_merge_reports_cross_file_duplicates(tmp_path, inputs):
    codebook, registry, frameworks = inputs
    sheet = pd.DataFrame(
        [("SE_UMEA", "G1", "a", "1", "r", "s")],
        columns=["case_id", "dimension", "coder", "level", "rationale", "source_reference"],
    )
    sheet.to_csv(tmp_path / "x.csv", index=False)
    sheet.to_csv(tmp_path / "y.csv", index=False)
    with pytest.raises(InputError, match="also coded in x.csv row 2"):
        merge_sheets(
            [tmp_path / "x.csv", tmp_path / "y.csv"], codebook=codebook, registry=registry, frameworks=frameworks
        )


def test_cli_round_trip(tmp_path, capsys, inputs):
    codebook, registry, _ = inputs
    out = tmp_path / "sheets"
    assert main(["grid", "template", "--cases", *CASES, "--coders", "anna", "ben", "--out", str(out)]) == 0
    for coder, shift in (("anna", 0), ("ben", 1)):
        frame = pd.read_csv(out / f"coding_{coder}.csv", dtype=str, keep_default_na=False)
        filled = _fill(frame, coder, shift=0)
        if shift:  # ben disagrees on two rows
            filled.loc[0, "level"] = "3"
            filled.loc[1, "level"] = "NA"
        filled.to_csv(out / f"coding_{coder}.csv", index=False)
    sheets = [str(out / "coding_anna.csv"), str(out / "coding_ben.csv")]
    assert main(["grid", "check", *sheets]) == 0
    merged = tmp_path / "merged.csv"
    assert main(["grid", "merge", *sheets, "--out", str(merged)]) == 0
    dis = pd.read_csv(tmp_path / "merged_disagreements.csv")
    assert len(dis) == 2
    capsys.readouterr()
    assert main(["grid", "reliability", str(merged), "--n-boot", "50", "--out", str(tmp_path / "alpha.csv")]) == 0
    alpha = pd.read_csv(tmp_path / "alpha.csv")
    assert alpha["dimension"].iloc[-1] == "overall"


def test_cli_check_exit_code_2(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    pd.DataFrame(
        [("SE_UMEA", "G1", "a", "7", "", "")],
        columns=["case_id", "dimension", "coder", "level", "rationale", "source_reference"],
    ).to_csv(bad, index=False)
    assert main(["grid", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.csv:2:level" in err
    assert main(["grid", "merge", str(bad), "--out", str(tmp_path / "m.csv")]) == 2
    assert not (tmp_path / "m.csv").exists()


def test_illustrative_sheets_are_labelled_and_merge_as_synthetic(tmp_path, inputs):
    from localise.grid.reliability import grid_reliability

    codebook, registry, frameworks = inputs
    files = write_illustrative_sheets(
        tmp_path, cases=CASES, coders=["A", "B"], codebook=codebook, registry=registry, seed=3
    )
    assert all("ILLUSTRATIVE" in f.name for f in files)
    again = write_illustrative_sheets(
        tmp_path / "again", cases=CASES, coders=["A", "B"], codebook=codebook, registry=registry, seed=3
    )
    assert files[0].read_bytes() == again[0].read_bytes()  # seeded, deterministic
    result = merge_sheets(files, codebook=codebook, registry=registry, frameworks=frameworks)
    assert result.table.attrs["synthetic"] is True
    assert result.table["rationale"].str.startswith("ILLUSTRATIVE").all()
    alpha = grid_reliability(result.table, codebook=codebook)
    assert list(alpha["dimension"]) == [f"G{i}" for i in range(1, 10)] + ["MODE", "overall"]
    assert alpha.loc[alpha["dimension"] == "MODE", "level"].item() == "nominal"


@pytest.mark.notebooks
def test_notebook_runs_on_researchers_sheets(tmp_path, inputs, monkeypatch):
    """Notebook 02 with coding files given (the non-illustrative branch), few bootstrap resamples."""
    import papermill as pm

    from localise import paths

    codebook, registry, _ = inputs
    cases = ["FR_MULHOUSE", "SE_UMEA", "PL_GDANSK", "IT_BOLOGNA", "UK_BIRMINGHAM"]
    sheets = []
    for coder, shift in (("a", 0), ("b", 1)):
        frame = write_template_frame(cases, coder, codebook, registry)
        filled = _fill(frame, coder)
        if shift:
            filled.loc[[0, 5], "level"] = "NA"
        target = tmp_path / f"sheet_{coder}.csv"
        filled.to_csv(target, index=False)
        sheets.append(str(target))
    monkeypatch.setenv("LOCALISE_RUN_OUTPUT", str(tmp_path / "out"))
    pm.execute_notebook(
        str(paths.notebooks_dir() / "02_analytical_grid.ipynb"),
        str(tmp_path / "run.ipynb"),
        parameters={"coding_files": sheets, "cases": cases, "n_boot": 20, "k": 2},
        kernel_name="python3",
        cwd=str(paths.notebooks_dir()),
        progress_bar=False,
    )
    written = {p.name for p in (tmp_path / "out").iterdir()}
    assert "grid_reliability.csv" in written  # real sheets: no SYNTHETIC suffix
    assert "grid_clusters.csv" in written


def write_template_frame(cases, coder, codebook, registry):
    from localise.grid.coding import template_frame

    return template_frame(cases, [coder], codebook=codebook, registry=registry)

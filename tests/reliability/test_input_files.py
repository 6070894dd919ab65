"""Fault injection: broken input files given to every command that reads a table.

All commands read through :func:`localise.tables.read_table`; each case asserts exit
code 2, a message naming the file and what is wrong (line and byte for an encoding
error), no traceback, and no file written or changed.
"""

from __future__ import annotations

import gzip
import io
import zipfile

import pytest

VALID_INPUTS = "stakeholder,input,value\ncity,staff time,1000\n"


def _xlsx_bytes() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["case_id", "value"])
    book.active.append(["a", 1])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _corrupt_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return buffer.getvalue()[:40]


#: fault -> (file suffix, content or None for a folder / a missing file, texts the message must hold)
FAULTS = {
    "empty": (".csv", b"", ["is empty (0 bytes)", "expected"]),
    "binary": (".csv", b"id,x\n\x00\x01\x02\xff\xfe\x00" * 20, ["binary content", "NUL byte at line 2"]),
    "gzip-named-csv": (".csv", gzip.compress(b"id,x\n1,2\n"), ["gzip archive", "expected"]),
    "latin1": (
        ".csv",
        "case,name\nFR_MULHOUSE,Mulhouse\nPL_GDANSK,Gdańsk\nSE_UMEA,Umeå\n".encode("latin-1", "replace"),
        ["line 4", "not UTF-8", "latin-1"],
    ),
    "csv-named-xlsx": (".xlsx", b"id,x\n1,2\n", ["named .xlsx but the content is CSV text", ".csv"]),
    "xlsx-named-csv": (".csv", None, ["ZIP archive", "XLSX", "expected CSV text"]),
    "corrupt-xlsx": (".xlsx", _corrupt_zip(), ["not a readable XLSX workbook"]),
    "folder": (".csv", "folder", ["is a folder"]),
    "missing": (".csv", "missing", ["not found"]),
}
MAIN_FAULTS = ["empty", "binary", "latin1", "csv-named-xlsx", "xlsx-named-csv"]


def _argv(command: str, path, tmp_path) -> list[object]:
    if command == "grid check":
        return ["grid", "check", path]
    if command == "grid merge":
        return ["grid", "merge", path, "--out", tmp_path / "merged.csv"]
    if command == "grid reliability":
        return ["grid", "reliability", path, "--n-boot", "0"]
    if command == "qca minimize":
        return ["qca", "minimize", path, "--outcome", "Y"]
    if command == "indicators compute":
        return ["indicators", "compute", "regional_social_cohesion", path]
    if command == "indicators uncertainty":
        return ["indicators", "uncertainty", "regional_social_cohesion", path, "--replications", "8"]
    if command == "cohesion sroi":
        (tmp_path / f"{path.stem}_inputs.csv").write_text(VALID_INPUTS, encoding="utf-8")
        return ["cohesion", "sroi", path]
    if command == "cohesion sroi --inputs":
        impact = tmp_path / "map.csv"
        impact.write_text(
            "outcome_id,stakeholder,outcome,indicator,quantity,proxy,proxy_source,deadweight,"
            "displacement,attribution,dropoff,duration_years\n"
            "a,s,o,i,10,100,survey,0,0,0,0,1\n",
            encoding="utf-8",
        )
        return ["cohesion", "sroi", impact, "--inputs", path]
    if command == "grid template --registry-extra":
        return [
            "grid",
            "template",
            "--cases",
            "FR_MULHOUSE",
            "--coders",
            "anna",
            "--out",
            tmp_path / "out",
            "--registry-extra",
            path,
        ]
    if command == "cohesion spiral-check":
        return ["cohesion", "spiral-check", path]
    raise AssertionError(command)


def _make(tmp_path, fault: str):
    suffix, content, expect = FAULTS[fault]
    path = tmp_path / f"input{suffix}"
    if content == "folder":
        path.mkdir()
    elif content == "missing":
        pass
    elif content is None:
        path.write_bytes(_xlsx_bytes())
    else:
        path.write_bytes(content)
    return path, expect


CASES = (
    [(c, f) for c in ("grid check", "qca minimize", "indicators compute") for f in FAULTS]
    + [
        ("cohesion sroi", f)
        for f in FAULTS
        if not f.endswith("xlsx")  # SROI maps are CSV or YAML only
    ]
    + [
        (c, f)
        for c in (
            "grid merge",
            "grid reliability",
            "indicators uncertainty",
            "cohesion sroi --inputs",
            "cohesion spiral-check",
            "grid template --registry-extra",
        )
        for f in MAIN_FAULTS
    ]
)


@pytest.mark.parametrize(("command", "fault"), CASES, ids=[f"{c}:{f}" for c, f in CASES])
def test_broken_input_file_gives_a_clear_message(run, tmp_path, command, fault):
    path, expect = _make(tmp_path, fault)
    argv = _argv(command, path, tmp_path)
    run.fails(*argv, expect=[str(path), *expect])


YAML_FAULTS = {
    "empty": (b"", ["is empty (0 bytes)"]),
    "binary": (b"title: x\n\x00\x00\x13\x37" * 10, ["binary content", "NUL byte at line 2"]),
    "latin1": ("title: Projet pilote\ncurrency: EUR\nnote: \u00e9t\u00e9\n".encode("latin-1"), ["line 3", "not UTF-8"]),
    "workbook": (None, ["ZIP archive", "expected"]),
}
YAML_COMMANDS = {
    "cohesion sroi": lambda p, tmp: ["cohesion", "sroi", p],
    "indicators show": lambda p, tmp: ["indicators", "show", p],
    "grid check --codebook": lambda p, tmp: ["grid", "check", tmp / "sheet.csv", "--codebook", p],
}
YAML_CASES = [(c, f) for c in YAML_COMMANDS for f in YAML_FAULTS]


@pytest.mark.parametrize(("command", "fault"), YAML_CASES, ids=[f"{c}:{f}" for c, f in YAML_CASES])
def test_broken_yaml_file_gives_a_clear_message(run, tmp_path, command, fault):
    content, expect = YAML_FAULTS[fault]
    path = tmp_path / "model.yml"
    path.write_bytes(_xlsx_bytes() if content is None else content)
    (tmp_path / "sheet.csv").write_text("case_id\n", encoding="utf-8")
    run.fails(*YAML_COMMANDS[command](path, tmp_path), expect=[str(path), *expect])


# ----------------------------------------------------------------------------- more of our own
def _indicator_csv(tmp_path, text="unit,x,y\na,1,3\nb,2,1\nc,3,2\n"):
    data = tmp_path / "data.csv"
    data.write_text(text, encoding="utf-8")
    fw = tmp_path / "fw.yml"
    fw.write_text(
        "name: t\nlevels: [indicator, index]\nnormalisation: minmax\nnodes:\n  - {id: i, level: index}\n"
        "indicators:\n  - {id: x, parent: i, direction: higher}\n  - {id: y, parent: i, direction: lower}\n",
        encoding="utf-8",
    )
    return data, fw


def test_indicator_output_equal_to_the_input(run, tmp_path):
    data, fw = _indicator_csv(tmp_path)
    run.fails("indicators", "compute", fw, data, "-o", data, expect=["--output", str(data), "also an input"])


def test_indicator_table_with_a_repeated_column(run, tmp_path):
    data, fw = _indicator_csv(tmp_path, "unit,x,y,x\na,1,3,9\nb,2,1,9\nc,3,2,9\n")
    run.fails("indicators", "compute", fw, data, expect=[str(data), "'x' appears twice", "columns 2 and 4"])


def test_sroi_map_with_a_repeated_column(run, tmp_path):
    impact = tmp_path / "map.csv"
    impact.write_text(
        "outcome_id,stakeholder,outcome,indicator,quantity,proxy,proxy_source,deadweight,displacement,"
        "attribution,dropoff,duration_years,proxy\na,s,o,i,10,100,survey,0,0,0,0,1,1e9\n",
        encoding="utf-8",
    )
    (tmp_path / "map_inputs.csv").write_text(VALID_INPUTS, encoding="utf-8")
    run.fails("cohesion", "sroi", impact, expect=[str(impact), "'proxy' appears twice"])


@pytest.mark.parametrize("variant", ["bom", "crlf", "xlsx"])
def test_ordinary_variants_still_read(run, tmp_path, variant):
    """Controls: a byte-order mark, Windows line ends and a real workbook are fine."""
    data, fw = _indicator_csv(tmp_path)
    text = data.read_text(encoding="utf-8")
    if variant == "bom":
        data.write_bytes(b"\xef\xbb\xbf" + text.encode())
    elif variant == "crlf":
        data.write_bytes(text.replace("\n", "\r\n").encode())
    else:
        import openpyxl

        book = openpyxl.Workbook()
        for line in text.strip().splitlines():
            cells = line.split(",")
            book.active.append([cells[0], *[float(c) if c[0].isdigit() else c for c in cells[1:]]])
        data = tmp_path / "data.xlsx"
        book.save(data)
    code, out, err = run("indicators", "compute", fw, data)
    assert code == 0, err
    assert "Missing raw cells: 0" in out

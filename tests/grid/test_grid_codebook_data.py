"""Codebook loader, national frameworks and reforms files: structure and bad input."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from localise.errors import InputError
from localise.grid import load_codebook, load_national_frameworks, load_reforms
from localise.grid.codebook import DATA_DIR

CODEBOOK = DATA_DIR / "codebook_v1.yaml"


def test_shipped_codebook_has_g1_to_g9_and_mode():
    codebook = load_codebook()
    assert codebook.version == "1.0"
    assert codebook.ids == [f"G{i}" for i in range(1, 10)] + ["MODE"]
    for dimension in codebook.dimensions:
        assert dimension.literature, dimension.id
        assert (
            dimension.status == "proposed"
        )  # the grid is a proposal of this project (docs/methods/grid.md, "Analytical grid")
        if dimension.is_ordinal:
            assert sorted(dimension.levels) == [0, 1, 2, 3]
            assert all(dimension.levels.values())
    assert set(codebook["MODE"].categories) == {"hierarchical", "market", "network"}
    assert codebook["G2"].allowed_codes == ["0", "1", "2", "3", "NA"]
    table = codebook.to_frame()
    assert len(table) == 9 * 4 + 3
    assert load_codebook(version="1.0").ids == codebook.ids


def _write_variant(tmp_path: Path, edit) -> Path:
    raw = yaml.safe_load(CODEBOOK.read_text(encoding="utf-8"))
    edit(raw)
    target = tmp_path / "codebook.yaml"
    target.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return target


def test_missing_level_and_duplicate_id_reported_together(tmp_path):
    def edit(raw):
        del raw["dimensions"][2]["levels"][3]  # G3 loses level 3
        raw["dimensions"][4]["id"] = "G1"  # G5 becomes a second G1

    path = _write_variant(tmp_path, edit)
    with pytest.raises(InputError) as info:
        load_codebook(path)
    message = str(info.value)
    assert "2 problems" in message
    assert "dimensions[2] (G3):levels: missing level(s) [3]" in message
    assert "duplicate dimension id 'G1'" in message


def test_bad_scale_and_empty_anchor(tmp_path):
    def edit(raw):
        raw["dimensions"][0]["scale"] = "cardinal"
        raw["dimensions"][1]["levels"][2] = ""

    with pytest.raises(InputError, match="expected one of \\('ordinal', 'nominal'\\)") as info:
        load_codebook(_write_variant(tmp_path, edit))
    assert "levels.2:" in str(info.value)


def test_unknown_version():
    with pytest.raises(InputError, match="not shipped"):
        load_codebook(version="9.9")


def test_frameworks_every_code_has_rationale_and_reference():
    frame = load_national_frameworks(complete=False)
    assert len(frame) > 0
    coded = frame[frame["level"].notna()]
    assert (coded["rationale"].str.len() > 20).all()
    assert (coded["reference"].str.strip() != "").all()
    # every reference names a year (law/reform and its year)
    assert coded["reference"].str.contains(r"(?:19|20)\d\d").all()
    assert set(coded["level"]) <= {0.0, 1.0, 2.0, 3.0}


def test_frameworks_complete_and_as_of():
    full = load_national_frameworks(as_of=2012)
    for country in ("FR", "DE", "IT", "PL", "SE", "UK"):
        part = full[full["country"] == country]
        assert sorted(part["dimension"]) == sorted(f"G{i}" for i in range(1, 10))
    assert not full.duplicated(["country", "dimension"]).any()
    # Italy G2: 0 from 1997, 1 from the REI (2018)
    it_2012 = full.query("country == 'IT' and dimension == 'G2'")["level"].item()
    it_2019 = load_national_frameworks(as_of=2019).query("country == 'IT' and dimension == 'G2'")["level"].item()
    assert (it_2012, it_2019) == (0.0, 1.0)
    # Poland profiling only from 2014: not assessable in 2012
    assert math.isnan(full.query("country == 'PL' and dimension == 'G6'")["level"].item())


def test_frameworks_bad_rows_all_reported(tmp_path):
    bad = tmp_path / "frameworks.csv"
    bad.write_text(
        "country,dimension,level,valid_from,rationale,reference\n"
        "FR,G2,5,2009,some rationale,Loi 2008\n"
        "FR,G3,2,2009,,\n"
        "FR,G99,1,2009,x,y 2000\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        load_national_frameworks(bad)
    message = str(info.value)
    assert "frameworks.csv:2:level" in message
    assert "frameworks.csv:3:rationale" in message and "frameworks.csv:3:reference" in message
    assert "frameworks.csv:4:dimension" in message


def test_reforms_contract():
    reforms = load_reforms()
    assert list(reforms.columns[:6]) == ["country", "reform", "year", "dimensions", "description", "reference"]
    assert reforms["year"].dtype == "int64"
    # dates stated in the issue and checked against legal texts (docs/methods/models.md, "Reform dates")
    expected = {
        ("DE", 2005),
        ("FR", 2008),
        ("FR", 2009),
        ("UK", 2002),
        ("SE", 2004),
        ("IT", 2015),
        ("IT", 2018),
        ("PL", 2004),
    }
    assert expected <= set(zip(reforms["country"], reforms["year"]))
    assert (reforms["verification"] != "").all()

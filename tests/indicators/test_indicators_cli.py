"""The ``localise indicators`` command line."""

from __future__ import annotations

import pandas as pd

from localise.cli import main


def _csv(tmp_path):
    df = pd.DataFrame({"unit": ["a", "b", "c"], "x": [1.0, 2.0, 3.0], "y": [3.0, 1.0, 2.0]})
    path = tmp_path / "data.csv"
    df.to_csv(path, index=False)
    fw = tmp_path / "fw.yml"
    fw.write_text(
        "name: t\nlevels: [indicator, index]\nnormalisation: minmax\n"
        "nodes:\n  - {id: i, level: index}\n"
        "indicators:\n  - {id: x, parent: i, direction: higher}\n  - {id: y, parent: i, direction: lower}\n"
    )
    return path, fw


def test_compute_writes_scores(tmp_path, capsys):
    path, fw = _csv(tmp_path)
    out = tmp_path / "scores.csv"
    assert main(["indicators", "compute", str(fw), str(path), "-o", str(out)]) == 0
    scores = pd.read_csv(out)
    # x minmax: 0, 50, 100; y reversed: 0, 100, 50 -> index 0, 75, 75
    idx = scores[scores.level == "index"].set_index("unit")["score"]
    assert idx.to_dict() == {"a": 0.0, "b": 75.0, "c": 75.0}


def test_bad_input_exits_with_2(tmp_path, capsys):
    path, fw = _csv(tmp_path)
    assert main(["indicators", "compute", "eu_spi_2020", str(path)]) == 2
    assert "absent" in capsys.readouterr().err
    assert main(["indicators", "show", "nope"]) == 2
    bad = tmp_path / "bad.yml"
    bad.write_text(fw.read_text().replace(", direction: lower", ""))
    assert main(["indicators", "show", str(bad)]) == 2
    assert "direction" in capsys.readouterr().err
    assert main(["indicators", "list"]) == 0

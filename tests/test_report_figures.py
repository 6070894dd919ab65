"""report.save_figure computes the tight bounding box once for every format (issue 15).

Reference: matplotlib's own ``savefig(bbox_inches="tight")``; the PNG written must be
byte-identical to it, and the SVG must have the same size to within a point.
"""

from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from localise import report  # noqa: E402


@pytest.fixture()
def figure():
    fig, axes = plt.subplots(2, 3, figsize=(9, 5))
    for i, ax in enumerate(axes.flat):
        ax.plot(range(10), [v * (i + 1) for v in range(10)], label=f"series {i}")
        ax.set_title(f"panel {i}\nsecond line", fontsize=8)
        ax.set_ylabel("a long y label that sticks out")
        ax.legend(fontsize=6)
    fig.suptitle("Small multiples")
    fig.tight_layout()
    yield fig
    plt.close(fig)


def _reference(fig, fmt: str) -> bytes:
    buffer = io.BytesIO()
    metadata = {"Software": None} if fmt == "png" else {"Date": None, "Creator": None}
    with matplotlib.rc_context({"svg.hashsalt": "localise"}):
        fig.savefig(buffer, format=fmt, dpi=120, bbox_inches="tight", metadata=metadata)
    return buffer.getvalue()


def test_one_tight_box_for_all_formats_matches_matplotlib(figure, tmp_path, monkeypatch):
    monkeypatch.setenv("LOCALISE_RUN_OUTPUT", str(tmp_path))
    expected_png = _reference(figure, "png")
    expected_svg = _reference(figure, "svg").decode()
    written = report.save_figure(figure, "panels")
    assert [p.suffix for p in written] == [".png", ".svg"]
    assert (tmp_path / "panels.png").read_bytes() == expected_png
    size = re.compile(r'<svg[^>]*width="([\d.]+)pt" height="([\d.]+)pt"')
    got = [float(v) for v in size.search((tmp_path / "panels.svg").read_text()).groups()]
    want = [float(v) for v in size.search(expected_svg).groups()]
    assert got == pytest.approx(want, abs=1.0)
    assert figure.dpi == 100  # the figure's own dpi is left as it was


def test_provenance_log_round_trip_and_synthetic_names(tmp_path, monkeypatch):
    """record_input appends to the log named by the environment; read_inputs keeps one record per file."""
    import pandas as pd

    from localise import provenance

    log = tmp_path / "inputs.jsonl"
    data = tmp_path / "data.csv"
    data.write_text("a\n1\n", encoding="utf-8")
    monkeypatch.setenv(provenance.INPUTS_LOG_VARIABLE, str(log))
    checksum = provenance.record_input(data)
    provenance.record_input(data, synthetic=True, role="codebook")
    assert provenance.read_inputs(log) == [
        {"path": str(data.resolve()), "sha256": checksum, "synthetic": True, "role": "codebook"}
    ]
    assert not log.exists() and provenance.read_inputs(log) == []
    table = pd.DataFrame({"a": [1]})
    table.attrs["synthetic"] = True
    assert provenance.label("Title", table) == "Title [SYNTHETIC DATA]"
    monkeypatch.setenv("LOCALISE_RUN_OUTPUT", str(tmp_path / "out"))
    assert [p.name for p in report.save_table(table, "t", latex=False)] == ["t_SYNTHETIC.csv"]

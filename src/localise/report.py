"""What notebooks call to save figures and tables into the current run.

The suite runner tells an executing notebook where its outputs go through the
environment variable ``LOCALISE_RUN_OUTPUT``, which the kernel inherits: the folder
for this notebook's figures and tables (``reports/<run-id>/<output-name>/``); when
unset (a notebook opened by hand) outputs go to ``reports/interactive/``.

Which data files a notebook read, and whether they are SYNTHETIC, is the business of
:mod:`localise.provenance`; the save functions here use it to put a visible SYNTHETIC
mark on titles, captions and file names whenever generated data were used.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from localise import paths
from localise.atomic import atomic_path, atomic_write_text
from localise.provenance import SYNTHETIC_MARK, is_synthetic, label

__all__ = ["output_dir", "save_figure", "save_table"]


def output_dir() -> Path:
    """Folder where the current notebook's figures and tables are written."""
    value = os.environ.get(paths.RUN_OUTPUT_VARIABLE)
    folder = Path(value) if value else paths.reports_dir() / "interactive"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _stem(name: str, synthetic: bool) -> str:
    if not name or any(sep in name for sep in ("/", "\\")) or name.startswith("."):
        raise ValueError(f"output name {name!r} must be a plain file stem without folders")
    return f"{name}_{SYNTHETIC_MARK}" if synthetic and SYNTHETIC_MARK not in name else name


def _tight_bbox(figure: Any, dpi: int) -> Any:
    """Padded tight bounding box of ``figure`` at ``dpi``, as ``savefig(bbox_inches="tight")`` finds it.

    Computed once with the figure's Agg renderer and reused for every format: finding
    it costs a layout pass over every text of the figure, which ``bbox_inches="tight"``
    would repeat per format. PNG output is byte-identical; vector formats may differ from
    their own tight box by a fraction of a point. Returns ``"tight"`` when the canvas has
    no Agg renderer.
    """
    import matplotlib as mpl

    if not hasattr(figure.canvas, "get_renderer"):
        return "tight"
    original = figure.dpi
    try:
        figure.dpi = dpi
        figure.draw_without_rendering()
        box = figure.get_tightbbox(figure.canvas.get_renderer())
    finally:
        figure.dpi = original
    return box.padded(mpl.rcParams["savefig.pad_inches"])


def save_figure(
    fig: Any, name: str, *, data: Any = None, formats: tuple[str, ...] = ("png", "svg"), dpi: int = 120
) -> list[Path]:
    """Save a matplotlib figure (or seaborn grid) into the run's output folder.

    Files are written atomically, without timestamps in their metadata, so that the
    same figure gives the same bytes. When ``data`` is synthetic the file name gets
    a ``_SYNTHETIC`` suffix and the figure a visible suptitle mark.

    In a Jupyter kernel the figure is also shown, once, as the output of the cell
    that saves it (the saved PNG when PNG is among ``formats``), and then closed in
    pyplot: a notebook that calls ``plt.show()`` or ``plt.close(fig)`` afterwards
    neither repeats nor loses it.

    Returns
    -------
    list of Path
        The files written, one per format.
    """
    figure = getattr(fig, "figure", fig)  # seaborn FacetGrid/JointGrid expose .figure
    synthetic = is_synthetic(data) if data is not None else False
    if synthetic:
        figure.text(0.99, 0.01, "SYNTHETIC DATA", ha="right", va="bottom", color="crimson", fontsize=9)
    written = []
    shown: bytes | None = None
    bbox = _tight_bbox(figure, dpi) if len(formats) > 1 else "tight"
    for fmt in formats:
        target = output_dir() / f"{_stem(name, synthetic)}.{fmt}"
        buffer = io.BytesIO()
        metadata: dict[str, Any] = {"Software": None}
        if fmt == "svg":
            metadata = {"Date": None, "Creator": None}
        elif fmt == "pdf":
            metadata = {"CreationDate": None, "Producer": None, "Creator": None}
        import matplotlib as mpl

        with mpl.rc_context({"svg.hashsalt": "localise"}):
            figure.savefig(buffer, format=fmt, dpi=dpi, bbox_inches=bbox, metadata=metadata)
        with atomic_path(target) as tmp:
            tmp.write_bytes(buffer.getvalue())
        written.append(target)
        if fmt == "png":
            shown = buffer.getvalue()
    _show_in_notebook(figure, shown)
    return written


def _in_notebook_kernel() -> bool:
    """True inside a Jupyter kernel (not a plain script, not terminal IPython)."""
    if "IPython" not in sys.modules:
        return False
    from IPython import get_ipython

    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _show_in_notebook(figure: Any, png: bytes | None) -> None:
    """Show a saved figure once, as the cell's output, and release it from pyplot.

    In a Jupyter kernel the saved PNG itself is displayed (so the notebook shows
    exactly the file on disk, SYNTHETIC mark included), and the figure is closed so
    that the inline backend does not show it a second time at the end of the cell;
    a later ``plt.show()`` or ``plt.close(fig)`` in the notebook changes nothing.
    Outside a kernel (scripts, tests) nothing is shown and the figure stays open.
    """
    if not _in_notebook_kernel():
        return
    from IPython.display import Image, display

    display(Image(data=png, format="png") if png else figure)
    import matplotlib.pyplot as plt

    plt.close(figure)  # no-op for a figure that pyplot does not manage


def save_table(
    table: pd.DataFrame,
    name: str,
    *,
    caption: str | None = None,
    latex: bool = True,
    index: bool = True,
    float_format: str = "%.6g",
) -> list[Path]:
    """Save a table as CSV (and LaTeX) into the run's output folder.

    A table built from synthetic data (``table.attrs["synthetic"]``) gets
    ``_SYNTHETIC`` in its file name and in its caption.

    Returns
    -------
    list of Path
        The CSV file and, when ``latex`` is true, the ``.tex`` file.
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"save_table({name!r}) expects a pandas DataFrame, got {type(table).__name__}")
    synthetic = is_synthetic(table)
    stem = _stem(name, synthetic)
    folder = output_dir()
    written = [atomic_write_text(folder / f"{stem}.csv", table.to_csv(index=index, float_format=float_format))]
    if latex:
        text = table.to_latex(
            index=index,
            float_format=lambda v: float_format % v,
            caption=label(caption, table) if caption else None,
            label=f"tab:{stem}",
        )
        written.append(atomic_write_text(folder / f"{stem}.tex", text))
    return written

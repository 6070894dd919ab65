"""Publication tables: several models side by side, and tidy estimates for CSV.

:class:`RegressionTable` lays out any results object with a ``to_frame()`` that
returns ``term, estimate, std_error, p_value`` columns (panel, event-study and
multilevel results all do) as the usual coefficient table: estimate with stars,
standard error in parentheses below, then model statistics. ``write()`` produces
the LaTeX, HTML and Markdown versions in one call.

Markdown is written here rather than with ``DataFrame.to_markdown`` because that
needs the optional ``tabulate`` package, which the project does not otherwise use.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from localise.errors import InputError

__all__ = ["RegressionTable", "tidy", "save_estimates", "save_model_data"]  # noqa: RUF022

_STAT_ROWS = {
    "nobs": "Observations",
    "n_entities": "Units",
    "n_regions": "Regions",
    "n_countries": "Countries",
    "n_clusters": "Clusters",
    "n_treated_clusters": "Treated clusters",
    "effects": "Fixed effects",
    "cov_type": "Std. errors",
    "status": "Convergence",
}


def _frames(models: Mapping[str, Any] | Sequence[Any]) -> dict[str, pd.DataFrame]:
    if isinstance(models, Mapping):
        items = list(models.items())
    else:
        items = [(getattr(m, "model_name", None) or f"({i + 1})", m) for i, m in enumerate(models)]
    if not items:
        raise InputError("RegressionTable: no models given")
    out = {}
    for name, model in items:
        frame = model.to_frame() if hasattr(model, "to_frame") else model
        if not isinstance(frame, pd.DataFrame) or not {"term", "estimate"} <= set(frame.columns):
            raise InputError(f"RegressionTable: model {name!r} has no to_frame() with term/estimate columns")
        out[str(name)] = frame
    return out


def tidy(models: Mapping[str, Any] | Sequence[Any], *, sample: str | None = None) -> pd.DataFrame:
    """Every estimate of every model as one tidy frame (for CSV).

    Columns include ``model, term, estimate, std_error, p_value, ci_low, ci_high``
    and the sample statistics each results object reports; ``model`` is the key
    given in ``models``. ``attrs["synthetic"]`` is set when any model was fitted
    on synthetic data.
    """
    frames = []
    synthetic = False
    for name, frame in _frames(models).items():
        frame = frame.copy()
        frame["model"] = name
        if sample is not None:
            frame["sample"] = sample
        if "synthetic" in frame.columns:
            synthetic = synthetic or bool(frame["synthetic"].any())
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    first = ["model", "term", "estimate", "std_error", "p_value", "ci_low", "ci_high"]
    out = out[[c for c in first if c in out.columns] + [c for c in out.columns if c not in first]]
    out.attrs["synthetic"] = synthetic
    return out


def _stars(p: float) -> str:
    if p is None or not np.isfinite(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


class RegressionTable:
    """Several models side by side.

    Parameters
    ----------
    models
        ``{column label: results}`` or a list of results (labelled by their
        ``model_name``).
    terms
        Terms to show, in order (default: all, in order of first appearance).
        Variance parameters of multilevel models are shown as well.
    digits
        Decimals.
    stars
        Add significance stars (* 0.1, ** 0.05, *** 0.01) from each model's p-values.
    title
        Caption; marked SYNTHETIC when any model used synthetic data.
    """

    def __init__(
        self,
        models: Mapping[str, Any] | Sequence[Any],
        *,
        terms: Sequence[str] | None = None,
        digits: int = 3,
        stars: bool = True,
        title: str | None = None,
    ) -> None:
        self.frames = _frames(models)
        self.terms = list(terms) if terms is not None else None
        self.digits = digits
        self.stars = stars
        self.synthetic = any(bool(f["synthetic"].any()) for f in self.frames.values() if "synthetic" in f.columns)
        self.title = title

    @property
    def caption(self) -> str | None:
        if self.title is None:
            return None
        from localise.provenance import label

        return label(self.title, self.synthetic)

    def to_frame(self) -> pd.DataFrame:
        """The display table as strings: two rows per term (estimate, (se)), then statistics."""
        fmt = f"{{:.{self.digits}f}}"
        terms = self.terms
        if terms is None:
            terms = list(dict.fromkeys(t for f in self.frames.values() for t in f["term"]))
        rows: dict[str, dict[str, str]] = {}
        for term in terms:
            est_row, se_row = {}, {}
            for name, f in self.frames.items():
                hit = f[f["term"] == term]
                if hit.empty:
                    est_row[name] = se_row[name] = ""
                    continue
                r = hit.iloc[0]
                p = r.get("p_value", np.nan)
                est_row[name] = fmt.format(r["estimate"]) + (_stars(p) if self.stars else "")
                se = r.get("std_error", np.nan)
                se_row[name] = f"({fmt.format(se)})" if se is not None and np.isfinite(se) else ""
            rows[term] = est_row
            if any(se_row.values()):
                rows[f"{term} "] = se_row  # trailing space: distinct index label for the se row
        for col, lab in _STAT_ROWS.items():
            stat_row = {}
            for name, f in self.frames.items():
                if col in f.columns and f[col].notna().any():
                    v = f[col].dropna().iloc[0]
                    stat_row[name] = (
                        f"{int(v):,}"
                        if isinstance(v, (int, np.integer, float)) and float(v).is_integer() and col != "status"
                        else str(v)
                    )
                else:
                    stat_row[name] = ""
            if any(stat_row.values()):
                rows[lab] = stat_row
        table = pd.DataFrame.from_dict(rows, orient="index")[list(self.frames)]
        table.index.name = ""
        return table

    def _notes(self) -> str:
        note = "Standard errors in parentheses."
        if self.stars:
            note += " * p<0.1, ** p<0.05, *** p<0.01."
        if self.synthetic:
            note += " SYNTHETIC DATA."
        return note

    def to_latex(self) -> str:
        table = self.to_frame()
        index = [s.strip() for s in table.index]
        esc = lambda s: str(s).replace("_", r"\_").replace("%", r"\%").replace("&", r"\&")  # noqa: E731
        cols = "l" + "c" * table.shape[1]
        lines = [r"\begin{table}[htbp]", r"\centering"]
        if self.caption:
            lines.append(rf"\caption{{{esc(self.caption)}}}")
        lines += [
            rf"\begin{{tabular}}{{{cols}}}",
            r"\hline",
            " & ".join([""] + [esc(c) for c in table.columns]) + r" \\",
            r"\hline",
        ]
        first_stat = next((i for i, lab in enumerate(table.index) if lab in _STAT_ROWS.values()), None)
        for i, (lab, row) in enumerate(zip(index, table.itertuples(index=False))):
            if i == first_stat:
                lines.append(r"\hline")
            name = esc(lab) if not table.index[i].endswith(" ") else ""
            lines.append(" & ".join([name] + [esc(v) for v in row]) + r" \\")
        lines += [
            r"\hline",
            rf"\multicolumn{{{table.shape[1] + 1}}}{{l}}{{\footnotesize {esc(self._notes())}}} \\",
            r"\end{tabular}",
            r"\end{table}",
        ]
        return "\n".join(lines) + "\n"

    def to_html(self) -> str:
        table = self.to_frame()
        out = ['<table class="regression-table">']
        if self.caption:
            out.append(f"<caption>{html.escape(self.caption)}</caption>")
        out.append(
            "<thead><tr><th></th>" + "".join(f"<th>{html.escape(c)}</th>" for c in table.columns) + "</tr></thead>"
        )
        out.append("<tbody>")
        for lab, row in zip(table.index, table.itertuples(index=False)):
            name = "" if lab.endswith(" ") else html.escape(lab)
            out.append("<tr><td>" + name + "</td>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>")
        out.append("</tbody>")
        out.append(f'<tfoot><tr><td colspan="{table.shape[1] + 1}">{html.escape(self._notes())}</td></tr></tfoot>')
        out.append("</table>")
        return "\n".join(out) + "\n"

    def to_markdown(self) -> str:
        table = self.to_frame()
        pipe = lambda s: str(s).replace("|", r"\|")  # noqa: E731
        lines = []
        if self.caption:
            lines += [f"**{pipe(self.caption)}**", ""]
        lines.append("| " + " | ".join([""] + [pipe(c) for c in table.columns]) + " |")
        lines.append("|" + "---|" + ":---:|" * table.shape[1])
        for lab, row in zip(table.index, table.itertuples(index=False)):
            name = "" if lab.endswith(" ") else pipe(lab)
            lines.append("| " + " | ".join([name] + [pipe(v) for v in row]) + " |")
        lines += ["", self._notes()]
        return "\n".join(lines) + "\n"

    def _repr_html_(self) -> str:
        return self.to_html()

    def __str__(self) -> str:
        return self.to_markdown()

    def write(self, name: str, *, folder: str | Path | None = None) -> list[Path]:
        """Write ``<name>.tex``, ``<name>.html`` and ``<name>.md`` (``_SYNTHETIC`` when marked).

        ``folder`` defaults to :func:`localise.report.output_dir` (the run's folder).
        """
        from localise import report
        from localise.atomic import atomic_write_text

        target = Path(folder) if folder is not None else report.output_dir()
        target.mkdir(parents=True, exist_ok=True)
        stem = report._stem(name, self.synthetic)
        return [
            atomic_write_text(target / f"{stem}.tex", self.to_latex()),
            atomic_write_text(target / f"{stem}.html", self.to_html()),
            atomic_write_text(target / f"{stem}.md", self.to_markdown()),
        ]


def save_estimates(models: Mapping[str, Any] | Sequence[Any], name: str, *, caption: str | None = None) -> list[Path]:
    """Save :func:`tidy` estimates as CSV in the run's folder (via ``report.save_table``)."""
    from localise import report

    return report.save_table(tidy(models), name, caption=caption, latex=False, index=False, float_format="%.10g")


def save_model_data(result: Any, name: str) -> list[Path]:
    """Save the processed panel a model was fitted on (CSV, full precision) so it can be refitted elsewhere."""
    from localise import report

    data = result.data.copy()
    data.attrs["synthetic"] = bool(getattr(result, "synthetic", False) or data.attrs.get("synthetic", False))
    return report.save_table(data, name, latex=False, index=False, float_format="%.17g")

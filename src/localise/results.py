"""Common ground of the results objects of localise.

A results class derives from :class:`Results` and writes :meth:`Results.summary` (and,
for tables, :meth:`Results.to_frame`); it then gets

- ``str()``, ``repr()`` and the notebook view (``_repr_html_``), all from ``summary()``,
  instead of a dump of every field;
- one SYNTHETIC banner line (:meth:`Results.banner`) for ``summary()`` to include;
- ``to_latex(caption=...)`` with the same signature everywhere; the caption carries
  the SYNTHETIC mark when the results come from generated data.

Dataclasses deriving from it need ``@dataclass(repr=False)``, or the generated
``__repr__`` replaces the one here.
"""

from __future__ import annotations

import html

import pandas as pd

__all__ = ["SYNTHETIC_BANNER", "Results"]

#: The line that marks a summary computed on generated (SYNTHETIC) data.
SYNTHETIC_BANNER = "[SYNTHETIC DATA]"


class Results:
    """Base of the results classes: text, HTML and LaTeX views from ``summary()`` and ``to_frame()``."""

    synthetic: bool = False

    def summary(self) -> str:
        """Text summary; every results class writes its own."""
        raise NotImplementedError

    def to_frame(self) -> pd.DataFrame:
        """Tidy table of the results; classes with a table write their own."""
        raise NotImplementedError

    def banner(self) -> list[str]:
        """The SYNTHETIC banner line for ``summary()`` when the data were generated, else nothing."""
        return [SYNTHETIC_BANNER] if self.synthetic else []

    def to_latex(self, *, caption: str | None = None) -> str:
        """LaTeX table of :meth:`to_frame`, with ``caption`` marked SYNTHETIC when the data were generated."""
        from localise.provenance import label

        text = label(caption or "", self.synthetic).strip() or None
        return self.to_frame().to_latex(index=False, caption=text, float_format="%.4g")

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.summary())}</pre>"

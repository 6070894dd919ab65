"""Former home of :class:`localise.problems.ProblemCollector`; the names are re-exported here."""

from __future__ import annotations

from localise.problems import Problem, ProblemCollector

__all__ = ["Problem", "ProblemCollector"]

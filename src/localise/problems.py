"""Collect every problem found in an input file, then report them all at once.

Validators (coding sheets, codebooks, registries) call :meth:`ProblemCollector.add`
for each problem they find and :meth:`ProblemCollector.raise_if_any` at the end, so
that a researcher sees the whole list in one go instead of fixing one error per run.

Row numbers are those a person sees when opening the file: for a CSV or XLSX sheet
the header is row 1 and the first data row is row 2. Use ``row=None`` (printed as
``-``) for a problem that concerns the whole file or a whole column.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from localise.errors import InputError

__all__ = ["Problem", "ProblemCollector"]


@dataclass(frozen=True)
class Problem:
    """One problem in an input file."""

    file: str
    row: int | str | None
    column: str | None
    message: str

    def __str__(self) -> str:
        row = "-" if self.row is None else self.row
        column = "-" if self.column in (None, "") else self.column
        return f"{self.file}:{row}:{column}: {self.message}"


class ProblemCollector:
    """Accumulate problems for one input file.

    Parameters
    ----------
    file
        Name of the file (or other input) being checked; it starts every message.

    Examples
    --------
    >>> problems = ProblemCollector("coding.csv")
    >>> problems.add(3, "level", "expected 0, 1, 2, 3 or 'NA', found '5'")
    >>> len(problems)
    1
    >>> problems.raise_if_any()
    Traceback (most recent call last):
    ...
    localise.errors.InputError: 1 problem in coding.csv:
      coding.csv:3:level: expected 0, 1, 2, 3 or 'NA', found '5'
    """

    def __init__(self, file: str | os.PathLike[str]) -> None:
        self.file = os.fspath(file)
        self.problems: list[Problem] = []

    def add(self, row: int | str | None, column: str | None, message: str) -> None:
        """Record a problem at ``row`` (1 = header line) and ``column``."""
        self.problems.append(Problem(self.file, row, column, str(message)))

    def __len__(self) -> int:
        return len(self.problems)

    def __bool__(self) -> bool:
        return bool(self.problems)

    def __iter__(self):
        return iter(self.problems)

    def messages(self) -> list[str]:
        """Every problem as ``file:row:column: message``."""
        return [str(problem) for problem in self.problems]

    def raise_if_any(self) -> None:
        """Raise :class:`~localise.errors.InputError` listing every problem, if any."""
        if not self.problems:
            return
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = "\n".join(f"  {message}" for message in self.messages())
        raise InputError(f"{count} {noun} in {self.file}:\n{lines}")

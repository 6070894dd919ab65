"""Exceptions shared by every package.

Bad input raises :class:`InputError` (a ``ValueError``) whose message names the
file, row, column or parameter that is wrong and what was expected. The command
line turns it into exit code 2.
"""

from __future__ import annotations

__all__ = ["InputError", "DataUnavailableError"]


class InputError(ValueError):
    """Input (a file, a sheet, a parameter) does not have the expected form."""


class DataUnavailableError(RuntimeError):
    """A data source cannot be obtained (no mirror file, no network)."""

"""Constants shared by several parts of localise."""

from __future__ import annotations

__all__ = ["LOCALISE_COUNTRIES"]

#: The six countries of the LOCALISE project (Eurostat codes; UK = United Kingdom).
LOCALISE_COUNTRIES: tuple[str, ...] = ("FR", "DE", "IT", "PL", "SE", "UK")

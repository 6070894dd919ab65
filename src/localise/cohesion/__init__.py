"""Social cohesion indicators from the seed documents.

Four modules, imported on demand so that ``import localise.cohesion`` stays light:

:mod:`localise.cohesion.spiral`
    SPIRAL (Council of Europe) coding key, criteria sheets, situation-scale
    indicators and co-responsibility action monitoring.
:mod:`localise.cohesion.gender`
    Sex-disaggregated gaps of the regional panel and the EIGE Gender Equality Index check.
:mod:`localise.cohesion.active_inclusion`
    Dashboard for the EUROCITIES Cities for Active Inclusion (CAI) regions.
:mod:`localise.cohesion.sroi`
    Social Return on Investment calculator with sensitivity analysis.

Example inputs shipped in ``localise/cohesion/data`` whose names contain
``illustrative`` are teaching material, not observations of any real city.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["package_data"]


def package_data(name: str) -> Path:
    """Path of a data file shipped with :mod:`localise.cohesion` (``data/<name>``)."""
    from importlib import resources  # here, not at the top: ``localise --help`` does not need it

    path = Path(str(resources.files("localise.cohesion") / "data" / name))
    if not path.is_file():
        available = sorted(p.name for p in path.parent.iterdir())
        raise FileNotFoundError(f"no package data file {name!r}; available: {available}")
    return path

"""Warning categories of localise, in one place.

Every warning the package issues has its own category here, so that a notebook or a
caller can silence one expected warning by category (``warnings.filterwarnings("ignore",
category=...)``) and still see the others, the SYNTHETIC data warning above all. All
derive from :class:`LocaliseWarning`, a :class:`UserWarning`.
"""

from __future__ import annotations

__all__ = [
    "LocaliseWarning",
    "SyntheticDataWarning",
    "SyntheticNutsVersionWarning",
    "MissingIndicatorsWarning",
    "UnverifiedDataWarning",
    "EmptyFeedWarning",
    "VintageChangedWarning",
    "UnmatchedCodesWarning",
    "InvisibleCharacterWarning",
    "IncompleteUnitsWarning",
    "CrossoverMembershipWarning",
    "FewClustersWarning",
    "MapSkippedWarning",
    "PreviousRunOutputsWarning",
]


class LocaliseWarning(UserWarning):
    """Base class of the warnings issued by localise."""


class SyntheticDataWarning(LocaliseWarning):
    """Issued when a loader returns the generated SYNTHETIC demo data."""


class SyntheticNutsVersionWarning(LocaliseWarning):
    """The SYNTHETIC demo panel has NUTS 2016 codes whatever NUTS version was asked for."""


class MissingIndicatorsWarning(LocaliseWarning):
    """Some requested indicators are not in the data set; the others are returned."""


class UnverifiedDataWarning(LocaliseWarning):
    """A processed file cannot be checked against a recorded checksum."""


class EmptyFeedWarning(LocaliseWarning):
    """A raw file holds no rows for a catalogue entry with its filters."""


class VintageChangedWarning(LocaliseWarning):
    """A re-fetched file differs from the checksum recorded in the manifest."""


class UnmatchedCodesWarning(LocaliseWarning):
    """Some source codes could not be carried one to one into the governance tables."""


class InvisibleCharacterWarning(LocaliseWarning):
    """Invisible Unicode format characters were removed from a table read from file."""


class IncompleteUnitsWarning(LocaliseWarning):
    """Units dropped by :func:`localise.grid.reliability.fleiss_kappa` for having fewer ratings than the others."""


class CrossoverMembershipWarning(LocaliseWarning):
    """Calibrated memberships of exactly 0.5 fall in no truth-table row."""


class FewClustersWarning(LocaliseWarning):
    """Cluster-robust standard errors from few clusters (fewer than about 30) are unreliable."""


class MapSkippedWarning(LocaliseWarning):
    """A map was not drawn because its boundaries could not be read."""


class PreviousRunOutputsWarning(LocaliseWarning):
    """Outputs of a notebook that did not run in this run are used from an earlier run."""

"""Shared fixtures: the real data mirror and the QCA reference cases."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from localise import paths

DEFAULT_MIRROR = paths.PROJECT_ROOT.parent / "shared" / "data"


def _mirror() -> Path | None:
    value = os.environ.get("LOCALISE_DATA_MIRROR", "").strip()
    if value:
        return Path(value).resolve()
    return DEFAULT_MIRROR if DEFAULT_MIRROR.is_dir() else None


@pytest.fixture(scope="session")
def mirror_dir() -> Path:
    """The real data mirror; tests that need it are skipped with a clear reason if absent.

    CI sets ``LOCALISE_REQUIRE_MIRROR=1`` so that a missing mirror fails instead.
    """
    mirror = _mirror()
    if mirror is None or not mirror.is_dir():
        message = (
            "real data mirror not found: set LOCALISE_DATA_MIRROR to the folder holding "
            "eurostat/, nuts/, spi/, eige/ (or place it at ../shared/data)"
        )
        if os.environ.get("LOCALISE_REQUIRE_MIRROR") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return mirror


@pytest.fixture(scope="session")
def qca_reference_dir() -> Path:
    """Folder of R QCA reference cases (``LOCALISE_QCA_REFERENCE``)."""
    folder = paths.qca_reference_dir()
    if not folder.is_dir():
        message = f"QCA reference cases not found at {folder}; set LOCALISE_QCA_REFERENCE"
        if os.environ.get("LOCALISE_REQUIRE_MIRROR") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return folder

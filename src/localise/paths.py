"""The one place that knows where the project's folders are.

The project root is derived from this file's location (``src/localise/paths.py``),
so nothing depends on the current working directory (papermill executes notebooks
with their own ``cwd``). Each folder can be overridden by an environment variable,
which the test-suite uses to work in temporary directories.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "PROJECT_ROOT",
    "data_raw",
    "data_processed",
    "reports_dir",
    "notebooks_dir",
    "mirror_dir",
    "qca_reference_dir",
]

#: Root of the repository (two levels above the package directory).
PROJECT_ROOT: Path = Path(__file__).resolve().parents[2]


def project_relative(path: str | Path) -> str:
    """``path`` relative to the project folder when it lies inside it, else as given."""
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _env_path(variable: str, default: Path) -> Path:
    value = os.environ.get(variable)
    return Path(value).expanduser().resolve() if value else default


def data_raw() -> Path:
    """Folder of immutable raw downloads (``LOCALISE_DATA_RAW`` overrides)."""
    return _env_path("LOCALISE_DATA_RAW", PROJECT_ROOT / "data" / "raw")


def data_processed() -> Path:
    """Folder of processed panels (``LOCALISE_DATA_PROCESSED`` overrides)."""
    return _env_path("LOCALISE_DATA_PROCESSED", PROJECT_ROOT / "data" / "processed")


#: Environment variable the runner sets for an executing notebook: the folder of its figures and tables.
RUN_OUTPUT_VARIABLE = "LOCALISE_RUN_OUTPUT"


def reports_dir() -> Path:
    """Folder that receives one sub-folder per suite run (``LOCALISE_REPORTS`` overrides)."""
    return _env_path("LOCALISE_REPORTS", PROJECT_ROOT / "reports")


def notebooks_dir() -> Path:
    """Folder of the suite's notebooks and its registry ``suite.yml``."""
    return _env_path("LOCALISE_NOTEBOOKS", PROJECT_ROOT / "notebooks")


def mirror_dir() -> Path | None:
    """Local mirror of the public data files, or ``None`` when none is configured.

    Read from ``LOCALISE_DATA_MIRROR``. An unset or empty variable means no mirror.
    A set variable that does not point at a directory is an error, because a typo
    would otherwise silently fall back to the network or to synthetic data.
    """
    value = os.environ.get("LOCALISE_DATA_MIRROR", "").strip()
    if not value:
        return None
    path = Path(value).expanduser().resolve()
    if not path.is_dir():
        raise FileNotFoundError(
            f"LOCALISE_DATA_MIRROR={value!r} is not a directory; expected the folder "
            "that holds eurostat/, nuts/, spi/, eige/ and city/"
        )
    return path


def qca_reference_dir() -> Path:
    """Reference cases for the QCA engine (``LOCALISE_QCA_REFERENCE`` overrides)."""
    return _env_path("LOCALISE_QCA_REFERENCE", PROJECT_ROOT.parent / "shared" / "reference" / "qca")

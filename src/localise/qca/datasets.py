"""Published QCA datasets, read from the reference folder (``localise.paths.qca_reference_dir()``).

The datasets (Lipset, Cebotari & Vink, Ragin, Emmenegger, ...) are those bundled with
R's QCA 3.23, mirrored under ``<reference>/data/<NAME>.csv`` (first column ``case``);
provenance is in the reference folder's README. When the folder is absent,
:func:`synthetic_cvf` offers a clearly labelled SYNTHETIC stand-in.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from localise import paths
from localise.errors import DataUnavailableError, InputError

__all__ = ["load_dataset", "available_datasets", "synthetic_cvf", "load_or_synthetic", "read_case_table"]


def read_case_table(path: Path) -> pd.DataFrame:
    """A CSV whose first column holds case names: the names verbatim, as strings.

    Labels such as ``NA`` (Namibia) or ``NULL`` stay names; pandas would read them as
    missing. The other columns are read with pandas' usual rules.
    """
    try:
        labels = pd.read_csv(path, usecols=[0], dtype=str, keep_default_na=False).iloc[:, 0]
        frame = pd.read_csv(path, index_col=0)
    except (ValueError, pd.errors.ParserError) as error:
        raise InputError(f"{path}: cannot read a table with case names in the first column ({error})") from None
    frame.index = pd.Index(labels.to_numpy(dtype=object), name=frame.index.name)
    return frame


def available_datasets(reference_dir: Path | None = None) -> list[str]:
    folder = (reference_dir or paths.qca_reference_dir()) / "data"
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.csv"))


def load_dataset(name: str, *, reference_dir: Path | None = None, record: bool = True) -> pd.DataFrame:
    """Load a bundled QCA dataset by name (e.g. ``"CVF"``, ``"LF"``, ``"d.jobsecurity"``).

    The index holds the case names. ``attrs["synthetic"]`` is False and
    ``attrs["source_note"]`` names the source.
    """
    folder = reference_dir or paths.qca_reference_dir()
    path = folder / "data" / f"{name}.csv"
    if not path.is_file():
        if not folder.is_dir():
            raise DataUnavailableError(f"QCA reference folder {folder} not found (set LOCALISE_QCA_REFERENCE)")
        raise InputError(f"dataset: {name!r} not found; available: {available_datasets(folder)}")
    frame = read_case_table(path)
    frame.index.name = "case"
    frame.attrs["synthetic"] = False
    frame.attrs["source_note"] = f"{name} as bundled with R QCA 3.23 (see the reference README for the publication)"
    if record:
        from localise import provenance

        provenance.record_input(path, synthetic=False, role="qca-dataset")
    return frame


def synthetic_cvf(seed: int = 0, n: int = 29) -> pd.DataFrame:
    """A SYNTHETIC fuzzy dataset with the layout of Cebotari & Vink's CVF (illustration only).

    Conditions DEMOC, ETHFRACT, GEOCON, POLDIS, NATPRIDE are uniform memberships (never
    exactly 0.5); PROTEST is planted as ``max(min(GEOCON, POLDIS), 1 - NATPRIDE)`` plus
    noise. Not observed data.
    """
    rng = np.random.default_rng(seed)
    cols = ["DEMOC", "ETHFRACT", "GEOCON", "POLDIS", "NATPRIDE"]
    X = np.round(rng.uniform(0.02, 0.98, size=(n, len(cols))), 2)
    X[np.isclose(X, 0.5)] = 0.51
    frame = pd.DataFrame(X, columns=cols, index=[f"synthetic_case_{i + 1:02d}" for i in range(n)])
    planted = np.maximum(np.minimum(frame["GEOCON"], frame["POLDIS"]), 1 - frame["NATPRIDE"])
    protest = np.clip(planted + rng.normal(0, 0.08, n), 0.01, 0.99).round(2)
    protest[np.isclose(protest, 0.5)] = 0.51
    frame["PROTEST"] = protest
    frame.index.name = "case"
    frame.attrs["synthetic"] = True
    frame.attrs["source_note"] = f"SYNTHETIC data with the layout of Cebotari & Vink's CVF (generated, seed {seed:d})"
    return frame


def load_or_synthetic(name: str, *, seed: int = 0) -> pd.DataFrame:
    """The named dataset when the reference folder exists, else the SYNTHETIC stand-in."""
    try:
        return load_dataset(name)
    except DataUnavailableError:
        return synthetic_cvf(seed=seed)

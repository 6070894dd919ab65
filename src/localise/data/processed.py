"""The processed data folder as one unit: all-or-nothing replacement and checksums.

``localise data build`` writes many files (panels, SPI, EIGE, governance tables,
``build_metadata.json``). A build that is killed half-way must not leave new panels
beside old metadata, and a value read back must be the value that was written. So:

1. :func:`commit` writes every new file into ``data/processed/.staging/`` together with
   ``build_metadata.json``, which records the SHA-256 of every file (``checksums``);
2. it then writes the journal ``data/processed/.commit.json`` (atomically): from this
   moment the new build is decided;
3. it moves the staged files into place (``os.replace``), metadata last, removes files
   of the previous build that the new one no longer has, and deletes the journal.

:func:`recover` (called at the start of every build and before every load) finishes an
interrupted step 3 from the journal, or discards a staging folder without a journal
(an interrupted step 1). Either way the folder holds one complete build, the old or the new.
:func:`verify` compares a processed file with the checksum recorded at build.
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from localise.atomic import atomic_write_text, sha256_file
from localise.errors import InputError

__all__ = ["STAGING", "JOURNAL", "METADATA", "commit", "recover", "verify"]

STAGING = ".staging"
JOURNAL = ".commit.json"
METADATA = "build_metadata.json"
_verified: dict[tuple[str, int, int], str] = {}
_warned: set[str] = set()


def recover(folder: Path) -> str:
    """Bring ``folder`` back to one complete build after an interruption.

    Returns ``"clean"``, ``"rolled forward"`` (the journal was there: the new build is
    completed) or ``"discarded"`` (a staging folder without journal is removed).
    """
    staging, journal = folder / STAGING, folder / JOURNAL
    if journal.is_file():
        plan = json.loads(journal.read_text(encoding="utf-8"))
        for name in plan["files"]:
            if (staging / name).is_file():
                os.replace(staging / name, folder / name)
        for name in plan.get("remove", []):
            (folder / name).unlink(missing_ok=True)
        if (staging / METADATA).is_file():
            os.replace(staging / METADATA, folder / METADATA)
        journal.unlink()
        shutil.rmtree(staging, ignore_errors=True)
        return "rolled forward"
    if staging.exists():
        shutil.rmtree(staging, ignore_errors=True)
        return "discarded"
    return "clean"


def commit(folder: Path, writers: Mapping[str, Callable[[Path], None]], metadata: dict[str, Any]) -> dict[str, Path]:
    """Write a new build into ``folder`` all at once.

    Parameters
    ----------
    writers
        File name -> function writing that file at the given path.
    metadata
        Content of ``build_metadata.json``; ``checksums`` (file name -> SHA-256) is added.

    Returns
    -------
    dict
        File name -> final path (``build_metadata.json`` included).
    """
    folder.mkdir(parents=True, exist_ok=True)
    recover(folder)
    staging = folder / STAGING
    staging.mkdir()
    checksums = {}
    for name, write in writers.items():
        write(staging / name)
        checksums[name] = sha256_file(staging / name)
    meta = {**metadata, "checksums": checksums}
    (staging / METADATA).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    old = _previous_files(folder)
    plan = {"files": list(writers), "remove": sorted(set(old) - set(writers))}
    atomic_write_text(folder / JOURNAL, json.dumps(plan) + "\n")  # the commit point
    recover(folder)
    return {**{name: folder / name for name in writers}, METADATA: folder / METADATA}


def _previous_files(folder: Path) -> list[str]:
    meta = folder / METADATA
    if not meta.is_file():
        return []
    try:
        return list(json.loads(meta.read_text(encoding="utf-8")).get("checksums", {}))
    except ValueError:
        return []


def verify(path: Path) -> bool:
    """Check ``path`` against the SHA-256 in its folder's ``build_metadata.json``.

    Returns ``False`` when the metadata record no checksum for the file (a build made
    before checksums were recorded). Raises :class:`InputError` naming the file and both
    checksums when they differ (a changed, corrupted or mixed-build file).
    """
    folder = path.parent
    recover(folder)
    meta_path = folder / METADATA
    if not meta_path.is_file():
        return False
    try:
        recorded = json.loads(meta_path.read_text(encoding="utf-8")).get("checksums", {}).get(path.name)
    except ValueError as error:
        raise InputError(f"{meta_path}: not valid JSON ({error}); rebuild with `localise data build`") from None
    if recorded is None:
        if str(folder) not in _warned:
            _warned.add(str(folder))
            warnings.warn(
                f"{meta_path} records no checksums (a build made before they were recorded), so {path.name} cannot "
                "be verified; run `localise data build` to record them",
                stacklevel=3,
            )
        return False
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    actual = _verified.get(key) or sha256_file(path)
    if actual != recorded:
        raise InputError(
            f"{path}: SHA-256 {actual[:16]}... differs from the {recorded[:16]}... recorded in {meta_path.name} at build; "
            "the file was changed or corrupted after the build. Expected the built file: run `localise data build`"
        )
    _verified[key] = actual
    return True

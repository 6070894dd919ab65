"""The processed data folder as one unit: all-or-nothing replacement and checksums.

``localise data build`` writes many files (panels, SPI, EIGE, governance tables,
``build_metadata.json``). A build that is killed half-way must not leave new panels
beside old metadata, and a value read back must be the value that was written. So:

1. :func:`commit` writes every new file into ``data/processed/.staging-<pid>/`` together with
   ``build_metadata.json``, which records the SHA-256 of every file (``checksums``);
2. it then writes the journal ``data/processed/.commit.json`` (atomically): from this
   moment the new build is decided;
3. it moves the staged files into place (``os.replace``), metadata last, removes files
   of the previous build that the new one no longer has, and deletes the journal.

Builds take a lock (``.build.lock``) for these steps. :func:`recover` (called before
every load, and at the start of every build) finishes an interrupted step 3 from the
journal; a build also discards staging folders left by killed builds (an interrupted
step 1). Either way the folder holds one complete build, the old or the new.
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
from localise.warnings import UnverifiedDataWarning

__all__ = ["STAGING", "JOURNAL", "METADATA", "commit", "recover", "verify"]

STAGING = ".staging"
JOURNAL = ".commit.json"
METADATA = "build_metadata.json"
LOCK = ".build.lock"
_verified: dict[tuple[str, int, int], str] = {}
_warned: set[str] = set()


def _staging_dirs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob(f"{STAGING}-*") if p.is_dir())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(folder: Path, *, discard: bool = False) -> str:
    """Bring ``folder`` back to one complete build after an interruption.

    With a journal, the interrupted renames are finished (``"rolled forward"``). With
    ``discard`` (at the start of a build), staging folders of builds whose process is
    gone are removed (``"discarded"``); a loader never removes them, since a build may be
    writing its staging folder at that moment. Otherwise returns ``"clean"``.
    """
    journal = folder / JOURNAL
    if journal.is_file():
        plan = json.loads(journal.read_text(encoding="utf-8"))
        staging = folder / plan["staging"]
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
    stale = [
        p
        for p in _staging_dirs(folder)
        if not (p.name.rsplit("-", 1)[-1].isdigit() and _alive(int(p.name.rsplit("-", 1)[-1])))
    ]
    if discard and stale:
        for path in stale:
            shutil.rmtree(path, ignore_errors=True)
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
    import fcntl

    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time; released when the process dies
        recover(folder, discard=True)
        staging = folder / f"{STAGING}-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        checksums = {}
        for name, write in writers.items():
            write(staging / name)
            checksums[name] = sha256_file(staging / name)
        meta = {**metadata, "checksums": checksums}
        (staging / METADATA).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        old = _previous_files(folder)
        plan = {"staging": staging.name, "files": list(writers), "remove": sorted(set(old) - set(writers))}
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
                UnverifiedDataWarning,
                stacklevel=3,
            )
        return False
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    actual = _verified.get(key) or sha256_file(path)
    if actual != recorded:
        raise InputError(
            f"{path}: SHA-256 {actual[:16]}... differs from the {recorded[:16]}... "
            f"recorded in {meta_path.name} at build; "
            "the file was changed or corrupted after the build. Expected the built file: run `localise data build`"
        )
    _verified[key] = actual
    return True

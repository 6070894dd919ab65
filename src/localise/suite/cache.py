"""Incremental runs: reuse a notebook run from an earlier run when nothing it depends on changed.

A notebook run is reused when an earlier *complete* run folder (newest first) holds a
successful execution of the same output stem with the same **cache key** and every
input file it read still has the checksum recorded then. The cache key
(:func:`execution_key`) covers

* the notebook file's content (SHA-256),
* the parameters injected into it,
* the environment: the ``localise`` package version, a hash of the package's own
  source files (``src/localise/**/*.py``, since the project is installed editable,
  a code change must invalidate), the versions of the packages the manifest records,
  the data settings (``LOCALISE_DATA_*`` variables) and the names of the processed
  data files present (:func:`data_state`),
* the result keys (:func:`result_key`) of the executions it runs after, so that a
  change upstream invalidates its dependents.

Input checksums are only known once a notebook has run (it records what it reads with
:func:`localise.provenance.record_input`); they are checked at lookup time
(:func:`find_reusable`) and folded into the result key that dependents see.

Reused files (executed notebook, HTML, output folder) are hard-linked, or copied where
links are impossible, into the new run folder (:func:`materialise`). Failed, skipped or
interrupted executions, and runs whose manifest is missing or marks an interrupted
run, are never reused.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from localise import paths
from localise.atomic import sha256_file
from localise.suite.records import Record

__all__ = [
    "code_fingerprint",
    "data_state",
    "notebook_fingerprint",
    "execution_key",
    "result_key",
    "RunHistory",
    "Reusable",
    "find_reusable",
    "materialise",
]

#: Fields of an earlier record that describe the execution itself and are carried over.
_CARRIED = ("notebook", "error", "worker", "started", "attempts", "kernel_log", "inputs", "html_error")


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def code_fingerprint(package_dir: Path | None = None) -> str:
    """SHA-256 over the relative path and content of every ``*.py`` file of the package."""
    if package_dir is None:
        import localise

        package_dir = Path(localise.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package_dir.rglob("*.py")):
        digest.update(str(path.relative_to(package_dir)).encode("utf-8") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


#: Environment variables that change what a notebook reads; their values are part of every key.
SETTINGS_IN_KEY = (
    "LOCALISE_DATA_PROCESSED",
    "LOCALISE_DATA_RAW",
    "LOCALISE_DATA_MIRROR",
    "LOCALISE_COUNTRIES",
    "LOCALISE_QCA_REFERENCE",
)

#: Those of :data:`SETTINGS_IN_KEY` that name a folder.
PATH_SETTINGS = frozenset(SETTINGS_IN_KEY) - {"LOCALISE_COUNTRIES"}


def data_state() -> dict[str, Any]:
    """The data settings and the names of the processed data files present.

    Loaders fall back to the SYNTHETIC demo when a processed file is missing; such an
    execution records the demo files it read, not the missing real one. Keying on the
    names present makes ``localise data prepare`` (new files) invalidate it. The demo
    folder is left out: notebooks create it on demand, and the demo files they read are
    recorded with their checksums.
    """
    processed = paths.data_processed()
    names = []
    if processed.is_dir():
        for path in processed.rglob("*"):
            relative = path.relative_to(processed)
            # the demo (generated on demand, read files recorded with checksums) and hidden/partial files do not count
            if path.is_file() and relative.parts[0] != "demo" and not any(p.startswith(".") for p in relative.parts):
                names.append(str(relative))
        names.sort()
    return {"settings": {name: _setting(name) for name in SETTINGS_IN_KEY}, "processed_files": names}


def _setting(name: str) -> str | None:
    """The value of a data setting as it acts: folders resolved, empty the same as unset.

    ``make run`` spells the mirror beside the project as an absolute path; a user may spell
    the same folder through a link or a relative path. Keys must not differ for that.
    """
    value = (os.environ.get(name) or "").strip()
    if not value:
        return None
    if name in PATH_SETTINGS:
        return str(Path(value).expanduser().resolve())
    return value


def notebook_fingerprint(notebook: Path) -> str:
    """SHA-256 of the notebook file as it is on disk."""
    return sha256_file(notebook)


def execution_key(
    notebook_sha256: str, parameters: dict[str, Any], environment: dict[str, Any], upstream: dict[str, str]
) -> str:
    """The cache key of one execution, before it runs.

    Parameters
    ----------
    notebook_sha256
        :func:`notebook_fingerprint` of the notebook file.
    parameters
        Parameters injected into the notebook.
    environment
        Package versions and :func:`code_fingerprint` (any JSON-able mapping).
    upstream
        Output stem -> :func:`result_key` of each execution it runs after.
    """
    return _digest(
        {"notebook": notebook_sha256, "parameters": parameters, "environment": environment, "upstream": upstream}
    )


def result_key(record: Mapping[str, Any]) -> str:
    """Key of a finished execution as its dependents see it: its cache key and the inputs it read."""
    # paths as the manifest writes them: a record fresh from a worker holds absolute paths,
    # one read back from an earlier manifest holds project-relative ones
    inputs = sorted((paths.project_relative(entry["path"]), entry.get("sha256")) for entry in record.get("inputs", []))
    return _digest({"key": record.get("cache_key"), "inputs": inputs})


@dataclass
class RunHistory:
    """The complete earlier runs of a reports folder, newest first, read lazily."""

    reports: Path
    exclude: set[str] = field(default_factory=set)
    """Run ids never looked at (the run in progress)."""
    _manifests: list[tuple[Path, dict[str, Any]]] | None = None
    _checksums: dict[tuple[str, int, int], str] = field(default_factory=dict)

    def runs(self) -> Iterator[tuple[Path, dict[str, Any]]]:
        """``(run folder, manifest)`` of each complete run, newest first."""
        if self._manifests is None:
            self._manifests = []
            folders = (
                [p for p in self.reports.iterdir() if p.is_dir() and not p.is_symlink()]
                if (self.reports.is_dir())
                else []
            )
            for folder in sorted(folders, key=lambda p: p.name, reverse=True):
                if folder.name in self.exclude or not folder.name[:1].isdigit():
                    continue
                manifest = _read_manifest(folder / "manifest.json")
                if manifest is not None:
                    self._manifests.append((folder, manifest))
        yield from self._manifests

    def checksum(self, path: Path) -> str | None:
        """SHA-256 of ``path`` now (memoised by size and modification time), None when missing."""
        try:
            status = path.stat()
        except OSError:
            return None
        marker = (str(path), status.st_size, status.st_mtime_ns)
        if marker not in self._checksums:
            self._checksums[marker] = sha256_file(path)
        return self._checksums[marker]


def _read_manifest(path: Path) -> dict[str, Any] | None:
    """The manifest of a complete run (written, finished, not interrupted), else None."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or not manifest.get("finished"):
        return None
    if manifest.get("status") not in {"ok", "failed"}:
        return None
    return manifest


def _input_path(recorded: str) -> Path:
    path = Path(recorded)
    return path if path.is_absolute() else paths.PROJECT_ROOT / path


@dataclass(frozen=True)
class Reusable:
    """An earlier execution that can stand for the current one."""

    run_dir: Path
    run_id: str
    record: dict[str, Any]


def _usable(record: dict[str, Any], key: str, run_dir: Path, history: RunHistory, need_html: bool) -> bool:
    if record.get("status") != "ok" or record.get("cache_key") != key:
        return False
    outputs = record.get("outputs") or []
    stems = {entry["path"] for entry in outputs}
    if f"{record['output']}.ipynb" not in stems or (need_html and f"{record['output']}.html" not in stems):
        return False
    for entry in outputs:  # every file still there, same size
        try:
            if (run_dir / entry["path"]).stat().st_size != entry.get("bytes"):
                return False
        except OSError:
            return False
    return all(
        history.checksum(_input_path(entry["path"])) == entry.get("sha256") for entry in record.get("inputs", [])
    )


def find_reusable(history: RunHistory, output: str, key: str, *, need_html: bool = True) -> Reusable | None:
    """The newest earlier successful execution of ``output`` with cache key ``key``.

    It is reusable only when its manifest is complete, all its output files are still
    present, and every input it read has the same SHA-256 now as then.
    """
    for run_dir, manifest in history.runs():
        for record in manifest.get("notebooks", []):
            if record.get("output") == output:
                if _usable(record, key, run_dir, history, need_html):
                    return Reusable(run_dir, manifest.get("run_id", run_dir.name), record)
                break
    return None


def _link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:  # another file system, or links not allowed
        shutil.copy2(source, target)


def materialise(reusable: Reusable, run_dir: Path) -> Record:
    """Link (or copy) the earlier execution's files into ``run_dir``; return its record for this run.

    The record keeps ``status: ok``, gains ``cached: true`` and ``cached_from`` (the run
    where the notebook was actually executed, followed through earlier reuses) and
    ``executed_duration_s`` (the time the execution took then); ``duration_s`` is 0.
    """
    old = reusable.record
    for entry in old.get("outputs", []):
        _link_or_copy(reusable.run_dir / entry["path"], run_dir / entry["path"])
    record: Record = {"output": old["output"], "status": "ok"}
    record.update(cast(Record, {name: copy.deepcopy(old[name]) for name in _CARRIED if name in old}))
    record["duration_s"] = 0.0
    record["executed_duration_s"] = old.get("executed_duration_s", old.get("duration_s", 0.0))
    record["cache_key"] = old["cache_key"]
    record["cached"] = True
    record["cached_from"] = old.get("cached_from") or reusable.run_id
    record["outputs"] = copy.deepcopy(old.get("outputs", []))
    return record

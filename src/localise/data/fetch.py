"""``localise data fetch``: raw files from a local mirror or from Eurostat, with a manifest.

For each catalogue entry the raw file is taken from

1. a local mirror directory (``--mirror DIR`` or ``LOCALISE_DATA_MIRROR``), whose layout
   is ``eurostat/``, ``eurostat/extract_2020/``, ``nuts/``, ``nuts/geo/``, ``spi/``,
   ``eige/``, ``city/``, ``governance/`` (EQI, RAI, LAI, IMF, CWS: mirror only); or else
2. Eurostat's bulk download over HTTPS (dissemination API, gzip TSV), with a timeout,
   retries and exponential backoff.

Files are stored under ``data/raw/`` with the mirror's relative paths, written
atomically (never edited in place), and listed in ``data/raw/MANIFEST`` (committed):
one tab-separated line per file with its path, source, retrieval time (UTC), size,
SHA-256 and vintage. A re-fetch whose checksum differs from the manifest warns that the
data vintage changed. :func:`verify_manifest` checks raw files against the manifest
before a build.
"""

from __future__ import annotations

import csv
import datetime as _dt
import gzip
import io
import logging
import shutil
import time
import urllib.error
import urllib.request
import warnings
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from localise import paths
from localise.atomic import atomic_path, atomic_write_text, sha256_file
from localise.data import catalogue
from localise.errors import DataUnavailableError, InputError
from localise.warnings import VintageChangedWarning

__all__ = [
    "MANIFEST_COLUMNS",
    "VintageChangedWarning",
    "manifest_path",
    "read_manifest",
    "fetch_all",
    "fetch_url",
    "verify_manifest",
    "network_available",
]

log = logging.getLogger(__name__)
MANIFEST_COLUMNS = ["path", "source", "retrieved_utc", "size_bytes", "sha256", "vintage"]
_MANIFEST_HEADER = (
    "# Raw data files of the localise suite (written by `localise data fetch`).\n"
    "# Tab-separated; paths relative to data/raw/. The files themselves are not committed.\n"
)


@dataclass
class FetchResult:
    path: str
    source: str
    status: str  # "new", "unchanged", "changed", "skipped"
    note: str = ""


def manifest_path() -> Path:
    """``data/raw/MANIFEST`` (follows ``LOCALISE_DATA_RAW``)."""
    return paths.data_raw() / "MANIFEST"


def read_manifest(path: Path | None = None) -> dict[str, dict[str, str]]:
    """Manifest entries keyed by relative path (empty when there is no manifest)."""
    path = manifest_path() if path is None else path
    if not path.is_file():
        return {}
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    if not lines:
        return {}
    reader = csv.DictReader(io.StringIO("\n".join(lines)), delimiter="\t")
    if reader.fieldnames != MANIFEST_COLUMNS:
        raise InputError(f"{path}:header: columns {reader.fieldnames}; expected {MANIFEST_COLUMNS}")
    return {row["path"]: row for row in reader}


def _write_manifest(entries: dict[str, dict[str, str]]) -> None:
    buffer = io.StringIO()
    buffer.write(_MANIFEST_HEADER)
    writer = csv.DictWriter(buffer, fieldnames=MANIFEST_COLUMNS, delimiter="\t", lineterminator="\n")
    writer.writeheader()
    for key in sorted(entries):
        writer.writerow({c: entries[key].get(c, "") for c in MANIFEST_COLUMNS})
    atomic_write_text(manifest_path(), buffer.getvalue())


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _record(entries, rel: str, target: Path, source: str, vintage: str) -> str:
    """Update the manifest entry of ``rel``; return new/unchanged/changed."""
    checksum = sha256_file(target)
    old = entries.get(rel)
    status = "new"
    if old is not None:
        if old.get("sha256") == checksum:
            status = "unchanged"
        else:
            status = "changed"
            warnings.warn(
                f"{rel}: SHA-256 differs from data/raw/MANIFEST (was {old.get('sha256', '')[:12]}..., "
                f"retrieved {old.get('retrieved_utc', '?')}): the data vintage changed",
                VintageChangedWarning,
                stacklevel=3,
            )
    if status != "unchanged":
        entries[rel] = {
            "path": rel,
            "source": source,
            "retrieved_utc": _now(),
            "size_bytes": str(target.stat().st_size),
            "sha256": checksum,
            "vintage": vintage,
        }
    return status


def check_raw_content(path: Path, name: str | None = None) -> None:
    """Raise :class:`InputError` when a raw file is empty, truncated or corrupt.

    Checks by kind: any file must be non-empty; ``.gz`` files must decompress to their
    end; ``.xlsx``/``.zip`` archives must pass the ZIP CRC test; ``.xls`` files must
    start with the OLE signature; ``.csv`` files must not end inside a quoted field or with a
    last row shorter than the header (the signs of a cut-off copy).
    """
    name = name or str(path)
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{name}: the new file is empty (0 bytes); expected the data file")
    lower = name.lower()
    try:
        if lower.endswith(".gz"):
            with gzip.open(path, "rb") as handle:
                while handle.read(1 << 20):
                    pass
        elif lower.endswith((".xlsx", ".zip")):
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
            if bad is not None:
                raise InputError(
                    f"{name}: member {bad} of the archive fails its CRC check; expected an intact workbook"
                )
        elif lower.endswith(".xls"):
            with open(path, "rb") as handle:
                if handle.read(8) != b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
                    raise InputError(f"{name}: not an Excel 97 workbook (bad signature); expected an intact .xls file")
        elif lower.endswith(".csv"):
            _check_csv_complete(path, name)
    except (EOFError, OSError, zlib.error, zipfile.BadZipFile) as error:
        raise InputError(f"{name}: truncated or corrupt ({size} bytes; {error}); expected an intact file") from None


def _check_csv_complete(path: Path, name: str) -> None:
    text = path.read_bytes().decode("utf-8", errors="replace")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    rows = [r for r in rows if r]
    if not rows:
        raise InputError(f"{name}: no rows; expected a CSV file with a header")
    if text.count('"') % 2:
        raise InputError(f"{name}: ends inside a quoted field (the copy looks cut off); expected an intact CSV file")
    if len(rows) > 1 and len(rows[-1]) < len(rows[0]):
        raise InputError(
            f"{name}: last row (row {len(rows)}) has {len(rows[-1])} of the header's {len(rows[0])} fields "
            "(the copy looks cut off); expected an intact CSV file"
        )


def _install(src: Path, target: Path, rel: str, entries: dict, *, accept_changes: bool) -> None:
    """Copy ``src`` beside ``target``, check it, and only then replace ``target``.

    The new file is refused (``target`` keeps its content) when it is empty, truncated or
    corrupt, or, unless ``accept_changes``, when the current file still matches the manifest
    and the new one is less than half its size. Other changes (a new vintage) are taken
    and reported by :class:`VintageChangedWarning`.
    """
    with atomic_path(target) as tmp:
        shutil.copyfile(src, tmp)
        check_raw_content(tmp, rel)
        old = entries.get(rel)
        if old is None or accept_changes or not target.is_file() or sha256_file(tmp) == old.get("sha256"):
            return
        if sha256_file(target) != old.get("sha256"):
            return  # the current file is already not the recorded one: nothing good to protect
        new_size, old_size = tmp.stat().st_size, int(old.get("size_bytes") or 0)
        if new_size < old_size / 2:
            raise InputError(
                f"{rel}: the new file ({new_size} bytes) is less than half the size of the current one, which matches "
                f"data/raw/MANIFEST ({old_size} bytes); kept the current file (a cut-off copy?). "
                "Pass --accept-changes to take it anyway"
            )


def fetch_url(
    url: str,
    target: Path,
    *,
    timeout: float = 60.0,
    retries: int = 4,
    backoff: float = 2.0,
    opener=urllib.request.urlopen,
) -> None:
    """Download ``url`` to ``target`` atomically, retrying with exponential backoff.

    The body must be gzip (Eurostat's compressed TSV); an HTML error page or an
    empty body is rejected with :class:`InputError`. Network failures after the
    last retry raise :class:`DataUnavailableError`.
    """
    last_error: Exception | None = None
    for attempt in range(retries + 1):
        try:
            with opener(url, timeout=timeout) as response:
                body = response.read()
            break
        except urllib.error.HTTPError as error:
            last_error = error
            if error.code in (400, 404, 410):
                raise DataUnavailableError(
                    f"{url}: HTTP {error.code}; the dataset code may be wrong or retired"
                ) from error
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            last_error = error
        if attempt < retries:
            delay = backoff * (2**attempt)
            log.warning("download of %s failed (%s); retrying in %.0f s", url, last_error, delay)
            time.sleep(delay)
    else:
        raise DataUnavailableError(
            f"cannot download {url} after {retries + 1} attempts ({last_error}); you seem to be offline: "
            "set LOCALISE_DATA_MIRROR to a local mirror, or run `localise data prepare` to use the SYNTHETIC demo"
        ) from last_error
    if body[:2] != b"\x1f\x8b":
        head = body[:200].decode("utf-8", "replace").strip().replace("\n", " ")
        raise InputError(f"{url}: response is not a gzip TSV (starts with {head[:80]!r}); expected Eurostat bulk data")
    with atomic_path(target) as tmp:
        tmp.write_bytes(body)
        check_raw_content(tmp, url)


def configured_mirror() -> Path | None:
    """``LOCALISE_DATA_MIRROR`` as a path (``None`` when unset); a wrong path is an error."""
    try:
        return paths.mirror_dir()
    except FileNotFoundError as error:
        raise DataUnavailableError(str(error)) from None


def network_available(timeout: float = 3.0) -> bool:
    """True when Eurostat's web server answers within ``timeout`` seconds."""
    try:
        with urllib.request.urlopen("https://ec.europa.eu/eurostat/", timeout=timeout):
            return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False


def fetch_all(
    *,
    mirror: Path | None = None,
    offline: bool = False,
    only: Iterable[str] | None = None,
    accept_changes: bool = False,
) -> list[FetchResult]:
    """Fetch every catalogue entry (or ``only`` these codes) into ``data/raw/``.

    Parameters
    ----------
    mirror
        Mirror folder; default ``LOCALISE_DATA_MIRROR``. With a mirror, datasets the
        mirror lacks (online-only codes) are skipped unless the network is used.
    offline
        Never use the network.
    only
        Restrict to these catalogue codes or governance source ids (``eqi``, ``rai``, ``lai``,
        ``imf_fd``, ``cws``); unknown codes raise :class:`InputError`.
    accept_changes
        Replace a raw file that matches the manifest by a new file less than half its
        size. Without it such a file is refused and the old one kept. Empty, truncated
        or corrupt new files are always refused.

    Returns
    -------
    list of FetchResult
    """
    mirror = _resolve_mirror(mirror)
    table = catalogue.datasets()
    governance = catalogue.governance_sources()
    only = None if only is None else list(only)
    wanted_governance = list(governance) if only is None else [c for c in only if c in governance]
    codes = list(table) if only is None else [catalogue.dataset(c).code for c in only if c not in governance]
    raw = paths.data_raw()
    raw.mkdir(parents=True, exist_ok=True)
    run = _FetchRun(mirror, raw, read_manifest(), accept_changes)
    try:
        for code in codes:
            run.eurostat(code, table[code], offline=offline)
        for key in wanted_governance:  # governance sources: mirror only
            for rel in governance[key]["files"]:
                if mirror is None:
                    run.results.append(FetchResult(rel, "mirror", "skipped", "governance sources come from a mirror"))
                else:
                    run.copy_once(rel, str(governance[key].get("vintage", "")))
        if mirror is not None and only is None:
            for item in catalogue.catalogue_files():
                run.copy_once(item["path"], item.get("vintage") or item.get("what", ""))
    finally:
        if run.entries:
            _write_manifest(run.entries)
    results = run.results
    for r in results:
        log.info("%-60s %s", r.path, r.status)
    n = {s: sum(r.status == s for r in results) for s in ("new", "unchanged", "changed", "skipped")}
    print(
        f"fetched {len(results) - n['skipped']} files into {raw} "
        f"({n['new']} new, {n['unchanged']} unchanged, {n['changed']} changed; {n['skipped']} skipped)"
    )
    return results


def _resolve_mirror(mirror: Path | None) -> Path | None:
    """The mirror to use: the given folder, else ``LOCALISE_DATA_MIRROR``; ``None`` when there is none."""
    if mirror is None:
        mirror = configured_mirror()
    elif not Path(mirror).is_dir():
        raise DataUnavailableError(
            f"--mirror {mirror}: not a directory; expected the folder holding eurostat/, nuts/ ..."
        )
    return Path(mirror).resolve() if mirror is not None else None


class _FetchRun:
    """State of one :func:`fetch_all`: the manifest entries being updated and the results so far."""

    def __init__(
        self, mirror: Path | None, raw: Path, entries: dict[str, dict[str, str]], accept_changes: bool
    ) -> None:
        self.mirror = mirror
        self.raw = raw
        self.entries = entries
        self.accept_changes = accept_changes
        self.settings = catalogue.load_catalogue()["online"]
        self.results: list[FetchResult] = []
        self.done: set[str] = set()

    def copy_once(self, rel: str, vintage: str) -> None:
        """Install ``rel`` from the mirror into ``data/raw/`` unless this run already did."""
        if rel in self.done:
            return
        assert self.mirror is not None  # called only when a mirror is configured
        src = self.mirror / rel
        if not src.is_file():
            raise DataUnavailableError(f"mirror file {src} is missing; expected it for the catalogue (layout: {rel})")
        target = self.raw / rel
        _install(src, target, rel, self.entries, accept_changes=self.accept_changes)
        status = _record(self.entries, rel, target, f"mirror:{rel}", vintage)
        self.results.append(FetchResult(rel, f"mirror:{rel}", status))
        self.done.add(rel)

    def eurostat(self, code: str, ds: catalogue.Dataset, *, offline: bool) -> None:
        """Fetch one Eurostat catalogue entry: from the mirror when there is one, else online (or skip it)."""
        rels = [r for r in (ds.mirror, ds.extract) if r]
        if self.mirror is not None and rels:
            for rel in rels:
                self.copy_once(rel, ds.vintage if rel == ds.mirror else _extract_vintage())
            return
        if offline or self.mirror is not None or not ds.online:
            note = "not in the mirror; online only" if self.mirror else ("offline" if offline else "mirror only")
            self.results.append(FetchResult(f"eurostat/{code}.tsv.gz", "online", "skipped", note))
            return
        rel = f"eurostat/{code}.tsv.gz"
        settings = self.settings
        url = settings["url_template"].format(code=code.lower())
        fetch_url(
            url,
            self.raw / rel,
            timeout=float(settings["timeout_seconds"]),
            retries=int(settings["retries"]),
            backoff=float(settings["backoff_seconds"]),
        )
        status = _record(self.entries, rel, self.raw / rel, url, f"online {_now()[:10]}")
        self.results.append(FetchResult(rel, url, status))


def _extract_vintage() -> str:
    return "2020-12 extract (andrea-ballatore/open-geo-data-education), no flags"


def verify_all_raw() -> int:
    """Check every raw file listed in ``data/raw/MANIFEST`` that is on disk; return how many were checked."""
    present = [rel for rel in read_manifest() if (paths.data_raw() / rel).is_file()]
    verify_manifest(present)
    return len(present)


def verify_manifest(rels: Iterable[str]) -> None:
    """Check that raw files match their manifest checksums.

    Raises
    ------
    InputError
        When a file's SHA-256 differs from ``data/raw/MANIFEST`` (a raw file was
        edited or corrupted after fetching): the message names the file and both sums.
    """
    entries = read_manifest()
    for rel in rels:
        entry = entries.get(rel)
        path = paths.data_raw() / rel
        if entry is None or not path.is_file():
            continue
        checksum = sha256_file(path)
        if checksum != entry["sha256"]:
            raise InputError(
                f"{path}: SHA-256 {checksum[:16]}... does not match data/raw/MANIFEST "
                f"({entry['sha256'][:16]}..., retrieved {entry['retrieved_utc']}); expected the fetched file "
                "unchanged -- re-run `localise data fetch`"
            )

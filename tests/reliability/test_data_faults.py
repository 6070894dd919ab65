"""Fault injection: the data layer under truncated downloads, edited raw files, bit flips and kills.

Uses the real data mirror (skipped without it). One fetch + build per session; each
test works on its own copy.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from faultkit import snapshot

from localise.data import build, processed
from localise.errors import InputError

pytestmark = [pytest.mark.mirror]


@pytest.fixture(scope="session")
def built_once(mirror_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("reliability-data")
    mp = pytest.MonkeyPatch()
    mp.setenv("LOCALISE_DATA_RAW", str(root / "raw"))
    mp.setenv("LOCALISE_DATA_PROCESSED", str(root / "processed"))
    mp.delenv("LOCALISE_DATA_MIRROR", raising=False)
    mp.delenv("LOCALISE_INPUTS_LOG", raising=False)
    assert build.prepare(mirror=mirror_dir) == 0  # fetch + build (NUTS 2016 and 2021)
    mp.undo()
    return root


@pytest.fixture
def work(built_once, tmp_path, monkeypatch):
    """Private copies of raw/ and processed/, and a mirror of symbolic links to the real one."""
    shutil.copytree(built_once / "raw", tmp_path / "raw")
    shutil.copytree(built_once / "processed", tmp_path / "processed")
    monkeypatch.setenv("LOCALISE_DATA_RAW", str(tmp_path / "raw"))
    monkeypatch.setenv("LOCALISE_DATA_PROCESSED", str(tmp_path / "processed"))
    monkeypatch.delenv("LOCALISE_DATA_MIRROR", raising=False)
    monkeypatch.delenv("LOCALISE_INPUTS_LOG", raising=False)
    return tmp_path


@pytest.fixture
def fake_mirror(work, mirror_dir):
    """A mirror whose files are links to the real mirror; a test replaces one by a broken file."""
    mirror = work / "mirror"
    for src in mirror_dir.rglob("*"):
        if src.is_file():
            target = mirror / src.relative_to(mirror_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(src)
    return mirror


def _replace(mirror: Path, rel: str, content: bytes) -> None:
    (mirror / rel).unlink()
    (mirror / rel).write_bytes(content)


# ----------------------------------------------------------------------------- fetch
def _cut_csv(data: bytes) -> bytes:
    return data[: len(data) * 2 // 3 + 7]


FETCH_FAULTS = {
    "empty-eurostat-gz": ("eurostat/tgs00107.tsv.gz", lambda d: b"", ["empty (0 bytes)"]),
    "truncated-eurostat-gz": ("eurostat/lfst_r_lfu3rt.tsv.gz", lambda d: d[: len(d) // 2], ["truncated or corrupt"]),
    "truncated-spi-csv": ("spi/eu_spi_2016_component_scores.csv", _cut_csv, ["fields", "cut off"]),
    "empty-eige-csv": ("eige/gender_equality_index_2013_2022_long.csv", lambda d: b"", ["empty (0 bytes)"]),
    "truncated-nuts-geojson-gz": (
        "nuts/geo/NUTS_RG_03M_2021_4326_LEVL_0.geojson.gz",
        lambda d: d[:-50],
        ["truncated or corrupt"],
    ),
    "truncated-governance-xlsx": (
        "governance/cws/CWS-data-2020.xlsx",
        lambda d: d[: len(d) // 3],
        ["truncated or corrupt"],
    ),
    "shrunk-nuts-csv-at-line-end": (
        "nuts/nuts_2021_regions_gisco_attributes.csv",
        lambda d: d[: d.index(b"\n", len(d) // 4) + 1],
        ["less than half the size"],
    ),
    "bad-xls-signature": (
        "nuts/nuts_changes_2010_2013.xls",
        lambda d: b"<html>error page</html>" + d[24:],
        ["bad signature"],
    ),
}


@pytest.mark.parametrize("fault", list(FETCH_FAULTS))
def test_fetch_keeps_the_good_raw_file(run, work, fake_mirror, fault):
    rel, damage, expect = FETCH_FAULTS[fault]
    _replace(fake_mirror, rel, damage((fake_mirror.parent / "raw" / rel).read_bytes()))
    before = snapshot(work / "raw")
    run.fails("data", "fetch", "--mirror", fake_mirror, expect=[rel, *expect])
    assert snapshot(work / "raw") == before


# ----------------------------------------------------------------------------- build: raw files against the manifest
@pytest.mark.parametrize(
    "rel",
    [
        "spi/eu_spi_2020_raw_indicators_regional.csv",
        "eige/gender_equality_index_2013_2022_long.csv",
        "nuts/nuts_changes_1999_2021_tidy_rOpenGov_regions.csv",
        "governance/lai/LAI_2014_aggregate.csv",
    ],
)
def test_build_refuses_a_raw_file_changed_after_fetch(run, work, rel):
    path = work / "raw" / rel
    data = path.read_bytes()
    position = data.index(b"1", len(data) // 2)
    path.write_bytes(data[:position] + b"2" + data[position + 1 :])  # one digit changed, file still valid
    run.fails("data", "build", expect=[rel, "does not match data/raw/MANIFEST", "localise data fetch"])


# ----------------------------------------------------------------------------- load: checksums
def test_forty_bit_flips_in_a_parquet_file_are_all_detected(work):
    from localise.data import load_regional_panel

    target = work / "processed" / "regional_panel_nuts2016.parquet"
    good = target.read_bytes()
    positions = [int(i * (len(good) - 1) / 39) for i in range(40)]
    detected = 0
    for position in positions:
        flipped = bytearray(good)
        flipped[position] ^= 1 << (position % 8)
        target.write_bytes(bytes(flipped))
        try:
            load_regional_panel(nuts_version=2016, allow_synthetic=False)
        except InputError as error:
            assert str(target) in str(error) and "recorded in build_metadata.json" in str(error)
            detected += 1
    target.write_bytes(good)
    assert detected == 40
    assert len(load_regional_panel(nuts_version=2016, allow_synthetic=False)) > 0


def test_a_file_from_another_build_is_detected(work):
    from localise.data import load_country_panel

    folder = work / "processed"
    (folder / "country_panel.parquet").write_bytes((folder / "eige.parquet").read_bytes())
    with pytest.raises(InputError, match=r"country_panel\.parquet: SHA-256 .* differs"):
        load_country_panel(allow_synthetic=False)


def test_governance_tables_are_verified_too(work):
    from localise.data import governance

    target = work / "processed" / "governance_country_year.parquet"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x10
    target.write_bytes(bytes(data))
    with pytest.raises(InputError, match="governance_country_year.parquet: SHA-256"):
        governance._read_processed("country_year")


def test_empty_processed_folder_is_said_on_stderr(work):
    folder = work / "processed"
    for path in folder.glob("*"):
        if path.is_file():
            path.unlink()
    code = "from localise.data import load_regional_panel; load_regional_panel()"
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, env={**os.environ}, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "regional_panel_nuts2016.parquet is missing" in result.stderr
    assert "SYNTHETIC" in result.stderr and "localise data prepare" in result.stderr


# ----------------------------------------------------------------------------- kills during data build
def _visible(folder: Path) -> dict[str, str]:
    return {k: v for k, v in snapshot(folder).items() if not k.startswith(".") and not k.startswith("demo")}


def _build_process(env: dict[str, str], slow_replace: bool) -> subprocess.Popen:
    code = (
        "import os, sys, time\n"
        + (
            "_r = os.replace\n"
            "def _slow(a, b):\n"
            "    time.sleep(0.3) if '.staging' in str(a) else None\n"
            "    return _r(a, b)\n"
            "os.replace = _slow\n"
            if slow_replace
            else ""
        )
        + "from localise.cli import main\n"
        "sys.exit(main(['data', 'build', '--nuts-version', '2016']))\n"
    )
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _kill_when(proc: subprocess.Popen, condition, timeout: float = 400) -> bool:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc.poll() is not None:
            return False
        if condition():
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    raise AssertionError("the build neither reached the kill point nor finished")


@pytest.mark.slow
def test_kill_9_during_data_build_leaves_the_old_or_the_new_complete_build(work):
    """Old build: NUTS 2016 + 2021. New build: NUTS 2016 only, from a revised EIGE file (other content)."""
    from localise.atomic import sha256_file
    from localise.data import fetch, load_eige

    folder = work / "processed"
    env = {**os.environ}
    old = _visible(folder)
    rel = "eige/gender_equality_index_2013_2022_long.csv"  # a revised raw file, fetched properly
    raw = work / "raw" / rel
    data = raw.read_bytes()
    position = data.index(b"5", len(data) // 2)
    raw.write_bytes(data[:position] + b"6" + data[position + 1 :])
    entries = fetch.read_manifest()
    entries[rel].update(sha256=sha256_file(raw), size_bytes=str(raw.stat().st_size))
    fetch._write_manifest(entries)
    # the new complete state, from an uninterrupted build on a copy
    reference = work / "reference"
    shutil.copytree(folder, reference)
    done = subprocess.run(
        [sys.executable, "-m", "localise.cli", "data", "build", "--nuts-version", "2016"],
        env={**env, "LOCALISE_DATA_PROCESSED": str(reference)},
        capture_output=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    new = _visible(reference)
    assert "regional_panel_nuts2021.parquet" not in new and new["eige.parquet"] != old["eige.parquet"]
    old_copy = work / "processed_old"
    shutil.copytree(folder, old_copy)
    points = {
        "while staging": (False, lambda: any(folder.glob(".staging-*/country_panel.parquet")), "old"),
        "after the commit point, during the renames": (
            True,
            lambda: (
                (folder / processed.JOURNAL).exists()
                and not any(folder.glob(".staging-*/regional_panel_nuts2016.parquet"))
            ),
            "new",
        ),
    }
    for name, (slow, condition, expected) in points.items():
        shutil.rmtree(folder)
        shutil.copytree(old_copy, folder)
        proc = _build_process(env, slow)
        assert _kill_when(proc, condition), f"{name}: the build ended before the kill"
        if expected == "new":  # the kill fell in the middle of the renames: some files moved, not all
            assert (folder / processed.JOURNAL).exists()
            assert any(folder.glob(".staging-*/build_metadata.json"))
        eige = load_eige(allow_synthetic=False)  # a load recovers first: never a mixed read
        state = _visible(folder)
        assert eige.attrs["synthetic"] is False
        assert state == (old if expected == "old" else new), f"{name}: mixed state after kill -9"
        if expected == "old":  # a killed build's staging folder is left to the next build, which discards it
            assert processed.recover(folder, discard=True) == "discarded"
        assert not any(folder.glob(".staging-*")) and not (folder / processed.JOURNAL).exists()
        meta = json.loads((folder / "build_metadata.json").read_text())
        assert {f: c for f, c in state.items() if f != "build_metadata.json"} == meta["checksums"]


def test_kill_9_before_staging_changes_nothing(work):
    folder = work / "processed"
    before = snapshot(folder)
    proc = _build_process({**os.environ}, False)
    time.sleep(1.0)
    assert proc.poll() is None
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    processed.recover(folder, discard=True)
    assert snapshot(folder) == before


def test_a_build_without_checksums_is_said_not_verified(work):
    from localise.data import load_eige

    meta_path = work / "processed" / "build_metadata.json"
    meta = json.loads(meta_path.read_text())
    meta.pop("checksums")
    meta_path.write_text(json.dumps(meta))
    with pytest.warns(UserWarning, match="records no checksums.*localise data build"):
        assert len(load_eige(allow_synthetic=False)) > 0


def test_a_load_during_a_build_leaves_the_build_alone(work):
    from localise.data import load_eige

    staging = work / "processed" / f".staging-{os.getpid()}"  # a build of a living process is writing here
    staging.mkdir()
    (staging / "eige.parquet").write_bytes(b"half-written")
    assert len(load_eige(allow_synthetic=False)) > 0
    assert (staging / "eige.parquet").read_bytes() == b"half-written"
    assert processed.recover(work / "processed", discard=True) == "clean"  # its process is alive

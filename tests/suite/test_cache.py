"""Incremental runs: what an earlier run lets the runner reuse, and what invalidates it.

Most tests replace the notebook executor by a stand-in that writes the same files a
real execution writes (executed notebook, HTML, a table in the output folder, the
inputs it read) and counts its calls, so that they check the caching logic quickly.
One test runs real notebooks through papermill twice.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from suite_helpers import make_suite, write_notebook

from localise.atomic import sha256_file
from localise.cli import main
from localise.suite import cache, runner
from localise.suite.registry import build_plan
from localise.suite.runner import run_suite

CACHE_REGISTRY = """
notebooks:
  10_ok:
    notebook: 10_ok.ipynb
    parameters: {name: first}
  40_independent:
    notebook: 40_independent.ipynb
    after: [10_ok]
  30_dependent:
    notebook: 30_dependent.ipynb
  20_fail:
    notebook: 20_fail.ipynb
"""

EVERYTHING = ["10_ok", "40_independent", "30_dependent", "20_fail"]


def _fake_execute(calls: list[str]):
    """An executor that writes what a real one writes, without a kernel; fails for 20_fail."""

    def execute(task: dict[str, Any]) -> dict[str, Any]:
        calls.append(task["output"])
        run_dir = Path(task["run_dir"])
        output = task["output"]
        (run_dir / f"{output}.ipynb").write_text(json.dumps({"executed": output, "run": run_dir.name}))
        if task.get("html", True):
            (run_dir / f"{output}.html").write_text(f"<p>{output}</p>")
        (run_dir / output).mkdir(exist_ok=True)
        (run_dir / output / "table.csv").write_text(f"output,x\n{output},{task['parameters'].get('x', 1)}\n")
        inputs = []
        if output.startswith("10_ok"):  # reads the data file, like the real 10_ok
            data = Path(task["notebook"]).parent.parent / "data" / "input.csv"
            inputs.append({"path": str(data), "sha256": sha256_file(data), "synthetic": False, "role": "data"})
        failed = "fail" in output
        return {
            "output": output,
            "notebook": Path(task["notebook"]).name,
            "status": "failed" if failed else "ok",
            "error": {"ename": "ValueError", "evalue": "planted"} if failed else None,
            "duration_s": 1.0,
            "inputs": inputs,
        }

    return execute


@pytest.fixture()
def suite(tmp_path, monkeypatch):
    """A small suite with a stand-in executor; returns (registry, reports, data dir, calls)."""
    calls: list[str] = []
    monkeypatch.setattr(runner, "execute", _fake_execute(calls))
    monkeypatch.setenv("LOCALISE_DATA_PROCESSED", str(tmp_path / "processed"))
    registry = make_suite(tmp_path / "notebooks", CACHE_REGISTRY, tmp_path / "data")
    return registry, tmp_path / "reports", tmp_path / "data", calls


def _run(registry: Path, reports: Path, calls: list[str], **options: Any) -> tuple[list[str], dict[str, Any]]:
    """Run the suite serially; return the outputs executed this time and the manifest."""
    calls.clear()
    overrides = options.pop("overrides", None)
    result = run_suite(
        build_plan(registry, overrides=overrides),
        workers=1,
        reports=reports,
        progress=False,
        html_output=False,
        **options,
    )
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    return list(calls), manifest


def _records(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {record["output"]: record for record in manifest["notebooks"]}


def test_second_run_reuses_every_successful_execution(suite):
    registry, reports, _, calls = suite
    executed, first = _run(registry, reports, calls)
    assert sorted(executed) == sorted(EVERYTHING)
    executed, second = _run(registry, reports, calls)
    assert executed == ["20_fail"]  # a failed execution is never reused
    records = _records(second)
    for output in ("10_ok", "40_independent", "30_dependent"):
        assert records[output]["status"] == "ok"
        assert records[output]["cached"] is True
        assert records[output]["cached_from"] == first["run_id"]
        old, new = Path(reports, first["run_id"]), Path(reports, second["run_id"])
        for entry in records[output]["outputs"]:
            assert (new / entry["path"]).read_bytes() == (old / entry["path"]).read_bytes()
            assert sha256_file(new / entry["path"]) == entry["sha256"]
        assert os.path.samefile(old / "10_ok" / "table.csv", new / "10_ok" / "table.csv")  # hard link
    assert records["20_fail"]["status"] == "failed" and not records["20_fail"].get("cached")
    # a third run still names the run where the notebook was executed
    _, third = _run(registry, reports, calls)
    assert _records(third)["10_ok"]["cached_from"] == first["run_id"]


def test_notebook_edit_invalidates_it_and_its_dependents_only(suite):
    registry, reports, data, calls = suite
    _run(registry, reports, calls)
    params = f'x = 1\nname = "a"\nitems = [1, 2]\nratio = 0.5\ndata_dir = "{data}"'
    write_notebook(registry.parent / "10_ok.ipynb", params, "print('edited')")
    executed, manifest = _run(registry, reports, calls)
    assert sorted(executed) == ["10_ok", "20_fail", "40_independent"]
    assert _records(manifest)["30_dependent"]["cached"] is True


def test_unrelated_edit_leaves_upstream_and_dependent_cached(suite):
    registry, reports, _, calls = suite
    _run(registry, reports, calls)
    write_notebook(registry.parent / "30_dependent.ipynb", "x = 1", "print(x + 1)")
    executed, _ = _run(registry, reports, calls)
    assert sorted(executed) == ["20_fail", "30_dependent"]


def test_parameter_change_invalidates(suite):
    registry, reports, _, calls = suite
    _run(registry, reports, calls)
    executed, _ = _run(registry, reports, calls, overrides={"ratio": 0.25})
    assert sorted(executed) == ["10_ok", "20_fail", "40_independent"]  # 40 runs after 10_ok


def test_input_data_change_invalidates_the_reader_and_its_dependents(suite):
    registry, reports, data, calls = suite
    _run(registry, reports, calls)
    (data / "input.csv").write_text("a,b\n1,2\n3,5\n", encoding="utf-8")
    executed, _ = _run(registry, reports, calls)
    assert sorted(executed) == ["10_ok", "20_fail", "40_independent"]
    executed, _ = _run(registry, reports, calls)  # and the new result is reused in turn
    assert executed == ["20_fail"]


def test_code_change_invalidates_everything(suite, monkeypatch):
    registry, reports, _, calls = suite
    _run(registry, reports, calls)
    monkeypatch.setattr(cache, "code_fingerprint", lambda: "another version of the package source")
    executed, _ = _run(registry, reports, calls)
    assert sorted(executed) == sorted(EVERYTHING)


def test_new_processed_data_invalidates_everything(suite, tmp_path):
    """A notebook that fell back to the demo data must run again once the real data exist."""
    registry, reports, _, calls = suite
    _run(registry, reports, calls)
    (tmp_path / "processed" / "demo").mkdir(parents=True)
    (tmp_path / "processed" / "demo" / "regional_panel_demo.parquet").write_bytes(b"generated on demand")
    executed, _ = _run(registry, reports, calls)
    assert executed == ["20_fail"]  # the demo folder appearing changes nothing
    (tmp_path / "processed" / "regional_panel.parquet").write_bytes(b"not read by the stand-in")
    executed, _ = _run(registry, reports, calls)
    assert sorted(executed) == sorted(EVERYTHING)


def test_code_fingerprint_follows_python_files(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "a.py").write_text("x = 1\n")
    (package / "sub" / "b.py").write_text("y = 2\n")
    before = cache.code_fingerprint(package)
    (package / "notes.txt").write_text("not code")
    assert cache.code_fingerprint(package) == before
    (package / "sub" / "b.py").write_text("y = 3\n")
    assert cache.code_fingerprint(package) != before


def test_force_all_and_force_by_name(suite):
    registry, reports, _, calls = suite
    _run(registry, reports, calls)
    executed, _ = _run(registry, reports, calls, force=True)
    assert sorted(executed) == sorted(EVERYTHING)
    executed, manifest = _run(registry, reports, calls, force=["30_dependent"])
    assert sorted(executed) == ["20_fail", "30_dependent"]
    assert not _records(manifest)["30_dependent"].get("cached")
    # re-executing an upstream notebook that reads the same inputs leaves its dependents reusable
    executed, _ = _run(registry, reports, calls, force=["10_ok"])
    assert sorted(executed) == ["10_ok", "20_fail"]


def test_force_through_the_command_line(suite, capsys):
    registry, reports, _, calls = suite
    arguments = ["run", "--registry", str(registry), "--reports", str(reports), "--workers", "1", "--no-html"]
    main(arguments)
    calls.clear()
    main(arguments + ["--force", "30_dependent", "--force", "10_ok"])
    assert sorted(calls) == ["10_ok", "20_fail", "30_dependent"]
    calls.clear()
    main(arguments + ["--force"])
    assert sorted(calls) == sorted(EVERYTHING)
    calls.clear()
    assert main(arguments + ["--force", "no_such_notebook"]) == 2
    assert calls == []


def test_interrupted_or_incomplete_runs_are_never_reused(suite):
    registry, reports, _, calls = suite
    _, first = _run(registry, reports, calls)
    manifest_path = reports / first["run_id"] / "manifest.json"
    manifest_path.write_text(json.dumps({**first, "status": "interrupted"}))
    executed, _ = _run(registry, reports, calls)
    assert sorted(executed) == sorted(EVERYTHING)


def test_missing_output_file_prevents_reuse(suite):
    registry, reports, _, calls = suite
    _, first = _run(registry, reports, calls)
    (reports / first["run_id"] / "30_dependent" / "table.csv").unlink()
    executed, _ = _run(registry, reports, calls)
    assert sorted(executed) == ["20_fail", "30_dependent"]


@pytest.mark.notebooks
def test_real_notebooks_rerun_from_cache_with_marks_on_the_site(tmp_path):
    registry = make_suite(
        tmp_path / "notebooks",
        """
notebooks:
  10_ok:
    notebook: 10_ok.ipynb
    parameters: {name: first}
  40_independent:
    notebook: 40_independent.ipynb
    after: [10_ok]
""",
        tmp_path / "data",
    )
    first = run_suite(build_plan(registry), workers=1, reports=tmp_path / "r", progress=False)
    second = run_suite(build_plan(registry), workers=1, reports=tmp_path / "r", progress=False)
    assert first.ok and second.ok
    assert all(record.get("cached") and record["cached_from"] == first.run_id for record in second.records)
    for name in ("10_ok.ipynb", "10_ok.html", "10_ok/table_first.csv", "40_independent.ipynb"):
        assert (second.run_dir / name).read_bytes() == (first.run_dir / name).read_bytes()
    page = (second.run_dir / "site" / "index.html").read_text(encoding="utf-8")
    assert f"cached from <code>{first.run_id}</code>" in page
    assert "cached from" not in (first.run_dir / "site" / "index.html").read_text(encoding="utf-8")


def test_result_key_is_the_same_for_a_fresh_and_a_manifest_record():
    """A worker's record holds absolute input paths; the manifest holds project-relative ones.

    Dependents of a reused notebook must see the same upstream key as dependents of the
    execution it came from (otherwise every dependent re-executes once after a reuse).
    """
    from localise import paths

    relative = "data/processed/country_panel.parquet"
    fresh = {"cache_key": "k", "inputs": [{"path": str(paths.PROJECT_ROOT / relative), "sha256": "abc"}]}
    from_manifest = {"cache_key": "k", "inputs": [{"path": relative, "sha256": "abc"}]}
    assert cache.result_key(fresh) == cache.result_key(from_manifest)
    changed = {"cache_key": "k", "inputs": [{"path": relative, "sha256": "abd"}]}
    assert cache.result_key(changed) != cache.result_key(from_manifest)


def test_data_settings_naming_the_same_folder_give_the_same_key(tmp_path, monkeypatch):
    mirror = tmp_path / "shared" / "data"
    mirror.mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "shared")
    monkeypatch.setenv("LOCALISE_DATA_MIRROR", str(mirror))
    direct = cache.data_state()
    monkeypatch.setenv("LOCALISE_DATA_MIRROR", str(tmp_path / "link" / "data"))
    assert cache.data_state() == direct
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOCALISE_DATA_MIRROR", "shared/data/")
    assert cache.data_state() == direct
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.setenv("LOCALISE_DATA_MIRROR", str(other))
    assert cache.data_state() != direct
    monkeypatch.setenv("LOCALISE_DATA_MIRROR", "")
    empty = cache.data_state()
    monkeypatch.delenv("LOCALISE_DATA_MIRROR")
    assert cache.data_state() == empty != direct

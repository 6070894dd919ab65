"""Incremental builds of the report site: what the build cache reuses, rebuilds and throws away.

Run folders are written by hand (a manifest and executed notebooks, no kernel), and
their sites built one after the other in one reports folder, as successive runs would.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from localise.suite.site import CACHE_DIR, build_site, publish_site

pytestmark = pytest.mark.slow  # each build runs Sphinx


def _png(colour: str) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def _executed(path: Path, title: str, text: str, colour: str) -> None:
    figure = new_code_cell("plot()", execution_count=1)
    figure.outputs = [new_output("display_data", data={"image/png": _png(colour), "text/plain": "<Figure>"})]
    notebook = new_notebook(cells=[new_markdown_cell(f"# {title}\n\n{text}"), figure])
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{index:02d}"
    nbformat.write(notebook, path)


def _record(output: str, **extra) -> dict:
    return {
        "output": output,
        "notebook": f"{output}.ipynb",
        "status": "ok",
        "duration_s": 1.5,
        "parameters": {},
        "outputs": [],
        "inputs": [],
        "section": "tutorial",
        "description": f"About {output}.",
        **extra,
    }


def _run(reports: Path, run_id: str, texts: dict[str, str], cached: set[str] = frozenset()) -> Path:
    """A finished run folder: one executed notebook per entry of ``texts`` (output name -> text)."""
    run_dir = reports / run_id
    run_dir.mkdir(parents=True)
    records = []
    for output, text in texts.items():
        _executed(run_dir / f"{output}.ipynb", f"Notebook {output}", text, "red" if "red" in text else "blue")
        marks = (
            {"cached": True, "cached_from": "20260101T000000Z", "executed_duration_s": 3.0}
            if (output in cached)
            else {}
        )
        records.append(_record(output, **marks))
    manifest = {
        "run_id": run_id,
        "status": "ok",
        "started": "2026-12-02T09:00:00+00:00",
        "wall_time_s": 2.0,
        "git": {"commit": "abc"},
        "notebooks": records,
    }
    (run_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return run_dir


@pytest.fixture
def methods(tmp_path):
    folder = tmp_path / "methods"
    folder.mkdir()
    (folder / "qca.md").write_text("# QCA\n\nPlaceholder.\n", encoding="utf-8")
    return folder


def _page(run_dir: Path, output: str) -> str:
    return (run_dir / "site" / "notebooks" / f"{output}.html").read_text(encoding="utf-8")


def _mtime(path: Path) -> int:
    return path.stat().st_mtime_ns


def test_second_build_reuses_unchanged_pages_and_rebuilds_changed_ones(tmp_path, methods):
    reports = tmp_path / "reports"
    first = _run(reports, "20261202T090000Z", {"10_alpha": "Alpha text.", "20_beta": "Beta text blue."})
    result = build_site(first, methods_dir=methods)
    assert result.ok, result
    cache = reports / CACHE_DIR
    html = cache / "html"
    alpha_source = _mtime(cache / "src" / "notebooks" / "10_alpha.ipynb")
    alpha_html, beta_html = _mtime(html / "notebooks" / "10_alpha.html"), _mtime(html / "notebooks" / "20_beta.html")

    # alpha's execution is reused (new time and cached mark, same page): Sphinx neither reads nor writes it again
    texts = {"10_alpha": "Alpha text.", "20_beta": "Beta text red, edited."}
    second = _run(reports, "20261202T100000Z", texts, cached={"10_alpha"})
    assert build_site(second, methods_dir=methods).ok
    assert _mtime(cache / "src" / "notebooks" / "10_alpha.ipynb") == alpha_source
    assert _mtime(html / "notebooks" / "10_alpha.html") == alpha_html
    assert _mtime(html / "notebooks" / "20_beta.html") != beta_html
    # nothing changed at all: Sphinx is not run, the cached HTML is copied with this run's facts
    landing = _mtime(html / "index.html")
    third = _run(reports, "20261202T110000Z", texts, cached={"10_alpha", "20_beta"})
    assert build_site(third, methods_dir=methods).ok
    assert _mtime(html / "index.html") == landing

    assert "Beta text blue." in _page(first, "20_beta") and "Beta text red, edited." in _page(second, "20_beta")
    for run_dir in (first, second, third):
        for output in ("10_alpha", "20_beta"):
            page = _page(run_dir, output)
            assert f"<code>{run_dir.name}</code>" in page and "TOKEN" not in page
            assert f"localise run {run_dir.name}" in page
    assert "cached from" not in _page(first, "10_alpha") and "1.5 s" in _page(first, "10_alpha")
    assert "cached from" in _page(second, "10_alpha") and "cached from" not in _page(second, "20_beta")
    assert "cached from" in _page(third, "20_beta")
    # a reused execution shows the time it took where it was executed, not this run's 0 s
    assert "executed in 3.0 s" in _page(second, "10_alpha") and "executed in" not in _page(second, "20_beta")
    cards = re.findall(r'<div class="nb-card.*?</div></div>', (third / "site" / "index.html").read_text(), flags=re.S)
    assert len(cards) == 2 and all("cached from" in card for card in cards)
    thumbs = [(run_dir / "site" / "_static" / "thumbs" / "20_beta.png").read_bytes() for run_dir in (first, second)]
    assert thumbs[0] != thumbs[1]
    assert not list(reports.glob("*/.site*")) and not (first / ".site-build").exists()


def test_landing_page_always_shows_the_current_run(tmp_path, methods):
    reports = tmp_path / "reports"
    texts = {"10_alpha": "Alpha text."}
    for run_id in ("20261202T090000Z", "20261202T100000Z"):
        run_dir = _run(reports, run_id, texts)
        assert publish_site(run_dir, methods_dir=methods).ok
        landing = (run_dir / "site" / "index.html").read_text(encoding="utf-8")
        assert f"run {run_id}" in landing and "TOKEN" not in landing.upper()
        assert "Started 2026-12-02T09:00:00+00:00, 2 s; commit <code>abc</code>" in landing
        assert re.findall(r"\d{8}T\d{6}Z", landing) and set(re.findall(r"\d{8}T\d{6}Z", landing)) == {run_id}
        search = (run_dir / "site" / "searchindex.js").read_text(encoding="utf-8")
        assert "token" not in search.lower() and f'"{run_id.lower()}":' in search


def test_a_broken_or_unfinished_cache_gives_a_clean_build(tmp_path, methods):
    reports = tmp_path / "reports"
    texts = {"10_alpha": "Alpha text."}
    assert build_site(_run(reports, "20261202T090000Z", texts), methods_dir=methods).ok
    cache = reports / CACHE_DIR
    planted = cache / "html" / "planted.txt"
    planted.write_text("left by an interrupted build", encoding="utf-8")
    (cache / "state.json").unlink()  # as a build that never finished leaves it
    run_dir = _run(reports, "20261202T100000Z", texts)
    assert build_site(run_dir, methods_dir=methods).ok
    assert not planted.exists() and not (run_dir / "site" / "planted.txt").exists()

    (cache / "doctrees" / "environment.pickle").write_bytes(b"not a pickle")
    (cache / "src" / "other").mkdir()
    (cache / "src" / "other" / "broken.ipynb").write_text("{not json", encoding="utf-8")  # Sphinx fails on it
    run_dir = _run(reports, "20261202T110000Z", texts)
    result = build_site(run_dir, methods_dir=methods)
    assert result.ok, result
    assert "Alpha text." in _page(run_dir, "10_alpha")


def test_failed_build_keeps_the_earlier_site_and_leaves_no_partial_one(tmp_path, methods, monkeypatch):
    reports = tmp_path / "reports"
    run_dir = _run(reports, "20261202T090000Z", {"10_alpha": "Alpha text."})
    assert build_site(run_dir, methods_dir=methods).ok
    before = _page(run_dir, "10_alpha")
    _executed(run_dir / "10_alpha.ipynb", "Notebook 10_alpha", "Alpha text, edited.", "blue")  # Sphinx must run
    monkeypatch.setattr("localise.suite.site.sys.executable", str(tmp_path / "no-python"))
    result = build_site(run_dir, methods_dir=methods)
    assert not result.ok
    assert _page(run_dir, "10_alpha") == before
    assert sorted(p.name for p in run_dir.iterdir() if p.name.startswith(".")) == []
    assert not (reports / CACHE_DIR / "state.json").exists()  # the next build starts afresh


def test_clean_build_on_request(tmp_path, methods, monkeypatch):
    reports = tmp_path / "reports"
    texts = {"10_alpha": "Alpha text."}
    assert build_site(_run(reports, "20261202T090000Z", texts), methods_dir=methods).ok
    planted = reports / CACHE_DIR / "html" / "planted.txt"
    planted.write_text("x", encoding="utf-8")
    monkeypatch.setenv("LOCALISE_SITE_CLEAN", "1")
    assert build_site(_run(reports, "20261202T100000Z", texts), methods_dir=methods).ok
    assert not planted.exists()


def test_a_held_cache_is_left_alone(tmp_path, methods, monkeypatch):
    import fcntl

    reports = tmp_path / "reports"
    cache = reports / CACHE_DIR
    cache.mkdir(parents=True)
    monkeypatch.setattr("localise.suite.site._LOCK_WAIT_S", 0.1)
    with (cache / "lock").open("a+b") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        run_dir = _run(reports, "20261202T090000Z", {"10_alpha": "Alpha text."})
        result = build_site(run_dir, methods_dir=methods)
    assert result.ok, result
    assert "Alpha text." in _page(run_dir, "10_alpha")
    assert sorted(os.listdir(cache)) == ["lock"] and not (run_dir / ".site-build").exists()
    shutil.rmtree(reports)


def test_site_command_refuses_a_folder_without_manifest_and_an_unclear_clean_setting(tmp_path, monkeypatch, capsys):
    from localise.suite.site import main

    with pytest.raises(SystemExit) as stop:
        main([str(tmp_path / "missing")])
    assert stop.value.code == 2 and "not a run folder" in capsys.readouterr().err
    run_dir = tmp_path / "reports" / "20261202T090000Z"
    run_dir.mkdir(parents=True)
    (run_dir / "manifest.json").write_text("{}", encoding="utf-8")
    monkeypatch.setenv("LOCALISE_SITE_CLEAN", "maybe")
    with pytest.raises(SystemExit) as stop:
        main([str(run_dir)])
    assert stop.value.code == 2 and "LOCALISE_SITE_CLEAN='maybe'" in capsys.readouterr().err
    assert not (run_dir / "site").exists() and not (tmp_path / "reports" / CACHE_DIR).exists()

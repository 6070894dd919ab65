"""Figures inline in executed notebooks, and the report site of a run (Sphinx + MyST-NB).

One small suite is run once: two runs of a notebook that saves figures (one from
data marked synthetic), a notebook on "real" data, a failing notebook and one that
is skipped because of it. The site is then read as HTML, and opened in a real
headless Chromium when one is installed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from suite_helpers import write_notebook

from localise.suite.registry import build_plan
from localise.suite.runner import run_suite
from localise.suite.site import notebook_images, publish_site
from localise.suite.sitecheck import chromium_paths

pytestmark = pytest.mark.notebooks

FIGURES = """
import matplotlib.pyplot as plt
import pandas as pd
from localise import provenance, report
provenance.record_input(data_file, synthetic=synthetic)
fig, ax = plt.subplots(figsize=(4, 3))
ax.plot([0, 1, 2, 3], [1, 3, 2, 4])
ax.set_title("a line")
files = report.save_figure(fig, f"line_{name}")
plt.close(fig)  # a notebook that closes its figure must not lose it
"""

SYNTHETIC_FIGURE = """
frame = pd.DataFrame({"x": [1, 2, 3]})
frame.attrs["synthetic"] = synthetic
fig, ax = plt.subplots(figsize=(4, 3))
ax.bar(["a", "b", "c"], frame["x"])
report.save_figure(fig, "bars", data=frame)
plt.show()  # must not show it a second time
"""

UNSAVED_FIGURE = """
plt.figure(figsize=(3, 2))
plt.plot([1, 2], [2, 1])
"""

REAL_TABLE = """
import pandas as pd
from localise import provenance, report
provenance.record_input(data_file)
report.save_table(pd.DataFrame({"a": [1, 2]}), "counts", latex=False)
"""

REGISTRY = """
notebooks:
  10_figures:
    notebook: 10_figures.ipynb
    description: "Saves figures, one of them from synthetic data."
    section: tutorial
    runs:
      - {name: a}
      - {name: b}
  20_fail:
    notebook: 20_fail.ipynb
    description: "Fails on purpose."
    section: models
  30_dependent:
    notebook: 30_dependent.ipynb
    after: [20_fail]
    description: "Runs after the failing one."
    section: models
  40_real:
    notebook: 40_real.ipynb
    description: "Reads a real data file and saves a table."
    section: data
"""

METHODS_PAGE = "# Qualitative Comparative Analysis\n\nPlaceholder.\n\n## Calibration\n\nPlaceholder.\n"


@pytest.fixture(scope="module")
def site_run(tmp_path_factory):
    """A finished run of the small suite with its site built."""
    root = tmp_path_factory.mktemp("site")
    folder = root / "notebooks"
    folder.mkdir()
    data_file = root / "input.csv"
    data_file.write_text("a\n1\n", encoding="utf-8")
    parameters = f'name = "a"\nsynthetic = True\ndata_file = "{data_file}"'
    notebook = write_notebook(folder / "10_figures.ipynb", parameters, FIGURES, SYNTHETIC_FIGURE, UNSAVED_FIGURE)
    document = json.loads(notebook.read_text())
    document["cells"][0]["source"] = "# Figures inline\n\nSee the [calibration](../docs/methods/qca.md#calibration)."
    notebook.write_text(json.dumps(document))
    write_notebook(folder / "20_fail.ipynb", "x = 1", "raise ValueError('planted failure')")
    write_notebook(folder / "30_dependent.ipynb", "x = 1", "print(x)")
    write_notebook(folder / "40_real.ipynb", f'data_file = "{data_file}"', REAL_TABLE)
    (folder / "suite.yml").write_text(REGISTRY, encoding="utf-8")
    methods = root / "docs" / "methods"
    methods.mkdir(parents=True)
    (methods / "qca.md").write_text(METHODS_PAGE, encoding="utf-8")
    previous = os.environ.get("LOCALISE_METHODS_DIR")
    os.environ["LOCALISE_METHODS_DIR"] = str(methods)
    try:
        result = run_suite(build_plan(folder / "suite.yml"), workers=2, reports=root / "reports", progress=False)
    finally:
        if previous is None:
            os.environ.pop("LOCALISE_METHODS_DIR", None)
        else:
            os.environ["LOCALISE_METHODS_DIR"] = previous
    return result


def _read(result, page: str) -> str:
    return (result.run_dir / "site" / page).read_text(encoding="utf-8")


def test_every_figure_is_shown_once_in_the_executed_notebook(site_run):
    images = notebook_images(site_run.run_dir / "10_figures__name-a.ipynb")
    cells = [cell for cell, _ in images]
    # 0 title, 1 parameters, 2 injected parameters, 3 saved then closed, 4 saved then plt.show(), 5 never saved
    assert cells == [3, 4, 5], images
    assert all(mime == "image/png" for _, mime in images)


def test_saved_figures_are_byte_identical_across_kernels_and_outside_them(site_run, tmp_path, monkeypatch):
    run_dir = site_run.run_dir
    for suffix in ("png", "svg"):
        first = (run_dir / "10_figures__name-a" / f"line_a.{suffix}").read_bytes()
        assert first == (run_dir / "10_figures__name-b" / f"line_b.{suffix}").read_bytes()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from localise import report

    monkeypatch.setenv("LOCALISE_RUN_OUTPUT", str(tmp_path))
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1, 2, 3], [1, 3, 2, 4])
    ax.set_title("a line")
    written = report.save_figure(fig, "line_here")
    plt.close(fig)
    assert written[0].read_bytes() == (run_dir / "10_figures__name-a" / "line_a.png").read_bytes()
    assert written[1].read_bytes() == (run_dir / "10_figures__name-a" / "line_a.svg").read_bytes()


def test_run_index_redirects_to_the_site(site_run):
    assert site_run.site is not None and site_run.site.ok, site_run.site
    index = (site_run.run_dir / "index.html").read_text()
    assert "url=site/index.html" in index
    assert (site_run.run_dir / "site" / "index.html").is_file()


def test_landing_page_lists_sections_titles_status_and_thumbnails(site_run):
    landing = _read(site_run, "index.html")
    headings = re.findall(r"<h2>(.*?)<a", landing)
    assert headings[:3] == ["Tutorial", "Data and context", "Models"], headings
    assert "Figures inline (name a)" in landing and "Figures inline (name b)" in landing
    assert "Saves figures, one of them from synthetic data." in landing
    assert 'status-failed">failed' in landing and "planted failure" in landing
    assert 'status-skipped">skipped' in landing and "dependency did not succeed" in landing
    thumbs = re.findall(r'<img src="(_static/thumbs/[^"]+)"', landing)
    assert sorted(thumbs) == ["_static/thumbs/10_figures__name-a.png", "_static/thumbs/10_figures__name-b.png"]
    assert all((site_run.run_dir / "site" / thumb).is_file() for thumb in thumbs)
    assert "Qualitative Comparative Analysis" in landing  # methods pages are part of the site


def test_synthetic_marks_are_per_notebook_never_for_the_run(site_run):
    landing = _read(site_run, "index.html")
    cards = re.findall(r'<div class="nb-card.*?</div></div>', landing, flags=re.S)
    marked = {re.search(r'nb-title"[^>]*>([^<]+)<', card).group(1) for card in cards if "mark-synthetic" in card}
    assert marked == {"Figures inline (name a)", "Figures inline (name b)"}
    real = _read(site_run, "notebooks/40_real.html")
    assert "mark-synthetic" not in real and "SYNTHETIC data." not in real


def test_notebook_page_has_title_parameters_outputs_marks_and_way_back(site_run):
    page = _read(site_run, "notebooks/10_figures__name-a.html")
    assert re.search(r"<title>Figures inline \(name a\)", page)
    assert re.search(r"<code>name</code></td><td><code>'a'</code></td><td>set by the run", page)
    assert 'href="../index.html"' in page  # back to the landing page
    links = re.findall(r'href="(\.\./\.\./10_figures__name-a/[^"]+)"', page)
    assert {Path(link).name for link in links} == {
        "line_a.png",
        "line_a.svg",
        "bars_SYNTHETIC.png",
        "bars_SYNTHETIC.svg",
    }
    for link in links:
        assert (site_run.run_dir / "site" / "notebooks" / link).resolve().is_file()
    synthetic_item = re.search(r"<li><code>bars_SYNTHETIC</code>.*?</li>", page).group(0)
    plain_item = re.search(r"<li><code>line_a</code>.*?</li>", page).group(0)
    assert "mark-synthetic" in synthetic_item and "mark-synthetic" not in plain_item
    assert len(re.findall(r'<img[^>]+src="\.\./_images/', page)) == 3


def test_failed_notebook_has_a_page_that_says_so(site_run):
    page = _read(site_run, "notebooks/20_fail.html")
    assert "This execution failed" in page and "planted failure" in page


def test_relative_link_to_a_methods_page_resolves(site_run):
    page = _read(site_run, "notebooks/10_figures__name-a.html")
    assert 'href="../docs/methods/qca.html#calibration"' in page
    assert 'id="calibration"' in _read(site_run, "docs/methods/qca.html")


def test_publishing_a_broken_run_folder_never_raises(tmp_path):
    result = publish_site(tmp_path)
    assert not result.ok and result.error
    assert not (tmp_path / "site").exists() and not (tmp_path / "index.html").exists()


def test_site_in_headless_chromium(site_run):
    if chromium_paths() is None:
        message = "chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    from localise.suite.sitecheck import check_site

    report = check_site(site_run.run_dir / "site", screenshots={"landing": "index.html"})
    assert report.ok, report.summary()
    assert "notebooks/20_fail.html" in report.pages and "docs/methods/qca.html" in report.pages
    assert report.images >= 2 + 2 * 3  # two thumbnails on the landing page, three figures per figures page
    assert [p.name for p in report.screenshots] == ["landing.png"] and report.screenshots[0].stat().st_size > 10_000
    shutil.rmtree(report.screenshots[0].parent)

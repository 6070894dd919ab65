"""The report site of a run: executed notebooks rendered with Sphinx and MyST-NB.

:func:`publish_site` (called by the runner at the end of a run) builds
``reports/<run-id>/site/`` from the run's ``manifest.json`` and executed notebooks,
and turns ``reports/<run-id>/index.html`` into a redirect to ``site/index.html``.

The site has a landing page that groups the notebooks by section (registry key
``section``) with their title, one-line purpose (``description``), status, time and
a thumbnail of their first figure; one page per executed notebook with its
parameters, links to the figures and tables it wrote and a link back; and the
methods pages of ``docs/methods/``. SYNTHETIC and illustrative marks are derived
from the manifest for each notebook (the inputs it recorded) and each output file
(its name), never for the run as a whole.

The Sphinx source tree mirrors the project layout (``notebooks/`` beside
``docs/methods/``), so relative links such as ``../docs/methods/qca.md#calibration``
written in a notebook resolve on the site as they do in the repository.
Sphinx runs in a subprocess; a failure there leaves the plain index page of the
run in place and never fails the run.
"""

from __future__ import annotations

import base64
import html
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localise import paths
from localise.atomic import atomic_write_text

__all__ = [
    "SITE_DIR",
    "SiteResult",
    "build_site",
    "publish_site",
    "index_html",
    "notebook_images",
    "notebook_title",
    "notebook_marks",
    "output_marks",
]

#: Folder of the site inside a run folder.
SITE_DIR = "site"

#: Methods pages in the order the site lists them; other pages follow alphabetically.
METHODS_ORDER = ("index", "data", "grid", "qca", "indicators", "models", "cohesion")

_FIGURE_SUFFIXES = {".png", ".svg", ".pdf", ".jpg", ".jpeg"}
_TABLE_SUFFIXES = {".csv", ".tex", ".xlsx", ".parquet", ".json", ".md", ".txt"}
_STYLE = Path(__file__).with_name("site.css")


@dataclass
class SiteResult:
    """What a site build produced."""

    ok: bool
    index: Path | None
    """``site/index.html`` when the build succeeded."""
    seconds: float
    warnings: list[str] = field(default_factory=list)
    error: str | None = None


# --------------------------------------------------------------------------- notebooks


def notebook_images(document: dict[str, Any] | Path) -> list[tuple[int, str]]:
    """``(cell index, MIME type)`` of every image output of an (executed) notebook."""
    if isinstance(document, Path):
        document = json.loads(document.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    found = []
    for index, cell in enumerate(document.get("cells", [])):
        for output in cell.get("outputs", []) or []:
            for mime in output.get("data", {}) or {}:
                if mime.startswith("image/"):
                    found.append((index, mime))
    return found


def _first_png(document: dict[str, Any]) -> bytes | None:
    for cell in document.get("cells", []):
        for output in cell.get("outputs", []) or []:
            data = (output.get("data") or {}).get("image/png")
            if data:
                return base64.b64decode("".join(data) if isinstance(data, list) else data)
    return None


def notebook_title(document: dict[str, Any]) -> str | None:
    """Text of the first level-1 heading of the first markdown cell that has one."""
    for cell in document.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        for line in ("".join(source) if isinstance(source, list) else source).splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return None


def _run_label(output: str) -> str:
    """``"country FR"`` for ``07_country_profile__country-FR``; empty for a single run."""
    labels = []
    for part in output.split("__")[1:]:
        key, _, value = part.partition("-")
        labels.append(f"{key} {value}" if value else part)
    return ", ".join(labels)


def output_marks(path: str) -> list[str]:
    """Marks of one output file, read from its name: ``SYNTHETIC`` and/or ``illustrative``."""
    name = Path(path).name
    marks = []
    if "SYNTHETIC" in name.upper():
        marks.append("SYNTHETIC")
    if "ILLUSTRATIVE" in name.upper():
        marks.append("illustrative")
    return marks


def notebook_marks(record: dict[str, Any]) -> list[str]:
    """Marks of one executed notebook, from the inputs and outputs the manifest lists for it.

    ``SYNTHETIC`` when it read a generated data file that is not illustrative teaching
    material or wrote a file marked SYNTHETIC; ``illustrative`` when it read
    illustrative material (or wrote files so named). Empty for a notebook on real data.
    """
    marks: set[str] = set()
    for entry in record.get("inputs", []) or []:
        if not entry.get("synthetic"):
            continue
        illustrative = entry.get("role") == "illustrative" or "illustrative" in Path(entry["path"]).name.lower()
        marks.add("illustrative" if illustrative else "SYNTHETIC")
    for output in record.get("outputs", []) or []:
        if "/" in output["path"]:
            marks.update(output_marks(output["path"]))
    return [mark for mark in ("SYNTHETIC", "illustrative") if mark in marks]


def _badges(marks: list[str]) -> str:
    return "".join(
        f' <span class="mark mark-{mark.lower()}" title="{_MARK_HELP[mark]}">{mark}</span>' for mark in marks
    )


_MARK_HELP = {
    "SYNTHETIC": "generated data: for teaching and testing, not observations",
    "illustrative": "illustrative teaching material: describes no real case",
}


def _status(record: dict[str, Any]) -> str:
    status = f'<span class="status status-{html.escape(record["status"])}">{html.escape(record["status"])}</span>'
    return status + _cached_mark(record)


def _cached_mark(record: dict[str, Any]) -> str:
    """`` cached from <run>`` for an execution reused from an earlier run, else empty."""
    if not record.get("cached"):
        return ""
    origin = html.escape(str(record.get("cached_from", "")))
    took = record.get("executed_duration_s")
    help_text = f"reused unchanged from run {origin}" + (f", where it took {took:.1f} s" if took is not None else "")
    return f' <span class="cached" title="{help_text}">cached from <code>{origin}</code></span>'


def _problem(record: dict[str, Any]) -> str:
    error = record.get("error") or {}
    if error.get("ename"):
        cell = f" in cell {error['cell_index']}" if error.get("cell_index") is not None else ""
        return f"{error['ename']}{cell}: {error.get('evalue', '')}"
    return record.get("reason", "")


# --------------------------------------------------------------------------- pages


def _parameters_table(executed: Path, record: dict[str, Any]) -> str:
    from localise.errors import InputError
    from localise.suite.registry import notebook_parameters

    injected = record.get("parameters") or {}
    try:
        declared = {name: p.default for name, p in notebook_parameters(executed).items()}
    except InputError:
        declared = {}
    rows = []
    for name in list(declared) + [name for name in injected if name not in declared]:
        value = injected.get(name, declared.get(name))
        source = "set by the run" if name in injected else "notebook default"
        rows.append(
            f"<tr><td><code>{html.escape(name)}</code></td>"
            f"<td><code>{html.escape(repr(value), quote=False)}</code></td>"
            f"<td>{source}</td></tr>"
        )
    if not rows:
        return "<p>This notebook has no parameters.</p>"
    return (
        '<table class="nb-parameters"><thead><tr><th>parameter</th><th>value</th><th></th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _outputs_list(record: dict[str, Any], up: str) -> str:
    """Figures and tables of one notebook, grouped by stem, each with its marks."""
    groups: dict[str, dict[str, list[str]]] = {"Figures": {}, "Tables": {}, "Other files": {}}
    for output in record.get("outputs", []) or []:
        path = Path(output["path"])
        if len(path.parts) < 2:
            continue  # the executed notebook and its HTML rendering
        kind = (
            "Figures"
            if path.suffix in _FIGURE_SUFFIXES
            else "Tables"
            if path.suffix in _TABLE_SUFFIXES
            else "Other files"
        )
        groups[kind].setdefault(str(path.with_suffix("")), []).append(output["path"])
    parts = []
    for kind, stems in groups.items():
        if not stems:
            continue
        items = []
        for stem, files in stems.items():
            links = " · ".join(
                f'<a href="{html.escape(up + file)}">{html.escape(Path(file).suffix[1:])}</a>' for file in files
            )
            items.append(f"<li><code>{html.escape(Path(stem).name)}</code> {links}{_badges(output_marks(stem))}</li>")
        parts.append(f"<p><strong>{kind}</strong></p><ul class=\"nb-outputs\">{''.join(items)}</ul>")
    return "".join(parts) or "<p>This notebook saved no figures or tables.</p>"


def _inputs_list(record: dict[str, Any]) -> str:
    inputs = record.get("inputs", []) or []
    if not inputs:
        return ""
    items = []
    for entry in inputs:
        marks = []
        if entry.get("synthetic"):
            illustrative = entry.get("role") == "illustrative" or "illustrative" in Path(entry["path"]).name.lower()
            marks = ["illustrative" if illustrative else "SYNTHETIC"]
        items.append(
            f"<li><code>{html.escape(entry['path'])}</code> <small>sha256 {html.escape(entry['sha256'][:12])}…"
            f"</small>{_badges(marks)}</li>"
        )
    return f"<details><summary>Data files read ({len(inputs)})</summary><ul>{''.join(items)}</ul></details>"


def _page_header(record: dict[str, Any], executed: Path, manifest: dict[str, Any]) -> str:
    """Markdown cell put under the notebook's title: status, marks, parameters, outputs."""
    marks = notebook_marks(record)
    facts = (
        f'<p class="nb-facts">{_status(record)} {record.get("duration_s", 0):.1f} s · '
        f"run <code>{html.escape(manifest['run_id'])}</code> · "
        f'executed notebook <a href="../../{html.escape(record["output"])}.ipynb">'
        f'{html.escape(record["output"])}.ipynb</a>'
        f"{_badges(marks)}</p>"
    )
    notes = []
    if record["status"] != "ok":
        notes.append(
            f'<div class="nb-failed"><strong>This execution {html.escape(record["status"])}</strong>: '
            f"{html.escape(_problem(record))}</div>"
        )
    if "SYNTHETIC" in marks:
        notes.append(
            '<div class="nb-synthetic"><strong>SYNTHETIC data.</strong> Part of what this notebook read or wrote '
            "is generated: results built on it are for teaching and testing, not observations "
            "(marked files below).</div>"
        )
    if "illustrative" in marks:
        notes.append(
            '<div class="nb-illustrative"><strong>Illustrative material.</strong> This notebook uses teaching '
            "examples that describe no real case (marked files below).</div>"
        )
    block = (
        f'<div class="nb-header">{facts}{"".join(notes)}'
        f"<details open><summary>Parameters</summary>{_parameters_table(executed, record)}</details>"
        f"{_outputs_list(record, '../../')}{_inputs_list(record)}</div>"
    )
    return f"[← All notebooks of this run](../index.md)\n\n{block}\n"


def _notebook_page(record: dict[str, Any], run_dir: Path, manifest: dict[str, Any]) -> Any:
    """The executed notebook with its title made unique and the run's header inserted."""
    import nbformat
    from nbformat.v4 import new_markdown_cell

    executed = run_dir / f"{record['output']}.ipynb"
    notebook = nbformat.read(executed, as_version=4)
    title = _page_title(record, notebook)
    position = 0
    for index, cell in enumerate(notebook.cells):
        match = re.search(r"^# .*$", cell.source, flags=re.MULTILINE) if cell.cell_type == "markdown" else None
        if match:
            # The title stays on top; the run's header goes right under it, then the rest of the cell.
            before, after = cell.source[: match.start()], cell.source[match.end():]
            cell.source = f"{before}# {title}"
            position = index + 1
            if after.strip():
                notebook.cells.insert(position, new_markdown_cell(after.strip("\n")))
            break
    else:
        notebook.cells.insert(0, new_markdown_cell(f"# {title}"))
        position = 1
    notebook.cells.insert(position, new_markdown_cell(_page_header(record, executed, manifest)))
    notebook.cells.append(new_markdown_cell("---\n\n[← All notebooks of this run](../index.md)"))
    return notebook


def _page_title(record: dict[str, Any], document: Any) -> str:
    title = notebook_title(document) or record["output"]
    label = _run_label(record["output"])
    return f"{title} ({label})" if label else title


def _thumbnail(document: dict[str, Any], target: Path) -> bool:
    png = _first_png(document)
    if not png:
        return False
    from PIL import Image

    with Image.open(io.BytesIO(png)) as original:
        image = original.convert("RGB")
        image.thumbnail((480, 300))
        target.parent.mkdir(parents=True, exist_ok=True)
        image.save(target, format="PNG", optimize=True)
    return True


def _card(record: dict[str, Any], title: str, thumb: str | None) -> str:
    page = f"notebooks/{record['output']}.html" if record.get("_page") else None
    title_html = html.escape(title)
    if thumb:
        image = f'<img src="{thumb}" alt="First figure of {title_html}">'
    else:
        image = '<span class="nb-nothumb">no figure</span>'
    thumb_html = f'<a class="nb-thumb" href="{page}">{image}</a>' if page else f'<span class="nb-thumb">{image}</span>'
    heading = (
        f'<a class="nb-title" href="{page}">{title_html}</a>' if page else f'<span class="nb-title">{title_html}</span>'
    )
    problem = _problem(record) if record["status"] != "ok" else ""
    problem_html = f'<p class="nb-problem">{html.escape(problem[:300])}</p>' if problem else ""
    return (
        f'<div class="nb-card nb-{html.escape(record["status"])}">{thumb_html}<div class="nb-body">{heading}'
        f'<p class="nb-desc">{html.escape(record.get("description") or "")}</p>'
        f'<p class="nb-facts">{_status(record)} {record.get("duration_s", 0):.1f} s'
        f'{_badges(notebook_marks(record))}</p>'
        f"{problem_html}</div></div>"
    )


def _landing(manifest: dict[str, Any], cards: dict[str, list[tuple[dict[str, Any], str]]], methods: list[str]) -> str:
    from localise.suite.registry import SECTIONS

    records = manifest["notebooks"]
    counts = {
        status: sum(r["status"] == status for r in records) for status in ("ok", "failed", "skipped", "interrupted")
    }
    counted = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    git = manifest.get("git") or {}
    commit = str(git.get("commit") or "unknown")[:12] + (" (uncommitted changes)" if git.get("dirty") else "")
    lines = [
        f"# localise · run {manifest['run_id']}",
        "",
        f'<p class="run-facts">Status <strong>{html.escape(manifest["status"])}</strong>: '
        f'{len(records)} notebook runs, '
        f"{counted}. Started {html.escape(manifest['started'])}, {manifest.get('wall_time_s', 0):.0f} s; "
        f"commit <code>{html.escape(commit)}</code>; "
        f'<a href="../manifest.json">manifest.json</a> (parameters, inputs with checksums, package versions).</p>',
        "",
        "Each card is one execution of a notebook: its title, purpose, status and time, and its first figure. "
        "**SYNTHETIC** marks a notebook or file built on generated data, **illustrative** one built on teaching "
        "examples; cards without a mark used real data only.",
        "",
    ]
    sections = [(key, heading) for key, heading in SECTIONS.items() if key in cards]
    sections += [(key, "Other notebooks") for key in cards if key not in SECTIONS]
    for key, heading in sections:
        lines += [f"## {heading}", "", '<div class="nb-grid">']
        lines += [card for _, card in cards[key]]
        lines += ["</div>", ""]
        pages = [f"notebooks/{record['output']}" for record, _ in cards[key] if record.get("_page")]
        if pages:
            lines += ["```{toctree}", ":hidden:", f":caption: {heading}", "", *pages, "```", ""]
    if methods:
        lines += ["## Methods", "", "How the code computes what the notebooks show: formulas, choices, references.", ""]
        lines += ["```{toctree}", ":maxdepth: 1", ":caption: Methods", "", *methods, "```", ""]
    return "\n".join(lines)


def _conf(manifest: dict[str, Any], mathjax: bool) -> str:
    theme = "furo" if importlib.util.find_spec("furo") else "alabaster"
    settings = {
        "project": "localise",
        "html_title": f"localise run {manifest['run_id']}",
        "extensions": ["myst_nb"],
        "nb_execution_mode": "off",
        "nb_merge_streams": True,
        "myst_enable_extensions": ["dollarmath", "amsmath", "colon_fence", "deflist"],
        "myst_heading_anchors": 3,
        "html_theme": theme,
        "html_static_path": ["_static"],
        "html_css_files": ["site.css"],
        "html_copy_source": False,
        "html_show_sourcelink": False,
        "html_show_sphinx": False,
        "exclude_patterns": ["_build", "**.ipynb_checkpoints"],
        "suppress_warnings": ["myst.header", "misc.highlighting_failure"],
    }
    if mathjax:
        settings["mathjax_path"] = "mathjax/tex-chtml.js"
    return "# Generated by localise.suite.site for one run; not edited by hand.\n" + "".join(
        f"{key} = {value!r}\n" for key, value in settings.items()
    )


def _mathjax_bundle() -> Path | None:
    """MathJax 3 shipped by the ``sphinx-mathjax-offline`` package (the site works offline)."""
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if not spec or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0]) / "static" / "mathjax"
    return folder if (folder / "tex-chtml.js").is_file() else None


def _copy_mathjax(bundle: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(bundle / "tex-chtml.js", target / "tex-chtml.js")
    for part in ("output/chtml", "input/tex/extensions", "ui", "a11y"):
        if (bundle / part).is_dir():
            shutil.copytree(bundle / part, target / part)


def _methods_pages(methods_dir: Path | None, target: Path) -> list[str]:
    if methods_dir is None or not methods_dir.is_dir():
        return []
    pages = sorted(
        methods_dir.glob("*.md"),
        key=lambda p: (METHODS_ORDER.index(p.stem) if p.stem in METHODS_ORDER else len(METHODS_ORDER), p.stem),
    )
    target.mkdir(parents=True, exist_ok=True)
    for page in pages:
        shutil.copy2(page, target / page.name)
    for extra in methods_dir.iterdir():  # figures and other files the pages embed
        if extra.suffix != ".md" and extra.is_file():
            shutil.copy2(extra, target / extra.name)
        elif extra.is_dir():
            shutil.copytree(extra, target / extra.name)
    return [f"docs/methods/{page.stem}" for page in pages]


def _registry_info(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Section and description per registry entry, for manifests written before they were recorded."""
    from localise.suite.registry import load_registry

    registry = Path(manifest.get("registry") or "")
    if not registry.is_absolute():
        registry = paths.PROJECT_ROOT / registry
    try:
        _, entries = load_registry(registry)
    except Exception:  # noqa: BLE001 - the registry may have moved since the run
        return {}
    return {name: entry for name, entry in entries.items() if isinstance(entry, dict)}


def build_site(
    run_dir: Path, *, methods_dir: Path | None = None, jobs: str = "auto", timeout: float = 900
) -> SiteResult:
    """Build ``run_dir/site/`` from the run's manifest and executed notebooks.

    Parameters
    ----------
    run_dir
        A run folder holding ``manifest.json``.
    methods_dir
        Folder of the methods pages (MyST Markdown); default ``LOCALISE_METHODS_DIR`` when set,
        else ``docs/methods/`` of the project.
    jobs
        Sphinx's ``-j``: processes used to read the pages.
    timeout
        Seconds allowed to Sphinx.

    Returns
    -------
    SiteResult
        ``ok`` false (with ``error``) when Sphinx failed; the previous site, if any, is kept.
    """
    started = time.perf_counter()
    run_dir = Path(run_dir)
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    if methods_dir is None:
        methods_dir = Path(os.environ.get("LOCALISE_METHODS_DIR") or paths.PROJECT_ROOT / "docs" / "methods")
    methods_dir = Path(methods_dir)
    work = run_dir / ".site-build"  # src/ (Sphinx sources), html/ (output), doctrees/, jupyter_execute/
    source, output = work / "src", work / "html"
    shutil.rmtree(work, ignore_errors=True)
    try:
        static = source / "_static"
        static.mkdir(parents=True)
        shutil.copy2(_STYLE, static / "site.css")
        bundle = _mathjax_bundle()
        if bundle:
            _copy_mathjax(bundle, static / "mathjax")
        methods = _methods_pages(methods_dir, source / "docs" / "methods")
        cards = _pages_and_cards(manifest, run_dir, source)
        (source / "index.md").write_text(_landing(manifest, cards, methods), encoding="utf-8")
        (source / "conf.py").write_text(_conf(manifest, bundle is not None), encoding="utf-8")
        warnings_file = work / "warnings.txt"
        command = [
            sys.executable, "-m", "sphinx", "-b", "html", "-q", "-E", "-j", str(jobs),
            "-d", str(work / "doctrees"), "-w", str(warnings_file), str(source), str(output),
        ]
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, env={**os.environ, "PYTHONWARNINGS": "ignore"}
        )
        warnings = warnings_file.read_text(encoding="utf-8").splitlines() if warnings_file.is_file() else []
        warnings = [line.replace(str(source) + os.sep, "") for line in warnings if line.strip()]
        if completed.returncode != 0 or not (output / "index.html").is_file():
            tail = (completed.stderr or completed.stdout).strip().splitlines()[-5:]
            return SiteResult(
                False, None, time.perf_counter() - started, warnings, "sphinx failed: " + " | ".join(tail)
            )
        final = run_dir / SITE_DIR
        shutil.rmtree(final, ignore_errors=True)
        os.replace(output, final)
        if warnings:
            atomic_write_text(run_dir / "site-warnings.txt", "\n".join(warnings) + "\n")
        return SiteResult(True, final / "index.html", time.perf_counter() - started, warnings)
    except (OSError, subprocess.SubprocessError, ValueError) as error:
        return SiteResult(False, None, time.perf_counter() - started, [], f"{type(error).__name__}: {error}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _pages_and_cards(
    manifest: dict[str, Any], run_dir: Path, source: Path
) -> dict[str, list[tuple[dict[str, Any], str]]]:
    """Write one page per executed notebook and return the landing page's cards by section."""
    import nbformat

    registry = _registry_info(manifest) if any("section" not in r for r in manifest["notebooks"]) else {}
    cards: dict[str, list[tuple[dict[str, Any], str]]] = {}
    for record in manifest["notebooks"]:
        record = dict(record)
        entry = registry.get(record["output"].split("__")[0], {})
        record.setdefault("section", entry.get("section"))
        record.setdefault("description", entry.get("description", ""))
        executed = run_dir / f"{record['output']}.ipynb"
        thumb = None
        title = record["output"]
        if executed.is_file():
            try:
                page = _notebook_page(record, run_dir, manifest)
            except Exception:  # noqa: BLE001 - an unreadable notebook is listed without a page
                page = None
            if page is not None:
                target = source / "notebooks" / f"{record['output']}.ipynb"
                target.parent.mkdir(parents=True, exist_ok=True)
                nbformat.write(page, target)
                record["_page"] = True
                title = notebook_title(page) or title
                if _thumbnail(page, source / "_static" / "thumbs" / f"{record['output']}.png"):
                    thumb = f"_static/thumbs/{record['output']}.png"
        cards.setdefault(record.get("section") or "other", []).append((record, _card(record, title, thumb)))
    return cards


def publish_site(run_dir: Path, *, methods_dir: Path | None = None) -> SiteResult:
    """Build the site of a finished run and point the run's ``index.html`` at it.

    Never raises: when the build fails, the run's plain index page stays and the
    returned result says why (the runner prints it).
    """
    try:
        result = build_site(run_dir, methods_dir=methods_dir)
    except Exception as error:  # noqa: BLE001 - the site is a view of the run, never its result
        return SiteResult(False, None, 0.0, [], f"{type(error).__name__}: {error}")
    if result.ok:
        run_id = html.escape(Path(run_dir).name)
        atomic_write_text(
            Path(run_dir) / "index.html",
            f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="refresh" content="0; url={SITE_DIR}/index.html">'
            f"<title>localise run {run_id}</title></head>\n"
            f'<body><p>The report of run {run_id} is at <a href="{SITE_DIR}/index.html">{SITE_DIR}/index.html</a>.</p>'
            "</body></html>\n",
        )
    return result


# --------------------------------------------------------------------------- plain index


def index_html(manifest: dict[str, Any]) -> str:
    """A plain one-page index of the run: the fallback when no site is built.

    SYNTHETIC and illustrative marks are given per notebook and per file.
    """
    rows = []
    for record in manifest["notebooks"]:
        links = []
        for output in record.get("outputs", []):
            path = output["path"]
            if path.endswith((".html", ".ipynb")) or path.rsplit(".", 1)[-1] in {"png", "svg", "csv", "tex"}:
                links.append(
                    f'<a href="{html.escape(path)}">{html.escape(Path(path).name)}</a>{_badges(output_marks(path))}'
                )
        detail = html.escape(_problem(record)) if record["status"] != "ok" else ""
        parameters = html.escape(json.dumps(record.get("parameters", {}), ensure_ascii=False))
        rows.append(
            f"<tr class='{record['status']}'><td>{html.escape(record['output'])}{_badges(notebook_marks(record))}</td>"
            f"<td>{record['status']}{_cached_mark(record)}</td><td>{record.get('duration_s', 0):.1f}</td>"
            f"<td><code>{parameters}</code></td>"
            f"<td>{' '.join(links)}</td><td>{detail}</td></tr>"
        )
    git = manifest.get("git", {})
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>localise run {html.escape(manifest['run_id'])}</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:4px 8px;border-bottom:1px solid #ddd;vertical-align:top}}
tr.failed td:nth-child(2){{color:#b00}}tr.skipped td:nth-child(2){{color:#a60}}tr.ok td:nth-child(2){{color:#070}}
.mark{{font-size:75%;font-weight:bold;padding:0 4px;border-radius:3px;margin-left:4px}}
.mark-synthetic{{color:#fff;background:#b00}}.mark-illustrative{{color:#000;background:#fc6}}</style></head><body>
<h1>localise run {html.escape(manifest['run_id'])}</h1>
<p>Status: <b>{manifest['status']}</b>; started {manifest['started']}, finished {manifest['finished']}
({manifest['wall_time_s']:.1f} s); commit {html.escape(str(git.get('commit')))}{' (dirty)' if git.get('dirty') else ''};
<a href="manifest.json">manifest.json</a></p>
<table><tr><th>notebook run</th><th>status</th><th>seconds</th><th>parameters</th><th>outputs</th><th>error</th></tr>
{''.join(rows)}
</table></body></html>
"""


def main(argv: list[str] | None = None) -> int:
    """``python -m localise.suite.site RUN_DIR``: (re)build the site of a run folder."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m localise.suite.site", description=main.__doc__)
    parser.add_argument("run_dir", type=Path, help="a run folder, e.g. reports/latest")
    parser.add_argument("--methods", type=Path, help="folder of the methods pages (default docs/methods/)")
    args = parser.parse_args(argv)
    result = publish_site(args.run_dir.resolve(), methods_dir=args.methods)
    for line in result.warnings:
        print(f"warning: {line}", file=sys.stderr)
    if not result.ok:
        print(f"site not built: {result.error}", file=sys.stderr)
        return 1
    print(f"site built in {result.seconds:.1f} s: {result.index}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

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

Builds are incremental: Sphinx works in ``reports/.site-cache/`` (:data:`CACHE_DIR`,
locked while a build goes on), whose sources are rewritten only where their content
changed. What differs from run to run on a page (run id, status, times, cached marks)
is written as a token (:data:`RUN_ID_TOKEN`, :data:`FACTS_TOKEN`) and filled in when
the HTML is copied into ``reports/<run-id>/site/``; a re-run that reuses every
execution therefore changes no source and needs no Sphinx at all. The copy is made in
a hidden folder and renamed when complete; a cache left by a build that failed or was
interrupted is emptied before the next one. ``LOCALISE_SITE_CLEAN=1``, ``clean=True``
or ``python -m localise.suite.site --clean RUN_DIR`` build from scratch.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
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
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localise import paths
from localise.atomic import atomic_write_text, sha256_file
from localise.errors import InputError

__all__ = [
    "SITE_DIR",
    "CACHE_DIR",
    "RUN_ID_TOKEN",
    "FACTS_TOKEN",
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

#: Hidden folder of a reports folder where successive site builds keep Sphinx's sources, doctrees and
#: HTML, so that a re-run reads and writes only the pages that changed. Removing it, ``clean=True`` or
#: ``LOCALISE_SITE_CLEAN=1`` gives a build from scratch.
CACHE_DIR = ".site-cache"

#: Stands for the run id in the cached Sphinx sources and HTML; replaced when the HTML is copied into a
#: run, so that a page reused from an earlier build names the run it is published in.
RUN_ID_TOKEN = "LOCALISERUNIDTOKEN"

#: Stands, likewise, for what changes from run to run on a page (status, time, cached mark): the run's
#: facts on the landing page, the execution's on a notebook page.
FACTS_TOKEN = "LOCALISEFACTSTOKEN"

#: What a notebook page shows of its manifest record, besides the :data:`FACTS_TOKEN`.
_PAGE_FIELDS = ("output", "status", "error", "reason", "parameters", "outputs", "inputs")
_STATE = "state.json"  # in the cache: written after each complete build, removed while one goes on
_LOCK_WAIT_S = 120.0  # then the site is built in a private folder

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
        parts.append(f'<p><strong>{kind}</strong></p><ul class="nb-outputs">{"".join(items)}</ul>')
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


def _page_header(record: dict[str, Any], executed: Path) -> str:
    """Markdown cell put under the notebook's title: status, marks, parameters, outputs."""
    marks = notebook_marks(record)
    facts = (
        f'<p class="nb-facts">{FACTS_TOKEN} · '
        f"run <code>{RUN_ID_TOKEN}</code> · "
        f'executed notebook <a href="../../{html.escape(record["output"])}.ipynb">'
        f"{html.escape(record['output'])}.ipynb</a>"
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


def _notebook_page(record: dict[str, Any], run_dir: Path) -> Any:
    """The executed notebook with its title made unique and the run's header inserted.

    The header names the run by :data:`RUN_ID_TOKEN`, so that the page of a reused
    execution is the same in every run.
    """
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
            before, after = cell.source[: match.start()], cell.source[match.end() :]
            cell.source = f"{before}# {title}"
            position = index + 1
            if after.strip():
                notebook.cells.insert(position, new_markdown_cell(after.strip("\n")))
            break
    else:
        notebook.cells.insert(0, new_markdown_cell(f"# {title}"))
        position = 1
    notebook.cells.insert(position, new_markdown_cell(_page_header(record, executed)))
    notebook.cells.append(new_markdown_cell("---\n\n[← All notebooks of this run](../index.md)"))
    return notebook


def _page_title(record: dict[str, Any], document: Any) -> str:
    title = notebook_title(document) or record["output"]
    label = _run_label(record["output"])
    return f"{title} ({label})" if label else title


def _thumbnail_png(document: dict[str, Any]) -> bytes | None:
    """PNG thumbnail of the first figure of a notebook; None when it has none."""
    png = _first_png(document)
    if not png:
        return None
    from PIL import Image

    with Image.open(io.BytesIO(png)) as original:
        image = original.convert("RGB")
        image.thumbnail((480, 300))
        thumbnail = io.BytesIO()
        image.save(thumbnail, format="PNG", optimize=True)
    return thumbnail.getvalue()


def _execution_facts(record: dict[str, Any]) -> str:
    """Status, cached mark and time of one execution: what its page shows in place of :data:`FACTS_TOKEN`.

    A reused execution took no time in this run; its time is the one of the run that executed it.
    """
    took = record.get("executed_duration_s")
    if record.get("cached") and took is not None:
        return f"{_status(record)} executed in {took:.1f} s"
    return f"{_status(record)} {record.get('duration_s', 0):.1f} s"


def _card_token(position: int) -> str:
    """Stands for the facts of the execution at ``position`` in the manifest, on its card of the landing page."""
    return f"LOCALISECARD{position}FACTSTOKEN"


def _card(record: dict[str, Any], title: str, thumb: str | None, facts: str) -> str:
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
        f'<p class="nb-facts">{facts}{_badges(notebook_marks(record))}</p>'
        f"{problem_html}</div></div>"
    )


def _run_facts(manifest: dict[str, Any]) -> str:
    """Status, counts, start, wall time and commit of the run: the landing page's :data:`FACTS_TOKEN`."""
    records = manifest["notebooks"]
    counts = {
        status: sum(r["status"] == status for r in records) for status in ("ok", "failed", "skipped", "interrupted")
    }
    counted = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    git = manifest.get("git") or {}
    commit = str(git.get("commit") or "unknown")[:12] + (" (uncommitted changes)" if git.get("dirty") else "")
    return (
        f"Status <strong>{html.escape(manifest['status'])}</strong>: {len(records)} notebook runs, "
        f"{counted}. Started {html.escape(manifest['started'])}, {manifest.get('wall_time_s', 0):.0f} s; "
        f"commit <code>{html.escape(commit)}</code>"
    )


def _landing(cards: dict[str, list[tuple[dict[str, Any], str]]], methods: list[str]) -> str:
    """The landing page's source, the same for every run whose cards are the same."""
    from localise.suite.registry import SECTIONS

    lines = [
        f"# localise · run {RUN_ID_TOKEN}",
        "",
        f'<p class="run-facts">{FACTS_TOKEN}; '
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


def _conf(mathjax: bool) -> str:
    theme = "furo" if importlib.util.find_spec("furo") else "alabaster"
    settings = {
        "project": "localise",
        "html_title": f"localise run {RUN_ID_TOKEN}",
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
    return "# Generated by localise.suite.site; not edited by hand.\n" + "".join(
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


def _methods_pages(methods_dir: Path | None, target: Path, changed: set[Path]) -> tuple[list[str], str]:
    """Bring ``target`` in line with the methods folder; return the pages in site order and a digest of all files."""
    if methods_dir is None or not methods_dir.is_dir():
        shutil.rmtree(target, ignore_errors=True)
        return [], ""
    pages = sorted(
        methods_dir.glob("*.md"),
        key=lambda p: (METHODS_ORDER.index(p.stem) if p.stem in METHODS_ORDER else len(METHODS_ORDER), p.stem),
    )
    digest = hashlib.sha256()
    files = sorted(path for path in methods_dir.rglob("*") if path.is_file())  # pages, figures they embed
    for path in files:
        content = path.read_bytes()
        digest.update(str(path.relative_to(methods_dir)).encode() + b"\0" + content)
        _write_if_changed(target / path.relative_to(methods_dir), content, changed)
    wanted = {target / path.relative_to(methods_dir) for path in files}
    for stale in [path for path in target.rglob("*") if path.is_file() and path not in wanted]:
        stale.unlink()
    return [f"docs/methods/{page.stem}" for page in pages], digest.hexdigest()


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


def _default_methods_dir() -> Path:
    return Path(os.environ.get("LOCALISE_METHODS_DIR") or paths.PROJECT_ROOT / "docs" / "methods")


def _clean_requested() -> bool:
    """Whether ``LOCALISE_SITE_CLEAN`` asks for a build from scratch; a value that is not a yes or a no is an error."""
    value = os.environ.get("LOCALISE_SITE_CLEAN", "").strip().lower()
    if value in {"1", "true", "yes"}:
        return True
    if value in {"", "0", "false", "no"}:
        return False
    raise InputError(f"LOCALISE_SITE_CLEAN={value!r}: expected 1, true or yes (build from scratch) or 0, false, no")


def build_site(
    run_dir: Path,
    *,
    methods_dir: Path | None = None,
    jobs: str = "auto",
    timeout: float = 900,
    clean: bool | None = None,
) -> SiteResult:
    """Build ``run_dir/site/`` from the run's manifest and executed notebooks.

    Sphinx builds in the cache folder of the reports folder (:data:`CACHE_DIR`), kept
    from one build to the next under a lock: only the pages whose source changed are
    read and written again. The HTML is then copied into a hidden folder of the run,
    with the run id put in, and renamed to ``site/`` when complete. An incremental build
    that fails is retried once from scratch; a cache that another build holds for too
    long is left alone and the site is built in a private folder.

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
    clean
        Build from scratch, ignoring the cache; default true when ``LOCALISE_SITE_CLEAN`` is ``1``.

    Returns
    -------
    SiteResult
        ``ok`` false (with ``error``) when Sphinx failed; the previous site, if any, is kept.
    """
    started = time.perf_counter()
    run_dir = Path(run_dir)
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    methods_dir = Path(methods_dir) if methods_dir is not None else _default_methods_dir()
    try:
        with _site_cache(run_dir, _clean_requested() if clean is None else clean) as cache:
            built = _sphinx_build(cache, run_dir, manifest, methods_dir, jobs, timeout)
            if not built.ok and cache.state:  # the cache may be what broke: once more from scratch
                _empty_cache(cache.folder)
                cache.state = {}
                built = _sphinx_build(cache, run_dir, manifest, methods_dir, jobs, timeout)
            if not built.ok:
                return SiteResult(False, None, time.perf_counter() - started, built.warnings, built.error)
            if cache.shared:
                atomic_write_text(cache.folder / _STATE, json.dumps(built.state, indent=1) + "\n")
            index = _copy_out(cache.folder / "html", run_dir, built.fills)
        if built.warnings:
            atomic_write_text(run_dir / "site-warnings.txt", "\n".join(built.warnings) + "\n")
        return SiteResult(True, index, time.perf_counter() - started, built.warnings)
    except (OSError, subprocess.SubprocessError, ValueError) as error:
        return SiteResult(False, None, time.perf_counter() - started, [], f"{type(error).__name__}: {error}")


# --------------------------------------------------------------------------- build cache


@dataclass
class _Cache:
    """Folder where Sphinx builds: ``src/``, ``doctrees/``, ``html/`` and the state of the last build."""

    folder: Path
    shared: bool
    """True for the reports folder's cache (locked), false for a private folder removed afterwards."""
    state: dict[str, Any]
    """What the last complete build in ``folder`` recorded; empty for a build from scratch."""


@dataclass
class _Built:
    """Outcome of one Sphinx build in a cache folder."""

    ok: bool
    warnings: list[str]
    error: str | None = None
    state: dict[str, Any] = field(default_factory=dict)
    fills: dict[str, dict[str, str]] = field(default_factory=dict)
    """Values of the tokens by page, for :func:`_copy_out`."""


@contextlib.contextmanager
def _site_cache(run_dir: Path, clean: bool) -> Iterator[_Cache]:
    """The reports folder's cache, locked against other builds; a private folder when it cannot be had.

    The state file is removed before the build and written back only after Sphinx
    succeeded, so a build that was interrupted or failed leaves a cache that the next
    build empties first.
    """
    shared = run_dir.parent / CACHE_DIR
    try:
        shared.mkdir(exist_ok=True)
        handle = (shared / "lock").open("a+b")
    except OSError:
        handle = None
    if handle is None or not _lock(handle, _LOCK_WAIT_S):
        if handle is not None:
            handle.close()
        private = run_dir / ".site-build"
        shutil.rmtree(private, ignore_errors=True)
        private.mkdir()
        try:
            yield _Cache(private, False, {})
        finally:
            shutil.rmtree(private, ignore_errors=True)
        return
    try:
        state = {} if clean else _read_state(shared / _STATE)
        (shared / _STATE).unlink(missing_ok=True)
        if not state:
            _empty_cache(shared)
        yield _Cache(shared, True, state)
    finally:
        handle.close()  # releases the lock


def _lock(handle: Any, wait: float) -> bool:
    """Take an exclusive lock on an open file, waiting up to ``wait`` seconds."""
    import fcntl

    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)
        except OSError:
            return False


def _read_state(path: Path) -> dict[str, Any]:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(state, dict) or state.get("version") != _code_version():
        return {}
    return state


def _empty_cache(folder: Path) -> None:
    """Remove everything in a cache folder but its lock file."""
    for entry in folder.iterdir():
        if entry.name == "lock":
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


@functools.cache
def _code_version() -> str:
    """Digest of the code that writes the Sphinx sources: a new version starts the cache afresh."""
    digest = hashlib.sha256()
    for path in (Path(__file__), _STYLE, Path(__file__).with_name("registry.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _write_if_changed(path: Path, data: bytes | str, changed: set[Path]) -> None:
    """Write ``path`` only when its content differs, so that Sphinx sees unchanged files as unchanged."""
    content = data.encode("utf-8") if isinstance(data, str) else data
    try:
        if path.read_bytes() == content:
            return
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    changed.add(path)


def _sphinx_build(
    cache: _Cache, run_dir: Path, manifest: dict[str, Any], methods_dir: Path, jobs: str, timeout: float
) -> _Built:
    """Bring the cache's sources up to date and run Sphinx on them, unless none changed."""
    source, output = cache.folder / "src", cache.folder / "html"
    changed: set[Path] = set()
    sources, fills = _write_sources(source, run_dir, manifest, methods_dir, cache.state.get("pages", {}), changed)
    state = {"version": _code_version(), **sources}
    if cache.state.get("structure") != sources["structure"]:
        # New pages, titles or settings change every page's navigation: read and write all of them.
        for folder in (output, cache.folder / "doctrees", cache.folder / "jupyter_execute"):
            shutil.rmtree(folder, ignore_errors=True)
        cache.state = {}
    elif not changed and (output / "index.html").is_file():
        # Same sources as the last complete build: its HTML is this run's, once the tokens are filled in.
        warnings = cache.state.get("warnings", [])
        return _Built(True, warnings, state={**state, "warnings": warnings}, fills=fills)
    built = _run_sphinx(cache.folder, jobs, timeout)
    if not built.ok:
        return built
    # Pages not read again keep the warnings their last reading gave.
    reread = {str(path.relative_to(source)) for path in changed}
    kept = [line for line in cache.state.get("warnings", []) if line.split(":", 1)[0] not in reread]
    warnings = list(dict.fromkeys(kept + built.warnings))
    return _Built(True, warnings, state={**state, "warnings": warnings}, fills=fills)


def _run_sphinx(folder: Path, jobs: str, timeout: float) -> _Built:
    """Sphinx on ``folder/src`` into ``folder/html``, keeping its environment in ``folder/doctrees``."""
    source, output = folder / "src", folder / "html"
    warnings_file = folder / "warnings.txt"
    warnings_file.unlink(missing_ok=True)
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-b",
        "html",
        "-q",
        "-j",
        str(jobs),
        "-d",
        str(folder / "doctrees"),
        "-w",
        str(warnings_file),
        str(source),
        str(output),
    ]
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, env={**os.environ, "PYTHONWARNINGS": "ignore"}
    )
    warnings = warnings_file.read_text(encoding="utf-8").splitlines() if warnings_file.is_file() else []
    warnings = [line.replace(str(source) + os.sep, "") for line in warnings if line.strip()]
    if completed.returncode != 0 or not (output / "index.html").is_file():
        tail = (completed.stderr or completed.stdout).strip().splitlines()[-5:]
        return _Built(False, warnings, "sphinx failed: " + " | ".join(tail))
    return _Built(True, warnings)


def _write_sources(
    source: Path,
    run_dir: Path,
    manifest: dict[str, Any],
    methods_dir: Path,
    previous: dict[str, dict[str, Any]],
    changed: set[Path],
) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """Update the Sphinx sources of the run in ``source``.

    Returns
    -------
    tuple
        The state to keep (``pages`` and a digest of the site's ``structure``), and the values
        of the tokens by page (see :func:`_copy_out`).
    """
    static = source / "_static"
    _write_if_changed(static / "site.css", _STYLE.read_bytes(), changed)
    bundle = _mathjax_bundle()
    if bundle and not (static / "mathjax" / "tex-chtml.js").is_file():
        _copy_mathjax(bundle, static / "mathjax")
    methods, methods_digest = _methods_pages(methods_dir, source / "docs" / "methods", changed)
    cards, pages, fills = _pages_and_cards(manifest, run_dir, source, previous, changed)
    fills["index"][FACTS_TOKEN] = _run_facts(manifest)
    fills[""] = {RUN_ID_TOKEN: str(manifest["run_id"])}
    _write_if_changed(source / "index.md", _landing(cards, methods), changed)
    conf = _conf(bundle is not None)
    _write_if_changed(source / "conf.py", conf, changed)
    navigation = [
        (section, [(record["output"], page["title"]) for record, _ in entries if (page := pages.get(record["output"]))])
        for section, entries in cards.items()
    ]
    structure = hashlib.sha256(json.dumps([conf, methods_digest, navigation]).encode()).hexdigest()
    return {"pages": pages, "structure": structure}, fills


def _pages_and_cards(
    manifest: dict[str, Any], run_dir: Path, source: Path, previous: dict[str, dict[str, Any]], changed: set[Path]
) -> tuple[dict[str, list[tuple[dict[str, Any], str]]], dict[str, dict[str, Any]], dict[str, dict[str, str]]]:
    """Write one page per executed notebook; return the landing page's cards by section, the pages, the tokens.

    A page whose inputs (what the page shows of the manifest record, and the executed
    notebook) are those of the previous build is not written again.
    """
    registry = _registry_info(manifest) if any("section" not in r for r in manifest["notebooks"]) else {}
    cards: dict[str, list[tuple[dict[str, Any], str]]] = {}
    pages: dict[str, dict[str, Any]] = {}
    fills: dict[str, dict[str, str]] = {"index": {}}
    for position, record in enumerate(manifest["notebooks"]):
        record = dict(record)
        fills["index"][_card_token(position)] = _execution_facts(record)
        entry = registry.get(record["output"].split("__")[0], {})
        record.setdefault("section", entry.get("section"))
        record.setdefault("description", entry.get("description", ""))
        title, thumb = record["output"], None
        if (run_dir / f"{record['output']}.ipynb").is_file():
            page = _page_source(record, run_dir, source, previous.get(record["output"]), changed)
            if page is not None:
                pages[record["output"]] = page
                fills[f"notebooks/{record['output']}"] = {FACTS_TOKEN: _execution_facts(record)}
                record["_page"] = True
                title = page["title"]
                thumb = f"_static/thumbs/{record['output']}.png" if page["thumb"] else None
        card = _card(record, title, thumb, _card_token(position))
        cards.setdefault(record.get("section") or "other", []).append((record, card))
    for folder, suffix in ((source / "notebooks", ".ipynb"), (source / "_static" / "thumbs", ".png")):
        for stale in folder.glob(f"*{suffix}") if folder.is_dir() else []:
            if stale.stem not in pages or (suffix == ".png" and not pages[stale.stem]["thumb"]):
                stale.unlink()
    return cards, pages, fills


def _page_source(
    record: dict[str, Any], run_dir: Path, source: Path, previous: dict[str, Any] | None, changed: set[Path]
) -> dict[str, Any] | None:
    """Write the page and thumbnail of one notebook unless they are up to date; None when it has no page."""
    import nbformat

    executed = run_dir / f"{record['output']}.ipynb"
    target = source / "notebooks" / f"{record['output']}.ipynb"
    thumb = source / "_static" / "thumbs" / f"{record['output']}.png"
    shown = {name: record.get(name) for name in _PAGE_FIELDS}  # not its time or cached mark: they are tokens
    key = hashlib.sha256(json.dumps(shown, sort_keys=True, default=str).encode())
    key.update(sha256_file(executed).encode())
    if previous and previous.get("key") == key.hexdigest() and target.is_file():
        if thumb.is_file() or not previous.get("thumb"):
            return previous
    try:
        page = _notebook_page(record, run_dir)
    except Exception:  # noqa: BLE001 - an unreadable notebook is listed without a page
        return None
    text = nbformat.writes(page)
    _write_if_changed(target, text if text.endswith("\n") else text + "\n", changed)
    png = _thumbnail_png(page)
    if png is not None:
        _write_if_changed(thumb, png, changed)
    return {"key": key.hexdigest(), "title": notebook_title(page) or record["output"], "thumb": png is not None}


def _copy_out(html_dir: Path, run_dir: Path, fills: dict[str, dict[str, str]]) -> Path:
    """Copy the built HTML into ``run_dir/site/`` with the tokens filled in; return its ``index.html``.

    ``fills`` gives the value of each token by page name (``index``, ``notebooks/<output>``),
    and under ``""`` for every page. The copy is made in a hidden folder and renamed when
    complete. Images that no page refers to any more (left in the cache by earlier builds)
    are not copied.
    """
    partial = run_dir / ".site.partial"
    shutil.rmtree(partial, ignore_errors=True)
    try:
        _copy_html(html_dir, partial, fills)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    final = run_dir / SITE_DIR
    if final.exists():
        previous = run_dir / ".site.old"
        shutil.rmtree(previous, ignore_errors=True)
        os.replace(final, previous)
        os.replace(partial, final)
        shutil.rmtree(previous, ignore_errors=True)
    else:
        os.replace(partial, final)
    return final / "index.html"


def _copy_html(html_dir: Path, partial: Path, fills: dict[str, dict[str, str]]) -> None:
    """Copy the cache's HTML into ``partial``, with the tokens' values in place of the tokens."""
    images: list[Path] = []
    referenced: set[str] = set()
    partial.mkdir(parents=True)
    for path in sorted(html_dir.rglob("*")):
        relative = path.relative_to(html_dir)
        target = partial / relative
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif relative.parts[0] == "_images":
            images.append(relative)
        elif path.suffix == ".html":
            text = path.read_text(encoding="utf-8")
            referenced.update(re.findall(r"_images/([^\"'\s)#?]+)", text))
            page = relative.with_suffix("").as_posix()
            target.write_text(_fill(text, {**fills.get(page, {}), **fills[""]}), encoding="utf-8")
        elif relative.as_posix() == "searchindex.js":
            target.write_text(_fill_search_index(path.read_text(encoding="utf-8"), fills), encoding="utf-8")
        elif relative.as_posix() == "objects.inv":
            target.write_bytes(_fill_inventory(path.read_bytes(), fills[""]))
        else:
            shutil.copy2(path, target)
    for relative in images:
        if relative.name in referenced or len(relative.parts) > 2:
            shutil.copy2(html_dir / relative, partial / relative)


def _fill(text: str, values: dict[str, str]) -> str:
    """Put the values in place of the tokens; a token's lower-case form (in anchors) gets the lower-case value."""
    for token, value in values.items():
        text = text.replace(token, value).replace(token.lower(), value.lower())
    return text


def _fill_search_index(text: str, fills: dict[str, dict[str, str]]) -> str:
    """The search index with each token's words filed under the pages that show them, as Sphinx files words."""
    from sphinx.search.en import SearchEnglish

    prefix = "Search.setIndex("
    body = text.strip()
    if not (body.startswith(prefix) and body.endswith(")")):
        return _fill(text, fills[""])
    index = json.loads(body[len(prefix) : -1])
    docnames, language = index.get("docnames", []), SearchEnglish({})
    tokens = {token for values in fills.values() for token in values}
    for table in ("titleterms", "terms"):  # a page's title words are not filed again under its text
        terms = index.setdefault(table, {})
        for token in tokens:
            for number in _numbers(terms.pop(token.lower(), None)):
                page = docnames[number] if number < len(docnames) else ""
                value = {**fills.get(page, {}), **fills[""]}.get(token, "")
                for word in language.split(html.unescape(re.sub(r"<[^>]+>", " ", value))):
                    stemmed = language.stem(word).lower()
                    stemmed = stemmed if language.word_filter(stemmed) else word
                    in_title = table == "terms" and number in _numbers(index["titleterms"].get(stemmed))
                    if language.word_filter(stemmed) and not in_title:
                        merged = sorted({*_numbers(terms.get(stemmed)), number})
                        terms[stemmed] = merged[0] if len(merged) == 1 else merged
    filled = _fill(json.dumps(index, separators=(",", ":"), sort_keys=True), fills[""])
    return f"{prefix}{filled})"


def _numbers(pages: int | list[int] | None) -> list[int]:
    """The page numbers of a search index entry (a number or a list of them)."""
    return [pages] if isinstance(pages, int) else list(pages or [])


def _fill_inventory(data: bytes, values: dict[str, str]) -> bytes:
    """``objects.inv`` (four header lines, then zlib-compressed entries) with the tokens filled in."""
    import zlib

    lines = data.split(b"\n", 4)
    if len(lines) < 5:
        return data
    entries = zlib.decompress(lines[4]).decode("utf-8")
    return b"\n".join(lines[:4]) + b"\n" + zlib.compress(_fill(entries, values).encode("utf-8"), 9)


def publish_site(run_dir: Path, *, methods_dir: Path | None = None, clean: bool | None = None) -> SiteResult:
    """Build the site of a finished run and point the run's ``index.html`` at it.

    Never raises: when the build fails, the run's plain index page stays and the
    returned result says why (the runner prints it).
    """
    try:
        result = build_site(run_dir, methods_dir=methods_dir, clean=clean)
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
<html lang="en"><head><meta charset="utf-8"><title>localise run {html.escape(manifest["run_id"])}</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:4px 8px;border-bottom:1px solid #ddd;vertical-align:top}}
tr.failed td:nth-child(2){{color:#b00}}tr.skipped td:nth-child(2){{color:#a60}}tr.ok td:nth-child(2){{color:#070}}
.mark{{font-size:75%;font-weight:bold;padding:0 4px;border-radius:3px;margin-left:4px}}
.mark-synthetic{{color:#fff;background:#b00}}.mark-illustrative{{color:#000;background:#fc6}}</style></head><body>
<h1>localise run {html.escape(manifest["run_id"])}</h1>
<p>Status: <b>{manifest["status"]}</b>; started {manifest["started"]}, finished {manifest["finished"]}
({manifest["wall_time_s"]:.1f} s); commit {html.escape(str(git.get("commit")))}{" (dirty)" if git.get("dirty") else ""};
<a href="manifest.json">manifest.json</a></p>
<table><tr><th>notebook run</th><th>status</th><th>seconds</th><th>parameters</th><th>outputs</th><th>error</th></tr>
{"".join(rows)}
</table></body></html>
"""


def main(argv: list[str] | None = None) -> int:
    """``python -m localise.suite.site RUN_DIR``: (re)build the site of a run folder."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m localise.suite.site", description=main.__doc__)
    parser.add_argument("run_dir", type=Path, help="a run folder, e.g. reports/latest")
    parser.add_argument("--methods", type=Path, help="folder of the methods pages (default docs/methods/)")
    parser.add_argument("--clean", action="store_true", help=f"build from scratch, ignoring reports/{CACHE_DIR}/")
    args = parser.parse_args(argv)
    if not (args.run_dir / "manifest.json").is_file():
        parser.error(f"{args.run_dir}: not a run folder (expected reports/<run-id>/ with a manifest.json)")
    try:
        clean = args.clean or _clean_requested()
    except InputError as error:
        parser.error(str(error))
    result = publish_site(args.run_dir.resolve(), methods_dir=args.methods, clean=clean)
    for line in result.warnings:
        print(f"warning: {line}", file=sys.stderr)
    if not result.ok:
        print(f"site not built: {result.error}", file=sys.stderr)
        return 1
    print(f"site built in {result.seconds:.1f} s: {result.index}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

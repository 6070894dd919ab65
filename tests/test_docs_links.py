"""Links into the methods pages (``docs/methods/``) point at pages and headings that exist.

Checked sources: Markdown links in the notebooks' Markdown cells and in the Markdown files of
``docs/`` and the README (``[text](../docs/methods/qca.md#calibration)``), and pointers in
code, tests and package data (``See docs/methods/qca.md, "Calibration".``). A heading's
anchor is its slug under the rule GitHub and MyST share: lower case, punctuation removed,
spaces turned into hyphens, a repeated slug numbered ``-1``, ``-2`` ...

The external reference is that rule: ``test_slug_rule`` checks it on headings whose GitHub
anchors are known. The last test checks that no pointer to the former, unpublished methods
notes is left in code, notebooks or tests.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
METHODS = ROOT / "docs" / "methods"
NOTEBOOKS = ROOT / "notebooks"

_LINK = re.compile(r"\[[^\]]*\]\(\s*([^)\s]+)\s*\)")
_POINTER = re.compile(r"""docs/methods/([A-Za-z0-9_\-]+\.md)(?:[,:]?[\s#]*(?:"([^"]+)"|'([^']+)'|“([^”]+)”))?""")
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_CODE_SUFFIXES = {".py", ".yml", ".yaml", ".csv", ".toml", ".cfg", ".md", ".txt"}


def slug(title: str) -> str:
    """GitHub/MyST anchor of a heading title (before de-duplication)."""
    text = re.sub(r"`([^`]*)`", r"\1", title)  # inline code keeps its text
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links keep their text
    text = text.replace("*", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a Markdown file (repeated slugs numbered as GitHub does)."""
    seen: dict[str, int] = {}
    out: set[str] = set()
    in_fence = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        match = None if in_fence else _HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        n = seen.get(base, 0)
        out.add(base if n == 0 else f"{base}-{n}")
        seen[base] = n + 1
    return out


def _notebook_markdown() -> list[tuple[str, Path, str]]:
    items = []
    for nb_path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "markdown":
                items.append((f"{nb_path.name} cell {i}", nb_path.parent, cell.source))
    return items


def _markdown_files() -> list[tuple[str, Path, str]]:
    files = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    return [(str(f.relative_to(ROOT)), f.parent, f.read_text(encoding="utf-8")) for f in files if f.exists()]


def _links() -> list[tuple[str, Path, str]]:
    """(where, resolved target file, anchor) of every relative link into docs/methods/."""
    out = []
    for where, base, text in _notebook_markdown() + _markdown_files():
        for target in _LINK.findall(text):
            if re.match(r"^[a-z]+:", target):  # http:, mailto: ...
                continue
            path, _, anchor = target.partition("#")
            resolved = (base / path).resolve() if path else None
            if resolved is None:  # same-page anchor: only checked for the methods pages
                if base.resolve() == METHODS.resolve():
                    resolved = (base / where.split("/")[-1]).resolve()
                else:
                    continue
            if METHODS.resolve() in resolved.parents or resolved == METHODS.resolve():
                out.append((where, resolved, anchor))
    return out


def _pointers() -> list[tuple[str, str, str | None]]:
    """(where, page, quoted heading or None) of every code pointer to docs/methods/."""
    texts = []
    for folder in ("src", "tests"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in _CODE_SUFFIXES and path.is_file():
                texts.append((str(path.relative_to(ROOT)), path.read_text(encoding="utf-8", errors="replace")))
    for nb_path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        texts += [(f"{nb_path.name} cell {i}", c.source) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    out = []
    for where, text in texts:
        for match in _POINTER.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            heading = "".join(g for g in match.groups()[1:] if g) or None
            if heading:  # a heading wrapped over lines (comment markers included) is one line
                heading = " ".join(re.sub(r"\n\s*#*", " ", heading).split())
            out.append((f"{where}:{line}", match.group(1), heading))
    return out


def test_slug_rule():
    # anchors GitHub gives these headings
    assert slug("Agreement with R's QCA package") == "agreement-with-rs-qca-package"
    assert slug("Dimensions G1 to G9") == "dimensions-g1-to-g9"
    assert slug("Conservative, parsimonious and intermediate solutions") == (
        "conservative-parsimonious-and-intermediate-solutions"
    )
    assert slug("EU-SPI 2016") == "eu-spi-2016"
    assert slug("Cohen's and Fleiss' kappa") == "cohens-and-fleiss-kappa"
    assert slug("The `qca` engine") == "the-qca-engine"


def test_methods_pages_exist():
    expected = {"index.md", "data.md", "grid.md", "qca.md", "indicators.md", "models.md", "cohesion.md"}
    assert expected <= {p.name for p in METHODS.glob("*.md")}
    # the QCA page keeps the section the R comparison is written into
    assert "agreement-with-rs-qca-package" in anchors(METHODS / "qca.md")


def test_links_into_methods_pages_resolve():
    links = _links()
    assert links, "no link into docs/methods/ found: the parser is broken or the links are gone"
    problems = []
    for where, target, anchor in links:
        if not target.is_file():
            problems.append(f"{where}: {target.relative_to(ROOT)} does not exist")
        elif anchor and anchor not in anchors(target):
            problems.append(f"{where}: no heading with anchor #{anchor} in {target.relative_to(ROOT)}")
    assert not problems, "\n".join(problems)


def test_code_pointers_name_existing_sections():
    pointers = _pointers()
    assert pointers, "no pointer to docs/methods/ found in src/ or tests/"
    problems = []
    for where, page, heading in pointers:
        target = METHODS / page
        if not target.is_file():
            problems.append(f"{where}: docs/methods/{page} does not exist")
        elif heading is not None and slug(heading) not in anchors(target):
            problems.append(f"{where}: no heading {heading!r} in docs/methods/{page}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("folder", ["src", "notebooks", "tests"])
def test_no_pointer_to_the_former_methods_notes(folder):
    # built from pieces so that this file does not match itself
    banned = re.compile("|".join([r"\b" + "dos" + r"sier\b", "docs/methods" + r"\.md"]), re.IGNORECASE)
    hits = []
    for path in sorted((ROOT / folder).rglob("*")):
        if not path.is_file() or path.suffix not in _CODE_SUFFIXES | {".ipynb"}:
            continue
        for lineno, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            if banned.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{lineno}: {line.strip()[:100]}")
    assert not hits, "pointers to the unpublished methods notes remain:\n" + "\n".join(hits)

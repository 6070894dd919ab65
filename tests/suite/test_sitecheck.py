"""The crawl of :mod:`localise.suite.sitecheck`, driven by a stand-in for the browser (no Chromium needed)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin

from localise.suite.sitecheck import _COLLECT, SiteCheck, _as_path, _crawl


class FakeBrowser:
    """Answers the crawl's scripts by reading the HTML file: ids, links (made absolute) and images."""

    def __init__(self) -> None:
        self.url = ""

    def get(self, url: str) -> None:
        self.url = url

    def execute_script(self, script: str):
        if script != _COLLECT:
            return True
        path, _ = _as_path(self.url)
        text = path.read_text(encoding="utf-8")
        images = [
            {"src": urljoin(self.url, src), "complete": True, "width": 0 if "missing" in src else 10}
            for src in re.findall(r'<img src="([^"]+)"', text)
        ]
        return {
            "title": "page",
            "ready": "complete",
            "ids": re.findall(r'id="([^"]+)"', text),
            "links": [urljoin(self.url, href) for href in re.findall(r'href="([^"]+)"', text)],
            "images": images,
        }

    def get_log(self, kind: str) -> list[dict]:
        return []


def test_crawl_follows_local_pages_and_reports_what_is_broken(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "notebooks").mkdir(parents=True)
    (site / "index.html").write_text(
        '<a href="notebooks/a.html#top">a</a> <a href="https://example.org/">out</a> <a href="gone.html">gone</a>'
        '<img src="thumb-missing.png">',
        encoding="utf-8",
    )
    (site / "notebooks" / "a.html").write_text(
        '<h1 id="top">A</h1><a href="../index.html#nowhere">back</a><a href="b.html">b</a>', encoding="utf-8"
    )
    (site / "notebooks" / "b.html").write_text('<p id="b">B</p><a href="../index.html">home</a>', encoding="utf-8")
    report = SiteCheck()
    _crawl(FakeBrowser(), site, report)
    assert report.pages == ["index.html", "notebooks/a.html", "notebooks/b.html"]
    assert report.images == 1 and len(report.broken_images) == 1
    assert report.external_links == ["https://example.org/"]
    assert len(report.broken_links) == 2
    assert any("gone.html" in link for link in report.broken_links)
    assert any("#nowhere (no such anchor)" in link for link in report.broken_links)
    assert not report.ok

"""Open a run's report site in a real headless Chromium and check it as a reader would.

Every page reachable from ``site/index.html`` is loaded; on each, every ``<img>``
must have rendered (``naturalWidth > 0``) and every link must lead somewhere: a
file that exists and, for ``page.html#anchor``, an element with that id.
Screenshots of the landing page and of chosen notebook pages are saved in the run
folder (``screenshots/``).

Chromium is Debian's ``chromium`` with ``chromium-driver``, driven by Selenium;
no browser is downloaded. ``python -m localise.suite.sitecheck reports/latest``
runs the check from the command line.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import pathname2url, url2pathname

__all__ = ["CHROMIUM_ARGS", "SiteCheck", "chromium_paths", "check_site"]

#: Command-line switches for a quiet, offline, throw-away headless Chromium.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
)

_COLLECT = """
return {
  title: document.title,
  ready: document.readyState,
  ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id)
        .concat(Array.from(document.querySelectorAll('a[name]')).map(e => e.name)),
  links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
  images: Array.from(document.images).map(i => ({src: i.currentSrc || i.src, complete: i.complete,
                                                  width: i.naturalWidth})),
};
"""

_EAGER = "document.querySelectorAll('img[loading]').forEach(i => { i.loading = 'eager'; });"
_IMAGES_DONE = "return Array.from(document.images).every(i => i.complete);"


@dataclass
class SiteCheck:
    """What the browser saw."""

    pages: list[str] = field(default_factory=list)
    """Site pages loaded, relative to the site folder."""
    images: int = 0
    broken_pages: list[str] = field(default_factory=list)
    broken_images: list[str] = field(default_factory=list)
    broken_links: list[str] = field(default_factory=list)
    """``page -> target`` for every link that leads nowhere."""
    external_links: list[str] = field(default_factory=list)
    """http(s) links (not followed: the check runs offline)."""
    console_errors: list[str] = field(default_factory=list)
    screenshots: list[Path] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every page loaded, every image rendered and every link resolved."""
        return not (self.broken_pages or self.broken_images or self.broken_links or self.console_errors)

    def summary(self) -> str:
        """A few lines for a terminal or a test failure."""
        lines = [
            f"{len(self.pages)} pages, {self.images} images, {len(self.external_links)} external links not followed, "
            f"{len(self.screenshots)} screenshots, {self.seconds:.1f} s"
        ]
        for label, items in (
            ("page did not load", self.broken_pages),
            ("image not rendered", self.broken_images),
            ("broken link", self.broken_links),
            ("console error", self.console_errors),
        ):
            lines += [f"  {label}: {item}" for item in items[:20]]
            if len(items) > 20:
                lines.append(f"  ... and {len(items) - 20} more")
        return "\n".join(lines)


def chromium_paths() -> tuple[str, str] | None:
    """``(chromium, chromedriver)`` executables, or None when either is missing."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not driver and Path("/usr/lib/chromium/chromedriver").is_file():
        driver = "/usr/lib/chromium/chromedriver"
    return (browser, driver) if browser and driver else None


def _driver(profile: Path, width: int, height: int) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    found = chromium_paths()
    if found is None:
        raise RuntimeError("chromium and chromedriver not found (Debian: apt-get install chromium chromium-driver)")
    browser, driver = found
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must never try to download a browser
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in CHROMIUM_ARGS:
        options.add_argument(argument)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"browser": "SEVERE"})
    return webdriver.Chrome(options=options, service=Service(executable_path=driver))


def _as_path(url: str) -> tuple[Path | None, str]:
    """Local file and fragment of a ``file:`` URL; ``(None, "")`` for any other scheme."""
    parts = urlsplit(url)
    if parts.scheme != "file":
        return None, ""
    return Path(url2pathname(unquote(parts.path))), unquote(parts.fragment)


def _load(browser: Any, url: str, timeout: float = 30) -> dict[str, Any]:
    browser.get(url)
    browser.execute_script(_EAGER)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not browser.execute_script(_IMAGES_DONE):
        time.sleep(0.1)
    return browser.execute_script(_COLLECT)


def check_site(
    site: Path,
    *,
    screenshots: dict[str, str] | None = None,
    screenshot_dir: Path | None = None,
    width: int = 1280,
    height: int = 1400,
) -> SiteCheck:
    """Crawl a built site in headless Chromium.

    Parameters
    ----------
    site
        The site folder (``reports/<run-id>/site``).
    screenshots
        ``{name: page}`` pages to photograph, relative to the site folder
        (e.g. ``{"landing": "index.html"}``); a notebook page gets a second shot
        scrolled to its first figure (``<name>_figure.png``).
    screenshot_dir
        Where the PNG files go; default ``<run folder>/screenshots``.
    width, height
        Window size in CSS pixels.
    """
    started = time.perf_counter()
    site = Path(site).resolve()
    report = SiteCheck()
    screenshot_dir = Path(screenshot_dir) if screenshot_dir else site.parent / "screenshots"
    with tempfile.TemporaryDirectory(prefix="localise-chromium-") as profile:
        browser = _driver(Path(profile), width, height)
        try:
            _crawl(browser, site, report)
            for shot, page_file in (screenshots or {}).items():
                report.screenshots += _photograph(browser, site / page_file, screenshot_dir, shot, width, height)
        finally:
            browser.quit()
    report.external_links = sorted(set(report.external_links))
    report.seconds = time.perf_counter() - started
    return report


def _crawl(browser: Any, site: Path, report: SiteCheck) -> None:
    """Load every page reachable from ``site/index.html``; record in ``report`` what is broken."""
    ids: dict[Path, set[str]] = {}
    fragments: list[tuple[str, Path, str]] = []
    queue = deque([site / "index.html"])
    seen = {site / "index.html"}
    while queue:
        page = queue.popleft()
        name = str(page.relative_to(site))
        if not page.is_file():
            report.broken_pages.append(name)
            continue
        found = _load(browser, "file://" + pathname2url(str(page)))
        report.pages.append(name)
        if found["ready"] != "complete" or not found["title"]:
            report.broken_pages.append(f"{name} (state {found['ready']!r}, title {found['title']!r})")
        ids[page] = set(found["ids"])
        _check_images_and_console(browser, name, found["images"], report)
        for target, fragment in _local_links(name, found["links"], report):
            if target.suffix == ".html" and site in target.parents:
                if fragment:
                    fragments.append((name, target, fragment))
                if target not in seen:
                    seen.add(target)
                    queue.append(target)
    for source, target, fragment in fragments:
        if fragment not in ids.get(target, set()):
            report.broken_links.append(f"{source} -> {target.relative_to(site)}#{fragment} (no such anchor)")


def _check_images_and_console(browser: Any, name: str, images: list[dict[str, Any]], report: SiteCheck) -> None:
    """Count the page's images, note those not rendered and the browser's severe console messages."""
    for image in images:
        report.images += 1
        if not image["complete"] or image["width"] <= 0:
            report.broken_images.append(f"{name}: {image['src'][:200]}")
    for entry in browser.get_log("browser"):
        if entry.get("level") == "SEVERE":
            report.console_errors.append(f"{name}: {entry.get('message', '')[:300]}")


def _local_links(name: str, links: list[str], report: SiteCheck) -> list[tuple[Path, str]]:
    """``(file, fragment)`` of each link of page ``name`` to an existing local file.

    http(s) links go to ``report.external_links``, links to missing files to ``report.broken_links``.
    """
    found = []
    for link in links:
        target, fragment = _as_path(link)
        if target is None:
            if urlsplit(link).scheme in {"http", "https"}:
                report.external_links.append(link)
            continue
        if target.is_dir():
            target = target / "index.html"
        if not target.exists():
            report.broken_links.append(f"{name} -> {link}")
            continue
        found.append((target, fragment))
    return found


def _photograph(browser: Any, page: Path, folder: Path, name: str, width: int, height: int) -> list[Path]:
    """Screenshot of the top of ``page``; for a page with figures, one more at its first figure."""
    folder.mkdir(parents=True, exist_ok=True)
    if not page.is_file():
        return []
    _load(browser, "file://" + pathname2url(str(page)))
    full = int(browser.execute_script("return document.documentElement.scrollHeight"))
    if name in {"landing", "index"}:
        browser.set_window_size(width, min(max(full, height), 6000))
    shots = [folder / f"{name}.png"]
    browser.save_screenshot(str(shots[0]))
    browser.set_window_size(width, height)
    has_figure = browser.execute_script(
        "const i = document.querySelector('.cell_output img');"
        "if (!i) return false; i.scrollIntoView({block: 'center', behavior: 'instant'}); return true;"
    )
    if has_figure and name not in {"landing", "index"}:
        time.sleep(0.3)
        shots.append(folder / f"{name}_figure.png")
        browser.save_screenshot(str(shots[1]))
    return shots


def main(argv: list[str] | None = None) -> int:
    """``python -m localise.suite.sitecheck RUN_DIR``: check a run's site in headless Chromium."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m localise.suite.sitecheck", description=main.__doc__)
    parser.add_argument("run_dir", type=Path, help="a run folder, e.g. reports/latest")
    parser.add_argument(
        "--shot",
        action="append",
        default=[],
        metavar="OUTPUT",
        help="also photograph this notebook page (output name), e.g. 05_social_progress",
    )
    args = parser.parse_args(argv)
    site = args.run_dir.resolve() / "site"
    shots = {"landing": "index.html", **{name: f"notebooks/{name}.html" for name in args.shot}}
    report = check_site(site, screenshots=shots)
    print(report.summary())
    for path in report.screenshots:
        print(f"screenshot: {path}")
    return 0 if report.ok else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The built book in a real browser (headless Debian Chromium via Playwright).

Builds the book exactly as ``make book`` does (fresh, into a temporary folder),
serves it on 127.0.0.1, and opens every page of _toc.yml: no console errors, no
failed requests, every plotly figure drawn, and figures follow the dark theme.

Chromium comes from Debian (``apt-get install chromium``; ``make test`` does it);
Playwright never downloads a browser. Set GLOVE_CHROMIUM to use another binary.
"""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest

from glove_lite.book.plotting import THEME_COLORS

CHROMIUM = os.environ.get("GLOVE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# No outside host at all: plotly.js and MathJax are served by the book itself.
ALLOWED_EXTERNAL_HOSTS: set[str] = set()
FIGURES_DRAWN = """() => [...document.querySelectorAll('.plotly-graph-div')].every(
    gd => gd._fullLayout && gd.querySelector('svg.main-svg'))"""
HAS_MATH = "() => document.querySelectorAll('.math').length > 0"
# Every math element typeset by MathJax (served offline from _static/mathjax).
MATH_TYPESET = """() => [...document.querySelectorAll('.math')].every(
    el => el.querySelector('mjx-container'))"""
FIGURE_COLORS = """() => [...document.querySelectorAll('.plotly-graph-div')].map(gd => ({
    id: gd.id,
    paper: gd._fullLayout.paper_bgcolor,
    plot: gd._fullLayout.plot_bgcolor,
    font: gd._fullLayout.font.color,
    svg: getComputedStyle(gd.querySelector('svg.main-svg')).backgroundColor}))"""


def book_build_command(output_dir: Path) -> list[str]:
    """The command of ``make book``, writing into ``output_dir/_build/html``."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    return [
        str(jupyter_book), "build", ".", "--warningiserror", "--keep-going",
        "--builder", "html", "--path-output", str(output_dir),
    ]


@pytest.fixture(scope="session")
def book_html(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the book from scratch (warnings are errors) and return its HTML folder."""
    out = tmp_path_factory.mktemp("book")
    result = subprocess.run(
        book_build_command(out), cwd=repo_root, capture_output=True, text=True,
        env={**os.environ, "JAX_PLATFORMS": "cpu"},
    )
    assert result.returncode == 0, f"book build failed:\n{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
    html = out / "_build" / "html"
    assert (html / "index.html").is_file()
    return html


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static file handler that does not log every request."""

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def server(book_html: Path) -> Iterator[str]:
    """Serve the built book on 127.0.0.1 at a free port; yield its base URL."""
    handler = functools.partial(QuietHandler, directory=str(book_html))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Debian Chromium, driven by Playwright."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install it with "
            "`apt-get update && apt-get install -y chromium` (make test does this), "
            "or set GLOVE_CHROMIUM"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class PageLog:
    """What went wrong while a page loaded."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)


def open_page(browser: object, url: str, color_scheme: str = "light") -> tuple[object, PageLog]:
    """Open ``url`` in a fresh context, recording errors; outside hosts are blocked."""
    context = browser.new_context(color_scheme=color_scheme)
    page = context.new_page()
    log = PageLog()

    def route(r: object) -> None:
        host = urlparse(r.request.url).hostname
        if host in ("127.0.0.1", "localhost") or r.request.url.startswith("data:"):
            r.continue_()
        else:
            log.blocked.append(r.request.url)
            r.abort()

    def on_console(msg: object) -> None:
        if msg.type == "error":
            source = (msg.location or {}).get("url", "")
            if source not in log.blocked:
                log.console_errors.append(f"{msg.text} ({source})")

    def on_failed(request: object) -> None:
        if request.url not in log.blocked:
            log.failed_requests.append(f"{request.url}: {request.failure}")

    def on_response(response: object) -> None:
        if response.status >= 400:
            log.failed_requests.append(f"{response.url}: HTTP {response.status}")

    page.route("**/*", route)
    page.on("console", on_console)
    page.on("pageerror", lambda exc: log.page_errors.append(str(exc)))
    page.on("requestfailed", on_failed)
    page.on("response", on_response)
    page.goto(url, wait_until="load")
    page.wait_for_function(FIGURES_DRAWN, timeout=20_000)
    page.wait_for_timeout(300)  # let deferred scripts settle and report errors
    return page, log


def assert_clean(log: PageLog, url: str) -> None:
    """No errors of any kind, and only allowed outside hosts were asked for."""
    assert not log.page_errors, f"{url}: uncaught errors {log.page_errors}"
    assert not log.console_errors, f"{url}: console errors {log.console_errors}"
    assert not log.failed_requests, f"{url}: failed requests {log.failed_requests}"
    hosts = {urlparse(u).hostname for u in log.blocked}
    assert hosts <= ALLOWED_EXTERNAL_HOSTS, f"{url}: requests to outside hosts {sorted(hosts)}"


def test_page(browser: object, server: str, book_page: str) -> None:
    """Every page loads cleanly; its figures are drawn and follow the theme."""
    url = f"{server}/{book_page}.html"
    tab, log = open_page(browser, url)
    try:
        assert_clean(log, url)
        if tab.evaluate(HAS_MATH):
            tab.wait_for_function(MATH_TYPESET, timeout=20_000)
            assert_clean(log, url)
        before = tab.evaluate(FIGURE_COLORS)
        if not before:
            return
        light, dark = THEME_COLORS["light"], THEME_COLORS["dark"]
        for fig in before:
            assert fig["paper"] == light["paper_bgcolor"], fig
            assert fig["font"] == light["font_color"], fig
        tab.evaluate("document.documentElement.dataset.theme = 'dark'")
        tab.wait_for_function(
            f"() => [...document.querySelectorAll('.plotly-graph-div')].every("
            f"gd => gd._fullLayout.paper_bgcolor === '{dark['paper_bgcolor']}')",
            timeout=10_000,
        )
        after = tab.evaluate(FIGURE_COLORS)
        for old, new in zip(before, after):
            assert new["font"] == dark["font_color"], new
            assert new["plot"] == dark["plot_bgcolor"], new
            assert new["svg"] != old["svg"], f"{new['id']}: the drawn background did not change"
        tab.evaluate("document.documentElement.dataset.theme = 'light'")
        tab.wait_for_function(
            f"() => [...document.querySelectorAll('.plotly-graph-div')].every("
            f"gd => gd._fullLayout.paper_bgcolor === '{light['paper_bgcolor']}')",
            timeout=10_000,
        )
        assert_clean(log, url)
    finally:
        tab.context.close()


def test_figures_dark_on_load(browser: object, server: str, toc_entries: list[str]) -> None:
    """A reader whose system prefers dark sees dark figures from the start."""
    checked = 0
    for entry in toc_entries:
        url = f"{server}/{entry}.html"
        tab, log = open_page(browser, url, color_scheme="dark")
        try:
            assert tab.evaluate("document.documentElement.dataset.theme") == "dark"
            tab.wait_for_function(
                "() => [...document.querySelectorAll('.plotly-graph-div')].every("
                f"gd => gd._fullLayout.paper_bgcolor === '{THEME_COLORS['dark']['paper_bgcolor']}')",
                timeout=10_000,
            )
            checked += len(tab.evaluate(FIGURE_COLORS))
            assert_clean(log, url)
        finally:
            tab.context.close()
    assert checked > 0, "no page of the book has a plotly figure to check"


SOLUTION_STATE = """() => [...document.querySelectorAll('.solution')].map(el => ({
    classes: el.className,
    title: el.querySelector('.admonition-title').textContent.trim(),
    shown: [...el.children].filter(c => !c.classList.contains('admonition-title'))
        .some(c => c.getBoundingClientRect().height > 0 && getComputedStyle(c).display !== 'none'),
}))"""


def test_exercise_solutions_collapsed(browser: object, server: str, chapter: str) -> None:
    """Each chapter shows its exercises, with every solution collapsed until clicked."""
    url = f"{server}/{chapter}.html"
    tab, log = open_page(browser, url)
    try:
        assert tab.locator(".exercise.admonition").count() >= 3, f"{url}: fewer than 3 exercises"
        solutions = tab.evaluate(SOLUTION_STATE)
        assert solutions, f"{url}: no solutions"
        for s in solutions:
            assert "dropdown" in s["classes"].split(), f"{url}: {s['title']} is not a dropdown"
            assert not s["shown"], f"{url}: {s['title']} is visible before it is clicked"
        tab.locator(".solution .admonition-title").first.click()
        tab.wait_for_function("() => !document.querySelector('.solution').classList.contains('toggle-hidden')")
        assert tab.evaluate(SOLUTION_STATE)[0]["shown"], f"{url}: the first solution did not open"
        assert "BEGIN SOLUTION" not in tab.content(), f"{url}: nbgrader markers are shown"
        assert_clean(log, url)
    finally:
        tab.context.close()

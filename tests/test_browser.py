"""The built book in a real browser (headless Debian Chromium via Playwright).

Builds the book exactly as ``make book`` does (fresh, into a temporary folder), serves it
on 127.0.0.1 with gzip (as a web host would) and opens every page of _toc.yml:

* at phone width (390 px) in light and in dark mode: no console errors, no failed
  requests, every figure drawn (scrolled to, as a reader would: figures are drawn lazily)
  in the page's theme, nothing wider than the screen unless it scrolls inside its own box,
  no output cut off; on the light page, figures follow a switch to dark;
* at 1280 px: no code or output block scrolls sideways;
* what a chapter loads: nothing render-blocking but small stylesheets and scripts, plotly
  fetched only after first paint, and at most :data:`BUDGET_BYTES` (gzipped) transferred
  before the first figure is needed.

Chromium comes from Debian (``apt-get install chromium``; ``make test`` does it);
Playwright never downloads a browser. Set GLOVE_CHROMIUM to use another binary.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import io
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
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
#: Bytes (gzipped) a chapter may transfer before its first figure is needed (issue 22).
BUDGET_BYTES = 1_500_000
#: Largest render-blocking resource (gzipped): the theme's stylesheet is about 66 kB.
BLOCKING_MAX_BYTES = 100_000
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
# Elements of the article that reach past the screen's right edge without a scrolling box
# around them (the page would scroll sideways, or the theme's overflow rule would cut them).
STICKING_OUT = """() => {
  const width = document.documentElement.clientWidth;
  const article = document.querySelector('.bd-article');
  const out = [];
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
      + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  for (const el of article.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || (r.right <= width + 1 && r.left >= -1)) continue;
    let boxed = false;
    for (let p = el.parentElement; p && p !== article; p = p.parentElement) {
      if (['auto', 'scroll'].includes(getComputedStyle(p).overflowX)) { boxed = true; break; }
    }
    if (!boxed && !out.some(o => o.el.contains(el))) out.push({el, text: name(el) + ' to ' + Math.round(r.right) + ' px: '
        + (el.textContent || '').trim().slice(0, 60)});
  }
  return out.map(o => o.text);
}"""
# Outputs whose content is clipped: a box that hides what overflows it, and figures whose
# drawing is wider or taller than their box.
CUT_OUTPUTS = """() => {
  const cut = [];
  for (const el of document.querySelectorAll('.bd-article .cell_output *, .bd-article .cell_input *')) {
    const s = getComputedStyle(el);
    if (['hidden', 'clip'].includes(s.overflowX) && el.scrollWidth > el.clientWidth + 1
        && !el.closest('.plotly-graph-div') && !el.closest('mjx-container'))
      cut.push(el.tagName.toLowerCase() + ': ' + (el.textContent || '').trim().slice(0, 60));
  }
  for (const gd of document.querySelectorAll('.plotly-graph-div')) {
    const svg = gd.querySelector('svg.main-svg');
    if (svg && svg.getBoundingClientRect().width > gd.getBoundingClientRect().width + 1)
      cut.push('figure ' + gd.id + ' wider than its box');
  }
  return cut;
}"""
# Code and output blocks that scroll sideways, with where they are.
SCROLLING_BLOCKS = """() => [...document.querySelectorAll('.bd-article div.cell pre')]
    .filter(pre => pre.scrollWidth > pre.clientWidth + 1)
    .map(pre => {
      const where = pre.closest('.exercise, .solution, .solution-start') ? 'exercise ' : '';
      const kind = pre.closest('.cell_input') ? 'code'
          : pre.closest('.highlight-python, .highlight-python3') ? 'shown source' : 'output';
      const longest = pre.textContent.split('\\n').sort((a, b) => b.length - a.length)[0].trim();
      return `${where}${kind} (${pre.scrollWidth} px in ${pre.clientWidth}): ${longest.slice(0, 90)}`;
    })"""
RESOURCES = """() => ({
  paint: (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime,
  resources: performance.getEntriesByType('resource').map(r => ({
    name: new URL(r.name).pathname.split('/').pop(), start: r.startTime,
    bytes: r.transferSize, blocking: r.renderBlockingStatus === 'blocking'})),
  html: performance.getEntriesByType('navigation')[0].transferSize})"""


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


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, gzipped when the browser accepts it (as web hosts serve them); no log."""

    COMPRESSED = {".html", ".js", ".css", ".json", ".svg", ".txt", ".ttf", ".woff"}

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send_head(self) -> object:
        path = Path(self.translate_path(self.path))
        if (not path.is_file() or path.suffix not in self.COMPRESSED
                or "gzip" not in self.headers.get("Accept-Encoding", "")):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), 6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


@pytest.fixture(scope="session")
def server(book_html: Path) -> Iterator[str]:
    """Serve the built book on 127.0.0.1 at a free port, gzipped; yield its base URL."""
    handler = functools.partial(GzipHandler, directory=str(book_html))
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


def open_page(
    browser: object, url: str, color_scheme: str = "light", viewport: dict[str, int] = DESKTOP
) -> tuple[object, PageLog]:
    """Open ``url`` in a fresh context, recording errors; outside hosts are blocked."""
    context = browser.new_context(color_scheme=color_scheme, viewport=viewport)
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
    page.wait_for_timeout(300)  # let deferred scripts settle and report errors
    return page, log


def reveal_figures(tab: object) -> int:
    """Scroll to each figure in turn, as a reader would, and wait until it is drawn; return how many."""
    count = tab.locator(".plotly-graph-div").count()
    for k in range(count):
        tab.locator(".plotly-graph-div").nth(k).scroll_into_view_if_needed()
        tab.wait_for_function(
            f"() => {{ const gd = document.querySelectorAll('.plotly-graph-div')[{k}];"
            " return gd._fullLayout && gd.querySelector('svg.main-svg'); }",
            timeout=20_000,
        )
    tab.wait_for_function(FIGURES_DRAWN, timeout=20_000)
    tab.evaluate("window.scrollTo(0, 0)")
    return count


def assert_clean(log: PageLog, url: str) -> None:
    """No errors of any kind, and only allowed outside hosts were asked for."""
    assert not log.page_errors, f"{url}: uncaught errors {log.page_errors}"
    assert not log.console_errors, f"{url}: console errors {log.console_errors}"
    assert not log.failed_requests, f"{url}: failed requests {log.failed_requests}"
    hosts = {urlparse(u).hostname for u in log.blocked}
    assert hosts <= ALLOWED_EXTERNAL_HOSTS, f"{url}: requests to outside hosts {sorted(hosts)}"


def wait_for_theme(tab: object, theme: str) -> None:
    """Wait until every figure has the background of ``theme``."""
    tab.wait_for_function(
        "() => [...document.querySelectorAll('.plotly-graph-div')].every("
        f"gd => gd._fullLayout.paper_bgcolor === '{THEME_COLORS[theme]['paper_bgcolor']}')",
        timeout=10_000,
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_page_on_phone(browser: object, server: str, book_page: str, scheme: str) -> None:
    """At 390 px, in the reader's theme: loads cleanly, every figure drawn in the theme's
    colours, nothing sticks out of the screen or is cut; light figures follow a switch to dark."""
    url = f"{server}/{book_page}.html"
    tab, log = open_page(browser, url, color_scheme=scheme, viewport=PHONE)
    try:
        assert tab.evaluate("document.documentElement.dataset.theme") == scheme
        assert_clean(log, url)
        if tab.evaluate(HAS_MATH):
            tab.wait_for_function(MATH_TYPESET, timeout=20_000)
        reveal_figures(tab)
        assert_clean(log, url)
        width = tab.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{url}: the page is {width} px wide at {PHONE['width']} px"
        sticking_out = tab.evaluate(STICKING_OUT)
        assert not sticking_out, f"{url} ({scheme}): wider than the screen, outside a scrolling box: {sticking_out}"
        cut = tab.evaluate(CUT_OUTPUTS)
        assert not cut, f"{url} ({scheme}): outputs cut off: {cut}"
        figures = tab.evaluate(FIGURE_COLORS)
        colors = THEME_COLORS[scheme]
        for fig in figures:
            assert fig["paper"] == colors["paper_bgcolor"], fig
            assert fig["font"] == colors["font_color"], fig
        if scheme == "dark" or not figures:
            return
        tab.evaluate("document.documentElement.dataset.theme = 'dark'")
        wait_for_theme(tab, "dark")
        after = tab.evaluate(FIGURE_COLORS)
        dark = THEME_COLORS["dark"]
        for old, new in zip(figures, after):
            assert new["font"] == dark["font_color"], new
            assert new["plot"] == dark["plot_bgcolor"], new
            assert new["svg"] != old["svg"], f"{new['id']}: the drawn background did not change"
        tab.evaluate("document.documentElement.dataset.theme = 'light'")
        wait_for_theme(tab, "light")
        assert_clean(log, url)
    finally:
        tab.context.close()


def test_page_on_desktop(browser: object, server: str, book_page: str) -> None:
    """At 1280 px no code or output block scrolls sideways, and every figure is drawn."""
    url = f"{server}/{book_page}.html"
    tab, log = open_page(browser, url, viewport=DESKTOP)
    try:
        reveal_figures(tab)
        assert_clean(log, url)
        scrolling = tab.evaluate(SCROLLING_BLOCKS)
        assert not scrolling, (
            f"{url}: {len(scrolling)} code or output blocks scroll sideways at 1280 px "
            "(88 characters fit a line):\n" + "\n".join(scrolling)
        )
        cut = tab.evaluate(CUT_OUTPUTS)
        assert not cut, f"{url}: outputs cut off: {cut}"
    finally:
        tab.context.close()


def test_what_a_chapter_loads(browser: object, server: str, chapter: str, record_property: object) -> None:
    """Before first paint only small stylesheets and scripts block; plotly.js comes after
    first paint; at most BUDGET_BYTES (gzipped) arrive before the first figure is needed."""
    url = f"{server}/{chapter}.html"
    tab, log = open_page(browser, url, viewport=DESKTOP)
    try:
        tab.wait_for_timeout(1_000)  # what arrives while the reader reads the top of the page
        first = tab.evaluate(RESOURCES)
        resources = first["resources"]
        paint = first["paint"]
        assert paint is not None, f"{url}: no first contentful paint"
        blocking = [r for r in resources if r["blocking"]]
        for r in blocking:
            assert r["bytes"] <= BLOCKING_MAX_BYTES, f"{url}: {r['name']} ({r['bytes']:,} B) blocks rendering"
        plotly = [r for r in resources if r["name"] == "plotly.min.js"]
        for r in plotly:
            assert r["start"] >= paint, f"{url}: plotly.js requested at {r['start']:.0f} ms, before first paint ({paint:.0f} ms)"
        # Everything fetched before plotly.js was asked for (all of it when it was not yet).
        before_figures = [r for r in resources if not plotly or r["start"] < plotly[0]["start"]]
        before_bytes = first["html"] + sum(r["bytes"] for r in before_figures)
        before_paint = first["html"] + sum(r["bytes"] for r in resources if r["start"] < paint)
        record_property("bytes_before_first_paint", before_paint)
        record_property("bytes_before_first_figure", before_bytes)
        print(f"{chapter}: first paint at {paint:.0f} ms; {before_paint:,} B requested before it "
              f"({len(blocking)} blocking, {sum(r['bytes'] for r in blocking):,} B); "
              f"{before_bytes:,} B before the first figure is needed")
        assert before_bytes <= BUDGET_BYTES, (
            f"{url}: {before_bytes:,} B (gzipped) before the first figure is needed; budget {BUDGET_BYTES:,} B: "
            f"{sorted(((r['bytes'], r['name']) for r in before_figures), reverse=True)[:8]}"
        )
        count = reveal_figures(tab)
        if count:
            loaded = tab.evaluate(RESOURCES)["resources"]
            assert any(r["name"] == "plotly.min.js" for r in loaded), f"{url}: figures drawn without plotly.js?"
        assert_clean(log, url)
    finally:
        tab.context.close()


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

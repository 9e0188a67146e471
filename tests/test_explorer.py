"""The word explorer (book/explorer.md): its data file (glove_lite.book.explorer) and the page in a
real browser, checked against the library.

The browser tests build the book (as ``make book``; the first build trains the vectors the
disk cache lacks), open the explorer from disk (``file://``) and over HTTP, light and dark, at
phone width (390 px), type words, and compare what the page shows with ``WordVectors`` on the
same vectors: at least 9 of each word's 10 neighbours, analogies without their query words,
the library's unknown-word message with its suggestions, no console errors.
"""

from __future__ import annotations

import base64
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from glove_lite.book.explorer import (GLOBAL, MAX_DATA_BYTES, ExplorerSet, decoded, dequantise, explorer_payload,
                                      explorer_script, quantise, restrict, write_explorer_data)
from glove_lite.errors import GloveLiteError, UnknownWordError
from glove_lite.preprocess import suggest_words
from glove_lite.vectors import WordVectors
from test_browser import CHROMIUM, CHROMIUM_ARGS, book_html, server  # noqa: F401  (fixtures: the built book, HTTP)

# ----------------------------------------------------------------------------- the data file


def random_vectors(n=300, d=20, seed=0, words=None):
    rng = np.random.default_rng(seed)
    words = words or [f"w{i}" for i in range(n)]
    return WordVectors(tuple(words), rng.normal(size=(len(words), d)).astype(np.float32))


def test_quantise_is_int8_with_a_per_row_scale():
    v = np.array([[0.5, -1.0, 0.25], [3.0, 0.0, -0.3], [0.0, 0.0, 0.0]])
    codes = quantise(v)
    assert codes.dtype == np.int8
    np.testing.assert_array_equal(codes, [[64, -127, 32], [127, 0, -13], [0, 0, 0]])
    unit = dequantise(codes)
    np.testing.assert_allclose(np.linalg.norm(unit[:2], axis=1), 1.0)
    np.testing.assert_array_equal(unit[2], 0.0)
    np.testing.assert_array_equal(quantise(v * 1000), codes)  # the scale is per row: lengths drop out


def test_quantised_cosines_stay_within_a_hundredth():
    wv = random_vectors(d=100)
    exact = wv.vectors / np.linalg.norm(wv.vectors, axis=1, keepdims=True)
    approx = dequantise(quantise(wv.vectors))
    assert np.abs(exact @ exact.T - approx @ approx.T).max() < 0.01


def decode_payload(payload):
    words = payload["words"].split("\n")
    out = {}
    for s in payload["sets"]:
        rows = np.frombuffer(base64.b64decode(s["rows"]), dtype="<u2")
        codes = np.frombuffer(base64.b64decode(s["codes"]), dtype=np.int8).reshape(s["n"], s["dim"])
        out[s["id"]] = ([words[r] for r in rows], codes)
    return out


def test_payload_round_trips_words_order_and_codes():
    a = random_vectors(5, 4, words=["the", "état", "of", "liberty", "'s"])
    b = restrict(random_vectors(5, 3, seed=1, words=["new", "of", "the", "x", "y"]), {"of", "new", "y"})
    assert b.words == ("new", "of", "y")  # restrict keeps the vectors' own order
    payload, size = explorer_payload([ExplorerSet("a", "A", "note a", a), ExplorerSet("b", "B", "note b", b)])
    sets = decode_payload(payload)
    assert sets["a"][0] == list(a.words) and sets["b"][0] == list(b.words)
    np.testing.assert_array_equal(sets["a"][1], quantise(a.vectors))
    np.testing.assert_array_equal(sets["b"][1], quantise(b.vectors))
    assert payload["words"].split("\n") == ["the", "état", "of", "liberty", "'s", "new", "y"]  # each word once
    assert size == len(payload["words"].encode()) + 5 * 4 + 3 * 3 + 2 * (5 + 3)
    assert [s["label"] for s in payload["sets"]] == ["A", "B"] and payload["sets"][1]["note"] == "note b"


def test_script_assigns_one_global_in_ascii():
    wv = random_vectors(3, 2, words=["a", "é", "\u2028"])
    text = explorer_script([ExplorerSet("s", "S", "n", wv)])
    assert text.isascii()
    body = re.search(rf"^window\.{GLOBAL} = (\{{.*\}});$", text, re.M).group(1)
    assert json.loads(body)["words"].split("\n") == ["a", "é", "\u2028"]


def test_bad_sets_are_refused_by_name():
    wv = random_vectors(3, 2)
    with pytest.raises(GloveLiteError, match="at least one"):
        explorer_payload([])
    with pytest.raises(GloveLiteError, match="each id once"):
        explorer_payload([ExplorerSet("s", "", "", wv), ExplorerSet("s", "", "", wv)])
    with pytest.raises(GloveLiteError, match="line break"):
        explorer_payload([ExplorerSet("s", "", "", random_vectors(1, 2, words=["a\nb"]))])
    with pytest.raises(GloveLiteError, match=r"at most 100 \(s: 300 x 20\)"):
        explorer_script([ExplorerSet("s", "", "", random_vectors())], max_bytes=100)


def test_write_replaces_only_a_changed_file(tmp_path):
    path = tmp_path / "explorer-data.js"
    sets = [ExplorerSet("s", "S", "n", random_vectors(4, 3))]
    assert write_explorer_data(path, sets) is True
    assert write_explorer_data(path, sets) is False
    assert path.read_text(encoding="ascii") == explorer_script(sets)
    assert write_explorer_data(path, [ExplorerSet("s", "S", "other", random_vectors(4, 3))]) is True


# ----------------------------------------------------------------------------- the page in a browser

PROBES = {  # set id -> words typed into the explorer
    "sotu": ["liberty", "union", "welfare", "state", "war", "tax", "america", "slavery"],
    "1890-1919": ["welfare", "union", "liberty", "labor"],
    "1970-2026": ["welfare", "health", "america"],
    "glove6b": ["liberty", "union", "welfare", "state"],
}
ANALOGIES = [("he", "his", "she"), ("man", "king", "woman"), ("france", "paris", "england"), ("good", "better", "bad")]
UNKNOWN = ["libertty", "wellfare", "xqzvw"]
READY = '#glove-explorer[data-ready="true"]'
RESULTS = """sel => [...document.querySelectorAll(sel + ' li')].map(li => [li.dataset.word, Number(li.dataset.cosine)])"""


@pytest.fixture(scope="module")
def in_browser():
    """Run a function in a thread of its own that holds Playwright and Chromium: ``in_browser(fn, *args)``
    calls ``fn(browser, *args)`` there. Playwright's sync API allows one instance per thread, and
    tests/test_browser.py keeps its own open on the main thread for the whole session."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install it with `apt-get install -y chromium` or set GLOVE_CHROMIUM")
    thread, state = ThreadPoolExecutor(max_workers=1), {}

    def start():
        from playwright.sync_api import sync_playwright

        state["playwright"] = sync_playwright().start()
        state["browser"] = state["playwright"].chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

    def stop():
        state["browser"].close()
        state["playwright"].stop()

    thread.submit(start).result()
    yield lambda fn, *args: thread.submit(fn, state["browser"], *args).result()
    thread.submit(stop).result()
    thread.shutdown()


@pytest.fixture(scope="session")
def golden(book_html):
    """The explorer's sets, from the library, as the book build made them (session scope: the same
    disk cache as the build, before any test points GLOVE_LITE_CACHE elsewhere)."""
    from glove_lite.book.explorer import explorer_sets

    return {s.id: s.vectors for s in explorer_sets()}


def test_data_file_is_within_its_budget(book_html):
    size = (book_html / "_static" / "explorer-data.js").stat().st_size
    assert size <= MAX_DATA_BYTES * 4 / 3 + 200_000, f"explorer-data.js is {size:,} bytes"
    page = (book_html / "book" / "explorer.html").read_text(encoding="utf-8")
    assert "explorer-data.js" not in page  # loaded by explorer.js after the first paint, not by the page
    assert re.search(r'<script defer="defer" src="\.\./_static/explorer\.js', page)
    for other in ("05_inspecting", "06_evaluation", "intro"):
        assert "explorer.js" not in (book_html / "book" / f"{other}.html").read_text(encoding="utf-8")


def open_explorer(browser, url, scheme):
    """The explorer page at phone width, with its errors recorded; waits until the vectors are loaded."""
    from test_browser import PageLog

    context = browser.new_context(color_scheme=scheme, viewport={"width": 390, "height": 844})
    page = context.new_page()
    log = PageLog()
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "http://127.0.0.1", "data:"))
               else (log.blocked.append(r.request.url), r.abort()))
    page.on("console", lambda m: log.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: log.page_errors.append(str(e)))
    page.on("requestfailed", lambda r: log.failed_requests.append(f"{r.url}: {r.failure}"))
    page.on("response", lambda r: log.failed_requests.append(f"{r.url}: HTTP {r.status}") if r.status >= 400 else None)
    page.goto(url, wait_until="load")
    page.wait_for_selector(READY, timeout=30_000)
    return page, log


def type_word(page, box, word, target, query):
    page.fill(box, word)
    page.press(box, "Enter")
    page.wait_for_selector(f'{target}[data-query="{query}"]', timeout=5_000)


def agree(shown, expected):
    return len({w for w, _ in shown} & {w for w, _ in expected})


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("origin", ["file", "http"])
def test_explorer_answers_as_the_library(in_browser, book_html, server, golden, origin, scheme):
    url = (book_html / "book" / "explorer.html").as_uri() if origin == "file" else f"{server}/book/explorer.html"
    in_browser(check_explorer, url, scheme, origin, golden)


def check_explorer(browser, url, scheme, origin, golden):
    """Type words into the explorer at ``url`` and compare its answers with the library's."""
    from test_browser import assert_clean

    page, log = open_explorer(browser, url, scheme)
    try:
        menu = page.eval_on_selector_all("#gx-set option", "os => os.map(o => o.value)")
        assert menu == list(golden), "the menu lists every set, in order"
        for set_id, words in PROBES.items():
            page.select_option("#gx-set", set_id)
            wv = golden[set_id]
            for word in words:
                type_word(page, "#gx-word", word.upper() if word == "union" else word, "#gx-neighbours",
                          f"{set_id}:{word}")  # typed in capitals: lowercased like the corpus
                shown, expected = page.evaluate(RESULTS, "#gx-neighbours"), wv.nearest_neighbors(word, 10)
                assert len(shown) == 10
                assert agree(shown, expected) >= 9, f"{set_id} {word}: {shown} against {expected}"
                cos = dict(expected)
                assert all(abs(c - cos[w]) < 0.01 for w, c in shown if w in cos), f"{set_id} {word}: cosines"
            for a, b, c in ANALOGIES:
                if not all(w in wv for w in (a, b, c)):
                    continue
                page.fill("#gx-a", a), page.fill("#gx-b", b), page.fill("#gx-c", c)
                page.press("#gx-c", "Enter")
                page.wait_for_selector(f'#gx-analogy[data-query="{set_id}:{a} {b} {c}"]', timeout=5_000)
                shown = page.evaluate(RESULTS, "#gx-analogy")
                assert not {a, b, c} & {w for w, _ in shown}, "an analogy never answers with a query word"
                assert agree(shown, wv.analogy(a, b, c, k=10)) >= 9, f"{set_id} {a}:{b}::{c}: {shown}"
        for set_id in ("sotu", "1790-1849"):
            page.select_option("#gx-set", set_id)
            for word in UNKNOWN:
                type_word(page, "#gx-word", word, "#gx-neighbours", f"{set_id}:{word}")
                message = page.text_content("#gx-neighbours .gx-error")
                assert message == str(UnknownWordError(word, suggest_words(word, golden[set_id].words)))
        page.select_option("#gx-set", "sotu")
        type_word(page, "#gx-word", "libertty", "#gx-neighbours", "sotu:libertty")
        page.click("#gx-neighbours .gx-suggestion >> nth=0")  # a suggestion shows its neighbours
        page.wait_for_selector('#gx-neighbours[data-query="sotu:liberty"]', timeout=5_000)
        check_eras(page, golden)
        check_screen(page, scheme, origin)
        assert_clean(log, url)
    finally:
        page.context.close()


def check_eras(page, golden):
    """In an era, the cosine between the word's aligned vectors there and in each other era."""
    from glove_lite.align import cosine_distances

    eras = [k for k in golden if re.fullmatch(r"\d{4}-\d{4}", k)]
    page.select_option("#gx-set", eras[2])
    type_word(page, "#gx-word", "welfare", "#gx-neighbours", f"{eras[2]}:welfare")
    line = page.text_content("#gx-eras")
    for era in eras:
        if era == eras[2]:
            continue
        shown = float(re.search(rf"{era} (-?[0-9.]+)", line).group(1))
        expected = 1 - cosine_distances(golden[eras[2]], golden[era], ["welfare"])[0]
        assert abs(shown - expected) < 0.01, f"welfare {eras[2]} against {era}: {shown} vs {expected:.3f}"


def luminance(css_color):
    r, g, b = (int(x) for x in re.findall(r"\d+", css_color)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def check_screen(page, scheme, origin):
    """Nothing wider than the phone's screen; colours follow the theme; the data came after first paint."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = page.evaluate("""() => { const r = document.getElementById('glove-explorer').getBoundingClientRect();
        return [r.left, r.right, Math.max(...[...document.querySelectorAll('#glove-explorer *')]
            .map(e => e.getBoundingClientRect().right))]; }""")
    assert 0 <= box[0] and box[1] <= 390 and box[2] <= box[1] + 1, f"explorer spills out: {box}"
    style = page.evaluate("""() => { const s = getComputedStyle(document.getElementById('glove-explorer'));
        return [s.backgroundColor, s.color]; }""")
    background, text = luminance(style[0]), luminance(style[1])
    assert (background < 0.3 < 0.6 < text) if scheme == "dark" else (text < 0.4 < 0.8 < background), style
    paints, requested, resources = page.evaluate("""() => [
        performance.getEntriesByType('paint').map(p => p.startTime),
        performance.getEntriesByName('explorer-data-requested').map(m => m.startTime),
        performance.getEntriesByType('resource').filter(r => r.name.includes('explorer-data.js'))
            .map(r => [r.startTime, r.renderBlockingStatus])]""")
    assert paints and len(requested) == 1 and requested[0] >= min(paints), \
        f"the data was requested before the first paint: paints {paints}, requested {requested}"
    if origin == "http":  # file:// loads get no resource timing entries
        assert len(resources) == 1 and resources[0][1] == "non-blocking" and resources[0][0] >= min(paints), resources


def test_quantised_neighbours_of_every_probe_agree(golden):
    """Without a browser: the decoded int8 vectors keep 9 of 10 neighbours for every probe word."""
    for set_id, words in PROBES.items():
        exact, approx = golden[set_id], decoded(golden[set_id])
        for word in words:
            assert agree(approx.nearest_neighbors(word, 10), exact.nearest_neighbors(word, 10)) >= 9, (set_id, word)

"""Local Sphinx extension for the glove-lite book.

* Pages load only what they use, and nothing heavy before their first paint:

  - **Lazy assets** (:data:`LAZY_ASSETS`): a page whose body contains an asset's marker
    gets ``lazy-load.js`` (deferred) and a JSON list of its assets; after first paint that
    script fetches an asset's scripts, in order, when the first element matching the
    asset's selector comes within a screen of the viewport (see ``book/_static/lazy-load.js``).
    To give a new kind of page element a heavy script, add a :class:`LazyAsset` to the
    list: its files in ``book/_static`` (or copied into the build's ``_static``), a marker
    that says a page needs it, and the selector of the elements that need it. Ship scripts
    as plain IIFEs; UMD bundles get ``define`` hidden while they run (require.js's
    "Mismatched anonymous define()").
  - plotly.js is such an asset: ``plotly.min.js`` is copied from the installed ``plotly``
    package into the build's ``_static`` (never committed) and loaded with
    ``plotly-figures.js``, which draws each figure from the JSON that
    ``glove_lite.book.plotting.figure_html`` stores beside its div. Every stored plotly
    figure's ``text/html`` is rebuilt from its plotly JSON when the notebook is read, so
    outputs stored by an older ``show`` render the same way.
  - MathJax only on pages with maths (myst-nb asks Sphinx to put it on every page), served
    offline from the ``django-static-mathjax`` package: only the files a page can request
    are copied into ``_static/mathjax`` (``_config.yml`` points ``mathjax_path`` at it).
  - No FontAwesome script: pydata-sphinx-theme's stylesheet already draws the icons with
    FontAwesome's web fonts, which the browser fetches only on pages that show an icon;
    the theme's 1.5 MB ``fontawesome.js`` that turns them into SVG is removed.
  - No source maps: ``*.map`` files are deleted from the build and their references
    removed from the scripts and stylesheets.

* Checks every notebook's stored outputs: a plotly figure must come with a ``text/html``
  twin (made by ``glove_lite.book.plotting.show``) and must not embed plotly.js. myst-nb
  cannot render plotly's own mime type and would otherwise drop the figure silently (its
  ``unknown_mime_type`` warning is suppressed in ``_config.yml`` because ``show`` emits
  that mime type for JupyterLab).
* Hides nbgrader's ``### BEGIN SOLUTION`` / ``### END SOLUTION`` marker lines in the
  rendered book (the notebooks keep them: the student edition needs them).
* Serves the word explorer (book/explorer.md): its script and style on its page only, and
  its data, ``_static/explorer-data.js``, written on every build by
  ``glove_lite.book.explorer`` from the vectors the chapters use (generated, never committed).
* Works around a console error of the stock Jupyter Book 1.0.4 stack: inline
  scripts such as sphinx-thebe 0.3.1's ``const THEBE_JS_URL = ...`` reach each
  page twice ("Identifier 'THEBE_JS_URL' has already been declared").
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent.parent / "_static"
PLOTLY_JS = "plotly.min.js"
FIGURES_JS = "plotly-figures.js"
FIGURES_CSS = "plotly-figures.css"
LAZY_JS = "lazy-load.js"
BOOK_CSS = "book.css"
FIGURE_MARKER = 'class="plotly-graph-div"'
MATH_MARKER = 'class="math'
PLOTLY_MIME = "application/vnd.plotly.v1+json"
MAX_HTML_OUTPUT = 1_000_000  # bytes; plotly.js alone is ~4.8 MB


@dataclass(frozen=True)
class LazyAsset:
    """Scripts that a page fetches after first paint, once an element needing them nears the screen.

    ``marker``: text in a page's HTML body that says the page needs them; ``selector``: the
    CSS selector of the elements that need them; ``scripts``: files of the build's
    ``_static``, run in this order; ``css``: small stylesheets linked as usual (they style
    the elements before the scripts arrive).
    """

    name: str
    marker: str
    selector: str
    scripts: tuple[str, ...]
    css: tuple[str, ...] = ()


#: The book's lazy assets; see the module docstring.
LAZY_ASSETS: list[LazyAsset] = [
    LazyAsset("plotly", FIGURE_MARKER, ".plotly-graph-div", (PLOTLY_JS, FIGURES_JS), (FIGURES_CSS,)),
]


def plotly_js_source() -> Path:
    """Path of the plotly.js bundle shipped inside the installed plotly package."""
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data" / PLOTLY_JS


def add_static_path(app: Sphinx) -> None:
    """Make ``book/_static`` part of the HTML static files."""
    if str(STATIC_DIR) not in app.config.html_static_path:
        app.config.html_static_path.append(str(STATIC_DIR))


def static_version(app: Sphinx, filename: str) -> str:
    """A short hash of a static file's content (for its URL, so caches refresh when it changes)."""
    for folder in (Path(app.outdir) / "_static", STATIC_DIR):
        path = folder / filename
        if path.is_file():
            return hashlib.sha256(path.read_bytes()).hexdigest()[:8]
    return "0"


def add_page_assets(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Give a page the book's stylesheet and the lazy assets its body needs."""
    app.add_css_file(BOOK_CSS)
    body = context.get("body", "")
    needed = [asset for asset in LAZY_ASSETS if asset.marker in body]
    if not needed:
        return
    pathto = context["pathto"]
    listing = [
        {
            "name": asset.name,
            "selector": asset.selector,
            "scripts": [
                f"{pathto('_static/' + name, 1)}?v={static_version(app, name)}" for name in asset.scripts
            ],
        }
        for asset in needed
    ]
    for asset in needed:
        for css in asset.css:
            app.add_css_file(css)
    # "<" escaped: the JSON sits inside a <script> element.
    payload = json.dumps(listing).replace("<", "\\u003c")
    app.add_js_file(None, body=payload, type="application/json", id="glove-lazy-assets", priority=900)
    app.add_js_file(LAZY_JS, priority=910, loading_method="defer")


def is_mathjax(js: Any) -> bool:
    """True for MathJax's script or its inline configuration."""
    filename = str(getattr(js, "filename", js) or "")
    body = str(getattr(js, "attributes", {}).get("body", ""))
    return "mathjax" in filename.lower() or body.lstrip().startswith("window.MathJax")


def drop_unused_mathjax(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Remove MathJax from pages without maths (myst-nb puts it on every page)."""
    if MATH_MARKER in context.get("body", "") or not context.get("script_files"):
        return
    context["script_files"] = [js for js in context["script_files"] if not is_mathjax(js)]


def drop_duplicate_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Keep the first of identical ``<script>`` entries (same file or same inline body).

    Some extensions' scripts reach a page twice with different priorities; for
    sphinx-thebe's inline ``const THEBE_JS_URL = ...`` that is a SyntaxError.
    """
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple[Any, ...]] = set()
    kept = []
    for js in scripts:
        attributes = getattr(js, "attributes", {})
        key = (str(getattr(js, "filename", js) or ""), tuple(sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            kept.append(js)
    context["script_files"] = kept


def output_problems(notebook: dict[str, Any]) -> list[str]:
    """Describe the plotly outputs of a notebook (parsed JSON) that would not render."""
    problems = []
    for index, cell in enumerate(notebook.get("cells", [])):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            html = data.get("text/html", "")
            html = "".join(html) if isinstance(html, list) else html
            if PLOTLY_MIME in data and not html:
                problems.append(
                    f"cell {index}: plotly figure without a text/html output; "
                    "display it with glove_lite.book.plotting.show(fig), not fig.show()"
                )
            if len(html) > MAX_HTML_OUTPUT:
                problems.append(
                    f"cell {index}: HTML output of {len(html)} characters "
                    "(is plotly.js embedded? use glove_lite.book.plotting.show)"
                )
    return problems


SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def strip_solution_markers(notebook: dict[str, Any]) -> bool:
    """Remove the solution marker lines from the code cells of a notebook (in place); True if any."""
    changed = False
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        lines = ("".join(source) if isinstance(source, list) else source).splitlines(keepends=True)
        kept = [line for line in lines if line.strip() not in SOLUTION_MARKERS]
        if len(kept) != len(lines):
            cell["source"] = "".join(kept).rstrip("\n")
            changed = True
    return changed


DIV_ID = re.compile(r'id="(glove-fig-[0-9a-f]+(?:-\d+)?)"')


def rebuild_figure_html(notebook: dict[str, Any]) -> bool:
    """Rebuild each plotly output's ``text/html`` from its plotly JSON (in place); True if any changed.

    The HTML is what :func:`glove_lite.book.plotting.figure_html` makes today, with the
    div id the stored HTML has, so a notebook executed with an older ``show`` renders the
    same way as a fresh one.
    """
    from glove_lite.book.plotting import figure_html

    changed = False
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            stored = data.get("text/html")
            if PLOTLY_MIME not in data or not stored:
                continue
            stored = "".join(stored) if isinstance(stored, list) else stored
            found = DIV_ID.search(stored)
            if not found:
                continue
            html = figure_html(data[PLOTLY_MIME], found.group(1))
            if html != stored:
                data["text/html"] = html
                changed = True
    return changed


def read_notebook(app: Sphinx, docname: str, source: list[str]) -> None:
    """On reading a notebook: warn (an error under -W) about outputs that would not
    render, draw figures the book's way, and show solution code without its marker lines."""
    if not str(app.env.doc2path(docname)).endswith(".ipynb"):
        return
    try:
        notebook = json.loads(source[0])
    except ValueError:
        return
    for problem in output_problems(notebook):
        logger.warning(f"{problem} [glove_book.plotly]", location=docname)
    figures = rebuild_figure_html(notebook)
    if strip_solution_markers(notebook) or figures:
        source[0] = json.dumps(notebook)


def copy_plotly_js(app: Sphinx) -> None:
    """Copy plotly.min.js from the plotly package into the HTML build's ``_static``.

    Done when the builder starts, before pages are written, so that Sphinx can
    add a checksum to the script's URL (the cache is refreshed when plotly changes).
    """
    if app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / PLOTLY_JS
    source = plotly_js_source()
    if not target.exists() or target.read_bytes() != source.read_bytes():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        logger.info(f"[glove_book] copied {source} -> {target}")


def mathjax_source() -> Path:
    """The MathJax 3 ``es5`` folder shipped by the ``django-static-mathjax`` package."""
    try:
        import mathjax
    except ImportError as exc:
        raise RuntimeError(
            "the book serves MathJax offline from the 'django-static-mathjax' package; "
            "install the book extra: pip install -e '.[book]'"
        ) from exc
    return Path(mathjax.__file__).resolve().parent / "static" / "mathjax" / "es5"


#: What MathJax's ``tex-chtml.js`` can request (relative to the MathJax folder): its
#: fonts, TeX extensions loaded on demand, and the menu's accessibility tools. The other
#: builds in the package (SVG output, MathML input, the "full" bundles) are never used.
MATHJAX_PARTS = ("tex-chtml.js", "output/chtml/fonts", "input/tex/extensions", "a11y", "sre", "ui")


def copy_mathjax(app: Sphinx) -> None:
    """Copy the parts of MathJax the book uses into the build's ``_static/mathjax`` (never committed)."""
    if app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    source = mathjax_source()
    for part in MATHJAX_PARTS:
        if (target / part).exists():
            continue
        (target / part).parent.mkdir(parents=True, exist_ok=True)
        if (source / part).is_dir():
            shutil.copytree(source / part, target / part)
        else:
            shutil.copyfile(source / part, target / part)
    logger.info(f"[glove_book] MathJax ({', '.join(MATHJAX_PARTS)}) -> {target}")


#: pydata-sphinx-theme's FontAwesome script and its preload hint, in every page's <head>.
FONTAWESOME_TAGS = re.compile(
    r'\s*<(?:script[^>]*|link[^>]*rel="preload"[^>]*)_static/scripts/fontawesome\.js[^>]*>(?:</script>)?'
)
SOURCE_MAP_COMMENT = re.compile(r"\n?(?://# sourceMappingURL=\S+|/\*# sourceMappingURL=\S+ \*/)\s*$")


def trim_build(app: Sphinx, exception: Exception | None) -> None:
    """After an HTML build: drop the FontAwesome script and every source map."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    for page in out.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        trimmed = FONTAWESOME_TAGS.sub("", text)
        if trimmed != text:
            page.write_text(trimmed, encoding="utf-8")
    static = out / "_static"
    for name in ("fontawesome.js", "fontawesome.js.LICENSE.txt", "fontawesome.js.map"):
        (static / "scripts" / name).unlink(missing_ok=True)
    for source_map in static.rglob("*.map"):
        source_map.unlink()
    for path in [*static.rglob("*.js"), *static.rglob("*.css")]:
        if "mathjax" in path.relative_to(static).parts:
            continue
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        trimmed = SOURCE_MAP_COMMENT.sub("", text)
        if trimmed != text:
            path.write_text(trimmed, encoding="utf-8", errors="surrogateescape")


EXPLORER_MARKER = 'id="glove-explorer"'
EXPLORER_JS = "explorer.js"
EXPLORER_CSS = "explorer.css"
EXPLORER_DATA = "explorer-data.js"


def add_explorer_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """On the explorer's page only: its script (deferred; it reads the data after the first
    paint) and its style."""
    if EXPLORER_MARKER in context.get("body", ""):
        app.add_js_file(EXPLORER_JS, loading_method="defer")
        app.add_css_file(EXPLORER_CSS)


def write_explorer_data(app: Sphinx) -> None:
    """Write the explorer's vectors into the HTML build's ``_static`` (glove_lite.book.explorer).

    The first build trains the vectors the disk cache lacks (a few minutes); later builds
    read them from the cache in seconds.
    """
    if app.builder.format != "html":
        return
    from glove_lite.book.explorer import write_explorer_data as write

    target = Path(app.outdir) / "_static" / EXPLORER_DATA
    target.parent.mkdir(parents=True, exist_ok=True)
    if write(target, progress=True):
        logger.info(f"[glove_book] wrote the explorer's vectors -> {target}")


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the extension's event handlers."""
    app.connect("builder-inited", add_static_path)
    app.connect("source-read", read_notebook)
    app.connect("html-page-context", add_page_assets)
    app.connect("html-page-context", drop_unused_mathjax, priority=890)
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    app.connect("builder-inited", copy_plotly_js)
    app.connect("builder-inited", copy_mathjax)
    app.connect("build-finished", trim_build)
    app.connect("builder-inited", write_explorer_data)
    app.connect("html-page-context", add_explorer_scripts)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}

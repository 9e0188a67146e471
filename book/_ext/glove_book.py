"""Local Sphinx extension for the glove-lite book.

* Serves plotly.js offline: ``plotly.min.js`` is copied from the installed
  ``plotly`` package into the build's ``_static`` (it is never committed) and is
  loaded, together with ``plotly-theme.js``, on pages that contain a figure.
* Checks every notebook's stored outputs: a plotly figure must come with a
  ``text/html`` twin (made by ``glove_lite.book.plotting.show``) and must not embed
  plotly.js. myst-nb cannot render plotly's own mime type and would otherwise
  drop the figure silently (its ``unknown_mime_type`` warning is suppressed in
  ``_config.yml`` because ``show`` emits that mime type for JupyterLab).
* Serves MathJax offline too: the MathJax 3 build shipped by the
  ``django-static-mathjax`` package (import name ``mathjax``, static files only)
  is copied into ``_static/mathjax``; ``_config.yml`` points ``mathjax_path`` at it.
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

import json
import shutil
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent.parent / "_static"
PLOTLY_JS = "plotly.min.js"
THEME_JS = "plotly-theme.js"
THEME_CSS = "plotly-theme.css"
FIGURE_MARKER = 'class="plotly-graph-div"'
PLOTLY_MIME = "application/vnd.plotly.v1+json"
MAX_HTML_OUTPUT = 1_000_000  # bytes; plotly.js alone is ~4.8 MB


def plotly_js_source() -> Path:
    """Path of the plotly.js bundle shipped inside the installed plotly package."""
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data" / PLOTLY_JS


def add_static_path(app: Sphinx) -> None:
    """Make ``book/_static`` part of the HTML static files."""
    if str(STATIC_DIR) not in app.config.html_static_path:
        app.config.html_static_path.append(str(STATIC_DIR))


def add_figure_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """On pages with figures, load plotly.js (blocking: the figures' inline scripts
    call it) and the theme script and style."""
    if FIGURE_MARKER in context.get("body", ""):
        app.add_js_file(PLOTLY_JS, priority=200)
        app.add_js_file(THEME_JS, priority=210, loading_method="defer")
        app.add_css_file(THEME_CSS)


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


def read_notebook(app: Sphinx, docname: str, source: list[str]) -> None:
    """On reading a notebook: warn (an error under -W) about outputs that would not
    render, and show solution code without its marker lines."""
    if not str(app.env.doc2path(docname)).endswith(".ipynb"):
        return
    try:
        notebook = json.loads(source[0])
    except ValueError:
        return
    for problem in output_problems(notebook):
        logger.warning(f"{problem} [glove_book.plotly]", location=docname)
    if strip_solution_markers(notebook):
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


def copy_mathjax(app: Sphinx) -> None:
    """Copy MathJax into the HTML build's ``_static/mathjax`` (never committed)."""
    if app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    if not (target / "tex-chtml.js").exists():
        shutil.copytree(mathjax_source(), target, dirs_exist_ok=True)
        logger.info(f"[glove_book] copied MathJax -> {target}")


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
    app.connect("html-page-context", add_figure_scripts)
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    app.connect("builder-inited", copy_plotly_js)
    app.connect("builder-inited", copy_mathjax)
    app.connect("builder-inited", write_explorer_data)
    app.connect("html-page-context", add_explorer_scripts)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}

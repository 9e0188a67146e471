"""glove_lite.book.plotting: display bundles, templates, and the book's theme script."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import plotly.graph_objects as go
import pytest

from glove_lite.book import plotting

REPO_ROOT = Path(__file__).resolve().parent.parent
THEME_JS = REPO_ROOT / "book" / "_static" / "plotly-theme.js"
EXTENSION = REPO_ROOT / "book" / "_ext" / "glove_book.py"


def demo_figure(scale: float = 1.0) -> go.Figure:
    """A small line plot."""
    fig = plotting.new_figure(title="demo")
    fig.add_scatter(x=[0, 1, 2], y=[0, scale, 4 * scale], name="y")
    return fig


def test_bundle_has_plotly_json_and_html() -> None:
    bundle = plotting.mime_bundle(demo_figure(2.0))
    assert set(bundle) == {plotting.PLOTLY_MIME, "text/html"}
    assert bundle[plotting.PLOTLY_MIME]["data"][0]["name"] == "y"
    html = bundle["text/html"]
    assert 'class="plotly-graph-div"' in html
    assert len(html) < 50_000, "plotly.js must not be embedded"
    assert "<script src=" not in html


def test_div_id_is_deterministic() -> None:
    first = plotting.mime_bundle(demo_figure(3.0))["text/html"]
    again = plotting.mime_bundle(demo_figure(3.0))["text/html"]
    other = plotting.mime_bundle(demo_figure(4.0))["text/html"]
    ids = [re.search(r'id="(glove-fig-[0-9a-f]{16}(-\d+)?)"', h).group(1) for h in (first, again, other)]
    assert ids[1] == ids[0] + "-2", "an identical figure shown again gets a suffix"
    assert ids[2][:26] != ids[0][:26]
    json_id = plotting.figure_id(json.dumps({"a": 1}))
    assert json_id == plotting.figure_id(json.dumps({"a": 1}))


def test_show_applies_template_and_height() -> None:
    fig = go.Figure(go.Bar(x=["a"], y=[1]))
    layout = plotting.mime_bundle(fig)[plotting.PLOTLY_MIME]["layout"]
    assert layout["height"] == plotting.DEFAULT_HEIGHT
    light = plotting.THEME_COLORS["light"]
    assert layout["template"]["layout"]["paper_bgcolor"] == light["paper_bgcolor"]
    assert fig.layout.height is None, "show must not modify the caller's figure"


def test_templates_use_theme_colors() -> None:
    for theme, template in (("light", plotting.LIGHT_TEMPLATE), ("dark", plotting.DARK_TEMPLATE)):
        colors = plotting.THEME_COLORS[theme]
        assert template.layout.paper_bgcolor == colors["paper_bgcolor"]
        assert template.layout.plot_bgcolor == colors["plot_bgcolor"]
        assert template.layout.font.color == colors["font_color"]
        assert template.layout.xaxis.gridcolor == colors["gridcolor"]
        assert list(template.layout.colorway) == plotting.COLORWAY


def test_theme_script_matches_python_colors() -> None:
    """book/_static/plotly-theme.js recolours figures with THEME_COLORS."""
    text = THEME_JS.read_text(encoding="utf-8")
    block = re.search(r"/\* THEMES-BEGIN \*/\s*const THEMES = (\{.*?\});\s*/\* THEMES-END \*/", text, re.S)
    assert block, "THEMES block not found in plotly-theme.js"
    assert json.loads(block.group(1)) == plotting.THEME_COLORS


def test_show_displays_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append((obj, raw)))
    plotting.show(demo_figure(5.0))
    assert shown and shown[0][1] is True
    assert "text/html" in shown[0][0]


def load_extension():
    """Import book/_ext/glove_book.py (not a package)."""
    spec = importlib.util.spec_from_file_location("glove_book", EXTENSION)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("glove_book", module)
    spec.loader.exec_module(module)
    return module


def test_extension_flags_figures_without_html() -> None:
    ext = load_extension()
    bundle = plotting.mime_bundle(demo_figure(6.0))
    good = {"cells": [{"outputs": [{"output_type": "display_data", "data": bundle}]}]}
    plotly_only = {plotting.PLOTLY_MIME: bundle[plotting.PLOTLY_MIME]}
    bad = {"cells": [{"outputs": [{"output_type": "display_data", "data": plotly_only}]}]}
    assert ext.output_problems(good) == []
    assert "without a text/html" in ext.output_problems(bad)[0]
    assert ext.plotly_js_source().is_file()


def test_extension_hides_solution_markers_only() -> None:
    ext = load_extension()
    code = "def f(x):\n    ### BEGIN SOLUTION\n    return x  # ### END SOLUTION stays in a comment\n    ### END SOLUTION\n"
    nb = {"cells": [{"cell_type": "code", "source": code}, {"cell_type": "markdown", "source": "### BEGIN SOLUTION\n"},
                    {"cell_type": "code", "source": ["x = 1\n", "y = 2"]}]}
    assert ext.strip_solution_markers(nb) is True
    assert nb["cells"][0]["source"] == "def f(x):\n    return x  # ### END SOLUTION stays in a comment"
    assert nb["cells"][1]["source"] == "### BEGIN SOLUTION\n"  # prose is left alone
    assert nb["cells"][2]["source"] == ["x = 1\n", "y = 2"]
    assert ext.strip_solution_markers(nb) is False

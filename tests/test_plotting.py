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
THEME_JS = REPO_ROOT / "book" / "_static" / "plotly-figures.js"
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
    assert "Plotly." not in html, "no inline script may call plotly.js (it loads after first paint)"


def figure_parts(html: str) -> tuple[str | None, str, dict]:
    """The title text, the div's style and the figure JSON of plotting.figure_html's output."""
    title = re.search(r'<p class="glove-figure-title">(.*?)</p>', html)
    style = re.search(r'<div id="[^"]+" class="plotly-graph-div" style="([^"]*)"></div>', html).group(1)
    payload = re.search(r'<script type="application/json" data-glove-figure="[^"]+">(.*?)</script>', html, re.S)
    return (title.group(1) if title else None), style, json.loads(payload.group(1))


def test_figure_html_sets_the_title_as_text_above_the_plot() -> None:
    fig = plotting.new_figure(title="Distribution of X<sub>ij</sub> & more", xaxis_title="X<sub>ij</sub>")
    fig.add_scatter(x=[1, 2], y=[3, 4])
    bundle = plotting.mime_bundle(fig)
    title, style, spec = figure_parts(bundle["text/html"])
    assert title == "Distribution of X<sub>ij</sub> &amp; more"
    assert "title" not in spec["layout"], "the plot itself has no title (no clash with toolbar or top axis)"
    assert spec["layout"]["margin"]["t"] == plotting.BOOK_TOP_MARGIN
    assert spec["layout"]["xaxis"]["title"]["text"] == "X<sub>ij</sub>"
    assert f"height:{plotting.DEFAULT_HEIGHT}px" in style
    jupyter = bundle[plotting.PLOTLY_MIME]["layout"]
    assert jupyter["title"]["text"] == "Distribution of X<sub>ij</sub> & more", "JupyterLab keeps the title"


def test_figure_html_escapes_markup_and_script_ends() -> None:
    fig = plotting.new_figure(title="<script>alert(1)</script> <b>bold</b>")
    fig.add_scatter(x=[0], y=[0], name="</script><!--")
    title, _, spec = figure_parts(plotting.mime_bundle(fig)["text/html"])
    assert title == "&lt;script&gt;alert(1)&lt;/script&gt; <b>bold</b>"
    html = plotting.mime_bundle(fig)["text/html"]
    assert html.count("</script>") == 1, "the figure's JSON cannot end its <script> early"
    assert spec["data"][0]["name"] == "</script><!--"


def test_fixed_width_becomes_a_largest_width() -> None:
    fig = plotting.new_figure(title="square", width=520, height=430)
    fig.add_heatmap(z=[[1, 2], [3, 4]])
    bundle = plotting.mime_bundle(fig)
    _, style, spec = figure_parts(bundle["text/html"])
    assert "width" not in spec["layout"], "a fixed width would overflow a phone's column"
    assert "max-width:520px" in style and "width:100%" in style and "height:430px" in style
    assert bundle[plotting.PLOTLY_MIME]["layout"]["width"] == 520


def test_explicit_top_margin_gives_back_the_titles_room_and_menus_keep_theirs() -> None:
    fig = plotting.new_figure(title="t", margin={"t": 110})
    assert figure_parts(plotting.mime_bundle(fig)["text/html"])[2]["layout"]["margin"]["t"] == 60
    untitled = plotting.new_figure(margin={"t": 110})
    assert figure_parts(plotting.mime_bundle(untitled)["text/html"])[2]["layout"]["margin"]["t"] == 110
    menus = plotting.new_figure(title="t", updatemenus=[{"buttons": [{"label": "a", "method": "update", "args": [{}]}]}])
    assert "margin" not in figure_parts(plotting.mime_bundle(menus)["text/html"])[2]["layout"]


def test_log_axes_label_only_the_decades() -> None:
    for template in (plotting.LIGHT_TEMPLATE, plotting.DARK_TEMPLATE):
        assert template.layout.xaxis.minorloglabels == "none"
        assert template.layout.yaxis.minorloglabels == "none"


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
    """book/_static/plotly-figures.js draws and recolours figures with THEME_COLORS."""
    text = THEME_JS.read_text(encoding="utf-8")
    block = re.search(r"/\* THEMES-BEGIN \*/\s*const THEMES = (\{.*?\});\s*/\* THEMES-END \*/", text, re.S)
    assert block, "THEMES block not found in plotly-figures.js"
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


def test_extension_rebuilds_old_figure_html_from_the_plotly_json() -> None:
    """Outputs stored by an older show (an inline Plotly.newPlot call) render the book's way."""
    ext = load_extension()
    bundle = plotting.mime_bundle(demo_figure(7.0))
    div_id = re.search(r'id="(glove-fig-[0-9a-f]{16})"', bundle["text/html"]).group(1)
    old = f'<div id="{div_id}" class="plotly-graph-div"></div><script>Plotly.newPlot("{div_id}", [], {{}})</script>'
    nb = {"cells": [{"outputs": [{"output_type": "display_data", "data": {**bundle, "text/html": old}}]}]}
    assert ext.rebuild_figure_html(nb) is True
    assert nb["cells"][0]["outputs"][0]["data"]["text/html"] == bundle["text/html"]
    assert ext.rebuild_figure_html(nb) is False


def test_extension_lists_its_lazy_assets() -> None:
    ext = load_extension()
    (plotly,) = [a for a in ext.LAZY_ASSETS if a.name == "plotly"]
    assert plotly.scripts == (ext.PLOTLY_JS, ext.FIGURES_JS)
    static = REPO_ROOT / "book" / "_static"
    for name in (ext.LAZY_JS, ext.FIGURES_JS, ext.FIGURES_CSS, ext.BOOK_CSS):
        assert (static / name).is_file(), name
    assert plotly.marker in plotting.mime_bundle(demo_figure(8.0))["text/html"]


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

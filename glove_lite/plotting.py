"""Plotly figures for the book: light/dark templates and a display helper.

Figures are drawn with :data:`LIGHT_TEMPLATE`. In the built book a small script
(``book/_static/plotly-theme.js``) recolours them with the colours in
:data:`THEME_COLORS` when the reader switches to dark mode, so the two must stay
in sync (``tests/test_plotting.py`` checks this).

Use :func:`show` rather than ``fig.show()`` in chapters: plotly >= 6 only emits
its own JSON mime type, which Jupyter Book does not render.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

__all__ = [
    "COLORWAY",
    "THEME_COLORS",
    "LIGHT_TEMPLATE",
    "DARK_TEMPLATE",
    "DEFAULT_HEIGHT",
    "make_template",
    "new_figure",
    "figure_id",
    "mime_bundle",
    "show",
]

PLOTLY_MIME = "application/vnd.plotly.v1+json"

#: Trace colours (Tableau 10): readable on both the light and the dark background.
COLORWAY: list[str] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
]

#: Layout colours per theme; backgrounds and text match sphinx-book-theme (1.3).
THEME_COLORS: dict[str, dict[str, str]] = {
    "light": {
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "font_color": "#222832",
        "gridcolor": "#e5e8ec",
        "linecolor": "#b6bcc4",
        "zerolinecolor": "#c9ced5",
    },
    "dark": {
        "paper_bgcolor": "#121212",
        "plot_bgcolor": "#121212",
        "font_color": "#ced6dd",
        "gridcolor": "#2a2e35",
        "linecolor": "#4a4f58",
        "zerolinecolor": "#3a3f47",
    },
}

#: Figure height in pixels when a figure does not set one.
DEFAULT_HEIGHT = 420

_DISPLAY_CONFIG: dict[str, Any] = {"responsive": True, "displaylogo": False}


def make_template(theme: str) -> go.layout.Template:
    """Build the plotly template for ``theme`` (``"light"`` or ``"dark"``)."""
    c = THEME_COLORS[theme]
    axis = {
        "gridcolor": c["gridcolor"],
        "linecolor": c["linecolor"],
        "zerolinecolor": c["zerolinecolor"],
        "ticks": "",
        "automargin": True,
        "title": {"standoff": 12},
    }
    scene_axis = {
        "gridcolor": c["gridcolor"],
        "linecolor": c["linecolor"],
        "zerolinecolor": c["zerolinecolor"],
        "showbackground": False,
    }
    return go.layout.Template(
        layout={
            "colorway": COLORWAY,
            "font": {"family": "system-ui, -apple-system, 'Segoe UI', sans-serif",
                     "size": 13, "color": c["font_color"]},
            "paper_bgcolor": c["paper_bgcolor"],
            "plot_bgcolor": c["plot_bgcolor"],
            "xaxis": axis,
            "yaxis": axis,
            "scene": {"xaxis": scene_axis, "yaxis": scene_axis, "zaxis": scene_axis},
            "legend": {"bgcolor": "rgba(0,0,0,0)"},
            "hoverlabel": {"align": "left"},
            "title": {"x": 0.02, "xanchor": "left"},
            "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
            "colorscale": {"sequential": "Viridis"},
        }
    )


LIGHT_TEMPLATE: go.layout.Template = make_template("light")
DARK_TEMPLATE: go.layout.Template = make_template("dark")
pio.templates["glove_light"] = LIGHT_TEMPLATE
pio.templates["glove_dark"] = DARK_TEMPLATE


def new_figure(**layout: Any) -> go.Figure:
    """Return an empty figure with the light template and the book's defaults.

    Keyword arguments are layout properties, e.g. ``title="Loss"``.
    """
    defaults: dict[str, Any] = {"template": LIGHT_TEMPLATE, "height": DEFAULT_HEIGHT}
    return go.Figure(layout={**defaults, **layout})


def _prepared(fig: go.Figure) -> go.Figure:
    """Copy ``fig`` with the book's template and a default height."""
    out = go.Figure(fig)
    out.update_layout(template=LIGHT_TEMPLATE)
    if out.layout.height is None:
        out.update_layout(height=DEFAULT_HEIGHT)
    return out


def figure_id(fig_json: str) -> str:
    """Deterministic HTML id for a figure: a hash of its JSON."""
    return "glove-fig-" + hashlib.sha256(fig_json.encode("utf-8")).hexdigest()[:16]


_shown: Counter[str] = Counter()


def mime_bundle(fig: go.Figure) -> dict[str, Any]:
    """Return the display bundle for ``fig``: plotly JSON and an HTML div.

    The HTML never embeds plotly.js (the book serves it once). Its div id is a
    hash of the figure, so re-executing a notebook reproduces it; showing an
    identical figure again in the same kernel appends ``-2``, ``-3``, ...
    """
    fig = _prepared(fig)
    fig_json = pio.to_json(fig, validate=False)
    div_id = figure_id(fig_json)
    _shown[div_id] += 1
    if _shown[div_id] > 1:
        div_id = f"{div_id}-{_shown[div_id]}"
    html = pio.to_html(
        fig,
        include_plotlyjs=False,
        include_mathjax=False,
        full_html=False,
        div_id=div_id,
        config=_DISPLAY_CONFIG,
        validate=False,
    )
    plotly_json = json.loads(fig_json)
    plotly_json["config"] = dict(_DISPLAY_CONFIG)
    return {PLOTLY_MIME: plotly_json, "text/html": html}


def show(fig: go.Figure) -> None:
    """Display ``fig`` in a notebook so that JupyterLab and the built book both draw it."""
    if "google.colab" in sys.modules:  # Colab's HTML sandbox has no plotly.js
        _prepared(fig).show(renderer="colab")
        return
    from IPython.display import display

    display(mime_bundle(fig), raw=True)

"""Plotly figures for the book: light/dark templates and a display helper.

Figures are drawn with :data:`LIGHT_TEMPLATE`. In the built book they are drawn by
``book/_static/plotly-figures.js`` once plotly.js has loaded (after the page's first
paint, when a figure comes near the screen), in the colours of :data:`THEME_COLORS`
for the reader's theme, so the two must stay in sync (``tests/test_plotting.py``
checks this). That script also fits figures to phones: a fixed ``width`` becomes a
largest width, legends move above the plot, and panels side by side are stacked.

Use :func:`show` rather than ``fig.show()`` in chapters: plotly >= 6 only emits
its own JSON mime type, which Jupyter Book does not render.
"""

from __future__ import annotations

import copy
import hashlib
import html
import json
import re
import sys
import warnings
from collections import Counter
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from glove_lite.errors import GloveLiteError

if TYPE_CHECKING:
    from glove_lite.vectors import WordVectors

__all__ = [
    "COLORWAY",
    "THEME_COLORS",
    "LIGHT_TEMPLATE",
    "DARK_TEMPLATE",
    "DEFAULT_HEIGHT",
    "make_template",
    "new_figure",
    "figure_id",
    "figure_html",
    "mime_bundle",
    "show",
    "plot_loss_curve",
    "reduce_umap",
    "plot_neighbors",
    "plot_similarity_heatmap",
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
        # Log axes label the decades only: plotly's default "2  5  2  5" between them
        # reads as a sequence of numbers of its own.
        "minorloglabels": "none",
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

#: Top margin (px) of a figure whose title the book draws above it as text.
BOOK_TOP_MARGIN = 30
#: Room (px) a plotly title takes in the top margin, given back when the book moves it out.
TITLE_ROOM = 50
_TITLE_TAGS = re.compile(r"&lt;(/?)(b|i|sub|sup)&gt;|&lt;br\s*/?&gt;", re.IGNORECASE)


def _title_html(text: str) -> str:
    """A plotly title as HTML: escaped, keeping plotly's <b>, <i>, <sub>, <sup> and <br>."""
    def tag(m: re.Match[str]) -> str:
        return f"<{m.group(1)}{m.group(2).lower()}>" if m.group(2) else "<br>"

    return _TITLE_TAGS.sub(tag, html.escape(text, quote=False))


def figure_html(spec: Mapping[str, Any], div_id: str) -> str:
    """The book's HTML for a figure: its title as text, an empty div, and the figure as JSON.

    ``spec`` is plotly's JSON of the figure (``data``, ``layout``, ``config``). The book's
    script ``plotly-figures.js`` draws the div once plotly.js has loaded, so no script in
    the page waits for plotly. The title is taken out of the plot and set as text above it
    (it wraps on a phone and never runs under plotly's toolbar or a top axis); a fixed
    ``layout.width`` becomes the div's largest width, so a figure never overflows a
    narrow column. Plotly's JSON for JupyterLab keeps both.
    """
    layout = copy.deepcopy(dict(spec.get("layout", {})))
    title = layout.pop("title", None)
    text = title.get("text") if isinstance(title, Mapping) else title
    margin = dict(layout.get("margin") or {})
    if text and "t" in margin:
        layout["margin"] = {**margin, "t": max(BOOK_TOP_MARGIN, margin["t"] - TITLE_ROOM)}
    elif text and not layout.get("updatemenus"):  # menus sit in the template's top margin
        layout["margin"] = {**margin, "t": BOOK_TOP_MARGIN}
    width = layout.pop("width", None)
    height = layout.get("height") or DEFAULT_HEIGHT
    style = f"height:{int(height)}px;width:100%;" + (f"max-width:{int(width)}px;" if width else "")
    figure = {"data": spec.get("data", []), "layout": layout, "config": spec.get("config", _DISPLAY_CONFIG)}
    # JSON inside <script>: "<" escaped so that no "</script>" or "<!--" can end it early.
    payload = json.dumps(figure, separators=(",", ":"), sort_keys=True).replace("<", "\\u003c")
    caption = f'<p class="glove-figure-title">{_title_html(str(text))}</p>' if text else ""
    return (
        f'<div class="glove-figure">{caption}'
        f'<div id="{div_id}" class="plotly-graph-div" style="{style}"></div>'
        f'<script type="application/json" data-glove-figure="{div_id}">{payload}</script></div>'
    )


def mime_bundle(fig: go.Figure) -> dict[str, Any]:
    """Return the display bundle for ``fig``: plotly JSON and the book's HTML (:func:`figure_html`).

    The HTML never embeds plotly.js (the book loads it once, after first paint). Its
    div id is a hash of the figure, so re-executing a notebook reproduces it; showing
    an identical figure again in the same kernel appends ``-2``, ``-3``, ...
    """
    fig = _prepared(fig)
    fig_json = pio.to_json(fig, validate=False)
    div_id = figure_id(fig_json)
    _shown[div_id] += 1
    if _shown[div_id] > 1:
        div_id = f"{div_id}-{_shown[div_id]}"
    plotly_json = json.loads(fig_json)
    plotly_json["config"] = dict(_DISPLAY_CONFIG)
    return {PLOTLY_MIME: plotly_json, "text/html": figure_html(plotly_json, div_id)}


def show(fig: go.Figure) -> None:
    """Display ``fig`` in a notebook so that JupyterLab and the built book both draw it."""
    if "google.colab" in sys.modules:  # Colab's HTML sandbox has no plotly.js
        _prepared(fig).show(renderer="colab")
        return
    from IPython.display import display

    display(mime_bundle(fig), raw=True)


# ----------------------------------------------------------------------------- chapter figures
# Numbers that come from training or UMAP are rounded before they go into a figure, so
# that a rerun of a chapter reproduces the stored plotly JSON (nbval compares it exactly).


def _signif(values: Sequence[float], digits: int) -> list[float]:
    """Round each value to ``digits`` significant digits."""
    return [float(f"{float(v):.{digits}g}") for v in values]


def plot_loss_curve(
    losses: Sequence[float] | Mapping[str, Sequence[float]],
    title: str = "Training loss",
    log_y: bool = False,
    digits: int = 5,
) -> go.Figure:
    """Loss per epoch (epochs count from 1); a mapping ``{name: losses}`` draws one line per run.

    Values are rounded to ``digits`` significant digits.
    """
    runs = dict(losses) if isinstance(losses, Mapping) else {"loss": losses}
    if not runs or any(len(v) == 0 for v in runs.values()):
        raise GloveLiteError("no losses to plot; expected at least one epoch per run")
    fig = new_figure(
        title=title,
        xaxis_title="epoch",
        yaxis_title="loss (mean per non-zero of X)",
        showlegend=len(runs) > 1,
    )
    for name, values in runs.items():
        fig.add_scatter(x=list(range(1, len(values) + 1)), y=_signif(values, digits), mode="lines+markers", name=name)
    if log_y:
        fig.update_yaxes(type="log")
    return fig


def reduce_umap(
    vectors: "WordVectors",
    words: Sequence[str],
    n_neighbors: int = 15,
    random_state: int = 0,
    min_dist: float = 0.1,
    decimals: int = 4,
) -> np.ndarray:
    """2-D UMAP coordinates (n, 2) of ``words``, cosine metric, rounded to ``decimals``.

    A fixed ``random_state`` makes UMAP deterministic (and single-threaded);
    ``n_neighbors`` is capped at ``len(words) - 1``. Unknown words raise
    :class:`~glove_lite.errors.UnknownWordError`.
    """
    words = list(words)
    if len(set(words)) != len(words):
        dup = next(w for i, w in enumerate(words) if w in words[:i])
        raise GloveLiteError(f"the word {dup!r} appears twice; expected distinct words")
    if len(words) < 4:
        raise GloveLiteError(f"{len(words)} words; UMAP needs at least 4")
    integer = isinstance(n_neighbors, (int, np.integer))
    if not integer or isinstance(n_neighbors, bool) or n_neighbors < 2:
        raise GloveLiteError(f"n_neighbors={n_neighbors!r}; expected an integer >= 2")
    data = np.stack([vectors[w] for w in words])  # raises UnknownWordError
    with warnings.catch_warnings():
        # umap warns on import (tqdm widgets) and on fit (n_jobs, random_state).
        warnings.simplefilter("ignore")
        import umap  # slow to import (numba); only needed here

        reducer = umap.UMAP(
            n_neighbors=min(n_neighbors, len(words) - 1),
            n_components=2,
            metric="cosine",
            min_dist=min_dist,
            random_state=random_state,
            n_jobs=1,
        )
        coords = reducer.fit_transform(data)
    return np.round(np.asarray(coords, dtype=np.float64), decimals)


def plot_neighbors(
    wv: "WordVectors",
    center_words: Sequence[str],
    k: int = 10,
    n_neighbors: int = 15,
    random_state: int = 0,
    min_dist: float = 0.5,
    title: str | None = None,
    height: int = 560,
) -> go.Figure:
    """UMAP map of each centre word with its ``k`` nearest neighbours, one colour per centre.

    All words are embedded together, so the groups share one map; ``min_dist`` (UMAP's,
    larger than its default 0.1) keeps labelled points apart. A word
    that is a neighbour of several centres is drawn once, in the first centre's group;
    centre words are drawn larger. Hover shows the cosine similarity to the centre.
    """
    centers = list(center_words)
    if not centers:
        raise GloveLiteError("no centre words; expected at least one")
    if len(set(centers)) != len(centers):
        raise GloveLiteError(f"centre words {centers!r} repeat; expected distinct words")
    groups: dict[str, list[tuple[str, float]]] = {}
    placed = set(centers)
    for c in centers:
        groups[c] = [(c, 1.0)]
        for w, sim in wv.nearest_neighbors(c, k=k):  # raises UnknownWordError
            if w not in placed:
                placed.add(w)
                groups[c].append((w, sim))
    words = [w for g in groups.values() for w, _ in g]
    coords = reduce_umap(wv, words, n_neighbors=n_neighbors, random_state=random_state, min_dist=min_dist)
    where = {w: i for i, w in enumerate(words)}
    fig = new_figure(
        title=title or f"Nearest neighbours (k = {k}), UMAP of the word vectors",
        height=height,
        xaxis={"showticklabels": False, "title": "UMAP 1", "zeroline": False},
        yaxis={"showticklabels": False, "title": "UMAP 2", "zeroline": False},
        legend_title_text="centre word",
    )
    for c, members in groups.items():
        idx = [where[w] for w, _ in members]
        fig.add_scatter(
            x=coords[idx, 0].tolist(),
            y=coords[idx, 1].tolist(),
            mode="markers+text",
            name=c,
            text=[w for w, _ in members],
            textposition="top center",
            marker={"size": [16] + [8] * (len(members) - 1), "line": {"width": 0}},
            customdata=[round(s, 3) for _, s in members],
            hovertemplate=f"%{{text}}<br>cosine to {c}: %{{customdata}}<extra></extra>",
        )
    return fig


def plot_similarity_heatmap(wv: "WordVectors", words: Sequence[str], title: str | None = None) -> go.Figure:
    """Cosine similarities between ``words`` as a heatmap (values rounded to 3 decimals)."""
    words = list(words)
    if len(words) < 2:
        raise GloveLiteError(f"{len(words)} words; expected at least 2")
    unit = np.stack([wv[w] for w in words]).astype(np.float64)  # raises UnknownWordError
    unit /= np.maximum(np.linalg.norm(unit, axis=1, keepdims=True), 1e-12)
    sims = np.round(unit @ unit.T, 3)
    fig = new_figure(
        title=title or "Cosine similarity",
        height=max(360, 34 * len(words) + 140),
        xaxis={"side": "bottom", "tickangle": -45, "showgrid": False},
        yaxis={"autorange": "reversed", "showgrid": False},
    )
    fig.add_heatmap(
        z=sims.tolist(),
        x=words,
        y=words,
        zmin=-1.0,
        zmax=1.0,
        texttemplate="%{z:.2f}",
        hovertemplate="%{y} / %{x}: %{z:.3f}<extra></extra>",
    )
    return fig

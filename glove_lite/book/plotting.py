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
    is_int = isinstance(n_neighbors, (int, np.integer)) and not isinstance(n_neighbors, bool)
    if not is_int or n_neighbors < 2:
        raise GloveLiteError(f"n_neighbors={n_neighbors!r}; expected an integer >= 2")
    data = np.stack([vectors[w] for w in words])  # raises UnknownWordError
    with warnings.catch_warnings():
        # Importing umap warns about tqdm widgets, fitting about n_jobs and random_state.
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

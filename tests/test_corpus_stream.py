"""Streaming input and tokenising at scale: pieces, documents, gzip, bad files, and the fast tokenizer."""

import errno
import gzip
import string

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from glove_lite.preprocess import tokenizers
from glove_lite.cli import main
from glove_lite.cooccur import build_cooc_matrix
from glove_lite.corpus import iter_corpus_pieces, iter_file_pieces, open_corpus
from glove_lite.errors import CorpusError
from glove_lite.counts import count_corpus, load_counts
from glove_lite.preprocess import FastTokenizer, Vocabulary, tokenize, tokenize_text, tokens_to_ids, words_tokenize

WORDS = ["liberty", "union", "nation", "people", "justice", "the", "of", "and", "état", "naïve"]


def random_lines(seed, n_lines=60, max_len=80, punct=True):
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(n_lines):
        words = [WORDS[k] for k in rng.integers(0, len(WORDS), size=rng.integers(0, max_len))]
        if punct and words:
            words[-1] += "."
        lines.append(" ".join(w.capitalize() if rng.random() < 0.2 else w for w in words))
    return lines


def reference_counts(lines, min_count, window, tokenizer=words_tokenize):
    """The in-memory way, spelled out: tokens per line, vocabulary, ids, build_cooc_matrix."""
    docs = [tokenizer(line) for line in lines]
    vocab = Vocabulary.from_documents(docs, min_count=min_count)
    return vocab, build_cooc_matrix([tokens_to_ids(d, vocab) for d in docs], len(vocab), window)


def assert_counts_equal(counts, vocab, X):
    assert counts.vocab.words == vocab.words and counts.vocab.counts == vocab.counts
    assert (counts.X != X).nnz == 0 and np.array_equal(counts.X.data, X.data)


# ----------------------------------------------------------------------------- reading


def test_tiny_pieces_lose_no_pair_at_a_piece_boundary(tmp_path, monkeypatch):
    lines = random_lines(0) + [" ".join(["nation", "people"] * 2000)]  # one long line, read in many pieces
    path = tmp_path / "c.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    pieces = list(iter_file_pieces(path, piece_bytes=64))
    assert len(pieces) > 100 and all(p.text == "" or p.text[0] != "" for p in pieces)
    assert "".join(p.text for p in pieces) == path.read_text(encoding="utf-8")
    monkeypatch.setattr("glove_lite.corpus.PIECE_BYTES", 64)
    monkeypatch.setattr("glove_lite.corpus.iter_corpus_pieces.__defaults__", (64, None))
    counts = count_corpus(path, min_count=1, window=4, tokenizer="words", memory_gb=0.004, tmp_dir=tmp_path)
    assert_counts_equal(counts, *reference_counts(lines, 1, 4))


def test_one_document_per_line_and_gzip_read_as_is(tmp_path):
    lines = random_lines(1)
    text = "\n".join(lines)
    (tmp_path / "c.txt").write_text(text, encoding="utf-8")
    (tmp_path / "c.txt.gz").write_bytes(gzip.compress(text.encode("utf-8")))
    plain = count_corpus(tmp_path / "c.txt", min_count=2, window=5, tmp_dir=tmp_path)
    zipped = count_corpus(tmp_path / "c.txt.gz", min_count=2, window=5, tmp_dir=tmp_path)
    assert_counts_equal(plain, *reference_counts(lines, 2, 5))
    assert_counts_equal(zipped, plain.vocab, plain.X)
    assert plain.settings["tokenizer"] == "words" and plain.settings["documents"] == sum(1 for x in lines if x)


def test_folder_keeps_one_file_one_document_and_the_book_tokens(tmp_path):
    texts = ["The nation shall defend liberty.\nThe people love liberty.", "Justice and liberty for the people!"]
    for k, text in enumerate(texts):
        (tmp_path / f"{k}.txt").write_text(text, encoding="utf-8")
    counts = count_corpus(tmp_path, min_count=1, window=10, tmp_dir=tmp_path)
    assert counts.settings["tokenizer"] == "treebank"
    docs = [tokenize(t) for t in texts]
    vocab = Vocabulary.from_documents(docs)
    X = build_cooc_matrix([tokens_to_ids(d, vocab) for d in docs], len(vocab), 10)
    assert_counts_equal(counts, vocab, X)
    assert X[vocab.index["defend"], vocab.index["love"]] > 0  # the newline inside a file ends no document


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"good text\n\x00\x01\x02binary", "looks binary (a NUL byte at offset 10)"),
        (b"caf\xe9 latin-1", "is not UTF-8 text (bad byte at offset 3)"),
        (b"  \n\n ", "is empty"),
        (gzip.compress(b"liberty and union " * 5000)[:-40], "is truncated"),
        (b"\x1f\x8b\x08\x00garbage", "gzip file"),
    ],
)
def test_bad_files_give_one_line_and_exit_2(tmp_path, capsys, content, expected):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    out = tmp_path / "x.npz"
    code = main(["count", "--corpus", str(path), "--output", str(out), "--min-count", "1", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and expected in err and str(path) in err
    assert err.count("\n") == 1 and "Traceback" not in err and not out.exists()


def test_open_corpus_kinds(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    assert open_corpus("sotu").kind == "sotu"
    assert open_corpus(tmp_path).kind == "folder" and open_corpus(tmp_path / "a.txt").kind == "file"
    with pytest.raises(CorpusError, match="does not exist"):
        open_corpus(tmp_path / "nonexistent")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CorpusError, match="has no .txt files"):
        open_corpus(empty)
    assert [p.doc for p in iter_corpus_pieces(open_corpus(tmp_path))] == [0]


# ----------------------------------------------------------------------------- tokenising

text_st = st.text(alphabet=st.sampled_from(list(string.printable) + list("éÉßİ’“”—…\u00a0\u3000年٣ﬁ𝔘😀\u0301")),
                  max_size=200)


@settings(max_examples=200, deadline=None)
@given(text=text_st)
def test_fast_words_tokenizer_equals_the_regex(text):
    tok = FastTokenizer(split_punct=True)
    ids, _ = tok.tokenize(text)
    assert [tok.types[i] for i in ids] == words_tokenize(text)


@settings(max_examples=100, deadline=None)
@given(text=text_st)
def test_fast_whitespace_tokenizer_equals_str_split(text):
    tok = FastTokenizer(split_punct=False)
    ids, _ = tok.tokenize(text)
    assert [tok.types[i] for i in ids] == text.lower().split()


def test_fast_tokenizer_grows_its_table_and_counts_lines():
    tok = FastTokenizer(initial_types=4)
    words = [f"w{k}" for k in range(5000)]
    ids, ends = tok.tokenize(" ".join(words[:2500]) + "\n" + " ".join(words[2500:]) + "\n", lines=True)
    assert [tok.types[i] for i in ids] == words and ends.tolist() == [2500, 5000]
    again, _ = tok.tokenize("w4999 w0")
    assert again.tolist() == [4999, 0]


def test_tokenize_text_is_tokenize_for_normal_text():
    text = "Mr. Smith went to Washington. He didn't stay! \"Liberty\", they said."
    assert tokenize_text(text) == tokenize(text)


def test_tokenize_text_never_raises(monkeypatch):
    def guarded(text, **kwargs):
        if len(text) > 1000:
            raise TimeoutError("regular-expression match exceeded its 5.0s time limit")
        if "BOOM" in text:
            raise RuntimeError("something inside NLTK")
        return tokenize.__wrapped__(text, **kwargs) if hasattr(tokenize, "__wrapped__") else original(text, **kwargs)

    original = tokenizers.tokenize
    monkeypatch.setattr(tokenizers, "tokenize", guarded)
    line = " ".join(["liberty", "and", "union"] * 600)  # one long "sentence" without full stops
    assert tokenize_text(line) == line.split()
    assert tokenize_text("a BOOM, here") == ["a", "boom", ",", "here"]  # the piece falls back to the regex


# ----------------------------------------------------------------------------- the count command


def test_count_command_file_roundtrip_and_train_from_it(tmp_path, capsys):
    lines = random_lines(2)
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(lines), encoding="utf-8")
    out = tmp_path / "x.npz"
    code = main(["count", "--corpus", str(corpus), "--min-count", "2", "--window", "4", "--memory", "0.004",
                 "--tmp-dir", str(tmp_path), "--output", str(out), "--quiet"])
    assert code == 0, capsys.readouterr().err
    counts = load_counts(out)
    assert_counts_equal(counts, *reference_counts(lines, 2, 4))
    assert counts.settings["window"] == 4 and counts.settings["min_count"] == 2
    import scipy.sparse as sp

    assert (sp.load_npz(out) != counts.X).nnz == 0  # scipy reads the matrix too
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt", "x.npz"]  # no spill files left
    vectors = tmp_path / "v.txt"
    code = main(["train", "--cooccurrence", str(out), "--dim", "4", "--epochs", "2", "--output", str(vectors), "--quiet"])
    assert code == 0 and len(vectors.read_text().splitlines()) == len(counts.vocab)
    assert main(["count", "--corpus", str(corpus), "--output", str(out), "--quiet"]) == 2  # never overwrites
    assert "already exists" in capsys.readouterr().err


def test_interrupt_leaves_no_output_and_no_spill_files(tmp_path, capsys, monkeypatch):
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(random_lines(3)), encoding="utf-8")
    spill = tmp_path / "spill"
    spill.mkdir()

    def interrupted(self, ids, docs):
        raise KeyboardInterrupt

    monkeypatch.setattr("glove_lite.cooccur_stream.CoocCounter.add", interrupted)
    out = tmp_path / "x.npz"
    code = main(["count", "--corpus", str(corpus), "--output", str(out), "--tmp-dir", str(spill), "--quiet"])
    assert code == 130 and "interrupted" in capsys.readouterr().err
    assert not out.exists() and list(spill.iterdir()) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["c.txt", "spill"]


def test_full_disk_and_small_budget_exit_2(tmp_path, capsys, monkeypatch):
    corpus = tmp_path / "c.txt"
    rng = np.random.default_rng(4)
    corpus.write_text("\n".join(" ".join(f"w{k}" for k in rng.integers(0, 500, size=100)) for _ in range(100)))
    out = tmp_path / "x.npz"
    code = main(["count", "--corpus", str(corpus), "--output", str(out), "--memory", "0.00001", "--min-count", "1",
                 "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "too small to count" in err and "--memory" in err and err.count("\n") == 1

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("glove_lite.cooccur_stream.open", no_space, raising=False)
    code = main(["count", "--corpus", str(corpus), "--output", str(out), "--memory", "0.004", "--min-count", "1",
                 "--window", "10", "--tmp-dir", str(tmp_path), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "no space left" in err and err.count("\n") == 1 and not out.exists()


def test_train_from_counts_refuses_corpus_options_and_bad_files(tmp_path, capsys):
    bogus = tmp_path / "x.npz"
    bogus.write_text("not a counts file")
    out = tmp_path / "v.txt"
    code = main(["train", "--cooccurrence", str(bogus), "--output", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "is not a readable counts file" in err and err.count("\n") == 1
    code = main(["train", "--cooccurrence", str(bogus), "--window", "5", "--output", str(out), "--quiet"])
    assert code == 2 and "--window given with --cooccurrence" in capsys.readouterr().err
    code = main(["train", "--cooccurrence", str(tmp_path / "none.npz"), "--output", str(out), "--quiet"])
    assert code == 2 and "does not exist" in capsys.readouterr().err and not out.exists()

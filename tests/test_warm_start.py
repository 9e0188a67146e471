"""Warm starts: training from given vectors (TrainConfig(init=...), glove-lite train --init FILE)."""

import numpy as np
import pytest

from glove_lite.cli import main
from glove_lite.errors import GloveLiteError
from glove_lite.training import TrainConfig, train_glove
from glove_lite.vectors import WordVectors


def test_given_words_start_at_their_vectors_and_the_others_at_random(small_corpus):
    _, vocab, X = small_corpus
    words = list(vocab.words)
    rng = np.random.default_rng(0)
    given = WordVectors(tuple(words[:50]) + ("not-in-the-corpus",), rng.normal(size=(51, 8)).astype(np.float32))
    seen = {}
    train_glove(X, TrainConfig(dim=8, epochs=1, init=given, learning_rate=1e-9), words=words,
                callback=lambda e, p, l: seen.update(p=p))  # a learning rate of nothing: the start, nearly
    start = np.asarray(seen["p"].W) + np.asarray(seen["p"].W_tilde)
    np.testing.assert_allclose(start[:50], given.vectors[:50], atol=1e-5)
    assert np.abs(start[50:]).max() < 2 * 0.5 / 8 + 1e-5  # init_params' scale for the others
    cold = train_glove(X, TrainConfig(dim=8, epochs=2), words=words)
    warm = train_glove(X, TrainConfig(dim=8, epochs=2, init=given), words=words)
    assert not np.array_equal(np.asarray(cold.params.W), np.asarray(warm.params.W))


def test_warm_starts_refuse_what_cannot_work(small_corpus):
    _, vocab, X = small_corpus
    words = list(vocab.words)
    given = WordVectors(tuple(words[:5]), np.ones((5, 4), np.float32))
    with pytest.raises(GloveLiteError, match="initial vectors have 4 dimensions and the run has dim=8"):
        train_glove(X, TrainConfig(dim=8, epochs=1, init=given), words=words)
    with pytest.raises(GloveLiteError, match="config.init needs X's words"):
        train_glove(X, TrainConfig(dim=4, epochs=1, init=given))
    with pytest.raises(GloveLiteError, match="share no word"):
        train_glove(X, TrainConfig(dim=4, epochs=1, init=WordVectors(("zzz",), np.ones((1, 4), np.float32))), words=words)
    with pytest.raises(GloveLiteError, match="init=3; expected None, a WordVectors or the path"):
        TrainConfig(init=3)


def test_the_command_starts_from_a_vectors_file(tmp_path, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text("the people defend liberty and the union of the states\n" * 40, encoding="utf-8")
    given = tmp_path / "given.txt"
    WordVectors(("liberty", "union", "elsewhere"), np.eye(3, 4, dtype=np.float32)).save(given)
    out = tmp_path / "v.txt"
    code = main(["train", "--corpus", str(corpus), "--min-count", "1", "--dim", "4", "--epochs", "1", "--init", str(given),
                 "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "initial vectors: 2 of 8 words start from the given vectors, 6 at random; 1 given words are not" in err
    code = main(["train", "--corpus", str(corpus), "--min-count", "1", "--dim", "8", "--epochs", "1", "--init", str(given),
                 "-o", str(tmp_path / "w.txt")])
    assert code == 2 and "initial vectors have 4 dimensions and the run has dim=8" in capsys.readouterr().err

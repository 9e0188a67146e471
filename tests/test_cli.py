"""The glove-lite command end to end on a small corpus, and its errors for bad input."""

import subprocess
import sys

import numpy as np
import pytest

from glove_lite.cli import main

CORPUS = (
    "The nation shall defend liberty and justice. The people love liberty. "
    "Congress will defend the nation and the people. Justice and liberty for the people! "
) * 40


@pytest.fixture
def corpus_file(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(CORPUS, encoding="utf-8")
    return path


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def train_args(corpus, output, *extra):
    return ["train", "--corpus", corpus, "--min-count", 2, "--window", 3, "--dim", 8, "--epochs", 3,
            "--output", output, "--quiet", *extra]


def test_train_neighbors_evaluate_end_to_end(corpus_file, tmp_path, capsys):
    out_file = tmp_path / "vectors.txt"
    code, _, err = run(train_args(corpus_file, out_file), capsys)
    assert code == 0, err
    lines = out_file.read_text().splitlines()
    assert lines[0].split()[0] == "the" and len(lines[0].split()) == 9  # most frequent word first, 8 floats
    from gensim.models import KeyedVectors

    kv = KeyedVectors.load_word2vec_format(str(out_file), no_header=True)
    assert "liberty" in kv.key_to_index

    code, out, _ = run(["neighbors", out_file, "liberty", "-k", 3], capsys)
    assert code == 0 and len(out.splitlines()) == 3 and "liberty\t" not in out

    code, out, _ = run(["evaluate", out_file], capsys)
    assert code == 0
    for name in ("wordsim353", "simlex999", "analogy (all)", "analogy (semantic)", "analogy (syntactic)", "coverage"):
        assert name in out


def test_same_seed_same_file(corpus_file, tmp_path, capsys):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    assert run(train_args(corpus_file, a, "--seed", 3), capsys)[0] == 0
    assert run(train_args(corpus_file, b, "--seed", 3, "--no-cache"), capsys)[0] == 0
    assert a.read_bytes() == b.read_bytes()


def test_word2vec_format_and_options(corpus_file, tmp_path, capsys):
    out_file = tmp_path / "w2v.txt"
    code, _, err = run(train_args(corpus_file, out_file, "--format", "word2vec", "--optimizer", "adam",
                                  "--learning-rate", "0.05", "--batch-size", "64", "--method", "pairs",
                                  "--x-max", "10", "--alpha", "0.5"), capsys)
    assert code == 0, err
    n, d = map(int, out_file.read_text().splitlines()[0].split())
    assert d == 8 and n == len(out_file.read_text().splitlines()) - 1


def test_block_roles_option_reaches_training(corpus_file, tmp_path, capsys):
    files = {}
    for roles in ("alternate", "both"):
        files[roles] = tmp_path / f"{roles}.txt"
        code, _, err = run(train_args(corpus_file, files[roles], "--method", "dense", "--block-roles", roles), capsys)
        assert code == 0, err
    assert files["alternate"].read_bytes() != files["both"].read_bytes()


def test_existing_output_is_never_overwritten(corpus_file, tmp_path, capsys):
    out_file = tmp_path / "mine.txt"
    out_file.write_text("keep me")
    code, _, err = run(train_args(corpus_file, out_file), capsys)
    assert code == 2 and "already exists" in err and "--overwrite" in err
    assert out_file.read_text() == "keep me"


@pytest.mark.parametrize(
    "flag, value, expected",
    [
        ("--window", "0", "argument --window: 0 is out of range; expected a value >= 1"),
        ("--dim", "-4", "argument --dim: -4 is out of range"),
        ("--epochs", "many", "argument --epochs: 'many' is not an integer"),
        ("--batch-size", "0", "argument --batch-size: 0 is out of range"),
        ("--learning-rate", "0", "argument --learning-rate: 0 is out of range; expected a value > 0"),
        ("--learning-rate", "nan", "argument --learning-rate: nan is out of range"),
        ("--block-roles", "words", "argument --block-roles: invalid choice: 'words'"),
    ],
)
def test_out_of_range_numbers_exit_2(corpus_file, tmp_path, capsys, flag, value, expected):
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in train_args(corpus_file, tmp_path / "o.txt")] + [flag, value])
    assert info.value.code == 2
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "o.txt").exists()


def test_min_count_that_leaves_no_vocabulary(corpus_file, tmp_path, capsys):
    code, _, err = run(train_args(corpus_file, tmp_path / "o.txt") + ["--min-count", "100000"], capsys)
    assert code == 2 and "min_count=100000 leaves no words" in err
    assert not (tmp_path / "o.txt").exists()


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda p: p / "missing.txt", "corpus file '{p}/missing.txt' does not exist"),
        (lambda p: (p / "empty.txt").write_text("") and None or p / "empty.txt", "corpus file '{p}/empty.txt' is empty"),
        (lambda p: (p / "latin1.txt").write_bytes(b"na\xefve text") and p / "latin1.txt", "'{p}/latin1.txt' is not UTF-8"),
    ],
)
def test_bad_corpus_names_the_file(tmp_path, capsys, make, expected):
    code, _, err = run(train_args(make(tmp_path), tmp_path / "o.txt"), capsys)
    assert code == 2
    assert expected.format(p=tmp_path) in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_unknown_word_suggests(corpus_file, tmp_path, capsys):
    out_file = tmp_path / "v.txt"
    assert run(train_args(corpus_file, out_file), capsys)[0] == 0
    code, _, err = run(["neighbors", out_file, "libertty"], capsys)
    assert code == 2 and "unknown word 'libertty'" in err and "'liberty'" in err


def test_malformed_vectors_file_names_the_line(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_text("a 1 2\nb 1\n")
    code, _, err = run(["evaluate", bad], capsys)
    assert code == 2 and f"{bad}:2:" in err
    code, _, err = run(["neighbors", tmp_path / "none.txt", "a"], capsys)
    assert code == 2 and "does not exist" in err


def test_console_script_exit_status_and_no_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "glove_lite.cli", "neighbors", str(tmp_path / "none.txt"), "x"],
        capture_output=True, text=True,
    )
    assert result.returncode == 2
    assert result.stderr.strip().startswith("glove-lite: error:") and "Traceback" not in result.stderr


def test_stanford_format_file_is_evaluated(tmp_path, capsys):
    rng = np.random.default_rng(0)
    words = ["king", "queen", "man", "woman", "tiger", "cat"]
    lines = [w + " " + " ".join(f"{x:.5f}" for x in rng.normal(size=4)) for w in words]
    (tmp_path / "glove.6B.4d.txt").write_text("\n".join(lines) + "\n")
    code, out, _ = run(["evaluate", tmp_path / "glove.6B.4d.txt"], capsys)
    assert code == 0 and "6 words, 4 dimensions" in out

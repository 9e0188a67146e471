"""glove-lite train --checkpoint DIR --checkpoint-every N --resume, and --method sparse."""

from contextlib import nullcontext

import pytest

from glove_lite.cli import main

CORPUS = ("The nation shall defend liberty and justice. The people love liberty. "
          "Congress will defend the nation and the people. Justice and liberty for the people! ") * 40


def run(argv, capsys):
    code = main([str(a) for a in argv])
    return code, *capsys.readouterr()


@pytest.fixture
def train(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(CORPUS, encoding="utf-8")

    def args(output, *extra):
        return ["train", "--corpus", corpus, "--min-count", 2, "--window", 3, "--dim", 8, "--output", output,
                "--quiet", *extra]

    return args


@pytest.mark.parametrize("method", ["dense", "sparse"])
def test_resumed_command_writes_the_same_file(train, tmp_path, capsys, method):
    whole, resumed, ckpt = tmp_path / "whole.txt", tmp_path / "resumed.txt", tmp_path / "ckpt"
    assert run(train(whole, "--epochs", 4, "--method", method), capsys)[0] == 0
    code, _, err = run(train(tmp_path / "part.txt", "--epochs", 2, "--method", method, "--checkpoint", ckpt,
                             "--checkpoint-every", 2), capsys)
    assert code == 0, err
    code, _, err = run(train(resumed, "--epochs", 4, "--method", method, "--checkpoint", ckpt, "--resume"), capsys)
    assert code == 0, err
    assert whole.read_bytes() == resumed.read_bytes()


def test_checkpoint_misuse_exits_2_with_one_line(train, tmp_path, capsys):
    ckpt = tmp_path / "ckpt"
    assert run(train(tmp_path / "a.txt", "--epochs", 1, "--checkpoint", ckpt), capsys)[0] == 0
    for extra, expected in ((("--checkpoint", ckpt), "already holds a checkpoint"),
                            (("--resume",), "--resume given without --checkpoint"),
                            (("--checkpoint", ckpt, "--resume", "--dim", 4), "has settings"),
                            (("--checkpoint-every", 0), "out of range")):
        with pytest.raises(SystemExit) if "--checkpoint-every" in extra else nullcontext():
            code, _, err = run(train(tmp_path / "b.txt", "--epochs", 2, *extra), capsys)
            assert code == 2 and expected in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
        if "--checkpoint-every" in extra:
            assert expected in capsys.readouterr()[1]


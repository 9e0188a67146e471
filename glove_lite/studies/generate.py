"""A synthetic corpus for scale tests: Zipfian words with topical structure, one document per line.

Real corpora of tens of millions of words cannot ship with the project, and none may be
downloaded when the code runs, so the scale benchmark writes its own: reproducible from a
seed, text8-sized (20 M tokens, about 130 MB) in seconds.

How a document is drawn: it gets a topic; each of its tokens comes either from the global
word distribution, a Zipf law over ``vocab_size`` ranks (``exponent`` about 1, as in
natural language), or, with probability ``topic_share``, from its topic's own word list
(``topic_words`` words picked among the mid-frequency ranks, again Zipf-weighted). Words
of one topic therefore co-occur more often than their frequencies alone predict, which
gives the co-occurrence matrix some structure beyond frequency. Document lengths are
log-normal. Word ``r`` (rank, 0 = most frequent) is spelled from syllables, shorter for
frequent ranks, so the text looks like text8: lowercase letters and single spaces.

    python -m glove_lite.studies.generate --tokens 20000000 --output /tmp/text20m.txt
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from glove_lite.fileio import atomic_write

__all__ = ["CorpusSpec", "SYLLABLES", "generate_ranks", "main", "spell", "write_corpus"]

_ONSETS = ["b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "st", "tr"]
_VOWELS = ["a", "e", "i", "o", "u"]
SYLLABLES = [o + v for o in _ONSETS for v in _VOWELS]  # 100 syllables


def spell(rank: int) -> str:
    """The word for a rank: rank written in base 100 with syllables as digits (distinct ranks, distinct words)."""
    n = len(SYLLABLES)
    parts = [SYLLABLES[rank % n]]
    rank //= n
    while rank:
        rank -= 1  # bijective numeration: no leading "zero" syllable, so every spelling is unique
        parts.append(SYLLABLES[rank % n])
        rank //= n
    return "".join(reversed(parts))


@dataclass(frozen=True)
class CorpusSpec:
    """The generator's settings; equal specs (seed included) give byte-identical corpora."""

    tokens: int = 20_000_000
    vocab_size: int = 600_000
    exponent: float = 1.16
    shift: float = 1.0
    topics: int = 200
    topic_words: int = 3_000
    topic_share: float = 0.25
    mean_doc_tokens: float = 600.0
    seed: int = 0


def _zipf_cdf(n: int, exponent: float, shift: float = 0.0) -> np.ndarray:
    weights = 1.0 / (np.arange(1, n + 1, dtype=np.float64) + shift) ** exponent
    cdf = np.cumsum(weights)
    return cdf / cdf[-1]


def _doc_lengths(spec: CorpusSpec, rng: np.random.Generator) -> np.ndarray:
    """Log-normal document lengths (at least 1) whose sum is exactly ``spec.tokens``."""
    sigma = 0.8
    mu = np.log(spec.mean_doc_tokens) - sigma**2 / 2
    lengths = []
    total = 0
    while total < spec.tokens:
        draw = np.maximum(1, rng.lognormal(mu, sigma, size=max(16, int(spec.tokens / spec.mean_doc_tokens))).astype(np.int64))
        lengths.append(draw)
        total += int(draw.sum())
    out = np.concatenate(lengths)
    ends = np.cumsum(out)
    k = int(np.searchsorted(ends, spec.tokens))  # the document that crosses the total is cut short
    out = out[: k + 1].copy()
    out[k] -= int(ends[k] - spec.tokens)
    return out[out > 0]


def generate_ranks(spec: CorpusSpec, batch_docs: int = 20_000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(ranks, lengths)`` batches: the word ranks (int64, shape (n,)) of ``len(lengths)`` documents."""
    if spec.tokens < 1 or spec.vocab_size < 1 or spec.topics < 1:
        raise ValueError(f"{spec}: tokens, vocab_size and topics must be >= 1")
    rng = np.random.default_rng(spec.seed)
    global_cdf = _zipf_cdf(spec.vocab_size, spec.exponent, spec.shift)
    n_topic = min(spec.topic_words, spec.vocab_size)
    topic_cdf = _zipf_cdf(n_topic, spec.exponent)
    lo, hi = min(50, spec.vocab_size - 1), min(spec.vocab_size, 60_000)  # topic words: mid-frequency ranks
    topic_lists = np.stack([rng.choice(np.arange(lo, hi), size=n_topic, replace=hi - lo < n_topic) for _ in range(spec.topics)])
    lengths = _doc_lengths(spec, rng)
    for start in range(0, lengths.size, batch_docs):
        part = lengths[start:start + batch_docs]
        n = int(part.sum())
        topic_of_doc = rng.integers(0, spec.topics, size=part.size)
        topic = np.repeat(topic_of_doc, part)
        ranks = np.searchsorted(global_cdf, rng.random(n), side="right")
        from_topic = rng.random(n) < spec.topic_share
        picks = np.searchsorted(topic_cdf, rng.random(int(from_topic.sum())), side="right")
        ranks[from_topic] = topic_lists[topic[from_topic], picks]
        yield np.minimum(ranks, spec.vocab_size - 1), part


def write_corpus(path: str | Path, spec: CorpusSpec = CorpusSpec(), overwrite: bool = False) -> Path:
    """Write the corpus of ``spec`` to ``path`` (atomically): one document per line, words separated by spaces."""
    words = np.array([(spell(r) + " ").encode("ascii") for r in range(spec.vocab_size)], dtype=object)
    with atomic_write(path, mode="wb", overwrite=overwrite) as fh:
        for ranks, lengths in generate_ranks(spec):
            tokens = words[ranks]
            ends = np.cumsum(lengths) - 1
            newline = np.array([w[:-1] + b"\n" for w in tokens[ends]], dtype=object)
            tokens[ends] = newline
            fh.write(b"".join(tokens.tolist()))
    return Path(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a synthetic Zipfian corpus, one document per line.")
    parser.add_argument("--tokens", type=int, default=CorpusSpec.tokens)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", "-o", type=Path, required=True)
    parser.add_argument("--overwrite", action="store_true")
    args = parser.parse_args(argv)
    write_corpus(args.output, CorpusSpec(tokens=args.tokens, seed=args.seed), overwrite=args.overwrite)
    return 0


if __name__ == "__main__":
    sys.exit(main())

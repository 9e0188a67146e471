"""Semantic change: one set of vectors per era, rotated into one space, compared word by word.

The method of HistWords (Hamilton, Leskovec & Jurafsky 2016): split the corpus into eras
by year, train vectors on each era, align each era's space to another's by **orthogonal
Procrustes** (each run's space is arbitrary up to a rotation, so raw vectors of two runs
cannot be compared), and score a word's change as the cosine distance between its aligned
vectors. Beside it, a measure that needs no alignment at all: how many of a word's nearest
neighbours two eras share (Gonen et al. 2020).

Small corpora make vectors unstable (Antoniak & Mimno 2018), so every score here is
computed for several seeds, and compared with a **control** in which the documents are
shuffled across eras (Dubossarsky et al. 2017): the "eras" of the control differ only by
chance, so whatever change it shows is noise. A word's change counts only when every seed's
score exceeds every shuffle's. That control mostly tests that the eras differ: style and topics
changed for every word. A second, **frequency-matched** null compares each word with the scored
words closest to it in frequency (noise depends on frequency): a word stands out against its
peers when, in every seed, its change exceeds that of at least 95 % of them. Applied to the
shuffled control, the same rule says how many words noise alone flags.

Vocabulary policy (explicit, recorded in the results): each era is trained on its own
vocabulary (``min_count`` in that era); two eras are aligned on every word both keep;
the words that are *scored* are those seen at least ``analysis_min_count`` times in every
era, so that each has a trained vector everywhere.

This module uses trained :class:`~glove_lite.vectors.WordVectors` and, for the per-era
training driver only, :func:`glove_lite.pipeline.train_vectors` (and its token cache for
the counts). ``python -m glove_lite.studies.semantic_change`` (``make semantic``) trains the eras x
seeds and the controls and writes ``book/data/semantic_change.json`` for the chapter.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import sys
import time
import warnings
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from glove_lite.align import (align, change_scores, cosine_distances, neighbour_overlap, procrustes_rotation,
                             shared_words, unit_rows)
from glove_lite.errors import GloveLiteError
from glove_lite.fileio import atomic_write
from glove_lite.studies import book_data_path
from glove_lite.vectors import WordVectors

DEFAULT_OUTPUT = book_data_path("semantic_change.json")


# ----------------------------------------------------------------------------- eras


@dataclass(frozen=True)
class Era:
    """Documents dated ``start`` to ``end`` (inclusive years)."""

    start: int
    end: int

    @property
    def label(self) -> str:
        return f"{self.start}-{self.end}"


#: Five eras of 340,000-520,000 tokens each (punctuation included).
DEFAULT_ERAS = (Era(1790, 1849), Era(1850, 1889), Era(1890, 1919), Era(1920, 1969), Era(1970, 2026))


def split_by_era(documents: Sequence, eras: Sequence[Era]) -> list[list]:
    """The documents of each era (documents need a ``year``); each era must hold at least one."""
    out: list[list] = [[] for _ in eras]
    for doc in documents:
        if getattr(doc, "year", None) is None:
            raise GloveLiteError(f"document {doc.name!r} has no year; expected dated documents (e.g. load_sotu())")
        for k, era in enumerate(eras):
            if era.start <= doc.year <= era.end:
                out[k].append(doc)
                break
    for era, docs in zip(eras, out):
        if not docs:
            raise GloveLiteError(f"era {era.label} has no documents; expected eras within the corpus's years")
    return out


def shuffled_eras(by_era: Sequence[Sequence], seed: int) -> list[list]:
    """The control: the same documents shuffled across eras, each pseudo-era about as long
    (in characters) as the real era in its place. Within a pseudo-era, documents keep
    their chronological order."""
    docs = [d for era in by_era for d in era]
    if len(docs) < len(by_era):
        raise GloveLiteError(f"{len(docs)} documents for {len(by_era)} eras; expected at least one document per era")
    order = np.random.default_rng(seed).permutation(len(docs))
    sizes = np.array([sum(len(d.text) for d in era) for era in by_era], dtype=np.float64)
    cum = np.cumsum([len(docs[i].text) for i in order])
    cuts: list[int] = []
    for k, target in enumerate(np.cumsum(sizes)[:-1]):
        cut = int(np.argmin(np.abs(cum - target))) + 1  # the document boundary nearest the target
        lowest, highest = (cuts[-1] if cuts else 0) + 1, len(docs) - (len(by_era) - 1 - k)
        cuts.append(min(max(cut, lowest), highest))  # every pseudo-era keeps at least one document
    return [[docs[i] for i in sorted(part.tolist())] for part in np.split(order, cuts)]


def corpus_profile(documents: Sequence, words: Sequence[str]) -> dict[str, Any]:
    """Tokens per decade (punctuation included), and the year each of ``words`` first occurs (None: never)."""
    from glove_lite.preprocess import tokenize_documents

    tokens = tokenize_documents(documents)
    decades: Counter = Counter()
    first: dict[str, int | None] = {w: None for w in words}
    position = {t: i for i, t in enumerate(tokens.types)}
    wanted = {position[w]: w for w in words if w in position}
    for doc, ids in sorted(zip(documents, tokens.docs), key=lambda pair: pair[0].year):
        decades[doc.year // 10 * 10] += int(ids.size)
        for i in set(ids.tolist()) & set(wanted):
            first[wanted[i]] = first[wanted[i]] or doc.year
    return {"decade_tokens": {f"{d}s": n for d, n in sorted(decades.items())}, "first_year": first}


def era_counts(documents: Sequence) -> Counter:
    """Token counts of some documents (from the pipeline's token cache)."""
    from glove_lite.preprocess import tokenize_documents

    return tokenize_documents(documents).counts()


def train_era(documents: Sequence, min_count: int, window: int, dim: int, epochs: int, seed: int,
              cache: bool = True) -> WordVectors:
    """GloVe vectors of one era's documents (through the pipeline's disk cache of trained vectors)."""
    return _train_era(documents, min_count, window, dim, epochs, seed, cache)[0]


def _train_era(documents: Sequence, min_count: int, window: int, dim: int, epochs: int, seed: int,
               cache: bool = True) -> tuple[WordVectors, bool]:
    """(vectors, True if they were trained now, False if they came from the cache)."""
    from glove_lite.pipeline import train_vectors
    from glove_lite.training import TrainConfig

    vectors, result = train_vectors(list(documents), min_count=min_count, window=window,
                                    config=TrainConfig(dim=dim, epochs=epochs, seed=seed), cache=cache)
    return vectors, result is not None


def is_word(token: str) -> bool:
    """True for tokens with a letter or digit (not punctuation)."""
    return any(ch.isalnum() for ch in token)


def analysis_words(counts: Sequence[Counter], min_count: int) -> list[str]:
    """Words seen at least ``min_count`` times in every era, sorted alphabetically."""
    common = set.intersection(*({w for w, c in cnt.items() if c >= min_count} for cnt in counts))
    return sorted(w for w in common if is_word(w))


def stands_out(real: np.ndarray, control: np.ndarray) -> np.ndarray:
    """Which words (n,) changed beyond noise: every run's score in ``real`` (runs, n) exceeds
    every run's score in ``control`` (runs, n). NaN (a word missing from a run) never counts."""
    real, control = np.asarray(real, dtype=np.float64), np.asarray(control, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(real).all(axis=0) & np.isfinite(control).all(axis=0)
        return ok & (np.min(real, axis=0) > np.max(control, axis=0))


def frequency_peers(log_count: np.ndarray, n_peers: int) -> np.ndarray:
    """For each word (n,), the indices (n, n_peers) of the words closest to it in log frequency, itself
    excluded; ties go to the lower index."""
    log_count = np.asarray(log_count, dtype=np.float64)
    n = len(log_count)
    if not 1 <= n_peers < n:
        raise GloveLiteError(f"n_peers={n_peers}; expected 1 <= n_peers < {n} (the number of scored words)")
    gaps = np.abs(log_count[:, None] - log_count[None, :])
    np.fill_diagonal(gaps, np.inf)
    return np.argsort(gaps, axis=1, kind="stable")[:, :n_peers]


def matched_null(scores: np.ndarray, peers: np.ndarray, share: float = 0.95) -> dict[str, np.ndarray]:
    """The frequency-matched null for scores (runs, n): each word against its ``peers`` (n, k), run by run.

    Returns ``share_below`` (runs, n), the share of its peers whose score in that run is lower than the
    word's; ``stands_out`` (n,), True when that share is at least ``share`` in every run; and ``excess``
    (n,), the word's score minus its peers' mean, averaged over runs. NaN scores (a word missing from a
    run) are left out of a word's peers, and a word with a NaN score never stands out.
    """
    scores = np.asarray(scores, dtype=np.float64)
    peer_scores = scores[:, peers]  # (runs, n, k)
    mine = scores[:, :, None]
    valid = np.isfinite(peer_scores)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        share_below = np.sum((peer_scores < mine) & valid, axis=2) / np.sum(valid, axis=2)
        excess = np.nanmean(scores - np.nanmean(peer_scores, axis=2), axis=0)
    share_below = np.where(np.isfinite(scores), share_below, np.nan)
    with np.errstate(invalid="ignore"):
        stands = np.all(share_below >= share, axis=0) & np.all(np.isfinite(share_below), axis=0)
    return {"share_below": share_below, "stands_out": stands, "excess": excess}


def held_out_alignment(base: WordVectors, other: WordVectors, words: Sequence[str]) -> dict[str, float]:
    """How well a rotation, and a general linear map, carry ``other`` onto ``base`` on words they were not fitted on.

    Both maps are fitted on the length-normalised vectors of every other word of ``words`` (alphabetical
    order: the 1st, 3rd, ...) and scored on the rest by the mean cosine distance. If the two runs differed by a
    rotation plus noise, a linear map (d^2 free numbers instead of d(d-1)/2) could not do much better.
    """
    ordered = sorted(words)
    fit, held = ordered[0::2], ordered[1::2]
    if len(fit) < base.dim or not held:
        raise GloveLiteError(f"{len(ordered)} words; expected at least {2 * base.dim} to fit a linear map on half of them")

    def rows(wv: WordVectors, ws: Sequence[str]) -> np.ndarray:
        return unit_rows(np.asarray(wv.vectors, dtype=np.float64)[[wv.index[w] for w in ws]])

    src_fit, dst_fit, src_held, dst_held = rows(other, fit), rows(base, fit), rows(other, held), rows(base, held)
    rotation = procrustes_rotation(src_fit, dst_fit)
    linear = np.linalg.lstsq(src_fit, dst_fit, rcond=None)[0]

    def distance(mapped: np.ndarray) -> float:
        return float(np.mean(1.0 - np.sum(unit_rows(mapped) * dst_held, axis=1)))

    return {"rotation": distance(src_held @ rotation), "linear": distance(src_held @ linear),
            "rotation_in_sample": float(np.mean(1.0 - np.sum(unit_rows(src_fit @ rotation) * dst_fit, axis=1))),
            "linear_in_sample": float(np.mean(1.0 - np.sum(unit_rows(src_fit @ linear) * dst_fit, axis=1)))}


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation over the pairs where both are finite."""
    from scipy.stats import spearmanr

    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    return float(spearmanr(x[ok], y[ok]).statistic)


# ----------------------------------------------------------------------------- the study (make semantic)


@dataclass(frozen=True)
class StudyPlan:
    """What ``make semantic`` trains and measures. ``FULL`` is the book's; ``QUICK`` a tiny one for tests."""

    eras: tuple[Era, ...] = DEFAULT_ERAS
    min_count: int = 10  # each era's own training vocabulary
    analysis_min_count: int = 20  # scored words: at least this often in every era
    window: int = 10
    dim: int = 100
    epochs: int = 25
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    shuffles: tuple[int, ...] = (0, 1, 2, 3, 4)  # control: documents shuffled across eras; trained with seed = shuffle
    k: int = 10  # neighbours compared by the overlap measure
    n_peers: int = 50  # frequency-matched null: the scored words closest in frequency
    matched_share: float = 0.95  # ... of which a word must out-change this share in every run
    table_k: int = 5  # neighbours listed per era in the chapter's table
    hover_k: int = 3  # neighbours drawn per era in the trajectory figure
    words: tuple[str, ...] = ("economy", "welfare", "issues", "health", "america", "union", "liberty", "nuclear")
    years: tuple[int, int] | None = None  # SOTU years loaded (None: all)
    quick: bool = False


FULL = StudyPlan()
QUICK = StudyPlan(
    eras=(Era(1790, 1799), Era(1800, 1810)), min_count=3, analysis_min_count=5, window=5, dim=8,
    epochs=3, seeds=(0, 1), shuffles=(0,), k=3, n_peers=8, table_k=3, hover_k=2, words=("states", "war", "united"),
    years=(1790, 1810), quick=True,
)


def _r(x: float, digits: int = 4) -> float | None:
    return round(float(x), digits) if math.isfinite(float(x)) else None


def _rlist(values: Sequence[float], digits: int = 4) -> list[float | None]:
    return [_r(v, digits) for v in values]


def _scores_or_nan(fn, words: Sequence[str], *spaces: WordVectors) -> np.ndarray:
    """``fn`` over the words every space has; NaN for the others."""
    have = [w for w in words if all(w in s for s in spaces)]
    out = np.full(len(words), np.nan)
    if have:
        pos = {w: i for i, w in enumerate(words)}
        out[[pos[w] for w in have]] = fn(have)
    return out


def first_last_change(runs: Sequence[Sequence[WordVectors]], words: Sequence[str]) -> np.ndarray:
    """(runs, n): per run (a list of era vectors), each word's change from the first era to the last."""
    return np.stack([_scores_or_nan(lambda ws, r=r: change_scores(r[-1], r[0], ws), words, r[0], r[-1]) for r in runs])


def adjacent_change(runs: Sequence[Sequence[WordVectors]], words: Sequence[str]) -> np.ndarray:
    """(runs, eras - 1, n): each word's change between consecutive eras."""
    return np.stack([np.stack([_scores_or_nan(lambda ws, a=a, b=b: change_scores(b, a, ws), words, a, b)
                               for a, b in zip(r[:-1], r[1:])]) for r in runs])


def overlap_change(runs: Sequence[Sequence[WordVectors]], words: Sequence[str], k: int) -> np.ndarray:
    """(runs, n): 1 - the share of the k nearest neighbours the first and last eras agree on
    (neighbours among the words, not punctuation, that both eras have)."""
    def one(r: Sequence[WordVectors]) -> np.ndarray:
        among = [w for w in r[0].words if w in r[-1].index and is_word(w)]
        return _scores_or_nan(lambda ws: 1.0 - neighbour_overlap(r[0], r[-1], ws, k, among=among), words, r[0], r[-1])

    return np.stack([one(r) for r in runs])


def seed_noise(runs: Sequence[Sequence[WordVectors]], words: Sequence[str]) -> np.ndarray:
    """(n,): a word's change between two seeds of the *same* era, averaged over eras and seed pairs."""
    scores = [_scores_or_nan(lambda ws, a=a, b=b: change_scores(a[e], b[e], ws), words, a[e], b[e])
              for a, b in zip(runs[:-1], runs[1:]) for e in range(len(a))]
    return _nan_stat(np.nanmean, np.stack(scores))


def averaged_neighbours(spaces: Sequence[WordVectors], word: str, k: int) -> list[str]:
    """The k nearest neighbours of ``word`` by cosine similarity averaged over ``spaces``
    (several seeds of one era, same vocabulary), punctuation left out; ties broken alphabetically."""
    base = spaces[0]
    if any(s.words != base.words for s in spaces):
        raise GloveLiteError("the spaces have different vocabularies; expected seeds of one era")
    sims = np.mean([unit_rows(s.vectors) @ unit_rows(s[word][None, :])[0] for s in spaces], axis=0)
    sims = np.round(sims, 6)  # equal up to float noise counts as a tie
    sims[base.index[word]] = -np.inf
    order = sorted((i for i, w in enumerate(base.words) if is_word(w)), key=lambda i: (-sims[i], base.words[i]))
    return [base.words[i] for i in order[:k]]


def projection_2d(points: np.ndarray, anchor: int) -> np.ndarray:
    """PCA of ``points`` (m, d) to (m, 2); each axis's sign is chosen so that row ``anchor`` is >= 0."""
    centred = points - points.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    xy = centred @ vt[:2].T
    signs = np.where(xy[anchor] < 0, -1.0, 1.0)
    return xy * signs


def trajectory(aligned: Sequence[WordVectors], neighbours: Sequence[list[str] | None], word: str,
               labels: Sequence[str]) -> dict[str, Any]:
    """2-D positions of ``word`` in each era where it has a vector (aligned into one space), and
    of its neighbours there, for the chapter's figure."""
    eras = [e for e, nb in enumerate(neighbours) if nb is not None]
    points = [unit_rows(aligned[e][word][None, :])[0] for e in eras]
    points += [unit_rows(aligned[e][n][None, :])[0] for e in eras for n in neighbours[e]]
    xy = projection_2d(np.stack(points), anchor=len(eras) - 1)
    out = {"eras": [labels[e] for e in eras], "points": [_rlist(p, 3) for p in xy[:len(eras)]],
           "neighbours": [neighbours[e] for e in eras], "neighbour_points": []}
    k = 0
    for e in eras:
        out["neighbour_points"].append([_rlist(xy[len(eras) + k + j], 3) for j in range(len(neighbours[e]))])
        k += len(neighbours[e])
    return out


@dataclass
class _Progress:
    total: int
    enabled: bool
    bar: Any = field(default=None)

    def __post_init__(self) -> None:
        if self.enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=self.total, desc="semantic change", unit="run", file=sys.stderr)

    def step(self, label: str) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(label)
            self.bar.update()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _nan_stat(fn, scores: np.ndarray, **kwargs) -> np.ndarray:
    """``fn`` (np.nanmean, ...) over axis 0, NaN without a warning where a column is all NaN."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(scores, axis=0, **kwargs)


def _stats(scores: np.ndarray) -> dict[str, list[float | None]]:
    """Mean, standard deviation (ddof=1), min and max over runs (axis 0), per word."""
    return {"mean": _rlist(_nan_stat(np.nanmean, scores)), "sd": _rlist(_nan_stat(np.nanstd, scores, ddof=1)),
            "min": _rlist(_nan_stat(np.nanmin, scores)), "max": _rlist(_nan_stat(np.nanmax, scores))}


def run(plan: StudyPlan = FULL, progress: bool = True) -> dict[str, Any]:
    """Train every era x seed and every shuffled control, measure, and return the JSON-ready results."""
    from glove_lite.corpus import load_sotu

    wall = time.perf_counter()
    documents = load_sotu(*plan.years) if plan.years else load_sotu()
    by_era = split_by_era(documents, plan.eras)
    controls = [shuffled_eras(by_era, s) for s in plan.shuffles]
    n_eras = len(plan.eras)
    bar = _Progress(n_eras * (len(plan.seeds) + len(plan.shuffles)) + 1, progress)
    counts = [era_counts(docs) for docs in by_era]
    bar.step("counting tokens")
    words = analysis_words(counts, plan.analysis_min_count)
    if len(words) < 2:
        raise GloveLiteError(f"{len(words)} words occur {plan.analysis_min_count}+ times in every era; expected more")

    trained = []

    def train(docs, seed: int, label: str) -> WordVectors:
        wv, fresh = _train_era(docs, plan.min_count, plan.window, plan.dim, plan.epochs, seed)
        trained.append(fresh)
        bar.step(label)
        return wv

    real = [[train(docs, s, f"{era.label} seed {s}") for era, docs in zip(plan.eras, by_era)] for s in plan.seeds]
    shuffled = [[train(docs, r, f"control {r}, part {e + 1}") for e, docs in enumerate(ctrl)]
                for r, ctrl in zip(plan.shuffles, controls)]
    bar.close()

    change, control = first_last_change(real, words), first_last_change(shuffled, words)
    adjacent = adjacent_change(real, words)
    ov_change, ov_control = overlap_change(real, words, plan.k), overlap_change(shuffled, words, plan.k)
    noise = seed_noise(real, words)
    log_count = np.log10([min(c[w] for c in counts) for w in words])
    peers = frequency_peers(log_count, min(plan.n_peers, len(words) - 1))
    matched, matched_control = matched_null(change, peers, plan.matched_share), matched_null(control, peers, plan.matched_share)
    change_mean, ov_mean = _nan_stat(np.nanmean, change), _nan_stat(np.nanmean, ov_change)

    labels = [era.label for era in plan.eras]
    base = real[0][-1]
    aligned = [align(base, wv) if e < n_eras - 1 else wv for e, wv in enumerate(real[0])]
    unaligned_noise = [float(np.mean(cosine_distances(real[0][e], real[1][e], words))) for e in range(n_eras)] \
        if len(real) > 1 else []
    aligned_noise = [float(np.mean(change_scores(real[0][e], real[1][e], words))) for e in range(n_eras)] \
        if len(real) > 1 else []
    held_out = [held_out_alignment(real[0][e], real[1][e], shared_words(real[0][e], real[1][e]))
                for e in range(n_eras)] if len(real) > 1 else []
    neighbours: dict[str, dict[str, list[str] | None]] = {}
    trajectories: dict[str, Any] = {}
    for word in plan.words:
        per_era = [averaged_neighbours([run_[e] for run_ in real], word, plan.table_k) if word in real[0][e] else None
                   for e in range(n_eras)]
        neighbours[word] = dict(zip(labels, per_era))
        hover = [None if nb is None else nb[:plan.hover_k] for nb in per_era]
        if sum(nb is not None for nb in hover) >= 2:
            trajectories[word] = trajectory(aligned, hover, word, labels)

    return {
        "about": "Written by `make semantic` (python -m glove_lite.studies.semantic_change); read by "
                 "book/07_semantic_change.md. Change: cosine distance between a word's vectors in the first and "
                 "last era after orthogonal Procrustes alignment (mean/sd/min/max over seeds); control: the same "
                 "with documents shuffled across eras (over shuffles); overlap_change: 1 - share of the k nearest "
                 "neighbours the first and last era agree on (no alignment).",
        "provenance": {"machine": _machine(), "date": datetime.date.today().isoformat(),
                       "total_seconds": round(time.perf_counter() - wall), "models": len(trained),
                       "models_trained": sum(trained)},
        "quick": plan.quick,
        "plan": {**{k: v for k, v in asdict(plan).items() if k != "eras"}, "eras": labels},
        "policy": {
            "training": f"each era is trained on its own vocabulary: tokens seen at least {plan.min_count} times "
                        "in that era",
            "alignment": "two eras are aligned on every word both vocabularies keep (length-normalised vectors)",
            "analysis": f"scored words: seen at least {plan.analysis_min_count} times in every era, "
                        "with a letter or digit",
        },
        "eras": [{"label": era.label, "start": era.start, "end": era.end, "documents": len(docs),
                  "tokens": int(sum(cnt.values())), "words": len(run_e)}
                 for era, docs, cnt, run_e in zip(plan.eras, by_era, counts, real[0])],
        "controls": [{"shuffle": r, "documents": [len(p) for p in ctrl]} for r, ctrl in zip(plan.shuffles, controls)],
        "words": {
            "word": words,
            "counts": [[int(c[w]) for c in counts] for w in words],
            "change": _stats(change),
            "control": _stats(control),
            "adjacent": [[_r(v) for v in row] for row in _nan_stat(np.nanmean, adjacent).T],
            "overlap_change": _stats(ov_change),
            "overlap_control": _stats(ov_control),
            "seed_noise": _rlist(noise),
            "stands_out": stands_out(change, control).tolist(),
            "overlap_stands_out": stands_out(ov_change, ov_control).tolist(),
            "matched": {"excess": _rlist(matched["excess"]),
                        "share_below_min": _rlist(_nan_stat(np.nanmin, matched["share_below"]), 3),
                        "stands_out": matched["stands_out"].tolist()},
            "matched_control": {"excess": _rlist(matched_control["excess"]),
                                "share_below_min": _rlist(_nan_stat(np.nanmin, matched_control["share_below"]), 3),
                                "stands_out": matched_control["stands_out"].tolist()},
        },
        "frequency": {name: _r(spearman(log_count, values), 3) for name, values in (
            ("change", change_mean), ("control", _nan_stat(np.nanmean, control)), ("seed_noise", noise),
            ("overlap_change", ov_mean), ("overlap_control", _nan_stat(np.nanmean, ov_control)))},
        "agreement": {"spearman": _r(spearman(change_mean, ov_mean), 3),
                      "both_stand_out": int(np.sum(stands_out(change, control) & stands_out(ov_change, ov_control)))},
        "alignment_demo": {"unaligned": _rlist(unaligned_noise, 3), "aligned": _rlist(aligned_noise, 3),
                           "held_out": [{k: _r(v, 4) for k, v in h.items()} for h in held_out]},
        "neighbours": neighbours,
        "trajectories": trajectories,
        "corpus": corpus_profile(documents, plan.words),
    }


def _machine() -> str:
    from glove_lite.studies.bench import machine

    return machine()


def write(result: dict[str, Any], path: str | Path) -> None:
    """Write ``result`` as JSON, atomically (a crash never leaves half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, overwrite=True) as fh:
        json.dump(result, fh, indent=None, separators=(",", ":"), allow_nan=False)
        fh.write("\n")


def load(path: str | Path = DEFAULT_OUTPUT) -> dict[str, Any]:
    """Read a results file written by :func:`write`."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m glove_lite.studies.semantic_change", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a tiny run (a few early addresses, a few epochs), for tests")
    parser.add_argument("--output", "-o", type=Path, default=DEFAULT_OUTPUT,
                        help=f"JSON file to write (default {DEFAULT_OUTPUT}; replaced if it exists)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    try:
        result = run(QUICK if args.quick else FULL, progress=not args.no_progress)
        write(result, args.output)
    except GloveLiteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.output} in {result['provenance']['total_seconds']} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

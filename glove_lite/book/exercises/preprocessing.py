"""Self-checks for chapter 1 (preprocessing): building a vocabulary, mapping tokens to ids."""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable

import numpy as np

from glove_lite.book.exercises._answers import forbidden
from glove_lite.book.exercises._base import CheckFailed, Part, as_array, call_student, fn_name, remembered, run_parts


def _vocab_cases(hidden: bool = False) -> list[tuple[list[list[str]], int]]:
    """Small corpora with ties and words counted exactly min_count and min_count - 1 times.

    In the first case the typical mistakes give different answers (counting one document
    only, first or last, is not confused with keeping counts > min_count). The hidden cases
    add an empty document, non-ASCII words and other sizes.
    """
    if hidden:
        cases = [([["liberté", "égalité", "liberté"], [], ["égalité", "fraternité", "liberté"]], 2)]
        rng = np.random.default_rng(1000)
        sizes = ((4, 20), (1, 9), (7, 40))
    else:
        cases = [([["the", "union", "is", "strong", "the"], ["the", "union", "of", "states"]], 1)]
        rng = np.random.default_rng(0)
        sizes = ((3, 14), (2, 25), (5, 30))
    for min_count, n_words in sizes:
        words = [f"w{k:02d}" for k in range(n_words)]
        counts = rng.integers(1, 3 * min_count, size=n_words)
        counts[:3] = [min_count, min_count - 1 or 1, min_count]  # boundary counts and a tie
        tokens = [w for w, c in zip(words, counts) for _ in range(int(c))]
        rng.shuffle(tokens)
        cut = sorted(rng.choice(np.arange(1, len(tokens)), size=2, replace=False))
        docs = [tokens[: cut[0]], tokens[cut[0] : cut[1]], tokens[cut[1] :]]
        cases.append((docs, min_count))
    return cases


def _expected_words(docs: list[list[str]], min_count: int) -> list[str]:
    from glove_lite.preprocess import Vocabulary

    return list(Vocabulary.from_documents(docs, min_count=min_count).words)


def _one_document_only(got: list[str], docs: list[list[str]], min_count: int) -> int | None:
    """The index of the one document whose own vocabulary ``got`` is (the same words), if any."""
    from glove_lite.errors import VocabularyError

    for k in range(len(docs) if len(docs) > 1 else 0):
        try:
            if set(got) == set(_expected_words(docs[k : k + 1], min_count)):
                return k
        except VocabularyError:
            continue
    return None


def _as_word_list(out: Any, name: str) -> list[str]:
    """The words in id order, from a dict word -> id, a list of words or a Vocabulary."""
    if hasattr(out, "words") and not isinstance(out, dict):
        out = list(out.words)
    if isinstance(out, dict):
        ids = list(out.values())
        if not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in ids):
            raise CheckFailed(f"`{name}` returned a dict whose values are not all integer ids.")
        if sorted(int(i) for i in ids) != list(range(len(ids))):
            raise CheckFailed(
                f"`{name}` returned ids {sorted(int(i) for i in ids)[:8]}...; expected the ids 0, 1, ..., "
                f"{len(ids) - 1}, each used once (no gaps, no repeats)."
            )
        out = sorted(out, key=lambda w: out[w])
    if not isinstance(out, (list, tuple)):
        raise CheckFailed(
            f"`{name}` returned a {type(out).__name__}; expected a dict word -> id (or the list of words in id order)."
        )
    if not all(isinstance(w, str) for w in out):
        raise CheckFailed(f"`{name}` returned something other than words (strings): {list(out)[:5]}...")
    return list(out)


def check_build_word_index(fn: Callable[[list[list[str]], int], Any], *, hidden: bool = False,
                           points: float | None = None) -> float | None:
    """Check ``fn(documents, min_count) -> {word: id}``.

    Words seen at least ``min_count`` times over all documents get ids 0, 1, ... in order
    of decreasing count, ties in alphabetical order (a list of the words in id order is
    accepted too). Two parts: the words kept, and their order. ``hidden=True`` runs the
    graders' other cases; ``points`` grades (see :func:`run_parts`).
    """
    name = fn_name(fn, "build_word_index")
    cases = _vocab_cases(hidden)

    def call(k: int) -> str:
        return f"{name}(documents, min_count={cases[k][1]})"

    def answer(k: int) -> list[str]:
        docs, min_count = cases[k]
        out = call_student(fn, name, [list(d) for d in docs], min_count, call=call(k),
                           forbid=forbidden("check_build_word_index"))
        got = _as_word_list(out, name)
        if len(set(got)) != len(got):
            dup = next(w for w, c in Counter(got).items() if c > 1)
            raise CheckFailed(f"`{call(k)}` lists {dup!r} more than once; each word must get exactly one id.")
        return got

    answers = remembered(answer)

    def words_kept() -> int:
        got_all = [answers(k) for k in range(len(cases))]
        wrong = []
        for k, (docs, min_count) in enumerate(cases):
            counts = Counter(t for d in docs for t in d)
            unknown = sorted(w for w in got_all[k] if w not in counts)
            if unknown:
                raise CheckFailed(f"`{call(k)}` returned {unknown[0]!r}, which is not a word of the documents.")
            if set(got_all[k]) != set(_expected_words(docs, min_count)):
                wrong.append(k)
        if not wrong:
            return len(cases)

        def kept_by(k: int, keep: Callable[[int, int], bool]) -> bool:
            docs, min_count = cases[k]
            counts = Counter(t for d in docs for t in d)
            return set(got_all[k]) == {w for w, c in counts.items() if keep(c, min_count)}

        # A mistake is named when it explains every case that came out wrong (one case alone
        # can fit two: the words of one document may be those seen more than min_count times).
        k = wrong[0]
        docs, min_count = cases[k]
        counts = Counter(t for d in docs for t in d)
        got, want = got_all[k], _expected_words(docs, min_count)
        if all(kept_by(j, lambda c, m: c > m) for j in wrong):
            lost = sorted(set(want) - set(got), key=lambda w: (counts[w], w))
            raise CheckFailed(
                f"`{call(k)}` drops {lost[0]!r}, seen exactly min_count={min_count} times: off by one, "
                "keep words seen at least min_count times (>=, not >)."
            )
        if all(kept_by(j, lambda c, m: c >= m - 1) for j in wrong):
            low = sorted(set(got) - set(want), key=lambda w: (counts[w], w))
            raise CheckFailed(
                f"`{call(k)}` keeps {low[0]!r}, seen {counts[low[0]]} times: off by one, a word must be seen "
                f"at least min_count={min_count} times (>=)."
            )
        if all(_one_document_only(got_all[j], *cases[j]) is not None for j in wrong):
            only = _one_document_only(got, docs, min_count)
            which = "the last document" if only == len(docs) - 1 else f"document {only}"
            raise CheckFailed(f"`{call(k)}` counts the words of {which} only: count them over all documents.")
        extra, missing = set(got) - set(want), set(want) - set(got)
        if extra:
            low = sorted(extra, key=lambda w: (counts[w], w))
            raise CheckFailed(
                f"`{call(k)}` keeps {low[0]!r}, seen only {counts[low[0]]} times; drop words seen fewer than "
                f"min_count={min_count} times."
            )
        lost = sorted(missing, key=lambda w: (counts[w], w))
        raise CheckFailed(
            f"`{call(k)}` is missing {lost[0]!r}, seen {counts[lost[0]]} times (min_count={min_count}). "
            "Count the words over all documents, not one."
        )

    def order() -> int:
        for k, (docs, min_count) in enumerate(cases):
            counts = Counter(t for d in docs for t in d)
            want = _expected_words(docs, min_count)
            shared = set(want)
            got = [w for w in answers(k) if w in shared]  # the order of the words both lists have
            if 2 * len(got) < len(want):
                raise CheckFailed(f"`{call(k)}` has too few of the right words ({len(got)} of {len(want)}) to judge their order.")
            want = [w for w in want if w in set(got)]
            if got == want:
                continue
            ascending = [counts[w] for w in got] == sorted(counts[w] for w in got)
            if got == list(reversed(want)) or (ascending and len({counts[w] for w in got}) > 1):
                raise CheckFailed(f"`{call(k)}`: the least frequent word comes first; the most frequent word must get id 0.")
            i = next(i for i, (a, b) in enumerate(zip(got, want)) if a != b)
            by_count = [counts[w] for w in got] == sorted((counts[w] for w in got), reverse=True)
            if by_count:
                raise CheckFailed(
                    f"`{call(k)}`: words with equal counts must be in alphabetical order (the order must not depend "
                    f"on the order of the text): {got[i]!r} comes before {want[i]!r}, both seen {counts[want[i]]} times."
                )
            raise CheckFailed(
                f"`{call(k)}`: {got[i]!r} (seen {counts[got[i]]} times) comes where {want[i]!r} "
                f"(seen {counts[want[i]]} times) should: sort by decreasing count."
            )
        return len(cases)

    return run_parts("check_build_word_index", fn, [
        Part("the words kept (seen at least min_count times over all documents)", words_kept),
        Part("their ids (most frequent first, ties alphabetical)", order),
    ], hidden, points)


def check_tokens_to_ids(fn: Callable[[list[str], dict[str, int]], Any], *, hidden: bool = False,
                        points: float | None = None) -> float | None:
    """Check ``fn(tokens, index) -> ids``: a 1-D integer array, out-of-vocabulary tokens dropped.

    Two parts: known tokens become their ids, in order; unknown tokens are dropped.
    ``hidden=True`` runs the graders' other cases (only unknown tokens, other
    vocabularies); ``points`` grades (see :func:`run_parts`).
    """
    name = fn_name(fn, "tokens_to_ids")
    if hidden:
        index = {"peace": 0, ",": 1, "war": 2, "and": 3, "tariff": 4, "union": 5, "treaty": 6}
        oov = ["Peace", "wars", "zebra", "<unk>"]
        known_cases = [["peace", ",", "war", "and"], ["treaty", "treaty", "union"], []]
        oov_cases = [["zebra", "wars"], ["peace", ",", "war", "and", "Peace"], ["<unk>", "union", "<unk>"]]
        rng = np.random.default_rng(1001)
    else:
        index = {"the": 0, "union": 1, "is": 2, "strong": 3, "people": 4}
        oov = ["zebra", "quux", "The"]
        known_cases = [["the", "union", "is", "strong"], ["people", "the", "people"], []]
        oov_cases = [["the", "zebra", "union", "quux", "is", "The"], ["zebra"]]
        rng = np.random.default_rng(1)
    known_cases += [[list(index)[k] for k in rng.integers(0, len(index), size=30)]]
    pool = list(index) + oov
    oov_cases += [[pool[k] for k in rng.integers(0, len(pool), size=30)] for _ in range(2)]

    def run(cases: list[list[str]]) -> int:
        for tokens in cases:
            call = f"{name}({tokens!r}, index)" if len(tokens) <= 6 else f"{name}(tokens, index)"
            out = call_student(fn, name, list(tokens), dict(index), call=call, forbid=forbidden("check_tokens_to_ids"))
            got = as_array(out, f"the result of `{call}`")
            want = np.array([index[t] for t in tokens if t in index], dtype=np.int32)
            if got.ndim != 1:
                raise CheckFailed(f"`{call}` returned an array of shape {got.shape}; expected a 1-D array of ids.")
            if got.size == len(tokens) and want.size < len(tokens):
                bad = next(t for t in tokens if t not in index)
                raise CheckFailed(
                    f"`{call}` returned {got.size} ids for {len(tokens)} tokens, but {bad!r} is not in the vocabulary: "
                    "drop out-of-vocabulary tokens (as the reference C tool does) instead of giving them an id."
                )
            if got.size and not np.issubdtype(got.dtype, np.integer):
                raise CheckFailed(f"`{call}` returned {got.dtype} values; ids must be integers (e.g. dtype=np.int32).")
            if got.shape != want.shape or not np.array_equal(got, want):
                raise CheckFailed(
                    f"`{call}` returned {got.tolist()[:12]}; expected {want.tolist()[:12]} "
                    "(each known token's id from `index`, in the order of the tokens)."
                )
        return len(cases)

    return run_parts("check_tokens_to_ids", fn, [
        Part("known tokens become their ids, in order", lambda: run(known_cases)),
        Part("unknown tokens are dropped", lambda: run(oov_cases)),
    ], hidden, points)

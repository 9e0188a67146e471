"""glove_lite.bias: the WEAT effect size and permutation test against a plain, loop-by-loop reference."""

import itertools
import json
import math
import statistics

import numpy as np
import pytest

from glove_lite.bias import WeatResult, association, known_words, weat_effect_size, weat_test
from glove_lite.errors import GloveLiteError, UnknownWordError, VocabularyError
from glove_lite.vectors import WordVectors


# ----------------------------------------------------------------------------- the reference


def cosine(u, v):
    return sum(a * b for a, b in zip(u, v)) / math.sqrt(sum(a * a for a in u) * sum(b * b for b in v))


def ref_s(vec, w, A, B):
    """s(w, A, B) = mean cos(w, a) - mean cos(w, b), with Python floats."""
    return statistics.fmean(cosine(vec[w], vec[a]) for a in A) - statistics.fmean(cosine(vec[w], vec[b]) for b in B)


def ref_effect(vec, X, Y, A, B):
    s = {w: ref_s(vec, w, A, B) for w in X + Y}
    return (statistics.fmean(s[x] for x in X) - statistics.fmean(s[y] for y in Y)) / statistics.stdev(s.values())


def ref_p(vec, X, Y, A, B):
    """Caliskan et al.'s p-value: the share of equal-size splits of X ∪ Y whose statistic is at least the observed."""
    s = {w: ref_s(vec, w, A, B) for w in X + Y}

    def stat(Xi, Yi):
        return sum(s[x] for x in Xi) - sum(s[y] for y in Yi)

    observed = stat(X, Y)
    union = X + Y
    splits = [(list(Xi), [w for w in union if w not in Xi]) for Xi in itertools.combinations(union, len(X))]
    return sum(stat(Xi, Yi) >= observed - 1e-12 for Xi, Yi in splits) / len(splits)


def space(n_words=40, dim=12, seed=0):
    rng = np.random.default_rng(seed)
    words = tuple(f"w{i:02d}" for i in range(n_words))
    return WordVectors(words, rng.normal(size=(n_words, dim)))


def as_lists(wv):
    return {w: wv.vectors[i].astype(np.float64).tolist() for w, i in wv.index.items()}


SETS = (["w00", "w01", "w02", "w03"], ["w04", "w05", "w06", "w07"], ["w10", "w11", "w12"], ["w20", "w21", "w22", "w23"])


# ----------------------------------------------------------------------------- the numbers


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_association_and_effect_size_equal_the_reference(seed):
    wv = space(seed=seed)
    vec = as_lists(wv)
    X, Y, A, B = SETS
    assert association(wv, X + Y, A, B) == pytest.approx([ref_s(vec, w, A, B) for w in X + Y], abs=1e-6)
    assert weat_effect_size(wv, X, Y, A, B) == pytest.approx(ref_effect(vec, X, Y, A, B), rel=1e-5)


@pytest.mark.parametrize("sizes", [(4, 4), (3, 5), (5, 2)])
def test_exact_p_value_equals_the_reference(sizes):
    wv = space(seed=sum(sizes))
    vec = as_lists(wv)
    X, Y = [f"w{i:02d}" for i in range(sizes[0])], [f"w{i:02d}" for i in range(10, 10 + sizes[1])]
    A, B = ["w30", "w31", "w32"], ["w33", "w34", "w35", "w36"]
    result = weat_test(wv, X, Y, A, B)
    assert result.exact and result.partitions == math.comb(sizes[0] + sizes[1], sizes[0])
    assert result.p_value == pytest.approx(ref_p(vec, X, Y, A, B), abs=1e-12)
    assert result.effect_size == pytest.approx(ref_effect(vec, X, Y, A, B), rel=1e-5)
    s = [ref_s(vec, w, A, B) for w in X + Y]
    assert result.statistic == pytest.approx(sum(s[: len(X)]) - sum(s[len(X):]), abs=1e-6)


def test_sampled_p_value_is_close_to_the_exact_one():
    wv = space(n_words=40, seed=5)
    X, Y = [f"w{i:02d}" for i in range(8)], [f"w{i:02d}" for i in range(8, 16)]
    A, B = ["w30", "w31", "w32", "w33"], ["w34", "w35", "w36", "w37"]
    exact = weat_test(wv, X, Y, A, B)  # 12,870 splits, all counted
    sampled = weat_test(wv, X, Y, A, B, n_permutations=4000, seed=3)
    assert exact.exact and not sampled.exact and sampled.partitions == 4000
    se = math.sqrt(exact.p_value * (1 - exact.p_value) / 4000) + 1 / 4000
    assert abs(sampled.p_value - exact.p_value) < 4 * se
    assert sampled.p_value == weat_test(wv, X, Y, A, B, n_permutations=4000, seed=3).p_value  # seeded: repeatable


def test_a_planted_association_is_found_and_only_the_observed_split_is_as_extreme():
    rng = np.random.default_rng(0)
    a_dir, b_dir = np.eye(20)[0], np.eye(20)[1]
    rows = {}
    for k in range(5):
        rows[f"x{k}"] = a_dir * (1 + k / 10) + 0.05 * rng.normal(size=20)  # X leans towards A
        rows[f"y{k}"] = b_dir * (1 + k / 10) + 0.05 * rng.normal(size=20)  # Y towards B
        rows[f"a{k}"] = a_dir + 0.3 * rng.normal(size=20)
        rows[f"b{k}"] = b_dir + 0.3 * rng.normal(size=20)
    wv = WordVectors(tuple(rows), np.stack(list(rows.values())))
    X, Y = [f"x{k}" for k in range(5)], [f"y{k}" for k in range(5)]
    A, B = [f"a{k}" for k in range(5)], [f"b{k}" for k in range(5)]
    result = weat_test(wv, X, Y, A, B)
    assert result.effect_size > 1.5
    assert result.p_value == pytest.approx(1 / math.comb(10, 5))
    reversed_ = weat_test(wv, Y, X, A, B)
    assert reversed_.effect_size == pytest.approx(-result.effect_size) and reversed_.p_value == 1.0
    assert weat_effect_size(wv, X, Y, B, A) == pytest.approx(-result.effect_size)


def test_no_association_gives_a_large_p_value():
    rng = np.random.default_rng(1)
    wv = WordVectors(tuple(f"w{i:02d}" for i in range(60)), rng.normal(size=(60, 300)))
    X, Y = [f"w{i:02d}" for i in range(8)], [f"w{i:02d}" for i in range(8, 16)]
    A, B = [f"w{i:02d}" for i in range(20, 40)], [f"w{i:02d}" for i in range(40, 60)]
    assert weat_test(wv, X, Y, A, B).p_value > 0.05  # random directions: nothing planted


def test_cosines_only_rotation_and_lengths_change_nothing():
    wv = space(seed=3)
    q, _ = np.linalg.qr(np.random.default_rng(4).normal(size=(12, 12)))
    lengths = np.random.default_rng(5).uniform(0.1, 10, size=(len(wv), 1))
    turned = WordVectors(wv.words, (wv.vectors @ q) * lengths)
    X, Y, A, B = SETS
    assert weat_effect_size(turned, X, Y, A, B) == pytest.approx(weat_effect_size(wv, X, Y, A, B), rel=1e-4)


# ----------------------------------------------------------------------------- bad input


def test_unknown_words_are_named():
    wv = space()
    X, Y, A, B = SETS
    with pytest.raises(UnknownWordError, match="'w99'"):
        weat_effect_size(wv, X, Y, A + ["w99"], B)
    with pytest.raises(VocabularyError, match="2 words of X are not in the vocabulary: 'she', 'hers'"):
        weat_test(wv, X + ["she", "hers"], Y, A, B)
    assert known_words(wv, ["w01", "she", "w02", "hers"]) == (["w01", "w02"], ["she", "hers"])


@pytest.mark.parametrize("change, message", [
    (lambda X, Y, A, B: ("w00", Y, A, B), "not one string"),
    (lambda X, Y, A, B: (X, Y + ["w00"], A, B), "X and Y share"),
    (lambda X, Y, A, B: (X, Y, A, B + ["w10"]), "A and B share"),
    (lambda X, Y, A, B: ([], Y, A, B), "at least one"),
    (lambda X, Y, A, B: (X, Y, [], B), "A is empty"),
    (lambda X, Y, A, B: (X + ["w00"], Y, A, B), "more than once"),
    (lambda X, Y, A, B: (["w00"], ["w04"], A, B), "at least 3"),
])
def test_bad_sets_are_refused(change, message):
    with pytest.raises(GloveLiteError, match=message):
        weat_test(space(), *change(*SETS))


def test_bad_number_of_permutations():
    with pytest.raises(GloveLiteError, match="n_permutations=0"):
        weat_test(space(), *SETS, n_permutations=0)


def test_result_is_a_plain_record():
    result = weat_test(space(), *SETS)
    assert isinstance(result, WeatResult)
    assert 0 < result.p_value <= 1 and result.partitions == math.comb(8, 4)


# ----------------------------------------------------------------------------- make bias --quick


def test_quick_study_writes_every_test_for_every_seed(tmp_path):
    from glove_lite.studies import bias as study

    path = tmp_path / "bias.json"
    assert study.main(["--quick", "--no-progress", "--output", str(path)]) == 0
    result = json.loads(path.read_text(encoding="utf-8"))
    assert result["quick"] is True and [t["name"] for t in result["tests"]] == [s.name for s in study.TESTS]
    for test, spec in zip(result["tests"], study.TESTS):
        for key, (label, words) in zip("XYAB", (spec.X, spec.Y, spec.A, spec.B)):
            assert test[key]["label"] == label
            assert sorted(test[key]["words"] + test[key]["missing"]) == sorted(words)  # nothing replaced or lost
        assert [run["seed"] for run in test["runs"]] == list(study.QUICK.seeds)
        for run in test["runs"]:
            if run["effect_size"] is None:  # a decade of addresses lacks words of some lists
                assert "expected" in run["error"]
            else:
                assert 0 < run["p_value"] <= 1 and math.isfinite(run["effect_size"])
    assert any(run["effect_size"] is not None for test in result["tests"] for run in test["runs"])

"""Semantic change: Procrustes against scipy and a brute-force search, the align contract,
change scores and neighbour overlap against plain loops, eras and the shuffled control, and
``make semantic`` in its tiny ``--quick`` form."""

import json
from collections import Counter

import numpy as np
import pytest
from scipy.linalg import orthogonal_procrustes
from scipy.stats import ortho_group

from glove_lite import align as al
from glove_lite.studies import semantic_change as sc
from glove_lite.corpus import Document
from glove_lite.errors import GloveLiteError
from glove_lite.vectors import WordVectors


def random_vectors(n=40, d=6, seed=0, prefix="w"):
    """n words with random vectors of very different lengths (as frequent and rare words have)."""
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, d)) * np.exp(rng.normal(0, 1, size=(n, 1)))
    return WordVectors(tuple(f"{prefix}{i:03d}" for i in range(n)), vectors.astype(np.float32))


def rotated_copy(base, q, drop=(), add=0, seed=1):
    """``base`` times q, words shuffled, ``drop`` removed and ``add`` new random words added."""
    rng = np.random.default_rng(seed)
    keep = [w for w in base.words if w not in set(drop)]
    rows = np.asarray(base.vectors, dtype=np.float64)[[base.index[w] for w in keep]] @ q
    words = keep + [f"new{i}" for i in range(add)]
    rows = np.vstack([rows, rng.normal(size=(add, base.dim))])
    order = rng.permutation(len(words))
    return WordVectors(tuple(words[i] for i in order), rows[order].astype(np.float32))


# ----------------------------------------------------------------------------- Procrustes


@pytest.mark.parametrize("n, d, seed", [(30, 5, 0), (200, 16, 1), (8, 8, 2)])
def test_procrustes_matches_scipy(n, d, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(n, d)), rng.normal(size=(n, d))
    r = al.procrustes_rotation(a, b)
    np.testing.assert_allclose(r, orthogonal_procrustes(a, b)[0], atol=1e-10)
    np.testing.assert_allclose(r.T @ r, np.eye(d), atol=1e-10)


def test_procrustes_beats_every_other_rotation_brute_force():
    """No orthogonal matrix from a random search (or a small perturbation of R) fits better."""
    rng = np.random.default_rng(3)
    a = rng.normal(size=(25, 3))
    b = a @ ortho_group.rvs(3, random_state=4) + 0.3 * rng.normal(size=(25, 3))
    r = al.procrustes_rotation(a, b)
    best = np.linalg.norm(a @ r - b)
    for q in ortho_group.rvs(3, size=2000, random_state=5):
        assert np.linalg.norm(a @ q - b) >= best - 1e-12
    for _ in range(200):  # rotations near R: exp of a small skew-symmetric matrix
        s = rng.normal(scale=1e-3, size=(3, 3))
        from scipy.linalg import expm

        assert np.linalg.norm(a @ (r @ expm(s - s.T)) - b) >= best - 1e-12


def test_procrustes_recovers_a_known_rotation_and_rejects_bad_shapes():
    rng = np.random.default_rng(6)
    a = rng.normal(size=(50, 7))
    q = ortho_group.rvs(7, random_state=7)
    np.testing.assert_allclose(al.procrustes_rotation(a, a @ q), q, atol=1e-10)
    with pytest.raises(GloveLiteError, match="expected two"):
        al.procrustes_rotation(a, a[:, :3])
    with pytest.raises(GloveLiteError, match="no rows"):
        al.procrustes_rotation(np.zeros((0, 3)), np.zeros((0, 3)))


# ----------------------------------------------------------------------------- align: the contract


def test_align_contract_rotation_reordered_words_added_and_removed():
    base = random_vectors(n=60, d=10, seed=8)
    q = ortho_group.rvs(10, random_state=9)
    other = rotated_copy(base, q, drop=base.words[:4], add=5)
    aligned = al.align(base, other)
    assert aligned.words == other.words  # other's words, in other's order
    shared = [w for w in other.words if w in base.index]
    assert len(shared) == 56
    for w in shared:
        np.testing.assert_allclose(aligned[w], base[w], rtol=1e-4, atol=1e-5)
    # lengths are kept: a rotation changes no length
    np.testing.assert_allclose(np.linalg.norm(aligned.vectors, axis=1), np.linalg.norm(other.vectors, axis=1),
                               rtol=1e-5)


def test_align_uses_only_the_anchors():
    base = random_vectors(n=50, d=6, seed=10)
    q = ortho_group.rvs(6, random_state=11)
    other = rotated_copy(base, q)
    # Words outside the anchors moved a lot: the fit must ignore them.
    noisy = np.asarray(other.vectors).copy()
    moved = [w for w in base.words[30:]]
    for w in moved:
        noisy[other.index[w]] = np.random.default_rng(12).normal(size=6)
    other = WordVectors(other.words, noisy)
    anchors = list(base.words[:30]) + ["not-a-word"]
    aligned = al.align(base, other, anchors=anchors)
    for w in base.words[:30]:
        np.testing.assert_allclose(aligned[w], base[w], rtol=1e-4, atol=1e-5)
    assert not np.allclose(al.align(base, other)[base.words[0]], base[base.words[0]], atol=1e-3)


def test_align_normalises_before_fitting():
    """The fit uses unit vectors: HistWords' choice, so that long (frequent) vectors do not dominate."""
    base = random_vectors(n=30, d=4, seed=13)
    rng = np.random.default_rng(14)
    other = WordVectors(base.words, rng.normal(size=(30, 4)) * np.exp(rng.normal(0, 2, size=(30, 1))))
    aligned = al.align(base, other)
    r = orthogonal_procrustes(al.unit_rows(other.vectors), al.unit_rows(base.vectors))[0]
    np.testing.assert_allclose(aligned.vectors, np.asarray(other.vectors, np.float64) @ r, rtol=1e-4, atol=1e-5)


def test_align_errors_name_the_problem():
    base = random_vectors(n=10, d=3)
    other = random_vectors(n=10, d=3, prefix="x")
    with pytest.raises(GloveLiteError, match="0 word"):
        al.align(base, other)
    with pytest.raises(GloveLiteError, match="dimensions"):
        al.align(base, random_vectors(n=10, d=4))
    with pytest.raises(GloveLiteError, match="anchors"):
        al.align(base, base, anchors=["w000"])


# ----------------------------------------------------------------------------- change scores


def test_change_scores_against_a_plain_loop():
    base = random_vectors(n=40, d=5, seed=15)
    q = ortho_group.rvs(5, random_state=16)
    other = rotated_copy(base, q)
    moved = np.asarray(other.vectors).copy()
    moved[other.index["w007"]] = np.random.default_rng(17).normal(size=5)
    other = WordVectors(other.words, moved)
    words = ["w001", "w007", "w020"]
    got = al.change_scores(base, other, words)
    aligned = al.align(base, other)
    for w, score in zip(words, got):
        a, b = base[w].astype(float), aligned[w].astype(float)
        assert score == pytest.approx(1 - a @ b / np.linalg.norm(a) / np.linalg.norm(b), abs=1e-6)
    assert got[0] < 0.05 and got[2] < 0.05 and got[1] > 0.2  # only the moved word changed


def test_unaligned_distances_are_meaningless():
    """The same vectors, rotated: no change at all, yet unaligned cosines say everything moved."""
    base = random_vectors(n=200, d=20, seed=18)
    other = rotated_copy(base, ortho_group.rvs(20, random_state=19))
    words = list(base.words)
    assert np.mean(al.cosine_distances(base, other, words)) > 0.7
    assert np.max(al.change_scores(base, other, words)) < 1e-5
    with pytest.raises(GloveLiteError, match="without a vector"):
        al.cosine_distances(base, other, ["nope"])


# ----------------------------------------------------------------------------- neighbour overlap


def overlap_by_hand(a, b, word, k, among):
    """Plain loops: rank the candidates by cosine in each space, ties alphabetically, count the shared top k."""
    def top(wv):
        u = wv[word] / np.linalg.norm(wv[word])
        sims = [(-(wv[c] @ u) / np.linalg.norm(wv[c]), c) for c in sorted(among) if c != word]
        return {c for _, c in sorted(sims)[:k]}

    return len(top(a) & top(b)) / k


def test_neighbour_overlap_tiny_hand_example():
    # Era a: "gay" sits with "happy" and "cheerful"; era b: with "lesbian" and "rights".
    words = ("cheerful", "gay", "happy", "lesbian", "rights")
    a = WordVectors(words, np.array([[1, 0.1], [1, 0], [1, -0.1], [0, 1], [-0.2, 1]]))
    b = WordVectors(words, np.array([[1, 0.1], [0, 1], [1, -0.1], [0.1, 1], [-0.2, 1]]))
    assert al.neighbour_overlap(a, b, ["gay"], k=2).tolist() == [0.0]
    assert al.neighbour_overlap(a, a, ["gay"], k=2).tolist() == [1.0]
    # k=3: a: happy, cheerful, lesbian; b: lesbian, rights, cheerful -> 2 of 3 shared
    assert al.neighbour_overlap(a, b, ["gay"], k=3).tolist() == [pytest.approx(2 / 3)]


def test_neighbour_overlap_breaks_ties_alphabetically():
    words = ("b", "c", "q", "a")
    tied = WordVectors(words, np.array([[1.0, 1.0], [1.0, 1.0], [1.0, 0.0], [1.0, 1.0]]))
    other = WordVectors(words, np.array([[1.0, 1.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]))
    # q's neighbours in `tied`: a, b, c all at the same cosine: k=1 takes "a" in both spaces
    assert al.neighbour_overlap(tied, other, ["q"], k=1).tolist() == [1.0]


def test_neighbour_overlap_needs_no_alignment_and_matches_a_loop():
    base = random_vectors(n=60, d=5, seed=20)
    other = rotated_copy(base, ortho_group.rvs(5, random_state=21), drop=base.words[50:], add=3)
    assert np.all(al.neighbour_overlap(base, other, base.words[:10], k=5) == 1.0)  # a rotation changes no neighbour
    rng = np.random.default_rng(22)
    noisy = WordVectors(other.words, np.asarray(other.vectors) + rng.normal(scale=0.8, size=other.vectors.shape))
    among = sorted(set(base.words) & set(noisy.words))
    got = al.neighbour_overlap(base, noisy, base.words[:15], k=6)
    want = [overlap_by_hand(base, noisy, w, 6, among) for w in base.words[:15]]
    np.testing.assert_allclose(got, want)
    assert 0 < got.mean() < 1
    with pytest.raises(GloveLiteError, match="k=0"):
        al.neighbour_overlap(base, noisy, ["w001"], k=0)
    with pytest.raises(GloveLiteError, match="candidate"):
        al.neighbour_overlap(base, noisy, ["w055"], k=2)


# ----------------------------------------------------------------------------- eras and the control


def docs_by_year():
    return [Document(text="x" * (100 + 37 * (y % 7)), name=f"d{y}", year=y) for y in range(1900, 1960)]


def test_split_by_era_and_errors():
    eras = (sc.Era(1900, 1919), sc.Era(1920, 1939), sc.Era(1940, 1959))
    parts = sc.split_by_era(docs_by_year(), eras)
    assert [len(p) for p in parts] == [20, 20, 20]
    assert all(era.start <= d.year <= era.end for era, p in zip(eras, parts) for d in p)
    assert eras[0].label == "1900-1919"
    with pytest.raises(GloveLiteError, match="1990-1999 has no documents"):
        sc.split_by_era(docs_by_year(), (sc.Era(1990, 1999),))
    with pytest.raises(GloveLiteError, match="has no year"):
        sc.split_by_era([Document("text", "mine.txt")], eras)


def test_shuffled_eras_keep_documents_and_sizes():
    eras = (sc.Era(1900, 1909), sc.Era(1910, 1939), sc.Era(1940, 1959))
    parts = sc.split_by_era(docs_by_year(), eras)
    shuffled = sc.shuffled_eras(parts, seed=0)
    assert sorted(d.name for p in shuffled for d in p) == sorted(d.name for p in parts for d in p)
    for real, fake in zip(parts, shuffled):
        size, fake_size = sum(len(d.text) for d in real), sum(len(d.text) for d in fake)
        assert abs(fake_size - size) <= 300  # within about one document of the real era's size
        assert [d.year for d in fake] == sorted(d.year for d in fake)
    years = [{d.year // 20 for d in p} for p in shuffled]
    assert all(len(y) > 1 for y in years)  # each pseudo-era mixes periods
    assert sc.shuffled_eras(parts, seed=0) == shuffled
    assert sc.shuffled_eras(parts, seed=1) != shuffled


def test_stands_out_needs_every_seed_above_every_shuffle():
    real = np.array([[0.5, 0.5, 0.30, np.nan], [0.6, 0.2, 0.31, 0.9]])
    control = np.array([[0.3, 0.3, 0.30, 0.1], [0.4, 0.1, 0.29, 0.1]])
    assert sc.stands_out(real, control).tolist() == [True, False, False, False]


def test_analysis_words_every_era_and_no_punctuation():
    counts = [Counter({"war": 30, "peace": 5, ",": 99, "union": 20}), Counter({"war": 20, "union": 40, ",": 99})]
    assert sc.analysis_words(counts, 20) == ["union", "war"]


def test_averaged_neighbours_against_brute_force():
    spaces = [random_vectors(n=30, d=4, seed=s) for s in (23, 24, 25)]
    spaces = [WordVectors(spaces[0].words[:-1] + (";",), s.vectors) for s in spaces]
    got = sc.averaged_neighbours(spaces, "w003", 5)
    mean = {w: np.mean([s.similarity("w003", w) for s in spaces]) for w in spaces[0].words if w not in ("w003", ";")}
    assert got == sorted(mean, key=lambda w: (-mean[w], w))[:5]
    with pytest.raises(GloveLiteError, match="different vocabularies"):
        sc.averaged_neighbours([spaces[0], random_vectors(n=30, d=4, prefix="x")], "w003", 2)


def test_projection_2d_is_pca_with_fixed_signs():
    rng = np.random.default_rng(26)
    points = rng.normal(size=(12, 6)) * np.array([5, 3, 1, 0.5, 0.2, 0.1])
    xy = sc.projection_2d(points, anchor=4)
    centred = points - points.mean(axis=0)
    assert np.all(xy[4] >= 0)
    # Same variance along each axis as the top two principal components, uncorrelated axes.
    eig = np.sort(np.linalg.eigvalsh(centred.T @ centred))[::-1]
    np.testing.assert_allclose(np.sum(xy**2, axis=0), eig[:2], rtol=1e-10)
    assert abs(xy[:, 0] @ xy[:, 1]) < 1e-8
    np.testing.assert_allclose(sc.projection_2d(-points, anchor=4), xy, atol=1e-10)


# ----------------------------------------------------------------------------- the frequency-matched null


def test_frequency_peers_against_brute_force():
    rng = np.random.default_rng(0)
    log_count = np.round(rng.uniform(1, 3, size=30), 1)  # rounded: many ties
    peers = sc.frequency_peers(log_count, 5)
    for i in range(30):
        others = sorted((j for j in range(30) if j != i), key=lambda j: (abs(log_count[i] - log_count[j]), j))
        assert peers[i].tolist() == others[:5]
    with pytest.raises(GloveLiteError, match="n_peers=30"):
        sc.frequency_peers(log_count, 30)


def test_matched_null_against_a_plain_loop():
    rng = np.random.default_rng(1)
    scores = rng.uniform(size=(3, 25))
    scores[:, 7] += 1.0  # one word changes far more than any other, in every run
    scores[1, 3] = np.nan  # a word missing from one run
    peers = sc.frequency_peers(np.arange(25) / 10, 6)
    out = sc.matched_null(scores, peers, share=0.95)
    for r in range(3):
        for i in range(25):
            ps = [scores[r, j] for j in peers[i] if np.isfinite(scores[r, j])]
            expected = sum(p < scores[r, i] for p in ps) / len(ps) if np.isfinite(scores[r, i]) else np.nan
            np.testing.assert_equal(out["share_below"][r, i], expected)
    for i in range(25):
        excess = np.nanmean([scores[r, i] - np.nanmean(scores[r, peers[i]]) for r in range(3)])
        assert out["excess"][i] == pytest.approx(excess)
    assert out["stands_out"][7] and not out["stands_out"][3]
    assert out["stands_out"].tolist() == [bool(np.all(out["share_below"][:, i] >= 0.95)) for i in range(25)]


def test_held_out_alignment_rotation_against_a_distortion():
    base = random_vectors(n=120, d=6, seed=2)
    q = ortho_group.rvs(6, random_state=3)
    turned = rotated_copy(base, q)
    exact = sc.held_out_alignment(base, turned, base.words)
    assert exact["rotation"] < 1e-9 and exact["linear"] < 1e-9  # a rotation: both maps recover it
    stretch = np.diag([3.0, 1, 1, 1, 1, 0.3]) @ q  # not a rotation: only a linear map can undo it
    stretched = WordVectors(base.words, (np.asarray(base.vectors, np.float64) @ stretch).astype(np.float32))
    bent = sc.held_out_alignment(base, stretched, base.words)
    assert bent["linear"] < bent["rotation"] / 4  # the rows are unit length: a linear fit is close, not exact
    with pytest.raises(GloveLiteError, match="at least 12"):
        sc.held_out_alignment(base, turned, base.words[:8])


def test_corpus_profile_counts_every_token_once():
    docs = [Document("War and peace. War!", "a", 1791, "A"), Document("Peace, at last.", "b", 1805, "B"),
            Document("The war is over.", "c", 1799, "A")]
    profile = sc.corpus_profile(docs, ("war", "peace", "nuclear"))
    from glove_lite.preprocess import tokenize_documents

    assert sum(profile["decade_tokens"].values()) == tokenize_documents(docs).n_tokens
    assert set(profile["decade_tokens"]) == {"1790s", "1800s"}
    assert profile["first_year"] == {"war": 1791, "peace": 1791, "nuclear": None}


# ----------------------------------------------------------------------------- make semantic --quick


@pytest.fixture(scope="module")
def quick_result(tmp_path_factory):
    path = tmp_path_factory.mktemp("semantic") / "data" / "semantic_change.json"
    assert sc.main(["--quick", "--no-progress", "--output", str(path)]) == 0
    return path, json.loads(path.read_text(encoding="utf-8"))


def test_quick_study_writes_consistent_results(quick_result):
    path, r = quick_result
    plan = sc.QUICK
    assert r["quick"] is True and [e["label"] for e in r["eras"]] == [e.label for e in plan.eras]
    assert r["provenance"]["models"] == len(plan.eras) * (len(plan.seeds) + len(plan.shuffles))
    assert all(e["tokens"] > 0 and e["words"] > 0 and e["documents"] > 0 for e in r["eras"])
    w = r["words"]
    n = len(w["word"])
    assert n > 10 and w["word"] == sorted(w["word"])
    assert all(len(c) == len(plan.eras) and min(c) >= plan.analysis_min_count for c in w["counts"])
    for key in ("change", "control", "overlap_change", "overlap_control"):
        assert set(w[key]) == {"mean", "sd", "min", "max"} and all(len(v) == n for v in w[key].values())
    ok = [(lo, m, hi) for lo, m, hi in zip(w["change"]["min"], w["change"]["mean"], w["change"]["max"])]
    assert all(lo <= m + 1e-4 and m <= hi + 1e-4 and 0 <= lo and hi <= 2 for lo, m, hi in ok)
    assert all(0 <= x <= 1 for x in w["overlap_change"]["mean"])
    assert len(w["adjacent"]) == n and all(len(a) == len(plan.eras) - 1 for a in w["adjacent"])
    stand = [m > hi for m, hi in zip(w["change"]["min"], w["control"]["max"]) if hi is not None]
    assert sum(w["stands_out"]) == sum(stand)
    # Two seeds of the same era: unaligned distances are large, aligned ones small.
    demo = r["alignment_demo"]
    assert min(demo["unaligned"]) > max(demo["aligned"])
    assert len(demo["held_out"]) == len(plan.eras) and all(h["linear_in_sample"] <= h["rotation_in_sample"] + 1e-6
                                                            for h in demo["held_out"])
    for key in ("matched", "matched_control"):
        assert all(len(v) == n for v in w[key].values())
        assert all(0 <= x <= 1 for x in w[key]["share_below_min"] if x is not None)
        assert [bool(x is not None and x >= plan.matched_share) for x in w[key]["share_below_min"]] == w[key]["stands_out"]
    assert sum(r["corpus"]["decade_tokens"].values()) >= sum(e["tokens"] for e in r["eras"])
    assert set(r["corpus"]["first_year"]) == set(plan.words)
    assert set(r["neighbours"]) == set(plan.words)
    for word, t in r["trajectories"].items():
        assert len(t["points"]) == len(t["eras"]) == len(t["neighbours"]) == len(t["neighbour_points"])
        assert all(len(p) == 2 for p in t["points"])
    text = path.read_text(encoding="utf-8")
    assert "NaN" not in text and len(text) < 200_000


def test_quick_study_is_deterministic(quick_result, tmp_path):
    """A second run (vectors from the cache) writes the same numbers."""
    _, first = quick_result
    path = tmp_path / "again.json"
    assert sc.main(["--quick", "--no-progress", "--output", str(path)]) == 0
    second = json.loads(path.read_text(encoding="utf-8"))
    first, second = dict(first), dict(second)
    first.pop("provenance"), second.pop("provenance")
    assert first == second


def test_command_reports_bad_input_in_one_line(capsys, monkeypatch):
    monkeypatch.setattr(sc, "QUICK", sc.StudyPlan(eras=(sc.Era(1790, 1791), sc.Era(1795, 1796)), years=(1792, 1794)))
    assert sc.main(["--quick", "--no-progress", "--output", "/tmp/never-written.json"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: era 1790-1791 has no documents") and "\n" not in err

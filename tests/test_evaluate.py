"""The benchmarks: coverage counts, the semantic/syntactic split, and the command on Stanford-format files."""

import numpy as np
import pytest
from gensim.test.utils import datapath

from glove_lite.cli import main
from glove_lite.evaluate import (
    SEMANTIC_SECTIONS,
    Score,
    analogies,
    analogy_sections,
    covered_pairs,
    evaluate_vectors,
    spearman_interval,
    word_similarity,
)
from glove_lite.vectors import WordVectors


def read_pairs(name):
    out = []
    for line in open(datapath(name), encoding="utf-8"):
        if not line.startswith("#") and line.strip():
            a, b, _ = line.split("\t")
            out.append((a.lower(), b.lower()))
    return out


def read_questions():
    """[(section, (a, b, c, d))] of the Google analogy file, lowercased."""
    out, section = [], None
    for line in open(datapath("questions-words.txt"), encoding="utf-8"):
        if line.startswith(":"):
            section = line[1:].strip()
        elif line.strip():
            out.append((section, tuple(line.lower().split())))
    return out


# Words chosen from the benchmarks: family relations and plurals (analogies), and a few
# WordSim-353 / SimLex-999 words. The vectors are random, so only coverage is predictable.
WORDS = ["king", "queen", "man", "woman", "boy", "girl", "brother", "sister", "father", "mother", "son",
         "daughter", "he", "she", "his", "her", "dog", "dogs", "cat", "cats", "car", "cars", "tiger",
         "love", "sex", "money", "cash", "bank", "old", "new", "Computer", "keyboard", "good", "bad",
         "country", "city", "war", "peace", "president", "nation", "law", "government", "people"]


@pytest.fixture(scope="module")
def vectors():
    rng = np.random.default_rng(0)
    return WordVectors(tuple(WORDS), rng.normal(size=(len(WORDS), 16)))


@pytest.mark.parametrize("benchmark, file", [("wordsim353", "wordsim353.tsv"), ("simlex999", "simlex999.txt")])
def test_similarity_coverage_counts(vectors, benchmark, file):
    known = {w.lower() for w in WORDS}  # case-insensitive: "Computer" covers "computer"
    pairs = read_pairs(file)
    expected = sum(a in known and b in known for a, b in pairs)
    score = word_similarity(vectors, benchmark)
    assert expected >= 5
    assert (score.covered, score.total) == (expected, len(pairs))
    assert -1 <= score.score <= 1
    covered, missing = covered_pairs(vectors, benchmark)
    assert len(covered) == expected and len(covered) + len(missing) == len(pairs)


def test_similarity_total_sizes():
    assert len(read_pairs("wordsim353.tsv")) == 353 and len(read_pairs("simlex999.txt")) == 999


def test_analogy_coverage_per_section_and_accuracy(vectors):
    known = {w.lower() for w in WORDS}
    questions = read_questions()
    sections = analogy_sections(vectors)
    assert len(sections) == 14
    for name, score in sections.items():
        in_section = [q for s, q in questions if s == name]
        covered = [q for q in in_section if set(q) <= known]
        assert (score.covered, score.total) == (len(covered), len(in_section)), name
        if covered:  # gensim's 3CosAdd agrees with ours question by question
            right = sum(vectors.analogy(a, b, c)[0][0] == d for a, b, c, d in covered)
            assert score.score == pytest.approx(right / len(covered))
    assert sections["family"].covered > 10 and sections["gram8-plural"].covered > 0


def test_semantic_and_syntactic_add_up_to_all(vectors):
    parts = analogies(vectors)
    sections = analogy_sections(vectors)
    allq, sem, syn = parts["all"], parts["semantic"], parts["syntactic"]
    assert sem.total + syn.total == allq.total == 19544
    assert sem.total == sum(s.total for n, s in sections.items() if n in SEMANTIC_SECTIONS) == 8869
    assert sem.covered + syn.covered == allq.covered > 0
    correct = lambda s: round(s.score * s.covered) if s.covered else 0  # noqa: E731
    assert correct(sem) + correct(syn) == correct(allq)


def test_evaluate_vectors_order_and_names(vectors):
    names = [s.name for s in evaluate_vectors(vectors)]
    assert names == ["wordsim353", "simlex999", "analogy (all)", "analogy (semantic)", "analogy (syntactic)"]


def test_restrict_vocab_drops_rare_words(vectors):
    full = evaluate_vectors(vectors)
    first = evaluate_vectors(vectors, restrict_vocab=4)  # king, queen, man, woman
    assert all(r.covered <= f.covered for r, f in zip(first, full))
    assert first[2].covered == 2  # king:queen::man:woman and man:woman::king:queen
    four = set(WORDS[:4])
    assert first[0].covered == sum(a in four and b in four for a, b in read_pairs("wordsim353.tsv")) < full[0].covered


def test_nothing_covered_is_nan_not_an_error():
    wv = WordVectors(("zzqx", "qqzx"), np.eye(2))
    for score in evaluate_vectors(wv):
        assert score.covered == 0 and score.score != score.score
        assert "n/a" in str(score) and "coverage 0/" in str(score)


def test_score_formatting():
    assert str(Score("wordsim353", 0.41234, 170, 353)) == "wordsim353            0.412   coverage 170/353 (48 %)"
    assert "6.7 %" in str(Score("analogy (all)", 0.0672, 3422, 19544))
    assert Score("x", 0.5, 0, 0).coverage == 0.0


def test_spearman_interval_brackets_the_score(vectors):
    score = word_similarity(vectors, "simlex999")
    lo, hi = spearman_interval(vectors, "simlex999", n_boot=500)
    assert lo < score.score < hi
    assert spearman_interval(vectors, "simlex999", n_boot=500) == (lo, hi)  # seeded


def stanford_file(path, vectors):
    """Write vectors the way Stanford's glove.6B files are: 'word v1 ... vd', no header."""
    with open(path, "w", encoding="utf-8") as fh:
        for w, v in zip(vectors.words, vectors.vectors):
            fh.write(w + " " + " ".join(f"{x:.6f}" for x in v) + "\n")


def test_cli_prints_the_same_figures_for_a_stanford_file(tmp_path, capsys, vectors):
    path = tmp_path / "glove.6B.16d.txt"
    stanford_file(path, vectors)
    assert main(["evaluate", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{path}: {len(WORDS)} words, 16 dimensions"
    expected = [str(s) for s in evaluate_vectors(WordVectors.load(path))]
    assert out[1:] == expected
    assert any("coverage" in line and "/353" in line for line in out)


def test_cli_max_words(tmp_path, capsys, vectors):
    path = tmp_path / "vectors.txt"
    stanford_file(path, vectors)
    assert main(["evaluate", str(path), "--max-words", "4"]) == 0
    out = capsys.readouterr().out
    assert "(scored with the first 4)" in out and "analogy (all)" in out and "coverage 2/19544" in out
    with pytest.raises(SystemExit) as exc:  # argparse: usage error, exit status 2
        main(["evaluate", str(path), "--max-words", "0"])
    assert exc.value.code == 2

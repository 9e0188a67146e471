"""Stored notebook outputs that any machine can replay: no machine paths, no order left to chance.

The replay itself runs twice in `make test` (natively, and under another instruction set:
tests/other_isa.py); these checks catch the usual causes before a replay does.
"""

import json
import re

import numpy as np

from glove_lite.vectors import WordVectors

# A path of the machine that ran the chapter: a home or temp folder, a clone, site-packages,
# or a traceback's "File /...".
MACHINE_PATH = re.compile(r"(/(root|home|Users|tmp|var/folders|work)/|site-packages|File \x1b?\S*/)")


def stored_output_texts(nb: dict):
    for i, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []):
            pieces = [out.get("text", ""), out.get("evalue", ""), *out.get("traceback", [])]
            for mime, value in out.get("data", {}).items():
                pieces.append(value if isinstance(value, str) else json.dumps(value))
            for piece in pieces:
                yield i, "".join(piece) if isinstance(piece, list) else piece


def test_outputs_show_no_machine_path(repo_root, chapter):
    nb = json.loads((repo_root / f"{chapter}.ipynb").read_text(encoding="utf-8"))
    found = [(i, m.group(0)) for i, text in stored_output_texts(nb) for m in [MACHINE_PATH.search(text)] if m]
    assert not found, f"{chapter}: outputs of cells {found} show a path of the machine that ran them"


def test_chapter_sorts_break_ties(repo_root, chapter):
    """np.argsort's default (quicksort) orders ties differently with and without AVX-512."""
    text = (repo_root / f"{chapter}.md").read_text(encoding="utf-8")
    unstable = [line.strip() for line in text.splitlines()
                if "np.argsort(" in line and 'kind="stable"' not in line]
    assert not unstable, f"{chapter}: argsort without kind='stable': {unstable}"


def test_machine_path_pattern_catches_the_usual_leaks():
    assert MACHINE_PATH.search("File /work/main/glove_lite/preprocess.py:130")
    assert MACHINE_PATH.search("wrote /tmp/tmprl9p6nfb/sotu.100d.txt")
    assert MACHINE_PATH.search("/root/.cache/glove-lite/vectors.npz")
    assert not MACHINE_PATH.search("sotu.100d.txt: 8,791 words, 100 dimensions")


def test_neighbours_with_tied_similarities_come_in_vocabulary_order():
    # Words 1-4 are the same vector, so they tie for every query; word 0 is the query.
    base = np.array([1.0, 0.0, 0.0])
    tied = np.array([0.6, 0.8, 0.0])
    vectors = np.stack([base, tied, tied, tied, tied, np.array([0.0, 0.0, 1.0])]).astype(np.float32)
    wv = WordVectors(("q", "d", "c", "b", "a", "z"), vectors)
    for k in (1, 2, 3, 4):
        assert [w for w, _ in wv.nearest_neighbors("q", k=k)] == ["d", "c", "b", "a"][:k]
    # Every other word is orthogonal to z: five-way tie at 0, split by vocabulary order.
    assert [w for w, _ in wv.nearest_neighbors("z", k=2)] == ["q", "d"]

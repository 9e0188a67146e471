"""glove_lite.book.display: the book shows the library's source, jitted functions included."""

from glove_lite.book.display import show_source, source
from glove_lite.loss import weighting_fn
from glove_lite.preprocess import Vocabulary
from glove_lite.training.dense import dense_epoch


def test_source_of_plain_and_jitted_functions():
    assert source(weighting_fn).startswith("def weighting_fn(")
    assert "def dense_epoch(" in source(dense_epoch)


def test_source_of_a_method_is_dedented():
    text = source(Vocabulary.from_counts)
    assert text.startswith("@classmethod\ndef from_counts(")


def test_show_source_displays_a_python_code_block(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    show_source(weighting_fn)
    (md,) = shown
    assert md.data.startswith("```python\ndef weighting_fn(") and md.data.endswith("\n```")


def test_without_checks_replaces_each_run_of_checks_by_one_note():
    from glove_lite.book.display import CHECKS_NOTE, without_checks

    code = '''def f(x, k):
    """Doc."""
    if x < 0:
        raise ValueError(x)
    for name in ("k",):
        if k < 1:
            raise ValueError(name)
    y = x + k
    if y > 10:
        y = 10
    if y == 3:
        raise ValueError("three")
    return y
'''
    out = without_checks(code)
    assert out.count(CHECKS_NOTE) == 2  # the first two checks are one run, the last one its own
    assert "raise" not in out and "y = 10" in out and "return y" in out
    namespace = {}
    exec(out, namespace)
    assert namespace["f"](-5, 0) == -5  # what is left runs: the checks are gone, nothing else


def test_show_source_leaves_out_checks_unless_asked(monkeypatch):
    from glove_lite.book.display import CHECKS_NOTE

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    show_source(Vocabulary.from_counts)
    show_source(Vocabulary.from_counts, checks=True)
    idea, whole = (md.data for md in shown)
    assert CHECKS_NOTE in idea and "raise" not in idea
    assert CHECKS_NOTE not in whole and "raise" in whole

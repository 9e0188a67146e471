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

"""Shared fixtures: a small real corpus (the first SOTU addresses) and its co-occurrence matrix."""

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def small_corpus():
    """Tokens, vocabulary and X for the addresses of 1790-1800 (about 25,000 tokens)."""
    from glove_lite.cooccur import build_cooc_matrix
    from glove_lite.corpus import load_sotu
    from glove_lite.preprocess import Vocabulary, tokenize, tokens_to_ids

    docs = [tokenize(d.text) for d in load_sotu(1790, 1800)]
    vocab = Vocabulary.from_documents(docs, min_count=5)
    ids = [tokens_to_ids(d, vocab) for d in docs]
    X = build_cooc_matrix(ids, len(vocab), window_size=5)
    return docs, vocab, X


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Every test writes its caches to a private folder, never to the user's home."""
    monkeypatch.setenv("GLOVE_LITE_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


# --- The book: nbval replay of book/*.ipynb and the layout of _toc.yml -------
# Kernels started by nbval inherit this process's environment (JAX_PLATFORMS
# above, and PYTHONPATH here so the working tree's glove_lite is importable
# even before `pip install -e .`). It must be set before the first kernel starts.

import re  # noqa: E402
from pathlib import Path  # noqa: E402

import yaml  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
SANITIZE_FILE = Path(__file__).resolve().parent / "nbval_sanitize.cfg"
CHAPTER_RE = re.compile(r"^book/\d\d_[a-z0-9_]+$")

os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p
)


def pytest_configure(config):
    """Default nbval's sanitize file to tests/nbval_sanitize.cfg."""
    if hasattr(config.option, "nbval_sanitize_with") and not config.option.nbval_sanitize_with:
        config.option.nbval_sanitize_with = str(SANITIZE_FILE)


def pytest_ignore_collect(collection_path, config):
    """Never collect build outputs or checkpoints (copies of the notebooks)."""
    if {"_build", ".ipynb_checkpoints", "_ext", "_static"} & set(collection_path.parts):
        return True
    return None


def toc_files() -> list[str]:
    """Every ``file:`` entry of _toc.yml (root first), without suffix."""
    toc = yaml.safe_load((REPO_ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections", []))

    walk(toc.get("chapters", []))
    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    return files


def chapter_files() -> list[str]:
    """The notebook chapters listed in _toc.yml (``book/NN_name``)."""
    return [f for f in toc_files() if CHAPTER_RE.match(f)]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root (the book's source directory)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def toc_entries() -> list[str]:
    """Every page of _toc.yml, e.g. ``book/intro``, without suffix."""
    return toc_files()


def pytest_generate_tests(metafunc):
    """Parametrize ``chapter`` over the notebook chapters and ``book_page`` over all pages."""
    if "chapter" in metafunc.fixturenames:
        metafunc.parametrize("chapter", chapter_files())
    if "book_page" in metafunc.fixturenames:
        metafunc.parametrize("book_page", toc_files())

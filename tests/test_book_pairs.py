"""The book's files: every chapter exists as a Jupytext pair that agrees.

Each chapter ``book/NN_name`` is a MyST-markdown notebook (``.md``, what people
edit) paired with an ``.ipynb`` (what Sphinx renders and nbval replays). Run
``make sync`` after editing either, and ``make execute`` to store fresh outputs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jupytext
import nbformat

PAIRING = "ipynb,md:myst"
MAX_OUTPUT_CHARS = 1_000_000


def cell_key(cell: Any) -> tuple[str, str, tuple[str, ...]]:
    """What must agree between the twins: type, source and tags of a cell."""
    tags = tuple(cell.get("metadata", {}).get("tags", []))
    return cell["cell_type"], cell["source"].rstrip(), tags


def read_pair(repo_root: Path, chapter: str) -> tuple[Any, Any]:
    """Parse ``chapter``'s markdown (with jupytext) and its notebook."""
    md = jupytext.read(repo_root / f"{chapter}.md", fmt="md:myst")
    nb = nbformat.read(repo_root / f"{chapter}.ipynb", as_version=4)
    return md, nb


def test_toc_lists_chapters(toc_entries: list[str]) -> None:
    """_toc.yml has chapters, and every page in it is listed once."""
    assert any(re.match(r"book/\d\d_", f) for f in toc_entries)
    assert len(toc_entries) == len(set(toc_entries))


def test_page_exists(repo_root: Path, book_page: str) -> None:
    """Each page of _toc.yml exists; chapters as both twins, other pages as .md only."""
    md, ipynb = repo_root / f"{book_page}.md", repo_root / f"{book_page}.ipynb"
    if re.match(r"^book/\d\d_", book_page):
        assert md.is_file(), f"{md} is missing (run `make sync`)"
        assert ipynb.is_file(), f"{ipynb} is missing (run `make sync`)"
    else:
        assert md.is_file(), f"{md} is missing"
        assert not ipynb.exists(), f"{ipynb} would clash with {md} in Sphinx"


def test_no_orphan_notebooks(repo_root: Path, toc_entries: list[str]) -> None:
    """Every chapter file in book/ is listed in _toc.yml."""
    listed = set(toc_entries)
    for path in sorted((repo_root / "book").glob("[0-9]*")):
        if path.suffix in {".md", ".ipynb"}:
            name = path.relative_to(repo_root).with_suffix("").as_posix()
            assert name in listed, f"{path} is not in _toc.yml"


def test_pair_metadata(repo_root: Path, chapter: str) -> None:
    """Both twins declare the pairing and the python3 kernel."""
    md, nb = read_pair(repo_root, chapter)
    for label, notebook in (("md", md), ("ipynb", nb)):
        formats = notebook.metadata.get("jupytext", {}).get("formats")
        assert formats == PAIRING, f"{chapter}.{label}: jupytext formats {formats!r}"
        kernel = notebook.metadata.get("kernelspec", {}).get("name")
        assert kernel == "python3", f"{chapter}.{label}: kernelspec {kernel!r}"


def test_pair_agrees(repo_root: Path, chapter: str) -> None:
    """The .md and the .ipynb hold the same cells (run `make sync` if not)."""
    md, nb = read_pair(repo_root, chapter)
    md_cells = [cell_key(c) for c in md.cells]
    nb_cells = [cell_key(c) for c in nb.cells]
    for index, (a, b) in enumerate(zip(md_cells, nb_cells)):
        assert a == b, (
            f"{chapter}: cell {index} differs between .md and .ipynb "
            f"(run `make sync`):\n--- md ---\n{a}\n--- ipynb ---\n{b}"
        )
    assert len(md_cells) == len(nb_cells), (
        f"{chapter}: {len(md_cells)} cells in .md, {len(nb_cells)} in .ipynb "
        "(run `make sync`)"
    )


def test_outputs_stored(repo_root: Path, chapter: str) -> None:
    """Code cells were run top to bottom in one fresh kernel, and outputs are sane.

    nbval only compares cells that have stored outputs, so a notebook saved
    without running would pass vacuously; `make execute` stores them.
    """
    nb = nbformat.read(repo_root / f"{chapter}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    counts = [c.get("execution_count") for c in code]
    assert counts == list(range(1, len(code) + 1)), (
        f"{chapter}.ipynb: execution counts {counts}; run `make execute NB={chapter}.md`"
    )
    for index, cell in enumerate(code):
        tags = cell.metadata.get("tags", [])
        for output in cell.get("outputs", []):
            if output["output_type"] == "error":
                assert "raises-exception" in tags, (
                    f"{chapter}.ipynb code cell {index} stored an error: {output.get('ename')}"
                )
            size = len(json.dumps(output))
            assert size < MAX_OUTPUT_CHARS, (
                f"{chapter}.ipynb code cell {index}: output of {size} characters "
                "(plotly.js embedded? use glove_lite.book.plotting.show)"
            )

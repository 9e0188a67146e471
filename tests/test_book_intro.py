"""The intro lists every page of the book, and the references show no raw MyST syntax."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import toc_files

BOOK = Path(__file__).resolve().parent.parent / "book"
DOC_ROLE = re.compile(r"\{doc\}`(?:[^`<]*<)?([^`>]+)>?`")


def linked_pages(markdown: str) -> list[str]:
    """The targets of the ``{doc}`` roles in ``markdown``, as _toc.yml names them (``book/...``)."""
    return [f"book/{target.strip()}" for target in DOC_ROLE.findall(markdown)]


def test_intro_links_every_page_of_the_toc() -> None:
    pages = toc_files()
    root, others = pages[0], pages[1:]
    linked = linked_pages((BOOK.parent / f"{root}.md").read_text(encoding="utf-8"))
    missing = [page for page in others if page not in linked]
    assert not missing, f"book/intro.md does not list {missing}; add a {{doc}} link for each page of _toc.yml"
    unknown = [page for page in linked if page not in others]
    assert not unknown, f"book/intro.md links {unknown}, which _toc.yml does not have"
    assert linked == others, f"the intro lists the pages in another order than _toc.yml: {linked}"


def test_doc_roles_are_found() -> None:
    assert linked_pages("see {doc}`01_preprocessing` and {doc}`the end <references>`") == [
        "book/01_preprocessing", "book/references"]


def test_references_page_shows_no_raw_role_in_its_text() -> None:
    """A role inside a code span (`` {cite}`key` ``) is shown as raw syntax to the reader."""
    text = (BOOK / "references.md").read_text(encoding="utf-8")
    assert not re.search(r"`` ?\{cite\}", text), "references.md shows {cite} syntax in a code span"

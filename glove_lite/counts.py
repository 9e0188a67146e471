"""Counting: corpus -> tokens -> vocabulary -> X, and the counts file (``glove-lite count``).

Two ways through, one result (:class:`Counts`):

* **In memory** (``"sotu"``, or a list of :class:`~glove_lite.corpus.Document`): the book's way.
  Tokens come from NLTK's Treebank tokenizer and are cached on disk, keyed by the documents'
  text and the tokeniser settings (tokenising the full SOTU corpus takes about 25 s); X from
  :func:`~glove_lite.cooccur.build_cooc_matrix`.
* **Streaming** (a text file, one document per line, or a folder of ``.txt`` files, one document
  per file): any size. Pass 1 tokenises piece by piece and counts words, writing the token ids to
  a temporary file; pass 2 counts co-occurrences with
  :class:`~glove_lite.cooccur_stream.CoocCounter` within a memory budget, spilling to disk. Same X
  as the in-memory way, to the last bit.

X's values are float64 as counted; ``dtype`` (a dtype, or a function of V and nnz that returns one,
such as :func:`glove_lite.training.plan.x_dtype`) asks for them in another, e.g. float32 for the
strategies that read X in place. A streamed X is then read from the merged rows in that dtype
directly, never whole as float64.
"""

from __future__ import annotations

import json
import math
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence, Union

import numpy as np
import scipy.sparse as sp

from glove_lite import __version__
from glove_lite.cooccur import build_cooc_matrix
from glove_lite.corpus import CorpusSource, Document, iter_corpus_pieces, load_sotu, open_corpus
from glove_lite.errors import CountingError, GloveLiteError
from glove_lite.fileio import atomic_write
from glove_lite.preprocess import TOKENIZERS, TokenStore, Vocabulary, tokenize_documents, tokenize_stream, tokens_key

__all__ = ["Counts", "count_corpus", "counts_from_documents", "count_corpus_to_file", "save_counts", "load_counts",
           "default_tokenizer", "DtypeRule"]

GB = 1 << 30
COUNTS_FORMAT = 1  # version of the counts file written by save_counts
PROCESS_BASE_BYTES = 256 << 20  # Python with numpy, scipy, numba and JAX imported (measured: about 175 MB)
ID_BLOCK_TOKENS = 1 << 20  # tokens per block fed to the counter

#: X's dtype: a numpy dtype, or a function of (V, nnz) that returns one.
DtypeRule = Union[type, np.dtype, Callable[[int, int], Any]]


def _resolve_dtype(dtype: DtypeRule, V: int, nnz: int) -> np.dtype:
    chosen = dtype(V, nnz) if callable(dtype) and not isinstance(dtype, type) else dtype
    chosen = np.dtype(chosen)
    if chosen not in (np.float32, np.float64):
        raise GloveLiteError(f"dtype={chosen}; expected float32 or float64 for X's values")
    return chosen


def counting_budget(memory_bytes: int, n_strings: int) -> int:
    """The counter's share of a whole-process budget (``--memory``): what the interpreter with its libraries,
    the token types and vocabulary (Python strings, about 400 bytes each with their dicts) and the blocks
    of ids (64 bytes a token, copies included) leave; at least half the budget (small test budgets)."""
    return max(memory_bytes - _process_overhead(n_strings), memory_bytes // 2)


def _process_overhead(n_strings: int) -> int:
    return PROCESS_BASE_BYTES + 400 * n_strings + 64 * ID_BLOCK_TOKENS  # version of the counts file written by save_counts


def default_tokenizer(source: CorpusSource) -> str:
    """``treebank`` (the book's tokens) for sotu and folders of documents; ``words`` for a single file,
    which may be of any size (the Treebank tokenizer runs at about 0.1 M tokens/s, ``words`` at 5 M/s)."""
    return "words" if source.kind == "file" else "treebank"


@dataclass(frozen=True)
class Counts:
    """The counting stage's result: the vocabulary, X (CSR, (V, V), float64) and the settings that made them."""

    vocab: Vocabulary
    X: sp.csr_matrix
    settings: dict[str, Any] = field(default_factory=dict)

    def astype(self, dtype) -> "Counts":
        """These counts with X's values in ``dtype`` (self when they already are). Drop the original
        afterwards: its values are then freed, and training uses the new ones in place."""
        if self.X.dtype == np.dtype(dtype):
            return self
        X = sp.csr_matrix((self.X.data.astype(dtype), self.X.indices, self.X.indptr), shape=self.X.shape)
        X.has_sorted_indices = self.X.has_sorted_indices
        return Counts(self.vocab, X, self.settings)

    def summary(self) -> str:
        V = len(self.vocab)
        s = self.settings
        head = f"{s['documents']:,} documents, " if "documents" in s else ""
        tokens = f"{s['tokens']:,} tokens, " if "tokens" in s else ""
        return (f"{head}{tokens}{V:,} words (min count {self.vocab.min_count}), X has {self.X.nnz:,} non-zeros "
                f"({100 * self.X.nnz / V ** 2:.2f} % dense, window {s.get('window', '?')})")


def _progress_bar(enabled: bool, **kwargs):
    from tqdm.auto import tqdm

    return tqdm(disable=not enabled, **kwargs)


def _check_tokenizer(tokenizer: str, source: CorpusSource) -> str:
    if tokenizer == "auto":
        return default_tokenizer(source)
    if tokenizer not in TOKENIZERS:
        raise GloveLiteError(f"tokenizer={tokenizer!r}; expected 'auto' or one of {', '.join(TOKENIZERS)}")
    return tokenizer


def _stream_tokens(source: CorpusSource, tokenizer: str, workdir: Path, progress: bool) -> TokenStore:
    """Pass 1 with a progress bar in bytes read (and the running token count)."""
    with _progress_bar(progress, total=source.size or None, desc="reading + tokenising", unit="B",
                       unit_scale=True, unit_divisor=1024) as bar:
        seen = {"tokens": 0}

        def step(nbytes: int, ntokens: int) -> None:
            seen["tokens"] += ntokens
            bar.set_postfix_str(f"{seen['tokens']:,} tokens", refresh=False)
            bar.update(nbytes)

        return tokenize_stream(iter_corpus_pieces(source), workdir / "tokens.i32", tokenizer, progress=step)


def _settings(source: str, tokenizer: str, min_count: int, max_size: int | None, window: int, **more) -> dict:
    return {"corpus": source, "tokenizer": tokenizer, "min_count": min_count, "max_vocab": max_size,
            "window": window, "glove_lite": __version__, **more}


def _count_stream(source: CorpusSource, tokenizer: str, min_count: int, window: int, max_size: int | None,
                  memory_gb: float, workdir: Path, progress: bool, sink: Callable | None):
    from glove_lite.cooccur_stream import CoocCounter

    store = _stream_tokens(source, tokenizer, workdir, progress)
    vocab = store.vocabulary(min_count=min_count, max_size=max_size)
    kept = int(sum(vocab.counts))
    from glove_lite.cooccur_stream import minimum_budget

    memory = int(memory_gb * GB)
    budget = counting_budget(memory, len(store.types) + len(vocab))
    least = minimum_budget(len(vocab), window)
    if budget < least:
        need = min(2 * least, least + _process_overhead(len(store.types) + len(vocab)))
        raise CountingError(f"a memory budget of {memory_gb:g} GB is too small to count {len(vocab):,} words with "
                            f"window {window}; expected at least {math.ceil(need / GB * 100) / 100:.2f} GB (--memory)")
    with CoocCounter(len(vocab), window, budget, workdir, np.array(vocab.counts), kept) as counter:
        with _progress_bar(progress, total=kept, desc="counting pairs", unit="tok", unit_scale=True) as bar:
            for ids, docs in store.id_blocks(vocab, ID_BLOCK_TOKENS):
                counter.add(ids, docs)
                bar.update(ids.size)
        with _progress_bar(progress, total=len(vocab), desc="merging", unit="row", unit_scale=True) as bar:
            settings = _settings(source.name, tokenizer, min_count, max_size, window, tokens=store.n_tokens,
                                 documents=store.n_docs, memory_gb=memory_gb, spilled_bytes=counter.spilled_bytes)
            if sink is None:
                return Counts(vocab, counter.to_csr(bar.update), settings)
            return sink(vocab, counter, settings, bar.update)


def count_corpus(
    corpus: str | Path | Sequence[Document] = "sotu",
    min_count: int = 10,
    window: int = 10,
    max_size: int | None = None,
    tokenizer: str = "auto",
    memory_gb: float = 2.0,
    tmp_dir: str | Path | None = None,
    cache: bool = True,
    progress: bool = False,
    workers: int = 1,
    dtype: DtypeRule = np.float64,
) -> Counts:
    """Corpus -> tokens -> vocabulary -> X, for a corpus of any size (see the module docstring).

    ``tokenizer``: ``"auto"`` (see :func:`default_tokenizer`), ``"treebank"``, ``"words"``
    or ``"whitespace"``. ``memory_gb`` bounds the streaming count (X itself comes on top);
    spill files go to ``tmp_dir`` (default: the system's temporary folder) and are removed.
    ``dtype``: X's values' dtype, or a function of (V, nnz) that chooses it (see the module docstring).
    """
    if not isinstance(corpus, (str, Path)):
        counts = counts_from_documents(list(corpus), min_count, window, max_size, cache, progress, workers)
        return counts.astype(_resolve_dtype(dtype, len(counts.vocab), counts.X.nnz))
    source = open_corpus(corpus)
    tokenizer = _check_tokenizer(tokenizer, source)
    if source.kind == "sotu" and tokenizer == "treebank":
        counts = counts_from_documents(load_sotu(), min_count, window, max_size, cache, progress, workers, "sotu")
        return counts.astype(_resolve_dtype(dtype, len(counts.vocab), counts.X.nnz))

    def sink(vocab, counter, settings, step):
        indptr, cols_path, vals_path = counter.rows_to_files(step)
        V, nnz = len(vocab), int(indptr[-1])
        data = np.empty(nnz, _resolve_dtype(dtype, V, nnz))
        at = 0
        for part in _file_chunks(vals_path, np.float64):
            data[at:at + part.size] = part
            at += part.size
        vals_path.unlink()
        indices = np.fromfile(cols_path, dtype=np.int32)
        cols_path.unlink()
        X = sp.csr_matrix((data, indices, indptr), shape=(V, V))
        X.has_sorted_indices = True
        return Counts(vocab, X, settings)

    as_counted = not callable(dtype) and np.dtype(dtype) == np.float64  # then the counter's own CSR will do
    with _workdir(tmp_dir) as workdir:
        return _count_stream(source, tokenizer, min_count, window, max_size, memory_gb, workdir, progress,
                             None if as_counted else sink)


def counts_from_documents(documents: Sequence[Document], min_count: int = 10, window: int = 10,
                          max_size: int | None = None, cache: bool = True, progress: bool = False,
                          workers: int = 1, name: str = "documents") -> Counts:
    """The in-memory way: Treebank tokens (cached), the vocabulary, and ``build_cooc_matrix``."""
    tokens = tokenize_documents(documents, cache=cache, progress=progress, workers=workers)
    vocab = tokens.vocabulary(min_count=min_count, max_size=max_size)
    X = build_cooc_matrix(tokens.to_ids(vocab), len(vocab), window)
    settings = _settings(name, "treebank", min_count, max_size, window, tokens=tokens.n_tokens,
                         documents=len(documents), tokens_key=tokens_key(documents, True, True))
    return Counts(vocab, X, settings)


class _workdir:
    """A temporary folder for spill files under ``tmp_dir``, removed on exit (also on Ctrl-C)."""

    def __init__(self, tmp_dir: str | Path | None):
        base = Path(tmp_dir) if tmp_dir is not None else Path(tempfile.gettempdir())
        if not base.is_dir():
            raise CountingError(f"temporary folder {str(base)!r} does not exist; expected a folder for spill files")
        self._tmp = tempfile.TemporaryDirectory(prefix="glove-lite-", dir=base)

    def __enter__(self) -> Path:
        return Path(self._tmp.name)

    def __exit__(self, *exc) -> None:
        self._tmp.cleanup()


# ----------------------------------------------------------------------------- the counts file


def _write_npy_member(zf: zipfile.ZipFile, name: str, array: np.ndarray | None = None, *,
                      dtype=None, shape=None, chunks=None) -> None:
    """Write one ``.npy`` member: a whole array, or (``chunks``) a 1-D array given piece by piece."""
    with zf.open(name + ".npy", "w", force_zip64=True) as fh:
        if array is not None:
            np.lib.format.write_array(fh, np.asanyarray(array), allow_pickle=False)
            return
        header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": shape}
        np.lib.format.write_array_header_2_0(fh, header)
        for part in chunks:
            fh.write(np.ascontiguousarray(part, dtype=dtype).tobytes())


def _write_counts_zip(fh, vocab: Vocabulary, settings: dict, shape: tuple[int, int], nnz: int,
                      indptr: np.ndarray, data_chunks, index_chunks) -> None:
    meta = {**settings, "format": COUNTS_FORMAT, "words": len(vocab), "nnz": int(nnz)}
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        # scipy.sparse.load_npz reads these five members; the rest is ours
        _write_npy_member(zf, "format", np.array("csr"))
        _write_npy_member(zf, "shape", np.array(shape, dtype=np.int64))
        _write_npy_member(zf, "indptr", indptr)
        _write_npy_member(zf, "indices", dtype=np.int32, shape=(int(nnz),), chunks=index_chunks)
        _write_npy_member(zf, "data", dtype=np.float64, shape=(int(nnz),), chunks=data_chunks)
        _write_npy_member(zf, "words", np.array(json.dumps(list(vocab.words))))
        _write_npy_member(zf, "counts", np.array(vocab.counts, dtype=np.int64))
        _write_npy_member(zf, "settings", np.array(json.dumps(meta)))


def save_counts(counts: Counts, path: str | Path, overwrite: bool = False) -> Path:
    """Write vocabulary (words, counts), X and settings to one ``.npz`` file, atomically.

    X is stored as ``scipy.sparse.save_npz`` stores a CSR matrix, so
    ``scipy.sparse.load_npz(path)`` reads it too; :func:`load_counts` reads everything.
    """
    X = sp.csr_matrix(counts.X)
    with atomic_write(path, mode="wb", overwrite=overwrite) as fh:
        _write_counts_zip(fh, counts.vocab, counts.settings, X.shape, X.nnz, X.indptr.astype(np.int64),
                          [X.data], [X.indices])
    return Path(path)


def count_corpus_to_file(corpus: str | Path, output: str | Path, min_count: int = 10, window: int = 10,
                         max_size: int | None = None, tokenizer: str = "auto", memory_gb: float = 2.0,
                         tmp_dir: str | Path | None = None, overwrite: bool = False, cache: bool = True,
                         progress: bool = False, workers: int = 1) -> dict:
    """:func:`count_corpus` straight into a counts file (as :func:`save_counts` writes it).

    Streaming corpora never hold X in memory: its rows go from the merge to the file, so
    the whole run stays within ``memory_gb`` (plus about a gigabyte for the rest).
    Returns the settings written (with ``words`` and ``nnz``).
    """
    output = Path(output)
    if output.exists() and not overwrite:
        raise GloveLiteError(f"output file {str(output)!r} already exists; choose another name or pass --overwrite")
    if not output.parent.is_dir():
        raise GloveLiteError(f"output folder {str(output.parent)!r} does not exist")
    source = open_corpus(corpus)
    tokenizer = _check_tokenizer(tokenizer, source)
    if source.kind == "sotu" and tokenizer == "treebank":
        counts = count_corpus(corpus, min_count, window, max_size, tokenizer, memory_gb, tmp_dir, cache, progress,
                              workers)
        save_counts(counts, output, overwrite)
        return {**counts.settings, "words": len(counts.vocab), "nnz": counts.X.nnz}

    def sink(vocab, counter, settings, step):
        V = len(vocab)
        indptr, cols_path, vals_path = counter.rows_to_files(step)
        nnz = int(indptr[-1])
        try:
            with atomic_write(output, mode="wb", overwrite=overwrite) as fh, \
                    _progress_bar(progress, total=12 * nnz, desc=f"writing {output.name}", unit="B", unit_scale=True,
                                  unit_divisor=1024) as bar:
                _write_counts_zip(fh, vocab, settings, (V, V), nnz, indptr,
                                  _file_chunks(vals_path, np.float64, bar.update),
                                  _file_chunks(cols_path, np.int32, bar.update))
        except OSError as exc:
            from glove_lite.cooccur_stream import _spill_error

            raise _spill_error(exc, counter.workdir) from None
        return {**settings, "words": V, "nnz": nnz}

    with _workdir(tmp_dir) as workdir:
        return _count_stream(source, tokenizer, min_count, window, max_size, memory_gb, workdir, progress, sink)


def _file_chunks(path: Path, dtype, on_bytes: Callable[[int], Any] | None = None, items: int = 1 << 22):
    """A raw array file in chunks of ``items`` (for writing it into a zip member without loading it whole)."""
    with open(path, "rb") as fh:
        while True:
            part = np.fromfile(fh, dtype=dtype, count=items)
            if part.size == 0:
                return
            yield part
            if on_bytes is not None:
                on_bytes(part.nbytes)


def load_counts(path: str | Path, dtype: DtypeRule = np.float64) -> Counts:
    """Read a counts file written by ``glove-lite count`` (:func:`save_counts`).

    ``dtype``: X's values as stored (float64), or e.g. float32, converted piece by piece (no float64
    copy of the values is ever whole in memory); or a function of (V, nnz) that chooses one.
    """
    path = Path(path)
    if not path.is_file():
        raise CountingError(f"counts file {str(path)!r} does not exist; expected a file written by glove-lite count")
    try:
        with np.load(path, allow_pickle=False) as z:
            settings = json.loads(str(z["settings"]))
            words = json.loads(str(z["words"]))
            freqs = z["counts"].tolist()
            shape = tuple(int(s) for s in z["shape"])
            dtype = _resolve_dtype(dtype, shape[0], int(settings.get("nnz", 0)))
            data = z["data"] if dtype == np.float64 else _read_npz_member(z.zip, "data", dtype)
            X = sp.csr_matrix((data, z["indices"], z["indptr"]), shape=shape)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise CountingError(f"{str(path)!r} is not a readable counts file ({exc}); "
                            "expected a .npz file written by glove-lite count") from None
    if settings.get("format") != COUNTS_FORMAT or shape != (len(words), len(words)):
        raise CountingError(f"{str(path)!r} has counts format {settings.get('format')!r} and shape {shape} for "
                            f"{len(words)} words; expected format {COUNTS_FORMAT} and a square X")
    X.has_sorted_indices = True
    vocab = Vocabulary(tuple(words), tuple(freqs), int(settings.get("min_count") or 1))
    return Counts(vocab, X, settings)


def _read_npz_member(zf: zipfile.ZipFile, name: str, dtype, items: int = 1 << 22) -> np.ndarray:
    """One 1-D ``.npy`` member of a zip read ``items`` at a time into a new array of ``dtype``."""
    with zf.open(name + ".npy") as fh:
        version = np.lib.format.read_magic(fh)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, stored = read_header(fh)
        out = np.empty(shape, dtype)
        for a in range(0, out.size, items):
            n = min(items, out.size - a)
            out[a:a + n] = np.frombuffer(fh.read(n * stored.itemsize), stored)
        return out

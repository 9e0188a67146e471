"""The scale section of ``make bench``: a text8-sized generated corpus, tokenised and counted.

Figures printed beside baselines run here, now (``str.split`` + ``Counter``, a regular
expression, NLTK's Treebank tokenizer on a slice, and ``build_cooc_matrix`` holding
everything in memory) and the reference C tool's figures, measured on this kind of
machine on a text8-sized corpus (quoted: it cannot be built offline here). Counting runs
``glove-lite count`` in a child process, so its peak resident memory is the command's own.

    python -m glove_lite.studies.bench --scale-only [--scale-tokens 200000000]
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from glove_lite.studies import c_tool

C_TOOL_SCALE = c_tool.SCALE
TARGET_TOKENISE_S = 3 * C_TOOL_SCALE["vocab_count_s"]
TARGET_COUNT_S = C_TOOL_SCALE["cooccur_s"] + C_TOOL_SCALE["shuffle_s"]
TARGET_PEAK_GB = 2.5

_MEASURED = """
import json, resource, sys, time
start = time.perf_counter()
{body}
print(json.dumps({{"seconds": time.perf_counter() - start,
                  "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9, **extra}}))
"""

_IN_MEMORY = """
import numpy as np
from glove_lite.corpus import open_corpus, iter_corpus_pieces
from glove_lite.cooccur import build_cooc_matrix
from glove_lite.preprocess import FastTokenizer, Vocabulary
tok = FastTokenizer()
docs = []
for piece in iter_corpus_pieces(open_corpus({path!r})):
    ids, ends = tok.tokenize(piece.text, lines=True)
    docs += np.split(ids, ends)  # a file is one document per line (the pieces end at line ends here)
counts = np.bincount(np.concatenate(docs), minlength=len(tok))
vocab = Vocabulary.from_counts(dict(zip(tok.types, counts.tolist())), min_count={min_count})
lookup = np.array([vocab.index.get(t, -1) for t in tok.types], dtype=np.int32)
docs = [d[d >= 0] for d in (lookup[d] for d in docs)]
start = time.perf_counter()
X = build_cooc_matrix(docs, len(vocab), {window})
extra = {{"count_seconds": time.perf_counter() - start, "nnz": int(X.nnz)}}
"""


def run_measured(body: str) -> dict:
    """Run ``body`` in a fresh Python; its wall time, its own peak RSS (GB) and the dict ``extra`` it sets."""
    out = subprocess.run([sys.executable, "-c", _MEASURED.format(body=body)], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"child failed ({out.returncode}): {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _slice_text(path: Path, n_bytes: int) -> str:
    with open(path, "rb") as fh:
        data = fh.read(n_bytes)
    return data[: data.rfind(b"\n") + 1].decode("utf-8")


def tokenising_section(path: Path, n_tokens: int) -> None:
    from glove_lite.corpus import iter_corpus_pieces, open_corpus
    from glove_lite.preprocess import tokenize_stream, tokenize_text

    from glove_lite.preprocess import FastTokenizer, char_classes

    print(f"reading + tokenising + counting words ({n_tokens / 1e6:.0f} M tokens, {path.stat().st_size / 2**20:.0f} MB)")
    char_classes(), FastTokenizer().tokenize("warm up")  # one-time costs: the Unicode table, loading compiled code
    at_target_size = 15e6 <= n_tokens <= 25e6
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("words", "whitespace"):
            start = time.perf_counter()
            store = tokenize_stream(iter_corpus_pieces(open_corpus(path)), Path(tmp) / "t.i32", name)
            seconds = time.perf_counter() - start
            ok = "meets" if seconds <= TARGET_TOKENISE_S else "MISSES"
            print(f"  glove-lite {name:<10}: {seconds:6.2f} s  {store.n_tokens / seconds / 1e6:5.1f} M tokens/s"
                  f"  ({len(store.types):,} types)"
                  + (f"   {ok} the {TARGET_TOKENISE_S:.1f} s target (3x the C tool's vocab_count)" if at_target_size else ""))
    sample = _slice_text(path, 16 << 20)
    alternatives = [
        ("str.split + Counter", lambda t: Counter(t.lower().split())),
        ("re \\w+|[^\\w\\s] + Counter", lambda t: Counter(re.findall(r"\w+|[^\w\s]", t.lower()))),
    ]
    try:
        from tokenizers.pre_tokenizers import Whitespace

        pre = Whitespace()
        alternatives.append(("HF tokenizers Whitespace + Counter",
                             lambda t: Counter(w for line in t.lower().split("\n")
                                               for w, _ in pre.pre_tokenize_str(line))))
    except ImportError:
        print("  (Hugging Face tokenizers is not installed: its pre-tokenizer is not measured)")
    n_sample = len(sample.split())
    for name, fn in alternatives:
        start = time.perf_counter()
        fn(sample)
        seconds = time.perf_counter() - start
        print(f"  {name:<33}: {n_sample / seconds / 1e6:5.2f} M tokens/s (on {n_sample / 1e6:.1f} M tokens, one core)")
    treebank_sample = _slice_text(path, 1 << 20)
    n_tb = len(treebank_sample.split())
    start = time.perf_counter()
    for line in treebank_sample.split("\n"):
        tokenize_text(line)
    seconds = time.perf_counter() - start
    print(f"  NLTK Treebank (the book's)       : {n_tb / seconds / 1e6:5.2f} M tokens/s (on {n_tb / 1e3:.0f} k tokens)")
    print(f"  C tool vocab_count (quoted): {C_TOOL_SCALE['vocab_count_s']} s on 20 M tokens\n")


def counting_section(path: Path, n_tokens: int, min_count: int = 5, window: int = 10, memory_gb: float = 2.0,
                     in_memory: bool = True) -> None:
    print(f"counting co-occurrences (min count {min_count}, window {window}, --memory {memory_gb:g})")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "x.npz"
        body = ("from glove_lite.cli import main\n"
                f"code = main(['count', '--corpus', {str(path)!r}, '--min-count', '{min_count}', '--window', '{window}',"
                f" '--memory', '{memory_gb}', '--output', {str(out)!r}, '--quiet'])\n"
                "assert code == 0\n"
                "from glove_lite.counts import load_counts\n"
                f"s = __import__('json').loads(str(__import__('numpy').load({str(out)!r})['settings']))\n"
                "extra = {'nnz': s['nnz'], 'words': s['words'], 'spilled_gb': s['spilled_bytes'] / 2**30}")
        ours = run_measured(body)
    peak_ok = "under" if ours["peak_gb"] < TARGET_PEAK_GB else "OVER"
    print(f"  glove-lite count (tokenise + count + write X): {ours['seconds']:6.1f} s  peak {ours['peak_gb']:.2f} GB"
          f"  V {ours['words']:,}  nnz {ours['nnz']:,}  spilled {ours['spilled_gb']:.1f} GB")
    print(f"  C tool (quoted, 20 M tokens): cooccur {C_TOOL_SCALE['cooccur_s']} s at {C_TOOL_SCALE['cooccur_gb']} GB"
          f" + shuffle {C_TOOL_SCALE['shuffle_s']} s at {C_TOOL_SCALE['shuffle_gb']} GB = {TARGET_COUNT_S:.1f} s")
    if 15e6 <= n_tokens <= 25e6:
        speed_ok = "meets" if ours["seconds"] <= TARGET_COUNT_S else "MISSES"
        print(f"  -> {TARGET_COUNT_S / ours['seconds']:.2f}x the C tool's speed ({speed_ok} the {TARGET_COUNT_S:.1f} s target),"
              f" peak {peak_ok} {TARGET_PEAK_GB} GB")
    else:
        print(f"  -> peak {peak_ok} {TARGET_PEAK_GB} GB at {n_tokens / 1e6:.0f} M tokens")
    if in_memory:
        base = run_measured(_IN_MEMORY.format(path=str(path), min_count=min_count, window=window))
        same = "same nnz" if base["nnz"] == ours["nnz"] else f"nnz DIFFERS ({base['nnz']:,})"
        print(f"  build_cooc_matrix, all in memory: {base['count_seconds']:6.1f} s to count (plus reading),"
              f"  peak {base['peak_gb']:.2f} GB ({same})")
    print()


def scale_section(n_tokens: int = 20_000_000, corpus: Path | None = None, in_memory: bool | None = None) -> None:
    """Generate (or reuse) the corpus, then the tokenising and counting figures."""
    from glove_lite.studies.generate import CorpusSpec, write_corpus

    print(f"== scale: a generated corpus of {n_tokens / 1e6:.0f} M tokens (Zipfian, topical, one document per line) ==")
    with tempfile.TemporaryDirectory() as tmp:
        path = corpus
        if path is None:
            path = Path(tmp) / f"text{n_tokens // 10**6}m.txt"
            start = time.perf_counter()
            write_corpus(path, CorpusSpec(tokens=n_tokens))
            print(f"generated in {time.perf_counter() - start:.1f} s: {path.stat().st_size / 2**20:.0f} MB\n")
        tokenising_section(path, n_tokens)
        counting_section(path, n_tokens, in_memory=n_tokens <= 50e6 if in_memory is None else in_memory)


if __name__ == "__main__":
    scale_section(int(float(sys.argv[1])) if len(sys.argv) > 1 else 20_000_000)

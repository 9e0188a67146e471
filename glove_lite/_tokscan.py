"""Compiled kernels of the fast tokenizer (numba): split UTF-8 text into tokens and give each a type id.

The caller (:class:`glove_lite.preprocess.FastTokenizer`) owns the arrays; a kernel
returns early, at a token boundary, when the type table needs to grow, and is called
again from there. Types are kept as UTF-8 bytes in one buffer, found through an
open-addressing hash table (FNV-1a hashes).
"""

from __future__ import annotations

import numba
import numpy as np

SPACE, WORD, OTHER = 0, 1, 2
FNV_OFFSET = np.uint64(0xCBF29CE484222325)
FNV_PRIME = np.uint64(0x100000001B3)


@numba.njit(cache=True, nogil=True)
def _char_at(buf, pos):
    """(code point, byte length) of the UTF-8 character starting at ``pos`` (input already validated)."""
    b0 = buf[pos]
    if b0 < 0x80:
        return np.int64(b0), 1
    if b0 < 0xE0:
        return np.int64(((b0 & 0x1F) << 6) | (buf[pos + 1] & 0x3F)), 2
    if b0 < 0xF0:
        return np.int64(((b0 & 0x0F) << 12) | ((buf[pos + 1] & 0x3F) << 6) | (buf[pos + 2] & 0x3F)), 3
    return np.int64(((b0 & 0x07) << 18) | ((buf[pos + 1] & 0x3F) << 12) | ((buf[pos + 2] & 0x3F) << 6)
                    | (buf[pos + 3] & 0x3F)), 4


@numba.njit(cache=True, nogil=True)
def _hash(buf, start, end):
    h = FNV_OFFSET
    for k in range(start, end):
        h = (h ^ np.uint64(buf[k])) * FNV_PRIME
    return h


@numba.njit(cache=True, nogil=True)
def _lookup_or_add(buf, start, end, table, table_hash, type_start, type_len, type_hash, type_bytes, state):
    """The type id of buf[start:end], adding it if new; -1 if the arrays are too small to add it.

    ``table_hash`` holds each slot's hash beside ``table``, so a probe touches one place.
    """
    h = _hash(buf, start, end)
    mask = table.size - 1
    slot = np.int64(h & np.uint64(mask))
    n = end - start
    while True:
        t = table[slot]
        if t < 0:
            break
        if table_hash[slot] == h and type_len[t] == n:
            s = type_start[t]
            same = True
            for k in range(n):
                if type_bytes[s + k] != buf[start + k]:
                    same = False
                    break
            if same:
                return t
        slot = (slot + 1) & mask
    n_types, n_bytes = state[0], state[1]
    if n_types >= type_start.size or n_bytes + n > type_bytes.size or 2 * (n_types + 1) > table.size:
        return -1
    type_start[n_types] = n_bytes
    type_len[n_types] = n
    type_hash[n_types] = h
    type_bytes[n_bytes:n_bytes + n] = buf[start:end]
    table[slot] = n_types
    table_hash[slot] = h
    state[0] = n_types + 1
    state[1] = n_bytes + n
    return n_types


@numba.njit(cache=True, nogil=True)
def scan(buf, pos, classes, split_punct, lines, table, table_hash, type_start, type_len, type_hash, type_bytes, state,
         out_ids, n_out, line_ends, n_lines):
    """Tokenise buf[pos:], appending type ids to ``out_ids`` and, in lines mode, the token count at each newline.

    Returns ``(pos, n_out, n_lines)``; ``pos < buf.size`` means the type table is full.
    Tokens: runs of non-space characters, or (``split_punct``) runs of word characters
    and single other characters, as the regular expression ``\\w+|[^\\w\\s]``.
    """
    end = buf.size
    while pos < end:
        cp, w = _char_at(buf, pos)
        c = classes[cp]
        if c == SPACE:
            if lines and cp == 10:
                line_ends[n_lines] = n_out
                n_lines += 1
            pos += w
            continue
        start = pos
        pos += w
        if c == WORD or not split_punct:
            while pos < end:
                cp2, w2 = _char_at(buf, pos)
                c2 = classes[cp2]
                if c2 == SPACE or (split_punct and c2 != WORD):
                    break
                pos += w2
        t = _lookup_or_add(buf, start, pos, table, table_hash, type_start, type_len, type_hash, type_bytes, state)
        if t < 0:
            return start, n_out, n_lines
        out_ids[n_out] = t
        n_out += 1
    return pos, n_out, n_lines


@numba.njit(cache=True, nogil=True)
def rehash(table_size, type_hash, n_types):
    """A new hash table of ``table_size`` slots (a power of two) holding types 0..n_types-1, and its hashes."""
    table = np.full(table_size, -1, dtype=np.int32)
    table_hash = np.zeros(table_size, dtype=np.uint64)
    mask = table_size - 1
    for t in range(n_types):
        slot = np.int64(type_hash[t] & np.uint64(mask))
        while table[slot] >= 0:
            slot = (slot + 1) & mask
        table[slot] = t
        table_hash[slot] = type_hash[t]
    return table, table_hash

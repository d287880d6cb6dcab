"""GloVe (Pennington, Socher & Manning 2014) on a tokenized corpus, after the Stanford C tools.

    vocab = build_vocab(tokens_path, min_count=5)
    cooc = count_cooccurrences(tokens_path, vocab, window=10)
    model = train_glove(cooc, vector_size=100, epochs=15)
    vectors = model.word_vectors()          # W + W_ctx; row i is vocab.words[i]

Input: UTF-8 text, one document per line, tokens separated by ASCII whitespace (the token
cache writes single spaces). Nothing ever crosses a line break.

Vocabulary (`vocab_count`): words seen at least `min_count` times, most frequent first. Ties
are broken by first occurrence in the file (the C tool breaks them alphabetically); with
`max_vocab` the first `max_vocab` words of that order are kept. Tokens are hashed and
interned by numba code working on the raw bytes (a Python Counter of bytes.split() is 2-3
times slower here).

Co-occurrences (`cooccur`, symmetric, distance weighting on). Out-of-vocabulary tokens are
dropped *before* windowing, as `cooccur.c` does (it `continue`s on a word missing from its
hash before advancing its position counter), so two words with an OOV word between them are
at distance 1. For each in-vocabulary token and each of the up to `window` in-vocabulary
tokens before it on the same line, at distance d, 1/d is added to X[w, c] and to X[c, w];
when w == c both additions land on the diagonal, which therefore gets 2/d. One difference:
the C tool drops the last token of a file that does not end in a newline; we keep it.

Counting is streamed and memory-bounded. A reader thread turns blocks of a few MB of text
(cut after a newline) into vocabulary ids with -1 at line ends (numba, GIL released). The
pairs go into open-addressing hash tables (linear probing) keyed by i*V + j with i <= j:
the matrix is symmetric, so each unordered pair is summed once (float64) and mirrored at the
end. With `workers` > 1 each thread owns the pairs whose hash of i + j falls in its share and
scans every block, so no locks are needed. A table starts small and doubles when its load
passes 0.7, up to the largest power of two whose 16-byte slots fit in its share of half of
`memory_limit_bytes`; when full at that size its entries are sorted into a compact run (16
bytes per pair) and it is emptied. Runs are merged (equal keys summed) like a binary counter,
then with the last table contents, then the threads' results; the sorted upper triangle is
mirrored into (row, col) order without another sort. `peak_bytes` is the largest total of
the arrays held at once (tables, runs, sort and merge buffers, the result while it is built);
the blocks in flight (text and ids, tens of MB) come on top. The result itself needs 16
bytes per non-zero, so only the counting structure, not the whole run, is capped.

Training (`glove`): AdaGrad on J = sum f(X_ij) (w_i.w~_j + b_i + b~_j - log X_ij)^2 with
f(x) = (x/x_max)^alpha below x_max and 1 above, as in the current `glove.c`:
* parameters start uniform in [-0.5, 0.5] / (vector_size + 1) (glove.c divides by the size
  including the bias slot); squared-gradient sums start at 1;
* per non-zero, vector gradients are clipped to [-grad_clip, grad_clip] and multiplied by
  eta; the bias steps are fdiff / sqrt(gradsq) *without* eta, as glove.c does since it
  gained gradient clipping (its pull request #209 discusses this). An entry whose diff is not
  finite is skipped, non-finite vector steps are not applied, non-finite bias steps are 0;
* an epoch's cost is sum(0.5 * f * diff^2) / nnz, the number glove.c prints;
* the non-zeros are shuffled every epoch with a seeded NumPy Generator (the C pipeline
  shuffles once, before training), and each of `workers` threads takes one contiguous slice
  of that order (the last also takes the remainder), updating the shared parameters without
  locks (Hogwild), as the C threads do with slices of the shuffled file. With one worker the
  run is sequential and bit-for-bit repeatable for a seed.
Parameters are float32 (glove.c uses double): the update is limited by memory traffic and
square roots, and float32 halves the first and doubles SIMD width for the second; diffs,
weights, costs and co-occurrence values are float64. The kernel prefetches the parameter
rows of the entry 16 places ahead, since in shuffled order nearly every row is a cache miss.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from embedcli.errors import CorpusError, EmbedcliError, OptionsError

DTYPE = np.float32  # parameters; co-occurrence values are float64
GRAD_CLIP = 100.0  # glove.c's default -grad-clip

_BLOCK_BYTES = 4 << 20  # text read and tokenized per step
_MAX_LOAD = 0.7  # hash table load that triggers growth or a spill
_FIRST_SLOTS = 1 << 16
_SLOT_BYTES = 16  # int64 key + float64 sum
_MAX_WINDOW = 10_000
_MAX_COUNT_WORKERS = 8  # every counting thread scans all pairs, so more stop paying off
_FASTMATH = {"reassoc", "contract", "nsz", "arcp"}  # no nnan/ninf: the NaN guards must stay


# --------------------------------------------------------------------------------------------
# Vocabulary


@dataclass
class Vocab:
    """Words with their corpus counts, most frequent first (ties: first occurrence first)."""

    words: list[str]
    counts: np.ndarray  # int64, same order as words
    total_tokens: int = 0  # all tokens in the corpus, in-vocabulary or not
    _index: dict[str, int] | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.words)

    @property
    def index(self) -> dict[str, int]:
        """word -> row."""
        if self._index is None:
            self._index = {word: i for i, word in enumerate(self.words)}
        return self._index


def _open_tokens(tokens_path: Path):
    try:
        return open(tokens_path, "rb")
    except FileNotFoundError:
        raise CorpusError(
            f"Token file {tokens_path} does not exist: tokenize the corpus first."
        ) from None
    except OSError as exc:
        raise CorpusError(f"Cannot read token file {tokens_path}: {exc.strerror}.") from None


def _raw_blocks(tokens_path: Path, block_bytes: int) -> Iterator[tuple[bytes, int]]:
    """Pieces of the file cut after a newline (the last may lack one), with bytes read so far."""
    done = 0
    tail = b""
    with _open_tokens(tokens_path) as handle:
        while True:
            data = handle.read(block_bytes)
            if not data:
                break
            done += len(data)
            data = tail + data if tail else data
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                tail = data
                continue
            tail = data[cut:]
            yield data[:cut], done
    if tail:
        yield tail, done


def _file_size(tokens_path: Path) -> int:
    try:
        return Path(tokens_path).stat().st_size
    except FileNotFoundError:
        raise CorpusError(
            f"Token file {tokens_path} does not exist: tokenize the corpus first."
        ) from None


_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_HASH_MULT = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: slot = top bits of h * this
_WORD_LOAD = 0.5  # string table load


@numba.njit(cache=True, nogil=True)
def _find_word(data, start, end, h, slots, shift, hashes, offs, buf):
    """(slot, id) of the token data[start:end] with FNV-1a hash h; id -1 if not in the table."""
    mask = slots.size - 1
    slot = np.int64((h * _HASH_MULT) >> shift)
    length = end - start
    while True:
        w = slots[slot]
        if w == -1:
            return slot, -1
        if hashes[w] == h and offs[w + 1] - offs[w] == length:
            base = offs[w]
            same = True
            for k in range(length):
                if buf[base + k] != data[start + k]:
                    same = False
                    break
            if same:
                return slot, w
        slot = (slot + 1) & mask


@numba.njit(cache=True, nogil=True)
def _intern_block(data, pos, slots, shift, hashes, offs, buf, counts, n_words, max_words):
    """Count the tokens of data[pos:], adding new ones to the table in order of appearance.

    Returns (pos, n_words); pos < data.size means the table, the id arrays (max_words) or the
    byte buffer is full and the token starting at pos still has to be counted.
    """
    n = data.size
    while pos < n:
        c = data[pos]
        if c == 32 or (c >= 9 and c <= 13):
            pos += 1
            continue
        start = pos
        h = _FNV_OFFSET
        while pos < n:
            c = data[pos]
            if c == 32 or (c >= 9 and c <= 13):
                break
            h = (h ^ np.uint64(c)) * _FNV_PRIME
            pos += 1
        slot, w = _find_word(data, start, pos, h, slots, shift, hashes, offs, buf)
        if w >= 0:
            counts[w] += 1
            continue
        length = pos - start
        if n_words >= max_words or offs[n_words] + length > buf.size:
            return start, n_words
        base = offs[n_words]
        for k in range(length):  # a loop compiles much faster than a slice assignment
            buf[base + k] = data[start + k]
        offs[n_words + 1] = base + length
        hashes[n_words] = h
        counts[n_words] = 1
        slots[slot] = n_words
        n_words += 1
    return pos, n_words


@numba.njit(cache=True)
def _rehash_words(hashes, n_words, slots, shift):
    mask = slots.size - 1
    for w in range(n_words):
        slot = np.int64((hashes[w] * _HASH_MULT) >> shift)
        while slots[slot] != -1:
            slot = (slot + 1) & mask
        slots[slot] = w


@numba.njit(cache=True)
def _hash_words(offs, buf, hashes):
    for w in range(offs.size - 1):
        h = _FNV_OFFSET
        for k in range(offs[w], offs[w + 1]):
            h = (h ^ np.uint64(buf[k])) * _FNV_PRIME
        hashes[w] = h


@numba.njit(cache=True, nogil=True)
def _block_ids(data, slots, shift, hashes, offs, buf, out):
    """Vocabulary ids of data's tokens in order, -1 after each line; OOV tokens left out.

    Returns how many entries of out were written (out needs data.size + 1 entries).
    """
    n = data.size
    m = 0
    pos = 0
    while pos < n:
        c = data[pos]
        if c == 10:
            out[m] = -1
            m += 1
            pos += 1
            continue
        if c == 32 or (c >= 9 and c <= 13):
            pos += 1
            continue
        start = pos
        h = _FNV_OFFSET
        while pos < n:
            c = data[pos]
            if c == 32 or (c >= 9 and c <= 13):
                break
            h = (h ^ np.uint64(c)) * _FNV_PRIME
            pos += 1
        w = _find_word(data, start, pos, h, slots, shift, hashes, offs, buf)[1]
        if w >= 0:
            out[m] = w
            m += 1
    if n > 0 and data[n - 1] != 10:
        out[m] = -1
        m += 1
    return m


def _slots_for(n_words: int) -> int:
    return 1 << max(4, math.ceil(math.log2(n_words / _WORD_LOAD + 1)))


class _WordTable:
    """Interned byte strings with ids in order of first appearance, as NumPy arrays."""

    def __init__(self, capacity: int = 1 << 16, buf_bytes: int = 1 << 20):
        self.n_words = 0
        self.hashes = np.zeros(capacity, np.uint64)
        self.counts = np.zeros(capacity, np.int64)
        self.offs = np.zeros(capacity + 1, np.int64)
        self.buf = np.zeros(buf_bytes, np.uint8)
        self._set_slots(_slots_for(capacity))

    @classmethod
    def of_words(cls, words: list[str]) -> _WordTable:
        encoded = [word.encode("utf-8") for word in words]
        table = cls.__new__(cls)
        table.n_words = len(encoded)
        table.buf = np.frombuffer(b"".join(encoded), np.uint8)
        table.offs = np.zeros(len(encoded) + 1, np.int64)
        np.cumsum([len(word) for word in encoded], out=table.offs[1:])
        table.hashes = np.empty(len(encoded), np.uint64)
        _hash_words(table.offs, table.buf, table.hashes)
        table.counts = np.zeros(len(encoded), np.int64)
        table._set_slots(_slots_for(len(encoded)))
        return table

    def _set_slots(self, size: int) -> None:
        self.slots = np.full(size, -1, np.int64)
        self.shift = np.uint64(64 - (size.bit_length() - 1))
        self.max_words = min(self.counts.size, int(size * _WORD_LOAD))
        _rehash_words(self.hashes, self.n_words, self.slots, self.shift)

    def count(self, data: np.ndarray) -> None:
        pos = 0
        while True:
            pos, self.n_words = _intern_block(
                data,
                pos,
                self.slots,
                self.shift,
                self.hashes,
                self.offs,
                self.buf,
                self.counts,
                self.n_words,
                self.max_words,
            )
            if pos >= data.size:
                return
            self._grow(data, pos)

    def _grow(self, data: np.ndarray, pos: int) -> None:
        if self.n_words >= self.max_words:
            size = self.counts.size * 2
            for name in ("hashes", "counts"):
                old = getattr(self, name)
                new = np.zeros(size, old.dtype)
                new[: old.size] = old
                setattr(self, name, new)
            offs = np.zeros(size + 1, np.int64)
            offs[: self.offs.size] = self.offs
            self.offs = offs
            self._set_slots(_slots_for(size))
        end = pos
        while end < data.size and data[end] not in b" \t\n\r\x0b\x0c":
            end += 1
        need = int(self.offs[self.n_words]) + (end - pos)
        if need > self.buf.size:
            buf = np.zeros(max(need, 2 * self.buf.size), np.uint8)
            buf[: self.buf.size] = self.buf
            self.buf = buf

    def word(self, w: int) -> bytes:
        return self.buf[self.offs[w] : self.offs[w + 1]].tobytes()

    def ids(self, data: np.ndarray) -> np.ndarray:
        out = np.empty(data.size + 1, np.int32)
        n = _block_ids(data, self.slots, self.shift, self.hashes, self.offs, self.buf, out)
        return out[:n].copy()  # a third of the buffer or less: free the rest now


def build_vocab(tokens_path: Path, min_count: int = 5, max_vocab: int | None = None) -> Vocab:
    """Count the tokens of a tokenized file and keep those seen at least `min_count` times."""
    if min_count < 1:
        raise OptionsError("min_count must be at least 1.")
    if max_vocab is not None and max_vocab < 1:
        raise OptionsError("max_vocab must be at least 1 (or left out for no limit).")
    tokens_path = Path(tokens_path)
    _file_size(tokens_path)
    table = _WordTable()
    for block, _ in _raw_blocks(tokens_path, _BLOCK_BYTES):
        table.count(np.frombuffer(block, np.uint8))
    counts = table.counts[: table.n_words]
    total = int(counts.sum())
    if total == 0:
        raise CorpusError(f"Token file {tokens_path} has no tokens: check the corpus.")
    # Ids are in order of first appearance and the sort is stable: ties keep that order.
    order = np.argsort(-counts, kind="stable")
    kept = order[counts[order] >= min_count]
    if max_vocab is not None:
        kept = kept[:max_vocab]
    if kept.size == 0:
        raise OptionsError(
            f"No word occurs {min_count} times in {tokens_path} (the most frequent occurs "
            f"{int(counts.max())} times), so the vocabulary is empty. Lower --min-count."
        )
    words = []
    for w in kept:
        raw = table.word(int(w))
        try:
            words.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise CorpusError(
                f"Token file {tokens_path} is not UTF-8 (the word {raw[:40]!r} is not): "
                "re-create it with the tokenize command."
            ) from None
    return Vocab(words=words, counts=counts[kept].copy(), total_tokens=total)


# --------------------------------------------------------------------------------------------
# Co-occurrence counting


@dataclass
class Cooccurrences:
    """The non-zeros of the symmetric co-occurrence matrix, ordered by (row, col)."""

    rows: np.ndarray  # int32
    cols: np.ndarray  # int32
    values: np.ndarray  # float64
    vocab_size: int
    peak_bytes: int  # largest total of the arrays held while counting (see module docstring)
    window: int = 0
    spills: int = 0  # times the hash table was full at its memory cap and emptied into a run

    @property
    def nnz(self) -> int:
        return int(self.values.size)


@numba.njit(cache=True, nogil=True)
def _count_pairs(
    ids, pos, line_start, window, vocab_size, parts, part, keys, sums, fill, max_fill, shift
):
    """Add the pairs of tokens ids[pos:] that belong to `part` to the table until done or full.

    ids holds in-vocabulary ids and -1 at line ends. A pair (w, c) belongs to part
    (((w + c) * 0x9E3779B1) mod 2^32) * parts // 2^32 (a multiplication, not a modulo).
    Returns (pos, line_start, fill); pos < ids.size means the table needs room before the
    token at pos can be added.
    """
    mask = keys.size - 1
    inv = np.empty(window + 1, np.float64)
    for d in range(1, window + 1):
        inv[d] = 1.0 / d
    n = ids.size
    while pos < n:
        w2 = np.int64(ids[pos])
        if w2 < 0:
            line_start = pos + 1
            pos += 1
            continue
        if fill + window > max_fill:
            break
        lo = pos - window
        if lo < line_start:
            lo = line_start
        for q in range(lo, pos):
            w1 = np.int64(ids[q])
            if parts > 1 and ((((w1 + w2) * 0x9E3779B1) & 0xFFFFFFFF) * parts) >> 32 != part:
                continue
            weight = inv[pos - q]
            key = w1 * vocab_size + w2 if w1 <= w2 else w2 * vocab_size + w1
            slot = np.int64((np.uint64(key) * _HASH_MULT) >> shift)
            while True:
                found = keys[slot]
                if found == key:
                    break
                if found == -1:
                    keys[slot] = key
                    sums[slot] = 0.0
                    fill += 1
                    break
                slot = (slot + 1) & mask
            sums[slot] += weight
            if w1 == w2:  # X[w, w] gets the pair's weight from both directions
                sums[slot] += weight
        pos += 1
    return pos, line_start, fill


@numba.njit(cache=True, nogil=True)
def _rehash(keys, sums, new_keys, new_sums, shift):
    mask = new_keys.size - 1
    for s in range(keys.size):
        key = keys[s]
        if key == -1:
            continue
        slot = np.int64((np.uint64(key) * _HASH_MULT) >> shift)
        while new_keys[slot] != -1:
            slot = (slot + 1) & mask
        new_keys[slot] = key
        new_sums[slot] = sums[s]


@numba.njit(cache=True, nogil=True)
def _compact(keys, sums, fill):
    out_keys = np.empty(fill, np.int64)
    out_sums = np.empty(fill, np.float64)
    n = 0
    for s in range(keys.size):
        if keys[s] != -1:
            out_keys[n] = keys[s]
            out_sums[n] = sums[s]
            n += 1
    return out_keys, out_sums


@numba.njit(cache=True, nogil=True)
def _pack_index(keys, bits):
    for e in range(keys.size):
        keys[e] = (keys[e] << bits) | e


@numba.njit(cache=True, nogil=True)
def _unpack_index(packed, sums, bits, out_sums):
    mask = (np.int64(1) << bits) - 1
    for e in range(packed.size):
        out_sums[e] = sums[packed[e] & mask]
        packed[e] >>= bits


@numba.njit(cache=True, nogil=True)
def _merged_size(k1, k2):
    i = 0
    j = 0
    n = 0
    while i < k1.size and j < k2.size:
        if k1[i] < k2[j]:
            i += 1
        elif k2[j] < k1[i]:
            j += 1
        else:
            i += 1
            j += 1
        n += 1
    return n + (k1.size - i) + (k2.size - j)


@numba.njit(cache=True, nogil=True)
def _merge_into(k1, s1, k2, s2, out_keys, out_sums):
    """Merge two sorted runs, summing equal keys (the first run's value first)."""
    i = 0
    j = 0
    n = 0
    while i < k1.size and j < k2.size:
        if k1[i] < k2[j]:
            out_keys[n] = k1[i]
            out_sums[n] = s1[i]
            i += 1
        elif k2[j] < k1[i]:
            out_keys[n] = k2[j]
            out_sums[n] = s2[j]
            j += 1
        else:
            out_keys[n] = k1[i]
            out_sums[n] = s1[i] + s2[j]
            i += 1
            j += 1
        n += 1
    while i < k1.size:
        out_keys[n] = k1[i]
        out_sums[n] = s1[i]
        i += 1
        n += 1
    while j < k2.size:
        out_keys[n] = k2[j]
        out_sums[n] = s2[j]
        j += 1
        n += 1


@numba.njit(cache=True)
def _mirror_layout(keys, vocab_size):
    """For sorted upper-triangle keys: per row, where its entries below/on+above start."""
    below = np.zeros(vocab_size, np.int64)
    total = np.zeros(vocab_size, np.int64)
    row = 0
    for key in keys:
        while key >= (row + 1) * vocab_size:
            row += 1
        col = key - row * vocab_size
        total[row] += 1
        if col != row:
            total[col] += 1
            below[col] += 1
    low = np.empty(vocab_size, np.int64)
    high = np.empty(vocab_size, np.int64)
    start = 0
    for r in range(vocab_size):
        low[r] = start
        high[r] = start + below[r]
        start += total[r]
    return low, high, start


@numba.njit(cache=True, nogil=True)
def _mirror_rows(keys, sums, vocab_size, low, high, first, stop, rows, cols, values):
    """Write (i, j) and (j, i) of each sorted upper-triangle entry for rows first..stop-1.

    Row r holds first its mirrored entries (cols < r, met in increasing order while scanning
    the sorted keys), then its own (cols >= r, also increasing), so nothing needs sorting.
    """
    below = low.copy()
    above = high.copy()
    row = 0
    for e in range(keys.size):
        key = keys[e]
        while key >= (row + 1) * vocab_size:
            row += 1
        col = key - row * vocab_size
        if first <= row < stop:
            p = above[row]
            cols[p] = col
            values[p] = sums[e]
            above[row] = p + 1
        if col != row and first <= col < stop:
            p = below[col]
            cols[p] = row
            values[p] = sums[e]
            below[col] = p + 1
    for r in range(first, stop):
        end = low[r + 1] if r + 1 < vocab_size else rows.size
        for p in range(low[r], end):
            rows[p] = r


class _Memory:
    """Running total and peak of the bytes held in arrays (shared by the counting threads)."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0
        self._lock = threading.Lock()

    def add(self, *arrays: np.ndarray) -> None:
        with self._lock:
            self.now += sum(a.nbytes for a in arrays)
            self.peak = max(self.peak, self.now)

    def drop(self, *arrays: np.ndarray) -> None:
        with self._lock:
            self.now -= sum(a.nbytes for a in arrays)


_Run = tuple[np.ndarray, np.ndarray]  # sorted unique upper-triangle keys i*V+j, and their sums


class _Table:
    """Open-addressing hash table of the pair sums of one part, spilled to sorted runs."""

    def __init__(
        self, vocab_size: int, window: int, parts: int, part: int, cap_bytes: int, mem: _Memory
    ):
        self.vocab_size = vocab_size
        self.window = window
        self.parts = parts
        self.part = part
        self.mem = mem
        self.key_bits = max(1, (vocab_size * vocab_size - 1).bit_length())
        # At least room for one token's pairs at the maximum load.
        floor = 1 << max(4, math.ceil(math.log2(4 * window / _MAX_LOAD)))
        cap = 1 << max(0, (cap_bytes // _SLOT_BYTES).bit_length() - 1)
        self.cap_slots = max(floor, cap)
        most_pairs = vocab_size * (vocab_size + 1) // 2 // parts + 1
        need = 1 << max(4, math.ceil(math.log2(most_pairs / _MAX_LOAD + 1)))
        self.runs: list[_Run] = []
        self.spills = 0
        self._allocate(max(floor, min(self.cap_slots, _FIRST_SLOTS, need)))

    def _allocate(self, slots: int) -> None:
        self.keys = np.full(slots, -1, dtype=np.int64)
        self.sums = np.zeros(slots, dtype=np.float64)
        self.mem.add(self.keys, self.sums)
        self.fill = 0
        self.max_fill = int(slots * _MAX_LOAD)
        self.shift = np.uint64(64 - (slots.bit_length() - 1))

    def add_block(self, ids: np.ndarray) -> None:
        pos, line_start = 0, 0
        while True:
            pos, line_start, self.fill = _count_pairs(
                ids,
                pos,
                line_start,
                self.window,
                self.vocab_size,
                self.parts,
                self.part,
                self.keys,
                self.sums,
                self.fill,
                self.max_fill,
                self.shift,
            )
            if pos >= ids.size:
                return
            self._make_room()

    def _make_room(self) -> None:
        if self.keys.size < self.cap_slots:
            old_keys, old_sums, fill = self.keys, self.sums, self.fill
            self._allocate(old_keys.size * 2)
            _rehash(old_keys, old_sums, self.keys, self.sums, self.shift)
            self.fill = fill
            self.mem.drop(old_keys, old_sums)
            return
        self.runs.append(self._dump())
        self.keys.fill(-1)
        self.fill = 0
        self.spills += 1
        # Merge like a binary counter: each entry takes part in O(log runs) merges.
        while len(self.runs) >= 2 and self.runs[-2][0].size <= 2 * self.runs[-1][0].size:
            newer = self.runs.pop()
            older = self.runs.pop()
            self.runs.append(_merge(older, newer, self.mem))

    def _dump(self) -> _Run:
        keys, sums = _compact(self.keys, self.sums, self.fill)
        self.mem.add(keys, sums)
        return _sort_run(keys, sums, self.key_bits, self.mem)

    def finish(self) -> _Run:
        """All of this part's counts as one run; frees the table."""
        last = self._dump()
        self.mem.drop(self.keys, self.sums)
        self.keys = self.sums = None
        runs, self.runs = self.runs + [last], []
        return _merge_all(runs, self.mem)


def _sort_run(keys: np.ndarray, sums: np.ndarray, key_bits: int, mem: _Memory) -> _Run:
    """Sort keys and sums by key (takes ownership of both arrays)."""
    index_bits = max(1, (keys.size - 1).bit_length())
    out = np.empty_like(sums)
    mem.add(out)
    if key_bits + index_bits <= _PACK_BITS:
        # Sorting (key << index_bits | index) is a plain int64 sort, many times faster than
        # an argsort; the index then brings the sums along.
        _pack_index(keys, index_bits)
        keys.sort()
        _unpack_index(keys, sums, index_bits, out)
    else:
        order = np.argsort(keys, kind="stable")
        mem.add(order)
        keys[:] = keys[order]
        np.take(sums, order, out=out)
        mem.drop(order)
    mem.drop(sums)
    return keys, out


def _merge(older: _Run, newer: _Run, mem: _Memory) -> _Run:
    n = _merged_size(older[0], newer[0])
    keys = np.empty(n, np.int64)
    sums = np.empty(n, np.float64)
    mem.add(keys, sums)
    _merge_into(older[0], older[1], newer[0], newer[1], keys, sums)
    mem.drop(*older, *newer)
    return keys, sums


def _merge_all(runs: list[_Run], mem: _Memory) -> _Run:
    while len(runs) > 1:
        newer = runs.pop()
        older = runs.pop()
        runs.append(_merge(older, newer, mem))
    return runs[0]


_PACK_BITS = 63  # key and index bits that fit in a non-negative int64


def _mirrored(run: _Run, vocab_size: int, threads: int, mem: _Memory) -> tuple[np.ndarray, ...]:
    """The full matrix in (row, col) order from its sorted upper triangle (consumes run)."""
    keys, sums = run
    low, high, n = _mirror_layout(keys, vocab_size)
    rows = np.empty(n, np.int32)
    cols = np.empty(n, np.int32)
    values = np.empty(n, np.float64)
    mem.add(rows, cols, values, low, high, *[low, high] * threads)  # each thread copies both
    # Row ranges with about the same number of entries, one per thread; each thread scans
    # all keys and writes only its rows.
    bounds = np.searchsorted(low, np.arange(threads + 1) * n // threads).tolist()
    bounds[0], bounds[-1] = 0, vocab_size
    args = (keys, sums, vocab_size, low, high)
    if threads == 1:
        _mirror_rows(*args, 0, vocab_size, rows, cols, values)
    else:
        with ThreadPoolExecutor(threads, thread_name_prefix="glove-mirror") as pool:
            jobs = [
                pool.submit(_mirror_rows, *args, first, stop, rows, cols, values)
                for first, stop in zip(bounds[:-1], bounds[1:], strict=True)
            ]
            for job in jobs:
                job.result()
    mem.drop(keys, sums, low, high, *[low, high] * threads)
    return rows, cols, values


def _id_blocks(
    tokens_path: Path, vocab: Vocab, stop: threading.Event
) -> Iterator[tuple[np.ndarray, int]]:
    """Blocks of in-vocabulary ids with -1 at line ends, and the bytes read so far."""
    table = _WordTable.of_words(vocab.words)
    for block, done in _raw_blocks(tokens_path, _BLOCK_BYTES):
        if stop.is_set():
            return
        yield table.ids(np.frombuffer(block, np.uint8)), done


def _read_ahead(blocks: Iterator, depth: int = 3) -> Iterator:
    """_Run a generator in a thread, `depth` items ahead, so reading overlaps counting."""
    items: queue.Queue = queue.Queue(maxsize=depth)
    end = object()

    def produce() -> None:
        try:
            for item in blocks:
                items.put((item, None))
        except BaseException as exc:  # handed to the consumer
            items.put((end, exc))
            return
        items.put((end, None))

    worker = threading.Thread(target=produce, name="glove-reader", daemon=True)
    worker.start()
    while True:
        item, error = items.get()
        if item is end:
            worker.join()
            if error is not None:
                raise error
            return
        yield item


def count_cooccurrences(
    tokens_path: Path,
    vocab: Vocab,
    window: int = 10,
    *,
    memory_limit_bytes: int = 2**30,
    workers: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> Cooccurrences:
    """Distance-weighted symmetric co-occurrence counts within lines, as `cooccur` counts them.

    Pairs are split over `workers` threads (default: one per core, at most 8) by a hash of
    w + c, each with its own table; a reader thread turns the text into ids meanwhile.
    on_progress(bytes_done, bytes_total) is called after each block of a few MB.
    """
    if not 1 <= window <= _MAX_WINDOW:
        raise OptionsError(f"window must be between 1 and {_MAX_WINDOW} (GloVe uses 10).")
    if memory_limit_bytes < 1:
        raise OptionsError("memory_limit_bytes must be positive (the default is 1 GiB).")
    if workers is not None and workers < 1:
        raise OptionsError("workers must be 1 or more (leave it out for one per core).")
    if len(vocab) == 0:
        raise OptionsError("The vocabulary is empty: lower min_count.")
    if len(vocab) >= 2**31 - 1:
        raise OptionsError("The vocabulary has 2^31 words or more: set max_vocab.")
    tokens_path = Path(tokens_path)
    total = _file_size(tokens_path)
    parts = min(default_workers(), _MAX_COUNT_WORKERS) if workers is None else workers
    mem = _Memory()
    # Half of the budget for the tables; the other half is for runs and the result.
    tables = [
        _Table(len(vocab), window, parts, part, memory_limit_bytes // 2 // parts, mem)
        for part in range(parts)
    ]
    stop = threading.Event()
    blocks = _read_ahead(_id_blocks(tokens_path, vocab, stop))
    pool = ThreadPoolExecutor(parts, thread_name_prefix="glove-count") if parts > 1 else None
    try:
        for ids, done in blocks:
            if pool is None:
                tables[0].add_block(ids)
            else:
                for job in [pool.submit(table.add_block, ids) for table in tables]:
                    job.result()
            if on_progress is not None:
                on_progress(done, total)
        runs = [tables[0].finish()] if pool is None else list(pool.map(_Table.finish, tables))
    finally:
        stop.set()
        for _ in blocks:  # let the reader finish its current block and exit
            pass
        if pool is not None:
            pool.shutdown()
    rows, cols, values = _mirrored(_merge_all(runs, mem), len(vocab), parts, mem)
    if values.size == 0:
        raise CorpusError(
            f"No two in-vocabulary words share a line within {window} words in {tokens_path}: "
            "use a bigger corpus, a wider window or a lower min_count."
        )
    return Cooccurrences(
        rows=rows,
        cols=cols,
        values=values,
        vocab_size=len(vocab),
        peak_bytes=mem.peak,
        window=window,
        spills=sum(table.spills for table in tables),
    )


# --------------------------------------------------------------------------------------------
# Training


@dataclass
class GloveModel:
    W: np.ndarray  # (V, D) word vectors
    W_ctx: np.ndarray  # (V, D) context vectors
    b: np.ndarray  # (V,) word biases
    b_ctx: np.ndarray  # (V,) context biases
    gradsq_W: np.ndarray
    gradsq_ctx: np.ndarray
    gradsq_b: np.ndarray
    gradsq_bctx: np.ndarray
    costs: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)

    @property
    def vector_size(self) -> int:
        return int(self.W.shape[1])

    def word_vectors(self) -> np.ndarray:
        """W + W_ctx, what glove.c writes by default (-model 2)."""
        return self.W + self.W_ctx

    def copy(self) -> GloveModel:
        return GloveModel(
            *(getattr(self, name).copy() for name in _PARAMS),
            costs=list(self.costs),
            epoch_seconds=list(self.epoch_seconds),
        )


_PARAMS = ("W", "W_ctx", "b", "b_ctx", "gradsq_W", "gradsq_ctx", "gradsq_b", "gradsq_bctx")


def init_model(vocab_size: int, vector_size: int, rng: np.random.Generator) -> GloveModel:
    """Parameters uniform in [-0.5, 0.5] / (vector_size + 1), squared gradients 1 (glove.c)."""
    scale = 1.0 / (vector_size + 1)
    W = (rng.random((vocab_size, vector_size)) - 0.5) * scale
    W_ctx = (rng.random((vocab_size, vector_size)) - 0.5) * scale
    b = (rng.random(vocab_size) - 0.5) * scale
    b_ctx = (rng.random(vocab_size) - 0.5) * scale
    return GloveModel(
        W=W.astype(DTYPE, copy=False),
        W_ctx=W_ctx.astype(DTYPE, copy=False),
        b=b.astype(DTYPE, copy=False),
        b_ctx=b_ctx.astype(DTYPE, copy=False),
        gradsq_W=np.ones((vocab_size, vector_size), DTYPE),
        gradsq_ctx=np.ones((vocab_size, vector_size), DTYPE),
        gradsq_b=np.ones(vocab_size, DTYPE),
        gradsq_bctx=np.ones(vocab_size, DTYPE),
    )


@intrinsic
def _prefetch_line(typingctx, arr, byte_offset):
    """Ask the CPU to start loading the cache line at arr's data + byte_offset (a hint only)."""
    if not isinstance(arr, types.Array) or not isinstance(byte_offset, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        byte_ptr = ir.IntType(8).as_pointer()
        offset = context.cast(builder, args[1], signature.args[1], types.intp)
        address = builder.gep(builder.bitcast(ary.data, byte_ptr), [offset])
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [byte_ptr, i32, i32, i32])
        fn = builder.module.declare_intrinsic("llvm.prefetch", [byte_ptr], fnty)
        # read, keep in all cache levels, data cache
        builder.call(fn, [address, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return types.none(arr, byte_offset), codegen


_AHEAD = 16  # non-zeros between prefetching a pair's parameter rows and updating them


@numba.njit(cache=True, nogil=True, fastmath=_FASTMATH, error_model="numpy")
def _epoch_slice(
    rows, cols, values, order, first, last, W, Wc, b, bc, gW, gWc, gb, gbc, x_max, alpha, eta, clip
):
    """AdaGrad updates for the non-zeros order[first:last], in that order; returns the cost sum.

    Vector arithmetic is float32 (error_model="numpy" and fastmath let LLVM vectorize it);
    the cost, the diff and the weight are float64. The co-occurrence entry 2 * _AHEAD places
    ahead and the parameter rows of the one _AHEAD places ahead are prefetched: in shuffled
    order every update would otherwise wait on main memory several times.
    """
    dim = W.shape[1]
    row_bytes = dim * W.itemsize
    eta32 = np.float32(eta)
    clip32 = np.float32(clip)
    step1 = np.empty(dim, W.dtype)
    step2 = np.empty(dim, W.dtype)
    cost = 0.0
    for a in range(first, last):
        if a + 2 * _AHEAD < last:
            e = order[a + 2 * _AHEAD]
            _prefetch_line(rows, e * rows.itemsize)
            _prefetch_line(cols, e * cols.itemsize)
            _prefetch_line(values, e * values.itemsize)
        if a + _AHEAD < last:
            e = order[a + _AHEAD]
            i_at = np.int64(rows[e]) * row_bytes
            j_at = np.int64(cols[e]) * row_bytes
            for line in range(0, row_bytes, 64):
                _prefetch_line(W, i_at + line)
                _prefetch_line(gW, i_at + line)
                _prefetch_line(Wc, j_at + line)
                _prefetch_line(gWc, j_at + line)
        e = order[a]
        i = rows[e]
        j = cols[e]
        x = values[e]
        w = W[i]
        wc = Wc[j]
        g = gW[i]
        gc = gWc[j]
        dot = np.float32(0.0)
        for d in range(dim):
            dot += w[d] * wc[d]
        diff = np.float64(dot) + np.float64(b[i]) + np.float64(bc[j]) - math.log(x)
        fdiff = diff if x > x_max else (x / x_max) ** alpha * diff
        if not (math.isfinite(diff) and math.isfinite(fdiff)):
            continue
        cost += 0.5 * fdiff * diff
        fd = np.float32(fdiff)
        sum1 = np.float32(0.0)
        sum2 = np.float32(0.0)
        for d in range(dim):
            g1 = min(max(fd * wc[d], -clip32), clip32) * eta32
            g2 = min(max(fd * w[d], -clip32), clip32) * eta32
            step1[d] = g1 / np.sqrt(g[d])
            step2[d] = g2 / np.sqrt(gc[d])
            sum1 += step1[d]
            sum2 += step2[d]
            g[d] += g1 * g1
            gc[d] += g2 * g2
        if math.isfinite(sum1) and math.isfinite(sum2):
            for d in range(dim):
                w[d] -= step1[d]
            for d in range(dim):
                wc[d] -= step2[d]
        u = fdiff / math.sqrt(gb[i])
        if math.isfinite(u):
            b[i] -= u
        u = fdiff / math.sqrt(gbc[j])
        if math.isfinite(u):
            bc[j] -= u
        gb[i] += fdiff * fdiff
        gbc[j] += fdiff * fdiff
    return cost


@numba.njit(cache=True, nogil=True, parallel=True)
def _epoch_kernel(
    rows, cols, values, order, W, Wc, b, bc, gW, gWc, gb, gbc, x_max, alpha, eta, clip, slices
):
    """One pass over values[order]; returns the cost sum.

    Slice t of the order goes to thread t (the last slice also takes the remainder), and the
    threads update the shared parameters without locks (Hogwild), as glove.c's threads do.
    The work is in _epoch_slice so that numba's parallel passes see only this small loop.
    """
    n = order.size
    per = n // slices
    costs = np.zeros(slices, np.float64)
    for t in numba.prange(slices):
        first = t * per
        last = n if t == slices - 1 else first + per
        costs[t] = _epoch_slice(
            rows,
            cols,
            values,
            order,
            first,
            last,
            W,
            Wc,
            b,
            bc,
            gW,
            gWc,
            gb,
            gbc,
            x_max,
            alpha,
            eta,
            clip,
        )
    return costs.sum()


def _check_training_options(vector_size, x_max, alpha, eta, epochs, workers, grad_clip) -> None:
    problems = []
    if vector_size < 1:
        problems.append("vector_size must be at least 1")
    if epochs < 1:
        problems.append("epochs must be at least 1")
    if not x_max > 0:
        problems.append("x_max must be positive (the GloVe default is 100)")
    if not alpha >= 0:
        problems.append("alpha must be 0 or more (the GloVe default is 0.75)")
    if not eta > 0:
        problems.append("eta must be positive (the GloVe default is 0.05)")
    if not grad_clip > 0:
        problems.append("grad_clip must be positive (the GloVe default is 100)")
    if workers is not None and workers < 1:
        problems.append("workers must be 1 or more (leave it out for one per core)")
    if problems:
        raise OptionsError("; ".join(problems) + ".")


def _check_cooccurrences(cooc: Cooccurrences) -> None:
    if cooc.nnz == 0 or cooc.vocab_size < 1:
        raise EmbedcliError("The co-occurrence matrix is empty: count a corpus with more text.")


def _check_inputs(cooc: Cooccurrences, model: GloveModel, order: np.ndarray) -> None:
    """The kernel does no bounds checks: make sure every index it follows is in range."""
    _check_cooccurrences(cooc)
    V, D = cooc.vocab_size, model.vector_size
    if not (cooc.rows.size == cooc.cols.size == cooc.nnz):
        raise EmbedcliError("Co-occurrence rows, cols and values differ in length: recount.")
    for name in _PARAMS:
        array = getattr(model, name)
        shape = (V, D) if array.ndim == 2 else (V,)
        if array.shape != shape or not array.flags.c_contiguous:
            raise EmbedcliError(
                f"Model array {name} has shape {array.shape}, not {shape} (C-ordered) as the "
                f"co-occurrences need: initialise the model with init_model."
            )
    for name, ids in (("rows", cooc.rows), ("cols", cooc.cols)):
        if ids.min() < 0 or ids.max() >= V:
            raise EmbedcliError(f"Co-occurrence {name} leave the vocabulary of {V}: recount.")
    if order.size and (order.min() < 0 or order.max() >= cooc.nnz):
        raise EmbedcliError(f"The order has entries outside 0..{cooc.nnz - 1}.")


def train_epoch(
    cooc: Cooccurrences,
    model: GloveModel,
    order: np.ndarray,
    *,
    x_max: float = 100.0,
    alpha: float = 0.75,
    eta: float = 0.05,
    grad_clip: float = GRAD_CLIP,
    workers: int = 1,
) -> float:
    """One AdaGrad pass over the non-zeros in `order`, updating `model` in place (numba).

    Returns the epoch's cost, sum(0.5 * f * diff^2) / len(order).
    """
    _check_inputs(cooc, model, order)
    slices = max(1, min(workers, order.size))
    with _numba_threads(slices):
        total = _epoch_kernel(
            cooc.rows,
            cooc.cols,
            cooc.values,
            order,
            *(getattr(model, name) for name in _PARAMS),
            float(x_max),
            float(alpha),
            float(eta),
            float(grad_clip),
            slices,
        )
    return float(total) / order.size


def epoch_reference(
    cooc: Cooccurrences,
    model: GloveModel,
    order: np.ndarray,
    *,
    x_max: float = 100.0,
    alpha: float = 0.75,
    eta: float = 0.05,
    grad_clip: float = GRAD_CLIP,
) -> float:
    """`train_epoch` with one worker, written plainly in NumPy, to check the kernel against.

    Same arithmetic: vector steps in the parameters' dtype (a Python float scalar times a
    float32 row stays float32), diff, weight, cost and bias steps in float64.
    """
    W, Wc, b, bc = model.W, model.W_ctx, model.b, model.b_ctx
    gW, gWc, gb, gbc = model.gradsq_W, model.gradsq_ctx, model.gradsq_b, model.gradsq_bctx
    cost = 0.0
    for e in order:
        i, j, x = int(cooc.rows[e]), int(cooc.cols[e]), float(cooc.values[e])
        diff = float(W[i] @ Wc[j]) + float(b[i]) + float(bc[j]) - math.log(x)
        fdiff = diff if x > x_max else (x / x_max) ** alpha * diff
        if not (math.isfinite(diff) and math.isfinite(fdiff)):
            continue
        cost += 0.5 * fdiff * diff
        g1 = np.clip(fdiff * Wc[j], -grad_clip, grad_clip) * eta
        g2 = np.clip(fdiff * W[i], -grad_clip, grad_clip) * eta
        step1 = g1 / np.sqrt(gW[i])
        step2 = g2 / np.sqrt(gWc[j])
        gW[i] += g1 * g1
        gWc[j] += g2 * g2
        if np.isfinite(step1.sum()) and np.isfinite(step2.sum()):
            W[i] -= step1
            Wc[j] -= step2
        for bias, gsq, k in ((b, gb, i), (bc, gbc, j)):
            step = fdiff / math.sqrt(float(gsq[k]))
            if math.isfinite(step):
                bias[k] = float(bias[k]) - step
            gsq[k] = float(gsq[k]) + fdiff * fdiff
    return cost / len(order)


@numba.njit(cache=True, nogil=True)
def _scatter_by_label(values, labels, buckets, out):
    """Stable scatter of values into out grouped by label; returns the groups' boundaries."""
    bounds = np.zeros(buckets + 1, np.int64)
    for label in labels:
        bounds[label + 1] += 1
    for k in range(buckets):
        bounds[k + 1] += bounds[k]
    nxt = bounds[:-1].copy()
    for e in range(values.size):
        k = labels[e]
        out[nxt[k]] = values[e]
        nxt[k] += 1
    return bounds


_SHUFFLE_BUCKET = 1 << 15  # elements per bucket: a bucket's Fisher-Yates stays in L2 cache


def shuffled(values: np.ndarray, rng: np.random.Generator, out: np.ndarray) -> np.ndarray:
    """A uniformly random permutation of `values` written to `out`, drawn from `rng`.

    Rao-Sandelius: each element goes to one of k buckets at random, then each bucket is
    shuffled (Fisher-Yates, numpy's Generator.shuffle). That is as uniform as one
    Fisher-Yates over the whole array, but each bucket fits in cache, which makes it several
    times faster on millions of elements (one big Fisher-Yates misses cache on every swap).
    """
    buckets = min(1 << 16, 1 << max(0, math.ceil(math.log2(max(1, values.size) / _SHUFFLE_BUCKET))))
    if buckets == 1:
        out[:] = values
        rng.shuffle(out)
        return out
    labels = rng.integers(0, buckets, values.size, dtype=np.uint16)
    bounds = _scatter_by_label(values, labels, buckets, out)
    del labels
    for k in range(buckets):
        rng.shuffle(out[bounds[k] : bounds[k + 1]])
    return out


@contextmanager
def _numba_threads(wanted: int) -> Iterator[None]:
    """_Run numba's parallel loops on `wanted` threads (at most its pool size), then restore."""
    before = numba.get_num_threads()
    numba.set_num_threads(max(1, min(wanted, numba.config.NUMBA_NUM_THREADS)))
    try:
        yield
    finally:
        numba.set_num_threads(before)


def default_workers() -> int:
    """All the threads numba may use (one per core unless NUMBA_NUM_THREADS says otherwise)."""
    return int(numba.config.NUMBA_NUM_THREADS)


def train_glove(
    cooc: Cooccurrences,
    *,
    vector_size: int = 100,
    x_max: float = 100.0,
    alpha: float = 0.75,
    eta: float = 0.05,
    epochs: int = 15,
    seed: int = 1,
    workers: int | None = None,
    grad_clip: float = GRAD_CLIP,
    on_epoch: Callable[[int, float, float], None] | None = None,
) -> GloveModel:
    """Train GloVe vectors on counted co-occurrences.

    on_epoch(epoch, cost, seconds) follows each epoch (1-based); the seconds include that
    epoch's shuffle. workers: threads, default one per core.
    """
    _check_training_options(vector_size, x_max, alpha, eta, epochs, workers, grad_clip)
    _check_cooccurrences(cooc)
    workers = default_workers() if workers is None else workers
    rng = np.random.default_rng(seed)
    model = init_model(cooc.vocab_size, vector_size, rng)
    order = np.arange(cooc.nnz, dtype=np.int32 if cooc.nnz < 2**31 else np.int64)
    spare = np.empty_like(order)
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        order, spare = shuffled(order, rng, out=spare), order
        cost = train_epoch(
            cooc,
            model,
            order,
            x_max=x_max,
            alpha=alpha,
            eta=eta,
            grad_clip=grad_clip,
            workers=workers,
        )
        seconds = time.perf_counter() - started
        if not math.isfinite(cost):
            raise EmbedcliError(
                f"GloVe training diverged at epoch {epoch} (cost {cost}): lower eta."
            )
        model.costs.append(cost)
        model.epoch_seconds.append(seconds)
        if on_epoch is not None:
            on_epoch(epoch, cost, seconds)
    return model

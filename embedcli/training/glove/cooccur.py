"""GloVe's co-occurrence counts: streamed, memory-bounded, exact; hash tables per thread,
sorted runs merged like a binary counter, mirrored at the end. See docs/glove.md."""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np

from embedcli.errors import CorpusError, OptionsError
from embedcli.training.glove.vocab import (
    _BLOCK_BYTES,
    _HASH_MULT,
    Vocab,
    _file_size,
    _raw_blocks,
    _WordTable,
)

_MAX_LOAD = 0.7  # hash table load that triggers growth or a spill
_FIRST_SLOTS = 1 << 16
_SLOT_BYTES = 16  # int64 key + float64 sum
_MAX_WINDOW = 10_000
_MAX_COUNT_WORKERS = 8  # every counting thread scans all pairs, so more stop paying off


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

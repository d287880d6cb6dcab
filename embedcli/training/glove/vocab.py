"""GloVe's vocabulary: words counted on the raw bytes of a token file by numba code (hashing
and interning), most frequent first. See docs/glove.md."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numba
import numpy as np

from embedcli.errors import CorpusError, OptionsError

_BLOCK_BYTES = 4 << 20  # text read and tokenized per step


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

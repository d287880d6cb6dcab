"""The query index: a model's vectors as plain arrays, for queries that never import gensim.

    <model dir>/index/
      vectors.npy   float32 (words x dims), the vectors as gensim holds them
      norms.npy     float32 (words), their L2 norms
      vocab.tsv     one line per word, most frequent first: `<count>\\t<word>`

The card (model.json) records the index under "index": its sizes, the sha256 of each file and,
for FastText, the n-gram settings (unseen words need the n-gram model, which stays a gensim
file). The arrays are opened with `np.load(mmap_mode="r", allow_pickle=False)`, so opening an
index runs no code from the file, and a query touches the matrix once, in chunks, dropping each
chunk's pages after use, so that a model larger than memory stays cheap.

Scores are those of gensim's `most_similar` / `most_similar_cosmul`, computed the same way
(`dot(vectors, unit query) / norms`), which is why the raw vectors and their norms are kept
rather than unit vectors.

    index = QueryIndex.open(model_dir)
    index.similar(vector, topn=10, exclude=[index.index_of("영화")])   # [(word, score), ...]
"""

from __future__ import annotations

import contextlib
import json
import mmap
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from embedcli.errors import ModelError

INDEX_DIR = "index"
INDEX_FORMAT = 1
VECTORS = "vectors.npy"
NORMS = "norms.npy"
VOCAB = "vocab.tsv"
# Rows per chunk of the matrix-vector product: about 64 MB of float32 at 300 dimensions.
CHUNK_BYTES = 64 << 20


class QueryIndex:
    """Words, their vectors and norms; `similar` answers as gensim's `most_similar` does.

    `ngrams` is None, or FastText's {"min_n", "max_n", "bucket"}: unseen words can be built
    by the n-gram model, which this index does not hold.
    """

    def __init__(
        self,
        words: list[str],
        vectors: np.ndarray,
        norms: np.ndarray,
        counts: list[int] | None = None,
        ngrams: dict | None = None,
        path: Path | None = None,
    ):
        self.words = words
        self.vectors = vectors
        self.norms = norms
        self.counts = counts
        self.ngrams = ngrams
        self.path = path
        self._positions: dict[str, int] | None = None

    # --- building -------------------------------------------------------------------------

    @classmethod
    def from_keyed_vectors(cls, kv, limit: int | None = None) -> QueryIndex:
        """The index of gensim KeyedVectors (the first `limit` words when given)."""
        n = len(kv.index_to_key) if limit is None else min(limit, len(kv.index_to_key))
        vectors = np.ascontiguousarray(kv.vectors[:n], dtype=np.float32)
        counts_array = getattr(kv, "expandos", {}).get("count")
        counts = (
            [int(c) for c in counts_array[:n]]
            if counts_array is not None
            else list(range(n, 0, -1))
        )
        ngrams = None
        if getattr(kv, "bucket", 0) and hasattr(kv, "vectors_ngrams"):
            ngrams = {"min_n": int(kv.min_n), "max_n": int(kv.max_n), "bucket": int(kv.bucket)}
        return cls(
            list(kv.index_to_key[:n]),
            vectors,
            np.linalg.norm(vectors, axis=1),  # as gensim's fill_norms
            counts,
            ngrams,
        )

    def write(self, directory: Path) -> dict:
        """Write the index files into `directory` (created); return the card's "index" section."""
        from embedcli.util.atomic import sha256_file

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for word in self.words:
            if "\n" in word or "\r" in word:
                raise ModelError(
                    f"The word {word[:40]!r} holds a line break, which no vectors file format "
                    "allows: the vectors are damaged."
                )
        np.save(directory / VECTORS, np.ascontiguousarray(self.vectors, dtype=np.float32))
        np.save(directory / NORMS, np.asarray(self.norms, dtype=np.float32))
        counts = self.counts or list(range(len(self.words), 0, -1))
        with open(directory / VOCAB, "w", encoding="utf-8", newline="\n") as handle:
            for count, word in zip(counts, self.words, strict=True):
                handle.write(f"{count}\t{word}\n")
        return {
            "format": INDEX_FORMAT,
            "directory": INDEX_DIR,
            "words": len(self.words),
            "dims": int(self.vectors.shape[1]),
            "ngrams": self.ngrams,
            "sha256": {name: sha256_file(directory / name) for name in (VECTORS, NORMS, VOCAB)},
        }

    # --- opening --------------------------------------------------------------------------

    @classmethod
    def open(cls, model_dir: Path, card: dict | None = None) -> QueryIndex:
        """The index of model directory `model_dir`; ModelError when it is missing or damaged."""
        model_dir = Path(model_dir)
        if card is None:
            card = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))
        section = card.get("index")
        if not isinstance(section, dict):
            raise ModelError(f"{model_dir} has no query index.")
        directory = model_dir / INDEX_DIR
        try:
            vectors = np.load(directory / VECTORS, mmap_mode="r", allow_pickle=False)
            norms = np.load(directory / NORMS, allow_pickle=False)
            with open(directory / VOCAB, encoding="utf-8", newline="") as handle:
                lines = handle.read().split("\n")
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise _damaged(model_dir, f"{type(exc).__name__}: {exc}") from None
        if lines and lines[-1] == "":
            lines.pop()
        words, counts = [], []
        for line in lines:
            count, tab, word = line.partition("\t")
            if not tab or not count.isdigit():
                raise _damaged(model_dir, f"{VOCAB} has a line that is not <count><tab><word>")
            words.append(word)
            counts.append(int(count))
        n = len(words)
        if (
            vectors.dtype != np.float32
            or vectors.ndim != 2
            or vectors.shape[0] != n
            or norms.shape != (n,)
            or n != section.get("words")
            or vectors.shape[1] != section.get("dims")
        ):
            raise _damaged(
                model_dir,
                f"its files disagree ({n:,} words, vectors {vectors.shape}, norms {norms.shape}, "
                f"the card says {section.get('words')} x {section.get('dims')})",
            )
        ngrams = section.get("ngrams") if isinstance(section.get("ngrams"), dict) else None
        return cls(words, vectors, norms, counts, ngrams, path=directory)

    def verify(self, card_section: dict) -> None:
        """Check the files against the sha256 sums in the card (reads every byte)."""
        from embedcli.util.atomic import sha256_file

        for name, expected in card_section.get("sha256", {}).items():
            if sha256_file(self.path / name) != expected:
                raise _damaged(self.path.parent, f"{name} does not match its sha256 in the card")

    # --- looking up -----------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return self.index_of(word) is not None

    @property
    def dims(self) -> int:
        return int(self.vectors.shape[1])

    @property
    def positions(self) -> dict[str, int]:
        """word -> row, built on first use (explore asks many times; one query does not)."""
        if self._positions is None:
            self._positions = {word: i for i, word in enumerate(self.words)}
        return self._positions

    def index_of(self, word: str) -> int | None:
        if self._positions is not None:
            return self._positions.get(word)
        try:
            return self.words.index(word)  # one scan in C, cheaper than a dict for one query
        except ValueError:
            return None

    def vector(self, row: int) -> np.ndarray:
        return np.array(self.vectors[row], dtype=np.float32)

    def unit(self, row: int) -> np.ndarray:
        """The unit vector of `row`, as gensim's get_vector(norm=True)."""
        return np.array(self.vectors[row], dtype=np.float32) / self.norms[row]

    # --- scoring --------------------------------------------------------------------------

    def cosines(self, unit_query: np.ndarray) -> np.ndarray:
        """Cosine of every word with `unit_query`: dot(vectors, q) / norms, chunk by chunk."""
        query = np.asarray(unit_query, dtype=np.float32)
        n = len(self.words)
        out = np.empty(n, dtype=np.float32)
        # Whole blocks of 64 rows: BLAS then adds up each row as in one product over the
        # whole matrix, so that the scores equal gensim's to the last bit.
        rows = max(64, CHUNK_BYTES // max(1, self.vectors.shape[1] * 4) // 64 * 64)
        for start in range(0, n, rows):
            stop = min(n, start + rows)
            chunk = self.vectors[start:stop]
            out[start:stop] = np.dot(chunk, query) / self.norms[start:stop]
            _drop_pages(self.vectors, start, stop)
        return out

    def similar(
        self, vector: np.ndarray, topn: int = 10, exclude: Iterable[int] = ()
    ) -> list[tuple[str, float]]:
        """The `topn` words nearest by cosine to `vector` (normalised here), rows in `exclude`
        left out: gensim's most_similar(positive=[vector])."""
        return self.best(self.cosines(unit_vector(vector)), topn, exclude)

    def best(
        self, scores: np.ndarray, topn: int, exclude: Iterable[int] = ()
    ) -> list[tuple[str, float]]:
        """The `topn` highest `scores` (rows in `exclude` left out) as (word, score)."""
        skip = set(exclude)
        wanted = topn + len(skip)
        negated = -scores
        if wanted >= negated.size:
            order = np.argsort(negated)[:wanted]
        else:
            top = np.argpartition(negated, wanted)[:wanted]
            order = top.take(np.argsort(negated.take(top)))
        found = [(self.words[i], float(scores[i])) for i in order if i not in skip]
        return found[:topn]


def unit_vector(vector: np.ndarray) -> np.ndarray:
    """`vector` / its L2 norm, in float32 (a zero vector stays zero), as gensim's unitvec."""
    vector = np.asarray(vector)
    length = float(np.sqrt(np.dot(vector.astype(np.float64), vector.astype(np.float64))))
    if length <= 0.0:
        return vector.astype(np.float32)
    return (vector * (1.0 / length)).astype(np.float32)


def mean_of_units(units: list[np.ndarray], weights: list[float]) -> np.ndarray:
    """The weighted mean of unit vectors, normalised: gensim's get_mean_vector as most_similar
    calls it (float32 accumulator, float64 weights)."""
    mean = np.zeros(len(units[0]), dtype=np.float32)
    total = 0.0
    for unit, weight in zip(units, np.asarray(weights, dtype=np.float64), strict=True):
        mean += weight * unit
        total += abs(weight)
    if total > 0:
        mean = mean / total
    return unit_vector(mean)


def _drop_pages(array: np.ndarray, start: int, stop: int) -> None:
    """Let the kernel drop a memory-mapped chunk's pages once it has been used, so the resident
    memory of a query stays about one chunk even when the matrix is larger than memory."""
    handle = getattr(array, "_mmap", None)
    if handle is None or not hasattr(handle, "madvise") or not hasattr(mmap, "MADV_DONTNEED"):
        return
    row = array.shape[1] * array.itemsize
    base = array.offset - array.offset % mmap.ALLOCATIONGRANULARITY
    first = array.offset - base + start * row
    last = array.offset - base + stop * row
    page = mmap.PAGESIZE
    first -= first % page
    length = min(len(handle), last + (-last % page)) - first
    if length > 0:
        # Advice only: a kernel that refuses it changes nothing.
        with contextlib.suppress(OSError, ValueError):
            handle.madvise(mmap.MADV_DONTNEED, first, length)


def _damaged(model_dir: Path, why: str) -> ModelError:
    return ModelError(
        f"The query index of {model_dir} is damaged ({why}): delete {Path(model_dir) / INDEX_DIR} "
        f"and run `embedcli import {model_dir}` to write it again, or train the model again."
    )

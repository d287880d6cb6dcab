"""Vectors files written by other tools, read where a model directory is expected.

Formats recognised by their content, not their name (each may also be gzip-compressed):

* word2vec text: a `<count> <dim>` header line, then `count` lines of a word and `dim`
  numbers separated by single spaces (also fastText's .vec files and our vectors.txt).
* word2vec binary: the same header line, then per word its UTF-8 bytes, a space and `dim`
  little-endian float32 values (the C tool adds a newline after each vector; gensim does not).
* GloVe text: no header; every line a word and the same number of numbers
  (our vectors.glove.txt).
* fastText's binary model (.bin), read by gensim's Facebook loader, which parses the format
  (no pickle): whole words, and unseen words built from its character n-grams.
* a gensim pickle: KeyedVectors, or a full Word2Vec / FastText model (our model.gensim),
  opened only when trusted (see `embedcli.store.trust`).

A file is read only when its format is unambiguous: a header whose numbers match the file,
or lines that all hold the same number of numbers. Anything else is refused with a message
saying what the file looks like and what is wrong with it."""

from __future__ import annotations

import contextlib
import gzip
import io
import shutil
import tempfile
from pathlib import Path

import numpy as np

from embedcli.errors import ModelError

WORD2VEC_TEXT = "word2vec text"
WORD2VEC_BINARY = "word2vec binary"
GLOVE_TEXT = "GloVe text"
GENSIM_PICKLE = "gensim"
FASTTEXT_BINARY = "fastText binary"

_SNIFF_BYTES = 1 << 16
_SNIFF_LINES = 50
_GZIP_MAGIC = b"\x1f\x8b"
_FASTTEXT_BIN_MAGIC = (793712314).to_bytes(4, "little")
_PICKLE_PROTOCOL_2_PLUS = b"\x80"

ACCEPTED = (
    "a model directory written by `embedcli train` or `embedcli import` (it holds model.json), "
    "or a vectors file in word2vec text, word2vec binary, GloVe text or fastText .bin format"
)


def _open(path: Path) -> io.BufferedIOBase:
    with open(path, "rb") as handle:
        compressed = handle.read(2) == _GZIP_MAGIC
    return gzip.open(path, "rb") if compressed else open(path, "rb")


def sniff(path: Path) -> str:
    """The format of vectors file `path`; ModelError saying why when it is none we read."""
    try:
        with _open(path) as handle:
            head = handle.read(_SNIFF_BYTES)
            whole = len(head) < _SNIFF_BYTES
    except (OSError, EOFError) as exc:
        raise ModelError(f"Cannot read {path} ({exc}). {_what_to_pass()}") from None
    if not head.strip():
        raise ModelError(f"{path} is empty, so it holds no vectors. {_what_to_pass()}")
    if head.startswith(_PICKLE_PROTOCOL_2_PLUS):
        return GENSIM_PICKLE
    if head.startswith(_FASTTEXT_BIN_MAGIC):
        return FASTTEXT_BINARY
    first, _, rest = head.partition(b"\n")
    header = _header(first)
    if header:
        count, dim = header
        lines = _complete_lines(rest, whole)
        if lines and _text_line_size(lines[0]) is not None:
            return WORD2VEC_TEXT
        if b"\x00" not in rest and _is_text(rest):
            raise ModelError(
                f"{path} starts with a word2vec header ({count} words of {dim} numbers) but "
                f"its next line is not a word and numbers: the file is damaged. "
                f"{_what_to_pass()}"
            )
        return WORD2VEC_BINARY
    lines = _complete_lines(head, whole)
    sizes = {_text_line_size(line) for line in lines[:_SNIFF_LINES]}
    if lines and len(sizes) == 1 and None not in sizes:
        if sizes == {1}:
            raise ModelError(
                f"{path} has one number per word, like a word count list, not vectors. "
                f"{_what_to_pass()}"
            )
        return GLOVE_TEXT
    if lines and None not in sizes:
        raise ModelError(
            f"{path} looks like GloVe text vectors, but its lines hold different numbers of "
            f"values ({', '.join(map(str, sorted(sizes)))}): the file is damaged. "
            f"{_what_to_pass()}"
        )
    raise ModelError(f"{path} is not a model or a vectors file we can read. {_what_to_pass()}")


def _what_to_pass() -> str:
    return f"Pass {ACCEPTED}."


def _header(line: bytes) -> tuple[int, int] | None:
    parts = line.split()
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    count, dim = int(parts[0]), int(parts[1])
    return (count, dim) if count > 0 and dim > 0 else None


def _complete_lines(data: bytes, whole: bool) -> list[bytes]:
    lines = data.split(b"\n")
    if not whole:
        lines = lines[:-1]  # the last one may be cut by the sniffing window
    return [line for line in lines if line.strip()]


def _is_text(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start > len(data) - 4  # only a character cut by the sniffing window
    return True


def _text_line_size(line: bytes) -> int | None:
    """How many numbers follow the word on a text vectors line; None if it is not one."""
    parts = line.decode("utf-8", "replace").rstrip().split(" ")
    if len(parts) < 2 or not parts[0]:
        return None
    if all(_is_number(value) for value in parts[1:]):
        return len(parts) - 1
    # A word with spaces in it, as a few in GloVe 840B: count the numbers at the end.
    numbers = 0
    for value in reversed(parts):
        if not _is_number(value):
            break
        numbers += 1
    return numbers or None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read(path: Path, fmt: str, *, limit: int | None = None, trust: bool = False):
    """Read vectors file `path` in format `fmt` (from `sniff`) into gensim KeyedVectors.

    `limit` keeps the first words only (files list the most frequent first), without reading
    the rest. A gensim pickle is opened only when trusted (`embedcli.store.trust`).
    """
    if fmt == GENSIM_PICKLE:
        from embedcli.store import trust as trusted

        trusted.check(path, trust=trust)
        return _read_gensim(path)
    if fmt == FASTTEXT_BINARY:
        return _read_fasttext_bin(path)
    if fmt == WORD2VEC_BINARY:
        return _read_binary(path, limit)
    return _read_text(path, has_header=fmt == WORD2VEC_TEXT, limit=limit)


def _read_fasttext_bin(path: Path):
    """fastText's .bin through gensim's Facebook loader (a binary parser, not a pickle)."""
    from gensim.models.fasttext import load_facebook_vectors

    try:
        with _uncompressed(path) as plain:
            return load_facebook_vectors(str(plain))
    except MemoryError:
        raise
    except Exception as exc:  # a damaged file can fail in many ways inside gensim
        raise ModelError(
            f"{path} looks like a fastText binary model but cannot be read "
            f"({type(exc).__name__}: {exc}): the file is damaged or truncated. Download it "
            "again, or pass the .vec file fastText writes next to it."
        ) from None


@contextlib.contextmanager
def _uncompressed(path: Path):
    """`path`, or for a gzip file a temporary uncompressed copy in the cache: gensim's reader
    of fastText .bin gets short reads from a compressed stream (cc.ko.300.bin.gz)."""
    with open(path, "rb") as handle:
        compressed = handle.read(2) == _GZIP_MAGIC
    if not compressed:
        yield path
        return
    from embedcli import paths

    place = paths.cache_home() / "uncompressed"
    place.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=place, prefix=".", suffix=".bin") as plain:
        with gzip.open(path, "rb") as source:
            shutil.copyfileobj(source, plain, 1 << 20)
        plain.flush()
        yield Path(plain.name)


def _read_text(path: Path, *, has_header: bool, limit: int | None = None):
    fmt = WORD2VEC_TEXT if has_header else GLOVE_TEXT
    words: list[str] = []
    rows: list[np.ndarray] = []
    count = dim = None
    with _open(path) as handle:
        for number, raw in enumerate(handle, start=1):
            line = _decode(raw, path, number, fmt)
            if not line.strip():
                continue
            if has_header and count is None:
                count, dim = (int(x) for x in line.split())
                continue
            if dim is None:
                dim = _text_line_size(raw) or 0
            parts = line.rstrip().split(" ")
            if dim is not None and len(parts) > dim + 1 and not _is_number(parts[-dim - 1]):
                # A word with spaces in it, as a few in GloVe 840B: the numbers are at the end.
                parts = [" ".join(parts[:-dim]), *parts[-dim:]]
            vector = _numbers(parts[1:], path, number, fmt)
            if not parts[0] or vector.size != dim:
                raise ModelError(
                    f"{path} looks like {fmt} vectors of {dim} numbers, but line {number} "
                    f"has {vector.size}: the file is damaged. {_what_to_pass()}"
                )
            word = parts[0]
            words.append(word)
            rows.append(vector)
            if limit is not None and len(words) >= limit:
                break
    if count is not None and len(words) != count and (limit is None or len(words) < limit):
        cause = "is truncated" if len(words) < count else "has more lines than it says"
        raise ModelError(
            f"{path} {cause}: its word2vec header promises {count:,} words of {dim} numbers "
            f"and it holds {len(words):,}. Export the vectors again."
        )
    return _keyed_vectors(words, np.vstack(rows), path, fmt)


def _decode(raw: bytes, path: Path, number: int, fmt: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ModelError(
            f"{path} looks like {fmt} vectors, but line {number} is not UTF-8: convert the "
            "file to UTF-8."
        ) from None


def _numbers(values: list[str], path: Path, number: int, fmt: str) -> np.ndarray:
    try:
        return np.array(values, dtype=np.float32)
    except ValueError:
        raise ModelError(
            f"{path} looks like {fmt} vectors, but line {number} holds something other than "
            f"numbers after its word: the file is damaged. {_what_to_pass()}"
        ) from None


def _read_binary(path: Path, limit: int | None = None):
    from gensim.models import KeyedVectors

    try:
        kv = KeyedVectors.load_word2vec_format(str(path), binary=True, limit=limit)
    except EOFError:
        raise ModelError(
            f"{path} is truncated: its word2vec binary header promises more words than it "
            "holds. Export the vectors again."
        ) from None
    except UnicodeDecodeError:
        raise ModelError(
            f"{path} looks like word2vec binary vectors, but some words are not UTF-8: "
            "convert them, or export the vectors in word2vec text format."
        ) from None
    except Exception as exc:  # a damaged file can fail in many ways inside gensim
        raise ModelError(
            f"{path} looks like word2vec binary vectors but cannot be read "
            f"({type(exc).__name__}: {exc}): the file is damaged. {_what_to_pass()}"
        ) from None
    if limit is None:
        _check_binary_size(path, kv)
    return kv


def _check_binary_size(path: Path, kv) -> None:
    """Refuse trailing data: gensim stops after the header's count and ignores the rest."""
    with _open(path) as handle:
        header = handle.readline()
        size = len(header) + sum(len(chunk) for chunk in iter(lambda: handle.read(1 << 20), b""))
    records = sum(len(w.encode("utf-8")) + 1 for w in kv.index_to_key)
    records += len(kv) * kv.vector_size * 4
    extra = size - len(header) - records
    if not 0 <= extra <= len(kv):  # the C tool ends each vector with a newline
        raise ModelError(
            f"{path} holds {extra:,} bytes more than the {len(kv):,} words of "
            f"{kv.vector_size} numbers its word2vec binary header promises: the header or "
            "the file is damaged. Export the vectors again."
        )


def _read_gensim(path: Path):
    from gensim.models import KeyedVectors
    from gensim.utils import SaveLoad

    try:
        loaded = SaveLoad.load(str(path), mmap="r")
    except Exception as exc:  # unpickling a foreign or damaged file can raise almost anything
        raise ModelError(
            f"{path} is a Python pickle but not one gensim can load ({type(exc).__name__}): "
            f"it is damaged or not a gensim model. {_what_to_pass()}"
        ) from None
    kv = loaded if isinstance(loaded, KeyedVectors) else getattr(loaded, "wv", None)
    if not isinstance(kv, KeyedVectors):
        raise ModelError(
            f"{path} is a gensim {type(loaded).__name__}, which holds no word vectors. "
            f"{_what_to_pass()}"
        )
    return kv


def _keyed_vectors(words: list[str], vectors: np.ndarray, path: Path, fmt: str):
    from gensim.models import KeyedVectors

    if len(set(words)) != len(words):
        seen = set()
        repeated = next(w for w in words if w in seen or seen.add(w))
        raise ModelError(
            f"{path} holds the word {repeated!r} more than once, so its {fmt} vectors are "
            "ambiguous: remove the repeats."
        )
    kv = KeyedVectors(vector_size=vectors.shape[1])
    kv.add_vectors(words, vectors)
    # As gensim does for files without counts: descending made-up counts in file order.
    for rank, word in enumerate(words):
        kv.set_vecattr(word, "count", len(words) - rank)
    return kv

"""Model directories: what `train` writes and every query command reads.

    <model dir>/
      model.json        the card: corpus, tokenizer, all parameters, vocab size, timings, versions
      vectors.kv        gensim KeyedVectors (+ vectors.kv.vectors.npy when large)
      model.gensim      the full gensim model, for further training
      vectors.txt       optional: word2vec text format, for other tools
      vectors.glove.txt optional: GloVe text format (no header line)
      index/            the query index: plain arrays and a vocabulary (see `query_index`)

Queries read only the index, which opens without running any code from the files.
vectors.kv and model.gensim are pickles, opened only when needed (FastText's n-grams,
continuing training) and trusted: written by embedcli on this machine (see `trust`) or
allowed with `--trust`.

A directory is written under a temporary name and renamed into place when complete. The most
recently trained model is remembered in `<data home>/latest` and is the default for queries.

Where a model is expected, a vectors file written by another tool (word2vec text or binary,
GloVe text, a gensim pickle; see `embedcli.store.formats`) is read too, as a read-only model
without a card."""

from __future__ import annotations

import json
import platform
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from embedcli import __version__, paths
from embedcli.errors import ModelError, UntrustedPickleError, quoted
from embedcli.store import formats as vectorfiles
from embedcli.store import trust as trusted
from embedcli.store.query_index import INDEX_DIR, QueryIndex
from embedcli.util.atomic import atomic_dir, atomic_file, broken_link, list_names

MODEL_FORMAT = 1
CARD_FILE = "model.json"
VECTORS_FILE = "vectors.kv"
FULL_MODEL_FILE = "model.gensim"
WORD2VEC_TEXT_FILE = "vectors.txt"
GLOVE_TEXT_FILE = "vectors.glove.txt"
LATEST_FILE = "latest"


@dataclass
class Model:
    """A loaded model: its query index, its card, and its gensim vectors on demand.

    `index` answers queries without gensim. `kv` (gensim KeyedVectors) is loaded on first use,
    from a trusted vectors.kv or else from the index; `ngram_model()` is FastText's n-gram
    model, for unseen words, which only a trusted pickle or a fastText .bin holds.
    A model read from a vectors file is `read_only`: its card is made up from the file, and
    nothing can be saved into it. `notice` says on what the model was read from when that is
    not a model directory, for the CLI to show.
    """

    path: Path
    card: dict
    index: QueryIndex
    read_only: bool = False
    notice: str | None = None
    kv_loader: Callable[[], object] | None = None
    ngram_loader: Callable[[], object] | None = None
    _kv: object = None

    @property
    def name(self) -> str:
        return self.path.stem if self.read_only else self.path.name

    @property
    def vocab_size(self) -> int:
        return len(self.index)

    @property
    def kv(self):
        if self._kv is None:
            self._kv = self.kv_loader() if self.kv_loader else keyed_vectors(self.index)
        return self._kv

    def ngram_model(self):
        """FastText's KeyedVectors with n-grams (for words not in the vocabulary)."""
        if self.ngram_loader is None:
            raise ModelError(f"{self.name} has no character n-gram model.")
        return self.ngram_loader()


def keyed_vectors(index: QueryIndex):
    """gensim KeyedVectors made from a query index (no pickle involved)."""
    import numpy as np
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vector_size=index.dims, count=0, dtype=np.float32)
    kv.add_vectors(index.words, np.asarray(index.vectors, dtype=np.float32))
    if index.counts:
        kv.expandos["count"] = np.asarray(index.counts, dtype=np.int64)
    return kv


def default_model_dir(corpus_name: str, algo: str) -> Path:
    stem = Path(corpus_name).name.split(".")[0] or "corpus"
    return paths.models_dir() / f"{stem}-{algo}"


def save_model(
    out_dir: Path,
    *,
    wv,
    card: dict,
    save_full: Callable[[Path], str] | None = None,
    word2vec_text: bool = False,
    glove_text: bool = False,
    force: bool = False,
    index_limit: int | None = None,
) -> Path:
    """Write vectors, the full model (via `save_full(directory) -> file name`), the query index
    (of the first `index_limit` words when given) and the card.

    The directory appears under its final name only when complete, and becomes the latest.
    The pickles written are recorded as trusted (see `trust`).
    """
    out_dir = Path(out_dir).expanduser()
    card = dict(card)
    card.setdefault("format", MODEL_FORMAT)
    card.setdefault("created_at", datetime.now(timezone.utc).isoformat(timespec="seconds"))
    card["versions"] = _versions()
    card["vocab_size"] = len(wv)
    card["vector_size"] = wv.vector_size
    files = {"vectors": VECTORS_FILE}
    with atomic_dir(out_dir, force=force, what="model directory", foreign=foreign_files) as tmp:
        save_vectors(wv, tmp / VECTORS_FILE)
        if save_full:
            files["full_model"] = save_full(tmp)
        if word2vec_text:
            wv.save_word2vec_format(str(tmp / WORD2VEC_TEXT_FILE))
            files["word2vec_text"] = WORD2VEC_TEXT_FILE
        if glove_text:
            _save_glove_text(wv, tmp / GLOVE_TEXT_FILE)
            files["glove_text"] = GLOVE_TEXT_FILE
        card["index"] = QueryIndex.from_keyed_vectors(wv, limit=index_limit).write(tmp / INDEX_DIR)
        card["files"] = files
        (tmp / CARD_FILE).write_text(
            json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        trusted.record(*(tmp / name for name in (VECTORS_FILE, files.get("full_model", ""))))
    set_latest(out_dir)
    return out_dir


# Every file a model directory may hold; gensim adds <name>.<attribute>.npy next to a pickle.
MODEL_FILES = (
    CARD_FILE,
    VECTORS_FILE,
    FULL_MODEL_FILE,
    WORD2VEC_TEXT_FILE,
    GLOVE_TEXT_FILE,
    "glove_state.npz",  # glove_train.STATE_FILE, named here to keep numpy off this import
    "docs",  # embedcli.documents.DOCS_DIR: document vectors of the model's corpus
    INDEX_DIR,
)


def foreign_files(path: Path) -> str | None:
    """What at `path` `train --force` must not replace: None for a model directory that holds
    its card and only the files a model has (see `fsutil.check_writable`)."""
    if not path.is_dir():
        return "it is a file, not a model directory" if path.is_file() else "not a directory"
    entries = sorted(p.name for p in path.iterdir())
    if CARD_FILE not in entries or not (path / CARD_FILE).is_file():
        return f"it holds {list_names(entries)} and no {CARD_FILE}"
    ours = set(MODEL_FILES)
    try:
        files = json.loads((path / CARD_FILE).read_text(encoding="utf-8")).get("files", {})
        ours |= {str(name) for name in files.values()}
    except Exception:  # a damaged card still marks a model directory; its known files are ours
        pass
    others = [
        name
        for name in entries
        if name not in ours and not any(name.startswith(own + ".") for own in ours)
    ]
    if others:
        return f"it holds {list_names(others)} besides the model's files"
    return None


def save_vectors(wv, path: Path) -> None:
    """Save KeyedVectors so that equal vectors give equal bytes, in any process.

    gensim pickles a timestamped "saved" event, and FastText vectors list their unpickled
    attributes in set order, which follows the per-process string hash (PYTHONHASHSEED).
    """
    from gensim.models.fasttext import FastTextKeyedVectors
    from gensim.models.keyedvectors import KeyedVectors

    wv.lifecycle_events = None
    if not isinstance(wv, FastTextKeyedVectors):
        wv.save(str(path))
        return
    original = FastTextKeyedVectors._save_specials

    def ordered(self, fname, separately, sep_limit, ignore, *rest):
        keep = sorted(set(ignore) | {"buckets_word", "vectors"})
        return KeyedVectors._save_specials(self, fname, separately, sep_limit, keep, *rest)

    FastTextKeyedVectors._save_specials = ordered
    try:
        wv.save(str(path))
    finally:
        FastTextKeyedVectors._save_specials = original


def _save_glove_text(wv, path: Path) -> None:
    """GloVe's text format: `word v1 v2 ...` per line and no header line."""
    import numpy as np

    with open(path, "w", encoding="utf-8") as handle:
        for word, vector in zip(wv.index_to_key, np.asarray(wv.vectors), strict=True):
            handle.write(word + " " + " ".join(f"{x:.6f}" for x in vector) + "\n")


def _versions() -> dict:
    from importlib.metadata import version

    found = {"embedcli": __version__, "python": platform.python_version()}
    for package in ("gensim", "numpy", "konlpy"):
        try:
            found[package] = version(package)
        except Exception:  # an optional package missing is not worth failing a save over
            found[package] = None
    return found


def set_latest(model_dir: Path) -> None:
    with atomic_file(paths.data_home() / LATEST_FILE, force=True) as tmp:
        tmp.write_text(str(Path(model_dir).resolve()) + "\n", encoding="utf-8")


def latest_model_dir() -> Path:
    pointer = paths.data_home() / LATEST_FILE
    if paths.data_home().is_file():
        raise ModelError(
            f"There is no latest model: {paths.home_label('data')} is a file, not a "
            "directory. Pass --model PATH."
        )
    if not pointer.is_file():
        raise ModelError("No model trained yet: run `embedcli train` first, or pass --model PATH.")
    path = Path(pointer.read_text(encoding="utf-8").strip())
    if not path.is_dir():
        raise ModelError(
            f"The latest model ({path}) no longer exists: run `embedcli train` again, or pass "
            "--model PATH."
        )
    return path


def load_model(path: Path | str | None = None, *, trust: bool = False) -> Model:
    """Load a model directory (default: the latest trained), or a vectors file.

    `trust=True` allows opening a pickle embedcli did not write (it can run code).
    """
    if not path:
        return _load_model_dir(latest_model_dir(), trust)
    path = Path(path).expanduser()
    link = broken_link(path)
    if link:
        raise ModelError(
            f"Model {quoted(str(path), 200)} is {link}: fix the link, or give the model's own path."
        )
    if not path.exists():
        raise ModelError(
            f"Model {path} does not exist. Train one with `embedcli train`, or pass "
            f"{vectorfiles.ACCEPTED}."
        )
    if path.is_dir():
        return _load_model_dir(path, trust)
    return _load_model_file(path, trust)


# Files that hold vectors, by what other tools name them: pointed to when a directory that
# has no card holds one.
_VECTORS_SUFFIXES = (".txt", ".vec", ".bin", ".kv", ".gensim", ".model", ".w2v", ".gz")


def _load_model_dir(model_dir: Path, trust: bool = False) -> Model:
    card_path = model_dir / CARD_FILE
    if not card_path.is_file():
        try:
            found = sorted(
                p.name for p in model_dir.iterdir() if p.is_file() and p.suffix in _VECTORS_SUFFIXES
            )
        except OSError:
            found = []
        hint = (
            f" It holds {', '.join(found[:3])}: to read vectors from a file, pass the file "
            f"itself (e.g. {model_dir / found[0]})."
            if found
            else f" Pass {vectorfiles.ACCEPTED}."
        )
        raise ModelError(f"{model_dir} is not an embedcli model directory (no {CARD_FILE}).{hint}")
    card = _read_card(card_path)
    files = card.get("files", {})
    name = files.get("vectors", VECTORS_FILE) if isinstance(files, dict) else None
    if not isinstance(name, str) or not name or Path(name).name != name:
        raise ModelError(
            f"{card_path} is damaged: it names no vectors file inside the model directory. "
            "Train the model again."
        )
    vectors_path = model_dir / name
    if isinstance(card.get("index"), dict):
        if not vectors_path.is_file():
            raise ModelError(
                f"{model_dir} is incomplete: {name}, which {CARD_FILE} names as its vectors, "
                "is missing. Train the model again."
            )
        index = QueryIndex.open(model_dir, card)
        if card.get("vector_size", index.dims) != index.dims:
            raise ModelError(
                f"{CARD_FILE} of {model_dir} says {card['vector_size']} dimensions but its "
                f"query index has {index.dims}: the model is damaged or mixed up. Train it again."
            )
        notice = None
    else:
        index, notice = _add_index(model_dir, card, vectors_path, trust)

    def gensim_vectors():
        # The pickle holds exactly what was trained; when it is not trusted (replaced, or
        # copied from elsewhere), the index holds the same vectors without any code.
        if vectors_path.is_file() and (trust or trusted.is_trusted(vectors_path)):
            return _read_vectors_pickle(model_dir, card, vectors_path)
        return keyed_vectors(index)

    def ngrams():
        trusted.check(vectors_path, trust=trust, needed_for=_NGRAM_NEED, convert=model_dir)
        return _read_vectors_pickle(model_dir, card, vectors_path)

    return Model(
        path=model_dir,
        card=card,
        index=index,
        notice=notice,
        kv_loader=gensim_vectors,
        ngram_loader=ngrams if index.ngrams else None,
    )


_NGRAM_NEED = "FastText's n-gram model, to build words not in the vocabulary"


def _read_vectors_pickle(model_dir: Path, card: dict, vectors_path: Path):
    """vectors.kv, which the caller has checked is trusted."""
    from gensim.models import KeyedVectors

    name = vectors_path.name
    if not vectors_path.is_file():
        raise ModelError(
            f"{model_dir} is incomplete: {name}, which {CARD_FILE} names as its vectors, is "
            "missing. Train the model again."
        )
    try:
        kv = KeyedVectors.load(str(vectors_path), mmap="r")
    except Exception as exc:  # unpickling a damaged file can raise almost anything
        raise ModelError(
            f"Could not read {vectors_path} ({type(exc).__name__}): the model is damaged or "
            "truncated. Train it again."
        ) from None
    if not isinstance(kv, KeyedVectors) or len(kv.vectors) != len(kv.index_to_key):
        raise ModelError(
            f"{vectors_path} does not hold one vector per word: the model is damaged. Train "
            "it again."
        )
    if card.get("vector_size", kv.vector_size) != kv.vector_size:
        raise ModelError(
            f"{CARD_FILE} of {model_dir} says {card['vector_size']} dimensions but {name} has "
            f"{kv.vector_size}: the model is damaged or mixed up. Train it again."
        )
    return kv


def _add_index(
    model_dir: Path, card: dict, vectors_path: Path, trust: bool
) -> tuple[QueryIndex, str | None]:
    """The query index of a model directory written before embedcli had one, from its
    vectors.kv when that pickle is trusted; written into the directory when possible."""
    if not vectors_path.is_file():
        raise ModelError(
            f"{model_dir} is incomplete: {vectors_path.name}, which {CARD_FILE} names as its "
            "vectors, is missing. Train the model again."
        )
    if not (trust or trusted.is_trusted(vectors_path)):
        raise UntrustedPickleError(
            f"{model_dir} has no query index yet, and its {vectors_path.name} is a Python "
            "pickle that embedcli has no record of writing on this machine: opening it "
            "(to add the index) would run any code its author put in it. If you trust the "
            f"model's source, run `embedcli import --trust {model_dir}` once to add the index."
        )
    kv = _read_vectors_pickle(model_dir, card, vectors_path)
    index = QueryIndex.from_keyed_vectors(kv)
    try:
        write_index(model_dir, index)
    except (OSError, ModelError) as exc:
        return index, (
            f"{model_dir} has no query index and it could not be added ({exc}); queries on "
            "it load the whole model each time."
        )
    if trust:
        full = model_dir / FULL_MODEL_FILE
        trusted.record(vectors_path, *([full] if full.is_file() else []))
    return index, f"Added the query index to {model_dir}; later queries open it directly."


def write_index(model_dir: Path, index: QueryIndex) -> None:
    """Add `index` to an existing model directory: its files, then its card section."""
    from embedcli.util.atomic import atomic_dir, output_lock

    with output_lock(model_dir, "model directory", "--model"):
        with atomic_dir(model_dir / INDEX_DIR, force=True) as tmp:
            section = index.write(tmp)
        card_path = model_dir / CARD_FILE
        card = json.loads(card_path.read_text(encoding="utf-8"))
        card["index"] = section
        with atomic_file(card_path, force=True) as tmp:
            tmp.write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    index.path = model_dir / INDEX_DIR


def _read_card(card_path: Path) -> dict:
    """The card, checked for a format this embedcli reads."""
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ModelError(f"Cannot read {card_path} ({exc.strerror or exc}).") from None
    except ValueError as exc:
        raise ModelError(f"{card_path} is damaged ({exc}). Train the model again.") from None
    if not isinstance(card, dict):
        raise ModelError(f"{card_path} is damaged (not a JSON object). Train the model again.")
    model_dir = card_path.parent
    found = card.get("format")
    if not isinstance(found, int) or isinstance(found, bool) or found < 0:
        raise ModelError(
            f"{card_path} names no valid model format ({found!r}), so it was not written by "
            "`embedcli train` or was damaged. Train the model again."
        )
    if found > MODEL_FORMAT:
        raise ModelError(
            f"{model_dir} was written by a newer embedcli (model format {found}); this is "
            f"embedcli {__version__}, which reads format {MODEL_FORMAT}. Upgrade embedcli "
            "(pip install -U embedcli)."
        )
    if found < MODEL_FORMAT:
        # Format 1 is the first; an older card that is compatible gets converted here.
        text_export = model_dir / WORD2VEC_TEXT_FILE
        how = (
            f"pass {text_export} to read its vectors without the card, or train it again"
            if text_export.is_file()
            else "train the model again"
        )
        raise ModelError(
            f"{model_dir} is in model format {found}, older than format {MODEL_FORMAT}, the "
            f"only one embedcli {__version__} reads: {how}."
        )
    return card


def _load_model_file(path: Path, trust: bool = False) -> Model:
    """A file given where a model is expected: part of a model directory, or vectors."""
    directory = _owning_model_dir(path)
    if directory is not None:
        model = _load_model_dir(directory, trust)
        model.notice = f"{path.name} is part of the model directory {directory}; reading that."
        return model
    fmt = vectorfiles.sniff(path)
    kv = vectorfiles.read(path, fmt, trust=trust)
    card = {
        "format": MODEL_FORMAT,
        "algo": None,
        "source": {"file": str(path), "format": fmt},
        "vocab_size": len(kv),
        "vector_size": kv.vector_size,
    }
    notice = (
        f"Read {fmt} vectors from {path} (no model card); `embedcli import {path}` makes a "
        "model directory that opens in a blink."
    )
    index = QueryIndex.from_keyed_vectors(kv)
    return Model(
        path=path,
        card=card,
        index=index,
        read_only=True,
        notice=notice,
        _kv=kv,
        ngram_loader=(lambda: kv) if index.ngrams else None,
    )


def _owning_model_dir(path: Path) -> Path | None:
    """The model directory `path` belongs to, if it is its card or one of its files."""
    card_path = path.parent / CARD_FILE
    if path.name == CARD_FILE:
        return path.parent
    if not card_path.is_file():
        return None
    try:
        files = json.loads(card_path.read_text(encoding="utf-8")).get("files", {})
        names = {str(name) for name in files.values()}
    except Exception:  # a damaged card: read the file on its own
        return None
    # gensim stores large arrays next to a pickle as <name>.<attribute>.npy
    owned = any(path.name == name or path.name.startswith(name + ".") for name in names)
    return path.parent if owned else None


def update_card(model: Model, section: str, value: dict) -> Path:
    """Replace one section of a model's card (e.g. "evaluation"), atomically."""
    card_path = model.path / CARD_FILE
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"Cannot update {card_path} ({exc}).") from None
    card[section] = value
    try:
        with atomic_file(card_path, force=True) as tmp:
            tmp.write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ModelError(
            f"Cannot write the {section} into {card_path} ({exc.strerror or exc}); the card is "
            "unchanged. Run without --save, or make the model directory writable."
        ) from None
    return card_path

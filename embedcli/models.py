"""Model directories: what `train` writes and every query command reads.

    <model dir>/
      model.json        the card: corpus, tokenizer, all parameters, vocab size, timings, versions
      vectors.kv        gensim KeyedVectors (+ vectors.kv.vectors.npy when large)
      model.gensim      the full gensim model, for further training
      vectors.txt       optional: word2vec text format, for other tools
      vectors.glove.txt optional: GloVe text format (no header line)

A directory is written under a temporary name and renamed into place when complete. The most
recently trained model is remembered in `<data home>/latest` and is the default for queries.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from embedcli import __version__, paths
from embedcli.errors import ModelError
from embedcli.fsutil import atomic_dir, atomic_file

MODEL_FORMAT = 1
CARD_FILE = "model.json"
VECTORS_FILE = "vectors.kv"
FULL_MODEL_FILE = "model.gensim"
WORD2VEC_TEXT_FILE = "vectors.txt"
GLOVE_TEXT_FILE = "vectors.glove.txt"
LATEST_FILE = "latest"


@dataclass
class Model:
    """A loaded model directory: its vectors (gensim KeyedVectors) and its card."""

    path: Path
    kv: object  # gensim.models.KeyedVectors
    card: dict

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def vocab_size(self) -> int:
        return len(self.kv)


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
) -> Path:
    """Write vectors, the full model (via `save_full(directory) -> file name`) and the card.

    The directory appears under its final name only when complete, and becomes the latest.
    """
    out_dir = Path(out_dir).expanduser()
    card = dict(card)
    card.setdefault("format", MODEL_FORMAT)
    card.setdefault("created_at", datetime.now(timezone.utc).isoformat(timespec="seconds"))
    card["versions"] = _versions()
    card["vocab_size"] = len(wv)
    card["vector_size"] = wv.vector_size
    files = {"vectors": VECTORS_FILE}
    with atomic_dir(out_dir, force=force, what="model directory") as tmp:
        save_vectors(wv, tmp / VECTORS_FILE)
        if save_full:
            files["full_model"] = save_full(tmp)
        if word2vec_text:
            wv.save_word2vec_format(str(tmp / WORD2VEC_TEXT_FILE))
            files["word2vec_text"] = WORD2VEC_TEXT_FILE
        if glove_text:
            _save_glove_text(wv, tmp / GLOVE_TEXT_FILE)
            files["glove_text"] = GLOVE_TEXT_FILE
        card["files"] = files
        (tmp / CARD_FILE).write_text(
            json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    set_latest(out_dir)
    return out_dir


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
    if not pointer.is_file():
        raise ModelError("No model trained yet: run `embedcli train` first, or pass --model PATH.")
    path = Path(pointer.read_text(encoding="utf-8").strip())
    if not path.is_dir():
        raise ModelError(
            f"The latest model ({path}) no longer exists: run `embedcli train` again, or pass "
            "--model PATH."
        )
    return path


def load_model(path: Path | str | None = None) -> Model:
    """Load a model directory (default: the latest trained)."""
    model_dir = Path(path).expanduser() if path else latest_model_dir()
    if not model_dir.exists():
        raise ModelError(f"Model {model_dir} does not exist. Train one with `embedcli train`.")
    if not model_dir.is_dir():
        raise ModelError(
            f"{model_dir} is a file, not a model directory. Pass the directory `embedcli train` "
            "wrote (it holds model.json)."
        )
    card_path = model_dir / CARD_FILE
    if not card_path.is_file():
        raise ModelError(
            f"{model_dir} is not an embedcli model directory (no {CARD_FILE}). Pass the "
            "directory `embedcli train` wrote."
        )
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ModelError(f"{card_path} is damaged ({exc}). Train the model again.") from None
    if card.get("format") != MODEL_FORMAT:
        raise ModelError(
            f"{model_dir} was written in model format {card.get('format')!r}; this embedcli "
            f"({__version__}) reads format {MODEL_FORMAT}. Train the model again."
        )
    from gensim.models import KeyedVectors

    vectors_path = model_dir / card.get("files", {}).get("vectors", VECTORS_FILE)
    try:
        kv = KeyedVectors.load(str(vectors_path), mmap="r")
    except FileNotFoundError:
        raise ModelError(f"{model_dir} is incomplete: {vectors_path.name} is missing.") from None
    except Exception as exc:  # unpickling a damaged file can raise almost anything
        raise ModelError(
            f"Could not read {vectors_path} ({type(exc).__name__}): the model is damaged. "
            "Train it again."
        ) from None
    return Model(path=model_dir, kv=kv, card=card)

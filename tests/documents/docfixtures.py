"""A labelled English corpus and a hand-made model whose card points at it: documents tests
run without a JVM and without training."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from embedcli.store import model_dir as models
from embedcli.tokens.options import default_options

POSITIVE = ["good", "great", "fine", "love", "superb"]
NEGATIVE = ["bad", "awful", "poor", "hate", "dull"]
NEUTRAL = ["movie", "film", "plot", "actor", "scene", "story"]


def word_vectors(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    vectors = {}
    for word in POSITIVE:
        vectors[word] = np.array([1.0, 0.0, 0.0, 0.0]) + 0.3 * rng.normal(size=4)
    for word in NEGATIVE:
        vectors[word] = np.array([-1.0, 0.0, 0.0, 0.0]) + 0.3 * rng.normal(size=4)
    for word in NEUTRAL:
        vectors[word] = np.array([0.0, 1.0, 0.5, -0.5]) + 0.5 * rng.normal(size=4)
    return vectors


def labelled_rows(n_pos: int = 60, n_neg: int = 60, seed: int = 1) -> list[tuple[str, str, str]]:
    """(id, text, label) rows: positive words in label-1 texts, negative in label-0 texts."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_pos + n_neg):
        label = "1" if i < n_pos else "0"
        pool = POSITIVE if label == "1" else NEGATIVE
        words = [*rng.choice(pool, size=2), *rng.choice(NEUTRAL, size=3)]
        rng.shuffle(words)
        rows.append((str(1000 + i), " ".join(words), label))
    return rows


def write_corpus(path: Path, rows, label_column: str = "label") -> Path:
    lines = [f"id\tdocument\t{label_column}"] + ["\t".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_doc_model(path: Path, corpus: Path, vectors=None, counts=None) -> Path:
    """A model directory with hand-made vectors and a card naming `corpus` and the English
    tokenizer, as `train` would have written it."""
    from gensim.models import KeyedVectors

    vectors = vectors if vectors is not None else word_vectors()
    words = list(vectors)
    kv = KeyedVectors(vector_size=len(next(iter(vectors.values()))))
    kv.add_vectors(words, np.array([vectors[w] for w in words], dtype=np.float32))
    for rank, word in enumerate(words):
        kv.set_vecattr(word, "count", int(counts[word]) if counts else 10 * (rank + 1))
    path.mkdir(parents=True)
    kv.save(str(path / models.VECTORS_FILE))
    card = {
        "format": models.MODEL_FORMAT,
        "algo": "hand-made",
        "created_at": "2024-01-01T00:00:00+00:00",
        "vocab_size": len(words),
        "vector_size": kv.vector_size,
        "files": {"vectors": models.VECTORS_FILE},
        "corpus": {
            "name": corpus.name,
            "path": str(corpus),
            "format": "tsv",
            "text_column": "document",
            "lang": "en",
            "encoding": "utf-8",
        },
        "tokenizer": {"options": default_options("english").to_dict()},
    }
    (path / models.CARD_FILE).write_text(json.dumps(card), encoding="utf-8")
    # As `train` leaves it: a query index, and its pickle recorded as written here.
    from embedcli.store import trust
    from embedcli.store.query_index import QueryIndex

    models.write_index(path, QueryIndex.from_keyed_vectors(kv))
    trust.record(path / models.VECTORS_FILE)
    models.set_latest(path)
    return path

"""Shared fixtures: an isolated data/cache home, a CLI runner, small real data.

Every test runs with EMBEDCLI_HOME and EMBEDCLI_CACHE in its own tmp_path, so nothing is read
from or written to the user's real directories. Hand-made vectors let most query and export
tests run without training; the few tests that need real tokens share one session-wide Okt run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from embedcli.store import model_dir as models

REPO = Path(__file__).resolve().parent.parent
SHIPPED_NSMC = REPO / "corpora" / "nsmc" / "ratings.txt"


@pytest.fixture(scope="session", autouse=True)
def session_home(tmp_path_factory):
    """Module- and session-scoped fixtures run before `isolated_home`: they too must never
    write into the user's real data home or cache (a FastText fixture once set the real
    latest-model pointer)."""
    base = tmp_path_factory.mktemp("session-home")
    saved = {name: os.environ.get(name) for name in ("EMBEDCLI_HOME", "EMBEDCLI_CACHE")}
    os.environ["EMBEDCLI_HOME"] = str(base / "home")
    os.environ["EMBEDCLI_CACHE"] = str(base / "cache")
    yield base
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDCLI_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("EMBEDCLI_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.delenv("EMBEDCLI_DEBUG", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def assert_one_error(result, *needles, code=1):
    """Exit code, exactly one `Error:` line on stderr holding every needle, nothing on stdout."""
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines[0]
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert "Traceback" not in result.output
    assert result.stdout == ""


def nsmc_head(n: int) -> str:
    """The header and the first n rows of the shipped NSMC ratings."""
    with open(SHIPPED_NSMC, encoding="utf-8") as handle:
        return "".join(next(handle) for _ in range(n + 1))


@pytest.fixture
def tiny_nsmc(tmp_path) -> Path:
    path = tmp_path / "tiny.tsv"
    path.write_text(nsmc_head(300), encoding="utf-8")
    return path


# Vectors where the analogy answers are known: king - man + woman = queen exactly.
TOY_VECTORS = {
    "man": [1.0, 0.0, 0.0, 0.0],
    "woman": [0.0, 1.0, 0.0, 0.0],
    "king": [1.0, 0.0, 1.0, 0.0],
    "queen": [0.0, 1.0, 1.0, 0.0],
    "apple": [0.0, 0.0, 0.0, 1.0],
    "최민식": [0.2, 0.1, 0.9, 0.3],
    "최민수": [0.25, 0.1, 0.85, 0.3],
    "배우": [0.3, 0.2, 0.8, 0.2],
}


def keyed_vectors(vectors=None, counts: list[int] | None = None):
    """gensim KeyedVectors holding hand-made vectors (a dict of word -> list, default the toy
    vectors above), in the dict's order; `counts` sets each word's count."""
    from gensim.models import KeyedVectors

    vectors = TOY_VECTORS if vectors is None else vectors
    words = list(vectors)
    kv = KeyedVectors(vector_size=len(next(iter(vectors.values()))))
    kv.add_vectors(words, np.array([vectors[w] for w in words], dtype=np.float32))
    for word, count in zip(words, counts or [], strict=False):
        kv.set_vecattr(word, "count", count)
    return kv


def write_model_dir(
    path: Path, vectors: dict[str, list[float]] | None = None, *, indexed: bool = True
) -> Path:
    """A model directory with hand-made vectors, as `train` would lay it out (`indexed=False`:
    as embedcli before the query index did, with a pickle it has no record of)."""
    vectors = vectors or TOY_VECTORS
    kv = keyed_vectors(vectors, counts=[100 - rank for rank in range(len(vectors))])
    words = list(vectors)
    path.mkdir(parents=True)
    kv.save(str(path / models.VECTORS_FILE))
    card = {
        "format": models.MODEL_FORMAT,
        "algo": "hand-made",
        "vocab_size": len(words),
        "files": {"vectors": models.VECTORS_FILE},
    }
    (path / models.CARD_FILE).write_text(json.dumps(card), encoding="utf-8")
    if indexed:
        # As `train` leaves it: a query index, and its pickle recorded as written here.
        from embedcli.store import trust
        from embedcli.store.query_index import QueryIndex

        models.write_index(path, QueryIndex.from_keyed_vectors(kv))
        trust.record(path / models.VECTORS_FILE)
    return path


@pytest.fixture
def toy_model(tmp_path) -> Path:
    path = write_model_dir(tmp_path / "toy")
    models.set_latest(path)
    return path


@pytest.fixture(scope="session")
def okt_tokens(tmp_path_factory):
    """300 real NSMC reviews tokenized once by real Okt in 2 spawned workers."""
    from embedcli.corpora.registry import resolve_corpus
    from embedcli.tokens.cache import tokenize_corpus
    from embedcli.tokens.options import TokenizeOptions

    base = tmp_path_factory.mktemp("okt")
    corpus = base / "tiny.tsv"
    corpus.write_text(nsmc_head(300), encoding="utf-8")
    source = resolve_corpus(str(corpus))
    result = tokenize_corpus(source, TokenizeOptions(), output=base / "tokens.txt", workers=2)
    return source, result


def nearest_by_numpy(model_dir: Path, positive: list[str], topn: int) -> list[tuple[str, float]]:
    """The `topn` words nearest by cosine to the sum of the unit vectors of `positive`,
    computed here from the saved vectors (the query words themselves excluded)."""
    from gensim.models import KeyedVectors

    kv = KeyedVectors.load(str(Path(model_dir) / models.VECTORS_FILE))
    unit = kv.vectors / np.linalg.norm(kv.vectors, axis=1, keepdims=True)
    target = sum(unit[kv.key_to_index[w]] for w in positive)
    scores = unit @ (target / np.linalg.norm(target))
    order = [i for i in np.argsort(-scores, kind="stable") if kv.index_to_key[i] not in positive]
    return [(kv.index_to_key[i], float(scores[i])) for i in order[:topn]]


def answered_rows(result) -> list[tuple[str, float]]:
    """(word, score) rows of a successful `similar`/`analogy` run, in --format json or tsv."""
    assert result.exit_code == 0, result.output
    if result.stdout.startswith("{"):
        return [(r["word"], r["score"]) for r in json.loads(result.stdout)["results"]]
    lines = result.stdout.splitlines()
    assert lines[0] == "rank\tword\tscore", lines[0]
    return [(row.split("\t")[1], float(row.split("\t")[2])) for row in lines[1:]]


def assert_nearest(result, model_dir: Path, positive: list[str], topn: int) -> None:
    """The run answered with the NumPy nearest neighbours, in order, with their cosines."""
    found = answered_rows(result)
    expected = nearest_by_numpy(model_dir, positive, topn)
    assert [w for w, _ in found] == [w for w, _ in expected]
    assert [s for _, s in found] == pytest.approx([s for _, s in expected], abs=2e-6)

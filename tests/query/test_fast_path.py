"""Queries answered from the query index equal gensim's most_similar / most_similar_cosmul on
real models of all three algorithms, and `similar` never imports gensim."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import embedcli
from embedcli.store import model_dir as models
from embedcli.store.query_index import QueryIndex
from tests.processes import english_text


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Small real models of word2vec, fasttext and glove on the same made-up English text."""
    base = tmp_path_factory.mktemp("fast")
    corpus = base / "text.txt"
    corpus.write_text(english_text(30_000, seed=3), encoding="utf-8")
    found = {}
    for algo in ("word2vec", "fasttext", "glove"):
        found[algo] = embedcli.train(
            corpus,
            algo=algo,
            output=base / algo,
            lang="en",
            vector_size=16,
            min_count=3,
            epochs=2,
            workers=1,
            seed=1,
        ).path
    return found


def gensim_vectors(model_dir):
    from gensim.models import KeyedVectors

    return KeyedVectors.load(str(model_dir / models.VECTORS_FILE))


QUESTIONS = [(["w0"], []), (["w3", "w10"], []), (["w5"], ["w1"]), (["w7", "w2"], ["w6", "w8"])]


@pytest.mark.parametrize("algo", ["word2vec", "fasttext", "glove"])
def test_similar_and_analogies_equal_gensim(trained, algo):
    model = embedcli.load(trained[algo])
    kv = gensim_vectors(trained[algo])
    for positive, negative in QUESTIONS:
        ours = model.similar(*positive, negative=negative, topn=15)
        theirs = kv.most_similar(positive=positive, negative=negative, topn=15)
        assert list(ours) == theirs, (positive, negative)
    for a, b, c in [("w1", "w2", "w3"), ("w0", "w12", "w9"), ("w4", "w15", "w20")]:
        assert list(model.analogy(a, b, c, topn=12)) == kv.most_similar([b, c], [a], topn=12)
        assert list(model.analogy(a, b, c, topn=12, method="mul")) == kv.most_similar_cosmul(
            [b, c], [a], topn=12
        )
    for word in ("w0", "w11"):
        assert np.array_equal(model.vector(word), kv.get_vector(word))


def test_fasttext_unseen_words_from_ngrams_equal_gensim(trained):
    from embedcli.store import trust

    trust.record(trained["fasttext"] / models.VECTORS_FILE)  # the fixture's home is another
    model = embedcli.load(trained["fasttext"])
    kv = gensim_vectors(trained["fasttext"])
    assert "w3x" not in model
    found = model.similar("w3x", topn=10)
    assert found.oov == ["w3x"]
    assert list(found) == kv.most_similar("w3x", topn=10)
    assert np.array_equal(model.vector("w3x"), kv.get_vector("w3x"))


def test_index_files_and_card(trained):
    """The index holds the trained vectors exactly, its checksums are in the card, and the
    arrays open without pickles."""
    model_dir = trained["word2vec"]
    card = json.loads((model_dir / models.CARD_FILE).read_text(encoding="utf-8"))
    index = QueryIndex.open(model_dir)
    index.verify(card["index"])
    kv = gensim_vectors(model_dir)
    assert index.words == kv.index_to_key
    assert np.array_equal(np.asarray(index.vectors), kv.vectors)
    for name in ("vectors.npy", "norms.npy"):
        np.load(model_dir / "index" / name, allow_pickle=False)
    (model_dir / "index" / "norms.npy").write_bytes(b"changed")
    try:
        with pytest.raises(embedcli.EmbedcliError, match="damaged"):
            QueryIndex.open(model_dir)
    finally:
        np.save(model_dir / "index" / "norms.npy", np.linalg.norm(kv.vectors, axis=1))


def test_chunked_product_equals_one_product(trained, monkeypatch):
    """Chunks of 64 rows (and dropping their pages) give the scores of one product, bit for
    bit (chunks of 7 rows would not: BLAS adds up a short block differently)."""
    from embedcli.store import query_index

    index = QueryIndex.open(trained["glove"])
    query = index.unit(3)
    whole = np.dot(np.asarray(index.vectors), query) / index.norms
    monkeypatch.setattr(query_index, "CHUNK_BYTES", 16 * 4 * 7)  # rounded up to 64 rows
    assert len(index) > 20 * 64
    assert np.array_equal(index.cosines(query), whole)


def test_similar_does_not_import_gensim(trained):
    """`embedcli similar` in a fresh interpreter: the answer, and no gensim in sys.modules."""
    code = (
        "import sys\n"
        "from embedcli.cli import app\n"
        "try:\n"
        "    app(prog_name='embedcli', args=sys.argv[1:])\n"
        "except SystemExit as exit:\n"
        "    heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('gensim', 'scipy', 'numba', 'sklearn'))\n"
        "    print('HEAVY', heavy, file=sys.stderr)\n"
        "    raise\n"
    )
    for command in (["similar", "w0"], ["analogy", "w1", "w2", "w3"], ["vector", "w5"]):
        done = subprocess.run(
            [sys.executable, "-c", code, *command, "--model", str(trained["word2vec"])],
            capture_output=True,
            text=True,
            env=dict(os.environ, COLUMNS="120"),
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert "HEAVY []" in done.stderr, done.stderr
        assert done.stdout.strip()

"""Document vectors (mean, SIF) against NumPy references, documents without known words, the
stored index, similar-docs and export-tsv --docs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from embedcli.cli import app
from tests.conftest import assert_one_error
from tests.documents.docfixtures import labelled_rows, write_corpus, write_doc_model

A = 1e-3


@pytest.fixture
def hand_kv():
    from gensim.models import KeyedVectors

    rng = np.random.default_rng(7)
    words = ["a", "b", "c", "d", "e"]
    kv = KeyedVectors(vector_size=3)
    kv.add_vectors(words, rng.normal(size=(5, 3)).astype(np.float32))
    for word, count in zip(words, [500, 200, 50, 5, 1], strict=True):
        kv.set_vecattr(word, "count", count)
    return kv


DOCS = [["a", "b", "b", "zzz"], ["c", "d"], ["e", "a", "c", "c"], ["zzz"], ["d"], ["b", "e"]]


def test_mean_is_the_average_of_known_token_vectors(hand_kv):
    from embedcli.documents import embed

    found = embed(hand_kv, DOCS, "mean")
    vectors = {w: np.asarray(hand_kv[w], dtype=np.float64) for w in "abcde"}
    for row, doc in enumerate(DOCS):
        known = [vectors[t] for t in doc if t in vectors]  # repeats count, unknown tokens not
        expected = np.mean(known, axis=0) if known else np.zeros(3)
        assert found.vectors[row] == pytest.approx(expected, abs=1e-6)
        assert found.known[row] == len(known)
    assert found.vectors.dtype == np.float32


def test_sif_weights_then_first_component_removed(hand_kv):
    from embedcli.documents import embed

    counts = {"a": 500, "b": 200, "c": 50, "d": 5, "e": 1}
    total = sum(counts.values())
    weighted = []
    for doc in DOCS:
        known = [t for t in doc if t in counts]
        terms = [A / (A + counts[t] / total) * np.asarray(hand_kv[t], np.float64) for t in known]
        weighted.append(np.sum(terms, axis=0) / len(known) if known else np.zeros(3))
    weighted = np.array(weighted)
    has = np.array([any(t in counts for t in doc) for doc in DOCS])
    _, _, vt = np.linalg.svd(weighted[has], full_matrices=False)
    u = vt[0]
    expected = weighted - np.outer(weighted @ u, u)
    expected[~has] = 0.0

    found = embed(hand_kv, DOCS, "sif")
    assert found.vectors == pytest.approx(expected.astype(np.float32), abs=1e-6)
    # nothing of the removed component is left
    assert np.abs(found.vectors.astype(np.float64) @ u).max() < 1e-6
    # a query embedded later loses the same component
    query = embed(hand_kv, [DOCS[0]], "sif", component=found.component)
    assert query.vectors[0] == pytest.approx(found.vectors[0], abs=1e-6)


def test_fasttext_builds_unseen_tokens_from_ngrams():
    from gensim.models import FastText

    from embedcli.documents import embed

    sentences = [["서울", "서울역", "부산", "부산역"]] * 20
    model = FastText(sentences, vector_size=8, min_count=1, epochs=2, workers=1, seed=1)
    found = embed(model.wv, [["서울역", "대전역"], ["없다없다"]], "mean")
    assert found.ngram_tokens == 2  # 대전역 (shares 역) and 없다없다 (any n-grams hash somewhere)
    assert list(found.known) == [2, 1]
    expected = (model.wv["서울역"] + model.wv["대전역"]) / 2
    assert found.vectors[0] == pytest.approx(expected, abs=1e-6)


@pytest.fixture
def doc_model(tmp_path):
    rows = labelled_rows(20, 20)
    rows.append(("2000", rows[3][1], "1"))  # an exact duplicate of document 1003
    rows.append(("2001", "nothing known here", "0"))  # no word in the vocabulary
    corpus = write_corpus(tmp_path / "reviews.tsv", rows)
    return write_doc_model(tmp_path / "model", corpus), rows


def test_doc_vectors_stored_memory_mappable_and_reused(runner, doc_model):
    model, rows = doc_model
    result = runner.invoke(app, ["doc-vectors", "--weighting", "sif"])
    assert result.exit_code == 0, result.output
    assert "1 documents have no token in the vocabulary" in result.stderr
    docs = model / "docs"
    vectors = np.load(docs / "sif.npy", mmap_mode="r")
    assert isinstance(vectors, np.memmap) and vectors.dtype == np.float32
    assert vectors.shape == (len(rows), 4)
    assert not vectors[-1].any()  # the document without known words: flagged, not ranked
    table = (docs / "documents.tsv").read_text(encoding="utf-8").splitlines()
    assert table[0] == "row\tid\tlabel\tknown\ttext"
    assert table[-1] == f"{len(rows) - 1}\t2001\t0\t0\tnothing known here"
    meta = json.loads((docs / "docs.json").read_text(encoding="utf-8"))
    assert meta["weightings"]["sif"]["without_known"] == 1

    again = runner.invoke(app, ["doc-vectors", "--weighting", "sif"])
    assert again.exit_code == 0 and "reused" in again.stderr
    # the model's card changes (retrained): the stored vectors are stale and built again
    card = json.loads((model / "model.json").read_text())
    card["created_at"] = "2025-01-01T00:00:00+00:00"
    (model / "model.json").write_text(json.dumps(card))
    rebuilt = runner.invoke(app, ["doc-vectors", "--weighting", "sif"])
    assert rebuilt.exit_code == 0 and "built in" in rebuilt.stderr


@pytest.mark.parametrize("weighting", ["mean", "sif"])
def test_similar_docs_finds_the_exact_duplicate_first(runner, doc_model, weighting):
    _, rows = doc_model
    by_id = runner.invoke(
        app,
        ["similar-docs", "--id", "1003", "--weighting", weighting, "--format", "json",
         "--topn", "100"],
    )  # fmt: skip
    assert by_id.exit_code == 0, by_id.output
    found = json.loads(by_id.stdout)
    first = found["results"][0]
    assert first["id"] == "2000" and first["score"] == pytest.approx(1.0, abs=1e-5)
    ids = [r["id"] for r in found["results"]]
    assert "1003" not in ids and "2001" not in ids  # not itself, never the unknown one
    assert len(ids) == len(rows) - 2
    assert found["unranked_documents"] == 1

    text = runner.invoke(
        app, ["similar-docs", rows[5][1], "--weighting", weighting, "--format", "tsv"]
    )
    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    assert lines[0] == "rank\tid\tscore\tlabel\ttext"
    rank, doc_id, score, label, doc_text = lines[1].split("\t")
    assert (doc_id, doc_text) == ("1005", rows[5][1])
    assert float(score) == pytest.approx(1.0, abs=1e-5)  # SIF: the query loses the same component


def test_similar_docs_scores_are_numpy_cosines(doc_model):
    import embedcli
    from embedcli.documents import read_table

    model, _ = doc_model
    loaded = embedcli.load(model)
    found = loaded.similar_docs(id="1010", topn=5)
    vectors = np.load(model / "docs" / "mean.npy").astype(np.float64)
    ids, _, _, known = read_table(model / "docs" / "documents.tsv")
    q = vectors[ids.index("1010")]
    cos = vectors @ q / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(q) + 1e-300)
    cos[ids.index("1010")] = -np.inf
    cos[known == 0] = -np.inf
    expected = [ids[i] for i in np.argsort(-cos, kind="stable")[:5]]
    assert [m.id for m in found.matches] == expected
    assert [m.score for m in found.matches] == pytest.approx(sorted(cos)[::-1][:5], abs=1e-5)


def test_export_docs_for_the_projector(runner, doc_model, tmp_path):
    _, rows = doc_model
    result = runner.invoke(app, ["export-tsv", "--docs", "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    metadata = (tmp_path / "out" / "metadata.tsv").read_text(encoding="utf-8").splitlines()
    tensor = (tmp_path / "out" / "tensor.tsv").read_text(encoding="utf-8").splitlines()
    assert metadata[0] == "text\tlabel"
    assert len(metadata) - 1 == len(tensor) == len(rows) - 1  # the unknown document left out
    assert metadata[1] == f"{rows[0][1]}\t{rows[0][2]}"


def test_document_errors(runner, doc_model, tmp_path):
    assert_one_error(runner.invoke(app, ["similar-docs", "--id", "999999"]), "999999")
    assert_one_error(
        runner.invoke(app, ["similar-docs", "--id", "2001"]), "no token in the vocabulary"
    )
    assert_one_error(runner.invoke(app, ["similar-docs", "zebra quokka"]), "zebra quokka")
    assert_one_error(
        runner.invoke(app, ["similar-docs", "good", "--model", str(tmp_path / "nope")]),
        "does not exist",
    )
    bad = runner.invoke(app, ["similar-docs", "good", "--weighting", "tfidf"])
    assert bad.exit_code == 2, bad.output
    neither = runner.invoke(app, ["similar-docs"])
    assert neither.exit_code == 2, neither.output

"""The Python API end to end, with no CLI involved: train -> load -> query -> export -> evaluate."""

from __future__ import annotations

import json

import numpy as np
import pytest

import embedcli
from embedcli.errors import ModelError, OptionsError, VocabularyError
from tests.processes import english_text


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(english_text(40_000, seed=3), encoding="utf-8")
    return path


def test_train_load_query_export_evaluate(corpus, tmp_path, capsys):
    out = tmp_path / "models" / "tiny"
    model = embedcli.train(
        corpus, tokenizer="english", output=out, vector_size=16, min_count=2, epochs=2,
        workers=1, seed=7,
    )  # fmt: skip
    # Progress is off unless a callback is given: nothing printed anywhere.
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""

    assert isinstance(model, embedcli.Model)
    assert model.path == out and (out / "model.json").is_file()
    card = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert card["algo"] == "word2vec" and card["parameters"]["vector_size"] == 16
    assert card["tokenizer"]["options"]["tokenizer"] == "english"
    # The trained object, not the card: 16 dimensions and a vocabulary of words seen twice.
    assert model.kv.vector_size == 16 and model.vector_size == 16
    assert model.vocab_size == len(model.kv) > 100

    latest = embedcli.load()  # the latest model is the one just trained
    assert latest.path == out
    word = model.words[0]
    np.testing.assert_array_equal(latest.vector(word), model.kv[word])

    # similar: (word, score) pairs, equal to cosine computed here in NumPy.
    found = latest.similar(word, topn=5)
    unit = model.kv.vectors / np.linalg.norm(model.kv.vectors, axis=1, keepdims=True)
    cos = unit @ unit[model.kv.key_to_index[word]]
    cos[model.kv.key_to_index[word]] = -np.inf
    expected = [model.kv.index_to_key[i] for i in np.argsort(-cos)[:5]]
    assert [w for w, _ in found] == expected
    assert all(isinstance(s, float) for _, s in found)
    np.testing.assert_allclose([s for _, s in found], np.sort(cos)[::-1][:5], rtol=1e-5)

    # analogy: b - a + c, a b c excluded, same scores as the NumPy formula.
    a, b, c = model.words[1:4]
    answer = latest.analogy(a, b, c, topn=3)
    ia, ib, ic = (model.kv.key_to_index[w] for w in (a, b, c))
    target = unit[ib] - unit[ia] + unit[ic]
    scores = unit @ (target / np.linalg.norm(target))
    scores[[ia, ib, ic]] = -np.inf
    assert [w for w, _ in answer] == [model.kv.index_to_key[i] for i in np.argsort(-scores)[:3]]
    assert answer.formula == f"{b} - {a} + {c}"

    exported = latest.export_tsv(tmp_path / "proj", top_n=50)
    rows = (tmp_path / "proj" / "tensor.tsv").read_text(encoding="utf-8").splitlines()
    labels = (tmp_path / "proj" / "metadata.tsv").read_text(encoding="utf-8").splitlines()
    assert exported.rows == len(rows) == len(labels) == 50
    assert labels == model.words[:50]
    np.testing.assert_allclose(
        [float(x) for x in rows[0].split("\t")], model.kv[model.words[0]], rtol=1e-5
    )

    analogies = tmp_path / "q.txt"
    analogies.write_text(f": made-up\n{a} {b} {c} {answer[0][0]}\n", encoding="utf-8")
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(f"{a}\t{b}\t1\n{a}\t{c}\t2\n{b}\t{c}\t3\n", encoding="utf-8")
    result = latest.evaluate(analogies=[analogies], similarity=[pairs], save=True)
    total = result.analogies[0].total
    assert (total.questions, total.correct) == (1, 1)  # its own top answer is right
    saved = json.loads((out / "model.json").read_text(encoding="utf-8"))["evaluation"]
    assert saved["analogies"] == result.to_dict()["analogies"]

    tokens = embedcli.tokenize(corpus, tokenizer="english")
    assert tokens.reused  # the same cache the training run wrote
    assert tokens.path.read_text(encoding="utf-8").split("\n")[0].split() == (
        corpus.read_text(encoding="utf-8").split("\n")[0].split()
    )


def test_callbacks_report_progress(corpus, tmp_path):
    statuses, stages, epochs = [], [], []
    embedcli.train(
        corpus, tokenizer="english", output=tmp_path / "m", vector_size=8, min_count=2,
        epochs=3, workers=1,
        on_status=statuses.append,
        on_progress=lambda stage, done, total: stages.append((stage, done, total)),
        on_epoch=epochs.append,
    )  # fmt: skip
    assert [e.epoch for e in epochs] == [1, 2, 3]
    assert any(s.startswith("Tokenized ") for s in statuses)
    assert any(s.startswith("Vocabulary: ") for s in statuses)
    tokenize = [(d, t) for s, d, t in stages if s.startswith("tokenize")]
    assert tokenize[-1][0] == tokenize[-1][1] > 0  # ends with every document done


def test_errors_are_embedcli_errors(tmp_path, corpus):
    with pytest.raises(ModelError, match="does not exist"):
        embedcli.load(tmp_path / "nowhere")
    with pytest.raises(embedcli.EmbedcliError):
        embedcli.train(corpus, tokenizer="english", lang="ko")
    with pytest.raises(OptionsError):
        embedcli.train(corpus, algo="nope")


def test_unknown_word_is_a_vocabulary_error(toy_model):
    model = embedcli.load(toy_model)
    with pytest.raises(VocabularyError, match="not in the vocabulary"):
        model.similar("nonexistentword")
    assert model.similar("king", "woman", negative=["man"], topn=1)[0][0] == "queen"

"""evaluate --task sentiment: both scores on a small labelled corpus, a seeded stratified split,
--label-column, --save, and the error paths."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from embedcli.cli import app
from tests.conftest import assert_one_error
from tests.documents.docfixtures import labelled_rows, write_corpus, write_doc_model


@pytest.fixture
def sentiment_model(tmp_path):
    corpus = write_corpus(tmp_path / "reviews.tsv", labelled_rows(60, 60))
    return write_doc_model(tmp_path / "model", corpus)


def test_both_scores_reported_on_the_same_split(runner, sentiment_model):
    result = runner.invoke(app, ["evaluate", "--task", "sentiment", "--format", "json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    methods = {s["method"]: s for s in found["scores"]}
    assert set(methods) == {"mean", "sif", "tf-idf 1-2 grams"}
    assert found["classes"] == {"0": 60, "1": 60}
    assert (found["train"], found["test"]) == (90, 30)
    # The words separate the classes, so both the embeddings and the baseline get them right.
    assert methods["mean"]["accuracy"] >= 0.9
    assert methods["tf-idf 1-2 grams"]["accuracy"] >= 0.9
    for score in methods.values():
        assert 0 <= score["f1"] <= 1

    table = runner.invoke(app, ["evaluate", "--task", "sentiment"])
    assert table.exit_code == 0, table.output
    assert "mean vectors" in table.stdout and "tf-idf 1-2 grams" in table.stdout
    assert "90 train / 30 test documents, stratified, seed 0" in table.stdout


def test_split_is_stratified_and_seeded():
    from embedcli.evaluate.sentiment import split_rows

    labels = ["pos"] * 60 + ["neg"] * 20 + ["mid"] * 40
    train, test = split_rows(labels, 0.25, seed=0)
    assert sorted([*train, *test]) == list(range(120))
    assert Counter(labels[i] for i in test) == {"pos": 15, "neg": 5, "mid": 10}
    assert Counter(labels[i] for i in train) == {"pos": 45, "neg": 15, "mid": 30}
    again, _ = split_rows(labels, 0.25, seed=0)
    other, _ = split_rows(labels, 0.25, seed=1)
    assert list(again) == list(train) and list(other) != list(train)


def test_label_column_of_another_tsv_and_save(runner, sentiment_model, tmp_path):
    rows = [(i, text, "yes" if label == "1" else "no") for i, text, label in labelled_rows(30, 30)]
    other = write_corpus(tmp_path / "other.tsv", rows, label_column="liked")
    result = runner.invoke(
        app,
        ["evaluate", "--task", "sentiment", "--corpus", str(other), "--label-column", "liked",
         "--save", "--format", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["classes"] == {"no": 30, "yes": 30} and found["label_column"] == "liked"
    card = json.loads((sentiment_model / "model.json").read_text(encoding="utf-8"))
    assert card["sentiment"]["scores"] == found["scores"]
    assert not (sentiment_model / "docs").exists()  # another corpus is not stored


def test_sentiment_errors(runner, sentiment_model, tmp_path):
    no_label = write_corpus(tmp_path / "nolabel.tsv", labelled_rows(5, 5), label_column="stars")
    assert_one_error(
        runner.invoke(app, ["evaluate", "--task", "sentiment", "--corpus", str(no_label)]),
        "no label column 'label'",
        "--label-column",
    )
    one_class = write_corpus(tmp_path / "one.tsv", labelled_rows(10, 0))
    assert_one_error(
        runner.invoke(app, ["evaluate", "--task", "sentiment", "--corpus", str(one_class)]),
        "at least two classes",
    )
    assert_one_error(
        runner.invoke(
            app, ["evaluate", "--task", "sentiment", "--model", str(tmp_path / "missing")]
        ),
        "does not exist",
    )
    bad = runner.invoke(app, ["evaluate", "--task", "topics"])
    assert bad.exit_code == 2, bad.output

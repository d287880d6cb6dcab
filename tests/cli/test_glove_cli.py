"""GloVe behind the shared `train`: same model directory, same queries and export."""

from __future__ import annotations

import json

import numpy as np
import pytest

from embedcli.cli.app import app
from tests.conftest import assert_nearest

pytestmark = pytest.mark.okt

GLOVE_SMALL = [
    "--algo", "glove", "--min-count", "2", "--workers", "1", "--epochs", "4",
    "--vector-size", "16", "--seed", "5",
]  # fmt: skip


def test_glove_trains_saves_and_answers_queries(runner, tiny_nsmc, tmp_path):
    out = tmp_path / "glove"
    result = runner.invoke(
        app, ["train", "-c", str(tiny_nsmc), "-o", str(out), "--glove-text", *GLOVE_SMALL]
    )
    assert result.exit_code == 0, result.output
    assert "epoch 4/4: cost" in result.stderr and "non-zeros/s" in result.stderr
    card = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert card["algo"] == "glove"
    assert card["parameters"]["window"] == 10 and card["parameters"]["alpha"] == 0.75
    assert card["parameters"]["x_max"] == 100.0 and "negative" not in card["parameters"]
    costs = [e["loss"] for e in card["training"]["epochs"]]
    assert len(costs) == 4 and costs[-1] < costs[0]
    assert card["training"]["cooccurrence"]["nonzeros"] > 1000
    assert card["files"]["full_model"] == "glove_state.npz"
    state = np.load(out / "glove_state.npz")
    assert state["W"].shape == (card["vocab_size"], 16)

    # GloVe text format: no header, loadable by tools that expect it.
    from gensim.models import KeyedVectors

    text = KeyedVectors.load_word2vec_format(str(out / "vectors.glove.txt"), no_header=True)
    assert len(text) == card["vocab_size"]
    saved = KeyedVectors.load(str(out / "vectors.kv"))
    assert text.index_to_key == saved.index_to_key
    np.testing.assert_allclose(text.vectors, saved.vectors, atol=5e-7)
    np.testing.assert_allclose(saved.vectors, state["W"] + state["W_ctx"], rtol=1e-6)
    first = (out / "vectors.glove.txt").read_text(encoding="utf-8").split("\n", 1)[0]
    assert len(first.split()) == 17  # a word and 16 numbers, not a "V D" header

    query = runner.invoke(app, ["similar", "영화", "--format", "json", "--topn", "3"])
    assert query.exit_code == 0, query.output
    assert len(json.loads(query.stdout)["results"]) == 3
    assert_nearest(query, out, ["영화"], 3)
    export = runner.invoke(app, ["export-tsv", "-o", str(tmp_path / "proj"), "--with-counts"])
    assert export.exit_code == 0, export.output
    metadata = (tmp_path / "proj" / "metadata.tsv").read_text(encoding="utf-8")
    assert metadata.startswith("word\tcount\n")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--x-max", "0"], "--x-max"),
        (["--eta", "-1"], "--eta"),
        (["--alpha", "2"], "weighting exponent"),
    ],
)
def test_glove_bad_options_are_usage_errors(runner, tiny_nsmc, args, message):
    result = runner.invoke(app, ["train", "-c", str(tiny_nsmc), "--algo", "glove", *args])
    assert result.exit_code == 2
    assert message in result.stderr

"""The English tokenizer through the CLI: no JVM, same cache and training path."""

from __future__ import annotations

import json

from embedcli.cli import app

SENTENCES = [
    "the king rules the land and the queen rules the land",
    "a man walks and a woman walks in the land",
    "the king is a man and the queen is a woman",
]


def test_train_english_corpus(runner, tmp_path):
    corpus = tmp_path / "en.txt"
    corpus.write_text("\n".join(SENTENCES * 40) + "\n", encoding="utf-8")
    out = tmp_path / "model"
    args = ["train", "-c", str(corpus), "--tokenizer", "english", "-o", str(out)]
    result = runner.invoke(app, [*args, "--min-count", "2", "-w", "1", "--epochs", "2"])
    assert result.exit_code == 0, result.output
    card = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert card["tokenizer"]["options"]["tokenizer"] == "english"
    assert card["vocab_size"] == len(set(" ".join(SENTENCES).split()))
    query = runner.invoke(app, ["similar", "king", "--format", "tsv", "-n", "3"])
    assert query.exit_code == 0, query.output

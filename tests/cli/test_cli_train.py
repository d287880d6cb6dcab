"""train and tokenize through the CLI: real Okt, real gensim, real files, a real HTTP server."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from embedcli.cli.app import app
from embedcli.corpora import registry as corpora_registry
from tests.conftest import assert_nearest, nsmc_head
from tests.local_http import LocalServer

pytestmark = pytest.mark.okt

TRAIN_SMALL = ["--min-count", "2", "--workers", "1", "--epochs", "3", "--seed", "7"]


def test_train_then_query_then_retrain_reuses_tokens(runner, tiny_nsmc, tmp_path):
    out = tmp_path / "model"
    result = runner.invoke(app, ["train", "-c", str(tiny_nsmc), "-o", str(out), *TRAIN_SMALL])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out)
    assert "Tokenized 300 documents" in result.stderr
    assert "epoch 3/3: loss" in result.stderr
    card = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert card["algo"] == "word2vec"
    assert card["parameters"]["min_count"] == 2 and card["parameters"]["sg"] is False
    assert card["tokenizer"]["options"]["stopwords"][-1] == "하다"
    assert card["corpus"]["sha256"] and card["vocab_size"] > 100
    assert len(card["training"]["epochs"]) == 3

    query = runner.invoke(app, ["similar", "영화", "--format", "json"])
    assert query.exit_code == 0, query.output
    assert len(json.loads(query.stdout)["results"]) == 10
    assert_nearest(query, out, ["영화"], 10)

    again = runner.invoke(app, ["train", "-c", str(tiny_nsmc), "-o", str(out), *TRAIN_SMALL])
    assert again.exit_code == 1
    assert "already exists" in again.stderr and "--force" in again.stderr
    assert json.loads((out / "model.json").read_text(encoding="utf-8")) == card

    forced = runner.invoke(
        app, ["train", "-c", str(tiny_nsmc), "-o", str(out), "--force", *TRAIN_SMALL]
    )
    assert forced.exit_code == 0, forced.output
    assert "Reusing tokens" in forced.stderr
    assert json.loads((out / "model.json").read_text())["timings"]["tokenize_reused_cache"]


def test_tokenize_command_writes_file_and_sidecar(runner, tiny_nsmc, tmp_path):
    out = tmp_path / "tokens.txt"
    result = runner.invoke(app, ["tokenize", "-c", str(tiny_nsmc), "-o", str(out), "-w", "1"])
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 300
    meta = json.loads((tmp_path / "tokens.txt.json").read_text(encoding="utf-8"))
    assert meta["counts"]["documents"] == 300 and meta["options"]["max_repeat"] == 3
    again = runner.invoke(app, ["tokenize", "-c", str(tiny_nsmc), "-o", str(out), "-w", "1"])
    assert again.exit_code == 0 and "Reusing tokens" in again.stderr


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "neither a file nor a known corpus name"),
        ("id\tdocument\tlabel\n", "has no documents"),
        ("id\tdocument\tlabel\n1\tGreat movie!\t1\n2\tBad.\t0\n", "empty after cleaning"),
    ],
)
def test_train_corpus_errors_are_one_line(runner, tmp_path, content, message):
    path = tmp_path / "corpus.tsv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["train", "-c", str(path), *TRAIN_SMALL])
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert not (tmp_path / "home" / "models").exists()


def test_impossible_options_stop_before_any_work(runner, tiny_nsmc, tmp_path):
    result = runner.invoke(app, ["train", "-c", str(tiny_nsmc), "--hs", "0", "--negative", "0"])
    assert result.exit_code == 2
    assert "no training objective" in result.stderr
    assert not (tmp_path / "cache").exists()


@pytest.fixture
def served_nsmc(tmp_path, monkeypatch):
    """The registry's upstream NSMC entry pointed at a real HTTP server on 127.0.0.1."""
    with LocalServer(tmp_path / "www").running() as server:
        url = server.publish("ratings.txt", nsmc_head(40).encode("utf-8"))
        entry = corpora_registry.REGISTRY["nsmc-upstream"]
        monkeypatch.setitem(
            corpora_registry.REGISTRY, "nsmc-upstream", dataclasses.replace(entry, url=url)
        )
        yield server.root


def test_tokenize_downloads_a_named_corpus(runner, served_nsmc, tmp_path):
    result = runner.invoke(app, ["tokenize", "-c", "nsmc-upstream", "-w", "1"])
    assert result.exit_code == 0, result.output
    cached = tmp_path / "cache" / "downloads" / "nsmc-upstream" / "ratings.txt"
    assert cached.read_bytes() == (served_nsmc / "ratings.txt").read_bytes()
    tokens = result.stdout.strip()
    assert len(Path(tokens).read_text(encoding="utf-8").splitlines()) == 40

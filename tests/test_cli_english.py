"""The English tokenizer through the CLI: no JVM, same cache and training path."""

from __future__ import annotations

import gzip
import json

import pytest

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


TED = """<?xml version="1.0" encoding="UTF-8"?>
<xml language="en"><file id="1"><head><title>A talk</title></head>
<content>The King met the Queen. (Laughter) Don\u2019t laugh!
(Applause)
It's 3.14, said Mr. Smith.</content></file></xml>
"""


def test_tokenize_ted_xml_fixture(runner, tmp_path):
    corpus = tmp_path / "ted_en.xml"
    corpus.write_text(TED, encoding="utf-8")
    out = tmp_path / "tokens.txt"
    result = runner.invoke(app, ["tokenize", "-c", str(corpus), "-o", str(out), "-w", "1"])
    assert result.exit_code == 0, result.output
    # The file says language="en": the English tokenizer without being asked.
    assert out.read_text(encoding="utf-8").splitlines() == [
        "the king met the queen",
        "don't laugh",
        "it's 3.14 said mr smith",
    ]
    meta = json.loads((tmp_path / "tokens.txt.json").read_text(encoding="utf-8"))
    assert meta["options"]["tokenizer"] == "english"
    assert meta["source"]["format"] == "ted-xml" and meta["source"]["lang"] == "en"
    assert meta["counts"]["skipped_rows"] == {"only stage notes": 1}


def tokenizer_used(tmp_path) -> str:
    meta = json.loads((tmp_path / "tokens.txt.json").read_text(encoding="utf-8"))
    return meta["options"]["tokenizer"]


def test_lang_en_picks_the_english_tokenizer(runner, tmp_path):
    corpus = tmp_path / "mixed.txt"
    corpus.write_text("The King 왕이 웃다\n", encoding="utf-8")
    args = ["tokenize", "-c", str(corpus), "-o", str(tmp_path / "tokens.txt"), "-w", "1"]
    result = runner.invoke(app, [*args, "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert tokenizer_used(tmp_path) == "english"
    assert (tmp_path / "tokens.txt").read_text(encoding="utf-8") == "the king 왕이 웃다\n"


def test_corpus_en_defaults_to_english(runner, tmp_path, monkeypatch):
    """--corpus en reads English without --lang (here a stand-in for the shipped slice)."""
    shipped = tmp_path / "corpora"
    (shipped / "en").mkdir(parents=True)
    with gzip.open(shipped / "en" / "english-7m.txt.gz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join(SENTENCES) + "\n")
    monkeypatch.setenv("EMBEDCLI_CORPORA", str(shipped))
    out = tmp_path / "tokens.txt"
    result = runner.invoke(app, ["tokenize", "-c", "en", "-o", str(out), "-w", "1"])
    assert result.exit_code == 0, result.output
    assert tokenizer_used(tmp_path) == "english"
    assert out.read_text(encoding="utf-8").splitlines() == SENTENCES
    # --lang ko overrides the corpus's language (and Okt finds no Hangul here).
    result = runner.invoke(
        app, ["tokenize", "-c", "en", "--lang", "ko", "-o", str(out), "-f", "-w", "1"]
    )
    assert result.exit_code == 1
    assert "empty after cleaning" in result.stderr


@pytest.mark.parametrize("command", ["tokenize", "train"])
def test_lang_and_tokenizer_that_disagree_are_a_usage_error(runner, tmp_path, command):
    result = runner.invoke(app, [command, "--lang", "en", "--tokenizer", "okt"])
    assert result.exit_code == 2, result.output
    assert "--lang en means --tokenizer english, not okt" in result.stderr
    assert not (tmp_path / "cache").exists() and not (tmp_path / "home").exists()


def test_unknown_lang_is_a_usage_error(runner):
    result = runner.invoke(app, ["tokenize", "--lang", "fr"])
    assert result.exit_code == 2, result.output
    assert "Unknown --lang 'fr'" in result.stderr


def test_corpora_lists_the_english_corpora(runner):
    result = runner.invoke(app, ["corpora", "--format", "tsv"])
    assert result.exit_code == 0, result.output
    rows = {r.split("\t")[0]: r.split("\t") for r in result.stdout.splitlines()[1:]}
    assert rows["en"][1:3] == ["en", "shipped"]
    assert rows["en-full"][1:3] == ["en", "--corpus PATH"]
    assert "recognised by its checksum" in rows["en-full"][3]
    assert rows["text8"][1:3] == ["en", "download"]

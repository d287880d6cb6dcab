"""The English tokenizer through the CLI: no JVM, same cache and training path; every training
option checked against what was trained."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from embedcli.cli.app import app
from tests.conftest import assert_nearest

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
    assert_nearest(query, out, ["king"], 3)  # the latest model: the one just trained


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


# --- every training option reaches what is trained ------------------------------------------
#
# The card copies the options, so reading them back from model.json proves nothing; these
# tests look at the trained object itself (the saved gensim model, our GloVe state) or at the
# option's effect, counted independently from the tokens.


@pytest.fixture
def zipf_corpus(tmp_path):
    """Made-up words with counts from 1 to hundreds, so --min-count has words to drop."""
    from tests.processes import english_text

    path = tmp_path / "zipf.txt"
    path.write_text(english_text(6000, seed=3), encoding="utf-8")
    return path


def token_counts(card) -> Counter:
    with open(card["tokenizer"]["tokens_file"], encoding="utf-8") as handle:
        return Counter(token for line in handle for token in line.split())


GENSIM_RUNS = {
    "skip-gram, hierarchical softmax": (
        "word2vec",
        ["--sg", "--hs", "1", "--negative", "0", "--window", "3", "--vector-size", "12"]
        + ["--min-count", "3", "--sample", "0.01", "--epochs", "3", "--alpha", "0.05"]
        + ["--seed", "11", "--workers", "1"],
        dict(sg=1, hs=1, negative=0, window=3, vector_size=12, min_count=3, sample=0.01)
        | dict(epochs=3, alpha=0.05, seed=11, workers=1),
    ),
    "cbow, negative sampling": (
        "word2vec",
        ["--cbow", "--hs", "0", "--negative", "7", "--window", "7", "--vector-size", "9"]
        + ["--min-count", "2", "--sample", "0", "--epochs", "2", "--alpha", "0.01"]
        + ["--seed", "4", "--workers", "2"],
        dict(sg=0, hs=0, negative=7, window=7, vector_size=9, min_count=2, sample=0.0)
        | dict(epochs=2, alpha=0.01, seed=4, workers=2),
    ),
    "fasttext": (
        "fasttext",
        ["--sg", "--min-n", "2", "--max-n", "4", "--bucket", "5000", "--window", "4"]
        + ["--vector-size", "10", "--min-count", "4", "--negative", "3", "--epochs", "2"]
        + ["--alpha", "0.03", "--seed", "2", "--workers", "1", "--sample", "0.001"],
        dict(sg=1, hs=0, negative=3, window=4, vector_size=10, min_count=4, sample=0.001)
        | dict(epochs=2, alpha=0.03, seed=2, workers=1),
    ),
}


@pytest.mark.parametrize("run", list(GENSIM_RUNS))
def test_every_gensim_option_reaches_the_trained_model(runner, tmp_path, zipf_corpus, run):
    from gensim.models import FastText, KeyedVectors, Word2Vec

    algo, options, expected = GENSIM_RUNS[run]
    out = tmp_path / "model"
    args = ["train", "-c", str(zipf_corpus), "--lang", "en", "--algo", algo, "-o", str(out)]
    result = runner.invoke(app, [*args, *options, "-q"])
    assert result.exit_code == 0, result.output

    full = (FastText if algo == "fasttext" else Word2Vec).load(str(out / "model.gensim"))
    assert {name: getattr(full, name) for name in expected} == expected
    assert full.wv.vector_size == expected["vector_size"]
    # --min-count: the vocabulary is exactly the words counted that often in the tokens.
    card = json.loads((out / "model.json").read_text(encoding="utf-8"))
    counts = token_counts(card)
    kept = {word for word, n in counts.items() if n >= expected["min_count"]}
    assert set(full.wv.index_to_key) == kept and len(kept) < len(counts)
    assert all(full.wv.get_vecattr(w, "count") == counts[w] for w in kept)
    if algo == "fasttext":
        assert (full.wv.min_n, full.wv.max_n, full.wv.bucket) == (2, 4, 5000)
        assert full.wv.vectors_ngrams.shape == (5000, expected["vector_size"])
    # The vectors queries read are this model's.
    saved = KeyedVectors.load(str(out / "vectors.kv"))
    assert saved.index_to_key == full.wv.index_to_key
    np.testing.assert_array_equal(saved.vectors, full.wv.vectors)
    # ... and the card says what was trained.
    params = card["parameters"]
    assert {name: params[name] for name in expected} == {
        name: bool(value) if name in ("sg", "hs") else value for name, value in expected.items()
    }
    assert len(card["training"]["epochs"]) == expected["epochs"]


def glove_reference(tokens_file, *, window, min_count, max_vocab, vector_size, epochs, x_max,
                    alpha, eta, seed):  # fmt: skip
    """GloVe trained from scratch on `tokens_file` with every step written out here: a
    brute-force vocabulary and co-occurrence count, glove.c's initialisation, and the plain
    NumPy epoch (`glove_adagrad.epoch_reference`); only the shuffle is the product's."""
    from embedcli.training.glove import adagrad as glove_adagrad
    from embedcli.training.glove import cooccur as glove_cooccur

    lines = [line.split() for line in Path(tokens_file).read_text(encoding="utf-8").splitlines()]
    counts = Counter(token for line in lines for token in line)
    first = {}
    for token in (t for line in lines for t in line):
        first.setdefault(token, len(first))
    words = sorted(
        (w for w in counts if counts[w] >= min_count), key=lambda w: (-counts[w], first[w])
    )
    words = words[:max_vocab]
    index = {w: i for i, w in enumerate(words)}
    pairs: dict[tuple[int, int], float] = {}
    for line in lines:
        ids = [index[w] for w in line if w in index]
        for p, w in enumerate(ids):
            for q in range(max(0, p - window), p):
                for key in ((w, ids[q]), (ids[q], w)):
                    pairs[key] = pairs.get(key, 0.0) + 1.0 / (p - q)
    keys = sorted(pairs)
    cooc = glove_cooccur.Cooccurrences(
        rows=np.array([i for i, _ in keys], np.int32),
        cols=np.array([j for _, j in keys], np.int32),
        values=np.array([pairs[k] for k in keys], np.float64),
        vocab_size=len(words),
        peak_bytes=0,
    )
    rng = np.random.default_rng(seed)
    scale = 1.0 / (vector_size + 1)
    size, dims = len(words), vector_size
    W = ((rng.random((size, dims)) - 0.5) * scale).astype(np.float32)
    W_ctx = ((rng.random((size, dims)) - 0.5) * scale).astype(np.float32)
    b = ((rng.random(size) - 0.5) * scale).astype(np.float32)
    b_ctx = ((rng.random(size) - 0.5) * scale).astype(np.float32)
    ones = np.ones((size, dims), np.float32)
    model = glove_adagrad.GloveModel(
        W, W_ctx, b, b_ctx, ones, ones.copy(), np.ones(size, np.float32), np.ones(size, np.float32)
    )
    base = np.arange(len(keys), dtype=np.int32)
    for _ in range(epochs):
        # each epoch a fresh shuffle of 0..nnz-1, so a checkpoint needs only the rng's state
        order = glove_adagrad.shuffled(base, rng, out=np.empty_like(base))
        model.costs.append(
            glove_adagrad.epoch_reference(cooc, model, order, x_max=x_max, alpha=alpha, eta=eta)
        )
    return words, model


def test_every_glove_option_reaches_the_trained_state(runner, tmp_path, zipf_corpus):
    from gensim.models import KeyedVectors

    chosen = dict(window=3, min_count=2, max_vocab=60, vector_size=6, epochs=2, x_max=4.0)
    chosen |= dict(alpha=0.6, eta=0.08, seed=9)
    out = tmp_path / "glove"
    args = ["train", "-c", str(zipf_corpus), "--lang", "en", "--algo", "glove", "-o", str(out)]
    for name, value in chosen.items():
        args += [f"--{name.replace('_', '-')}", str(value)]
    result = runner.invoke(app, [*args, "--workers", "1", "-q"])
    assert result.exit_code == 0, result.output

    card = json.loads((out / "model.json").read_text(encoding="utf-8"))
    words, expected = glove_reference(card["tokenizer"]["tokens_file"], **chosen)
    assert 0 < len(words) == 60  # --max-vocab cut a longer list
    state = np.load(out / "glove_state.npz")
    assert state["words"].tolist() == words
    for name in ("W", "W_ctx", "b", "b_ctx", "gradsq_W", "gradsq_ctx", "gradsq_b", "gradsq_bctx"):
        np.testing.assert_allclose(
            state[name], getattr(expected, name), rtol=1e-4, atol=1e-6, err_msg=name
        )
    np.testing.assert_allclose(state["costs"], expected.costs, rtol=1e-6)
    saved = KeyedVectors.load(str(out / "vectors.kv"))
    assert saved.index_to_key == words
    np.testing.assert_allclose(saved.vectors, expected.W + expected.W_ctx, rtol=1e-4, atol=1e-6)


def test_max_repeat_reaches_the_tokens(runner, tmp_path):
    corpus = tmp_path / "en.txt"
    corpus.write_text("sooooo goood!!! zzz\nnooo waaaaay\n", encoding="utf-8")
    out = tmp_path / "tokens.txt"
    args = ["tokenize", "-c", str(corpus), "--lang", "en", "-o", str(out), "-w", "1"]
    assert runner.invoke(app, args).exit_code == 0  # English keeps repeats by default
    assert out.read_text(encoding="utf-8") == "sooooo goood zzz\nnooo waaaaay\n"
    result = runner.invoke(app, [*args, "--max-repeat", "2", "--force"])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == "soo good zz\nnoo waay\n"


def test_word2vec_text_option_writes_the_models_vectors(runner, tmp_path, zipf_corpus):
    from gensim.models import KeyedVectors

    out = tmp_path / "model"
    args = ["train", "-c", str(zipf_corpus), "--lang", "en", "-o", str(out), "-w", "1"]
    result = runner.invoke(app, [*args, "--epochs", "1", "--word2vec-text", "-q"])
    assert result.exit_code == 0, result.output
    text = KeyedVectors.load_word2vec_format(str(out / "vectors.txt"))
    saved = KeyedVectors.load(str(out / "vectors.kv"))
    assert text.index_to_key == saved.index_to_key
    np.testing.assert_allclose(text.vectors, saved.vectors, atol=1e-6)

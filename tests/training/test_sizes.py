"""Impossible sizes: refused before allocating, with the estimate and the memory available;
memory that still runs out (a ulimit) ends in one `Error:` line too. Nothing is written."""

from __future__ import annotations

import resource
from collections import Counter

import numpy as np
import pytest

from embedcli.cli.app import app
from embedcli.training.config import TrainConfig, memory_parts
from tests.conftest import assert_one_error
from tests.processes import Child, assert_one_error_line, english_text, file_hashes

ENGLISH = ["--tokenizer", "english", "-w", "1", "--min-count", "1", "--epochs", "1", "-q"]


@pytest.fixture
def corpus(tmp_path, runner):
    """A small English corpus, already tokenized into the cache (train reuses the tokens)."""
    path = tmp_path / "en.txt"
    path.write_text(english_text(600), encoding="utf-8")
    result = runner.invoke(app, ["tokenize", "-c", str(path), "--tokenizer", "english", "-w", "1"])
    assert result.exit_code == 0, result.output
    return path


def distinct_words(path) -> int:
    return len(Counter(path.read_text(encoding="utf-8").split()))


GIB = 2**30


@pytest.mark.parametrize(
    ("options", "needle", "expected_gib"),
    [
        # word vectors + output weights (negative sampling): 2 x words x 1e8 x 4 bytes
        (["--vector-size", "100000000"], "x 100,000,000 dimensions", lambda v: 2 * v * 4e8),
        # the n-gram buckets alone: 2e9 x 100 x 4 bytes
        (
            ["--algo", "fasttext", "--bucket", "2000000000"],
            "and 2,000,000,000 n-gram buckets",
            lambda v: 2e9 * 400 + 3 * v * 400 + 500 * v,
        ),
        # W, W_ctx, their AdaGrad sums, W + W_ctx and its copy: 6 x words x 1e8 x 4 bytes
        (["--algo", "glove", "--vector-size", "100000000"], "glove on", lambda v: 6 * v * 4e8),
    ],
)
def test_impossible_sizes_are_refused_with_the_estimate(
    runner, tmp_path, corpus, options, needle, expected_gib
):
    words = distinct_words(corpus)
    before = file_hashes(tmp_path)
    result = runner.invoke(app, ["train", "-c", str(corpus), "-o", "model", *ENGLISH, *options])
    assert_one_error(result, f"on {words:,} words", needle, "available.")
    line = result.stderr
    estimate = expected_gib(words) / GIB
    shown = f"{estimate:,.0f} GiB" if estimate >= 100 else f"{estimate:.1f} GiB"
    assert f"needs about {shown} of memory" in line, (shown, line)
    assert file_hashes(tmp_path) == before  # no model, no marker, no lock, latest unchanged


def test_memory_that_runs_out_anyway_is_one_line(tmp_path, corpus):
    """The estimate fits the machine, but a ulimit -v of 4 GB does not: MemoryError in numpy."""
    words = distinct_words(corpus)
    assert words * 2_000_000 * 4 * 2 > 4 * 10**9  # two matrices do not fit the limit

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (4 * 10**9, 4 * 10**9))

    before = file_hashes(tmp_path)
    child = Child(
        ["train", "-c", str(corpus), "-o", "model", *ENGLISH, "--vector-size", "2000000"],
        cwd=tmp_path,
        preexec_fn=limit,
    )
    code, out, err = child.finish(120)
    assert_one_error_line(code, out, err, "Ran out of memory while training word2vec")
    assert file_hashes(tmp_path) == before


@pytest.mark.parametrize("algo", ["word2vec", "fasttext"])
def test_the_estimate_is_what_gensim_allocates(tmp_path, algo):
    """The parts of the estimate against the arrays of a real (small) model."""
    from gensim.models import FastText, Word2Vec

    corpus = tmp_path / "c.txt"
    corpus.write_text(english_text(3000), encoding="utf-8")
    config = TrainConfig(algo=algo, vector_size=16, min_count=1, bucket=1000, workers=1)
    if algo == "fasttext":
        model = FastText(corpus_file=str(corpus), vector_size=16, min_count=1, bucket=1000)
    else:
        model = Word2Vec(corpus_file=str(corpus), vector_size=16, min_count=1)
    parts = memory_parts(config, len(model.wv))
    if algo == "fasttext":
        assert parts["character n-gram buckets"] == model.wv.vectors_ngrams.nbytes
        assert parts["word vectors"] == model.wv.vectors.nbytes + model.wv.vectors_vocab.nbytes
    else:
        assert parts["word vectors"] == model.wv.vectors.nbytes
    assert parts["output weights"] == model.syn1neg.nbytes


def test_the_glove_estimate_counts_the_cooccurrences(tmp_path):
    from embedcli.training.glove import adagrad as glove_adagrad
    from embedcli.training.glove import cooccur as glove_cooccur
    from embedcli.training.glove import vocab as glove_vocab

    corpus = tmp_path / "c.txt"
    corpus.write_text(english_text(3000), encoding="utf-8")
    vocab = glove_vocab.build_vocab(corpus, min_count=1)
    cooc = glove_cooccur.count_cooccurrences(corpus, vocab, window=5, workers=1)
    config = TrainConfig(algo="glove", vector_size=16, min_count=1, workers=1)
    parts = memory_parts(config, len(vocab), len(cooc.values))
    order = np.arange(cooc.nnz, dtype=np.int32)
    held = cooc.rows.nbytes + cooc.cols.nbytes + cooc.values.nbytes + 2 * order.nbytes
    assert parts["co-occurrences"] == held
    model = glove_adagrad.train_glove(cooc, vector_size=16, epochs=1, workers=1)
    trained = model.W.nbytes + model.W_ctx.nbytes + model.gradsq_W.nbytes
    assert parts["word and context vectors with their AdaGrad state"] == (
        trained + model.gradsq_ctx.nbytes
    )

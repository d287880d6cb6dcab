"""Impossible training options: one `Error:` line, exit 2, and no work done.

Everything that can be known from the options alone is refused before the corpus is read or
tokenized (no token cache appears). An empty vocabulary is known only after counting: then
the tokens stay cached for the next run and no model directory appears.
"""

from __future__ import annotations

from collections import Counter

import pytest

from embedcli.cli.app import app

SENTENCES = [
    "the king rules the land and the queen rules the land",
    "a man walks and a woman walks in the land",
    "the king is a man and the queen is a woman",
]


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "en.txt"
    path.write_text("\n".join(SENTENCES * 20) + "\n", encoding="utf-8")
    return path


def train_args(corpus, *extra):
    return ["train", "-c", str(corpus), "--tokenizer", "english", "-w", "1", *extra]


def assert_usage_error(result, *needles):
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines[0]
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert "Traceback" not in result.output and "Usage:" not in result.output
    assert result.stdout == ""


@pytest.mark.parametrize(
    "options, needle",
    [
        (["--hs", "0", "--negative", "0"], "--hs 0 with --negative 0 leaves no training objective"),
        (["--workers", "0"], "--workers must be 1 or more"),
        (["--workers", "-4"], "--workers must be 1 or more"),
        (["--negative", "-1"], "--negative must be 0 or more"),
        (["--vector-size", "0"], "--vector-size must be at least 1"),
        (["--vector-size", "-100"], "--vector-size must be at least 1"),
        (["--window", "0"], "--window must be at least 1"),
        (["--epochs", "-1"], "--epochs must be at least 1"),
        (["--min-count", "0"], "--min-count must be at least 1"),
        (["--sample", "-0.1"], "--sample must be 0 (off)"),
        (["--alpha", "0"], "--alpha must be between 0 and 1"),
        (["--seed", "-1"], "--seed must be between 0 and 4294967295"),
        (["--algo", "fasttext", "--min-n", "5", "--max-n", "3"], "--max-n at least --min-n"),
        (["--algo", "fasttext", "--min-n", "0"], "--min-n must be at least 1"),
        (["--algo", "fasttext", "--bucket", "0"], "--bucket must be at least 1"),
        (["--algo", "glove", "--max-vocab", "0"], "--max-vocab must be at least 1"),
        (["--algo", "glove", "--x-max", "-5"], "--x-max must be positive"),
        (["--algo", "bert"], "--algo bert is not available"),
        (["--window", "0", "--epochs", "0"], "--window must be at least 1; --epochs must be"),
    ],
)
def test_impossible_options_stop_before_tokenizing(runner, tmp_path, corpus, options, needle):
    result = runner.invoke(app, train_args(corpus, *options))
    assert_usage_error(result, needle)
    assert not (tmp_path / "cache").exists()  # no token cache: nothing was tokenized
    assert not (tmp_path / "home").exists()


def test_tokenize_refuses_zero_workers_even_with_tokens_cached(runner, tmp_path, corpus):
    out = tmp_path / "tokens.txt"
    args = ["tokenize", "-c", str(corpus), "--tokenizer", "english", "-o", str(out)]
    first = runner.invoke(app, [*args, "-w", "1"])
    assert first.exit_code == 0, first.output
    before = out.read_bytes()
    result = runner.invoke(app, [*args, "-w", "0"])
    assert_usage_error(result, "--workers must be 1 or more")
    assert out.read_bytes() == before


@pytest.mark.parametrize("algo", ["word2vec", "fasttext", "glove"])
def test_min_count_above_every_count(runner, tmp_path, corpus, algo):
    most = max(Counter(" ".join(SENTENCES * 20).split()).values())
    out = tmp_path / "model"
    result = runner.invoke(
        app, train_args(corpus, "--algo", algo, "--min-count", "1000", "-o", str(out), "-q")
    )
    assert_usage_error(result, "vocabulary is empty", "most frequent", f"occurs {most} times")
    assert not out.exists()
    # no temporary directory, no lock file left
    assert list(tmp_path.glob("model*")) == list(tmp_path.glob(".model*")) == []
    cached = list((tmp_path / "cache").rglob("*.txt"))
    assert len(cached) == 1 and cached[0].stat().st_size > 0  # the tokens are kept

    again = runner.invoke(
        app, train_args(corpus, "--algo", algo, "--min-count", "2", "-o", str(out), "-q")
    )
    assert again.exit_code == 0, again.output
    assert (out / "model.json").is_file()
    assert list((tmp_path / "cache").rglob("*.txt")) == cached


def test_empty_vocabulary_with_the_default_output_leaves_no_models_directory(
    runner, tmp_path, corpus
):
    result = runner.invoke(app, train_args(corpus, "--min-count", "1000", "-q"))
    assert_usage_error(result, "--min-count")
    assert not (tmp_path / "home" / "models").exists()


def test_existing_output_is_refused_before_tokenizing(runner, tmp_path, corpus):
    out = tmp_path / "model"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = runner.invoke(app, train_args(corpus, "-o", str(out)))
    assert result.exit_code == 1, result.output
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert not (tmp_path / "cache").exists()
    assert not (tmp_path / "model.lock").exists()


@pytest.mark.parametrize(
    "args, needle, hint",
    [
        (["similar", "x", "--topn", "abc"], "Invalid value for '--topn'", "embedcli similar -h"),
        (["simlar", "x"], "No such command 'simlar'. Did you mean 'similar'", "embedcli -h"),
        (["train", "--bogus"], "No such option: --bogus", "embedcli train -h"),
        (["analogy"], "Missing argument", "embedcli analogy -h"),
        (["train", "--workers"], "Option '--workers' requires an argument", "embedcli -h"),
    ],
)
def test_parse_errors_are_one_line_not_a_usage_box(runner, args, needle, hint):
    result = runner.invoke(app, args, prog_name="embedcli")
    assert_usage_error(result, needle, f"See '{hint}'.")
    assert "╭" not in result.stderr


def test_no_arguments_still_prints_the_help(runner):
    result = runner.invoke(app, [], prog_name="embedcli")
    assert "Usage: embedcli [OPTIONS] COMMAND" in result.output
    assert "similar" in result.output and "Error" not in result.output


def test_the_console_script_gives_the_same_one_line(tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "embedcli", "similar", "x", "--topn", "abc"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "Error: Invalid value for '--topn' / '-n': 'abc' is not a valid int. "
        "See 'embedcli similar -h'."
    ]

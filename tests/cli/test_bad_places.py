"""Outputs that cannot be written where they should go: one `Error:` line naming the place,
exit 1, before any work, and every file left as it was.

These run `python -m embedcli` in a child that file permissions apply to
(`tests.processes.run_unprivileged`): as root, a read-only directory is writable, so a test run
by root with its privileges would prove nothing.
"""

from __future__ import annotations

import pytest

from tests.conftest import write_model_dir
from tests.processes import (
    assert_one_error_line,
    english_text,
    file_hashes,
    read_only,
    run_unprivileged,
)

ENGLISH = ["--tokenizer", "english", "-w", "1"]


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "en.txt"
    path.write_text(english_text(600), encoding="utf-8")
    return path


@pytest.fixture
def locked(tmp_path):
    """A read-only directory holding a user's file."""
    path = tmp_path / "locked"
    path.mkdir()
    (path / "mine.txt").write_text("keep me\n")
    return path


def run(tmp_path, args, *needles, env=None):
    """Run unprivileged; the one error line (and nothing else) must hold the needles, and
    tmp_path must be exactly as before."""
    before = file_hashes(tmp_path)
    done = run_unprivileged(args, cwd=tmp_path, env=env)
    line = assert_one_error_line(done.returncode, done.stdout, done.stderr, *needles)
    assert file_hashes(tmp_path) == before
    return line


@pytest.mark.parametrize(
    ("args", "what"),
    [
        (["train", "-c", "en.txt", *ENGLISH, "-o", "locked/model"], "model directory"),
        (["tokenize", "-c", "en.txt", *ENGLISH, "-o", "locked/tokens.txt"], "tokens file"),
        (["export-tsv", "-m", "toy", "-o", "locked/projector"], "export directory"),
    ],
)
def test_output_in_a_read_only_directory(tmp_path, corpus, locked, args, what):
    write_model_dir(tmp_path / "toy")
    with read_only(locked):
        run(
            tmp_path,
            args,
            f"Cannot write the {what} locked/",
            "locked is not writable (permission denied)",
            "Choose another --",
        )


def test_export_into_an_existing_read_only_directory(tmp_path, locked):
    write_model_dir(tmp_path / "toy")
    (locked / "mine.txt").unlink()  # an empty directory: a fine export directory, if writable
    with read_only(locked):
        run(
            tmp_path,
            ["export-tsv", "-m", "toy", "-o", "locked"],
            "Cannot write the export directory locked: locked is not writable",
        )


def test_evaluate_save_on_a_read_only_model_fails_before_scoring(tmp_path):
    model = write_model_dir(tmp_path / "toy")
    (tmp_path / "q.txt").write_text(": toy\nman king woman queen\n", encoding="utf-8")
    with read_only(model):
        line = run(
            tmp_path,
            ["evaluate", "toy", "--analogies", "q.txt", "--save"],
            "Cannot write the model card toy/model.json: toy is not writable",
            "Leave out --save",
        )
    assert "Traceback" not in line  # and no table was printed first (run checks stdout == "")


@pytest.mark.parametrize("kind", ["read-only", "file"])
@pytest.mark.parametrize("command", ["train", "tokenize"])
def test_cache_that_cannot_be_written(tmp_path, corpus, kind, command):
    cache = tmp_path / "cache"
    if kind == "file":
        cache.write_text("not a directory\n")
        needle = f"{cache} is a file, not a directory"
    else:
        cache.mkdir()
        needle = f"{cache} is not writable (permission denied)"
    with read_only(cache):
        run(
            tmp_path,
            [command, "-c", "en.txt", *ENGLISH],
            "Cannot write the tokens file",
            needle,
            f"Tokens are cached in the cache {cache} (set by EMBEDCLI_CACHE",
            env={"EMBEDCLI_CACHE": str(cache)},
        )


@pytest.mark.parametrize("kind", ["read-only", "file"])
@pytest.mark.parametrize("output", [[], ["-o", "model"]])
def test_data_home_that_cannot_be_written(tmp_path, corpus, kind, output):
    home = tmp_path / "home"
    if kind == "file":
        home.write_text("not a directory\n")
        needle = f"{home} is a file, not a directory"
    else:
        home.mkdir()
        needle = f"{home} is not writable (permission denied)"
    with read_only(home):
        run(
            tmp_path,
            ["train", "-c", "en.txt", *ENGLISH, *output],
            needle,
            f"the data home {home} (set by EMBEDCLI_HOME",
            env={"EMBEDCLI_HOME": str(home)},
        )


def test_queries_with_a_data_home_that_is_a_file(tmp_path):
    home = tmp_path / "home"
    home.write_text("not a directory\n")
    run(
        tmp_path,
        ["similar", "king"],
        f"There is no latest model: the data home {home} (set by EMBEDCLI_HOME",
        "is a file, not a directory. Pass --model PATH",
        env={"EMBEDCLI_HOME": str(home)},
    )

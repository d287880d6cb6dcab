"""`--force` replaces only what embedcli wrote, or an empty directory; nothing else is lost.

A user's folder, a regular file, a symbolic link, a model directory with a user's file in it,
a file without a tokens sidecar, a user's file where the sidecar goes, and a non-empty folder
given to export-tsv are all refused with one `Error:` line, before any work, and left
byte-for-byte as they were. What embedcli wrote is still replaced with --force.
"""

from __future__ import annotations

import json

import pytest

from embedcli.cli.app import app
from embedcli.store import model_dir as models
from tests.conftest import assert_one_error, write_model_dir
from tests.processes import english_text, file_hashes

TRAIN = ["--tokenizer", "english", "-w", "1", "--epochs", "1", "--min-count", "1", "-q"]
TOKENIZE = ["--tokenizer", "english", "-w", "1", "-q"]


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "en.txt"
    path.write_text(english_text(600), encoding="utf-8")
    return path


def user_folder(path):
    path.mkdir(parents=True)
    (path / "main.py").write_text("print('my project')\n")
    (path / "data").mkdir()
    (path / "data" / "notes.txt").write_text("keep me\n")
    return path


def refused(runner, tmp_path, args, *needles):
    """Run; one Error line with the needles, exit 1, and tmp_path exactly as before."""
    before = file_hashes(tmp_path)
    result = runner.invoke(app, args)
    assert_one_error(result, *needles)
    assert file_hashes(tmp_path) == before  # no cache, no lock, no marker, nothing replaced
    return result


# --- train -o --------------------------------------------------------------------------------


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_train_never_replaces_a_users_folder(runner, tmp_path, corpus, force):
    out = user_folder(tmp_path / "my_project")
    refused(
        runner,
        tmp_path,
        ["train", "-c", str(corpus), "-o", str(out), *TRAIN, *force],
        f"Model directory {out} already exists and is not one embedcli wrote",
        "it holds data and main.py and no model.json",
        "will not replace it, even with --force",
    )


def test_train_never_replaces_a_regular_file(runner, tmp_path, corpus):
    out = tmp_path / "report.txt"
    out.write_text("my report\n")
    refused(
        runner,
        tmp_path,
        ["train", "-c", str(corpus), "-o", str(out), *TRAIN, "--force"],
        "it is a file, not a model directory",
    )


def test_train_never_replaces_a_model_directory_holding_a_users_file(runner, tmp_path, corpus):
    out = write_model_dir(tmp_path / "model")
    (out / "my notes.txt").write_text("results of last week\n")
    refused(
        runner,
        tmp_path,
        ["train", "-c", str(corpus), "-o", str(out), *TRAIN, "--force"],
        "it holds 'my notes.txt' besides the model's files",
    )


def test_train_never_replaces_a_symbolic_link(runner, tmp_path, corpus):
    target = write_model_dir(tmp_path / "model")
    link = tmp_path / "link"
    link.symlink_to(target)
    refused(
        runner,
        tmp_path,
        ["train", "-c", str(corpus), "-o", str(link), *TRAIN, "--force"],
        f"a symbolic link to {target}",
    )


@pytest.mark.parametrize("earlier", ["model", "empty"])
def test_train_force_still_replaces_a_model_or_an_empty_directory(
    runner, tmp_path, corpus, earlier
):
    out = tmp_path / "model"
    if earlier == "model":
        write_model_dir(out)
    else:
        out.mkdir()
    result = runner.invoke(app, ["train", "-c", str(corpus), "-o", str(out), *TRAIN, "--force"])
    assert result.exit_code == 0, result.output
    card = json.loads((out / models.CARD_FILE).read_text(encoding="utf-8"))
    assert card["algo"] == "word2vec"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [models.CARD_FILE, *card["files"].values(), "index"]
    )


# --- tokenize -o -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_tokenize_never_replaces_what_has_no_sidecar(runner, tmp_path, corpus, kind):
    out = tmp_path / "tokens.txt"
    if kind == "file":
        out.write_text("my own tokens\n")
        needle = "a file without the tokens.txt.json sidecar"
    else:
        user_folder(out)
        needle = "it is a directory"
    refused(
        runner,
        tmp_path,
        ["tokenize", "-c", str(corpus), "-o", str(out), *TOKENIZE, "--force"],
        f"Tokens file {out} already exists and is not one embedcli wrote",
        needle,
    )


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_tokenize_never_replaces_a_users_file_where_the_sidecar_goes(
    runner, tmp_path, corpus, force
):
    (tmp_path / "tokens.json").write_text('{"my": "settings"}\n')
    refused(
        runner,
        tmp_path,
        ["tokenize", "-c", str(corpus), "-o", str(tmp_path / "tokens"), *TOKENIZE, *force],
        f"{tmp_path / 'tokens.json'} already exists and is not a tokens sidecar embedcli wrote",
    )


def test_tokenize_force_still_replaces_its_own_tokens(runner, tmp_path, corpus):
    out = tmp_path / "tokens.txt"
    first = runner.invoke(app, ["tokenize", "-c", str(corpus), "-o", str(out), *TOKENIZE])
    assert first.exit_code == 0, first.output
    corpus.write_text(english_text(300, seed=1), encoding="utf-8")
    again = runner.invoke(app, ["tokenize", "-c", str(corpus), "-o", str(out), *TOKENIZE, "-f"])
    assert again.exit_code == 0, again.output
    assert out.read_text(encoding="utf-8").split() == corpus.read_text().split()


# --- export-tsv -o ---------------------------------------------------------------------------


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_export_never_writes_into_a_users_folder(runner, tmp_path, toy_model, force):
    out = user_folder(tmp_path / "my_project")
    refused(
        runner,
        tmp_path,
        ["export-tsv", "-o", str(out), "-q", *force],
        f"Output directory {out} already holds files that are not an export (data and main.py)",
        "choose a new or empty --output-dir",
    )


def test_export_force_still_replaces_an_earlier_export(runner, tmp_path, toy_model):
    out = tmp_path / "empty"
    out.mkdir()
    first = runner.invoke(app, ["export-tsv", "-o", str(out), "-q"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["export-tsv", "-o", str(out), "-q", "--top-n", "2", "--force"])
    assert again.exit_code == 0, again.output
    assert len((out / "metadata.tsv").read_text(encoding="utf-8").splitlines()) == 2

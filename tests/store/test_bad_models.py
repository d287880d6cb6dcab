"""Bad --model / MODEL inputs: every one is one `Error:` line and no output, or is read.

Covers paths that are not models, damaged model directories, other model formats, and
vectors files of other tools (word2vec text/binary, GloVe text, gensim pickles), which are
read as read-only models when their format is unambiguous.
"""

from __future__ import annotations

import gzip
import json
import pickle
import shutil
import struct

import numpy as np
import pytest

from embedcli.cli.app import app
from embedcli.store import model_dir as models
from embedcli.store import trust
from tests.conftest import TOY_VECTORS, assert_one_error, keyed_vectors, write_model_dir

WORDS = list(TOY_VECTORS)
MATRIX = np.array([TOY_VECTORS[w] for w in WORDS], dtype=np.float32)

# Each command given the model path the way it takes it, plus a query its vectors can answer.
COMMANDS = {
    "similar": lambda m: ["similar", "king", "--model", str(m)],
    "analogy": lambda m: ["analogy", "man", "king", "woman", "--model", str(m)],
    "vector": lambda m: ["vector", "king", "--model", str(m)],
    "export-tsv": lambda m: ["export-tsv", "-o", "projector", "--model", str(m)],
    "evaluate": lambda m: ["evaluate", str(m)],
}


def run_everywhere(runner, tmp_path, path, *needles):
    """Run every model-taking command on `path`; each fails alike and writes nothing."""
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    for command, argv in COMMANDS.items():
        result = runner.invoke(app, argv(path))
        assert_one_error(result, *needles)
        assert not (tmp_path / "projector").exists(), command
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


# --- word2vec / GloVe files, written by gensim and numpy --------------------------------------


def kv_of_toy():
    return keyed_vectors(TOY_VECTORS)


def write_word2vec_text(path):
    kv_of_toy().save_word2vec_format(str(path), binary=False)
    return path


def write_word2vec_binary(path):
    kv_of_toy().save_word2vec_format(str(path), binary=True)
    return path


def write_glove_text(path, words=WORDS, matrix=MATRIX):
    with open(path, "w", encoding="utf-8") as handle:
        for word, row in zip(words, matrix, strict=True):
            handle.write(word + " " + " ".join(f"{x:.6f}" for x in row) + "\n")
    return path


WRITERS = {
    "word2vec text": write_word2vec_text,
    "word2vec binary": write_word2vec_binary,
    "GloVe text": write_glove_text,
}


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_foreign_vectors_are_read_as_a_read_only_model(runner, tmp_path, fmt):
    path = WRITERS[fmt](tmp_path / "vectors.data")
    result = runner.invoke(
        app, ["analogy", "man", "king", "woman", "--model", str(path), "--format", "tsv"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1].split("\t")[1] == "queen"
    assert result.stderr.strip().startswith(f"Note: Read {fmt} vectors from {path} (no model card)")


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_foreign_vectors_keep_every_word_and_number(runner, tmp_path, fmt):
    path = WRITERS[fmt](tmp_path / "vectors.data")
    result = runner.invoke(app, ["vector", *WORDS, "--model", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["results"]
    assert [r["word"] for r in rows] == WORDS
    np.testing.assert_allclose([r["vector"] for r in rows], MATRIX, atol=1e-6)


def test_gzipped_word2vec_text_is_read(runner, tmp_path):
    plain = write_word2vec_text(tmp_path / "plain.txt")
    path = tmp_path / "vectors.txt.gz"
    path.write_bytes(gzip.compress(plain.read_bytes()))
    result = runner.invoke(app, ["similar", "최민식", "--model", str(path), "--format", "tsv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1].split("\t")[1] == "최민수"
    assert "Read word2vec text vectors" in result.stderr


def test_glove_word_with_spaces_keeps_its_numbers(runner, tmp_path):
    words = ["a b", "c", "d"]
    path = write_glove_text(tmp_path / "glove.txt", words, MATRIX[:3])
    result = runner.invoke(app, ["vector", "a b", "--model", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["results"][0]["vector"] == pytest.approx(MATRIX[0].tolist())


def test_foreign_vectors_export_to_the_projector(runner, tmp_path):
    path = write_glove_text(tmp_path / "vectors.glove.txt")
    result = runner.invoke(app, ["export-tsv", "--model", str(path)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "vectors.glove-projector"
    assert (out / "metadata.tsv").read_text(encoding="utf-8").splitlines() == WORDS


def test_evaluate_reads_foreign_vectors_but_cannot_save_into_them(runner, tmp_path):
    path = write_word2vec_text(tmp_path / "vectors.txt")
    questions = tmp_path / "q.txt"
    questions.write_text(": royal\nman king woman queen\n", encoding="utf-8")
    result = runner.invoke(app, ["evaluate", str(path), "--analogies", str(questions)])
    assert result.exit_code == 0, result.output
    assert "1/1" in result.stdout
    before = path.read_bytes()
    saved = runner.invoke(
        app, ["evaluate", str(path), "--analogies", str(questions), "--save", "-q"]
    )
    assert_one_error(saved, "--save", "vectors file without one")
    assert path.read_bytes() == before
    assert not (tmp_path / "model.json").exists()


def test_gensim_full_model_outside_a_model_directory(runner, tmp_path):
    from gensim.models import Word2Vec

    sentences = [["king", "queen", "man", "woman"], ["apple", "king", "queen"]] * 20
    model = Word2Vec(sentences, vector_size=8, min_count=1, workers=1, epochs=2, seed=1)
    path = tmp_path / "model.gensim"
    model.save(str(path))
    # A pickle from elsewhere is opened only after `embedcli import --trust` (see tests/store/
    # test_pretrained.py); the model.gensim `train` writes is recorded as trusted.
    run_everywhere(runner, tmp_path, path, "is a Python pickle", "import --trust")
    trust.record(path)
    result = runner.invoke(app, ["similar", "king", "--model", str(path), "--format", "tsv"])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 5  # header + the other four words
    assert f"Note: Read gensim vectors from {path} (no model card)" in result.stderr


@pytest.mark.parametrize("name", [models.CARD_FILE, models.VECTORS_FILE])
def test_a_file_of_a_model_directory_reads_the_directory(runner, tmp_path, name):
    model_dir = write_model_dir(tmp_path / "toy")
    result = runner.invoke(app, ["similar", "king", "--model", str(model_dir / name)])
    assert result.exit_code == 0, result.output
    assert f"{name} is part of the model directory {model_dir}; reading that." in result.stderr
    assert "model toy" in result.stdout


# --- not a model ----------------------------------------------------------------------------


def test_missing_path(runner, tmp_path):
    run_everywhere(runner, tmp_path, tmp_path / "nope", "does not exist", "embedcli train")


def test_directory_without_card(runner, tmp_path):
    (tmp_path / "empty").mkdir()
    run_everywhere(runner, tmp_path, tmp_path / "empty", "not an embedcli model directory")


def test_directory_without_card_points_at_its_vectors_file(runner, tmp_path):
    directory = tmp_path / "downloaded"
    directory.mkdir()
    write_word2vec_text(directory / "vectors.txt")
    run_everywhere(runner, tmp_path, directory, "no model.json", str(directory / "vectors.txt"))


@pytest.mark.parametrize(
    "content",
    [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), b"hello world\nthis is text\n"],
    ids=["binary", "text"],
)
def test_random_file(runner, tmp_path, content):
    path = tmp_path / "random.dat"
    path.write_bytes(content)
    run_everywhere(runner, tmp_path, path, "is not a model or a vectors file", "model.json")


def test_empty_file(runner, tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    run_everywhere(runner, tmp_path, path, "is empty")


def test_word_count_list_is_not_vectors(runner, tmp_path):
    path = tmp_path / "counts.txt"
    path.write_text("the 1200\nof 800\nand 650\n", encoding="utf-8")
    run_everywhere(runner, tmp_path, path, "one number per word")


def test_facebook_fasttext_binary(runner, tmp_path):
    path = tmp_path / "cc.en.300.bin"
    path.write_bytes(struct.pack("<ii", 793712314, 12) + bytes(64))
    run_everywhere(runner, tmp_path, path, "fastText binary model but cannot be read", ".vec")


def test_pickle_that_is_not_gensim(runner, tmp_path):
    path = tmp_path / "thing.pkl"
    path.write_bytes(pickle.dumps({"king": [1.0, 2.0]}, protocol=4))
    run_everywhere(runner, tmp_path, path, "is a Python pickle that embedcli did not write")
    trust.record(path)
    run_everywhere(runner, tmp_path, path, "is a Python pickle but not one gensim can load")


def test_gensim_object_without_vectors(runner, tmp_path):
    from gensim.corpora import Dictionary

    path = tmp_path / "dictionary.gensim"
    Dictionary([["king", "queen"]]).save(str(path))
    trust.record(path)
    run_everywhere(runner, tmp_path, path, "is a gensim Dictionary, which holds no word vectors")


# --- damaged model directories ----------------------------------------------------------------


def damaged(tmp_path, card_change=None, card_text=None):
    model_dir = write_model_dir(tmp_path / "toy")
    card_path = model_dir / models.CARD_FILE
    if card_change:
        card = json.loads(card_path.read_text(encoding="utf-8"))
        card_change(card)
        card_path.write_text(json.dumps(card), encoding="utf-8")
    if card_text is not None:
        card_path.write_text(card_text, encoding="utf-8")
    return model_dir


def test_truncated_vectors(runner, tmp_path):
    model_dir = write_model_dir(tmp_path / "toy", indexed=False)
    kv_path = model_dir / models.VECTORS_FILE
    kv_path.write_bytes(kv_path.read_bytes()[: kv_path.stat().st_size // 2])
    trust.record(kv_path)  # the damage is not a replacement: the test says to trust it
    run_everywhere(runner, tmp_path, model_dir, "damaged or truncated", "Train it again")


def test_truncated_query_index(runner, tmp_path):
    model_dir = damaged(tmp_path)
    npy = model_dir / "index" / "vectors.npy"
    npy.write_bytes(npy.read_bytes()[:-16])
    run_everywhere(runner, tmp_path, model_dir, "query index", "is damaged")


def test_truncated_separate_vectors_array(runner, tmp_path):
    from gensim.models import KeyedVectors

    model_dir = write_model_dir(tmp_path / "toy", indexed=False)
    kv_path = model_dir / models.VECTORS_FILE
    kv = KeyedVectors.load(str(kv_path))
    kv.save(str(kv_path), sep_limit=0)  # the array in vectors.kv.vectors.npy, as for big models
    npy = model_dir / "vectors.kv.vectors.npy"
    npy.write_bytes(npy.read_bytes()[:-16])
    trust.record(kv_path)
    run_everywhere(runner, tmp_path, model_dir, "damaged or truncated")


@pytest.mark.parametrize(
    "card_text, needle",
    [
        ("{not json", "is damaged"),
        ("", "is damaged"),
        ("[1, 2]", "not a JSON object"),
        ('{"files": {"vectors": "vectors.kv"}}', "names no valid model format (None)"),
        ('{"format": "1"}', "names no valid model format ('1')"),
    ],
    ids=["garbage", "empty", "list", "no-format", "string-format"],
)
def test_damaged_card(runner, tmp_path, card_text, needle):
    model_dir = damaged(tmp_path, card_text=card_text)
    run_everywhere(runner, tmp_path, model_dir, needle)


def test_card_pointing_to_a_missing_file(runner, tmp_path):
    model_dir = damaged(tmp_path, lambda c: c["files"].update(vectors="gone.kv"))
    run_everywhere(runner, tmp_path, model_dir, "is incomplete: gone.kv", "is missing")


def test_card_pointing_outside_the_directory(runner, tmp_path):
    write_model_dir(tmp_path / "elsewhere")
    model_dir = damaged(tmp_path, lambda c: c["files"].update(vectors="../elsewhere/vectors.kv"))
    run_everywhere(runner, tmp_path, model_dir, "names no vectors file inside the model directory")


def test_card_and_vectors_disagree(runner, tmp_path):
    model_dir = damaged(tmp_path, lambda c: c.update(vector_size=300))
    run_everywhere(runner, tmp_path, model_dir, "says 300 dimensions but", "has 4")


def test_newer_model_format(runner, tmp_path):
    model_dir = damaged(tmp_path, lambda c: c.update(format=models.MODEL_FORMAT + 1))
    run_everywhere(
        runner,
        tmp_path,
        model_dir,
        f"written by a newer embedcli (model format {models.MODEL_FORMAT + 1})",
        "Upgrade embedcli",
    )


def test_older_model_format_says_how_to_convert(runner, tmp_path):
    model_dir = damaged(tmp_path, lambda c: c.update(format=0))
    run_everywhere(runner, tmp_path, model_dir, "model format 0, older than", "train the model")
    write_word2vec_text(model_dir / models.WORD2VEC_TEXT_FILE)
    run_everywhere(runner, tmp_path, model_dir, f"pass {model_dir / 'vectors.txt'}")


def test_latest_model_damaged_after_training(runner, tmp_path):
    model_dir = damaged(tmp_path, card_text="{")
    models.set_latest(model_dir)
    result = runner.invoke(app, ["similar", "king"])
    assert_one_error(result, "model.json is damaged")


# --- damaged or ambiguous vectors files --------------------------------------------------------


def test_word2vec_text_truncated(runner, tmp_path):
    path = write_word2vec_text(tmp_path / "vectors.txt")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-2]), encoding="utf-8")
    run_everywhere(runner, tmp_path, path, "is truncated", "promises 8 words", "holds 6")


def test_word2vec_text_with_more_lines_than_its_header(runner, tmp_path):
    path = write_word2vec_text(tmp_path / "vectors.txt")
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("extra 1 2 3 4\n")
    run_everywhere(runner, tmp_path, path, "has more lines than it says", "holds 9")


def test_word2vec_text_cut_in_a_line(runner, tmp_path):
    path = write_word2vec_text(tmp_path / "vectors.txt")
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.rindex(" ")] + "\n", encoding="utf-8")
    run_everywhere(runner, tmp_path, path, "vectors of 4 numbers, but line 9 has 3")


def test_word2vec_header_then_not_vectors(runner, tmp_path):
    path = tmp_path / "vectors.txt"
    path.write_text("2 4\nthis is not a vector\nneither is this\n", encoding="utf-8")
    run_everywhere(runner, tmp_path, path, "starts with a word2vec header", "damaged")


def test_word2vec_binary_truncated(runner, tmp_path):
    path = write_word2vec_binary(tmp_path / "vectors.bin")
    path.write_bytes(path.read_bytes()[:-10])
    run_everywhere(runner, tmp_path, path, "is truncated", "binary header promises more words")


def test_word2vec_binary_with_trailing_data(runner, tmp_path):
    path = write_word2vec_binary(tmp_path / "vectors.bin")
    path.write_bytes(path.read_bytes() + b"junk" * 40)
    run_everywhere(runner, tmp_path, path, "holds 160 bytes more than the 8 words")


def test_glove_lines_of_different_lengths(runner, tmp_path):
    path = tmp_path / "glove.txt"
    path.write_text("a 1 2 3\nb 1 2\nc 1 2 3\n", encoding="utf-8")
    run_everywhere(runner, tmp_path, path, "lines hold different numbers of values (2, 3)")


def test_glove_bad_line_past_the_sniffed_head(runner, tmp_path):
    words = [f"w{i}" for i in range(80)]
    matrix = np.arange(80 * 4, dtype=np.float32).reshape(80, 4)
    path = write_glove_text(tmp_path / "glove.txt", words, matrix)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[69] = "w69 1.0 2.0 x 4.0\n"
    path.write_text("".join(lines), encoding="utf-8")
    run_everywhere(runner, tmp_path, path, "line 70 holds something other than numbers")


def test_glove_with_a_repeated_word(runner, tmp_path):
    path = write_glove_text(tmp_path / "glove.txt", ["a", "b", "a"], MATRIX[:3])
    run_everywhere(runner, tmp_path, path, "holds the word 'a' more than once")


def test_vectors_not_utf8(runner, tmp_path):
    path = write_glove_text(tmp_path / "glove.txt", ["a", "b", "c"], MATRIX[:3])
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join([*lines, b"d" + b"\xff 1 2 3 4\n"]))
    run_everywhere(runner, tmp_path, path, "line 4 is not UTF-8")


def test_export_keeps_an_existing_output_directory_untouched(runner, tmp_path):
    out = tmp_path / "projector"
    out.mkdir()
    (out / "tensor.tsv").write_text("precious\n")
    model_dir = damaged(tmp_path, card_text="{")
    result = runner.invoke(
        app, ["export-tsv", "-o", str(out), "--force", "--model", str(model_dir)]
    )
    assert_one_error(result, "is damaged")
    assert [p.name for p in out.iterdir()] == ["tensor.tsv"]
    assert (out / "tensor.tsv").read_text() == "precious\n"


def test_model_dir_moved_after_being_read(runner, tmp_path):
    """The latest pointer outlives its model: one line saying to train again."""
    model_dir = write_model_dir(tmp_path / "toy")
    models.set_latest(model_dir)
    shutil.rmtree(model_dir)
    result = runner.invoke(app, ["vector", "king"])
    assert_one_error(result, "no longer exists", "embedcli train")

"""Messages that used to send the user the wrong way: each is now one `Error:` line that says
what is really wrong (an empty zip, a link leading nowhere, a file named .gz that is not
gzip, a forced --corpus-format, a word with no close spelling, an empty or huge word), and
nothing is written."""

from __future__ import annotations

import zipfile

import pytest

from embedcli.cli.app import app
from tests.conftest import assert_one_error
from tests.processes import file_hashes

TSV = "id\tdocument\tlabel\n1\tgood movie\t1\n2\tbad movie\t0\n"
TOKENIZE = ["--tokenizer", "english", "-w", "1"]


def refused(runner, tmp_path, args, *needles, code=1):
    before = file_hashes(tmp_path)
    result = runner.invoke(app, args)
    assert_one_error(result, *needles, code=code)
    assert file_hashes(tmp_path) == before
    return result.stderr.strip()


# --- corpus files ----------------------------------------------------------------------------


def test_an_empty_zip_is_called_an_empty_zip(runner, tmp_path):
    zipfile.ZipFile(tmp_path / "reviews.zip", "w").close()
    line = refused(
        runner,
        tmp_path,
        ["tokenize", "-c", "reviews.zip", *TOKENIZE],
        "a zip archive with no files",
    )
    assert "NUL" not in line and "binary" not in line


@pytest.mark.parametrize("option", ["-c", "--model"])
def test_a_symlink_loop_is_named(runner, tmp_path, option):
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    command = ["tokenize", "-c", "a"] if option == "-c" else ["similar", "king", "--model", "a"]
    refused(runner, tmp_path, command, "'a' is a symbolic link that loops (a -> b -> a")


@pytest.mark.parametrize("option", ["-c", "--model"])
def test_a_broken_symlink_says_where_it_points(runner, tmp_path, option):
    (tmp_path / "link").symlink_to("moved/reviews.tsv")
    command = ["tokenize", "-c", "link"] if option == "-c" else ["similar", "king", "-m", "link"]
    refused(
        runner,
        tmp_path,
        command,
        "'link' is a symbolic link to moved/reviews.tsv, which does not exist: fix the link",
    )


def test_a_name_too_long_is_said_so_and_cut(runner, tmp_path):
    line = refused(
        runner, tmp_path, ["tokenize", "-c", "x" * 5000], "a name too long for the file system"
    )
    assert "(5,000 characters)" in line and len(line) < 500


@pytest.mark.parametrize(
    ("name", "data", "needle"),
    [
        ("reviews.tsv.gz", bytes(range(1, 256)) * 8, "is named .gz but is not a gzip file"),
        ("reviews.zip", bytes(range(1, 256)) * 8, "is named .zip but is not a zip file"),
        # bzip2 is read since issue 18 (Wikipedia dumps): broken bzip2 data is "damaged"
        ("reviews.tsv.bz2", b"BZh91AY&SY" + bytes(range(128, 256)), "is damaged"),
        ("reviews.tsv.xz", b"\xfd7zXZ\x00" + bytes(range(128, 256)), "is xz-compressed"),
    ],
)
def test_compression_that_is_not_what_the_name_says(runner, tmp_path, name, data, needle):
    (tmp_path / name).write_bytes(data)
    line = refused(runner, tmp_path, ["tokenize", "-c", name, *TOKENIZE], needle)
    assert "UTF-8" not in line


def test_a_forced_ted_xml_blames_the_option(runner, tmp_path):
    (tmp_path / "reviews.tsv").write_text(TSV, encoding="utf-8")
    line = refused(
        runner,
        tmp_path,
        ["tokenize", "-c", "reviews.tsv", "--corpus-format", "ted-xml", *TOKENIZE],
        "--corpus-format ted-xml reads TED-talk XML, but reviews.tsv is not XML",
        "leave out --corpus-format to read it as tsv",
    )
    assert "well-formed" not in line


def test_a_forced_tsv_on_a_file_without_tabs_blames_the_option(runner, tmp_path):
    (tmp_path / "notes.txt").write_text("good movie\nbad movie\n", encoding="utf-8")
    refused(
        runner,
        tmp_path,
        ["tokenize", "-c", "notes.txt", "--corpus-format", "tsv", *TOKENIZE],
        "--corpus-format tsv reads tab-separated rows, but notes.txt has no tab",
        "read it as text",
    )


def test_a_forced_tsv_of_one_named_column_still_works(runner, tmp_path):
    (tmp_path / "one.tsv").write_text("document\ngood movie\nbad movie\n", encoding="utf-8")
    result = runner.invoke(app, ["tokenize", "-c", "one.tsv", "--corpus-format", "tsv", *TOKENIZE])
    assert result.exit_code == 0, result.output


# --- query words -----------------------------------------------------------------------------


def test_an_unknown_word_without_close_spellings_says_what_to_do(runner, tmp_path, toy_model):
    refused(
        runner,
        tmp_path,
        ["similar", "zebra"],
        "'zebra' is not in the vocabulary of toy (8 words). No word in it is spelt close to it.",
        f"`embedcli export-tsv --model {toy_model}` writes every word to metadata.tsv",
        "a FastText model (`embedcli train --algo fasttext`) also answers words it never saw",
    )


@pytest.mark.parametrize("word", ["", "   "])
@pytest.mark.parametrize("command", ["similar", "vector", "analogy"])
def test_an_empty_word_is_a_usage_error(runner, tmp_path, toy_model, command, word):
    words = [word] if command != "analogy" else ["man", "king", word]
    line = refused(runner, tmp_path, [command, *words], f"The query word {word!r} is empty", code=2)
    assert "vocabulary" not in line


@pytest.mark.parametrize("command", ["similar", "vector"])
def test_a_huge_word_is_cut_in_the_message(runner, tmp_path, toy_model, command):
    line = refused(runner, tmp_path, [command, "가" * 20_000], "(20,000 characters)")
    assert len(line) < 500 and "가" * 61 not in line


def test_a_huge_option_value_is_cut_in_the_message(runner, tmp_path):
    (tmp_path / "reviews.tsv").write_text(TSV, encoding="utf-8")
    line = refused(
        runner,
        tmp_path,
        ["tokenize", "-c", "reviews.tsv", "--text-column", "d" * 20_000],
        "(20,000 characters) is not a column of reviews.tsv",
    )
    assert len(line) < 500

"""Bad corpus input through the CLI: one `Error: ...` line, exit 1, nothing written.

Every refusal is checked three ways: `tokenize` into the token cache, `tokenize --output`
over an existing file with --force, and `train --output` over an existing model directory
with --force. Afterwards the whole tmp_path (cache, data home, outputs) must be exactly as
before: no new files or directories, no existing file changed. The inputs that are read
with a note instead (CP949, UTF-8 with a BOM, UTF-16 with a BOM) and the very long lines
are checked for what they produce.
"""

from __future__ import annotations

import builtins
import gzip
import json
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from embedcli.cli.app import app
from embedcli.tokens.runner import MAX_CHUNK_CHARS
from tests.processes import assert_one_error_line, file_hashes, run_unprivileged

KOREAN = ["정말 재미있는 영화", "배우 연기가 좋았다", "다시 보고 싶은 영화"]
TSV = "id\tdocument\tlabel\n" + "".join(f"{i}\t{d}\t1\n" for i, d in enumerate(KOREAN))
ENGLISH_WORDS = " ".join(KOREAN).split()  # what --tokenizer english makes of them


# --- helpers ---------------------------------------------------------------------------------


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and directory (None) under root."""
    return {
        str(p.relative_to(root)): (None if p.is_dir() else p.read_bytes())
        for p in sorted(root.rglob("*"))
    }


def write(path: Path, data: bytes | str) -> Path:
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


COMMANDS = ["tokenize", "tokenize-output", "train-output"]


def command_args(command: str, corpus: str, tmp_path: Path) -> list[str]:
    """The command line for one way of running a corpus, creating the existing output."""
    if command == "tokenize":
        return ["tokenize", "-c", corpus, "-w", "1"]
    if command == "tokenize-output":
        out = tmp_path / "out" / "tokens.txt"
        out.parent.mkdir(exist_ok=True)
        out.write_text("old tokens\n", encoding="utf-8")
        (out.parent / "tokens.txt.json").write_text("{}", encoding="utf-8")
        return ["tokenize", "-c", corpus, "-o", str(out), "--force", "-w", "1"]
    model = tmp_path / "models" / "old"
    model.mkdir(parents=True, exist_ok=True)
    (model / "model.json").write_text('{"algo": "old"}', encoding="utf-8")
    return ["train", "-c", corpus, "-o", str(model), "--force", "-w", "1", "--epochs", "1"]


def refuse(runner, tmp_path, command, corpus, *extra, exit_code=1):
    """Run `command` on `corpus`; assert it failed cleanly and left tmp_path untouched.

    Returns the one error line (the last on stderr; only notes may come before it).
    """
    args = [*command_args(command, str(corpus), tmp_path), *extra]
    before = snapshot(tmp_path)
    result = runner.invoke(app, args)
    assert result.exit_code == exit_code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.stdout == ""
    after = snapshot(tmp_path)
    assert after == before, set(after) ^ set(before) or "an existing file changed"
    if exit_code != 1:
        return result.stderr
    *notes, error = result.stderr.strip().splitlines()
    assert error.startswith("Error: "), result.stderr
    assert all(line.startswith("Note: ") for line in notes), result.stderr  # a guessed encoding
    return error


def tokenize_ok(runner, tmp_path, corpus, *extra, cache=False):
    """Tokenize with the English tokenizer (no JVM) to tokens.txt (or the token cache);
    the tokens and stderr."""
    args = ["tokenize", "-c", str(corpus), "--tokenizer", "english", "-w", "1", *extra]
    if not cache:
        args += ["-o", str(tmp_path / "tokens.txt"), "-f"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    out = Path(result.stdout.strip())
    return out.read_text(encoding="utf-8").split(), result.stderr


# --- files that are not there or cannot be read ---------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_missing_file(runner, tmp_path, command):
    line = refuse(runner, tmp_path, command, tmp_path / "nope.tsv")
    assert "neither a file nor a known corpus name" in line and "nope.tsv" in line


@pytest.mark.parametrize("command", COMMANDS)
def test_directory(runner, tmp_path, command):
    (tmp_path / "corpus").mkdir()
    line = refuse(runner, tmp_path, command, tmp_path / "corpus")
    assert "is a directory" in line and "give the path of a TSV or text file" in line


@pytest.mark.parametrize("command", COMMANDS)
def test_empty_file(runner, tmp_path, command):
    line = refuse(runner, tmp_path, command, write(tmp_path / "empty.tsv", b""))
    assert "is empty (0 bytes)" in line


@pytest.mark.parametrize("command", COMMANDS)
def test_empty_once_decompressed(runner, tmp_path, command):
    line = refuse(runner, tmp_path, command, write(tmp_path / "e.txt.gz", gzip.compress(b"")))
    assert "is empty once decompressed" in line


@pytest.mark.parametrize("command", COMMANDS)
def test_whitespace_only_file(runner, tmp_path, command):
    line = refuse(runner, tmp_path, command, write(tmp_path / "blank.txt", " \n\n\t\n"))
    assert "has no documents: all 3 rows were skipped (3 empty document)" in line


def test_unreadable_file(tmp_path):
    """chmod 000 for real, read by a process that file permissions apply to (as root, with
    root's capabilities dropped: root would read any file)."""
    corpus = write(tmp_path / "locked.tsv", TSV)
    before = file_hashes(tmp_path)
    corpus.chmod(0)
    try:
        done = run_unprivileged(["tokenize", "--corpus", str(corpus)], cwd=tmp_path)
    finally:
        corpus.chmod(0o644)
    line = assert_one_error_line(done.returncode, done.stdout, done.stderr)
    assert "is not readable: check its permissions" in line
    assert file_hashes(tmp_path) == before  # no token file, no lock, nothing left


@pytest.mark.parametrize("command", COMMANDS)
def test_unreadable_file_simulated(runner, tmp_path, monkeypatch, command):
    """As chmod 000 does for anyone but root: every open of the corpus is refused."""
    corpus = write(tmp_path / "locked.tsv", TSV)
    real_open = builtins.open

    def guarded_open(file, *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and Path(file).name == "locked.tsv":
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    line = refuse(runner, tmp_path, command, corpus)
    assert "locked.tsv is not readable: check its permissions" in line


# --- encodings --------------------------------------------------------------------------------


def test_cp949_korean_is_read_with_a_note(runner, tmp_path):
    utf8, _ = tokenize_ok(runner, tmp_path, write(tmp_path / "u.tsv", TSV))
    tokens, stderr = tokenize_ok(runner, tmp_path, write(tmp_path / "k.tsv", TSV.encode("cp949")))
    assert tokens == utf8 == ENGLISH_WORDS
    assert "Note: k.tsv is not UTF-8 but reads as Korean CP949 (EUC-KR)" in stderr
    assert "--encoding cp949" in stderr
    sidecar = json.loads((tmp_path / "tokens.txt.json").read_text(encoding="utf-8"))
    assert sidecar["source"]["encoding"] == "cp949"


def test_euc_kr_with_encoding_option_has_no_note(runner, tmp_path):
    corpus = write(tmp_path / "k.tsv", TSV.encode("euc-kr"))
    tokens, stderr = tokenize_ok(runner, tmp_path, corpus, "--encoding", "euc-kr")
    assert tokens == ENGLISH_WORDS
    assert "Note" not in stderr


def test_cached_tokens_are_not_reused_across_encodings(runner, tmp_path):
    corpus = write(tmp_path / "k.tsv", TSV.encode("cp949"))
    tokens, _ = tokenize_ok(runner, tmp_path, corpus, cache=True)
    assert tokens == ENGLISH_WORDS
    again, stderr = tokenize_ok(runner, tmp_path, corpus, "--encoding", "cp949", cache=True)
    assert "Reusing tokens" in stderr and again == tokens
    mojibake, stderr = tokenize_ok(runner, tmp_path, corpus, "--encoding", "latin-1", cache=True)
    assert "Reusing tokens" not in stderr and mojibake != tokens


@pytest.mark.parametrize("command", COMMANDS)
def test_cp949_with_a_bad_byte_later_names_offset_and_line(runner, tmp_path, command):
    good = ("1\t좋은 영화\t1\n" * 10_000).encode("cp949")  # longer than the sniffed head
    corpus = write(tmp_path / "k.tsv", b"id\tdocument\tlabel\n" + good + b"2\t\xff\xfe\t0\n")
    line = refuse(runner, tmp_path, command, corpus)
    offset = len(b"id\tdocument\tlabel\n" + good + b"2\t")
    assert f"is not valid CP949 (EUC-KR) at byte offset {offset:,} (line 10,002" in line


@pytest.mark.parametrize("command", COMMANDS)
def test_utf8_with_a_bad_byte_later_names_offset_and_line(runner, tmp_path, command):
    good = "1\t좋은 영화\t1\n" * 10_000
    corpus = write(tmp_path / "u.tsv", TSV.encode() + good.encode() + "나쁜".encode("cp949"))
    line = refuse(runner, tmp_path, command, corpus)
    offset = len(TSV.encode() + good.encode())
    assert f"is not valid UTF-8 at byte offset {offset:,} (line 10,005" in line
    assert "--encoding NAME (e.g. --encoding cp949" in line


@pytest.mark.parametrize("command", COMMANDS)
def test_western_encoding_is_refused_with_a_guess(runner, tmp_path, command):
    corpus = write(tmp_path / "fr.txt", "un bon film\nun café crème\n".encode("cp1252"))
    line = refuse(runner, tmp_path, command, corpus)
    assert "is not UTF-8 text: byte 0xe9 at offset 18 (line 2)" in line
    assert "looks like a Western single-byte encoding such as cp1252" in line
    assert "--encoding cp1252" in line


def test_unknown_encoding_is_a_usage_error(runner, tmp_path):
    corpus = write(tmp_path / "k.tsv", TSV)
    stderr = refuse(runner, tmp_path, "tokenize", corpus, "--encoding", "klingon", exit_code=2)
    assert "Unknown --encoding 'klingon'" in stderr


@pytest.mark.parametrize("first_column", [True, False])
def test_utf8_with_bom(runner, tmp_path, first_column):
    """Notepad and Excel ("CSV UTF-8") write a BOM; the header's first name must not keep it."""
    text = "document\tid\n" + "".join(f"{d}\t{i}\n" for i, d in enumerate(KOREAN))
    corpus = write(tmp_path / "bom.tsv", "\ufeff" + (text if first_column else TSV))
    tokens, stderr = tokenize_ok(runner, tmp_path, corpus)
    assert tokens == ENGLISH_WORDS
    assert "Note" not in stderr


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_with_bom_like_excel_unicode_text(runner, tmp_path, encoding):
    data = TSV.replace("\n", "\r\n").encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    tokens, stderr = tokenize_ok(runner, tmp_path, write(tmp_path / "excel.txt", data))
    assert tokens == ENGLISH_WORDS
    label = "UTF-32" if encoding == "utf-32" else "UTF-16"
    assert f"Note: reading excel.txt as {label}: it starts with a {label} byte-order mark" in stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_utf16_without_bom_is_refused_with_the_option_to_use(runner, tmp_path, command):
    corpus = write(tmp_path / "excel.txt", TSV.encode("utf-16-le"))
    line = refuse(runner, tmp_path, command, corpus)
    assert "looks like UTF-16 text without a byte-order mark" in line
    assert "--encoding utf-16-le" in line


def test_utf16_without_bom_reads_with_the_option(runner, tmp_path):
    corpus = write(tmp_path / "excel.txt", TSV.encode("utf-16-le"))
    tokens, _ = tokenize_ok(runner, tmp_path, corpus, "--encoding", "utf-16-le")
    assert tokens == ENGLISH_WORDS


# --- binary data ----------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_binary_file_with_nul_bytes(runner, tmp_path, command):
    corpus = write(tmp_path / "data.tsv", bytes(range(256)) * 4)
    line = refuse(runner, tmp_path, command, corpus)
    assert "looks like a binary file, not text: it has a NUL byte at offset 0 (line 1)" in line


@pytest.mark.parametrize("command", COMMANDS)
def test_nul_bytes_after_the_sniffed_head(runner, tmp_path, command):
    corpus = write(tmp_path / "data.tsv", TSV * 5000 + "9\tbad\x00row\t1\n")
    line = refuse(runner, tmp_path, command, corpus)
    assert "has a NUL character on line 20,001: it looks like binary data" in line


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "an old-style Office document"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a PDF document"),
        (b"\x80\x04\x95\x10\x00\x00\x00", "a Python pickle"),
    ],
)
def test_known_binary_kinds_are_named(runner, tmp_path, data, kind):
    line = refuse(runner, tmp_path, "tokenize", write(tmp_path / "corpus.txt", data))
    assert f"is not text: it looks like {kind}" in line


def test_xlsx_is_named(runner, tmp_path):
    corpus = tmp_path / "reviews.xlsx"
    with zipfile.ZipFile(corpus, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    line = refuse(runner, tmp_path, "train-output", corpus)
    assert 'is an Office document (.xlsx, .docx), not text. In Excel, use Save As "Unicode' in line


# --- TSV shape --------------------------------------------------------------------------------


def test_short_rows_are_skipped_and_counted(runner, tmp_path):
    corpus = write(tmp_path / "r.tsv", TSV + "7\n8\n9\t\t0\n")
    tokens, stderr = tokenize_ok(runner, tmp_path, corpus)
    assert tokens == ENGLISH_WORDS
    assert "Tokenized 3 documents" in stderr
    assert "skipped 3 rows (2 too few columns, 1 empty document)" in stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_all_rows_too_short(runner, tmp_path, command):
    corpus = write(tmp_path / "r.tsv", "id\tdocument\tlabel\n1\n2\n3\n")
    line = refuse(runner, tmp_path, command, corpus)
    assert "has no documents: all 3 rows were skipped (3 too few columns)" in line
    assert "Rows need the 'document' column (--text-column)" in line


@pytest.mark.parametrize("command", COMMANDS)
def test_misspelt_text_column(runner, tmp_path, command):
    corpus = write(tmp_path / "r.tsv", TSV)
    line = refuse(runner, tmp_path, command, corpus, "--text-column", "documnet")
    assert (
        f"--text-column 'documnet' is not a column of {corpus} (columns: 'id', 'document', "
        "'label'). Did you mean 'document'?"
    ) in line


@pytest.mark.parametrize("command", COMMANDS)
def test_no_document_column_by_default(runner, tmp_path, command):
    corpus = write(tmp_path / "r.tsv", "id\treview\n1\t좋은 영화\n")
    line = refuse(runner, tmp_path, command, corpus)
    assert "has no column named 'document' (the default text column" in line
    assert "'id', 'review'" in line and "--text-column NAME" in line


@pytest.mark.parametrize("command", COMMANDS)
def test_text_column_number_beyond_every_row(runner, tmp_path, command):
    corpus = write(tmp_path / "r.tsv", "1\t좋은 영화\t1\n2\t나쁜 영화\t0\n")
    line = refuse(runner, tmp_path, command, corpus, "--text-column", "5")
    assert "all 2 rows were skipped (2 too few columns)" in line
    assert "Rows need column 5 (--text-column)" in line


@pytest.mark.parametrize("command", COMMANDS)
def test_header_only(runner, tmp_path, command):
    line = refuse(runner, tmp_path, command, write(tmp_path / "r.tsv", "id\tdocument\tlabel\n"))
    assert "has no documents: it has a header line but no rows below it" in line


# --- nothing left after cleaning --------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_english_text_through_the_korean_pipeline(runner, tmp_path, command):
    corpus = write(tmp_path / "en.txt", "A great movie.\nTerrible acting!\n")
    line = refuse(runner, tmp_path, command, corpus)
    assert "is empty after cleaning: no Hangul found in any of its 2 documents" in line
    assert "use --lang en" in line


# --- very long lines --------------------------------------------------------------------------

FIVE_MB = 5_000_000


def test_five_megabyte_line_through_english(runner, tmp_path):
    words = "the king and the queen "
    corpus = write(tmp_path / "one-line.txt", words * (FIVE_MB // len(words)) + "\n")
    tokens, stderr = tokenize_ok(runner, tmp_path, corpus)
    assert len(tokens) == 5 * (FIVE_MB // len(words))
    documents = (tmp_path / "tokens.txt").read_text(encoding="utf-8").splitlines()
    assert max(len(d.split()) for d in documents) == 10_000


def test_five_megabyte_word_through_english(runner, tmp_path):
    corpus = write(tmp_path / "one-word.txt", "a" * FIVE_MB)
    tokens, _ = tokenize_ok(runner, tmp_path, corpus)
    assert "".join(tokens) == "a" * FIVE_MB  # read in 1M-character pieces, nothing lost


def run_cli(args: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess:
    """The CLI in a subprocess of its own session, so that a hang fails the test by its
    timeout and takes the worker processes (and their JVMs) down with it."""
    env = dict(os.environ, EMBEDCLI_HOME=str(cwd / "home"), EMBEDCLI_CACHE=str(cwd / "cache"))
    with subprocess.Popen(
        [sys.executable, "-m", "embedcli", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            pytest.fail(f"embedcli {' '.join(args[:3])} ... did not finish in {timeout} s")
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@pytest.mark.okt
@pytest.mark.parametrize("layout", ["text", "tsv"])
def test_five_megabyte_line_without_spaces_through_okt(tmp_path, layout):
    """Okt gets bounded chunks: a 5 MB space-free line does not stall a worker or the JVM."""
    syllables = "가나다라마바사아자차카타파하"
    line = syllables * (FIVE_MB // len(syllables))
    text = line + "\n" if layout == "text" else f"id\tdocument\n1\t{line}\n2\t좋은 영화\n"
    corpus = write(tmp_path / f"long.{layout}", text)
    out = tmp_path / "tokens.txt"
    args = ["tokenize", "-c", str(corpus), "-o", str(out), "-w", "1"]
    done = run_cli(args, tmp_path, timeout=240)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    tokens = out.read_text(encoding="utf-8").split()
    assert tokens and max(len(t) for t in tokens) <= MAX_CHUNK_CHARS


@pytest.mark.parametrize(
    "name, first_line",
    [
        ("reviews.txt", "id,document,label"),
        ("reviews.txt", '"id","Text","label"'),
        ("reviews.csv", "9976970,아 더빙.. 진짜 짜증나네요 목소리,0"),
    ],
)
def test_a_comma_separated_file_read_as_text_gets_a_note(runner, tmp_path, name, first_line):
    corpus = tmp_path / name
    corpus.write_text(first_line + "\n" + "1,the king and the queen,1\n" * 5, encoding="utf-8")
    out = tmp_path / "tokens.txt"
    args = ["tokenize", "-c", str(corpus), "--tokenizer", "english", "-w", "1", "-o", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stderr.splitlines() if line.startswith("Note: ")]
    assert notes == [
        f"Note: {name} looks comma-separated (first line: '{first_line[:40]}"
        + ("..." if len(first_line) > 40 else "")
        + "'), but is read as plain text, one document per line, every column included. To "
        "read only its text, save it tab-separated (TSV): embedcli then reads the 'document' "
        "column (or the one --text-column names)."
    ]
    assert out.read_text(encoding="utf-8").splitlines()[1] == "1 the king and the queen 1"


def test_prose_with_commas_gets_no_note(runner, tmp_path):
    corpus = tmp_path / "prose.txt"
    corpus.write_text("Well, the king, the queen and the man walked.\n" * 5, encoding="utf-8")
    args = ["tokenize", "-c", str(corpus), "--tokenizer", "english", "-w", "1", "-o",
            str(tmp_path / "t.txt")]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Note:" not in result.stderr

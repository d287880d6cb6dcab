"""Property tests: corpus readers and text functions on arbitrary input.

Whatever the bytes, text or TSV shape, reading a corpus either yields documents or raises one
of embedcli's own errors (EmbedcliError), which the CLI turns into one `Error:` line; any
other exception would be a traceback for the user. Where it is cheap, the output is also
checked against a simple model. No test here starts Okt.
"""

from __future__ import annotations

import gzip
import re
import tempfile
from itertools import groupby
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from embedcli.corpora import files as corpora_files
from embedcli.corpora import ted as corpora_ted
from embedcli.corpora.readers import iter_documents
from embedcli.corpora.registry import resolve_corpus
from embedcli.corpora.source import CorpusSource, ReadStats
from embedcli.errors import EmbedcliError
from embedcli.tokens.cleaning import clean_text, squash_repeats
from embedcli.tokens.english import EnglishTokenizer
from embedcli.tokens.options import default_options
from embedcli.tokens.runner import MAX_CHUNK_CHARS, DocumentTokenizer

PROPERTIES = settings(
    max_examples=150,
    deadline=None,
    # The autouse isolated_home fixture is function-scoped; the tests below use their own
    # temporary directory for each example instead.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def read(data: bytes, name: str = "corpus", **kwargs) -> tuple[list[str], ReadStats] | None:
    """Resolve and read a corpus file holding `data`: its documents, or None when embedcli
    refused it with one of its own errors (anything else propagates and fails the test)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        stats = ReadStats()
        try:
            docs = list(iter_documents(resolve_corpus(str(path), **kwargs), stats))
        except EmbedcliError:
            return None
        return docs, stats


def read_source(data: bytes, **fields) -> list[str] | None:
    """Read with a hand-made CorpusSource, as library code might: no detection first."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus"
        path.write_bytes(data)
        try:
            return list(iter_documents(CorpusSource(name="corpus", path=path, **fields)))
        except EmbedcliError:
            return None


def check_stats(docs: list[str], stats: ReadStats) -> None:
    assert stats.documents == len(docs)
    assert stats.rows == stats.documents + stats.skipped_total
    assert all(d.strip() for d in docs)
    assert not any("\n" in d or "\r" in d for d in docs)


MAGICS = [
    b"",
    corpora_files.GZIP_MAGIC,
    corpora_files.ZIP_MAGIC,
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xfe\xff",
    b"\xff\xfe\x00\x00",
    b"<?xml ",
]
arbitrary_bytes = st.builds(lambda m, b: m + b, st.sampled_from(MAGICS), st.binary(max_size=600))


@PROPERTIES
@given(data=arbitrary_bytes, fmt=st.sampled_from(["auto", "text", "tsv"]))
@example(data=b"\x1f\x8b\x08\x00", fmt="text")
@example(data=b"PK\x03\x04", fmt="tsv")
@example(data=b'<?xml version="1.0" encoding="klingon"?><xml/>', fmt="auto")
@example(data="좋은 영화\n".encode("cp949") + b"\xff", fmt="text")
def test_arbitrary_bytes_are_read_or_refused(data, fmt):
    found = read(data, format=fmt)
    if found is not None and fmt != "auto":
        check_stats(*found)


@PROPERTIES
@given(
    data=arbitrary_bytes,
    fmt=st.sampled_from(["text", "tsv"]),
    encoding=st.sampled_from(["utf-8", "cp949", "utf-16", "latin-1"]),
)
def test_arbitrary_bytes_through_a_hand_made_source(data, fmt, encoding):
    docs = read_source(data, format=fmt, text_column=2, encoding=encoding)
    if docs is None:
        return  # refused with one of embedcli's own errors
    assert all(isinstance(d, str) and d.strip() for d in docs)
    assert not any("\n" in d or "\r" in d for d in docs)
    if fmt == "tsv":
        assert not any("\t" in d for d in docs)
        return
    # Text: one document per non-blank line of the bytes decoded here (a BOM is not text).
    text = data.decode(encoding).removeprefix("\ufeff")
    assert docs == [line for line in lines_of(text) if line.strip()]


@PROPERTIES
@given(data=st.binary(max_size=600), cut=st.integers(min_value=0, max_value=40))
def test_gzip_whole_or_truncated_is_read_or_refused(data, cut):
    packed = gzip.compress(data)
    found = read(packed[: len(packed) - cut], name="corpus.gz", format="text")
    if found is not None:
        check_stats(*found)


def lines_of(text: str) -> list[str]:
    """What a reader with universal newlines sees: \\r\\n, \\r and \\n end a line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    return lines[:-1] if lines[-1] == "" else lines


@PROPERTIES
@given(text=st.text(max_size=300))
@example(text="\ufeff첫 줄\r\n\r둘째\x85셋째\u2028")
def test_arbitrary_unicode_text_one_document_per_line(text):
    found = read(text.encode("utf-8"), format="text")
    if found is None:
        return  # refused: NUL characters, or a start that looks like another file type
    docs, stats = found
    check_stats(docs, stats)
    body = text.removeprefix("\ufeff")  # a UTF-8 byte-order mark is not text
    assert docs == [line for line in lines_of(body) if line.strip()]


@PROPERTIES
@given(text=st.text(max_size=300), encoding=st.sampled_from(["utf-16", "utf-32", "cp949"]))
def test_arbitrary_unicode_in_other_encodings(text, encoding):
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return  # not every character exists in CP949
    found = read(data, format="text")
    if found is not None:
        check_stats(*found)


CELL_CHARS = st.one_of(
    st.characters(codec="utf-8"),
    st.sampled_from(["\t", '"', "'", "\r", "\n", "\x00", " ", "\ufeff", "가", "화"]),
)
cell = st.text(alphabet=CELL_CHARS, max_size=12)
row = st.lists(cell, min_size=0, max_size=6)


@PROPERTIES
@given(
    header=st.one_of(st.none(), st.lists(cell, min_size=1, max_size=5)),
    rows=st.lists(row, max_size=25),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    column=st.one_of(
        st.none(), st.integers(min_value=1, max_value=7), st.sampled_from(["document", "b", ""])
    ),
)
def test_arbitrary_tsv_shapes(header, rows, newline, column):
    lines = ([header] if header is not None else []) + rows
    text = "".join("\t".join(cells) + newline for cells in lines)
    found = read(text.encode("utf-8"), format="tsv", text_column=column or None)
    if found is None:
        return
    docs, stats = found
    check_stats(docs, stats)
    assert not any("\t" in d for d in docs)


@PROPERTIES
@given(text=st.text(max_size=400))
@example(text="abc가나다 ㅋㅋㅋ!!\x00\ufeff😀")
def test_clean_text_keeps_only_hangul_and_spaces(text):
    cleaned = clean_text(text)
    assert re.fullmatch(r"[ㄱ-ㅎㅏ-ㅣ가-힣 ]*", cleaned)
    assert clean_text(cleaned) == cleaned
    assert clean_text(text, "none") == text
    assert len(cleaned) <= len(text)


@PROPERTIES
@given(
    text=st.text(alphabet=st.sampled_from("ㅋ가 a\t\n!😀\u3000"), max_size=300)
    | st.text(max_size=200),
    max_repeat=st.integers(min_value=0, max_value=6),
)
@example(text="ㅋㅋㅋㅋㅋㅋㅋ", max_repeat=3)
@example(text="  \t\t\t\t  ", max_repeat=1)
def test_squash_repeats_never_lengthens_and_bounds_runs(text, max_repeat):
    squashed = squash_repeats(text, max_repeat)
    assert len(squashed) <= len(text)
    if max_repeat == 0:
        assert squashed == text
        return
    runs = [(ch, len(list(group))) for ch, group in groupby(squashed)]
    assert all(n <= max_repeat for ch, n in runs if not ch.isspace())
    assert squash_repeats(squashed, max_repeat) == squashed
    # Only repeats are removed: the sequence of distinct characters stays the same.
    assert [ch for ch, _ in runs] == [ch for ch, _ in groupby(text)]


ENGLISH = EnglishTokenizer()


@PROPERTIES
@given(text=st.text(max_size=400))
@example(text="Don’t stop-the--music at 12:30 in the U.S., e-mail a@b.co www.x.org/ǅ")
def test_english_tokenizer_on_arbitrary_unicode(text):
    tokens = ENGLISH.morphs(text)
    assert all(isinstance(t, str) and t for t in tokens)
    assert not any(ch.isspace() for t in tokens for ch in t)


ENGLISH_PIPELINE = DocumentTokenizer(default_options("english"))


@PROPERTIES
@given(text=st.text(max_size=300) | st.text(alphabet="ab -'.", min_size=200, max_size=3000))
def test_english_pipeline_chunk_by_chunk_equals_whole_text(text):
    """The per-chunk loop and its memo give the tokens of the whole text, long chunks too."""
    assert ENGLISH_PIPELINE(text) == ENGLISH.morphs(text)
    assert ENGLISH_PIPELINE(text) == ENGLISH.morphs(text)  # now from the memo


class Recorder:
    """Stands in for Okt's JVM (not started here): records the chunks it is given."""

    def __init__(self) -> None:
        self.chunks: list[str] = []

    def morphs(self, chunk: str) -> list[str]:
        self.chunks.append(chunk)
        return [chunk]


@PROPERTIES
@given(
    text=st.text(alphabet=st.sampled_from("가나다라ㅋ !a"), max_size=300)
    | st.text(alphabet=st.sampled_from("가나다라마바사"), min_size=190, max_size=2500)
)
def test_okt_pipeline_gets_bounded_chunks_and_loses_nothing(text):
    pipeline = DocumentTokenizer(default_options("okt", stopwords=(), max_repeat=0))
    pipeline._backend = recorder = Recorder()
    tokens = pipeline(text)
    assert all(0 < len(chunk) <= MAX_CHUNK_CHARS for chunk in recorder.chunks)
    # Nothing lost: the chunks hold every Hangul letter of the text, in order (the regex is
    # the textbook's, written here, not embedcli's clean_text).
    assert "".join(tokens) == re.sub("[^ㄱ-ㅎㅏ-ㅣ가-힣]", "", text)


@PROPERTIES
@given(text=st.text(max_size=400))
def test_stage_notes_and_sentences_on_arbitrary_unicode(text):
    for line in text.splitlines():
        sentences = corpora_ted.split_sentences(corpora_ted.drop_stage_notes(line))
        assert all(s and s == s.strip() for s in sentences)


@pytest.mark.parametrize(("end", "bad"), [(1, 0), (4, 3), (6, None), (8, 7), (13, None)])
def test_a_file_cut_inside_a_character_is_refused(tmp_path, end, bad):
    """A whole file shorter than the sniffed head: its last character must be complete."""
    data = "좋은 영화".encode()[:end]
    path = tmp_path / "cut.txt"
    path.write_bytes(data)
    if bad is None:
        assert list(iter_documents(resolve_corpus(str(path)))) == [data.decode()]
    else:
        with pytest.raises(EmbedcliError, match=f"not valid UTF-8 at byte offset {bad} "):
            list(iter_documents(resolve_corpus(str(path))))


def test_gzip_header_then_garbage_is_a_corpus_error(tmp_path):
    path = tmp_path / "bad.gz"
    path.write_bytes(gzip.compress(b"x" * 1000)[:10] + b"\xff" * 50)
    with pytest.raises(EmbedcliError, match="damaged"):
        list(iter_documents(resolve_corpus(str(path), format="text")))

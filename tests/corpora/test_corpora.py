"""Corpus resolution and readers: NSMC-style TSV, plain text, gzip, and their errors."""

from __future__ import annotations

import gzip

import pytest

from embedcli.corpora import files as corpora_files
from embedcli.corpora import readers as corpora_readers
from embedcli.corpora import registry as corpora_registry
from embedcli.corpora import ted as corpora_ted
from embedcli.corpora.readers import iter_documents
from embedcli.corpora.registry import resolve_corpus
from embedcli.corpora.source import ReadStats
from embedcli.errors import CorpusError
from tests.local_http import LocalServer


def read(path, **kwargs):
    stats = ReadStats()
    docs = list(iter_documents(resolve_corpus(str(path), **kwargs), stats))
    return docs, stats


def test_shipped_nsmc_is_the_default():
    source = resolve_corpus()
    assert source.name == "nsmc"
    assert source.format == "tsv" and source.text_column == "document"
    assert source.path.is_file()


def test_shipped_nsmc_reads_its_document_column():
    docs = []
    for doc in iter_documents(resolve_corpus("nsmc")):
        docs.append(doc)
        if len(docs) == 3:
            break
    assert docs[0] == "잼나게보다 평점이 없어지네"
    assert all("\t" not in d for d in docs)


def test_tsv_by_header_name_skips_empty_and_short_rows(tmp_path):
    path = tmp_path / "r.tsv"
    path.write_text(
        "id\tdocument\tlabel\n1\t좋은 영화\t1\n2\t\t0\n3\t   \t0\n4\n5\t나쁜 영화\t0\n",
        encoding="utf-8",
    )
    docs, stats = read(path)
    assert docs == ["좋은 영화", "나쁜 영화"]
    assert stats.rows == 5 and stats.documents == 2
    assert stats.skipped == {"empty document": 2, "too few columns": 1}


def test_tsv_by_column_number_without_header(tmp_path):
    path = tmp_path / "r.tsv"
    path.write_text("a\t첫째\nb\t둘째\n", encoding="utf-8")
    docs, _ = read(path, text_column=2)
    assert docs == ["첫째", "둘째"]


def test_tsv_missing_column_names_the_header(tmp_path):
    path = tmp_path / "r.tsv"
    path.write_text("id\ttext\n1\t영화\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"no column named 'document'.*'id', 'text'.*--text-col"):
        read(path)
    docs, _ = read(path, text_column="text")
    assert docs == ["영화"]


def test_plain_text_one_document_per_line(tmp_path):
    path = tmp_path / "docs.txt"
    path.write_text("첫 문서\n\n둘째 문서\r\n", encoding="utf-8")
    docs, stats = read(path)
    assert docs == ["첫 문서", "둘째 문서"]
    assert stats.skipped == {"empty document": 1}


@pytest.mark.parametrize("name", ["r.tsv.gz", "r.bin"])
def test_gzip_is_detected_by_content(tmp_path, name):
    path = tmp_path / name
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("id\tdocument\tlabel\n1\t압축된 리뷰\t1\n")
    docs, _ = read(path)
    assert docs == ["압축된 리뷰"]


def test_truncated_gzip_is_a_corpus_error(tmp_path):
    good = gzip.compress(("id\tdocument\tlabel\n" + "1\t리뷰 문장입니다\t1\n" * 5000).encode())
    path = tmp_path / "cut.tsv.gz"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(CorpusError, match="damaged"):
        read(path)


def test_korean_cp949_is_read_with_a_notice(tmp_path):
    path = tmp_path / "cp949.txt"
    path.write_bytes("영화 리뷰\n".encode("cp949"))
    notices = []
    source = resolve_corpus(str(path), on_notice=notices.append)
    assert source.encoding == "cp949"
    assert list(iter_documents(source)) == ["영화 리뷰"]
    assert len(notices) == 1 and "CP949 (EUC-KR)" in notices[0]


def test_not_utf8_and_not_korean_is_a_corpus_error(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("crème brûlée\n".encode("latin-1"))
    with pytest.raises(CorpusError, match="not UTF-8 text: byte 0xe8 at offset 2 .*--encoding"):
        read(path)


def test_missing_file_and_unknown_name(tmp_path):
    with pytest.raises(CorpusError, match="neither a file nor a known corpus name.*nsmc"):
        resolve_corpus(str(tmp_path / "nope.txt"))


def test_directory_is_refused(tmp_path):
    with pytest.raises(CorpusError, match="is a directory"):
        resolve_corpus(str(tmp_path))


def test_bad_text_column_number():
    with pytest.raises(CorpusError, match="count from 1"):
        corpora_registry.parse_text_column("0")
    assert corpora_registry.parse_text_column("3") == 3
    assert corpora_registry.parse_text_column("document") == "document"


def test_missing_shipped_corpus_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDCLI_CORPORA", str(tmp_path / "nowhere"))
    with pytest.raises(CorpusError, match="EMBEDCLI_CORPORA"):
        resolve_corpus("nsmc")


# --- TED-talk XML ----------------------------------------------------------------------------

TED_XML = """<?xml version="1.0" encoding="UTF-8"?>
<xml language="en"><file id="1">
  <head><url>http://www.ted.com/talks/one</url><title>One: a talk</title></head>
  <content>Here are two reasons companies fail. (Laughter) Mr. Smith and Dr. Jones agree!
(Applause)
I moved to the U.S. in 1990. John F. Kennedy said "Ask not." Was it 3.14? "Yes," she said.
Thanks (Music (loud)) a lot... Really.

</content>
</file>
<file id="2"><head><title>Two</title></head><content>A second talk.</content></file>
</xml>
"""
TED_SENTENCES = [
    "Here are two reasons companies fail.",
    "Mr. Smith and Dr. Jones agree!",
    "I moved to the U.S. in 1990.",
    'John F. Kennedy said "Ask not."',
    "Was it 3.14?",
    '"Yes," she said.',
    "Thanks a lot...",
    "Really.",
    "A second talk.",
]


def write_ted(path, text=TED_XML):
    if path.name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_ted_xml_sentences_without_stage_notes(tmp_path):
    source = resolve_corpus(str(write_ted(tmp_path / "ted_en.xml")))
    assert source.format == "ted-xml" and source.lang == "en"
    stats = ReadStats()
    assert list(iter_documents(source, stats)) == TED_SENTENCES
    assert stats.documents == len(TED_SENTENCES)
    assert stats.skipped == {"only stage notes": 1, "empty document": 1}


@pytest.mark.parametrize("name", ["talks.xml.gz", "talks.dat"])
def test_ted_xml_is_detected_by_name_or_content(tmp_path, name):
    source = resolve_corpus(str(write_ted(tmp_path / name)))
    assert source.format == "ted-xml"
    assert list(iter_documents(source)) == TED_SENTENCES


def test_ted_xml_without_declaration_or_language(tmp_path):
    text = "<xml><file><content>One line. Two lines.</content></file></xml>"
    source = resolve_corpus(str(write_ted(tmp_path / "talks.txt", text)))
    assert source.format == "ted-xml" and source.lang is None
    assert list(iter_documents(source)) == ["One line.", "Two lines."]


def test_ted_xml_in_a_zip(tmp_path):
    import zipfile

    path = tmp_path / "ted_en-20160408.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ted_en-20160408.xml", TED_XML)
        archive.writestr("__MACOSX/._ted_en-20160408.xml", b"\x00\x05")
    source = resolve_corpus(str(path))
    assert source.format == "ted-xml" and source.lang == "en"
    assert list(iter_documents(source)) == TED_SENTENCES


def test_text_in_a_zip(tmp_path):
    import zipfile

    path = tmp_path / "docs.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("docs/", b"")
        archive.writestr("docs/docs.txt", "first document\n\nsecond document\n")
    docs, stats = read(path)
    assert docs == ["first document", "second document"]
    assert stats.skipped == {"empty document": 1}


def test_zip_with_several_files_is_refused(tmp_path):
    import zipfile

    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.txt", "a\n")
        archive.writestr("b.txt", "b\n")
    with pytest.raises(CorpusError, match=r"zip archive of 2 files \(a.txt, b.txt\).*Unzip"):
        read(path)


def test_damaged_zip_is_a_corpus_error(tmp_path):
    import zipfile

    path = tmp_path / "cut.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.txt", "some text\n" * 1000)
    path.write_bytes(path.read_bytes()[:-30])  # the directory at the end is cut
    with pytest.raises(CorpusError, match="zip archive but cannot be opened.*download it again"):
        read(path)


def test_ill_formed_xml_names_the_line(tmp_path):
    text = TED_XML.replace("</content>\n</file>\n<file", "</content>\n</fiel>\n<file", 1)
    path = write_ted(tmp_path / "bad.xml", text)
    with pytest.raises(CorpusError, match=r"not well-formed XML at line 10, column 3 \(mismatched"):
        read(path)


def test_xml_without_content_elements_says_what_is_read(tmp_path):
    path = write_ted(tmp_path / "other.xml", "<?xml version='1.0'?><doc><p>Text.</p></doc>")
    with pytest.raises(CorpusError, match=r"no <content> elements.*--corpus-format text"):
        read(path)


def test_ted_xml_clears_each_talk_once_read(tmp_path, monkeypatch):
    """Memory stays bounded: finished talks do not pile up under the root."""
    from xml.etree import ElementTree

    head = "<head><title>" + "t" * 150 + "</title></head>"
    talks = "".join(f"<file>{head}<content>Talk {i}.</content></file>" for i in range(2000))
    path = write_ted(tmp_path / "many.xml", f"<xml>{talks}</xml>")
    roots = []
    real = ElementTree.iterparse

    def spying_iterparse(*args, **kwargs):
        for event, element in real(*args, **kwargs):
            if not roots:
                roots.append(element)
            yield event, element

    monkeypatch.setattr(ElementTree, "iterparse", spying_iterparse)
    attached = []
    for _ in iter_documents(resolve_corpus(str(path))):
        attached.append(len(roots[0]))
    # The parser reads 16 KiB at a time, so about 80 talks can be parsed ahead of the reader.
    assert len(attached) == 2000 and max(attached) < 200


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Hi. (Laughter) Bye.", ["Hi.", "Bye."]),
        ("It was (as I said (twice)) true.", ["It was true."]),
        ("An open ( paren stays.", ["An open ( paren stays."]),
        ("Wait... what? No! Yes.", ["Wait... what?", "No!", "Yes."]),
        ("Version 2.0 is out. Get it.", ["Version 2.0 is out.", "Get it."]),
        ("Ask Prof. Lee. He knows.", ["Ask Prof. Lee.", "He knows."]),
        ("i.e. not this. and not this", ["i.e. not this. and not this"]),
        ("She said, 'Go.' Then left.", ["She said, 'Go.'", "Then left."]),
        ("Le café est fermé. Été.", ["Le café est fermé.", "Été."]),
    ],
)
def test_stage_notes_and_sentence_splitting(line, expected):
    assert corpora_ted.split_sentences(corpora_ted.drop_stage_notes(line)) == expected


# --- very long lines (text8) -----------------------------------------------------------------


def long_line_words(n):
    # Words of varied length, so the block boundaries fall inside words.
    return [f"w{i}" + "x" * (i % 7) for i in range(n)]


@pytest.mark.parametrize("newline", ["", "\n"])
def test_long_line_becomes_documents_of_at_most_max_words(tmp_path, monkeypatch, newline):
    monkeypatch.setattr("embedcli.corpora.readers.LONG_LINE_CHARS", 1000)
    words = long_line_words(25_000)
    path = tmp_path / "text8"
    path.write_text("short first line\n" + " ".join(words) + newline, encoding="utf-8")
    docs, stats = read(path)
    assert docs[0] == "short first line"
    assert [len(d.split()) for d in docs[1:]] == [10_000, 10_000, 5_000]
    assert " ".join(docs[1:]).split() == words  # no word cut in two or lost at a boundary
    assert stats.rows == 2 and stats.documents == 4


def test_long_line_is_read_in_bounded_pieces(tmp_path, monkeypatch):
    monkeypatch.setattr("embedcli.corpora.readers.LONG_LINE_CHARS", 500)
    path = tmp_path / "one-line.txt"
    path.write_text(" ".join(long_line_words(3000)) + "\nnext line\n", encoding="utf-8")
    with corpora_files.open_text(path) as handle:
        pieces = list(corpora_readers._numbered_lines(handle, path))
    assert max(len(text) for _, text, _ in pieces) <= 500
    assert pieces[-1] == (2, "next line", False)
    assert [more for _, _, more in pieces[:-1]] == [True] * (len(pieces) - 2) + [False]
    assert {lineno for lineno, _, _ in pieces[:-1]} == {1}


def test_long_line_in_a_zip_like_text8(tmp_path, monkeypatch):
    import zipfile

    monkeypatch.setattr("embedcli.corpora.readers.LONG_LINE_CHARS", 777)
    words = long_line_words(12_345)
    path = tmp_path / "text8.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("text8", " " + " ".join(words))  # text8 starts with a space
    docs, _ = read(path)
    assert [len(d.split()) for d in docs] == [10_000, 2_345]
    assert " ".join(docs).split() == words


def test_long_tsv_line_is_joined_back(tmp_path, monkeypatch):
    monkeypatch.setattr("embedcli.corpora.readers.LONG_LINE_CHARS", 10)
    path = tmp_path / "r.tsv"
    path.write_text("id\tdocument\n1\t" + "long review " * 20 + "\t1\n", encoding="utf-8")
    docs, _ = read(path)
    assert docs == ["long review " * 20]


# --- registry ---------------------------------------------------------------------------------


def test_shipped_english_slice_matches_its_registry_entry():
    import hashlib

    source = resolve_corpus("en")
    entry = corpora_registry.REGISTRY["en"]
    assert source.lang == "en" and source.format == "text"
    assert source.path.stat().st_size == entry.size
    assert hashlib.sha256(source.path.read_bytes()).hexdigest() == entry.sha256
    assert next(iter_documents(source)).startswith("Cape Verde. Background: The uninhabited")


def test_a_file_matching_a_registry_checksum_is_recognised(tmp_path, monkeypatch):
    import dataclasses
    import hashlib

    data = b"The king and the queen.\nA man and a woman.\n"
    path = tmp_path / "english.txt"
    path.write_bytes(data)
    entry = dataclasses.replace(
        corpora_registry.REGISTRY["en-full"],
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
    )
    monkeypatch.setitem(corpora_registry.REGISTRY, "en-full", entry)
    source = resolve_corpus(str(path))
    assert (source.name, source.lang, source.format) == ("en-full", "en", "text")
    path.write_bytes(data.replace(b"king", b"kong"))  # same size, other bytes
    other = resolve_corpus(str(path))
    assert (other.name, other.lang) == ("english.txt", None)


def test_en_full_by_name_explains_how_to_use_it():
    entry = corpora_registry.REGISTRY["en-full"]
    assert entry.lang == "en" and not entry.shipped and not entry.url
    assert entry.size == 106_788_282 and len(entry.sha256) == 64
    with pytest.raises(CorpusError, match=r"neither shipped nor downloadable.*--corpus PATH"):
        resolve_corpus("en-full")


def test_text8_downloads_and_is_read_in_blocks(tmp_path, monkeypatch):
    import dataclasses
    import zipfile

    monkeypatch.setattr("embedcli.corpora.readers.LONG_LINE_CHARS", 1000)
    served = tmp_path / "served"
    served.mkdir()
    words = long_line_words(10_500)
    with zipfile.ZipFile(served / "text8.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("text8", " " + " ".join(words))
    size = (served / "text8.zip").stat().st_size
    with LocalServer(served).running() as server:
        base = server.url("files")
        entry = corpora_registry.REGISTRY["text8"]
        assert entry.url.endswith("/text8.zip") and entry.size == 31_344_016
        monkeypatch.setitem(
            corpora_registry.REGISTRY,
            "text8",
            dataclasses.replace(entry, url=f"{base}/text8.zip", size=size),
        )
        source = resolve_corpus("text8")
        assert source.lang == "en"
        assert [len(d.split()) for d in iter_documents(source)] == [10_000, 500]

        monkeypatch.setitem(
            corpora_registry.REGISTRY, "text8", dataclasses.replace(entry, url=f"{base}/text8.zip")
        )
        source.path.unlink()  # the cache is empty again: download, then check the size
        with pytest.raises(CorpusError, match=f"has {size:,} bytes, not the 31,344,016"):
            resolve_corpus("text8")
        assert not source.path.exists()

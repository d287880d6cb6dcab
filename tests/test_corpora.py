"""Corpus resolution and readers: NSMC-style TSV, plain text, gzip, and their errors."""

from __future__ import annotations

import gzip

import pytest

from embedcli import corpora
from embedcli.corpora import ReadStats, iter_documents, resolve_corpus
from embedcli.errors import CorpusError


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


def test_not_utf8_is_a_corpus_error(tmp_path):
    path = tmp_path / "cp949.txt"
    path.write_bytes("영화 리뷰\n".encode("cp949"))
    with pytest.raises(CorpusError, match="not .*UTF-8"):
        read(path)


def test_missing_file_and_unknown_name(tmp_path):
    with pytest.raises(CorpusError, match="neither a file nor a known corpus name.*nsmc"):
        resolve_corpus(str(tmp_path / "nope.txt"))


def test_directory_is_refused(tmp_path):
    with pytest.raises(CorpusError, match="is a directory"):
        resolve_corpus(str(tmp_path))


def test_bad_text_column_number():
    with pytest.raises(CorpusError, match="count from 1"):
        corpora.parse_text_column("0")
    assert corpora.parse_text_column("3") == 3
    assert corpora.parse_text_column("document") == "document"


def test_missing_shipped_corpus_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDCLI_CORPORA", str(tmp_path / "nowhere"))
    with pytest.raises(CorpusError, match="EMBEDCLI_CORPORA"):
        resolve_corpus("nsmc")

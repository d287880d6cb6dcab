"""MediaWiki dumps: the reader on a dump the tests write, and `kowiki`'s download from a
server on 127.0.0.1 checked against a published sha1."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from gensim.corpora.wikicorpus import filter_wiki

from embedcli.cli import app
from embedcli.corpora import registry
from embedcli.corpora.readers import iter_documents
from embedcli.corpora.registry import resolve_corpus
from embedcli.corpora.source import ReadStats
from embedcli.corpora.wiki import article_paragraphs, drop_tables
from tests.conftest import assert_one_error
from tests.corpora.wikidump import EXPECTED, write_dump
from tests.local_http import LocalServer

MARKUP = ("[[", "]]", "{{", "}}", "'''", "==", "{|", "|", "<ref", "<!--", "분류:", "http")


def test_reader_gives_the_articles_paragraphs_without_markup(tmp_path):
    dump = write_dump(tmp_path / "kowiki-test-pages-articles.xml.bz2")
    source = resolve_corpus(str(dump))
    assert (source.format, source.lang) == ("mediawiki", "ko")
    stats = ReadStats()
    docs = list(iter_documents(source, stats))
    assert docs == EXPECTED
    for doc in docs:
        assert not any(mark in doc for mark in MARKUP), doc
    assert stats.rows == 4
    assert stats.skipped == {"redirects": 1, "pages outside the article namespace": 1}


def test_tables_go_whole_nested_ones_too():
    text = "앞 문장.\n{| class=x\n| 칸 {| \n| 안쪽\n|}\n|}\n뒤 문장."
    assert drop_tables(text) == "앞 문장.\n\n뒤 문장."
    assert article_paragraphs(text, filter_wiki) == ["앞 문장.", "뒤 문장."]


def test_the_reader_streams_one_page_at_a_time(tmp_path):
    """Each page is cleared once read: memory for 4,000 pages (about 2 MB of XML) stays
    under what they would take held."""
    import tracemalloc

    dump = write_dump(tmp_path / "big.xml.bz2", repeat=1000)
    source = resolve_corpus(str(dump))
    tracemalloc.start()
    try:
        count = sum(1 for _ in iter_documents(source))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 1000 * len(EXPECTED)
    assert peak < 3_000_000, peak


def test_a_dump_by_path_tokenizes_with_lang(runner, tmp_path):
    pytest.importorskip("mecab")
    dump = write_dump(tmp_path / "dump.xml.bz2")
    out = tmp_path / "tokens.txt"
    result = runner.invoke(
        app, ["tokenize", "--corpus", str(dump), "--tokenizer", "mecab", "-o", str(out), "-w", "1"]
    )
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(EXPECTED)
    assert "서울특별시" in lines[0].split() or "서울" in lines[0].split()
    assert "해운대" in lines[3].split()


SUMS = "kowiki-latest-sha1sums.txt"


@pytest.fixture
def kowiki_server(monkeypatch, tmp_path):
    dump = write_dump(tmp_path / "served.xml.bz2").read_bytes()
    sha1 = hashlib.sha1(dump).hexdigest()
    other = "0" * 40
    listing = (
        f"{other}  kowiki-20250601-pages-articles-multistream.xml.bz2\n"
        f"{sha1}  kowiki-20250601-pages-articles.xml.bz2\n"
        f"{other}  kowiki-20250601-pages-articles1.xml-p1p82407.bz2\n"
    )
    server = LocalServer(tmp_path / "www")
    with server.running():
        folder = server.root / "kowiki" / "latest"
        folder.mkdir(parents=True)
        (folder / "kowiki-latest-pages-articles.xml.bz2").write_bytes(dump)
        (folder / SUMS).write_bytes(listing.encode())
        base = server.url("ranged/kowiki/latest")
        entry = dataclasses.replace(
            registry.REGISTRY["kowiki"],
            url=f"{base}/kowiki-latest-pages-articles.xml.bz2",
            sha1sums_url=f"{base}/{SUMS}",
        )
        monkeypatch.setitem(registry.REGISTRY, "kowiki", entry)
        yield server


def test_kowiki_downloads_checks_the_published_sha1_and_reads(kowiki_server, tmp_path):
    stats = ReadStats()
    source = resolve_corpus("kowiki")
    assert source.format == "mediawiki" and source.lang == "ko"
    assert list(iter_documents(source, stats)) == EXPECTED
    served = kowiki_server.root / "kowiki" / "latest" / "kowiki-latest-pages-articles.xml.bz2"
    assert source.path.read_bytes() == served.read_bytes()
    asked = len(kowiki_server.requests)
    assert resolve_corpus("kowiki").path == source.path  # from the cache, nothing asked
    assert len(kowiki_server.requests) == asked


def test_kowiki_with_a_wrong_sha1_is_one_error_and_nothing_kept(kowiki_server, runner, tmp_path):
    sums = kowiki_server.root / "kowiki" / "latest" / SUMS
    sums.write_bytes(b"1" * 40 + b"  kowiki-20250601-pages-articles.xml.bz2\n")
    result = runner.invoke(app, ["tokenize", "--corpus", "kowiki", "--tokenizer", "mecab"])
    assert_one_error(result, "Checksum mismatch", "sha1")
    assert not [p for p in (tmp_path / "cache").rglob("*pages-articles*") if p.is_file()]


def test_kowiki_without_its_line_in_the_sums_file(kowiki_server, runner):
    sums = kowiki_server.root / "kowiki" / "latest" / SUMS
    sums.write_bytes(b"0" * 40 + b"  kowiki-20250601-pages-meta-history.xml.bz2\n")
    result = runner.invoke(app, ["tokenize", "--corpus", "kowiki", "--tokenizer", "mecab"])
    assert_one_error(result, "lists no kowiki-latest-pages-articles.xml.bz2")

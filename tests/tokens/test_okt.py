"""Real Okt in real JVMs: the parallel runner reproduces the textbook loop, and the cache works."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from embedcli.corpora.readers import iter_documents
from embedcli.corpora.registry import resolve_corpus
from embedcli.errors import CorpusError
from embedcli.tokens.cache import sidecar_path, tokenize_corpus
from embedcli.tokens.options import TokenizeOptions

pytestmark = pytest.mark.okt


# The textbook chapter's list, typed in here (not imported from embedcli).
STOPWORDS = ["의", "가", "이", "은", "들", "는", "좀", "잘", "걍", "과", "도", "를", "으로",
             "자", "에", "와", "한", "하다"]  # fmt: skip


def textbook_tokens(docs, squash=False):
    """The textbook's loop, verbatim in spirit: regex, Okt morphs(stem=True), stopwords.

    With squash, runs of 4 or more of one non-space character are first cut to 3, as
    embedcli does by default (--max-repeat 3), written independently here.
    """
    from konlpy.tag import Okt

    okt = Okt()
    out = []
    for doc in docs:
        doc = re.sub("[^ㄱ-ㅎㅏ-ㅣ가-힣 ]", "", doc)
        if squash:
            doc = re.sub(r"([^ ])\1{3,}", r"\1\1\1", doc)
        out.append([w for w in okt.morphs(doc, stem=True) if w not in STOPWORDS])
    return out


def test_parallel_okt_matches_the_textbook_loop_in_order(okt_tokens):
    source, result = okt_tokens
    ours = [line.split() for line in result.path.read_text(encoding="utf-8").splitlines()]
    docs = list(iter_documents(source))
    assert len(ours) == len(docs) == 300
    expected = textbook_tokens(docs)
    # Squashing long runs (ㅋㅋㅋㅋ -> ㅋㅋㅋ) is the one intended difference.
    differs = [i for i, (a, b) in enumerate(zip(ours, expected, strict=True)) if a != b]
    for i in differs:
        assert re.search(r"(\S)\1{3,}", re.sub("[^ㄱ-ㅎㅏ-ㅣ가-힣 ]", "", docs[i])), docs[i]
    assert len(differs) < 15
    # With that squashing done by the textbook loop too, every document is the same (only
    # the documents squashing changes are tokenized again: Okt is slow).
    cleaned = [re.sub("[^ㄱ-ㅎㅏ-ㅣ가-힣 ]", "", doc) for doc in docs]
    changed = [i for i, doc in enumerate(cleaned) if re.search(r"([^ ])\1{3,}", doc)]
    again = textbook_tokens([docs[i] for i in changed], squash=True)
    squashed = dict(zip(changed, again, strict=True))
    assert ours == [squashed.get(i, tokens) for i, tokens in enumerate(expected)]


def test_sidecar_records_source_options_and_counts(okt_tokens):
    source, result = okt_tokens
    meta = json.loads(sidecar_path(result.path).read_text(encoding="utf-8"))
    assert meta["source"]["sha256"] == hashlib.sha256(source.path.read_bytes()).hexdigest()
    assert meta["source"]["size"] == source.path.stat().st_size
    assert meta["options"]["tokenizer"] == "okt" and meta["options"]["stem"] is True
    assert meta["counts"]["documents"] == 300
    assert meta["counts"]["tokens"] == sum(
        len(line.split()) for line in result.path.read_text(encoding="utf-8").splitlines()
    )
    assert meta["workers"] == 2 and meta["seconds"] > 0


def test_unchanged_source_and_options_reuse_the_file(okt_tokens):
    source, result = okt_tokens
    again = tokenize_corpus(source, TokenizeOptions(), output=result.path)
    assert again.reused and again.path == result.path


def test_changed_options_or_source_are_not_reused(okt_tokens, tmp_path):
    from embedcli.tokens.cache import load_if_current
    from embedcli.util.atomic import sha256_file

    source, result = okt_tokens
    sha = sha256_file(source.path)
    assert load_if_current(result.path, sha, TokenizeOptions()) is not None
    assert load_if_current(result.path, sha, TokenizeOptions(max_repeat=0)) is None
    assert load_if_current(result.path, "0" * 64, TokenizeOptions()) is None


def test_truncated_tokens_file_is_not_reused(okt_tokens, tmp_path):
    from embedcli.tokens.cache import load_if_current
    from embedcli.util.atomic import sha256_file

    source, result = okt_tokens
    copy = tmp_path / "t.txt"
    copy.write_text(result.path.read_text(encoding="utf-8")[:100], encoding="utf-8")
    sidecar_path(copy).write_text(sidecar_path(result.path).read_text(encoding="utf-8"))
    assert load_if_current(copy, sha256_file(source.path), TokenizeOptions()) is None


def test_english_corpus_is_empty_after_cleaning(tmp_path):
    path = tmp_path / "en.txt"
    path.write_text("A great movie.\nTerrible acting!\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="empty after cleaning.*Hangul"):
        tokenize_corpus(resolve_corpus(str(path)), TokenizeOptions(), workers=1)
    assert not list((tmp_path / "cache").rglob("*.txt"))  # nothing half-written left behind

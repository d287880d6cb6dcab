"""The English tokenizer's edge cases, one rule per test; and how --lang picks a tokenizer."""

from __future__ import annotations

import unicodedata

import pytest

from embedcli.errors import OptionsError
from embedcli.tokens.english import EnglishTokenizer
from embedcli.tokens.options import (
    TokenizeOptions,
    choose_tokenizer,
    default_options,
    tokenizer_version,
)
from embedcli.tokens.runner import DocumentTokenizer


@pytest.fixture(scope="module")
def tok() -> EnglishTokenizer:
    return EnglishTokenizer()


def test_lowercases_and_drops_punctuation(tok):
    assert tok.morphs('The KING said: "Hello, World!" (twice); ok?') == [
        "the", "king", "said", "hello", "world", "twice", "ok",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("don't", ["don't"]),
        ("o'clock", ["o'clock"]),
        ("rock'n'roll", ["rock'n'roll"]),
        ("Don\u2019t", ["don't"]),  # curly right quote
        ("rock\u2018n\u2019roll", ["rock'n'roll"]),  # curly left quote
        ("don\u02bct", ["don't"]),  # modifier letter apostrophe
        ("'tis", ["tis"]),  # leading apostrophe dropped, not kept as a word of its own
        ("dogs'", ["dogs"]),
        ("'quoted'", ["quoted"]),
        ("\u2018quoted\u2019", ["quoted"]),
        ("don''t", ["don", "t"]),  # a doubled apostrophe is not inside a word
    ],
)
def test_apostrophes(tok, text, expected):
    assert tok.morphs(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("state-of-the-art", ["state-of-the-art"]),
        ("well\u2010known", ["well-known"]),  # Unicode hyphen
        ("non\u2011stop", ["non-stop"]),  # non-breaking hyphen
        ("-leading trailing-", ["leading", "trailing"]),
        ("well--known", ["well", "known"]),  # a double hyphen is a dash
        ("war\u2014peace", ["war", "peace"]),  # an em dash splits
        ("1990\u20132000", ["1990", "2000"]),  # an en dash splits
    ],
)
def test_hyphens(tok, text, expected):
    assert tok.morphs(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,000", ["1,000"]),
        ("3.14", ["3.14"]),
        ("1,000,000.50", ["1,000,000.50"]),
        ("1990s", ["1990s"]),
        ("3rd", ["3rd"]),
        ("12:30", ["12:30"]),
        ("1/2", ["1/2"]),
        ("v2.0", ["v2.0"]),
        ("$5", ["5"]),
        ("50%", ["50"]),
        ("-5", ["5"]),
        ("it cost 1,000.", ["it", "cost", "1,000"]),  # sentence-final period dropped
        ("in 1999, then", ["in", "1999", "then"]),  # a comma after a number is punctuation
        ("42", ["42"]),  # digits are kept, not replaced by a placeholder
    ],
)
def test_numbers(tok, text, expected):
    assert tok.morphs(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("U.S.", ["u.s."]),
        ("e.g.", ["e.g."]),
        ("5 a.m. sharp", ["5", "a.m.", "sharp"]),
        ("Mr. Smith", ["mr", "smith"]),  # a word before a period loses the period
        ("end.Start", ["end", "start"]),  # a missing space after a period still splits
    ],
)
def test_periods_and_initialisms(tok, text, expected):
    assert tok.morphs(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see https://Example.com/Path?q=1.", ["see", "https://example.com/path?q=1"]),
        ("(www.example.org)", ["www.example.org"]),
        ("mail John.Doe+tag@Example.co.uk!", ["mail", "john.doe+tag@example.co.uk"]),
        ("@user #tag", ["user", "tag"]),  # not e-mail addresses: just the words
        ("a@b", ["a", "b"]),  # no dot in the domain: not an address
    ],
)
def test_urls_and_emails_stay_whole(tok, text, expected):
    assert tok.morphs(text) == expected


def test_accents_are_kept_and_normalised(tok):
    decomposed = "cafe\u0301"  # e + combining acute
    assert unicodedata.normalize("NFC", decomposed) != decomposed
    assert tok.morphs(f"Café {decomposed} NAÏVE Zoë") == ["café", "café", "naïve", "zoë"]


def test_other_scripts_are_kept_with_their_marks(tok):
    # Devanagari vowel signs and the virama are combining marks, which \w alone would split.
    words = tok.morphs("हिन्दी, 한국어! Москва ΑΘΉΝΑ 東京.")
    assert words == ["हिन्दी", "한국어", "москва", "αθήνα", "東京"]


def test_symbols_emoji_and_underscores_separate(tok):
    assert tok.morphs("_italic_ snake_case good🙂bad © ™ ★") == [
        "italic", "snake", "case", "good", "bad",
    ]  # fmt: skip


def test_document_pipeline_uses_the_same_rules(tok):
    text = "Don\u2019t stop -- it's 3.14, the U.S. café!"
    doc = DocumentTokenizer(default_options("english"))
    assert doc(text) == tok.morphs(text) == [
        "don't", "stop", "it's", "3.14", "the", "u.s.", "café",
    ]  # fmt: skip


def test_a_new_tokenizer_version_means_new_token_caches(monkeypatch):
    version = tokenizer_version("english")
    assert version != "embedcli-english-1"  # the rules changed: old caches must not match
    assert unicodedata.unidata_version in version  # letters and marks come from this table
    before = TokenizeOptions(tokenizer="english").fingerprint()
    monkeypatch.setattr(
        "embedcli.tokens.options.tokenizer_version", lambda name: "embedcli-english-99"
    )
    assert TokenizeOptions(tokenizer="english").fingerprint() != before


# --- --lang ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tokenizer", "lang", "corpus_lang", "expected"),
    [
        (None, None, None, "okt"),  # nothing known: the textbook's default
        (None, None, "en", "english"),  # the corpus's language
        (None, None, "fr", "okt"),  # a language without a tokenizer of its own
        (None, "ko", "en", "okt"),  # --lang beats the corpus
        (None, "en", None, "english"),
        ("okt", None, "en", "okt"),  # --tokenizer beats the corpus
        ("english", "en", "ko", "english"),  # agreeing options are fine
    ],
)
def test_choose_tokenizer_order(tokenizer, lang, corpus_lang, expected):
    assert choose_tokenizer(tokenizer, lang, corpus_lang) == expected


@pytest.mark.parametrize(
    ("tokenizer", "lang", "message"),
    [
        ("okt", "en", "--lang en means --tokenizer english, not okt"),
        ("english", "ko", "--lang ko means --tokenizer okt, not english"),
        (None, "fr", "Unknown --lang 'fr'"),
        ("kkma", None, "Unknown tokenizer 'kkma'"),
    ],
)
def test_choose_tokenizer_refuses(tokenizer, lang, message):
    with pytest.raises(OptionsError, match=message):
        choose_tokenizer(tokenizer, lang)

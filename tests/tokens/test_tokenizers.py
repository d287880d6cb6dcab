"""Cleaning, squashing and options: pure functions, no JVM."""

from __future__ import annotations

import pytest

from embedcli.errors import OptionsError
from embedcli.tokens.cleaning import TEXTBOOK_STOPWORDS, clean_text, squash_repeats
from embedcli.tokens.options import TokenizeOptions
from embedcli.tokens.runner import check_workers


def test_clean_keeps_hangul_jamo_and_spaces_only():
    assert clean_text("재밌다!! 10점 ㅋㅋ good ㅠㅠ") == "재밌다 점 ㅋㅋ  ㅠㅠ"
    assert clean_text("Great movie!!!") == " "
    assert clean_text("abc", "none") == "abc"


def test_squash_shortens_long_runs_only():
    assert squash_repeats("ㅋㅋㅋㅋㅋㅋㅋㅋ 재밌다", 3) == "ㅋㅋㅋ 재밌다"
    assert squash_repeats("하하하하하하하하하하", 3) == "하하하"
    assert squash_repeats("ㅋㅋㅋ ㅎㅎ", 3) == "ㅋㅋㅋ ㅎㅎ"
    assert squash_repeats("ㅋ" * 10, 0) == "ㅋ" * 10
    assert squash_repeats("a" + " " * 8 + "b", 3) == "a" + " " * 8 + "b"  # spaces untouched


def test_textbook_stopwords():
    textbook = "의 가 이 은 들 는 좀 잘 걍 과 도 를 으로 자 에 와 한 하다"
    assert " ".join(TEXTBOOK_STOPWORDS) == textbook


def test_fingerprint_changes_with_every_option():
    base = TokenizeOptions()
    variants = [
        TokenizeOptions(max_repeat=0),
        TokenizeOptions(stem=False),
        TokenizeOptions(clean="none"),
        TokenizeOptions(stopwords=()),
    ]
    prints = {base.fingerprint()} | {v.fingerprint() for v in variants}
    assert len(prints) == 1 + len(variants)
    assert TokenizeOptions().fingerprint() == base.fingerprint()


@pytest.mark.parametrize("kwargs", [{"tokenizer": "kkma"}, {"clean": "latin"}, {"max_repeat": -1}])
def test_bad_options(kwargs):
    with pytest.raises(OptionsError):
        TokenizeOptions(**kwargs)


def test_workers():
    assert check_workers(3) == 3
    assert check_workers(None) >= 1
    with pytest.raises(OptionsError, match="--workers"):
        check_workers(0)


def test_english_tokenizer_words_apostrophes_hyphens_numbers():
    from embedcli.tokens.english import EnglishTokenizer

    tok = EnglishTokenizer()
    assert tok.morphs("The King's well-known horse, 1999!") == [
        "the", "king's", "well-known", "horse", "1999",
    ]  # fmt: skip
    assert tok.morphs("Don\u2019t -- stop") == ["don't", "stop"]
    assert tok.morphs("'quoted' end-") == ["quoted", "end"]


def test_english_defaults_keep_everything():
    from embedcli.tokens.options import default_options

    options = default_options("english")
    assert options.clean == "none" and options.stopwords == () and options.max_repeat == 0
    assert default_options("okt").max_repeat == 3
    assert default_options("okt", max_repeat=0).max_repeat == 0
    with pytest.raises(OptionsError, match="Unknown tokenizer"):
        default_options("kkma")

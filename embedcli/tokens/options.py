"""Tokenizer options (the token cache's key), the tokenizers by name, and how --tokenizer,
--lang and a corpus's language choose one."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass

from embedcli.errors import OptionsError, quoted
from embedcli.tokens.cleaning import CLEANERS, DEFAULT_MAX_REPEAT, TEXTBOOK_STOPWORDS
from embedcli.tokens.english import EnglishTokenizer
from embedcli.tokens.kiwi import KiwiTokenizer
from embedcli.tokens.mecab import MecabTokenizer
from embedcli.tokens.okt import OktTokenizer
from embedcli.tokens.packages import backend_version, require


@dataclass(frozen=True)
class TokenizeOptions:
    """Everything that changes the tokens; part of the token cache key."""

    tokenizer: str = "okt"
    stem: bool = True
    norm: bool = False
    clean: str = "hangul"
    max_repeat: int = DEFAULT_MAX_REPEAT  # 0 disables squashing
    stopwords: tuple[str, ...] = TEXTBOOK_STOPWORDS

    def __post_init__(self) -> None:
        if self.tokenizer not in TOKENIZERS:
            raise OptionsError(
                f"Unknown tokenizer {quoted(self.tokenizer)}: choose one of "
                f"{', '.join(TOKENIZERS)}."
            )
        if self.clean not in CLEANERS:
            raise OptionsError(
                f"Unknown cleaning {quoted(self.clean)}: choose one of {', '.join(CLEANERS)}."
            )
        if self.max_repeat < 0:
            raise OptionsError("--max-repeat must be 0 (off) or a positive number.")

    def to_dict(self) -> dict:
        data = asdict(self)
        data["stopwords"] = list(self.stopwords)
        return data

    def fingerprint(self) -> str:
        """A short hash of the options and the tokenizer's version."""
        payload = dict(self.to_dict(), tokenizer_version=tokenizer_version(self.tokenizer))
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


Tokenizer = OktTokenizer | KiwiTokenizer | MecabTokenizer | EnglishTokenizer
TOKENIZERS: dict[str, Callable[..., Tokenizer]] = {
    "okt": OktTokenizer,
    "kiwi": KiwiTokenizer,  # embedcli.tokens.korean_rules: no JVM, tokens shaped like Okt's
    "mecab": MecabTokenizer,
    "english": EnglishTokenizer,
}
# The language each tokenizer is for.
TOKENIZER_LANGUAGES = {"okt": "ko", "kiwi": "ko", "mecab": "ko", "english": "en"}

# What each tokenizer does by default: Okt follows the textbook; English keeps everything.
TOKENIZER_DEFAULTS = {
    "okt": {"stem": True, "clean": "hangul", "max_repeat": DEFAULT_MAX_REPEAT,
            "stopwords": TEXTBOOK_STOPWORDS},
    "english": {"stem": False, "clean": "none", "max_repeat": 0, "stopwords": ()},
}  # fmt: skip
# Kiwi and MeCab run the same pipeline as Okt: Hangul only, squashing, the textbook stopwords.
TOKENIZER_DEFAULTS["kiwi"] = TOKENIZER_DEFAULTS["mecab"] = TOKENIZER_DEFAULTS["okt"]


def default_options(tokenizer: str = "okt", **overrides) -> TokenizeOptions:
    """TokenizeOptions with `tokenizer`'s defaults; None in `overrides` keeps the default."""
    if tokenizer not in TOKENIZER_DEFAULTS:
        raise OptionsError(
            f"Unknown tokenizer {quoted(tokenizer)}: choose one of {', '.join(TOKENIZERS)}."
        )
    values = dict(TOKENIZER_DEFAULTS[tokenizer])
    values.update({k: v for k, v in overrides.items() if v is not None})
    return TokenizeOptions(tokenizer=tokenizer, **values)


# The tokenizer each --lang stands for.
LANGUAGES = {"ko": "okt", "en": "english"}


def choose_tokenizer(
    tokenizer: str | None = None, lang: str | None = None, corpus_lang: str | None = None
) -> str:
    """The tokenizer to use: the one asked for, else --lang's, else the corpus's, else Okt.

    `corpus_lang` is the language a named corpus (or a recognised file) is in; an unknown or
    missing one falls through to Okt, the textbook's default.
    """
    if lang is not None and lang not in LANGUAGES:
        raise OptionsError(f"Unknown --lang {quoted(lang)}: choose one of {', '.join(LANGUAGES)}.")
    if tokenizer is not None:
        if tokenizer not in TOKENIZERS:
            raise OptionsError(
                f"Unknown tokenizer {quoted(tokenizer)}: choose one of {', '.join(TOKENIZERS)}."
            )
        if lang is not None and TOKENIZER_LANGUAGES[tokenizer] != lang:
            raise OptionsError(
                f"--lang {lang} means --tokenizer {LANGUAGES[lang]}, not {tokenizer}: give "
                "only one of the two options."
            )
        return tokenizer
    if lang is not None:
        return LANGUAGES[lang]
    return LANGUAGES.get(corpus_lang or "", "okt")


def tokenizer_version(name: str) -> str:
    if name == "okt":
        from importlib.metadata import version

        return f"konlpy-{version('konlpy')}/open-korean-text-2.1.0"
    if name in ("kiwi", "mecab"):
        return backend_version(name)
    if name == "english":
        # Bump the number whenever the rules change, so old token caches are not reused.
        return f"embedcli-english-2/unicode-{unicodedata.unidata_version}"
    return "unknown"


def check_available(name: str) -> None:
    """Fail fast, in this process, when a tokenizer cannot run here (e.g. no Java for Okt)."""
    if name == "okt":
        from embedcli.tokens.java import find_jvm

        find_jvm()
    elif name in ("kiwi", "mecab"):
        require(name)  # the package, without importing it (no model loaded here)

"""Text cleaning before any Korean tokenizer: Hangul and spaces only, runs of one character
shortened, and the textbook's stopwords."""

from __future__ import annotations

import re

# The stopword list of the NSMC Word2Vec textbook chapter.
TEXTBOOK_STOPWORDS: tuple[str, ...] = (
    "의", "가", "이", "은", "들", "는", "좀", "잘", "걍",
    "과", "도", "를", "으로", "자", "에", "와", "한", "하다",
)  # fmt: skip

# Everything but Hangul jamo, Hangul syllables and the space is removed.
_NOT_HANGUL = re.compile(r"[^ㄱ-ㅎㅏ-ㅣ가-힣 ]")
CLEANERS = ("hangul", "none")

DEFAULT_MAX_REPEAT = 3


def clean_text(text: str, clean: str = "hangul") -> str:
    """Keep Hangul and spaces only (the textbook's regex), or leave the text as it is."""
    if clean == "hangul":
        return _NOT_HANGUL.sub("", text)
    return text


def squash_repeats(text: str, max_repeat: int = DEFAULT_MAX_REPEAT) -> str:
    """Shorten runs of one repeated non-space character to `max_repeat` characters.

    Okt's analysis time grows steeply with the length of a space-free chunk, and reviews
    such as "ㅋㅋㅋㅋㅋㅋㅋㅋ…" or "하하하하하하…" are exactly that. 0 disables squashing.
    """
    if max_repeat <= 0:
        return text
    pattern = _repeat_pattern(max_repeat)
    return pattern.sub(lambda m: m.group(1) * max_repeat, text)


_REPEAT_PATTERNS: dict[int, re.Pattern[str]] = {}


def _repeat_pattern(max_repeat: int) -> re.Pattern[str]:
    if max_repeat not in _REPEAT_PATTERNS:
        _REPEAT_PATTERNS[max_repeat] = re.compile(r"(\S)\1{" + str(max_repeat) + ",}")
    return _REPEAT_PATTERNS[max_repeat]

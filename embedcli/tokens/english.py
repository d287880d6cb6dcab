"""The english tokenizer: lowercased words keeping inner apostrophes and hyphens, numbers,
initialisms, URLs and e-mail addresses; letters of any script. No JVM, no stopwords."""

from __future__ import annotations

import functools
import re
import unicodedata


class EnglishTokenizer:
    """Lowercased English words, one whitespace-separated chunk at a time; no JVM.

    What counts as a token (each rule has a test in tests/test_english.py):

    - words of letters and digits in any script, accents and combining marks included
      (café, naïve, हिन्दी; Unicode NFC first, so a decomposed é is the same word as é);
    - inner apostrophes and single hyphens join: don't, o'clock, rock'n'roll,
      state-of-the-art (curly ’ ‘ and ʼ count as ', the Unicode hyphens as -); leading and
      trailing ones are dropped ('tis -> tis, dogs' -> dogs, -5 -> 5) and a double hyphen
      splits (well--known -> well, known);
    - numbers stay whole with inner . , : / between digits (1,000  3.14  12:30  1/2) and with
      letters attached (1990s, 3rd); digits are kept as they are, not mapped to a placeholder;
    - dotted initialisms keep their dots: u.s., e.g., a.m.;
    - a chunk that is a URL (scheme:// or www.) or an e-mail address is one token, minus
      surrounding punctuation;
    - everything else (punctuation, symbols, emoji, underscores) separates or disappears.
    """

    name = "english"

    def __init__(self, stem: bool = False, norm: bool = False) -> None:
        self.stem = stem
        self._word = _english_word_pattern()

    def morphs(self, text: str) -> list[str]:
        text = text.lower()
        has_links = "@" in text or "://" in text or "www." in text
        if text.isascii():
            # the common case: the same rules with an ASCII-only regex over the whole line (no
            # token can span whitespace); the Unicode pattern's mark alternation is slow
            if not has_links:
                return _ASCII_WORD.findall(text)
            word = _ASCII_WORD
        else:
            text = unicodedata.normalize("NFC", text).translate(_ENGLISH_CHAR_MAP)
            word = self._word
        tokens: list[str] = []
        for chunk in text.split():
            if has_links and ("@" in chunk or "://" in chunk or "www." in chunk):
                bare = chunk.lstrip(_OPENING).rstrip(_CLOSING)
                if _URL.match(bare) or _EMAIL.match(bare):
                    tokens.append(bare)
                    continue
            tokens.extend((_ASCII_WORD if chunk.isascii() else word).findall(chunk))
        return tokens


_ENGLISH_CHAR_MAP = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\uff07": "'", "\u2010": "-", "\u2011": "-"}
)
_OPENING = "\"'([{<«“"
_CLOSING = "\"'.,;:!?)]}>»”"
_URL = re.compile(r"(?:[a-z][a-z0-9+.\-]*://|www\.)[^\s/]+\S*$")
_EMAIL = re.compile(
    r"[^\W_](?:[\w.+\-]*[^\W_])?@[^\W_](?:[\w\-]*[^\W_])?(?:\.[^\W_](?:[\w\-]*[^\W_])?)+$"
)


_ASCII_WORD = re.compile(r"(?:[a-z]\.){2,}|[a-z0-9]+(?:(?:['\-]|(?<=\d)[.,:/](?=\d))[a-z0-9]+)*")


@functools.cache
def _english_word_pattern() -> re.Pattern[str]:
    r"""The word regex; built once per process (Python's `re` has no \p{M} for marks)."""
    marks = "".join(
        f"{re.escape(chr(first))}-{re.escape(chr(last))}" for first, last in _mark_ranges()
    )
    char = rf"(?:[^\W_]|[{marks}])"
    initialism = r"(?:[^\W\d_]\.){2,}"
    joiner = r"(?:['\-]|(?<=\d)[.,:/](?=\d))"
    return re.compile(rf"{initialism}|{char}+(?:{joiner}{char}+)*")


def _mark_ranges() -> list[tuple[int, int]]:
    """Code point ranges of the combining marks (Unicode categories Mn, Mc, Me)."""
    ranges: list[tuple[int, int]] = []
    for point in range(0x30000):
        if unicodedata.category(chr(point))[0] == "M":
            if ranges and ranges[-1][1] == point - 1:
                ranges[-1] = (ranges[-1][0], point)
            else:
                ranges.append((point, point))
    return ranges

"""Kiwi and MeCab: two more Korean tokenizers, with tokens shaped like Okt's.

Neither needs Java. Both give morphemes with Sejong-style tags (Kiwi: `Kiwi().tokenize`;
MeCab: `mecab.MeCab().parse` from python-mecab-ko with the mecab-ko-dic dictionary), where Okt's
`morphs(stem=True)` gives nouns, josa and adverbs as written and each verb or adjective in its
dictionary form with the endings folded in. `okt_like` turns one chunk's morphemes into that
kind of stream, so that models trained with any of the three are comparable and the textbook's
stopwords (의, 가, 이, 은, ..., 하다) remove the same things. The rules, each checked against
Okt's tokens on NSMC reviews (README.md, "Korean tokenizers"):

- verbs, adjectives, auxiliaries and 아니다 (VV VA VX VCN) become their dictionary form
  (재밌었어요 -> 재밌다, 가벼운 -> 가볍다); endings (E*) are dropped, Okt folds them in;
- a root, or a noun, with an adjective suffix is one adjective (지루+하 -> 지루하다, 행복+하 ->
  행복하다); a verb suffix stays apart (감동+하 -> 감동 하다, as Okt gives for 감동했다; 하다 is
  a stopword); a noun directly followed by 나다 is one verb (짜증나네요 -> 짜증나다, 생각나다),
  and so is 안 + 되다 (안되다), as in Okt's dictionary;
- after -아/-어: 주다 joins its verb as written (보여주다, 해주다), 하다 joins an adjective
  (좋아하다, which Kiwi already gives as one verb), and 지다 is folded in (느껴진다 -> 느끼다);
- the copula is 이다 after a past or formal ending (영화였다, 영화입니다) and otherwise as
  written with its ending, which Okt reads as a josa (영화인데 -> 인데, 영화다 -> 다);
- a dependent noun right after a modifier ending (볼 것, 어울릴 듯) is folded into the verb;
  a determiner before 번 joins it (한번, 몇번); 이런/그런/저런 are 이렇다/그렇다/저렇다;
  pronouns are kept as written (내가 -> 내, not Kiwi's 나);
- everything else (nouns, josa, adverbs, interjections, noun suffixes such as 적, ㅋㅋㅋ) is
  kept as it is.

Only Hangul tokens come out: Kiwi writes some endings in conjoining jamo (ᆫ다) and marks a
coda added for effect as Z_CODA; MeCab writes some josa as a lone jamo (이건 = 이거 + ㄴ)."""

from __future__ import annotations

import re

# Bump whenever `okt_like` changes, so token caches made with the old rules are not reused.
RULES_VERSION = 1

# One morpheme: its form, Sejong-style tag (Kiwi's irregular-conjugation suffix dropped:
# VA-I -> VA), dictionary form (stem + 다 for predicates, else the form), and the span of the
# analysed text it was written as (start, end; MeCab gives one span for a whole inflected word).
Morpheme = tuple[str, str, str, int, int]

_PREDICATES = frozenset({"VV", "VA", "VX", "VCN"})
_ENDINGS = frozenset({"EP", "EF", "EC", "ETN", "ETM"})
_NOUNS = frozenset({"NNG", "NNP"})
_FORMAL = frozenset({"ᆸ니다", "습니다", "ㅂ니다", "ᄇ니다"})
_CONNECTIVE_A = frozenset({"아", "어", "여"})
_DETERMINERS = {"이런": "이렇다", "그런": "그렇다", "저런": "저렇다"}
# A token is Hangul syllables and compatibility jamo only, as the Hangul cleaning leaves them.
_TOKEN = re.compile(r"[ㄱ-ㅎㅏ-ㅣ가-힣]+")
_JAMO = re.compile(r"[ㄱ-ㅎㅏ-ㅣ]+")
_NONE: Morpheme = ("", "", "", 0, 0)


def okt_like(morphemes: list[Morpheme], text: str) -> list[str]:
    """Tokens like Okt's morphs(stem=True) from the morphemes of `text`, one chunk."""
    tokens: list[str] = []
    previous = _NONE
    stem_start = -1  # where the last verb or adjective token is written in `text`, if known
    for i, morpheme in enumerate(morphemes):
        form, tag, lemma, start, _end = morpheme
        before, before_tag = previous[0], previous[1]
        if tag in _PREDICATES:
            after_a = before_tag == "EC" and before in _CONNECTIVE_A and stem_start >= 0
            written = text[stem_start:start] if after_a else ""
            if tag == "VV" and form == "나" and before_tag in _NOUNS:
                tokens[-1] += lemma  # 짜증 + 나다 -> 짜증나다
            elif tag == "VV" and form == "되" and (before, before_tag) == ("안", "MAG"):
                tokens[-1] = "안되다"
            elif after_a and form == "지" and tag == "VX":
                pass  # 느끼 + 어 + 지 -> 느끼다
            elif after_a and form in ("주", "하") and _TOKEN.fullmatch(written):
                tokens[-1] = written + form + "다"  # 보이 + 어 + 주 -> 보여주다
            else:
                tokens.append(lemma)
                stem_start = start
        else:
            token = _other(morphemes, i, text, previous)
            if token:
                tokens.append(token)
            elif token is None:
                tokens[-1] += form + ("다" if tag.startswith("XS") else "")
            if tag not in _ENDINGS:
                stem_start = -1
        previous = morpheme
    # Kiwi's multi-word proper nouns (크리스찬 베일) hold a space: one token per word, as Okt.
    return [word for token in tokens for word in token.split() if _TOKEN.fullmatch(word)]


def _other(morphemes: list[Morpheme], i: int, text: str, previous: Morpheme) -> str | None:
    """The token for a morpheme that is not a verb or adjective: "" for none, None to join
    it to the token before."""
    form, tag, _lemma, start, end = morphemes[i]
    before_tag = previous[1]
    if tag in _ENDINGS or tag == "Z_CODA":
        return ""
    if tag == "VCP":
        return _copula(morphemes, i, text)
    if tag in ("XSA", "XSV"):
        if before_tag == "XR" or (tag == "XSA" and before_tag in _NOUNS):
            return None  # 지루 + 하 -> 지루하다
        return form + "다"
    if tag == "NNB":
        if form == "번" and before_tag == "MM":
            return None  # 한 + 번 -> 한번
        if before_tag == "ETM":
            return ""  # 볼 + 것 -> 보다
    if tag == "MM" and form in _DETERMINERS:
        return _DETERMINERS[form]
    if tag == "NP" and end > start:
        return text[start:end]  # 내가: Kiwi's 나, written 내
    if tag.startswith("J") and _JAMO.fullmatch(form):
        return ""
    return form


def _copula(morphemes: list[Morpheme], i: int, text: str) -> str:
    """The copula as Okt gives it: 이다 with a past or formal ending (영화였다, 영화입니다),
    else as written with its endings, which Okt reads as josa (영화인데 -> 인데, 영화다 -> 다)."""
    _form, _tag, _lemma, start, end = morphemes[i]
    for form, tag, _lemma, _start, ending_end in morphemes[i + 1 :]:
        if tag not in _ENDINGS:
            break
        if tag == "EP" or form in _FORMAL:
            return "이다"
        end = max(end, ending_end)
    written = text[start:end]
    return written if _TOKEN.fullmatch(written) else "이다"


def plain_forms(morphemes: list[Morpheme]) -> list[str]:
    """Every morpheme as it is (stem=False): endings and josa included."""
    return [m[0] for m in morphemes if _TOKEN.fullmatch(m[0])]


def _lemma(form: str, tag: str) -> str:
    return form + "다" if tag.split("-")[0] in _PREDICATES else form

"""Kiwi (kiwipiepy): N of Kiwi's own threads in one process, morphemes turned into tokens
shaped like Okt's (korean_rules)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

from embedcli.tokens.korean_rules import Morpheme, _lemma, okt_like, plain_forms
from embedcli.tokens.packages import require

# --- Kiwi ------------------------------------------------------------------------------------


class KiwiTokenizer:
    """Kiwi (kiwipiepy), with `threads` threads of its own for `morphs_many`.

    `--workers N` with Kiwi runs one worker process whose Kiwi has N threads (the worker pool
    hands it whole tasks through `morphs_many`): on the NSMC reviews, 2 threads ran 1.7x the
    speed of 2 single-threaded processes in a bare loop, in half the memory (BENCHMARKS.md,
    issue 6).
    """

    name = "kiwi"

    def __init__(self, stem: bool = True, norm: bool = False, threads: int = 1) -> None:
        self.stem = stem
        self.norm = norm  # Kiwi's normalize_coda: 재밌닼ㅋㅋ -> 재밌다 ㅋㅋㅋ
        self.threads = threads
        self._kiwi = _start_kiwi(threads)

    def analyse(self, text: str) -> list[Morpheme]:
        return kiwi_morphemes(self._kiwi.tokenize(text, normalize_coda=self.norm))

    def morphs(self, text: str) -> list[str]:
        return self._shape(self.analyse(text), text)

    def morphs_many(self, texts: list[str]) -> Iterator[list[str]]:
        """morphs() of each text, in order; Kiwi's threads share the work."""
        if self.threads <= 1:
            yield from map(self.morphs, texts)
            return
        found = self._kiwi.tokenize(texts, normalize_coda=self.norm)
        for text, tokens in zip(texts, found, strict=True):
            yield self._shape(kiwi_morphemes(tokens), text)

    def _shape(self, morphemes: list[Morpheme], text: str) -> list[str]:
        return okt_like(morphemes, text) if self.stem else plain_forms(morphemes)


def kiwi_morphemes(kiwi_tokens) -> list[Morpheme]:
    """Kiwi's tokens of one text as Morphemes (stem + 다 where a Token has no lemma)."""
    return [
        (
            t.form,
            t.tag.split("-")[0],
            getattr(t, "lemma", None) or _lemma(t.form, t.tag),
            t.start,
            t.start + t.len,
        )
        for t in kiwi_tokens
    ]


def _start_kiwi(threads: int = 1):
    require("kiwi")
    from kiwipiepy import Kiwi

    with warnings.catch_warnings():
        # num_workers=0 is "one thread, no pool" since kiwipiepy 0.21; it still warns that
        # 0 used to mean "all cores".
        warnings.simplefilter("ignore", DeprecationWarning)
        kiwi = Kiwi(num_workers=threads if threads > 1 else 0)
    kiwi.tokenize("")  # the model loads lazily; load it now, not inside the first task
    return kiwi

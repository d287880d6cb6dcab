"""MeCab (python-mecab-ko with mecab-ko-dic), read from its lattice and turned into tokens
shaped like Okt's (korean_rules)."""

from __future__ import annotations

from collections.abc import Iterator

from embedcli.errors import TokenizerError
from embedcli.tokens.korean_rules import _JAMO, Morpheme, _lemma, okt_like, plain_forms
from embedcli.tokens.packages import require

# --- MeCab -----------------------------------------------------------------------------------


class MecabTokenizer:
    """MeCab with mecab-ko-dic (python-mecab-ko): the fastest of the three, C++ all through.

    An inflected word comes back as one token with a compound tag (했 = 하/XSV + 았/EP); its
    `expression` gives the morphemes, which go through the same rules as Kiwi's. A compound
    noun (영화관 = 영화 + 관) stays one noun, and a run of lone jamo that MeCab splits up
    (ㄷㄷ = ㄷ + ㄷ) is one token again, as Okt and Kiwi give it.
    """

    name = "mecab"

    def __init__(self, stem: bool = True, norm: bool = False) -> None:
        self.stem = stem
        self.norm = norm  # no such option in MeCab
        self._mecab = _start_mecab()
        try:
            from mecab.utils import create_lattice
        except ImportError:
            create_lattice = None
        self._lattice = create_lattice

    def analyse(self, text: str) -> list[Morpheme]:
        morphemes: list[Morpheme] = []
        for surface, pos, kind, expression, start, end in self.nodes(text):
            if kind in ("Inflect", "Preanalysis") and expression:
                # The parts share the word's span: the first part is written as all of it.
                for n, part in enumerate(expression.split("+")):
                    form, tag, *_ = part.split("/")
                    at = start if n == 0 else end
                    morphemes.append((form, tag, _lemma(form, tag), at, end))
            elif morphemes and _is_jamo_after(morphemes[-1], surface, pos, start):
                form, tag, lemma, at, _end = morphemes[-1]
                morphemes[-1] = (form + surface, tag, lemma + surface, at, end)
            else:
                tag = _MECAB_TAGS.get(pos, pos.split("+")[0])
                morphemes.append((surface, tag, _lemma(surface, tag), start, end))
        return morphemes

    def nodes(self, text: str) -> Iterator[tuple[str, str, str | None, str | None, int, int]]:
        """(surface, tag, type, expression, start, end) of each of MeCab's tokens.

        Read from MeCab's lattice directly: python-mecab-ko's `parse()` builds two named
        tuples per token, 40% of a worker's time on the NSMC reviews (py-spy). Its public
        `parse()` is the fallback for a version without the lattice binding; the tests check
        that both give the same.
        """
        tagger = getattr(self._mecab, "_tagger", None)
        if tagger is None or self._lattice is None:
            for morpheme in self._mecab.parse(text):
                f = morpheme.feature
                span = morpheme.span
                yield morpheme.surface, f.pos, f.type, f.expression, span.start, span.end
            return
        lattice = self._lattice(text)
        if not tagger.parse(lattice):
            raise TokenizerError(f"MeCab could not analyse {text[:40]!r}: {tagger.what()}")
        for (start, end), node in lattice:
            # pos, semantic, has final consonant, reading, type, first tag, last tag, expression
            values = node.feature.split(",")
            kind = values[4] if len(values) > 4 and values[4] != "*" else None
            expression = values[7] if len(values) > 7 and values[7] != "*" else None
            yield node.surface, values[0], kind, expression, start, end

    def morphs(self, text: str) -> list[str]:
        morphemes = self.analyse(text)
        return okt_like(morphemes, text) if self.stem else plain_forms(morphemes)


# mecab-ko-dic's own tags for what Kiwi and the Sejong set tag otherwise.
_MECAB_TAGS = {"NNBC": "NNB"}  # unit nouns: 번, 개, 명


def _is_jamo_after(last: Morpheme, surface: str, pos: str, start: int) -> bool:
    """Whether MeCab's token `surface` (tag `pos`, at `start`) is a lone jamo written right
    after `last`, itself all jamo."""
    return (
        last[4] == start
        and bool(_JAMO.fullmatch(last[0]))
        and bool(_JAMO.fullmatch(surface))
        and not last[1].startswith(("J", "E"))
        and not pos.startswith(("J", "E"))
    )


def _start_mecab():
    require("mecab")
    import mecab

    try:
        return mecab.MeCab()
    except (RuntimeError, OSError) as exc:
        raise TokenizerError(
            f"MeCab could not load its dictionary ({exc}). Reinstall it: "
            "`.venv/bin/pip install --force-reinstall python-mecab-ko python-mecab-ko-dic`."
        ) from None

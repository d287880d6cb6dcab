"""Queries on a model's vectors: nearest neighbours and analogies.

Analogies follow the word2vec/gensim convention: "A is to B as C is to ?" is answered by the
words nearest to B - A + C (3CosAdd), or by 3CosMul (Levy & Goldberg 2014), with A, B and C
themselves excluded from the answers.
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass

from embedcli.errors import EmbedcliError, VocabularyError
from embedcli.models import Model

METHODS = ("add", "mul")


@dataclass(frozen=True)
class Neighbour:
    word: str
    score: float


@dataclass(frozen=True)
class Analogy:
    a: str
    b: str
    c: str
    method: str
    neighbours: list[Neighbour]

    @property
    def question(self) -> str:
        return f"{self.a} : {self.b} = {self.c} : ?"

    @property
    def formula(self) -> str:
        if self.method == "mul":
            return f"3CosMul: cos(?, {self.b}) * cos(?, {self.c}) / cos(?, {self.a})"
        return f"{self.b} - {self.a} + {self.c}"


def check_topn(topn: int) -> None:
    if topn < 1:
        raise EmbedcliError(f"--topn {topn} asks for no answers: give a number of 1 or more.")


def require_words(model: Model, words: list[str]) -> None:
    """Raise VocabularyError naming the first unknown word, the model and close spellings."""
    for word in words:
        if word not in model.kv.key_to_index:
            close = suggest(word, model.kv.index_to_key)
            hint = f" Close: {', '.join(close)}." if close else ""
            raise VocabularyError(
                f"{word!r} is not in the vocabulary of {model.name} "
                f"({model.vocab_size:,} words).{hint}"
            )


def suggest(word: str, vocabulary: list[str], n: int = 5, cutoff: float = 0.6) -> list[str]:
    """In-vocabulary spellings closest to `word`.

    Hangul syllables are compared as their jamo (NFD), so 최민식 is close to 최민수 (one vowel
    and one final consonant apart) rather than simply "two of three characters equal".
    """
    target = unicodedata.normalize("NFD", word)
    length = len(target)
    candidates = {}
    for known in vocabulary:
        decomposed = unicodedata.normalize("NFD", known)
        if abs(len(decomposed) - length) <= max(2, length // 2):
            candidates.setdefault(decomposed, known)
    matches = difflib.get_close_matches(target, list(candidates), n=n, cutoff=cutoff)
    return [candidates[m] for m in matches]


def similar(
    model: Model, positive: list[str], negative: list[str] | None = None, topn: int = 10
) -> list[Neighbour]:
    """The `topn` words nearest to the sum of `positive` minus `negative` (inputs excluded)."""
    negative = negative or []
    check_topn(topn)
    if not positive:
        raise EmbedcliError("Give at least one word to find neighbours of.")
    _refuse_repeats(positive + negative)
    require_words(model, positive + negative)
    found = model.kv.most_similar(positive=positive, negative=negative, topn=topn)
    return [Neighbour(word, float(score)) for word, score in found]


def analogy(
    model: Model, a: str, b: str, c: str, *, topn: int = 10, method: str = "add"
) -> Analogy:
    """Answer "a is to b as c is to ?" with b - a + c (inputs excluded)."""
    check_topn(topn)
    if method not in METHODS:
        raise EmbedcliError(f"Unknown --method {method!r}: use add (3CosAdd) or mul (3CosMul).")
    _refuse_repeats([a, b, c])
    require_words(model, [a, b, c])
    if method == "mul":
        found = model.kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=topn)
    else:
        found = model.kv.most_similar(positive=[b, c], negative=[a], topn=topn)
    neighbours = [Neighbour(word, float(score)) for word, score in found]
    return Analogy(a=a, b=b, c=c, method=method, neighbours=neighbours)


def _refuse_repeats(words: list[str]) -> None:
    seen = set()
    for word in words:
        if word in seen:
            raise EmbedcliError(
                f"{word!r} is given twice: each word of a query may appear only once."
            )
        seen.add(word)

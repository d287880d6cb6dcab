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


OOV_NOTE = "OOV, built from character n-grams"


@dataclass(frozen=True)
class Similar:
    positive: list[str]
    negative: list[str]
    neighbours: list[Neighbour]
    oov: list[str]  # query words not in the vocabulary, built from character n-grams


@dataclass(frozen=True)
class Analogy:
    a: str
    b: str
    c: str
    method: str
    neighbours: list[Neighbour]
    oov: list[str]

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


def builds_unseen_words(model: Model) -> bool:
    """FastText vectors can answer words never seen in training from their character n-grams."""
    return getattr(model.kv, "bucket", 0) > 0 and hasattr(model.kv, "vectors_ngrams")


def require_words(model: Model, words: list[str]) -> list[str]:
    """Check every query word; return those that are out of vocabulary but can be built.

    Raises VocabularyError naming the first word that cannot be answered, the model, its size
    and the closest in-vocabulary spellings.
    """
    oov = []
    for word in words:
        if word in model.kv.key_to_index:
            continue
        if builds_unseen_words(model) and _has_ngrams(model.kv, word):
            oov.append(word)
            continue
        close = suggest(word, model.kv.index_to_key)
        hint = f" Close: {', '.join(close)}." if close else ""
        raise VocabularyError(
            f"{word!r} is not in the vocabulary of {model.name} ({model.vocab_size:,} words).{hint}"
        )
    return oov


def _has_ngrams(kv, word: str) -> bool:
    from gensim.models.fasttext import ft_ngram_hashes

    return bool(ft_ngram_hashes(word, kv.min_n, kv.max_n, kv.bucket))


def vectors_of(model: Model, words: list[str]) -> tuple[list, list[str]]:
    """The vectors of `words` (built from n-grams where needed) and which ones were OOV."""
    _refuse_repeats(words)
    oov = require_words(model, words)
    return [model.kv.get_vector(word) for word in words], oov


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
) -> Similar:
    """The `topn` words nearest to the sum of `positive` minus `negative` (inputs excluded)."""
    negative = negative or []
    check_topn(topn)
    if not positive:
        raise EmbedcliError("Give at least one word to find neighbours of.")
    _refuse_repeats(positive + negative)
    oov = require_words(model, positive + negative)
    found = model.kv.most_similar(positive=positive, negative=negative, topn=topn)
    neighbours = [Neighbour(word, float(score)) for word, score in found]
    return Similar(positive=positive, negative=negative, neighbours=neighbours, oov=oov)


def analogy(
    model: Model, a: str, b: str, c: str, *, topn: int = 10, method: str = "add"
) -> Analogy:
    """Answer "a is to b as c is to ?" with b - a + c (inputs excluded)."""
    check_topn(topn)
    if method not in METHODS:
        raise EmbedcliError(f"Unknown --method {method!r}: use add (3CosAdd) or mul (3CosMul).")
    _refuse_repeats([a, b, c])
    oov = require_words(model, [a, b, c])
    if method == "mul":
        found = model.kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=topn)
    else:
        found = model.kv.most_similar(positive=[b, c], negative=[a], topn=topn)
    neighbours = [Neighbour(word, float(score)) for word, score in found]
    return Analogy(a=a, b=b, c=c, method=method, neighbours=neighbours, oov=oov)


def _refuse_repeats(words: list[str]) -> None:
    seen = set()
    for word in words:
        if word in seen:
            raise EmbedcliError(
                f"{word!r} is given twice: each word of a query may appear only once."
            )
        seen.add(word)

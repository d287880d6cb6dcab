"""Queries on a model's vectors: nearest neighbours and analogies.

Analogies follow the word2vec/gensim convention: "A is to B as C is to ?" is answered by the
words nearest to B - A + C (3CosAdd), or by 3CosMul (Levy & Goldberg 2014), with A, B and C
themselves excluded from the answers.

Everything is answered from the model's query index with NumPy, computed as gensim's
`most_similar` / `most_similar_cosmul` compute it, without importing gensim; only words a
FastText model never saw take the slow way, through its n-gram model (reported in `oov`)."""

from __future__ import annotations

import difflib
import re
import unicodedata
import weakref
from dataclasses import dataclass

import numpy as np

from embedcli.errors import EmbedcliError, OptionsError, VocabularyError, quoted
from embedcli.store.model_dir import Model
from embedcli.store.query_index import mean_of_units

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
        raise OptionsError(f"--topn {topn} asks for no answers: give a number of 1 or more.")


def builds_unseen_words(model: Model) -> bool:
    """FastText vectors can answer words never seen in training from their character n-grams."""
    return bool(model.index.ngrams) and model.index.ngrams.get("bucket", 0) > 0


def require_words(model: Model, words: list[str]) -> list[str]:
    """Check every query word; return those that are out of vocabulary but can be built.

    Raises VocabularyError naming the first word that cannot be answered, the model, its size
    and the closest in-vocabulary spellings.
    """
    oov = []
    for word in words:
        if model.index.index_of(word) is not None:
            continue
        _refuse_unseen_script(model, word)
        if builds_unseen_words(model) and _has_ngrams(model.index.ngrams, word):
            oov.append(word)
            continue
        close = suggest(word, model.index.words)
        hint = f" Close: {', '.join(close)}." if close else _no_close_hint(model, word)
        raise VocabularyError(
            f"{quoted(word)} is not in the vocabulary of {model.name} ({model.vocab_size:,} "
            f"words).{hint}"
        )
    return oov


def _no_close_hint(model: Model, word: str) -> str:
    """What to do when no word of the model is spelt like the query."""
    listing = f"`embedcli export-tsv --model {model.path}` writes every word to metadata.tsv"
    if builds_unseen_words(model):
        ngrams = model.index.ngrams
        return (
            f" No word in it is spelt close to it, and it is too short for the model's "
            f"character n-grams ({ngrams['min_n']}-{ngrams['max_n']} characters). To see the "
            f"vocabulary, {listing}."
        )
    return (
        f" No word in it is spelt close to it. To see the vocabulary, {listing}; a FastText "
        "model (`embedcli train --algo fasttext`) also answers words it never saw, from their "
        "character n-grams."
    )


def check_words(words: list[str]) -> None:
    """Refuse an empty query word before looking anything up (a usage error)."""
    for word in words:
        if not word.strip():
            raise OptionsError(f"The query word {quoted(word)} is empty: give a word to look up.")


# Writing systems a query word can be in, and the letters that show each one.
SCRIPTS = {
    "Hangul": "\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7a3\ud7b0-\ud7ff",
    "Latin": "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff",
    "Cyrillic": "\u0400-\u04ff",
    "Greek": "\u0370-\u03ff",
    "Han": "\u3400-\u4dbf\u4e00-\u9fff",
    "Kana": "\u3040-\u30ff",
    "Arabic": "\u0600-\u06ff",
    "Hebrew": "\u0590-\u05ff",
    "Thai": "\u0e00-\u0e7f",
    "Devanagari": "\u0900-\u097f",
}
_SCRIPT_PATTERNS = {name: re.compile(f"[{letters}]") for name, letters in SCRIPTS.items()}
LANGUAGE_NAMES = {"ko": "Korean", "en": "English"}


def scripts_of(text: str) -> set[str]:
    """The writing systems (of SCRIPTS) that `text` has letters of."""
    return {name for name, pattern in _SCRIPT_PATTERNS.items() if pattern.search(text)}


_VOCABULARY_SCRIPTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _vocabulary_scripts(model: Model) -> set[str]:
    """The scripts of a model's words: one pass over the vocabulary per loaded model."""
    found = _VOCABULARY_SCRIPTS.get(model.index)
    if found is None:
        found = _VOCABULARY_SCRIPTS[model.index] = scripts_of("\n".join(model.index.words))
    return found


def _refuse_unseen_script(model: Model, word: str) -> None:
    """A word in a script the model has no words in gets no useful suggestions or n-grams."""
    wanted = scripts_of(word)
    known = _vocabulary_scripts(model)
    if not wanted or wanted & known:
        return
    lang = _language_name(model, known)
    raise VocabularyError(
        f"{quoted(word)} is written in {' and '.join(sorted(wanted))}, and {model.name} has "
        "no words "
        f"in that script: it was trained on {lang} text. Query it with {lang} words, or use "
        "a model trained on text in that script."
    )


def _language_name(model: Model, known: set[str]) -> str:
    """The model's language from its card, else the scripts of its vocabulary."""
    from embedcli.tokens.options import TOKENIZER_LANGUAGES

    card = model.card
    tokenizer = card.get("tokenizer")
    options = tokenizer.get("options") if isinstance(tokenizer, dict) else None
    name = options.get("tokenizer") if isinstance(options, dict) else None
    lang = TOKENIZER_LANGUAGES.get(name)
    corpus = card.get("corpus")
    if lang is None and isinstance(corpus, dict):
        lang = corpus.get("lang")
    if lang in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[lang]
    return f"{'/'.join(sorted(known))}-script" if known else "non-alphabetic"


def _has_ngrams(ngrams: dict, word: str) -> bool:
    """Does `word` have a character n-gram FastText can look up? ("<word>" holds min_n chars)"""
    return len(word) + 2 >= ngrams["min_n"]


def vectors_of(model: Model, words: list[str]) -> tuple[list, list[str]]:
    """The vectors of `words` (built from n-grams where needed) and which ones were OOV."""
    check_words(words)
    words = [canonical(model, word) for word in words]
    _refuse_repeats(words)
    oov = require_words(model, words)
    return [_vector(model, word, unit=False) for word in words], oov


def _vector(model: Model, word: str, *, unit: bool) -> np.ndarray:
    """A word's vector from the index, or (unseen by FastText) from its n-gram model."""
    row = model.index.index_of(word)
    if row is not None:
        return model.index.unit(row) if unit else model.index.vector(row)
    return np.array(model.ngram_model().get_vector(word, norm=unit), dtype=np.float32)


def _rows(model: Model, words: list[str]) -> list[int]:
    """Rows of the words that are in the vocabulary: left out of the answers."""
    found = (model.index.index_of(word) for word in words)
    return [row for row in found if row is not None]


def nearest(model: Model, positive: list[str], negative: list[str], topn: int) -> list:
    """gensim's most_similar(positive, negative, topn), from the index."""
    words = positive + negative
    weights = [1.0] * len(positive) + [-1.0] * len(negative)
    mean = mean_of_units([_vector(model, w, unit=True) for w in words], weights)
    return model.index.best(model.index.cosines(mean), topn, _rows(model, words))


def nearest_cosmul(model: Model, positive: list[str], negative: list[str], topn: int) -> list:
    """gensim's most_similar_cosmul(positive, negative, topn), from the index."""
    index = model.index
    shifted = [(1 + index.cosines(_vector(model, w, unit=True))) / 2 for w in positive]
    against = [(1 + index.cosines(_vector(model, w, unit=True))) / 2 for w in negative]
    scores = np.prod(shifted, axis=0) / (np.prod(against, axis=0) + 0.000001)
    return index.best(scores, topn, _rows(model, positive + negative))


def canonical(model: Model, word: str) -> str:
    """The vocabulary's spelling of `word` when the two differ only in Unicode normalisation.

    Some terminals and file systems (macOS) hand over Hangul decomposed into jamo (NFD), which
    looks the same as the composed form (NFC) the tokenizers write but is another string.
    """
    if model.index.index_of(word) is not None:
        return word
    composed = unicodedata.normalize("NFC", word)
    return composed if composed != word and model.index.index_of(composed) is not None else word


def check_method(method: str) -> None:
    if method not in METHODS:
        raise OptionsError(
            f"Unknown --method {quoted(method)}: use add (3CosAdd) or mul (3CosMul)."
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
) -> Similar:
    """The `topn` words nearest to the sum of `positive` minus `negative` (inputs excluded)."""
    check_topn(topn)
    if not positive:
        raise EmbedcliError("Give at least one word to find neighbours of.")
    check_words([*positive, *(negative or [])])
    positive = [canonical(model, word) for word in positive]
    negative = [canonical(model, word) for word in negative or []]
    _refuse_repeats(positive + negative)
    oov = require_words(model, positive + negative)
    found = nearest(model, positive, negative, topn)
    neighbours = [Neighbour(word, float(score)) for word, score in found]
    return Similar(positive=positive, negative=negative, neighbours=neighbours, oov=oov)


def analogy(
    model: Model, a: str, b: str, c: str, *, topn: int = 10, method: str = "add"
) -> Analogy:
    """Answer "a is to b as c is to ?" with b - a + c (inputs excluded)."""
    check_topn(topn)
    check_method(method)
    check_words([a, b, c])
    a, b, c = (canonical(model, word) for word in (a, b, c))
    _refuse_repeats([a, b, c])
    oov = require_words(model, [a, b, c])
    if method == "mul":
        found = nearest_cosmul(model, [b, c], [a], topn)
    else:
        found = nearest(model, [b, c], [a], topn)
    neighbours = [Neighbour(word, float(score)) for word, score in found]
    return Analogy(a=a, b=b, c=c, method=method, neighbours=neighbours, oov=oov)


def _refuse_repeats(words: list[str]) -> None:
    seen = set()
    for word in words:
        if word in seen:
            raise EmbedcliError(
                f"{quoted(word)} is given twice: each word of a query may appear only once."
            )
        seen.add(word)


# --- one line of `embedcli explore` ---------------------------------------------------------

EXPLORE_HELP = """\
  word                neighbours of the word
  word1 word2         neighbours of the sum of their vectors
  a b c               analogy: a is to b as c is to ?  (b - a + c, as `embedcli analogy`)
  word -other         neighbours of word minus other (any number of +words and -words)
  :vector word...     the vectors of the words
  :help               this help
  :quit               leave (also Ctrl-D)"""


@dataclass(frozen=True)
class Request:
    """What one line of `explore` asks: kind is similar, analogy, vector, help, quit or none."""

    kind: str
    positive: list[str]
    negative: list[str]


def parse_request(line: str) -> Request:
    """Read one line of `explore`; EmbedcliError for a command it does not know."""
    parts = line.split()
    if not parts:
        return Request("none", [], [])
    head = parts[0]
    if head.startswith(":"):
        command = head[1:].lower()
        if command in ("q", "quit", "exit"):
            return Request("quit", [], [])
        if command in ("h", "help", "?"):
            return Request("help", [], [])
        if command in ("v", "vector", "vectors"):
            if len(parts) < 2:
                raise EmbedcliError(":vector needs one or more words, e.g. `:vector 영화`.")
            return Request("vector", parts[1:], [])
        raise EmbedcliError(f"Unknown command {quoted(head)}: type :help for what to ask.")
    positive = [p[1:] if p.startswith("+") else p for p in parts if not _is_negative(p)]
    negative = [p[1:] for p in parts if _is_negative(p)]
    if not positive:
        raise EmbedcliError("Give at least one word without a minus sign, e.g. `왕 -남자 여자`.")
    if len(positive) == 3 and not negative:
        return Request("analogy", positive, [])
    return Request("similar", positive, negative)


def _is_negative(part: str) -> bool:
    return part.startswith("-") and len(part) > 1

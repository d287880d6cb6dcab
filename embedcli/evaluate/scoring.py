"""Scoring word vectors on analogy and word-similarity test sets.

Analogies ("a is to b as c is to d") are answered as word2vec's `compute-accuracy` and gensim's
`evaluate_word_analogies` do: the word nearest by cosine to b - a + c (3CosAdd on unit
vectors), a, b and c excluded, the candidates limited to the `restrict_vocab` most frequent
words; the question is right when that word is d (top-1 accuracy). Word similarity compares
the model's cosine similarity of each pair with the human score (Spearman and Pearson).

Test words are looked up the way training saw them. A word in the vocabulary is used as it is;
otherwise the model's own tokenizer (the normaliser) is asked: one token is used in its place
("normalised"), several tokens or none mean the tokenizer splits the word, and the item is
skipped and counted as "split" rather than silently lost as out-of-vocabulary.

Readers accept questions-words.txt (`: section` lines), kor2vec's analogy files (`# title
(N pairs)` lines), and word-pair files that are tab-, comma- or space-separated, with or
without a UTF-8 BOM, `#` starting a comment line."""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from embedcli.errors import ModelError, OptionsError, quoted
from embedcli.evaluate.testsets import (
    KINDS,
    LANGUAGE_OF_TOKENIZER,
    LANGUAGES,
    AnalogySet,
    SimilaritySet,
    default_test_sets,
    parse_analogies,
    parse_similarity,
)
from embedcli.store.model_dir import Model

# Why an analogy question or a word pair was not scored, in the order they are checked: an
# item with several problems is counted once, under the first.
SPLIT, OOV, RARE, DEGENERATE = "split", "oov", "rare", "degenerate"
ANALOGY_SKIPS = (SPLIT, OOV, RARE, DEGENERATE)
SIMILARITY_SKIPS = (SPLIT, OOV)

DEFAULT_RESTRICT_VOCAB = 30_000  # as word2vec's compute-accuracy

# Cells of one question-by-candidate similarity matrix (float32): 32 MB. A section is one
# matrix product unless it is larger than this.
BATCH_CELLS = 1 << 23
EXAMPLES = 10  # normalised / split words listed per test set

Normaliser = Callable[[str], Sequence[str]]


# --- looking words up -----------------------------------------------------------------------


@dataclass(frozen=True)
class Lookup:
    status: str  # "as-is", "normalised", SPLIT or OOV
    index: int | None = None  # row in the model's vectors
    tokens: tuple[str, ...] = ()  # what the tokenizer made of the word


class WordLookup:
    """Test word -> vocabulary row, through the model's tokenizer for words not found as-is.

    The normaliser (the model's tokenizer) is only called for words missing from the
    vocabulary, so in-vocabulary sets never start it (for Okt: never start a JVM).
    """

    def __init__(self, key_to_index: dict[str, int], normaliser: Normaliser | None = None):
        self._index = key_to_index
        self._normaliser = normaliser
        self._cache: dict[str, Lookup] = {}

    def missing(self, words: Iterable[str]) -> list[str]:
        """Distinct words that are not in the vocabulary as they are and not yet looked up."""
        return sorted({w for w in words if w not in self._index and w not in self._cache})

    def __call__(self, word: str) -> Lookup:
        found = self._cache.get(word)
        if found is None:
            found = self._cache[word] = self._look_up(word)
        return found

    def _look_up(self, word: str) -> Lookup:
        index = self._index.get(word)
        if index is not None:
            return Lookup("as-is", index)
        if self._normaliser is None:
            return Lookup(OOV)
        tokens = tuple(self._normaliser(word))
        if len(tokens) != 1:
            return Lookup(SPLIT, tokens=tokens)
        index = self._index.get(tokens[0])
        if index is None or tokens[0] == word:
            return Lookup(OOV, tokens=tokens)
        return Lookup("normalised", index, tokens)


def _word_changes(lookup: WordLookup, words: Iterable[str]) -> tuple[dict, dict]:
    normalised: dict[str, str] = {}
    split: dict[str, list[str]] = {}
    for word in words:
        found = lookup(word)
        if found.status == "normalised":
            normalised[word] = found.tokens[0]
        elif found.status == SPLIT:
            split[word] = list(found.tokens)
    return normalised, split


def _changes_dict(normalised: dict, split: dict) -> dict:
    return {
        "normalised_words": {
            "count": len(normalised),
            "examples": dict(list(normalised.items())[:EXAMPLES]),
        },
        "split_words": {"count": len(split), "examples": dict(list(split.items())[:EXAMPLES])},
    }


# --- analogies ------------------------------------------------------------------------------


@dataclass
class AnalogyScore:
    """Counts for one section, one file, or one kind of section across files."""

    name: str
    kind: str
    questions: int = 0
    scored: int = 0
    correct: int = 0
    normalised: int = 0  # scored questions with a word normalised by the tokenizer
    skipped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ANALOGY_SKIPS, 0))

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.scored if self.scored else None

    def add(self, other: AnalogyScore) -> None:
        self.questions += other.questions
        self.scored += other.scored
        self.correct += other.correct
        self.normalised += other.normalised
        for reason, n in other.skipped.items():
            self.skipped[reason] += n

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "questions": self.questions,
            "scored": self.scored,
            "correct": self.correct,
            "accuracy": _rounded(self.accuracy),
            "normalised": self.normalised,
            "skipped": dict(self.skipped),
        }


@dataclass
class AnalogyResult:
    name: str
    path: Path
    candidates: int  # answers were chosen among this many most frequent words
    sections: list[AnalogyScore]
    total: AnalogyScore
    normalised_words: dict[str, str]
    split_words: dict[str, list[str]]

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "path": str(self.path),
            "sections": [s.to_dict() for s in self.sections],
            "total": self.total.to_dict(),
            **_changes_dict(self.normalised_words, self.split_words),
        }


def _unit_rows(kv, limit: int) -> np.ndarray:
    vectors = np.asarray(kv.vectors[:limit], dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0  # a zero vector stays zero: similarity 0 to everything
    return vectors / norms


def answer_analogies(unit: np.ndarray, questions: np.ndarray) -> np.ndarray:
    """The 3CosAdd answer (a row of `unit`) to each question given as rows a, b, c.

    unit: candidate vectors of length 1; questions: int array (n, 3) or wider. The answer is
    the candidate nearest by cosine to b - a + c, other than a, b and c.
    """
    answers = np.empty(len(questions), dtype=np.int64)
    step = max(1, BATCH_CELLS // max(1, len(unit)))
    for start in range(0, len(questions), step):
        batch = questions[start : start + step, :3]
        targets = unit[batch[:, 1]] - unit[batch[:, 0]] + unit[batch[:, 2]]
        sims = targets @ unit.T  # |target| is the same for every candidate: no need to divide
        sims[np.arange(len(batch))[:, None], batch] = -np.inf
        answers[start : start + step] = sims.argmax(axis=1)
    return answers


def candidate_count(kv, restrict_vocab: int) -> int:
    if restrict_vocab < 0:
        raise OptionsError("--restrict-vocab must be 0 (the whole vocabulary) or more.")
    return min(restrict_vocab, len(kv)) if restrict_vocab else len(kv)


def evaluate_analogies(
    kv,
    analogies: AnalogySet,
    restrict_vocab: int = DEFAULT_RESTRICT_VOCAB,
    normaliser: Normaliser | WordLookup | None = None,
) -> AnalogyResult:
    """Top-1 3CosAdd accuracy per section and in total.

    Only the `restrict_vocab` most frequent words (the first rows of `kv`; 0 = all) are
    candidate answers, and questions with a word outside them are skipped as rare, as in
    word2vec's compute-accuracy. Questions with a word the tokenizer splits or that is out of
    the vocabulary, and questions whose four words are not distinct after normalisation, are
    skipped and counted too.
    """
    lookup = _as_lookup(kv, normaliser)
    limit = candidate_count(kv, restrict_vocab)
    unit: np.ndarray | None = None
    scores = []
    for section in analogies.sections:
        score = AnalogyScore(section.name, section.kind, questions=len(section.questions))
        rows, with_normalised = [], []
        for question in section.questions:
            found = [lookup(word) for word in question.words]
            reason = _skip_reason(found, limit)
            if reason:
                score.skipped[reason] += 1
                continue
            rows.append([f.index for f in found])
            with_normalised.append(any(f.status == "normalised" for f in found))
        if rows:
            if unit is None:
                unit = _unit_rows(kv, limit)
            table = np.array(rows, dtype=np.int64)
            right = answer_analogies(unit, table) == table[:, 3]
            score.scored = len(rows)
            score.correct = int(right.sum())
            score.normalised = int(np.sum(with_normalised))
        scores.append(score)
    total = AnalogyScore("total", _common_kind(s.kind for s in scores))
    for score in scores:
        total.add(score)
    normalised, split = _word_changes(lookup, analogies.words())
    return AnalogyResult(
        name=analogies.name,
        path=analogies.path,
        candidates=limit,
        sections=scores,
        total=total,
        normalised_words=normalised,
        split_words=split,
    )


def _skip_reason(found: list[Lookup], limit: int) -> str | None:
    statuses = {f.status for f in found}
    if SPLIT in statuses:
        return SPLIT
    if OOV in statuses:
        return OOV
    indices = [f.index for f in found]
    if max(indices) >= limit:  # type: ignore[type-var]
        return RARE
    if len(set(indices)) < len(indices):
        return DEGENERATE
    return None


def _common_kind(kinds: Iterable[str]) -> str:
    distinct = set(kinds)
    return distinct.pop() if len(distinct) == 1 else "mixed"


def _as_lookup(kv, normaliser: Normaliser | WordLookup | None) -> WordLookup:
    if isinstance(normaliser, WordLookup):
        return normaliser
    return WordLookup(kv.key_to_index, normaliser)


# --- word similarity ------------------------------------------------------------------------


@dataclass
class SimilarityResult:
    name: str
    path: Path
    pairs: int
    scored: int
    spearman: float | None
    pearson: float | None
    normalised: int  # scored pairs with a word normalised by the tokenizer
    skipped: dict[str, int]
    normalised_words: dict[str, str]
    split_words: dict[str, list[str]]

    @property
    def oov_ratio(self) -> float:
        """Share of the pairs skipped because a word has no vector (OOV or split)."""
        return sum(self.skipped.values()) / self.pairs if self.pairs else 0.0

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "path": str(self.path),
            "pairs": self.pairs,
            "scored": self.scored,
            "spearman": _rounded(self.spearman),
            "pearson": _rounded(self.pearson),
            "oov_ratio": _rounded(self.oov_ratio),
            "normalised": self.normalised,
            "skipped": dict(self.skipped),
            **_changes_dict(self.normalised_words, self.split_words),
        }


def evaluate_similarity(
    kv, pairs: SimilaritySet, normaliser: Normaliser | WordLookup | None = None
) -> SimilarityResult:
    """Spearman and Pearson correlation of cosine similarity with the human scores.

    Every word of the vocabulary counts (no --restrict-vocab here); pairs with a word that is
    out of the vocabulary or split by the tokenizer are skipped and counted.
    """
    from scipy import stats

    lookup = _as_lookup(kv, normaliser)
    skipped = dict.fromkeys(SIMILARITY_SKIPS, 0)
    gold, left, right, with_normalised = [], [], [], 0
    for pair in pairs.pairs:
        found = [lookup(pair.word1), lookup(pair.word2)]
        statuses = {f.status for f in found}
        reason = SPLIT if SPLIT in statuses else OOV if OOV in statuses else None
        if reason:
            skipped[reason] += 1
            continue
        gold.append(pair.score)
        left.append(found[0].index)
        right.append(found[1].index)
        with_normalised += "normalised" in statuses
    spearman = pearson = None
    if len(gold) >= 2:
        cosines = _cosines(kv, left, right)
        with warnings.catch_warnings():  # constant input: scipy warns and returns nan
            warnings.simplefilter("ignore")
            spearman = _finite(stats.spearmanr(gold, cosines)[0])
            pearson = _finite(stats.pearsonr(gold, cosines)[0])
    normalised, split = _word_changes(lookup, pairs.words())
    return SimilarityResult(
        name=pairs.name,
        path=pairs.path,
        pairs=len(pairs.pairs),
        scored=len(gold),
        spearman=spearman,
        pearson=pearson,
        normalised=with_normalised,
        skipped=skipped,
        normalised_words=normalised,
        split_words=split,
    )


def _cosines(kv, left: list[int], right: list[int]) -> np.ndarray:
    vectors = kv.vectors
    a = np.asarray(vectors[left], dtype=np.float64)  # float64: ties stay ties for Spearman
    b = np.asarray(vectors[right], dtype=np.float64)
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    norms[norms == 0] = 1.0
    return np.einsum("ij,ij->i", a, b) / norms


def _finite(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


# --- a whole model --------------------------------------------------------------------------


@dataclass
class EvalResult:
    """Everything `embedcli evaluate` reports about one model."""

    model: str
    model_path: Path
    vocab_size: int
    language: str
    language_from: str
    tokenizer: str | None
    restrict_vocab: int  # as asked; 0 = whole vocabulary
    candidates: int  # the analogy candidates actually used
    analogies: list[AnalogyResult]
    similarity: list[SimilarityResult]
    notes: list[str]

    def by_kind(self) -> dict[str, AnalogyScore]:
        """Analogy counts over every file: semantic, syntactic, unknown and all sections."""
        totals = {kind: AnalogyScore(kind, kind) for kind in KINDS}
        totals["all"] = AnalogyScore("all", "all")
        for result in self.analogies:
            for section in result.sections:
                totals[section.kind].add(section)
                totals["all"].add(section)
        return totals

    def to_dict(self) -> dict:
        return {
            "model": {
                "name": self.model,
                "path": str(self.model_path),
                "vocab_size": self.vocab_size,
            },
            "language": self.language,
            "language_from": self.language_from,
            "tokenizer": self.tokenizer,
            "restrict_vocab": self.restrict_vocab,
            "candidates": self.candidates,
            "analogies": {
                "sets": [r.to_dict() for r in self.analogies],
                "summary": {kind: s.to_dict() for kind, s in self.by_kind().items()},
            },
            "similarity": [r.to_dict() for r in self.similarity],
            "notes": list(self.notes),
        }


def model_language(card: dict, kv) -> tuple[str, str]:
    """The model's language (ko or en) and where that was read from."""
    options = _tokenizer_options(card)
    name = options.get("tokenizer") if options else None
    if name in LANGUAGE_OF_TOKENIZER:
        return LANGUAGE_OF_TOKENIZER[name], f"tokenizer {name}"
    corpus = card.get("corpus")
    if isinstance(corpus, dict) and corpus.get("lang") in LANGUAGES:
        return corpus["lang"], "corpus"
    words = kv.index_to_key[:1000]
    hangul = sum(1 for word in words if _HANGUL.search(word))
    return ("ko" if words and 2 * hangul > len(words) else "en"), "guessed from the vocabulary"


_HANGUL = re.compile(r"[가-힣ㄱ-ㅎㅏ-ㅣ]")


def _tokenizer_options(card: dict) -> dict | None:
    tokenizer = card.get("tokenizer")
    options = tokenizer.get("options") if isinstance(tokenizer, dict) else None
    return options if isinstance(options, dict) else None


def card_normaliser(card: dict) -> Normaliser | None:
    """The tokenizer the model was trained with, rebuilt from its card (None if unknown).

    Nothing starts here: a JVM for Okt starts only when a word is first tokenized.
    """
    from embedcli.tokens.options import TOKENIZERS, TokenizeOptions
    from embedcli.tokens.runner import DocumentTokenizer

    options = _tokenizer_options(card)
    if not options or options.get("tokenizer") not in TOKENIZERS:
        return None
    known = {f.name for f in fields(TokenizeOptions)}
    values = {k: v for k, v in options.items() if k in known}
    if "stopwords" in values:
        values["stopwords"] = tuple(values["stopwords"])
    try:
        return DocumentTokenizer(TokenizeOptions(**values))
    except (OptionsError, TypeError) as exc:
        raise ModelError(
            f"The tokenizer options in the model card cannot be used ({exc}). Train the model "
            "again."
        ) from None


FASTTEXT_NOTE = (
    "FastText model: words outside the trained vocabulary count as OOV; no vectors are built "
    "from character n-grams (the usual practice, so models compare on equal terms)."
)


def evaluate_model(
    model: Model,
    *,
    analogies: Sequence[Path] | None = None,
    similarity: Sequence[Path] | None = None,
    restrict_vocab: int = DEFAULT_RESTRICT_VOCAB,
    language: str | None = None,
    on_status: Callable[[str], None] | None = None,
) -> EvalResult:
    """Score a model on the given test files, or on its language's default sets.

    Giving any analogy or similarity file replaces all the defaults. Every file is read
    before any scoring, so a bad file fails fast.
    """
    from embedcli.query import builds_unseen_words

    kv = model.kv
    limit = candidate_count(kv, restrict_vocab)
    if language is not None and language not in LANGUAGES:
        raise OptionsError(f"Unknown --lang {quoted(language)}: use one of {', '.join(LANGUAGES)}.")
    if language:
        language_from = "--lang"
    else:
        language, language_from = model_language(model.card, kv)
    if analogies or similarity:
        analogy_paths, similarity_paths = list(analogies or []), list(similarity or [])
    else:
        analogy_paths, similarity_paths = default_test_sets(language)
    analogy_sets = [parse_analogies(path) for path in analogy_paths]
    similarity_sets = [parse_similarity(path) for path in similarity_paths]

    notes = []
    normaliser = card_normaliser(model.card)
    options = _tokenizer_options(model.card) or {}
    tokenizer = options.get("tokenizer") if normaliser else None
    if normaliser is None:
        notes.append("The model card names no tokenizer: test words are looked up as they are.")
    if language_from == "guessed from the vocabulary":
        notes.append(f"Language {language} guessed from the vocabulary (set it with --lang).")
    if builds_unseen_words(model):
        notes.append(FASTTEXT_NOTE)
    if analogy_sets:
        notes.append(
            f"Analogy answers: the nearest of the {limit:,} most frequent words to b - a + c "
            "(3CosAdd), a, b and c excluded; questions with a word outside them are skipped "
            "as rare."
        )

    lookup = WordLookup(kv.key_to_index, normaliser)
    missing = lookup.missing(w for s in [*analogy_sets, *similarity_sets] for w in s.words())
    if missing and normaliser is not None:
        if on_status:
            on_status(
                f"Tokenizing {len(missing):,} test words that are not in the vocabulary as "
                f"they are ({tokenizer})"
            )
        for word in missing:
            lookup(word)

    return EvalResult(
        model=model.name,
        model_path=model.path,
        vocab_size=len(kv),
        language=language,
        language_from=language_from,
        tokenizer=tokenizer,
        restrict_vocab=restrict_vocab,
        candidates=limit,
        analogies=[evaluate_analogies(kv, s, restrict_vocab, lookup) for s in analogy_sets],
        similarity=[evaluate_similarity(kv, s, lookup) for s in similarity_sets],
        notes=notes,
    )

"""Sentiment as a downstream score: logistic regression on document vectors, beside a TF-IDF
baseline on the same tokens and the same split.

The labelled documents (a label, and at least one token) are split once, stratified by label
and seeded, into train and test. Each document-vector weighting is scored with a logistic
regression on standardised vectors; the baseline is TF-IDF of unigrams and bigrams
(sublinear tf, min_df 2, fitted on the training documents) with a logistic regression. Test
documents without a known word keep a zero vector (the classifier's prior decides them) and
are counted, so the embedding scores are on exactly the documents the baseline sees.
Accuracy and macro-averaged F1 (the mean over classes) are reported.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from embedcli.errors import EvalSetError, OptionsError

TEST_SIZE = 0.25
SEED = 0
MAX_ITER = 1000
BASELINE = "tf-idf 1-2 grams"


@dataclass
class MethodScore:
    method: str  # "mean", "sif" or the baseline
    accuracy: float
    f1: float
    features: int
    test_without_known: int = 0
    seconds: float = 0.0


@dataclass
class SentimentResult:
    model: str
    corpus: str
    label_column: str
    classes: dict[str, int]  # label -> documents used
    train: int
    test: int
    test_size: float
    seed: int
    scores: list[MethodScore]
    skipped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def baseline(self) -> MethodScore:
        return next(s for s in self.scores if s.method == BASELINE)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["task"] = "sentiment"
        data["f1_average"] = "macro"
        return data


def check_split(test_size: float) -> None:
    if not 0 < test_size < 1:
        raise OptionsError(f"The test share must be between 0 and 1 (not {test_size}).")


def split_rows(labels: Sequence[str], test_size: float = TEST_SIZE, seed: int = SEED):
    """Train and test row numbers: stratified by label, seeded."""
    from sklearn.model_selection import train_test_split

    rows = np.arange(len(labels))
    train, test = train_test_split(
        rows, test_size=test_size, random_state=seed, stratify=np.asarray(labels)
    )
    return np.sort(train), np.sort(test)


def check_labels(labels: Sequence[str], corpus: str, column: str, test_size: float) -> Counter:
    counts = Counter(labels)
    if not counts:
        raise EvalSetError(
            f"No document of {corpus} has both a label in {column!r} and a token: check the "
            "--label-column."
        )
    if len(counts) < 2:
        (only,) = counts
        raise EvalSetError(
            f"All {len(labels):,} labelled documents of {corpus} have the label {only!r} in "
            f"{column!r}: a classifier needs at least two classes. Check the --label-column."
        )
    rare = [label for label, n in counts.items() if n < 2]
    if rare:
        raise EvalSetError(
            f"The label {rare[0]!r} of {column!r} in {corpus} has a single document, too few to "
            "appear in both the training and the test documents: remove it or relabel it."
        )
    test = int(np.ceil(test_size * len(labels)))
    if test < len(counts) or len(labels) - test < len(counts):
        raise EvalSetError(
            f"{len(labels):,} labelled documents of {corpus} are too few to split into train "
            f"and test documents holding all {len(counts)} labels: give a larger corpus."
        )
    return counts


def score_vectors(vectors, labels, train, test, seed: int = SEED) -> tuple[float, float]:
    """Accuracy and macro F1 of a logistic regression on standardised `vectors`."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    y = np.asarray(labels)
    x = np.asarray(vectors, dtype=np.float32)
    classifier = make_pipeline(
        StandardScaler(), LogisticRegression(max_iter=MAX_ITER, random_state=seed)
    )
    classifier.fit(x[train], y[train])
    predicted = classifier.predict(x[test])
    return (
        float(accuracy_score(y[test], predicted)),
        float(f1_score(y[test], predicted, average="macro")),
    )


def score_tfidf(token_lists, labels, train, test, seed: int = SEED) -> tuple[float, float, int]:
    """Accuracy, macro F1 and feature count of TF-IDF (1-2 grams, sublinear tf, min_df 2) +
    logistic regression, on the same tokens and split."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score

    y = np.asarray(labels)
    vectorizer = TfidfVectorizer(
        analyzer=lambda tokens: _ngrams(tokens), sublinear_tf=True, min_df=2
    )
    x_train = vectorizer.fit_transform([token_lists[i] for i in train])
    x_test = vectorizer.transform([token_lists[i] for i in test])
    classifier = LogisticRegression(max_iter=MAX_ITER, random_state=seed)
    classifier.fit(x_train, y[train])
    predicted = classifier.predict(x_test)
    return (
        float(accuracy_score(y[test], predicted)),
        float(f1_score(y[test], predicted, average="macro")),
        len(vectorizer.vocabulary_),
    )


def _ngrams(tokens: list[str]) -> list[str]:
    """Unigrams and bigrams of pre-tokenized text (the tokens are the model's, untouched)."""
    return [*tokens, *(f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False))]


def evaluate_sentiment(
    stored,
    *,
    corpus=None,
    label_column: str | None = None,
    weightings: Sequence[str] = ("mean", "sif"),
    test_size: float = TEST_SIZE,
    seed: int = SEED,
    tokenizer: str | None = None,
    workers: int | None = None,
    on_status=None,
    on_progress=None,
) -> SentimentResult:
    """Score the model's document vectors on a labelled corpus (the model's own by default)."""
    from embedcli import documents as docs

    check_split(test_size)
    for weighting in weightings:
        docs.check_weighting(weighting)
    options = docs.model_options(stored, tokenizer)
    source = corpus if corpus is not None else docs.model_corpus(stored)
    found = docs.read_documents(
        source,
        options,
        label_column=label_column,
        require_labels=True,
        workers=workers,
        on_status=on_status,
        on_progress=on_progress,
    )
    column = found.label_column
    usable = [i for i, (label, tokens) in enumerate(zip(found.labels, found.tokens, strict=True))
              if label and tokens]  # fmt: skip
    skipped = {
        "without label": sum(1 for label in found.labels if not label),
        "without tokens": sum(1 for lab, t in zip(found.labels, found.tokens, strict=True)
                              if lab and not t),
    }  # fmt: skip
    labels = [found.labels[i] for i in usable]
    counts = check_labels(labels, source.name, column, test_size)
    train, test = split_rows(labels, test_size, seed)
    scores: list[MethodScore] = []
    token_lists = [found.tokens[i] for i in usable]
    for weighting in weightings:
        started = time.perf_counter()
        if corpus is None and not stored.read_only:
            vectors = docs.doc_vectors(stored, weighting, tokenizer=tokenizer, on_status=on_status)
            matrix = np.asarray(vectors.vectors)[usable]
            known = np.asarray(vectors.known)[usable]
        else:
            embedded = docs.embed(stored.kv, token_lists, weighting)
            matrix, known = embedded.vectors, embedded.known
        accuracy, f1 = score_vectors(matrix, labels, train, test, seed)
        scores.append(
            MethodScore(
                method=weighting,
                accuracy=accuracy,
                f1=f1,
                features=int(matrix.shape[1]),
                test_without_known=int((known[test] == 0).sum()),
                seconds=round(time.perf_counter() - started, 3),
            )
        )
    started = time.perf_counter()
    accuracy, f1, features = score_tfidf(token_lists, labels, train, test, seed)
    scores.append(
        MethodScore(
            method=BASELINE,
            accuracy=accuracy,
            f1=f1,
            features=features,
            seconds=round(time.perf_counter() - started, 3),
        )
    )
    notes = []
    if any(s.test_without_known for s in scores):
        notes.append(
            "Test documents without a known word keep a zero vector: the classifier's prior "
            "decides them (counted per method)."
        )
    return SentimentResult(
        model=str(stored.path),
        corpus=source.name,
        label_column=column,
        classes=dict(sorted(counts.items())),
        train=len(train),
        test=len(test),
        test_size=test_size,
        seed=seed,
        scores=scores,
        skipped={k: v for k, v in skipped.items() if v},
        notes=notes,
    )

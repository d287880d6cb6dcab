"""What a plot shows: the words, their vectors and counts, and their place on the map.

`word_map` picks the words (given words, a word and its neighbourhood, the most frequent words,
or an analogy's four corners), projects them to 2-D and returns a `WordMap` that the static
(static.py) and interactive (page.py) renderers draw. `loss_curve` reads the per-epoch losses a
model card holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from embedcli.errors import ModelError, OptionsError, VocabularyError, quoted

FORMATS = (".png", ".svg", ".html")
KINDS = ("words", "neighbors", "top", "analogy", "loss")

# Roles of the points, drawn in different colours.
QUERY, NEIGHBOUR, WORD, ANSWER = "query", "neighbour", "word", "answer"


@dataclass
class WordMap:
    """Words placed on a 2-D map."""

    kind: str
    title: str
    model_name: str
    method: str
    words: list[str]
    counts: list[int | None]
    vectors: np.ndarray  # unit rows, float32, (n, d)
    coords: np.ndarray  # (n, 2)
    roles: list[str]
    arrows: list[tuple[int, int]] = field(default_factory=list)  # (from, to) point indexes
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.words)


@dataclass
class LossCurve:
    title: str
    model_name: str
    algo: str
    epochs: list[int]
    losses: list[float]
    note: str


def output_format(path: Path) -> str:
    """The output's format from its suffix: .png, .svg or .html."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        shown = f"{suffix!r}" if suffix else "no suffix"
        raise OptionsError(
            f"Cannot tell what to write from {quoted(str(path))} ({shown}): end the output "
            f"name with {', '.join(FORMATS[:-1])} or {FORMATS[-1]}."
        )
    return suffix


def check_choice(
    words: Sequence[str],
    neighbors: str | None,
    top_n: int | None,
    analogy: Sequence[str] | None,
    loss: bool,
) -> str:
    """Which kind of plot the options ask for; refuse contradicting options (usage errors)."""
    asked = {
        "words": bool(words),
        "neighbors": neighbors is not None,
        "top": top_n is not None,
        "analogy": analogy is not None,
        "loss": loss,
    }
    chosen = [kind for kind, on in asked.items() if on]
    if len(chosen) > 1:
        names = {
            "words": "WORDS",
            "neighbors": "--neighbors",
            "top": "--top-n",
            "analogy": "--analogy",
            "loss": "--loss",
        }
        raise OptionsError(
            f"{' and '.join(names[k] for k in chosen)} ask for different plots: give one of "
            "WORDS, --neighbors, --top-n, --analogy or --loss."
        )
    if top_n is not None and top_n < 1:
        raise OptionsError(f"--top-n {top_n} plots no words: give 1 or more.")
    if analogy is not None and len(analogy) != 3:
        raise OptionsError(
            f"--analogy takes three words A B C, got {len(analogy)}: e.g. --analogy 남자 배우 여자."
        )
    return chosen[0] if chosen else "top"


def _counts(kv, words: Sequence[str]) -> list[int | None]:
    counts: list[int | None] = []
    for word in words:
        try:
            value = kv.get_vecattr(word, "count") if word in kv.key_to_index else None
            counts.append(None if value is None else int(value))
        except (KeyError, TypeError, ValueError):
            counts.append(None)
    return counts


def word_map(
    stored,
    *,
    words: Sequence[str] = (),
    neighbors: str | None = None,
    topn: int = 30,
    top_n: int | None = None,
    analogy: Sequence[str] | None = None,
    method: str = "pca",
    seed: int = 1,
    workers: int | None = None,
) -> WordMap:
    """The words to show, projected by `method` (`stored` is a store.model_dir.Model)."""
    from embedcli import query
    from embedcli.plot.projection import check_method, project, unit_rows

    check_method(method)
    kind = check_choice(words, neighbors, top_n, analogy, False)
    kv = stored.kv
    notes: list[str] = []
    arrows: list[tuple[int, int]] = []
    if kind == "words":
        chosen = list(words)
        vectors, _ = query.vectors_of(stored, chosen)
        chosen = [query.canonical(stored, w) for w in chosen]
        roles = [WORD] * len(chosen)
        title = f"{len(chosen)} words"
    elif kind == "neighbors":
        query.check_topn(topn)
        found = query.similar(stored, [neighbors], [], topn=topn)
        chosen = [found.positive[0], *(n.word for n in found.neighbours)]
        vectors, _ = query.vectors_of(stored, chosen)
        roles = [QUERY] + [NEIGHBOUR] * (len(chosen) - 1)
        title = f"{chosen[0]} and its {len(chosen) - 1} nearest neighbours"
    elif kind == "analogy":
        a, b, c = analogy
        found = query.analogy(stored, a, b, c, topn=1)
        if not found.neighbours:
            raise VocabularyError(f"No answer to {found.question} in {stored.name}.")
        answer = found.neighbours[0].word
        chosen = [found.a, found.b, found.c, answer]
        vectors, _ = query.vectors_of(stored, chosen)
        roles = [WORD, WORD, WORD, ANSWER]
        arrows = [(0, 1), (2, 3)]
        title = f"{found.a} : {found.b} = {found.c} : {answer}"
    else:
        size = len(kv)
        if size == 0:
            raise ModelError(f"{stored.name} has no words to plot.")
        n = size if top_n is None else min(top_n, size)
        if top_n is None and size > DEFAULT_TOP_N:
            n = DEFAULT_TOP_N
            notes.append(
                f"Plotting the {n:,} most frequent of {size:,} words; --top-n {size} shows all."
            )
        elif top_n is not None and top_n > size:
            notes.append(f"{stored.name} has only {size:,} words; plotting all of them.")
        chosen = list(kv.index_to_key[:n])
        vectors = kv.vectors[:n]
        roles = [WORD] * n
        title = f"The {n:,} most frequent words"
    matrix = np.asarray(np.vstack(vectors) if len(chosen) else np.zeros((0, 0)), np.float32)
    if not np.isfinite(matrix).all():
        raise ModelError(
            f"Some vectors of {stored.name} hold NaN or infinite values, which cannot be "
            "placed on a map: retrain the model, or plot other words."
        )
    coords = project(matrix, method, seed=seed, workers=workers)
    return WordMap(
        kind=kind,
        title=f"{title} · {stored.name} · {METHOD_NAMES[method]}",
        model_name=stored.name,
        method=method,
        words=chosen,
        counts=_counts(kv, chosen),
        vectors=unit_rows(matrix),
        coords=coords,
        roles=roles,
        arrows=arrows,
        notes=notes,
    )


DEFAULT_TOP_N = 1000
METHOD_NAMES = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}


def loss_curve(stored) -> LossCurve:
    """The per-epoch training losses in the model card."""
    card = stored.card or {}
    training = card.get("training") or {}
    epochs = [e for e in training.get("epochs") or [] if e.get("loss") is not None]
    algo = card.get("algo", "vectors")
    if not epochs:
        why = training.get("loss_note") or (
            "it was not trained by embedcli" if stored.read_only else "its card holds no losses"
        )
        raise ModelError(
            f"{stored.name} has no training losses to plot ({why}): plot the loss of a "
            "word2vec or glove model trained by `embedcli train`."
        )
    return LossCurve(
        title=f"Training loss · {stored.name} ({algo})",
        model_name=stored.name,
        algo=algo,
        epochs=[int(e["epoch"]) for e in epochs],
        losses=[float(e["loss"]) for e in epochs],
        note=training.get("loss_note", ""),
    )


def default_output(model_name: str, kind: str, *, neighbors: str | None = None) -> Path:
    """./<model>-<kind>.png (the neighbourhood plot names its word)."""
    stem = f"{model_name}-{kind}" + (f"-{neighbors}" if neighbors else "")
    safe = "".join("_" if ch in '/\\\0:*?"<>|' or ord(ch) < 32 else ch for ch in stem)
    return Path(f"{safe}.png")

"""`embedcli evaluate`: analogy and similarity scores, rendered as tables or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from embedcli.cli import console
from embedcli.cli.app import app
from embedcli.cli.options import ModelOpt, QuietOpt
from embedcli.cli.query_commands import load_model
from embedcli.errors import quoted

# --- evaluate -------------------------------------------------------------------------------

EVAL_FORMATS = ("table", "json")
ANALOGY_COLUMNS = [
    "section", "questions", "correct", "accuracy", "oov", "rare", "split", "degenerate",
    "normalised",
]  # fmt: skip
SIMILARITY_COLUMNS = [
    "set", "pairs", "scored", "spearman", "pearson", "oov ratio", "oov", "split", "normalised",
]  # fmt: skip
EVAL_LEGEND = (
    "correct: right answers / scored questions. Skipped: oov = a word not in the vocabulary; "
    "rare = a word outside the most frequent (--restrict-vocab); split = a word the "
    "tokenizer splits into several tokens or none; degenerate = the four words are not "
    "distinct after normalisation. normalised = scored items with a word the tokenizer "
    "turned into one vocabulary word."
)


@app.command()
def evaluate(
    model_dir: Annotated[
        Path | None,
        typer.Argument(
            metavar="MODEL",
            help="The model directory to evaluate; defaults to the most recently trained model.",
        ),
    ] = None,
    analogies: Annotated[
        list[Path] | None,
        typer.Option(
            "--analogies",
            help="An analogy file (repeatable): ': section' or '# section' lines, then 'a b c "
            "d' per line. Any --analogies or --similarity replaces the default test sets.",
        ),
    ] = None,
    similarity: Annotated[
        list[Path] | None,
        typer.Option(
            "--similarity",
            help="A word-similarity file (repeatable): 'word1 word2 score' per line, separated "
            "by tabs, commas or spaces; '#' starts a comment.",
        ),
    ] = None,
    restrict_vocab: Annotated[
        int,
        typer.Option(
            "--restrict-vocab",
            min=0,
            help="Analogies only: answers come from the N most frequent words, and questions "
            "with any other word are skipped (as word2vec's compute-accuracy); 0 = the whole "
            "vocabulary.",
        ),
    ] = 30_000,  # evaluate.DEFAULT_RESTRICT_VOCAB; not imported so --help stays fast
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="Run the default test sets of this language (ko: kor2vec; en: gensim's "
            "questions-words, WordSim-353, SimLex-999) instead of the model's language.",
        ),
    ] = None,
    task: Annotated[
        str,
        typer.Option(
            "--task",
            help="words: analogies and word similarity; sentiment: logistic regression on "
            "document vectors (mean and SIF) beside a TF-IDF + logistic regression baseline, "
            "on the same tokens and the same seeded, stratified 75/25 split.",
        ),
    ] = "words",
    corpus: Annotated[
        str | None,
        typer.Option(
            "--corpus",
            help="--task sentiment: a labelled corpus (name or TSV path); defaults to the "
            "model's own corpus.",
        ),
    ] = None,
    label_column: Annotated[
        str | None,
        typer.Option(
            "--label-column",
            help="--task sentiment: the TSV column holding the labels (default 'label', as in "
            "NSMC).",
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", help="--task sentiment: the seed of the train/test split.")
    ] = 0,
    save: Annotated[
        bool,
        typer.Option("--save", help="Also write the results into the model's model.json."),
    ] = False,
    fmt: Annotated[
        str, typer.Option("--format", help="table for people, json for scripts.")
    ] = "table",
    model: ModelOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Score a model on word analogies and word similarity (its language's sets by default)."""
    if fmt not in EVAL_FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(EVAL_FORMATS)}.")
    if model_dir and model and Path(model_dir) != Path(model):
        raise typer.BadParameter("Give the model either as MODEL or as --model, not both.")
    if lang is not None and lang not in ("ko", "en"):
        raise typer.BadParameter(f"Unknown --lang {quoted(lang)}: use ko or en.")
    if task not in ("words", "sentiment"):
        raise typer.BadParameter(f"Unknown --task {quoted(task)}: use words or sentiment.")
    if task == "sentiment":
        if analogies or similarity or lang is not None:
            raise typer.BadParameter(
                "--analogies, --similarity and --lang are for --task words, not sentiment."
            )
        loaded = load_model(model_dir or model, quiet)
        _sentiment(loaded, corpus, label_column, seed, save, fmt, quiet)
        return
    if corpus or label_column:
        raise typer.BadParameter("--corpus and --label-column are for --task sentiment.")
    loaded = load_model(model_dir or model, quiet)
    result = loaded.evaluate(
        analogies=analogies,
        similarity=similarity,
        restrict_vocab=restrict_vocab,
        lang=lang,
        save=save,
        on_status=lambda message: console.status(message, quiet),
    )
    if fmt == "json":
        import json

        console.result(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        _render_evaluation(result)


def _sentiment(loaded, corpus, label_column, seed, save, fmt, quiet) -> None:
    with console.StageBars(quiet) as bars:
        result = loaded.evaluate(
            task="sentiment",
            corpus=corpus,
            label_column=label_column,
            seed=seed,
            save=save,
            on_status=bars.status,
            on_progress=bars.on_progress,
        )
    if fmt == "json":
        import json

        console.result(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    rows = [
        {
            "method": s.method if s.method not in ("mean", "sif") else f"{s.method} vectors",
            "accuracy": f"{s.accuracy:.4f}",
            "F1 (macro)": f"{s.f1:.4f}",
            "features": s.features,
            "test docs without known words": s.test_without_known,
        }
        for s in result.scores
    ]
    classes = ", ".join(f"{label}: {n:,}" for label, n in result.classes.items())
    skipped = ", ".join(f"{n:,} {why}" for why, n in result.skipped.items())
    caption = "\n".join(
        [
            f"model {result.model}; corpus {result.corpus}, labels from {result.label_column!r} "
            f"({classes})",
            f"{result.train:,} train / {result.test:,} test documents, stratified, seed "
            f"{result.seed}" + (f"; skipped {skipped}" if skipped else ""),
            "Logistic regression on each; the TF-IDF baseline (1-2 grams, sublinear tf, min_df "
            "2) sees the same tokens and split.",
            *result.notes,
        ]
    )
    console.render_rows(
        rows,
        ["method", "accuracy", "F1 (macro)", "features", "test docs without known words"],
        "table",
        title="Sentiment",
        caption=caption,
        right=["accuracy", "F1 (macro)", "features", "test docs without known words"],
    )


def _render_evaluation(result) -> None:
    numbers = [*ANALOGY_COLUMNS[1:], *SIMILARITY_COLUMNS[1:]]
    caption = "\n".join([f"model {result.model}", *result.notes, *_word_notes(result)])
    tables = []
    for found in result.analogies:
        rows = [_analogy_row(s) for s in [*found.sections, found.total]]
        tables.append((rows, ANALOGY_COLUMNS, f"Analogies: {found.name}"))
    if result.analogies:
        kinds = result.by_kind()
        rows = [_analogy_row(s) for k, s in kinds.items() if k == "all" or s.questions]
        columns = ["kind", *ANALOGY_COLUMNS[1:]]
        tables.append((rows, columns, "Analogies by kind of section, all files"))
    if result.similarity:
        rows = [_similarity_row(s) for s in result.similarity]
        tables.append((rows, SIMILARITY_COLUMNS, "Word similarity"))
    for i, (rows, columns, title) in enumerate(tables):
        last = i == len(tables) - 1
        console.render_rows(
            rows,
            columns,
            "table",
            title=title,
            caption=f"{caption}\n{EVAL_LEGEND}" if last else None,
            right=numbers,
        )


def _analogy_row(score) -> dict:
    accuracy = score.accuracy
    return {
        "section": score.name,
        "kind": score.kind,
        "questions": score.questions,
        "correct": f"{score.correct}/{score.scored}",
        "accuracy": "n/a" if accuracy is None else f"{accuracy:.1%}",
        **score.skipped,
        "normalised": score.normalised,
    }


def _similarity_row(found) -> dict:
    return {
        "set": found.name,
        "pairs": found.pairs,
        "scored": found.scored,
        "spearman": "n/a" if found.spearman is None else f"{found.spearman:.4f}",
        "pearson": "n/a" if found.pearson is None else f"{found.pearson:.4f}",
        "oov ratio": f"{found.oov_ratio:.1%}",
        **found.skipped,
        "normalised": found.normalised,
    }


def _word_notes(result) -> list[str]:
    """A few examples of what the tokenizer did to test words, per file."""
    notes = []
    for found in [*result.analogies, *result.similarity]:
        if found.split_words:
            examples = ", ".join(
                f"{word} -> {' '.join(tokens) or '(nothing)'}"
                for word, tokens in list(found.split_words.items())[:3]
            )
            notes.append(
                f"{found.name}: {len(found.split_words):,} words split by {result.tokenizer} "
                f"(e.g. {examples})"
            )
        if found.normalised_words:
            examples = ", ".join(
                f"{word} -> {token}" for word, token in list(found.normalised_words.items())[:3]
            )
            notes.append(
                f"{found.name}: {len(found.normalised_words):,} words normalised by "
                f"{result.tokenizer} (e.g. {examples})"
            )
    return notes

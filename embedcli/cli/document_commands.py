"""`embedcli doc-vectors` and `similar-docs`: documents as vectors, and the nearest documents."""

from __future__ import annotations

from typing import Annotated

import typer

from embedcli.cli import console
from embedcli.cli.app import app
from embedcli.cli.options import (
    CorpusOpt,
    ForceOpt,
    ModelOpt,
    OutFormatOpt,
    QuietOpt,
    TopnOpt,
    WorkersOpt,
    check_format,
)
from embedcli.cli.query_commands import load_model

WeightingOpt = Annotated[
    str,
    typer.Option(
        "--weighting",
        help="mean: the average of the document's known word vectors (the textbook's); sif: "
        "smooth inverse frequency weights a/(a+p(w)) from the model's word counts, then the "
        "first principal component removed (Arora et al. 2017).",
    ),
]
LabelColumnOpt = Annotated[
    str | None,
    typer.Option(
        "--label-column",
        help="The TSV column holding each document's label (default: 'label' when there is "
        "one, as in NSMC).",
    ),
]


def _check_weighting(weighting: str) -> None:
    if weighting not in ("mean", "sif"):
        raise typer.BadParameter("--weighting must be mean or sif.")


@app.command("doc-vectors")
def doc_vectors(
    weighting: WeightingOpt = "mean",
    corpus: CorpusOpt = None,
    label_column: LabelColumnOpt = None,
    model: ModelOpt = None,
    workers: WorkersOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Build one vector per document of the model's corpus (stored in the model directory)."""
    _check_weighting(weighting)
    loaded = load_model(model, quiet)
    with console.StageBars(quiet) as bars:
        found = loaded.doc_vectors(
            weighting,
            corpus=corpus,
            label_column=label_column,
            force=force,
            workers=workers,
            on_status=bars.status,
            on_progress=bars.on_progress,
        )
    how = "reused" if found.reused else f"built in {found.seconds:.1f} s"
    console.status(
        f"{len(found):,} documents of {found.corpus} x {found.vectors.shape[1]} dims "
        f"({weighting}), {how}.",
        quiet,
    )
    if found.without_known:
        console.status(
            f"{found.without_known:,} documents have no token in the vocabulary: they have no "
            "vector and are never ranked.",
            quiet,
        )
    for note in found.notes:
        console.status(f"Note: {note}", quiet)
    if found.path is not None:
        console.result(str(found.path))
    else:
        console.status("Not stored: only the model's own corpus is kept in its directory.", quiet)


@app.command("similar-docs")
def similar_docs(
    text: Annotated[
        str | None,
        typer.Argument(help="A text; it is tokenized as the model's corpus was."),
    ] = None,
    doc_id: Annotated[
        str | None,
        typer.Option("--id", help="Instead of TEXT: the id of a document of the corpus."),
    ] = None,
    topn: TopnOpt = 10,
    weighting: WeightingOpt = "mean",
    fmt: OutFormatOpt = "table",
    model: ModelOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Show the documents of the model's corpus nearest to TEXT (or to document --id N)."""
    check_format(fmt)
    _check_weighting(weighting)
    if (text is None) == (doc_id is None):
        raise typer.BadParameter("Give either a TEXT or --id N, not both and not neither.")
    if topn < 1:
        raise typer.BadParameter(f"--topn {topn} shows nothing: give 1 or more.")
    loaded = load_model(model, quiet)
    with console.StageBars(quiet) as bars:
        found = loaded.similar_docs(
            text,
            id=doc_id,
            topn=topn,
            weighting=weighting,
            on_status=bars.status,
            on_progress=bars.on_progress,
        )
    rows = [
        {
            "rank": m.rank,
            "id": m.id,
            "score": round(m.score, 6),
            "label": "" if m.label is None else m.label,
            "text": m.text,
        }
        for m in found.matches
    ]
    if fmt == "table":
        for note in found.notes:
            console.status(f"Note: {note}", quiet)
    console.render_rows(
        rows,
        ["rank", "id", "score", "label", "text"],
        fmt,
        title=f"Nearest to {found.question}",
        caption=f"model {loaded.name}, {weighting}; tokens: {' '.join(found.tokens)}"
        if found.tokens
        else f"model {loaded.name}, {weighting}",
        meta={
            "query": {"text": text, "id": doc_id, "tokens": found.tokens},
            "weighting": weighting,
            "unranked_documents": found.unranked,
            "notes": found.notes,
            "model": str(loaded.path),
        },
    )

"""`embedcli export-tsv`: a model's vectors as files for the Embedding Projector."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from embedcli.cli import console
from embedcli.cli.app import app
from embedcli.cli.options import ForceOpt, ModelOpt, QuietOpt
from embedcli.cli.query_commands import load_model


@app.command("export-tsv")
def export_tsv(
    output_dir: Annotated[
        Path | None,
        typer.Option(
            "--output-dir",
            "-o",
            help="Directory for tensor.tsv, metadata.tsv and the projector configs; defaults "
            "to ./<model name>-projector.",
        ),
    ] = None,
    top_n: Annotated[
        int | None,
        typer.Option("--top-n", help="Export only the N most frequent words (all if omitted)."),
    ] = None,
    with_counts: Annotated[
        bool,
        typer.Option(help="Write metadata.tsv as 'word<TAB>count' with a header line."),
    ] = False,
    docs: Annotated[
        bool,
        typer.Option(
            "--docs",
            help="Export the document vectors of the model's corpus instead of its words, with "
            "'text<TAB>label' metadata so the Projector can colour them by label.",
        ),
    ] = False,
    weighting: Annotated[
        str, typer.Option("--weighting", help="With --docs: mean or sif document vectors.")
    ] = "mean",
    model: ModelOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Write tensor.tsv + metadata.tsv for the TensorFlow Embedding Projector."""
    from embedcli.export import check_export_place, check_top_n

    check_top_n(top_n)
    if docs and (top_n is not None or with_counts):
        raise typer.BadParameter("--top-n and --with-counts are for words, not --docs.")
    if weighting not in ("mean", "sif"):
        raise typer.BadParameter("--weighting must be mean or sif.")
    if output_dir:
        check_export_place(output_dir)  # before loading the model
    loaded = load_model(model, quiet)
    if docs:
        with console.StageBars(quiet) as bars:
            result = loaded.export_docs_tsv(
                output_dir,
                weighting=weighting,
                force=force,
                on_status=bars.status,
                on_progress=bars.on_progress,
            )
        console.status(
            f"Exported {result.rows:,} documents x {result.dims} dims ({weighting}); documents "
            "without a known word are left out. Load tensor.tsv and metadata.tsv at "
            "https://projector.tensorflow.org and colour by label.",
            quiet,
        )
        console.result(str(result.out_dir))
        return
    result = loaded.export_tsv(output_dir, top_n=top_n, with_counts=with_counts, force=force)
    if result.escaped_labels:
        console.status(
            f"{result.escaped_labels:,} words contain tabs, newlines or only spaces; their "
            "labels are escaped so rows and labels stay aligned.",
            quiet,
        )
    console.status(
        f"Exported {result.rows:,} words x {result.dims} dims. Load tensor.tsv and "
        "metadata.tsv at https://projector.tensorflow.org, or run "
        f"`tensorboard --logdir {result.out_dir}`.",
        quiet,
    )
    console.result(str(result.out_dir))

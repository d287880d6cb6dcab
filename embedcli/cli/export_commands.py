"""TODO"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import typer.core

from embedcli.cli import console
from embedcli.cli.app import _handle_errors, app
from embedcli.cli.options import ForceOpt, ModelOpt, QuietOpt
from embedcli.cli.query_commands import _load_model
from embedcli.cli.train_commands import _check_export_place
from embedcli.errors import OptionsError

# --- export ---------------------------------------------------------------------------------


@app.command("export-tsv")
@_handle_errors
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
    model: ModelOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Write tensor.tsv + metadata.tsv for the TensorFlow Embedding Projector."""
    from embedcli.export import export_projector
    from embedcli.util.atomic import output_lock

    if top_n is not None and top_n < 1:
        raise OptionsError(
            f"--top-n {top_n} exports no words: give 1 or more, or leave it out for all."
        )
    if output_dir:
        _check_export_place(output_dir)  # before loading the model
    loaded = _load_model(model, quiet)
    target = output_dir or Path(f"{loaded.name}-projector")
    _check_export_place(target)
    with output_lock(target, "export directory", "--output-dir"):
        result = export_projector(
            loaded.kv,
            target,
            model_name=loaded.name,
            top_n=top_n,
            with_counts=with_counts,
            force=force,
        )
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

"""`embedcli plot`: maps of words (PNG, SVG, an interactive page) and training loss curves."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from embedcli.cli import console
from embedcli.cli.app import app
from embedcli.cli.options import ForceOpt, ModelOpt, QuietOpt, WorkersOpt
from embedcli.cli.query_commands import load_model


@app.command()
def plot(
    words: Annotated[
        list[str] | None,
        typer.Argument(help="Words to place on the map (leave out for the most frequent words)."),
    ] = None,
    neighbors: Annotated[
        str | None,
        typer.Option("--neighbors", help="Plot this word and its --topn nearest neighbours."),
    ] = None,
    topn: Annotated[
        int, typer.Option("--topn", "-n", help="How many neighbours --neighbors shows.")
    ] = 30,
    top_n: Annotated[
        int | None,
        typer.Option(
            "--top-n",
            help="Plot the N most frequent words (the default plot, with N = 1,000).",
        ),
    ] = None,
    analogy: Annotated[
        tuple[str, str, str] | None,
        typer.Option(
            "--analogy",
            help="A B C: draw 'A is to B as C is to ?' as arrows A -> B and C -> the answer.",
        ),
    ] = None,
    loss: Annotated[
        bool, typer.Option("--loss", help="Plot the training loss per epoch from model.json.")
    ] = False,
    method: Annotated[
        str,
        typer.Option(
            "--method",
            help="How to flatten the vectors to 2-D: pca (fast, the same map every time), "
            "tsne or umap (clusters show better; slower).",
        ),
    ] = "pca",
    seed: Annotated[int, typer.Option("--seed", help="Random seed for t-SNE and UMAP.")] = 1,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="The file to write: .png or .svg (static), .html (interactive page). "
            "Defaults to ./<model>-<kind>.png.",
        ),
    ] = None,
    coords: Annotated[
        Path | None,
        typer.Option("--coords", help="Also write each word's map coordinates to this TSV."),
    ] = None,
    model: ModelOpt = None,
    workers: WorkersOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Draw a map of words (PNG, SVG or an interactive HTML page) or the training loss."""
    from embedcli.plot.maps import check_choice, default_output
    from embedcli.plot.output import check_outputs
    from embedcli.plot.projection import check_method

    check_method(method)
    kind = check_choice(words or [], neighbors, top_n, analogy, loss)
    if output is not None:
        check_outputs(output, coords, force)  # before loading the model
    loaded = load_model(model, quiet)
    target = output or default_output(loaded.name, kind, neighbors=neighbors)
    if method != "pca" and not loss:
        console.status(f"Projecting with {method} ...", quiet)
    made = loaded.plot(
        list(words or []),
        neighbors=neighbors,
        topn=topn,
        top_n=top_n,
        analogy=analogy,
        loss=loss,
        method=method,
        seed=seed,
        output=target,
        coords=coords,
        force=force,
        workers=workers,
    )
    if made.map is not None:
        for note in made.map.notes:
            console.status(f"Note: {note}", quiet)
        console.status(f"Plotted {len(made.map):,} words ({made.map.title}).", quiet)
    if made.coords_path is not None:
        console.status(f"Coordinates: {made.coords_path}", quiet)
    console.result(str(made.path))

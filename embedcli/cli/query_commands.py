"""`embedcli similar`, `analogy` and `vector`: questions to a model, answered as tables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from embedcli.cli import console
from embedcli.cli.app import app
from embedcli.cli.options import ModelOpt, OutFormatOpt, TopnOpt, check_format


def load_model(path: Path | None, quiet: bool = False):
    """Load the model to use; say on stderr when it is not a model directory."""
    from embedcli import api

    loaded = api.load(path)
    if loaded.notice:
        console.status(f"Note: {loaded.notice}", quiet)
    return loaded


def _neighbour_rows(neighbours) -> list[dict]:
    return [
        {"rank": i, "word": word, "score": round(score, 6)}
        for i, (word, score) in enumerate(neighbours, start=1)
    ]


@app.command()
def similar(
    words: Annotated[list[str], typer.Argument(help="One or more words; their vectors are added.")],
    negative: Annotated[
        list[str] | None,
        typer.Option("--negative", help="A word whose vector is subtracted (repeatable)."),
    ] = None,
    topn: TopnOpt = 10,
    fmt: OutFormatOpt = "table",
    model: ModelOpt = None,
) -> None:
    """Show the words nearest to WORD (or to the sum of several words)."""
    from embedcli.query import check_topn

    check_format(fmt)
    check_topn(topn)
    loaded = load_model(model)
    found = loaded.similar(*words, negative=negative or [], topn=topn)
    render_similar(loaded, found, fmt, list(words), list(negative or []))


def render_similar(loaded, found, fmt: str, words: list[str], negative: list[str]) -> None:
    console.render_rows(
        _neighbour_rows(found),
        ["rank", "word", "score"],
        fmt,
        title=f"Nearest to {found.question}",
        caption=_caption(loaded, found.oov),
        meta={
            "query": {"positive": words, "negative": negative},
            "oov": _oov_meta(found.oov),
            "model": str(loaded.path),
        },
    )
    _note_oov_on_stderr(fmt, found.oov)


def _caption(loaded, oov: list[str]) -> str:
    from embedcli.query import OOV_NOTE

    notes = [f"{word}: {OOV_NOTE}" for word in oov]
    return "\n".join([f"model {loaded.name}", *notes])


def _note_oov_on_stderr(fmt: str, oov: list[str]) -> None:
    """TSV has no room for notes: say on stderr which words were built from n-grams."""
    from embedcli.query import OOV_NOTE

    if fmt == "tsv":
        for word in oov:
            console.status(f"{word}: {OOV_NOTE}")


def _oov_meta(oov: list[str]) -> dict:
    from embedcli.query import OOV_NOTE

    return {word: OOV_NOTE for word in oov}


@app.command()
def analogy(
    words: Annotated[
        list[str],
        typer.Argument(help="A B C: 'A is to B as C is to ?', answered by B - A + C."),
    ],
    topn: TopnOpt = 10,
    method: Annotated[
        str, typer.Option(help="add (3CosAdd, word2vec's) or mul (3CosMul, Levy & Goldberg).")
    ] = "add",
    fmt: OutFormatOpt = "table",
    model: ModelOpt = None,
) -> None:
    """Answer 'A is to B as C is to ?' with the words nearest to B - A + C."""
    from embedcli.query import check_method, check_topn

    check_format(fmt)
    check_topn(topn)
    check_method(method)
    if len(words) != 3:
        raise typer.BadParameter(
            f"analogy takes exactly three words A B C, got {len(words)}: "
            "e.g. `embedcli analogy 남자 배우 여자`."
        )
    loaded = load_model(model)
    found = loaded.analogy(*words, topn=topn, method=method)
    render_analogy(loaded, found, fmt, method)


def render_analogy(loaded, found, fmt: str, method: str) -> None:
    console.render_rows(
        _neighbour_rows(found),
        ["rank", "word", "score"],
        fmt,
        title=f"{found.question}   ({found.formula})",
        caption=_caption(loaded, found.oov),
        meta={
            "oov": _oov_meta(found.oov),
            "question": found.question,
            "formula": found.formula,
            "method": method,
            "model": str(loaded.path),
        },
    )
    _note_oov_on_stderr(fmt, found.oov)


@app.command()
def vector(
    words: Annotated[list[str], typer.Argument(help="One or more words to show vectors of.")],
    fmt: OutFormatOpt = "table",
    model: ModelOpt = None,
) -> None:
    """Print the vector of each WORD (FastText builds unseen words from character n-grams)."""
    check_format(fmt)
    loaded = load_model(model)
    vectors, oov = loaded.vectors(list(words))
    render_vectors(loaded, list(words), vectors, oov, fmt)


def render_vectors(loaded, words: list[str], vectors, oov: list[str], fmt: str) -> None:
    rows = [
        {
            "word": word,
            "oov": word in oov,
            "vector": " ".join(f"{x:.6f}" for x in vec)
            if fmt != "json"
            else [round(float(x), 6) for x in vec],
        }
        for word, vec in zip(words, vectors, strict=True)
    ]
    console.render_rows(
        rows,
        ["word", "oov", "vector"],
        fmt,
        title="Vectors",
        caption=_caption(loaded, oov),
        meta={"oov": _oov_meta(oov), "model": str(loaded.path)},
    )
    _note_oov_on_stderr(fmt, oov)

"""`embedcli import`, `embedcli pretrained` and `embedcli explore`: other people's vectors,
and many questions to one model at a prompt."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Annotated

import typer

from embedcli.cli import console
from embedcli.cli.app import app
from embedcli.cli.options import ForceOpt, ModelOpt, OutFormatOpt, QuietOpt, TopnOpt, check_format
from embedcli.cli.query_commands import load_model, render_analogy, render_similar, render_vectors

TrustOpt = Annotated[
    bool,
    typer.Option(
        "--trust",
        help="Open a Python pickle embedcli did not write on this machine (a gensim .kv, "
        ".model or .gensim file from elsewhere, or an older model directory). Unpickling runs "
        "any code the file's author put in it: use this only for files from a source you "
        "trust. The imported model then opens without running code.",
    ),
]


@app.command("import")
def import_(
    source: Annotated[
        str,
        typer.Argument(
            help="A vectors file (word2vec text or binary, GloVe text, fastText .bin or .vec, "
            "any of them .gz), a model directory without a query index, or the name of "
            "published vectors from `embedcli pretrained` (downloaded first).",
            show_default=False,
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="The model directory to write; default <data home>/models/<name>. A model "
            "directory given as SOURCE gets its index in place unless -o is given.",
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            help="Keep only the first N words (files list the most frequent first), as "
            "people do with 2M-word files.",
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang", help="The vectors' language, ko or en, recorded for `embedcli evaluate`."
        ),
    ] = None,
    trust: TrustOpt = False,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Turn vectors from another tool, or published ones, into a model directory."""
    from embedcli import api

    with console.StageBars(quiet) as bars:
        model = api.import_vectors(
            source,
            output,
            limit=limit,
            lang=lang,
            trust=trust,
            force=force,
            on_status=bars.status,
            on_progress=bars.on_progress,
        )
    console.result(str(model.path))


@app.command()
def pretrained(fmt: OutFormatOpt = "table") -> None:
    """List well-known published vectors that `embedcli import NAME` downloads and imports."""
    from embedcli import api
    from embedcli.corpora.download import cache_path

    check_format(fmt)
    rows = []
    for entry in api.pretrained():
        cached = cache_path(entry.download_url, name=entry.name).is_file()
        rows.append(
            {
                "name": entry.name,
                "lang": entry.lang,
                "size": entry.size,
                "description": entry.description,
                "licence": entry.licence,
                "url": entry.url,
                "cached": cached if fmt != "table" else ("yes" if cached else ""),
            }
        )
    columns = ["name", "lang", "size", "description", "licence", "url", "cached"]
    console.render_rows(rows, columns, fmt, title="Published vectors (embedcli import NAME)")


@app.command()
def explore(
    model: ModelOpt = None,
    topn: TopnOpt = 10,
    method: Annotated[
        str, typer.Option(help="Analogies by add (3CosAdd) or mul (3CosMul, Levy & Goldberg).")
    ] = "add",
    fmt: OutFormatOpt = "table",
) -> None:
    """Load a model once and ask many questions at one prompt (or one per line of stdin).

    A word gives its neighbours; `a b c` the analogy; `word -other` subtracts; `:vector w`,
    `:help`, `:quit`.
    """
    from embedcli.errors import EmbedcliError
    from embedcli.query import EXPLORE_HELP, check_method, check_topn, parse_request

    check_format(fmt)
    check_topn(topn)
    check_method(method)
    loaded = load_model(model)
    _ = loaded.index.positions  # one dictionary for all the questions to come
    interactive = sys.stdin.isatty()
    history = _start_line_editing() if interactive else None
    if interactive:
        console.status(
            f"{loaded.name}: {loaded.vocab_size:,} words x {loaded.vector_size} dims. "
            "Type a word, `a b c` for an analogy, :help or :quit."
        )
    failed = False
    try:
        while True:
            line = _read_line(interactive)
            if line is None:
                break
            try:
                request = parse_request(_decoded(line))
                if request.kind == "quit":
                    break
                if request.kind == "none":
                    continue
                if request.kind == "help":
                    console.status(EXPLORE_HELP)
                elif request.kind == "vector":
                    vectors, oov = loaded.vectors(request.positive)
                    render_vectors(loaded, request.positive, vectors, oov, fmt)
                elif request.kind == "analogy":
                    found = loaded.analogy(*request.positive, topn=topn, method=method)
                    render_analogy(loaded, found, fmt, method)
                else:
                    found = loaded.similar(*request.positive, negative=request.negative, topn=topn)
                    render_similar(loaded, found, fmt, request.positive, request.negative)
            except EmbedcliError as exc:  # one question's problem; the next one may be fine
                failed = True
                console.error(str(exc))
            if fmt == "tsv":
                print(file=sys.stdout)  # a blank line between blocks
            sys.stdout.flush()
    finally:
        if history is not None:
            _save_history(history)
    if failed and not interactive:
        raise typer.Exit(1)  # each problem already had its Error line


def _read_line(interactive: bool) -> str | bytes | None:
    """The next question, or None at the end (Ctrl-D, end of stdin)."""
    if interactive:
        try:
            return input("> ")
        except EOFError:
            print(file=sys.stderr)
            return None
    return sys.stdin.buffer.readline() or None


def _decoded(line: str | bytes) -> str:
    from embedcli.errors import EmbedcliError

    if isinstance(line, str):
        return line
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        raise EmbedcliError(
            "This line of stdin is not UTF-8, so it was skipped: convert the input to UTF-8."
        ) from None


def _start_line_editing() -> Path | None:
    """Line editing and a history kept in the data home, where the platform has readline."""
    try:
        import readline
    except ImportError:
        return None
    from embedcli import paths

    history = paths.data_home() / "explore_history"
    readline.set_history_length(1000)
    with contextlib.suppress(OSError):  # no history yet
        readline.read_history_file(history)
    return history


def _save_history(history: Path) -> None:
    import readline

    with contextlib.suppress(OSError):  # no history is no reason to fail
        history.parent.mkdir(parents=True, exist_ok=True)
        readline.write_history_file(history)

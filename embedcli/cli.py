"""The `embedcli` command line: parse options, call the core, render the result.

Each command is a thin function; the work happens in the core modules, which never print.
Known problems (EmbedcliError) become one `Error: ...` line on stderr and exit code 1
(bad option combinations: exit 2); anything else is a bug and keeps its traceback.
Set EMBEDCLI_DEBUG=1 to see tracebacks for known problems too.
"""

from __future__ import annotations

import errno
import functools
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
import typer.core
from typer.exceptions import TyperException

from embedcli import __version__, console, interrupts
from embedcli.errors import EmbedcliError, OptionsError, quoted


class _OneLineUsageErrors(typer.core.TyperGroup):
    """Click's own usage errors (unknown command, `--topn abc`) as one `Error:` line, exit 2.

    Typer would print the usage and a framed error box; every other error here is one line
    saying what is wrong and what to do, so these are too. Running with no arguments still
    prints the help.
    """

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except TyperException as exc:
            if type(exc).__name__ == "NoArgsIsHelpError" or not hasattr(exc, "format_message"):
                exc.show()
                sys.exit(getattr(exc, "exit_code", 2))
            ctx = getattr(exc, "ctx", None)
            hint = f" See '{ctx.command_path if ctx is not None else self.name} -h'."
            message = exc.format_message().rstrip()
            console.error(message + ("" if message.endswith((".", "?", "!")) else ".") + hint)
            sys.exit(exc.exit_code)
        except typer.Abort:
            console.error("Aborted.")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=_OneLineUsageErrors,
    name="embedcli",
    help="Train and explore word embeddings, Korean first: NSMC -> Okt -> Word2Vec in one tool.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


_PLACE_ERRORS = (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR)


def _handle_errors(command):
    """Turn known errors into one line on stderr and a non-zero exit code."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            # SIGTERM takes the same way out as Ctrl-C: an Interrupted exception.
            with interrupts.signals_raise():
                return command(*args, **kwargs)
        except (OptionsError, typer.BadParameter) as exc:
            # One line, like every other error, not click's usage box; exit 2 as click does.
            if os.environ.get("EMBEDCLI_DEBUG"):
                raise
            console.error(exc.message if isinstance(exc, typer.BadParameter) else str(exc))
            raise typer.Exit(2) from None
        except EmbedcliError as exc:
            if os.environ.get("EMBEDCLI_DEBUG"):
                raise
            console.error(str(exc))
            raise typer.Exit(1) from None
        except KeyboardInterrupt as exc:
            # Workers were stopped and temporary files removed on the way up; say what stopped
            # and what the next run does. 130 for Ctrl-C, 143 for SIGTERM, as shells report.
            console.status(interrupts.message(exc))
            raise typer.Exit(interrupts.exit_code(exc)) from None
        except MemoryError:
            # The estimates before training should have refused this run; if memory still
            # runs out (a ulimit, other programs), say so in one line.
            if os.environ.get("EMBEDCLI_DEBUG"):
                raise
            console.error(
                "Out of memory: the run needed more memory than it could get, and stopped "
                "with nothing written. Lower --vector-size, --bucket or --max-vocab, raise "
                "--min-count, or free memory and run again."
            )
            raise typer.Exit(1) from None
        except OSError as exc:
            from embedcli.fsutil import is_disk_full

            if os.environ.get("EMBEDCLI_DEBUG"):
                raise
            if is_disk_full(exc):
                console.error(
                    f"No space left on device while writing {exc.filename or 'an output file'}; "
                    "free some space and run again."
                )
            elif exc.errno in _PLACE_ERRORS and exc.filename:
                # Checked before the work; this is the net for a place that changed since.
                console.error(
                    f"Cannot write {exc.filename} ({exc.strerror}): check that its directory "
                    "exists and is writable, or choose another place."
                )
            else:
                raise
            raise typer.Exit(1) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        console.out.print(f"embedcli {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Train and explore word embeddings, Korean first."""


# --- shared options -------------------------------------------------------------------------

CorpusOpt = Annotated[
    str | None,
    typer.Option(
        "--corpus",
        "-c",
        help="A corpus name (see `embedcli corpora`) or the path of a TSV, text or TED XML "
        "file (.gz, or a .zip holding one file, is fine). Defaults to the shipped NSMC "
        "reviews.",
    ),
]
FormatOpt = Annotated[
    str,
    typer.Option(
        "--corpus-format",
        help="How to read a corpus file: auto (ted-xml for .xml files or a leading <?xml, "
        "else TSV when the first line has a tab, else text), tsv, text (one document per "
        "line; lines over a million characters, like text8's, become 10,000-word documents) "
        "or ted-xml (one document per sentence of each <content>, stage notes dropped).",
    ),
]
TextColumnOpt = Annotated[
    str | None,
    typer.Option(
        "--text-column",
        help="TSV column holding the text: a header name (default 'document') or a 1-based "
        "number for files without a header.",
    ),
]
EncodingOpt = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        help="The corpus file's text encoding. Default auto: UTF-8 (with or without a BOM), "
        "UTF-16/32 with a BOM (Excel's Unicode text) and Korean CP949/EUC-KR are recognised; "
        "anything else is refused. Or a Python codec name such as cp949, utf-16 or latin-1.",
    ),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option("--workers", "-w", help="Processes/threads to use; one per core if omitted."),
]
MaxRepeatOpt = Annotated[
    int | None,
    typer.Option(
        "--max-repeat",
        help="Shorten runs of one repeated character (ㅋㅋㅋㅋㅋ...) to this many before Okt "
        "sees them, because Okt slows down badly on them; 0 keeps them (Okt default 3, "
        "English 0).",
    ),
]
TokenizerOpt = Annotated[
    str | None,
    typer.Option(
        "--tokenizer",
        help="okt: the textbook's Korean pipeline (Hangul only, stems, stopwords); kiwi or "
        "mecab: the same pipeline with Kiwi or MeCab instead of Okt, no JVM, tokens shaped like "
        "Okt's; english: lowercased words with inner apostrophes/hyphens and numbers, no JVM. "
        "See `embedcli tokenizers`. Default: the one --lang or the corpus's language calls "
        "for, else okt.",
    ),
]
LangOpt = Annotated[
    str | None,
    typer.Option(
        "--lang",
        help="The corpus language, which picks the tokenizer: ko (okt) or en (english). "
        "Defaults to the named corpus's language (en for --corpus en), else ko.",
    ),
]
ForceOpt = Annotated[bool, typer.Option("--force", "-f", help="Replace existing output files.")]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress bars or status lines on stderr.")
]
ModelOpt = Annotated[
    Path | None,
    typer.Option(
        "--model",
        "-m",
        help="The model directory to use; defaults to the most recently trained model.",
    ),
]
TopnOpt = Annotated[int, typer.Option("--topn", "-n", help="How many answers to show.")]
OutFormatOpt = Annotated[
    str,
    typer.Option(
        "--format",
        help="table for people, tsv or json for scripts.",
    ),
]


def _check_format(fmt: str) -> str:
    if fmt not in console.FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(console.FORMATS)}.")
    return fmt


# --- corpus -> tokens -----------------------------------------------------------------------


def _resolve_source(corpus, corpus_format, text_column, quiet, encoding=None):
    from embedcli.corpora import parse_text_column, resolve_corpus

    notices: list[str] = []
    with console.progress("bytes", quiet) as bar:
        task = None

        def on_download(done: int, total: int | None) -> None:
            nonlocal task
            if task is None:
                task = bar.add_task("download", total=total)
                if done:  # the first call of a download that an earlier run began
                    of = f" of {total:,}" if total is not None else ""
                    console.status(f"Resuming the download at {done:,}{of} bytes.", quiet)
            bar.update(task, completed=done, total=total)

        source = resolve_corpus(
            corpus,
            format=corpus_format,
            text_column=parse_text_column(text_column),
            encoding=encoding,
            download_progress=on_download,
            on_notice=notices.append,
        )
    for notice in notices:
        console.status(f"Note: {notice}", quiet)
    return source


def _tokenize(source, options, *, output, workers, force, quiet):
    from embedcli.tokenized import tokenize_corpus

    with console.progress("docs", quiet) as bar:
        task = None

        def on_start(total: int) -> None:
            nonlocal task
            task = bar.add_task(f"tokenize ({options.tokenizer})", total=total)

        def on_progress(n: int) -> None:
            bar.advance(task, n)

        result = tokenize_corpus(
            source,
            options,
            output=output,
            workers=workers,
            force=force,
            on_start=on_start,
            on_progress=on_progress,
            on_status=lambda message: console.status(message, quiet),
        )
    meta = result.meta
    counts = meta["counts"]
    if result.reused:
        console.status(
            f"Reusing tokens of {source.name} ({counts['documents']:,} documents, "
            f"{counts['tokens']:,} tokens): {result.path}",
            quiet,
        )
    else:
        skipped = sum(counts["skipped_rows"].values())
        console.status(
            f"Tokenized {counts['documents']:,} documents of {source.name} in "
            f"{meta['seconds']:.1f} s ({meta['documents_per_second']:,.0f} docs/s, "
            f"{meta['workers']} workers): {counts['tokens']:,} tokens"
            + (
                f"; skipped {skipped:,} rows ({_reasons(counts['skipped_rows'])})"
                if skipped
                else ""
            )
            + f" -> {result.path}",
            quiet,
        )
    return result


def _reasons(skipped: dict) -> str:
    return ", ".join(f"{n:,} {reason}" for reason, n in skipped.items())


def _tokenize_options(
    tokenizer: str | None, lang: str | None, max_repeat: int | None, corpus_lang=None
):
    """Options for the tokenizer asked for, else --lang's, else the corpus's, else Okt."""
    from embedcli.tokenizers import choose_tokenizer, default_options

    chosen = choose_tokenizer(tokenizer, lang, corpus_lang)
    return default_options(chosen, max_repeat=max_repeat)


TOKENS_HOW = "Choose another --output, or make that directory writable."


@app.command()
@_handle_errors
def tokenize(
    corpus: CorpusOpt = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Where to write the tokens (one document per line) and its .json sidecar; "
            "defaults to the token cache that `train` reuses.",
        ),
    ] = None,
    corpus_format: FormatOpt = "auto",
    text_column: TextColumnOpt = None,
    encoding: EncodingOpt = None,
    workers: WorkersOpt = None,
    max_repeat: MaxRepeatOpt = None,
    tokenizer: TokenizerOpt = None,
    lang: LangOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Tokenize a corpus in parallel: Okt the textbook's way (default), Kiwi, MeCab or English."""
    from embedcli.fsutil import check_can_create
    from embedcli.tokenizers import check_workers

    _tokenize_options(tokenizer, lang, max_repeat)  # contradicting options fail before any work
    check_workers(workers)  # here too: a cached result would otherwise skip the check
    if output:
        check_can_create(output, "tokens file", TOKENS_HOW)
    source = _resolve_source(corpus, corpus_format, text_column, quiet, encoding)
    options = _tokenize_options(tokenizer, lang, max_repeat, source.lang)
    result = _tokenize(source, options, output=output, workers=workers, force=force, quiet=quiet)
    console.result(str(result.path))


# --- train ----------------------------------------------------------------------------------


@app.command()
@_handle_errors
def train(
    corpus: CorpusOpt = None,
    algo: Annotated[
        str, typer.Option("--algo", help="The algorithm: word2vec, fasttext or glove.")
    ] = "word2vec",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="The model directory to write; defaults to <data home>/models/<corpus>-<algo>.",
        ),
    ] = None,
    vector_size: Annotated[int, typer.Option(help="Dimensions of each word vector.")] = 100,
    window: Annotated[
        int | None,
        typer.Option(help="Context words on each side of a word (default 5; GloVe 10)."),
    ] = None,
    min_count: Annotated[int, typer.Option(help="Ignore words seen fewer times than this.")] = 5,
    sg: Annotated[
        bool, typer.Option("--sg/--cbow", help="Skip-gram, or CBOW (the default).")
    ] = False,
    hs: Annotated[
        int, typer.Option(help="1 to train with hierarchical softmax, 0 not to.", min=0, max=1)
    ] = 0,
    negative: Annotated[
        int, typer.Option(help="Negative samples per word (0: no negative sampling).")
    ] = 5,
    sample: Annotated[
        float, typer.Option(help="Down-sampling threshold for frequent words (0: off).")
    ] = 1e-3,
    epochs: Annotated[
        int | None, typer.Option(help="Passes over the corpus (default 5; GloVe 15).")
    ] = None,
    alpha: Annotated[
        float | None,
        typer.Option(
            help="Initial learning rate (default 0.025); for GloVe the weighting exponent "
            "(default 0.75), whose learning rate is --eta."
        ),
    ] = None,
    min_n: Annotated[int, typer.Option(help="FastText: shortest character n-gram.")] = 3,
    max_n: Annotated[int, typer.Option(help="FastText: longest character n-gram.")] = 6,
    bucket: Annotated[
        int, typer.Option(help="FastText: hash buckets for character n-grams.")
    ] = 2_000_000,
    x_max: Annotated[
        float, typer.Option(help="GloVe: co-occurrence count at which weighting stops.")
    ] = 100.0,
    eta: Annotated[float, typer.Option(help="GloVe: AdaGrad learning rate.")] = 0.05,
    max_vocab: Annotated[
        int | None, typer.Option(help="GloVe: keep at most this many most frequent words.")
    ] = None,
    workers: WorkersOpt = None,
    seed: Annotated[int, typer.Option(help="Random seed (with --workers 1: repeatable).")] = 1,
    word2vec_text: Annotated[
        bool,
        typer.Option(help="Also write vectors.txt in word2vec text format for other tools."),
    ] = False,
    glove_text: Annotated[
        bool,
        typer.Option(help="Also write vectors.glove.txt in GloVe text format (no header)."),
    ] = False,
    corpus_format: FormatOpt = "auto",
    text_column: TextColumnOpt = None,
    encoding: EncodingOpt = None,
    max_repeat: MaxRepeatOpt = None,
    tokenizer: TokenizerOpt = None,
    lang: LangOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Train word vectors on a corpus (default: the shipped NSMC reviews, tokenized with Okt)."""
    from embedcli.corpora import DEFAULT_CORPUS
    from embedcli.fsutil import check_writable, output_lock
    from embedcli.models import default_model_dir, foreign_files
    from embedcli.train import TrainConfig, restart_marker

    started = time.perf_counter()
    config = TrainConfig(
        algo=algo,
        vector_size=vector_size,
        window=window,
        min_count=min_count,
        sg=sg,
        hs=bool(hs),
        negative=negative,
        sample=sample,
        epochs=epochs,
        alpha=alpha,
        workers=workers,
        seed=seed,
        min_n=min_n,
        max_n=max_n,
        bucket=bucket,
        x_max=x_max,
        eta=eta,
        max_vocab=max_vocab,
    )
    _tokenize_options(tokenizer, lang, max_repeat)  # contradicting options fail before any work
    out_dir = output or default_model_dir(corpus or DEFAULT_CORPUS, algo)
    _check_model_places(out_dir, chosen=output is not None)
    # Held from before tokenizing until the directory is in place: a second run writing the
    # same directory stops here instead of swapping its own files in halfway.
    with output_lock(out_dir, "model directory"):
        # Before any work is done; a folder embedcli did not write is never replaced.
        check_writable(out_dir, force, "model directory", foreign_files)

        source = _resolve_source(corpus, corpus_format, text_column, quiet, encoding)
        options = _tokenize_options(tokenizer, lang, max_repeat, source.lang)
        tokenize_started = time.perf_counter()
        tokens = _tokenize(source, options, output=None, workers=workers, force=False, quiet=quiet)
        tokenize_seconds = time.perf_counter() - tokenize_started

        with restart_marker(out_dir) as restarted:
            if restarted:
                console.status(
                    "Note: training restarts from the start: the earlier run was interrupted.",
                    quiet,
                )
            result = _train(tokens, config, quiet)
            card = _card(source, tokens, result, tokenize_seconds)
            card["timings"]["total_seconds"] = round(time.perf_counter() - started, 3)
            if word2vec_text and algo == "fasttext":
                console.status(
                    "Note: vectors.txt (word2vec format) holds whole-word vectors only; it "
                    "cannot answer unseen words from character n-grams as the model "
                    "directory can.",
                    quiet,
                )
            _save(out_dir, result, card, word2vec_text, glove_text, force)
        console.status(
            f"Trained {algo} on {tokens.tokens:,} tokens: {len(result.wv):,} words x "
            f"{result.wv.vector_size} dims in {result.train_seconds:.1f} s. Saved to {out_dir}",
            quiet,
        )
        console.result(str(out_dir))


def _check_model_places(out_dir: Path, chosen: bool) -> None:
    """Before any work: the model directory and the latest-model pointer can be written."""
    from embedcli import paths
    from embedcli.fsutil import check_can_create
    from embedcli.models import LATEST_FILE

    data_home = paths.home_label("data")
    check_can_create(
        out_dir,
        "model directory",
        "Choose another --output, or make that directory writable."
        if chosen
        else f"Models go into {data_home}, or choose another --output.",
    )
    check_can_create(
        paths.data_home() / LATEST_FILE,
        "pointer to the latest model",
        f"embedcli remembers the latest model in {data_home}.",
    )


def _train(tokens, config, quiet):
    from embedcli.train import train as train_model

    with console.progress("epochs", quiet) as bar:
        task = None

        def on_start(vocab_size: int, corpus_words: int) -> None:
            nonlocal task
            console.status(
                f"Vocabulary: {vocab_size:,} words (min count {config.min_count})", quiet
            )
            task = bar.add_task(f"train ({config.algo})", total=config.epochs, info="")

        def on_epoch(report) -> None:
            if report.loss is None:
                loss = ""
            elif config.algo == "glove":
                loss = f"cost {report.loss:.4f}, "
            else:
                loss = f"loss {report.loss:,.0f}, "
            info = f"{loss}{report.words_per_second:,.0f} {report.unit}/s"
            bar.update(task, advance=1, info=info)
            if not console.bars_enabled(quiet):
                console.status(f"epoch {report.epoch}/{report.epochs}: {info}", quiet)

        stages: dict = {}

        def on_progress(stage: str, done: int, total: int) -> None:
            if stage not in stages:
                stages[stage] = bar.add_task(stage, total=total, info="")
            bar.update(stages[stage], completed=done, total=total)

        return train_model(
            tokens, config, on_start=on_start, on_epoch=on_epoch, on_progress=on_progress
        )


LOSS_NOTES = {
    "word2vec": "per-epoch loss summed over worker threads (not gensim's cumulative counter)",
    "fasttext": "gensim computes no training loss for FastText; none is reported",
    "glove": "per-epoch cost: mean of 0.5 * f(X) * (w.w~ + b + b~ - log X)^2 over non-zeros",
}


def _card(source, tokens, result, tokenize_seconds: float) -> dict:
    meta = tokens.meta
    return {
        "algo": result.config.algo,
        "corpus": meta["source"],
        "tokenizer": {
            "options": meta["options"],
            "version": meta["tokenizer_version"],
            "tokens_file": str(tokens.path),
            "counts": meta["counts"],
            "reused_cache": tokens.reused,
        },
        "parameters": dict(result.config.to_dict(), workers=result.workers),
        "reproducibility": result.reproducibility(),
        "training": {
            "corpus_words": result.corpus_words,
            "corpus_documents": result.corpus_documents,
            **result.extra,
            "epochs": [
                {
                    "epoch": e.epoch,
                    "loss": e.loss,
                    "seconds": round(e.seconds, 3),
                    "words_per_second": round(e.words_per_second),
                }
                for e in result.epochs
            ],
            "loss_note": LOSS_NOTES[result.config.algo],
        },
        "timings": {
            "tokenize_seconds": round(tokenize_seconds, 3),
            "tokenize_reused_cache": tokens.reused,
            "vocab_seconds": round(result.vocab_seconds, 3),
            "train_seconds": round(result.train_seconds, 3),
        },
    }


def _save(out_dir, result, card, word2vec_text, glove_text, force):
    from embedcli.models import save_model

    save_model(
        out_dir,
        wv=result.wv,
        card=card,
        save_full=result.save_full_model,
        word2vec_text=word2vec_text,
        glove_text=glove_text,
        force=force,
    )


# --- queries --------------------------------------------------------------------------------


def _load_model(path: Path | None, quiet: bool = False):
    """Load the model to use; say on stderr when it is not a model directory."""
    from embedcli.models import load_model

    loaded = load_model(path)
    if loaded.notice:
        console.status(f"Note: {loaded.notice}", quiet)
    return loaded


def _neighbour_rows(neighbours) -> list[dict]:
    return [
        {"rank": i, "word": n.word, "score": round(n.score, 6)}
        for i, n in enumerate(neighbours, start=1)
    ]


@app.command()
@_handle_errors
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
    from embedcli.vectors import check_topn
    from embedcli.vectors import similar as find_similar

    _check_format(fmt)
    check_topn(topn)
    loaded = _load_model(model)
    found = find_similar(loaded, list(words), list(negative or []), topn=topn)
    query = " + ".join(words) + "".join(f" - {w}" for w in negative or [])
    console.render_rows(
        _neighbour_rows(found.neighbours),
        ["rank", "word", "score"],
        fmt,
        title=f"Nearest to {query}",
        caption=_caption(loaded, found.oov),
        meta={
            "query": {"positive": list(words), "negative": list(negative or [])},
            "oov": _oov_meta(found.oov),
            "model": str(loaded.path),
        },
    )
    _note_oov_on_stderr(fmt, found.oov)


def _caption(loaded, oov: list[str]) -> str:
    from embedcli.vectors import OOV_NOTE

    notes = [f"{word}: {OOV_NOTE}" for word in oov]
    return "\n".join([f"model {loaded.name}", *notes])


def _note_oov_on_stderr(fmt: str, oov: list[str]) -> None:
    """TSV has no room for notes: say on stderr which words were built from n-grams."""
    from embedcli.vectors import OOV_NOTE

    if fmt == "tsv":
        for word in oov:
            console.status(f"{word}: {OOV_NOTE}")


def _oov_meta(oov: list[str]) -> dict:
    from embedcli.vectors import OOV_NOTE

    return {word: OOV_NOTE for word in oov}


@app.command()
@_handle_errors
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
    from embedcli.vectors import analogy as solve
    from embedcli.vectors import check_method, check_topn

    _check_format(fmt)
    check_topn(topn)
    check_method(method)
    if len(words) != 3:
        raise typer.BadParameter(
            f"analogy takes exactly three words A B C, got {len(words)}: "
            "e.g. `embedcli analogy 남자 배우 여자`."
        )
    loaded = _load_model(model)
    result = solve(loaded, *words, topn=topn, method=method)
    console.render_rows(
        _neighbour_rows(result.neighbours),
        ["rank", "word", "score"],
        fmt,
        title=f"{result.question}   ({result.formula})",
        caption=_caption(loaded, result.oov),
        meta={
            "oov": _oov_meta(result.oov),
            "question": result.question,
            "formula": result.formula,
            "method": method,
            "model": str(loaded.path),
        },
    )
    _note_oov_on_stderr(fmt, result.oov)


@app.command()
@_handle_errors
def vector(
    words: Annotated[list[str], typer.Argument(help="One or more words to show vectors of.")],
    fmt: OutFormatOpt = "table",
    model: ModelOpt = None,
) -> None:
    """Print the vector of each WORD (FastText builds unseen words from character n-grams)."""
    from embedcli.vectors import vectors_of

    _check_format(fmt)
    loaded = _load_model(model)
    vectors, oov = vectors_of(loaded, list(words))
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
    from embedcli.fsutil import output_lock

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


def _check_export_place(target: Path) -> None:
    from embedcli.fsutil import check_can_create

    how = "Choose another --output-dir, or make that directory writable."
    check_can_create(target, "export directory", how)  # its lock goes next to it
    check_can_create(target, "export directory", how, inside=True)  # its files go in it


# --- corpora --------------------------------------------------------------------------------


@app.command()
@_handle_errors
def corpora(fmt: OutFormatOpt = "table") -> None:
    """List the named corpora: shipped with embedcli, downloadable, or recognised by checksum."""
    from embedcli import paths
    from embedcli.corpora import REGISTRY

    _check_format(fmt)
    rows = []
    for entry in REGISTRY.values():
        if entry.shipped:
            where = (
                "shipped"
                if (paths.shipped_corpora_dir() / entry.shipped).is_file()
                else ("missing")
            )
        elif entry.url:
            where = "download"
        else:
            where = "--corpus PATH"
        rows.append(
            {
                "name": entry.name,
                "lang": entry.lang,
                "where": where,
                "description": entry.description,
                "license": entry.license,
            }
        )
    console.render_rows(
        rows, ["name", "lang", "where", "description", "license"], fmt, title="Corpora"
    )


# --- tokenizers -----------------------------------------------------------------------------


@app.command()
@_handle_errors
def tokenizers(fmt: OutFormatOpt = "table") -> None:
    """List the tokenizers: whether each can run here, its version and its speed."""
    from embedcli.tokenizer_info import list_tokenizers

    _check_format(fmt)
    rows = []
    for info in list_tokenizers():
        row = info.to_dict()
        if fmt == "table":
            row["usable"] = "yes" if info.usable else "no"
            row["docs/s"] = f"~{info.docs_per_second:,} ({info.speed})"
        rows.append(row)
    if fmt == "table":
        columns = ["name", "lang", "usable", "detail", "version", "docs/s"]
    else:
        columns = ["name", "lang", "usable", "detail", "version", "docs_per_second", "speed"]
    console.render_rows(
        rows,
        columns,
        fmt,
        title="Tokenizers",
        caption="docs/s: NSMC reviews per second with --workers 1, measured on the 200K "
        "reviews (english: lines of the `en` corpus); a ballpark. See BENCHMARKS.md.",
        right=["docs/s"],
    )


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
@_handle_errors
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
    from embedcli.errors import ModelError
    from embedcli.evaluate import evaluate_model, save_evaluation
    from embedcli.fsutil import output_lock

    if fmt not in EVAL_FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(EVAL_FORMATS)}.")
    if model_dir and model and Path(model_dir) != Path(model):
        raise typer.BadParameter("Give the model either as MODEL or as --model, not both.")
    if lang is not None and lang not in ("ko", "en"):
        raise typer.BadParameter(f"Unknown --lang {quoted(lang)}: use ko or en.")
    loaded = _load_model(model_dir or model, quiet)
    if save and loaded.read_only:
        raise ModelError(
            f"--save writes the results into a model's model.json, and {loaded.path} is a "
            "vectors file without one: leave out --save, or evaluate a model directory."
        )
    if save:
        from embedcli.fsutil import check_can_create
        from embedcli.models import CARD_FILE

        how = "Leave out --save, or make the model directory writable."
        check_can_create(loaded.path, "model directory", how)  # its lock goes next to it
        check_can_create(loaded.path / CARD_FILE, "model card", how)
    result = evaluate_model(
        loaded,
        analogies=analogies,
        similarity=similarity,
        restrict_vocab=restrict_vocab,
        language=lang,
        on_status=lambda message: console.status(message, quiet),
    )
    if fmt == "json":
        import json

        console.result(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        _render_evaluation(result)
    if save:
        with output_lock(loaded.path, "model directory", "model"):
            card_path = save_evaluation(loaded, result)
        console.status(f"Saved the evaluation into {card_path}", quiet)


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

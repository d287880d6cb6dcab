"""TODO"""

from __future__ import annotations

import errno
import time
from pathlib import Path
from typing import Annotated

import typer
import typer.core

from embedcli.cli import console
from embedcli.cli.app import _handle_errors, app
from embedcli.cli.options import (
    CorpusOpt,
    EncodingOpt,
    ForceOpt,
    FormatOpt,
    LangOpt,
    MaxRepeatOpt,
    QuietOpt,
    TextColumnOpt,
    TokenizerOpt,
    WorkersOpt,
)

_PLACE_ERRORS = (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR)


# --- corpus -> tokens -----------------------------------------------------------------------


def _resolve_source(corpus, corpus_format, text_column, quiet, encoding=None):
    from embedcli.corpora.registry import parse_text_column, resolve_corpus

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
    from embedcli.tokens.cache import tokenize_corpus

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
    from embedcli.tokens.options import choose_tokenizer, default_options

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
    from embedcli.tokens.runner import check_workers
    from embedcli.util.atomic import check_can_create

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
    from embedcli.corpora.registry import DEFAULT_CORPUS
    from embedcli.store.model_dir import default_model_dir, foreign_files
    from embedcli.training.config import TrainConfig
    from embedcli.training.trainer import restart_marker
    from embedcli.util.atomic import check_writable, output_lock

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
    from embedcli.store.model_dir import LATEST_FILE
    from embedcli.util.atomic import check_can_create

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
    from embedcli.training.trainer import train as train_model

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
    from embedcli.store.model_dir import save_model

    save_model(
        out_dir,
        wv=result.wv,
        card=card,
        save_full=result.save_full_model,
        word2vec_text=word2vec_text,
        glove_text=glove_text,
        force=force,
    )


def _check_export_place(target: Path) -> None:
    from embedcli.util.atomic import check_can_create

    how = "Choose another --output-dir, or make that directory writable."
    check_can_create(target, "export directory", how)  # its lock goes next to it
    check_can_create(target, "export directory", how, inside=True)  # its files go in it

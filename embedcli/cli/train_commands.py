"""`embedcli tokenize` and `embedcli train`: corpus -> tokens -> model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from embedcli.cli import console
from embedcli.cli.app import app
from embedcli.cli.options import (
    ClusterOpt,
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


@app.command()
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
    cluster: ClusterOpt = None,
) -> None:
    """Tokenize a corpus in parallel: Okt the textbook's way (default), Kiwi, MeCab or English."""
    from embedcli import api

    with console.StageBars(quiet) as bars:
        result = api.tokenize(
            corpus,
            tokenizer=tokenizer,
            lang=lang,
            output=output,
            workers=workers,
            max_repeat=max_repeat,
            corpus_format=corpus_format,
            text_column=text_column,
            encoding=encoding,
            force=force,
            cluster=cluster,
            on_status=bars.status,
            on_progress=bars.on_progress,
        )
    console.result(str(result.path))


@app.command()
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
    cluster: ClusterOpt = None,
    continue_from: Annotated[
        Path | None,
        typer.Option(
            "--continue",
            help="Train this model directory further: --epochs more epochs on its own corpus, "
            "with its options and vocabulary (written to <model>-continued, or over the model "
            "with --force).",
        ),
    ] = None,
    update_from: Annotated[
        Path | None,
        typer.Option(
            "--update",
            help="Add the new words of --corpus to this model directory and train on that "
            "corpus (word2vec, fasttext; written to <model>-updated, or over it with --force).",
        ),
    ] = None,
) -> None:
    """Train word vectors on a corpus (default: the shipped NSMC reviews, tokenized with Okt).

    After each epoch a checkpoint is kept next to the model directory: the same command run
    again after Ctrl-C, a crash or a reboot resumes from the last finished epoch.
    """
    from embedcli import api

    with console.StageBars(quiet) as bars:
        model = api.train(
            corpus,
            algo=algo,
            output=output,
            vector_size=vector_size,
            window=window,
            min_count=min_count,
            sg=sg,
            hs=bool(hs),
            negative=negative,
            sample=sample,
            epochs=epochs,
            alpha=alpha,
            seed=seed,
            min_n=min_n,
            max_n=max_n,
            bucket=bucket,
            x_max=x_max,
            eta=eta,
            max_vocab=max_vocab,
            workers=workers,
            tokenizer=tokenizer,
            lang=lang,
            max_repeat=max_repeat,
            corpus_format=corpus_format,
            text_column=text_column,
            encoding=encoding,
            word2vec_text=word2vec_text,
            glove_text=glove_text,
            force=force,
            cluster=cluster,
            on_status=bars.status,
            on_progress=bars.on_progress,
            on_epoch=bars.on_epoch,
            continue_from=continue_from,
            update_from=update_from,
        )
    console.result(str(model.path))

"""The Python API: every stage of the pipeline as one call, the same calls the CLI makes.

    import embedcli
    model = embedcli.train("nsmc", algo="word2vec", workers=2)
    model.similar("최민식", topn=10)            # [("한석규", 0.84), ...]
    model.analogy("남자", "배우", "여자")
    model.vector("최민식")                      # a NumPy array
    model.export_tsv("out_dir", top_n=5000)
    model.evaluate()
    embedcli.tokenize("nsmc", tokenizer="mecab").path

Nothing here prints or exits. Long work reports through optional callbacks:
`on_status(message)` for notes a person would want to read, `on_progress(stage, done, total)`
for downloads (bytes), tokenization (documents) and GloVe's counting stages, and
`on_epoch(report)` after every training epoch. Problems are raised as `EmbedcliError`s whose
message says what is wrong and what to do.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from embedcli import __version__
from embedcli.errors import ModelError

if TYPE_CHECKING:
    import numpy as np

Status = Callable[[str], None]
Progress = Callable[[str, int, "int | None"], None]

EVALUATION_TASKS = ("words", "sentiment")

LOSS_NOTES = {
    "word2vec": "per-epoch loss summed over worker threads (not gensim's cumulative counter)",
    "fasttext": "gensim computes no training loss for FastText; none is reported",
    "glove": "per-epoch cost: mean of 0.5 * f(X) * (w.w~ + b + b~ - log X)^2 over non-zeros",
}


def _say(on_status: Status | None, message: str) -> None:
    if on_status is not None:
        on_status(message)


# --- corpus -> tokens -----------------------------------------------------------------------


def resolve(
    corpus: str | Path | None = None,
    *,
    corpus_format: str = "auto",
    text_column: str | int | None = None,
    encoding: str | None = None,
    on_status: Status | None = None,
    on_progress: Progress | None = None,
):
    """The corpus to read: a name from `embedcli corpora` (downloaded if needed) or a file."""
    from embedcli.corpora.registry import parse_text_column, resolve_corpus

    def on_download(done: int, total: int | None) -> None:
        if on_progress is not None:
            on_progress("download", done, total)

    notices: list[str] = []
    source = resolve_corpus(
        None if corpus is None else str(corpus),
        format=corpus_format,
        text_column=parse_text_column(None if text_column is None else str(text_column)),
        encoding=encoding,
        download_progress=on_download,
        on_notice=notices.append,
    )
    for notice in notices:
        _say(on_status, f"Note: {notice}")
    return source


def tokenize_options(
    tokenizer: str | None = None,
    lang: str | None = None,
    max_repeat: int | None = None,
    corpus_lang: str | None = None,
):
    """Options for the tokenizer asked for, else `lang`'s, else the corpus's, else Okt."""
    from embedcli.tokens.options import choose_tokenizer, default_options

    chosen = choose_tokenizer(tokenizer, lang, corpus_lang)
    return default_options(chosen, max_repeat=max_repeat)


def tokenize(
    corpus: str | Path | None = None,
    *,
    tokenizer: str | None = None,
    lang: str | None = None,
    output: str | Path | None = None,
    workers: int | None = None,
    max_repeat: int | None = None,
    corpus_format: str = "auto",
    text_column: str | int | None = None,
    encoding: str | None = None,
    force: bool = False,
    cluster: str | None = None,
    on_status: Status | None = None,
    on_progress: Progress | None = None,
):
    """Tokenize a corpus (or reuse the cached tokens); the result's `.path` is the token file.

    One document per line, tokens separated by spaces, with a JSON sidecar (`<file>.json`)
    describing the source, the tokenizer and the counts. Without `output` the tokens go to
    the token cache that `train` reuses. `cluster` tokenizes on a Dask cluster: a scheduler
    address (`tcp://head:8786`) or `local:N` for N worker processes here; same tokens.
    """
    from embedcli.tokens.runner import check_workers
    from embedcli.util.atomic import check_can_create

    tokenize_options(tokenizer, lang, max_repeat)  # contradicting options fail before any work
    check_workers(workers)  # here too: a cached result would otherwise skip the check
    spec = _cluster_spec(cluster)
    if output:
        check_can_create(
            Path(output), "tokens file", "Choose another --output, or make that directory writable."
        )
    source = resolve(
        corpus,
        corpus_format=corpus_format,
        text_column=text_column,
        encoding=encoding,
        on_status=on_status,
        on_progress=on_progress,
    )
    options = tokenize_options(tokenizer, lang, max_repeat, source.lang)
    return _tokenize(
        source,
        options,
        output=None if output is None else Path(output),
        workers=workers,
        force=force,
        on_status=on_status,
        on_progress=on_progress,
        cluster=spec,
    )


def _cluster_spec(cluster: str | None):
    """--cluster checked before any work: its syntax, Dask installed, the scheduler there."""
    if cluster is None:
        return None
    from embedcli.tokens.cluster import check_reachable, parse_cluster, require_distributed

    spec = parse_cluster(cluster)
    if spec is not None:
        require_distributed()
        check_reachable(spec)
    return spec


def _tokenize(source, options, *, output, workers, force, on_status, on_progress, cluster=None):
    from embedcli.tokens.cache import tokenize_corpus

    stage = f"tokenize ({options.tokenizer})"
    state = {"done": 0, "total": None}

    def started(total: int) -> None:
        state["total"] = total
        if on_progress is not None:
            on_progress(stage, 0, total)

    def advanced(n: int) -> None:
        state["done"] += n
        if on_progress is not None:
            on_progress(stage, state["done"], state["total"])

    result = tokenize_corpus(
        source,
        options,
        output=output,
        workers=workers,
        force=force,
        on_start=started,
        on_progress=advanced,
        on_status=on_status,
        cluster=cluster,
    )
    meta = result.meta
    counts = meta["counts"]
    if result.reused:
        _say(
            on_status,
            f"Reusing tokens of {source.name} ({counts['documents']:,} documents, "
            f"{counts['tokens']:,} tokens): {result.path}",
        )
    else:
        skipped = sum(counts["skipped_rows"].values())
        reasons = ", ".join(f"{n:,} {why}" for why, n in counts["skipped_rows"].items())
        _say(
            on_status,
            f"Tokenized {counts['documents']:,} documents of {source.name} in "
            f"{meta['seconds']:.1f} s ({meta['documents_per_second']:,.0f} docs/s, "
            f"{meta['workers']} workers"
            + (f" of the cluster at {meta['cluster']}" if meta.get("cluster") else "")
            + f"): {counts['tokens']:,} tokens"
            + (f"; skipped {skipped:,} rows ({reasons})" if skipped else "")
            + f" -> {result.path}",
        )
    return result


# --- tokens -> model ------------------------------------------------------------------------


def train(
    corpus: str | Path | None = None,
    *,
    algo: str = "word2vec",
    output: str | Path | None = None,
    vector_size: int = 100,
    window: int | None = None,
    min_count: int = 5,
    sg: bool = False,
    hs: bool = False,
    negative: int = 5,
    sample: float = 1e-3,
    epochs: int | None = None,
    alpha: float | None = None,
    seed: int = 1,
    min_n: int = 3,
    max_n: int = 6,
    bucket: int = 2_000_000,
    x_max: float = 100.0,
    eta: float = 0.05,
    max_vocab: int | None = None,
    workers: int | None = None,
    tokenizer: str | None = None,
    lang: str | None = None,
    max_repeat: int | None = None,
    corpus_format: str = "auto",
    text_column: str | int | None = None,
    encoding: str | None = None,
    word2vec_text: bool = False,
    glove_text: bool = False,
    force: bool = False,
    cluster: str | None = None,
    on_status: Status | None = None,
    on_progress: Progress | None = None,
    on_epoch: Callable | None = None,
    continue_from: str | Path | None = None,
    update_from: str | Path | None = None,
) -> Model:
    """Tokenize `corpus` (or reuse its cached tokens), train, save the model directory.

    After every epoch but the last a checkpoint is written next to the model directory; the
    same call after an interruption resumes from it (and says so through `on_status`); a call
    with other options refuses to, unless `force=True`, which starts over.

    `continue_from=MODEL`: `epochs` more epochs on that model's own corpus, with its options
    and vocabulary and a fresh learning-rate decay. `update_from=MODEL` with `corpus`: add the
    corpus's new words (word2vec, fasttext) and train on it. Both write a new directory
    (`<model>-continued`, `<model>-updated`, or `output`), or replace the model with `force`.

    The defaults are the CLI's: Word2Vec CBOW, 100 dimensions, window 5, min count 5 on the
    shipped NSMC reviews tokenized by Okt. The model goes to `output` (default
    `<data home>/models/<corpus>-<algo>`) and becomes the latest model, which `load()` and the
    query commands use by default. `output` is replaced only with `force=True`, and only when
    it holds a model embedcli wrote. `cluster` tokenizes on a Dask cluster (see `tokenize`);
    training itself runs here.
    """
    from embedcli.corpora.registry import DEFAULT_CORPUS
    from embedcli.store.model_dir import default_model_dir, foreign_files
    from embedcli.training.config import TrainConfig
    from embedcli.util.atomic import check_writable, output_lock

    if continue_from is not None or update_from is not None:
        return _train_further(
            continue_from=continue_from,
            update_from=update_from,
            corpus=corpus,
            output=output,
            epochs=epochs,
            workers=workers,
            corpus_format=corpus_format,
            text_column=text_column,
            encoding=encoding,
            word2vec_text=word2vec_text,
            glove_text=glove_text,
            force=force,
            on_status=on_status,
            on_progress=on_progress,
            on_epoch=on_epoch,
        )
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
    tokenize_options(tokenizer, lang, max_repeat)  # contradicting options fail before any work
    spec = _cluster_spec(cluster)
    out_dir = Path(output) if output else default_model_dir(str(corpus or DEFAULT_CORPUS), algo)
    _check_model_places(out_dir, chosen=output is not None)
    # Held from before tokenizing until the directory is in place: a second run writing the
    # same directory stops here instead of swapping its own files in halfway.
    with output_lock(out_dir, "model directory"):
        # Before any work is done; a folder embedcli did not write is never replaced.
        check_writable(out_dir, force, "model directory", foreign_files)
        source = resolve(
            corpus,
            corpus_format=corpus_format,
            text_column=text_column,
            encoding=encoding,
            on_status=on_status,
            on_progress=on_progress,
        )
        options = tokenize_options(tokenizer, lang, max_repeat, source.lang)
        tokenize_started = time.perf_counter()
        tokens = _tokenize(
            source,
            options,
            output=None,
            workers=workers,
            force=False,
            on_status=on_status,
            on_progress=on_progress,
            cluster=spec,
        )
        tokenize_seconds = time.perf_counter() - tokenize_started
        _train_and_save(
            tokens,
            config,
            out_dir,
            started=started,
            tokenize_seconds=tokenize_seconds,
            word2vec_text=word2vec_text,
            glove_text=glove_text,
            force=force,
            on_status=on_status,
            on_progress=on_progress,
            on_epoch=on_epoch,
        )
    return load(out_dir)


def _train_and_save(
    tokens,
    config,
    out_dir: Path,
    *,
    started: float,
    tokenize_seconds: float,
    word2vec_text: bool,
    glove_text: bool,
    force: bool,
    on_status,
    on_progress,
    on_epoch,
    initial=None,
    new_words: bool = False,
    further: dict | None = None,
) -> None:
    """Train (resuming from a checkpoint of the same command if there is one), save, and
    remove the checkpoint. Called with the model directory's lock held."""
    from embedcli.store.model_dir import save_model
    from embedcli.training import checkpoint
    from embedcli.training.trainer import train as train_model

    key = checkpoint.as_json(
        checkpoint.make_key(
            config,
            tokens,
            mode=further["mode"] if further else "train",
            source_model=further["source"] if further else None,
        )
    )
    run = checkpoint.Run(directory=checkpoint.checkpoint_dir(out_dir), key=key)
    run.initial = initial
    run.new_words = [] if new_words else None
    _find_checkpoint(run, config, force, on_status)

    def on_start(vocab_size: int, corpus_words: int) -> None:
        _say(on_status, f"Vocabulary: {vocab_size:,} words (min count {config.min_count})")
        if on_progress is not None:
            on_progress(f"train ({config.algo})", run.start_epoch, config.epochs)

    result = train_model(
        tokens, config, on_start=on_start, on_epoch=on_epoch, on_progress=on_progress, run=run
    )
    card = build_card(tokens, result, tokenize_seconds)
    card["timings"]["total_seconds"] = round(time.perf_counter() - started, 3)
    card["training"]["checkpoints"] = {
        "seconds": [round(x, 3) for x in run.seconds],
        "commit_seconds": [round(x, 3) for x in run.commit_seconds],
        "note": "written after every epoch but the last (seconds: what training waited for; "
        "commit_seconds: flushing, checksums and the manifest, while the next epoch trained); "
        "removed once the model is saved",
    }
    if run.history:
        card["training"]["resumes"] = run.history
    if further:
        card["trained_further"] = dict(further["card"], **result.extra.pop("update", {}))
    if word2vec_text and config.algo == "fasttext":
        _say(
            on_status,
            "Note: vectors.txt (word2vec format) holds whole-word vectors only; it "
            "cannot answer unseen words from character n-grams as the model "
            "directory can.",
        )
    save_model(
        out_dir,
        wv=result.wv,
        card=card,
        save_full=result.save_full_model,
        word2vec_text=word2vec_text,
        glove_text=glove_text,
        force=force or (further is not None and further.get("replace", False)),
    )
    checkpoint.remove(run.directory)
    _say(
        on_status,
        f"Trained {config.algo} on {tokens.tokens:,} tokens: {len(result.wv):,} words x "
        f"{result.wv.vector_size} dims in {result.train_seconds:.1f} s. Saved to {out_dir}",
    )


def _find_checkpoint(run, config, force: bool, on_status) -> None:
    """Resume from the checkpoint next to the model directory if it is this command's."""
    from embedcli.training import checkpoint

    found, why = checkpoint.load(run.directory)
    if found is None:
        if why:
            _say(
                on_status,
                f"Note: the checkpoint {run.directory} cannot be used ({why}); training "
                "starts over.",
            )
            checkpoint.remove(run.directory)
        return
    if found.key != run.key:
        changed = checkpoint.differences(found.key, run.key)
        if not force:
            raise checkpoint.CheckpointMismatchError(
                f"An interrupted run left a checkpoint at epoch {found.epoch}/{found.epochs} in "
                f"{run.directory}, made by another command ({'; '.join(changed[:4])}), so "
                "this run does not resume from it: run the earlier command again to resume, "
                "or add --force to delete the checkpoint and start over."
            )
        _say(
            on_status,
            f"Note: deleted the checkpoint of an interrupted run with other options "
            f"({'; '.join(changed[:4])}); training starts over (--force).",
        )
        checkpoint.remove(run.directory)
        return
    run.resume = found
    run.saved_epoch = found.epoch
    run.history = list(found.info.get("resumes", [])) + [
        {
            "resumed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "epochs_from_checkpoint": [1, found.epoch],
            "resumed_at_epoch": found.epoch + 1,
        }
    ]
    _say(
        on_status,
        f"Resuming at epoch {found.epoch + 1}/{config.epochs} from the checkpoint of an "
        f"interrupted run (epochs 1-{found.epoch} done).",
    )


def _train_further(
    *,
    continue_from,
    update_from,
    corpus,
    output,
    epochs,
    workers,
    corpus_format,
    text_column,
    encoding,
    word2vec_text,
    glove_text,
    force,
    on_status,
    on_progress,
    on_epoch,
) -> Model:
    """`--continue MODEL` (more epochs on its own corpus) and `--update MODEL --corpus C`."""
    import dataclasses
    import hashlib

    from embedcli.errors import OptionsError
    from embedcli.store.model_dir import CARD_FILE, FULL_MODEL_FILE, foreign_files, load_model
    from embedcli.tokens.options import TokenizeOptions
    from embedcli.training.config import TrainConfig
    from embedcli.util.atomic import check_writable, output_lock

    if continue_from is not None and update_from is not None:
        raise OptionsError("Use --continue or --update, not both.")
    mode = "continue" if continue_from is not None else "update"
    option = f"--{mode}"
    if mode == "continue" and corpus is not None:
        raise OptionsError(
            "--continue trains further on the model's own corpus: leave out --corpus, or use "
            "--update MODEL --corpus C to train on new text."
        )
    if mode == "update" and corpus is None:
        raise OptionsError("--update MODEL needs --corpus: the text whose new words to add.")
    started = time.perf_counter()
    stored = load_model(continue_from if mode == "continue" else update_from)
    card = stored.card
    algo = card.get("algo")
    state_name = (card.get("files") or {}).get("full_model")
    if stored.read_only or not state_name or not (stored.path / state_name).is_file():
        raise ModelError(
            f"{stored.path} holds vectors only, not the full model that {option} needs to "
            "train further: use a model directory that `embedcli train` wrote."
        )
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    params = {k: v for k, v in card["parameters"].items() if k in fields}
    params.update(algo=algo, workers=workers)
    if epochs is not None:
        params["epochs"] = epochs
    config = TrainConfig(**params)
    if algo == "glove" and mode == "update":
        from embedcli.training.config import TrainConfigError

        raise TrainConfigError(
            "--update cannot add words to a GloVe model: its vectors are fitted to one "
            "co-occurrence matrix, and new words would need all of it counted again and "
            "training started over. Train a new GloVe model on the combined corpus, or use "
            "--continue to train this one further on its own corpus."
        )
    replace = output is None and force
    out_dir = (
        Path(output)
        if output
        else (stored.path if force else stored.path.with_name(f"{stored.path.name}-{mode}d"))
    )
    _check_model_places(out_dir, chosen=output is not None)
    source_hash = hashlib.sha256((stored.path / CARD_FILE).read_bytes()).hexdigest()
    with output_lock(out_dir, "model directory"):
        check_writable(out_dir, force, "model directory", foreign_files)
        corpus_card = card["corpus"]
        source = resolve(
            corpus_card["path"] if mode == "continue" else corpus,
            corpus_format=corpus_card.get("format", "auto")
            if mode == "continue"
            else corpus_format,
            text_column=corpus_card.get("text_column") if mode == "continue" else text_column,
            encoding=corpus_card.get("encoding") if mode == "continue" else encoding,
            on_status=on_status,
            on_progress=on_progress,
        )
        opts = dict(card["tokenizer"]["options"])
        opts["stopwords"] = tuple(opts.get("stopwords", ()))
        options = TokenizeOptions(**opts)  # the model's own tokenizer, for matching tokens
        tokenize_started = time.perf_counter()
        tokens = _tokenize(
            source,
            options,
            output=None,
            workers=workers,
            force=False,
            on_status=on_status,
            on_progress=on_progress,
        )
        tokenize_seconds = time.perf_counter() - tokenize_started
        if algo == "glove":
            from embedcli.training.glove_backend import GloveFullModel

            initial = GloveFullModel.load_state(stored.path / state_name)
            initial.counts = [int(stored.kv.get_vecattr(w, "count")) for w in initial.words]
        else:
            from embedcli.training.gensim_backend import load_full_model

            initial = load_full_model(stored.path / FULL_MODEL_FILE, algo)
        before = len(card.get("training", {}).get("epochs", []))
        _say(
            on_status,
            f"Training {stored.name} further ({mode}): {config.epochs} more epochs on "
            f"{source.name}, after its {before} epochs.",
        )
        _train_and_save(
            tokens,
            config,
            out_dir,
            started=started,
            tokenize_seconds=tokenize_seconds,
            word2vec_text=word2vec_text,
            glove_text=glove_text,
            force=force,
            on_status=on_status,
            on_progress=on_progress,
            on_epoch=on_epoch,
            initial=initial,
            new_words=mode == "update",
            further={
                "mode": mode,
                "replace": replace,
                "source": {"model_card_sha256": source_hash},
                "card": {
                    "mode": mode,
                    "from_model": str(stored.path),
                    "from_corpus": card["corpus"].get("name"),
                    "epochs_before": before,
                    "epochs_before_total": card.get("trained_further", {}).get(
                        "epochs_before_total", 0
                    )
                    + before,
                    "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "learning_rate": "a fresh decay from --alpha to min_alpha over the new epochs"
                    if algo != "glove"
                    else "AdaGrad goes on from the model's accumulated squared gradients",
                },
            },
        )
    return load(out_dir)


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


def build_card(tokens, result, tokenize_seconds: float) -> dict:
    """The model card (model.json) of a training run: where every number came from."""
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
                    **(
                        {"checkpoint_seconds": round(e.checkpoint_seconds, 3)}
                        if e.checkpoint_seconds
                        else {}
                    ),
                    **({"resumed": True} if e.resumed else {}),
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


# --- model -> queries, export, evaluation ---------------------------------------------------


def load(path: str | Path | None = None, *, trust: bool = False) -> Model:
    """A model: a model directory (default: the latest trained) or another tool's vectors file.

    A Python pickle (a gensim .kv/.model file) is opened only when embedcli wrote it on this
    machine, or with `trust=True`: unpickling runs any code its author put in it.
    """
    from embedcli.store.model_dir import load_model

    return Model(load_model(path, trust=trust))


class Neighbours(list):
    """The answers to a query: a list of (word, score), best first, with what was asked.

    `oov` lists the query words that were not in the vocabulary and were built from
    character n-grams (FastText); `question` and `formula` say what was computed.
    """

    def __init__(self, pairs, *, question: str, formula: str, oov: Sequence[str] = ()):
        super().__init__(pairs)
        self.question = question
        self.formula = formula
        self.oov = list(oov)


class Model:
    """A loaded model: query it, export it, evaluate it.

    `kv` is the gensim KeyedVectors for anything this class does not cover; `card` is the
    model card (model.json) as a dict; `path` is where it was read from.
    """

    def __init__(self, stored):
        self._stored = stored

    # what it is
    @property
    def path(self) -> Path:
        return self._stored.path

    @property
    def name(self) -> str:
        return self._stored.name

    @property
    def card(self) -> dict:
        return self._stored.card

    @property
    def kv(self):
        return self._stored.kv

    @property
    def read_only(self) -> bool:
        """Read from another tool's vectors file: nothing can be saved into it."""
        return self._stored.read_only

    @property
    def notice(self) -> str | None:
        """What the model was read from, when that is not a model directory."""
        return self._stored.notice

    @property
    def vocab_size(self) -> int:
        return self._stored.vocab_size

    @property
    def vector_size(self) -> int:
        return self._stored.index.dims

    @property
    def index(self):
        """The query index (`embedcli.store.query_index.QueryIndex`): plain arrays, no gensim."""
        return self._stored.index

    @property
    def words(self) -> list[str]:
        """The vocabulary, most frequent first."""
        return list(self._stored.index.words)

    def __contains__(self, word: str) -> bool:
        return word in self._stored.index

    def __len__(self) -> int:
        return self.vocab_size

    def __repr__(self) -> str:
        algo = self.card.get("algo", "vectors")
        return (
            f"<embedcli.Model {self.name}: {algo}, {self.vocab_size:,} words x "
            f"{self.vector_size} dims, {self.path}>"
        )

    # queries
    def similar(self, *words: str, negative: Sequence[str] = (), topn: int = 10) -> Neighbours:
        """The `topn` words nearest to the sum of `words` minus `negative` (inputs excluded).

        `model.similar("최민식")`, `model.similar("king", "woman", negative=["man"])`.
        """
        from embedcli.query import similar

        if len(words) == 1 and not isinstance(words[0], str):
            words = tuple(words[0])  # a list of words
        found = similar(self._stored, list(words), list(negative), topn=topn)
        question = " + ".join(found.positive) + "".join(f" - {w}" for w in found.negative)
        return Neighbours(
            [(n.word, n.score) for n in found.neighbours],
            question=question,
            formula=question,
            oov=found.oov,
        )

    def analogy(self, a: str, b: str, c: str, *, topn: int = 10, method: str = "add") -> Neighbours:
        """'a is to b as c is to ?': the words nearest to b - a + c (add) or by 3CosMul (mul)."""
        from embedcli.query import analogy

        found = analogy(self._stored, a, b, c, topn=topn, method=method)
        return Neighbours(
            [(n.word, n.score) for n in found.neighbours],
            question=found.question,
            formula=found.formula,
            oov=found.oov,
        )

    def vector(self, word: str) -> np.ndarray:
        """The vector of `word` (FastText: built from character n-grams when unseen)."""
        vectors, _ = self.vectors([word])
        return vectors[0]

    def vectors(self, words: Sequence[str]) -> tuple[list[np.ndarray], list[str]]:
        """The vectors of `words`, and which of them were built from character n-grams."""
        from embedcli.query import vectors_of

        vectors, oov = vectors_of(self._stored, list(words))
        return list(vectors), oov

    # export, evaluation
    def export_tsv(
        self,
        output_dir: str | Path | None = None,
        *,
        top_n: int | None = None,
        with_counts: bool = False,
        force: bool = False,
    ):
        """Write tensor.tsv, metadata.tsv and the Projector configs (default ./<name>-projector)."""
        from embedcli.export import check_export_place, check_top_n, export_projector
        from embedcli.util.atomic import output_lock

        check_top_n(top_n)
        target = Path(output_dir) if output_dir else Path(f"{self.name}-projector")
        check_export_place(target)
        with output_lock(target, "export directory", "--output-dir"):
            return export_projector(
                self.kv,
                target,
                model_name=self.name,
                top_n=top_n,
                with_counts=with_counts,
                force=force,
            )

    def evaluate(
        self,
        *,
        task: str = "words",
        analogies: Sequence[str | Path] | None = None,
        similarity: Sequence[str | Path] | None = None,
        restrict_vocab: int = 30_000,
        lang: str | None = None,
        corpus: str | Path | None = None,
        label_column: str | None = None,
        weightings: Sequence[str] = ("mean", "sif"),
        seed: int = 0,
        save: bool = False,
        on_status: Status | None = None,
        on_progress: Progress | None = None,
    ):
        """Scores on word analogies and word similarity (the model language's sets by default),
        or with `task="sentiment"` the accuracy and F1 of a logistic regression on document
        vectors beside a TF-IDF baseline (the model's corpus and its `label` column by default;
        see `embedcli.evaluate.sentiment`).

        With `save=True` the result is also written into the model's model.json.
        """
        if task not in EVALUATION_TASKS:
            from embedcli.errors import OptionsError

            raise OptionsError(
                f"Unknown task {task!r}: choose one of {', '.join(EVALUATION_TASKS)}."
            )
        from embedcli.evaluate.scoring import evaluate_model

        if save and self.read_only:
            raise ModelError(
                f"--save writes the results into a model's model.json, and {self.path} is a "
                "vectors file without one: leave out --save, or evaluate a model directory."
            )
        if save:
            from embedcli.store.model_dir import CARD_FILE
            from embedcli.util.atomic import check_can_create

            how = "Leave out --save, or make the model directory writable."
            check_can_create(self.path, "model directory", how)  # its lock goes next to it
            check_can_create(self.path / CARD_FILE, "model card", how)
        if task == "sentiment":
            return self._evaluate_sentiment(
                corpus=corpus,
                label_column=label_column,
                weightings=weightings,
                seed=seed,
                save=save,
                on_status=on_status,
                on_progress=on_progress,
            )
        result = evaluate_model(
            self._stored,
            analogies=[Path(p) for p in analogies] if analogies else None,
            similarity=[Path(p) for p in similarity] if similarity else None,
            restrict_vocab=restrict_vocab,
            language=lang,
            on_status=on_status,
        )
        if save:
            self._save_scores("evaluation", "evaluation", result, on_status)
        return result

    # documents (embedcli.documents, embedcli.evaluate.sentiment)
    def doc_vectors(
        self,
        weighting: str = "mean",
        *,
        corpus: str | Path | None = None,
        label_column: str | None = None,
        force: bool = False,
        workers: int | None = None,
        on_status: Status | None = None,
        on_progress: Progress | None = None,
    ):
        """One vector per document (`mean` or `sif`), tokenized as the model's corpus was.

        The model's own corpus by default: its vectors are stored in `<model>/docs/` and
        reused while current (`force=True` builds them again). Another `corpus` (a name or a
        file) is embedded without storing. The result's `vectors` is a float32 matrix (memory-
        mapped when stored), `known` the known tokens per document (0: no vector, never
        ranked), `ids`, `texts` and `labels` its rows.
        """
        from embedcli.documents import doc_vectors

        source = self._corpus(corpus, on_status, on_progress)
        return doc_vectors(
            self._stored,
            weighting,
            corpus=source,
            label_column=label_column,
            force=force,
            workers=workers,
            on_status=on_status,
            on_progress=on_progress,
        )

    def similar_docs(
        self,
        text: str | None = None,
        *,
        id: str | int | None = None,  # noqa: A002  (the CLI's --id)
        topn: int = 10,
        weighting: str = "mean",
        on_status: Status | None = None,
        on_progress: Progress | None = None,
    ):
        """The `topn` documents of the model's corpus nearest by cosine to `text` (tokenized
        as the corpus was) or to the document with id `id`; the index is built once and kept
        in the model directory."""
        from embedcli.documents import check_weighting, similar_docs

        check_weighting(weighting)
        if (text is None) == (id is None):
            from embedcli.errors import OptionsError

            raise OptionsError("Give either a TEXT or --id N, not both and not neither.")
        if topn < 1:
            from embedcli.errors import OptionsError

            raise OptionsError(f"--topn {topn} shows nothing: give 1 or more.")
        docs = self.doc_vectors(weighting, on_status=on_status, on_progress=on_progress)
        return similar_docs(
            self._stored, docs, text=text, doc_id=None if id is None else str(id), topn=topn
        )

    def _corpus(self, corpus, on_status, on_progress):
        if corpus is None:
            return None
        return resolve(corpus, on_status=on_status, on_progress=on_progress)

    def _evaluate_sentiment(
        self, *, corpus, label_column, weightings, seed, save, on_status, on_progress
    ):
        from embedcli.evaluate.sentiment import evaluate_sentiment

        result = evaluate_sentiment(
            self._stored,
            corpus=self._corpus(corpus, on_status, on_progress),
            label_column=label_column,
            weightings=tuple(weightings),
            seed=seed,
            on_status=on_status,
            on_progress=on_progress,
        )
        if save:
            self._save_scores("sentiment", "sentiment scores", result, on_status)
        return result

    def _save_scores(self, section: str, what: str, result, on_status) -> None:
        """Write `result` into one section of the model's card, with when and by what."""
        from embedcli.store.model_dir import update_card
        from embedcli.util.atomic import output_lock

        with output_lock(self.path, "model directory", "model"):
            card_path = update_card(
                self._stored,
                section,
                dict(
                    result.to_dict(),
                    evaluated_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    embedcli_version=__version__,
                ),
            )
        _say(on_status, f"Saved the {what} into {card_path}")

    def export_docs_tsv(
        self,
        output_dir: str | Path | None = None,
        *,
        weighting: str = "mean",
        force: bool = False,
        on_status: Status | None = None,
        on_progress: Progress | None = None,
    ):
        """The document vectors of the model's corpus for the Projector (default
        ./<name>-docs-projector): metadata.tsv has a `text<TAB>label` header."""
        from embedcli.documents import export_docs
        from embedcli.export import check_export_place
        from embedcli.util.atomic import output_lock

        target = Path(output_dir) if output_dir else Path(f"{self.name}-docs-projector")
        check_export_place(target)
        docs = self.doc_vectors(weighting, on_status=on_status, on_progress=on_progress)
        with output_lock(target, "export directory", "--output-dir"):
            return export_docs(docs, target, model_name=self.name, force=force)

    # pictures
    def plot(
        self,
        words: Sequence[str] = (),
        *,
        neighbors: str | None = None,
        topn: int = 30,
        top_n: int | None = None,
        analogy: Sequence[str] | None = None,
        loss: bool = False,
        method: str = "pca",
        seed: int = 1,
        output: str | Path | None = None,
        coords: str | Path | None = None,
        force: bool = False,
        workers: int | None = None,
    ) -> PlotResult:
        """A map of words, or the training loss curve; written to `output` when given.

        Which words: `words`, or `neighbors="최민식"` with its `topn` nearest, or the `top_n`
        most frequent (the default: up to 1,000), or `analogy=("남자", "배우", "여자")` drawn
        as arrows; `loss=True` plots the per-epoch losses instead. `method` is pca, tsne or
        umap. `output` ends in .png, .svg or .html; `coords` writes the map's coordinates as
        TSV. Without `output` nothing is written: the result's `.figure` is the matplotlib
        Figure and `.map` holds the words and their coordinates.
        """
        from embedcli.plot.maps import check_choice, loss_curve, word_map
        from embedcli.plot.output import check_outputs, figure_of, write_coords, write_plot
        from embedcli.plot.projection import check_method

        check_method(method)
        if isinstance(words, str):
            words = [words]
        check_choice(list(words), neighbors, top_n, analogy, loss)
        if loss and coords is not None:
            from embedcli.errors import OptionsError

            raise OptionsError("--coords writes map coordinates; a loss curve has none.")
        if output is not None:
            check_outputs(Path(output), None if coords is None else Path(coords), force)
        if loss:
            shown = loss_curve(self._stored)
        else:
            shown = word_map(
                self._stored,
                words=list(words),
                neighbors=neighbors,
                topn=topn,
                top_n=top_n,
                analogy=None if analogy is None else list(analogy),
                method=method,
                seed=seed,
                workers=workers,
            )
        written = coords_written = None
        if output is not None:
            written = write_plot(shown, Path(output), force=force)
        if coords is not None:
            coords_written = write_coords(shown, Path(coords), force=force)
        figure = figure_of(shown) if output is None else None
        return PlotResult(
            map=None if loss else shown,
            loss=shown if loss else None,
            path=written,
            coords_path=coords_written,
            figure=figure,
        )


class PlotResult:
    """What `Model.plot` made: the map (words and coordinates) or the loss curve, the files it
    wrote, and the matplotlib Figure when no output was asked for."""

    def __init__(self, *, map, loss, path, coords_path, figure):  # noqa: A002
        self.map = map
        self.loss = loss
        self.path = path
        self.coords_path = coords_path
        self.figure = figure

    def __repr__(self) -> str:
        what = f"{len(self.map)} words" if self.map is not None else "loss curve"
        return f"<embedcli.PlotResult {what}, {self.path or 'not written'}>"


# --- other tools' vectors -> model directory (issue 15) -------------------------------------


def pretrained() -> list:
    """The well-known published vectors `import_vectors` can download by name."""
    from embedcli.store.pretrained import CATALOG

    return list(CATALOG.values())


def import_vectors(
    source: str | Path,
    output: str | Path | None = None,
    *,
    limit: int | None = None,
    lang: str | None = None,
    trust: bool = False,
    force: bool = False,
    on_status: Status | None = None,
    on_progress: Progress | None = None,
) -> Model:
    """Turn vectors from elsewhere into a model directory with a query index.

    `source`: a name from `pretrained()` (downloaded, or taken from the download cache), a
    vectors file (word2vec text/binary, GloVe text, fastText .bin/.vec, any of them .gz), a
    gensim pickle (only with `trust=True`, or written by embedcli here), or a model directory
    without an index (added in place unless `output` is given). `limit` keeps the first N
    words (files list the most frequent first); a fastText .bin keeps its whole n-gram model
    and the index holds the first N words. `lang` (ko or en) is recorded for evaluation.
    """
    from embedcli import paths
    from embedcli.errors import OptionsError
    from embedcli.store import formats, pretrained
    from embedcli.store.model_dir import CARD_FILE, foreign_files, load_model, save_model
    from embedcli.util.atomic import check_can_create, check_writable, output_lock, sha256_file

    if limit is not None and limit < 1:
        raise OptionsError(f"--limit {limit} keeps no words: give a number of 1 or more.")
    if lang is not None and lang not in ("ko", "en"):
        raise OptionsError(f"Unknown --lang {lang!r}: use ko or en.")
    entry = pretrained.find(str(source)) if not Path(source).exists() else None
    download = None
    if entry is not None:
        from embedcli.corpora.download import fetch

        def on_download(done: int, total: int | None) -> None:
            if on_progress is not None:
                on_progress("download", done, total)

        _say(on_status, f"Downloading {entry.name} from {entry.download_url}")
        path = fetch(
            entry.download_url,
            name=entry.name,
            sha256=entry.sha256,
            on_progress=on_download,
            local_hint="download the file another way and give its path: embedcli import FILE",
        )
        download = {"name": entry.name, "url": entry.download_url, "licence": entry.licence}
        if entry.member:
            path = pretrained.extract_member(path, entry.member)
        lang = lang or entry.lang
    else:
        path = Path(source).expanduser()
    if path.is_dir() and output is None and (path / CARD_FILE).is_file():
        loaded = load_model(path, trust=trust)  # adds the index when it has none
        if trust:
            from embedcli.store import trust as trusted
            from embedcli.store.model_dir import FULL_MODEL_FILE, VECTORS_FILE

            trusted.record(*(path / name for name in (VECTORS_FILE, FULL_MODEL_FILE)))
        if loaded.notice:
            _say(on_status, f"Note: {loaded.notice}")
        else:
            _say(on_status, f"Note: {path} already has a query index; nothing to do.")
        return Model(loaded)
    if path.is_dir():
        kv = load_model(path, trust=trust).kv
        fmt, checksum = "embedcli model directory", None
    else:
        if not path.exists():
            names = ", ".join(pretrained.CATALOG)
            raise OptionsError(
                f"{source} is neither a file nor a published model's name ({names}; see "
                "`embedcli pretrained`)."
            )
        try:
            fmt = formats.sniff(path)
            kv = formats.read(
                path, fmt, trust=trust, limit=None if fmt == formats.FASTTEXT_BINARY else limit
            )
        except ModelError as exc:
            if entry is None:
                raise
            # A download that does not read is damaged: drop it, so the next run fetches it anew.
            for stale in (path, Path(str(path) + ".meta.json")):
                stale.unlink(missing_ok=True)
            raise ModelError(
                f"The download of {entry.name} ({entry.download_url}) is damaged and was "
                f"deleted: {exc} Run `embedcli import {entry.name}` again."
            ) from None
        checksum = sha256_file(path)
    stem = entry.name if entry else _stem(path)
    out_dir = Path(output) if output else paths.models_dir() / stem
    check_can_create(out_dir, "model directory", "Choose another -o/--output.")
    ngrams = getattr(kv, "bucket", 0) and hasattr(kv, "vectors_ngrams")
    card = {
        "algo": "fasttext" if ngrams else None,
        "corpus": {"name": stem, "lang": lang},
        "source": {
            "file": str(path),
            "format": fmt,
            "sha256": checksum,
            "download": download,
            "limit": limit,
            "imported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        },
    }
    with output_lock(out_dir, "model directory"):
        check_writable(out_dir, force, "model directory", foreign_files)
        save_model(
            out_dir,
            wv=kv,
            card=card,
            force=force,
            index_limit=limit if fmt == formats.FASTTEXT_BINARY else None,
        )
    _say(
        on_status,
        f"Imported {fmt} vectors: {min(len(kv), limit or len(kv)):,} words x "
        f"{kv.vector_size} dims into {out_dir}",
    )
    return load(out_dir)


def _stem(path: Path) -> str:
    """cc.ko.300.bin.gz -> cc.ko.300: the name of a model directory for a vectors file."""
    name = path.name
    for suffix in (".gz", ".bin", ".vec", ".txt", ".kv", ".model", ".gensim", ".w2v"):
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
    return name or "vectors"

"""GloVe behind the shared `train`: vocabulary, co-occurrences, AdaGrad, then KeyedVectors.

The numeric work is in `embedcli.training.glove`; this module turns a TrainConfig into calls
to it and its result into the same TrainResult (gensim KeyedVectors with counts) that Word2Vec and
FastText produce, so every query, export and evaluation command works on GloVe models too."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from embedcli.tokens.cache import TokenizedCorpus
from embedcli.training.checkpoint import Run
from embedcli.training.config import (
    EpochReport,
    TrainConfig,
    TrainConfigError,
    TrainResult,
    check_memory,
)

STATE_FILE = "glove_state.npz"
_ARRAYS = ("W", "W_ctx", "b", "b_ctx", "gradsq_W", "gradsq_ctx", "gradsq_b", "gradsq_bctx")


@dataclass
class GloveFullModel:
    """Everything needed to continue training: both vector sets, biases, AdaGrad state."""

    model: object  # embedcli.training.glove.adagrad.GloveModel
    words: list[str]
    counts: list[int] | None = None  # corpus counts, when known (for --continue)

    def save_state(self, directory: Path) -> str:
        m = self.model
        np.savez(
            Path(directory) / STATE_FILE,
            words=np.array(self.words, dtype=object).astype(str),
            W=m.W,
            W_ctx=m.W_ctx,
            b=m.b,
            b_ctx=m.b_ctx,
            gradsq_W=m.gradsq_W,
            gradsq_ctx=m.gradsq_ctx,
            gradsq_b=m.gradsq_b,
            gradsq_bctx=m.gradsq_bctx,
            costs=np.array(m.costs, dtype=np.float64),
        )
        return STATE_FILE

    @classmethod
    def load_state(cls, path: Path) -> GloveFullModel:
        """The full model a model directory's glove_state.npz holds."""
        from embedcli.training.glove.adagrad import GloveModel

        with np.load(path, allow_pickle=False) as data:
            model = GloveModel(
                *(np.ascontiguousarray(data[name]) for name in _ARRAYS),
                costs=[float(c) for c in data["costs"]],
            )
            words = [str(w) for w in data["words"]]
        return cls(model=model, words=words)


def _write_checkpoint_state(folder: Path, model, rng_state: dict) -> None:
    """Arrays as .npy (no compression, no pickle: fast to write and to verify) and the
    generator's state as JSON."""
    import json

    for name in _ARRAYS:
        np.save(folder / f"{name}.npy", getattr(model, name), allow_pickle=False)
    (folder / "rng.json").write_text(json.dumps(rng_state) + "\n", encoding="utf-8")


def _read_checkpoint_state(folder: Path, costs: list[float]):
    import json

    from embedcli.training.glove.adagrad import GloveModel

    arrays = [np.load(folder / f"{name}.npy", allow_pickle=False) for name in _ARRAYS]
    model = GloveModel(*arrays, costs=list(costs))
    rng_state = json.loads((folder / "rng.json").read_text(encoding="utf-8"))
    return model, rng_state


def train_glove_model(
    corpus: TokenizedCorpus,
    config: TrainConfig,
    workers: int,
    *,
    on_start: Callable[[int, int], None] | None = None,
    on_epoch: Callable[[EpochReport], None] | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
    run: Run | None = None,
) -> TrainResult:
    from gensim.models import KeyedVectors

    from embedcli.training.glove import adagrad as glove_adagrad
    from embedcli.training.glove import cooccur as glove_cooccur
    from embedcli.training.glove import vocab as glove_vocab

    run = run or Run()
    if run.new_words is not None:
        raise TrainConfigError(
            "--update cannot add words to a GloVe model: its vectors are fitted to one "
            "co-occurrence matrix, and new words would need all of it counted again and "
            "training started over. Train a new GloVe model on the combined corpus, or use "
            "--continue to train this one further on its own corpus."
        )
    started = time.perf_counter()
    if run.initial is not None:
        # the model's own vocabulary, in its order: its rows are the saved vectors' rows
        initial = run.initial
        counts = np.array(initial.counts or [0] * len(initial.words), dtype=np.int64)
        vocab = glove_vocab.Vocab(words=list(initial.words), counts=counts)
    else:
        # Raises OptionsError ("... Lower --min-count") when no word is frequent enough.
        vocab = glove_vocab.build_vocab(
            corpus.path, min_count=config.min_count, max_vocab=config.max_vocab
        )
    vocab_seconds = time.perf_counter() - started
    check_memory(config, len(vocab.words))  # the vectors; co-occurrences once counted
    if on_start:
        on_start(len(vocab.words), corpus.tokens)

    started = time.perf_counter()
    cooc = glove_cooccur.count_cooccurrences(
        corpus.path,
        vocab,
        window=config.window,
        workers=workers,
        on_progress=(lambda done, total: on_progress("co-occurrences", done, total))
        if on_progress
        else None,
    )
    counting_seconds = time.perf_counter() - started
    nonzeros = len(cooc.values)
    check_memory(config, len(vocab.words), nonzeros)

    result = TrainResult(
        model=None,
        wv=None,
        config=config,
        workers=workers,
        corpus_words=corpus.tokens,
        corpus_documents=corpus.documents,
        vocab_seconds=vocab_seconds,
    )

    def make_report(epoch: int, cost: float, seconds: float) -> EpochReport:
        return EpochReport(
            epoch=epoch,
            epochs=config.epochs,
            seconds=seconds,
            words=nonzeros,
            effective_words=nonzeros,
            loss=float(cost),
            unit="non-zeros",
        )

    def report(epoch: int, cost: float, seconds: float) -> None:
        epoch_report = make_report(epoch, cost, seconds)
        epoch_report.checkpoint_seconds = pending.pop("seconds", 0.0)
        result.epochs.append(epoch_report)
        if on_epoch:
            on_epoch(epoch_report)

    start = None
    if run.resume is not None:
        reports = run.resume.info.get("reports", [])
        model, rng_state = _read_checkpoint_state(run.resume.state, [r["loss"] for r in reports])
        result.epochs = [EpochReport(**dict(r, resumed=True)) for r in reports]
        start = (run.resume.epoch, model, rng_state)
    elif run.initial is not None:
        model = run.initial.model
        model.costs = []
        start = (0, model, np.random.default_rng(config.seed).bit_generator.state)

    def checkpoint(epoch: int, model, rng_state: dict) -> None:
        if epoch >= config.epochs:
            return  # the model itself is saved next
        pending["seconds"] = run.save(
            epoch,
            config.epochs,
            lambda folder: _write_checkpoint_state(folder, model, rng_state),
            {
                "reports": [asdict(r) for r in result.epochs]
                + [asdict(make_report(epoch, model.costs[-1], model.epoch_seconds[-1]))]
            },
        )

    pending: dict = {"seconds": 0.0}

    started = time.perf_counter()
    model = glove_adagrad.train_glove(
        cooc,
        vector_size=config.vector_size,
        x_max=config.x_max,
        alpha=config.alpha,
        eta=config.eta,
        epochs=config.epochs,
        seed=config.seed,
        workers=workers,
        on_epoch=report,
        start=start,
        after_epoch=checkpoint,
    )
    result.train_seconds = time.perf_counter() - started

    kv = KeyedVectors(vector_size=config.vector_size)
    kv.add_vectors(vocab.words, model.word_vectors().astype(np.float32))
    for word, count in zip(vocab.words, vocab.counts, strict=True):
        kv.set_vecattr(word, "count", int(count))
    result.model = GloveFullModel(model=model, words=vocab.words)
    result.wv = kv
    result.extra = {
        "cooccurrence": {
            "nonzeros": nonzeros,
            "window": config.window,
            "weighting": "1/distance, symmetric, within a line",
            "counting_seconds": round(counting_seconds, 3),
            "peak_bytes": int(cooc.peak_bytes),
        },
        "word_vectors": "W + W_ctx (main + context vectors, the reference's default output)",
    }
    return result

"""GloVe behind the shared `train`: vocabulary, co-occurrences, AdaGrad, then KeyedVectors.

The numeric work is in `embedcli.training.glove`; this module turns a TrainConfig into calls
to it and its result into the same TrainResult (gensim KeyedVectors with counts) that Word2Vec and
FastText produce, so every query, export and evaluation command works on GloVe models too."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embedcli.tokens.cache import TokenizedCorpus
from embedcli.training.config import EpochReport, TrainConfig, TrainResult, check_memory

STATE_FILE = "glove_state.npz"


@dataclass
class GloveFullModel:
    """Everything needed to continue training: both vector sets, biases, AdaGrad state."""

    model: object  # embedcli.training.glove.adagrad.GloveModel
    words: list[str]

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


def train_glove_model(
    corpus: TokenizedCorpus,
    config: TrainConfig,
    workers: int,
    *,
    on_start: Callable[[int, int], None] | None = None,
    on_epoch: Callable[[EpochReport], None] | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> TrainResult:
    from gensim.models import KeyedVectors

    from embedcli.training.glove import adagrad as glove_adagrad
    from embedcli.training.glove import cooccur as glove_cooccur
    from embedcli.training.glove import vocab as glove_vocab

    started = time.perf_counter()
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

    def report(epoch: int, cost: float, seconds: float) -> None:
        epoch_report = EpochReport(
            epoch=epoch,
            epochs=config.epochs,
            seconds=seconds,
            words=nonzeros,
            effective_words=nonzeros,
            loss=float(cost),
            unit="non-zeros",
        )
        result.epochs.append(epoch_report)
        if on_epoch:
            on_epoch(epoch_report)

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

"""Word2Vec and FastText through gensim in `corpus_file` mode, with an honest per-epoch loss
(every worker thread's share, not gensim's cumulative counter)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from embedcli.training.config import (
    EpochReport,
    TrainResult,
    _resolve_workers,
    check_memory,
    empty_vocabulary,
)


def _train_gensim(corpus, config, *, on_start, on_epoch) -> TrainResult:
    from gensim.models import FastText, Word2Vec

    workers = _resolve_workers(config.workers)
    common = dict(
        vector_size=config.vector_size,
        window=config.window,
        min_count=config.min_count,
        sg=int(config.sg),
        hs=int(config.hs),
        negative=config.negative,
        sample=config.sample,
        alpha=config.alpha,
        min_alpha=config.min_alpha,
        seed=config.seed,
        workers=workers,
        epochs=config.epochs,
    )
    if config.algo == "fasttext":
        # gensim computes no loss for FastText: report none rather than a fake 0.
        model = FastText(min_n=config.min_n, max_n=config.max_n, bucket=config.bucket, **common)
    else:
        model = Word2Vec(compute_loss=True, **common)
    started = time.perf_counter()
    # gensim's build_vocab, with the memory check between counting words and allocating.
    model._check_corpus_sanity(corpus_file=str(corpus.path), passes=1)
    total_words, corpus_count = model.scan_vocab(corpus_file=str(corpus.path))
    model.corpus_count, model.corpus_total_words = corpus_count, total_words
    model.prepare_vocab()
    if len(model.wv) == 0:
        raise empty_vocabulary(corpus, config)
    check_memory(config, len(model.wv))
    model.prepare_weights()
    vocab_seconds = time.perf_counter() - started
    result = TrainResult(
        model=model,
        wv=model.wv,
        config=config,
        workers=workers,
        corpus_words=int(model.corpus_total_words),
        corpus_documents=int(model.corpus_count),
        vocab_seconds=vocab_seconds,
    )
    if on_start:
        on_start(len(model.wv), model.corpus_total_words)

    def report(epoch_report: EpochReport) -> None:
        result.epochs.append(epoch_report)
        if on_epoch:
            on_epoch(epoch_report)

    tracker = _EpochTracker(model, config.epochs, report)
    started = time.perf_counter()
    with tracker.installed():
        model.train(
            corpus_file=str(corpus.path),
            total_examples=model.corpus_count,
            total_words=model.corpus_total_words,
            epochs=config.epochs,
            compute_loss=config.algo == "word2vec",
            report_delay=1.0,
        )
    result.train_seconds = time.perf_counter() - started
    return result


class _LossCounter:
    """Stands in for the model in one worker thread so that thread's loss lands here.

    gensim's Cython epoch functions read `model.running_training_loss` when they start and
    write their total back when they finish; every other attribute comes from the model.
    """

    def __init__(self, model) -> None:
        object.__setattr__(self, "_model", model)
        self.running_training_loss = 0.0

    def __getattr__(self, name: str):
        return getattr(self._model, name)


class _EpochTracker:
    """Per-epoch loss and timing for a gensim model trained in corpus_file mode.

    Installs instance-level overrides of two gensim hooks for the duration of training and
    removes them afterwards, so the saved model is a plain gensim model.
    """

    def __init__(self, model, epochs: int, report: Callable[[EpochReport], None]) -> None:
        self.model = model
        self.epochs = epochs
        self.report = report
        self.lock = threading.Lock()
        self.loss = 0.0
        self.epoch_started = time.perf_counter()

    def installed(self):
        tracker = self

        class _Installed:
            def __enter__(self_inner):
                tracker.model.__dict__["_do_train_epoch"] = tracker._do_train_epoch
                tracker.model.__dict__["_log_epoch_end"] = tracker._log_epoch_end
                tracker.epoch_started = time.perf_counter()

            def __exit__(self_inner, *exc):
                tracker.model.__dict__.pop("_do_train_epoch", None)
                tracker.model.__dict__.pop("_log_epoch_end", None)
                return False

        return _Installed()

    def _do_train_epoch(self, *args, **kwargs):
        counter = _LossCounter(self.model)
        outcome = type(self.model)._do_train_epoch(counter, *args, **kwargs)
        with self.lock:
            self.loss += counter.running_training_loss
        return outcome

    def _log_epoch_end(
        self,
        cur_epoch,
        example_count,
        total_examples,
        raw_word_count,
        total_words,
        trained_word_count,
        elapsed,
        is_corpus_file_mode,
    ):
        now = time.perf_counter()
        with self.lock:
            loss, self.loss = self.loss, 0.0
        report = EpochReport(
            epoch=cur_epoch + 1,
            epochs=self.epochs,
            seconds=now - self.epoch_started,
            # gensim's worker threads read a little past their slice of the file, so its raw
            # count exceeds the corpus; words/s is reported against the corpus itself.
            words=int(self.model.corpus_total_words),
            effective_words=int(trained_word_count),
            loss=float(loss) if self.model.compute_loss else None,
        )
        self.epoch_started = now
        self.report(report)

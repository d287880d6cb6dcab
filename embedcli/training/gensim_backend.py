"""Word2Vec and FastText through gensim in `corpus_file` mode, with an honest per-epoch loss
(every worker thread's share, not gensim's cumulative counter)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict

from embedcli.training.checkpoint import Run
from embedcli.training.config import (
    EpochReport,
    TrainResult,
    _resolve_workers,
    check_memory,
    empty_vocabulary,
)

STATE_MODEL = "model.gensim"  # in a checkpoint's state folder, with its arrays as .npy
NGRAM_ROWS = "ngram-rows.npy"  # FastText: the n-gram rows training can change ...
NGRAM_VALUES = "ngram-values.npy"  # ... and their values (see _SparseNgrams)
_SAMPLE_ROWS = 20_000  # untouched n-gram rows whose checksum proves they can be rebuilt


def _build_model(corpus, config, workers):
    """A new gensim model with its vocabulary and initial weights."""
    from gensim.models import FastText, Word2Vec

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
    # gensim's build_vocab, with the memory check between counting words and allocating.
    model._check_corpus_sanity(corpus_file=str(corpus.path), passes=1)
    total_words, corpus_count = model.scan_vocab(corpus_file=str(corpus.path))
    model.corpus_count, model.corpus_total_words = corpus_count, total_words
    model.prepare_vocab()
    if len(model.wv) == 0:
        raise empty_vocabulary(corpus, config)
    check_memory(config, len(model.wv))
    model.prepare_weights()
    return model


def load_full_model(path, algo: str):
    """A gensim model saved by `model.save` (a model directory's or a checkpoint's)."""
    from gensim.models import FastText, Word2Vec

    return (FastText if algo == "fasttext" else Word2Vec).load(str(path))


def _update_vocab(model, corpus, config) -> int:
    """Add the words of `corpus` that reach min_count (gensim's build_vocab(update=True));
    returns how many are new."""
    before = len(model.wv)
    model.build_vocab(corpus_file=str(corpus.path), update=True)
    check_memory(config, len(model.wv))
    model.corpus_count = int(model.corpus_count)
    return len(model.wv) - before


def _train_gensim(corpus, config, *, on_start, on_epoch, run: Run | None = None) -> TrainResult:
    run = run or Run()
    workers = _resolve_workers(config.workers)
    started = time.perf_counter()
    extra: dict = {}
    if run.resume is not None:
        model = load_full_model(run.resume.state / STATE_MODEL, config.algo)
        if "ngrams" in run.resume.info:
            _SparseNgrams.restore(model, run.resume.state, run.resume.info["ngrams"])
    elif run.initial is not None:
        model = run.initial
        if run.new_words is not None:
            extra["update"] = {"new_words": _update_vocab(model, corpus, config)}
        else:
            # the model's own corpus again; gensim scans it to know its size
            model.corpus_count = int(model.corpus_count)
    else:
        model = _build_model(corpus, config, workers)
    model.workers = workers
    model.lifecycle_events = None
    vocab_seconds = time.perf_counter() - started
    result = TrainResult(
        model=model,
        wv=model.wv,
        config=config,
        workers=workers,
        corpus_words=int(model.corpus_total_words),
        corpus_documents=int(model.corpus_count),
        vocab_seconds=vocab_seconds,
        extra=extra,
    )
    if run.resume is not None:
        result.epochs = [
            EpochReport(**dict(r, resumed=True)) for r in run.resume.info.get("reports", [])
        ]
    if on_start:
        on_start(len(model.wv), model.corpus_total_words)

    # FastText from its seed's initial n-gram matrix: checkpoints hold only the rows training
    # changes (a fresh run, or the resume of one); --continue / --update start from another
    # model's matrix, so theirs hold all of it.
    sparse = None
    if config.algo == "fasttext" and getattr(model.wv, "bucket", 0) and run.directory:
        if run.resume is not None and "ngrams" in run.resume.info:
            sparse = _SparseNgrams(model, run.resume.info["ngrams"])
        elif run.resume is None and run.initial is None:
            sparse = _SparseNgrams(model)

    def report(epoch_report: EpochReport) -> None:
        if epoch_report.epoch < config.epochs:
            info = {"reports": [asdict(r) for r in [*result.epochs, epoch_report]]}
            if sparse is not None:
                info["ngrams"] = sparse.facts
            epoch_report.checkpoint_seconds = run.save(
                epoch_report.epoch,
                config.epochs,
                lambda folder: _write_state(tracker, folder, sparse),
                info,
            )
        result.epochs.append(epoch_report)
        if on_epoch:
            on_epoch(epoch_report)

    tracker = _EpochTracker(model, config.epochs, report, skip=run.start_epoch)
    started = time.perf_counter()
    with tracker.installed():
        # The whole schedule, with the epochs a checkpoint holds skipped: gensim computes each
        # epoch's learning rate from (epoch, epochs, start_alpha, end_alpha), so a resumed
        # run's rates are exactly the uninterrupted run's.
        model.train(
            corpus_file=str(corpus.path),
            total_examples=model.corpus_count,
            total_words=model.corpus_total_words,
            epochs=config.epochs,
            start_alpha=config.alpha,
            end_alpha=config.min_alpha,
            compute_loss=config.algo == "word2vec",
            report_delay=1.0,
        )
    result.train_seconds = time.perf_counter() - started
    return result


def _write_state(tracker, folder, sparse=None) -> None:
    """Save the model into a checkpoint folder: a small pickle and its arrays as .npy files
    (sep_limit=0), without the tracker's hooks; FastText's n-grams as `sparse` says."""
    model = tracker.model
    hooks = {name: model.__dict__.pop(name) for name in _HOOKS if name in model.__dict__}
    events = getattr(model, "lifecycle_events", None), getattr(model.wv, "lifecycle_events", None)
    model.lifecycle_events = model.wv.lifecycle_events = None
    aside = sparse.set_aside(model, folder) if sparse is not None else None
    try:
        model.save(str(folder / STATE_MODEL), sep_limit=0)
    finally:
        model.__dict__.update(hooks)
        model.lifecycle_events, model.wv.lifecycle_events = events
        if aside is not None:
            model.wv.__dict__.update(aside)


class _SparseNgrams:
    """FastText's n-gram matrix in a checkpoint, without the rows training never changes.

    The matrix has `bucket` rows (2,000,000 by default: 800 MB at 100 dimensions), but
    training only updates the rows that the vocabulary's n-grams hash to (on NSMC, 69,000):
    the others keep the values gensim drew from the seed (`prep_vectors(..., seed + 1)` in
    `resize_vectors`). A checkpoint writes the changed rows and their indices; a resume draws
    the matrix again from the seed and puts them back. The checksum of a sample of the
    unchanged rows, taken from the live matrix at the first checkpoint, is checked against the
    redrawn ones, so a gensim that draws differently cannot resume into a wrong matrix.
    """

    def __init__(self, model, facts: dict | None = None) -> None:
        import numpy as np

        wv = model.wv
        buckets = [b for b in wv.buckets_word if len(b)]
        self.rows = np.unique(np.concatenate(buckets)) if buckets else np.zeros(0, np.uint32)
        self.facts = facts or {
            "bucket": int(wv.bucket),
            "seed": int(model.seed) + 1,
            "rows": int(len(self.rows)),
            "sample_crc32": _sample_crc32(wv.vectors_ngrams, self.rows),
        }

    def set_aside(self, model, folder) -> dict:
        """Write the changed rows; take the matrix out of the model while gensim saves it
        (bucket 0: gensim's loader then composes no word vectors from n-grams)."""
        import numpy as np

        wv = model.wv
        np.save(folder / NGRAM_ROWS, self.rows, allow_pickle=False)
        np.save(folder / NGRAM_VALUES, wv.vectors_ngrams[self.rows], allow_pickle=False)
        aside = {name: getattr(wv, name) for name in ("vectors_ngrams", "bucket", "buckets_word")}
        wv.vectors_ngrams = np.zeros((0, wv.vector_size), dtype=np.float32)
        wv.bucket = 0
        return aside

    @staticmethod
    def restore(model, state, facts: dict) -> None:
        """Put the n-gram matrix back into a model loaded from a sparse checkpoint."""
        import numpy as np
        from gensim.models.keyedvectors import prep_vectors

        from embedcli.errors import EmbedcliError

        wv = model.wv
        rows = np.load(state / NGRAM_ROWS, allow_pickle=False)
        values = np.load(state / NGRAM_VALUES, allow_pickle=False)
        matrix = prep_vectors((facts["bucket"], wv.vector_size), seed=facts["seed"])
        if _sample_crc32(matrix, rows) != facts["sample_crc32"]:
            raise EmbedcliError(
                f"The checkpoint in {state.parent} cannot be resumed: this gensim draws "
                "FastText's initial n-gram vectors differently from the one that wrote it. "
                "Run the command with --force to start over."
            )
        matrix[rows] = values
        wv.bucket, wv.vectors_ngrams = facts["bucket"], matrix
        wv.recalc_char_ngram_buckets()
        wv.adjust_vectors()


def _sample_crc32(matrix, touched) -> int:
    """CRC-32 of up to _SAMPLE_ROWS evenly spread rows of `matrix` that are not in `touched`."""
    import zlib

    import numpy as np

    untouched = np.setdiff1d(np.arange(len(matrix)), touched, assume_unique=True)
    step = max(1, len(untouched) // _SAMPLE_ROWS)
    return zlib.crc32(np.ascontiguousarray(matrix[untouched[::step]]).tobytes())


_HOOKS = ("_do_train_epoch", "_log_epoch_end", "_train_epoch_corpusfile")


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

    def __init__(
        self, model, epochs: int, report: Callable[[EpochReport], None], skip: int = 0
    ) -> None:
        self.model = model
        self.epochs = epochs
        self.skip = skip  # epochs a checkpoint already holds
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
                tracker.model.__dict__["_train_epoch_corpusfile"] = tracker._train_epoch
                tracker.epoch_started = time.perf_counter()

            def __exit__(self_inner, *exc):
                tracker.model.__dict__.pop("_do_train_epoch", None)
                tracker.model.__dict__.pop("_log_epoch_end", None)
                tracker.model.__dict__.pop("_train_epoch_corpusfile", None)
                return False

        return _Installed()

    def _train_epoch(self, corpus_file, cur_epoch=0, **kwargs):
        if cur_epoch < self.skip:
            return 0, 0, 0  # done before the interruption; its state came from the checkpoint
        self.epoch_started = time.perf_counter()
        return type(self.model)._train_epoch_corpusfile(
            self.model, corpus_file, cur_epoch=cur_epoch, **kwargs
        )

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

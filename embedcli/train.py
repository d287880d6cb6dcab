"""Training embeddings on a tokenized corpus.

`train(tokens, config)` returns a `TrainResult` holding the trained gensim model; the model
directory (vectors, full model, card) is written by `embedcli.models.save_model`.

Word2Vec runs in gensim's `corpus_file` mode, where every worker thread reads its own slice of
the token file, so all cores are used without a Python job queue in the way. Two things gensim
gets wrong in that mode are fixed here:

* Loss: gensim keeps one cumulative float32 counter, and in corpus_file mode each worker thread
  starts from the same value and writes its own total back at the end, so the counter holds
  only the last thread's share. Each thread is given its own counter here and an epoch's loss
  is the sum of its threads' counters, reported per epoch, not cumulatively.
* Progress: there is none inside an epoch (a thread reports when its slice is done), so
  progress is reported per epoch with that epoch's loss and words/s.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from embedcli.errors import OptionsError
from embedcli.tokenized import TokenizedCorpus

ALGORITHMS = ("word2vec",)


class TrainConfigError(OptionsError):
    """Training options that cannot work together."""


@dataclass(frozen=True)
class TrainConfig:
    """The training knobs; defaults are the textbook's (gensim's, with min_count 5)."""

    algo: str = "word2vec"
    vector_size: int = 100
    window: int = 5
    min_count: int = 5
    sg: bool = False  # False: CBOW
    hs: bool = False
    negative: int = 5
    sample: float = 1e-3
    epochs: int = 5
    alpha: float = 0.025
    min_alpha: float = 0.0001
    workers: int | None = None  # None: one per core
    seed: int = 1

    def __post_init__(self) -> None:
        problems = []
        if self.algo not in ALGORITHMS:
            problems.append(f"--algo {self.algo} is not available (choose {', '.join(ALGORITHMS)})")
        if self.vector_size < 1:
            problems.append("--vector-size must be at least 1")
        if self.window < 1:
            problems.append("--window must be at least 1")
        if self.min_count < 1:
            problems.append("--min-count must be at least 1")
        if self.epochs < 1:
            problems.append("--epochs must be at least 1")
        if self.negative < 0:
            problems.append("--negative must be 0 or more")
        if not self.hs and self.negative == 0:
            problems.append(
                "--hs 0 with --negative 0 leaves no training objective: use --hs or "
                "a --negative of 5-20"
            )
        if self.sample < 0:
            problems.append("--sample must be 0 (off) or a small positive number like 1e-3")
        if not 0 < self.alpha <= 1:
            problems.append("--alpha must be between 0 and 1 (gensim's default is 0.025)")
        if self.workers is not None and self.workers < 1:
            problems.append("--workers must be 1 or more (leave it out for one per core)")
        if problems:
            raise TrainConfigError("; ".join(problems) + ".")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class EpochReport:
    epoch: int  # 1-based
    epochs: int
    seconds: float
    words: int  # raw words read in the epoch
    effective_words: int  # after min_count and down-sampling
    loss: float | None  # this epoch's loss; None where the algorithm reports none

    @property
    def words_per_second(self) -> float:
        return self.words / self.seconds if self.seconds > 0 else 0.0


@dataclass
class TrainResult:
    model: object  # gensim Word2Vec
    config: TrainConfig
    workers: int
    epochs: list[EpochReport] = field(default_factory=list)
    vocab_seconds: float = 0.0
    train_seconds: float = 0.0

    @property
    def wv(self):
        return self.model.wv


def _resolve_workers(workers: int | None) -> int:
    from embedcli.tokenizers import default_workers

    return workers or default_workers()


def train(
    corpus: TokenizedCorpus,
    config: TrainConfig,
    *,
    on_start: Callable[[int, int], None] | None = None,
    on_epoch: Callable[[EpochReport], None] | None = None,
) -> TrainResult:
    """Train `config.algo` on a tokenized corpus.

    `on_start(vocab_size, corpus_words)` is called once the vocabulary is built,
    `on_epoch(report)` after every epoch.
    """
    from gensim.models import Word2Vec

    workers = _resolve_workers(config.workers)
    model = Word2Vec(
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
        compute_loss=True,
    )
    started = time.perf_counter()
    model.build_vocab(corpus_file=str(corpus.path))
    result = TrainResult(model=model, config=config, workers=workers)
    result.vocab_seconds = time.perf_counter() - started
    if len(model.wv) == 0:
        raise TrainConfigError(
            f"No word occurs {config.min_count} or more times in {corpus.path.name} "
            f"({corpus.tokens:,} tokens), so the vocabulary is empty. Lower --min-count."
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
            compute_loss=True,
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

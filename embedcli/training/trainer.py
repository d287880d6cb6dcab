"""One entry point for every algorithm: `train(tokens, config)` -> TrainResult, checkpointed
after every epoch when given a `Run` with a checkpoint directory (see `checkpoint`)."""

from __future__ import annotations

from collections.abc import Callable

from embedcli.errors import OutOfMemoryError
from embedcli.tokens.cache import TokenizedCorpus
from embedcli.training.checkpoint import Run
from embedcli.training.config import EpochReport, TrainConfig, TrainResult, _resolve_workers
from embedcli.training.gensim_backend import _train_gensim
from embedcli.util import interrupts


def train(
    corpus: TokenizedCorpus,
    config: TrainConfig,
    *,
    on_start: Callable[[int, int], None] | None = None,
    on_epoch: Callable[[EpochReport], None] | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
    run: Run | None = None,
) -> TrainResult:
    """Train `config.algo` on a tokenized corpus.

    `on_start(vocab_size, corpus_words)` is called once the vocabulary is built,
    `on_epoch(report)` after every epoch, and `on_progress(stage, done, total)` during long
    preparation stages (GloVe's co-occurrence counting). `run` says where to start (a
    checkpoint, a model to train further) and where checkpoints go.
    """
    run = run or Run()
    epochs_done = run.start_epoch

    def counted(report: EpochReport) -> None:
        nonlocal epochs_done
        epochs_done = report.epoch
        if on_epoch:
            on_epoch(report)

    try:
        if config.algo == "glove":
            from embedcli.training.glove_backend import train_glove_model

            result = train_glove_model(
                corpus,
                config,
                _resolve_workers(config.workers),
                on_start=on_start,
                on_epoch=counted,
                on_progress=on_progress,
                run=run,
            )
        else:
            result = _train_gensim(corpus, config, on_start=on_start, on_epoch=counted, run=run)
        run.wait()  # the last checkpoint's commit, and its error if it failed
        return result
    except MemoryError:
        raise OutOfMemoryError(
            f"Ran out of memory while training {config.algo} (--vector-size "
            f"{config.vector_size:,}), so nothing was saved: the estimate made before training "
            "fitted, but the memory was not there (a ulimit, or other programs). Free memory, "
            "or lower --vector-size or raise --min-count."
        ) from None
    except KeyboardInterrupt as exc:
        run.wait(raise_error=False)  # a checkpoint being committed counts once it is
        stopped = f"training {config.algo} stopped in epoch {epochs_done + 1} of {config.epochs}"
        kept = max(run.saved_epoch, run.start_epoch if run.directory else 0)
        if kept:
            interrupts.describe(
                exc,
                f"{stopped}; epochs 1-{kept} are kept in a checkpoint"
                if kept > 1
                else f"{stopped}; epoch 1 is kept in a checkpoint",
                f"resume at epoch {kept + 1}",
            )
        else:
            interrupts.describe(
                exc,
                f"{stopped}; nothing was saved",
                "train from the start (the tokens are reused)",
            )
        raise
    finally:
        run.wait(raise_error=False)  # no commit left running behind any other error

"""One entry point for every algorithm: `train(tokens, config)` -> TrainResult, and the marker
that tells a rerun that an earlier training run was interrupted."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from embedcli.errors import OutOfMemoryError
from embedcli.tokens.cache import TokenizedCorpus
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
) -> TrainResult:
    """Train `config.algo` on a tokenized corpus.

    `on_start(vocab_size, corpus_words)` is called once the vocabulary is built,
    `on_epoch(report)` after every epoch, and `on_progress(stage, done, total)` during long
    preparation stages (GloVe's co-occurrence counting).
    """
    epochs_done = 0

    def counted(report: EpochReport) -> None:
        nonlocal epochs_done
        epochs_done = report.epoch
        if on_epoch:
            on_epoch(report)

    try:
        if config.algo == "glove":
            from embedcli.training.glove_backend import train_glove_model

            return train_glove_model(
                corpus,
                config,
                _resolve_workers(config.workers),
                on_start=on_start,
                on_epoch=counted,
                on_progress=on_progress,
            )
        return _train_gensim(corpus, config, on_start=on_start, on_epoch=counted)
    except MemoryError:
        raise OutOfMemoryError(
            f"Ran out of memory while training {config.algo} (--vector-size "
            f"{config.vector_size:,}), so nothing was saved: the estimate made before training "
            "fitted, but the memory was not there (a ulimit, or other programs). Free memory, "
            "or lower --vector-size or raise --min-count."
        ) from None
    except KeyboardInterrupt as exc:
        # gensim cannot continue from the middle of a run, so the next one starts over.
        interrupts.describe(
            exc,
            f"training {config.algo} stopped in epoch {epochs_done + 1} of {config.epochs}; "
            "nothing was saved",
            "train from the start (the tokens are reused)",
        )
        raise


MARKER_SUFFIX = ".training"


@contextmanager
def restart_marker(out_dir: Path) -> Iterator[bool]:
    """Leave `.<name>.training` next to `out_dir` while training into it; yield whether an
    earlier run left one behind, i.e. was interrupted (Ctrl-C, SIGTERM, SIGKILL, power cut).

    The marker goes when the block ends, except on an interruption, so the next run can say
    that it starts over. A run that fails for another reason removes it.
    """
    out_dir = Path(out_dir)
    marker = out_dir.with_name(f".{out_dir.name}{MARKER_SUFFIX}")
    earlier = marker.is_file()
    marker.parent.mkdir(parents=True, exist_ok=True)
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    marker.write_text(json.dumps({"pid": os.getpid(), "started_at": started}) + "\n")
    try:
        yield earlier
    except KeyboardInterrupt:
        raise
    except BaseException:
        marker.unlink(missing_ok=True)
        raise
    marker.unlink(missing_ok=True)

"""Ctrl-C and SIGTERM: one clean way out, whatever was running.

While a command runs (`signals_raise`), SIGINT and SIGTERM both raise `Interrupted`, a
KeyboardInterrupt, so the same `finally` blocks stop worker processes and remove temporary
files on the way up, and nothing that catches `Exception` swallows it. Code that knows what it
was doing adds that on the way up (`describe`), so the CLI can say what stopped and what the
next run will do; the exit code is 128 + the signal number (130 for SIGINT, 143 for SIGTERM).

Short clean-up steps that must not be cut in half (stopping workers, writing a checkpoint)
run inside `deferred()`: a signal arriving meanwhile takes effect when the step is done."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

HANDLED = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """SIGINT (Ctrl-C) or SIGTERM arrived; `signum` says which."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise(signum: int, frame) -> None:
    raise Interrupted(signum)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def signals_raise() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise Interrupted (main thread only)."""
    if not _in_main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _raise) for signum in HANDLED}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM until the block is done, then act on the first one that came."""
    if not _in_main_thread():
        yield
        return
    arrived: list[int] = []
    previous = {signum: signal.signal(signum, lambda s, f: arrived.append(s)) for signum in HANDLED}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if arrived:
            handler = previous[arrived[0]]
            if callable(handler):
                handler(arrived[0], None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(arrived[0])


def describe(exc: BaseException, doing: str, then: str) -> None:
    """Say what was interrupted and what running the command again will do.

    The innermost description wins: a download inside `train` is described by the download.
    """
    if getattr(exc, "doing", None) is None:
        exc.doing = doing
        exc.then = then


def message(exc: BaseException) -> str:
    """The one line the CLI prints for an interruption."""
    doing = getattr(exc, "doing", None)
    if doing is None:
        return "Interrupted: nothing was written; run the same command again to start over."
    return f"Interrupted: {doing}; run the same command again to {getattr(exc, 'then', '')}."


def exit_code(exc: BaseException) -> int:
    """128 + the signal number, as shells report a process killed by that signal."""
    return 128 + int(getattr(exc, "signum", signal.SIGINT))

"""Spawned worker processes that run one task at a time, watched by the parent.

multiprocessing.Pool is not used: when a worker dies (killed, out of memory, a crash in the
JVM) it quietly starts another and the task is lost, so the parent waits forever; it has no
time-out per task; and its terminate() can hang. Here each worker has its own pipe and gets
one task at a time, so the parent always knows which task each worker holds and since when,
sees at once when one dies (its process sentinel), and can give up on one that hangs.

Workers ignore SIGINT: a Ctrl-C in a terminal reaches every process of the foreground group,
and the parent alone decides how to stop; it stops the workers (SIGTERM, then SIGKILL for any
that does not go) whenever it leaves `WorkerPool`, normally or not. A worker whose parent is
gone exits when its pipe closes."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import wait

from embedcli.util import interrupts

STOP_GRACE_SECONDS = 2.0  # how long stopped workers get before SIGKILL
EXIT_GRACE_SECONDS = 5.0  # how long finished workers get to exit on their own
# A worker may take this long to start (its initializer), if the time-out per task is shorter:
# a JVM's start is slow on a busy machine, and has nothing to do with the documents.
START_SECONDS = 120.0

# In a worker: the shared slot where it records its position within the current task.
_position = None


def mark(position: int) -> None:
    """In a worker: record which item of the current task is being worked on (0-based)."""
    if _position is not None:
        _position.value = position


class WorkerFailure(Exception):
    """A worker died or took too long; `position` is the item it was on, if known."""

    def __init__(
        self,
        kind: str,
        pid: int | None,
        task: int,
        payload,
        position: int | None,
        detail: str,
        ready: bool = True,
    ):
        super().__init__(f"worker {pid} {kind}: task {task}, item {position}: {detail}")
        self.kind = kind  # "died" or "timeout"
        self.pid = pid
        self.task = task  # -1: the worker had no task
        self.payload = payload
        self.position = position
        self.detail = detail  # e.g. "was killed by SIGKILL"
        self.ready = ready  # False: it failed while still starting (its initializer)


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker, attached as its __cause__."""

    def __str__(self) -> str:
        return self.args[0]


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: object
    position: object
    task: int | None = None
    payload: object = None
    started: float = 0.0  # when its task was sent, or when it became ready if that is later
    ready: bool = False  # the initializer has finished


def _worker_main(conn, position, initializer, initargs, function) -> None:
    global _position
    # Results go to the parent's stdout; anything a worker or its JVM prints (a JVM crash
    # report, say) must not end up among them.
    os.dup2(2, 1)
    # The parent spawned us with SIGINT blocked; ignore it, then unblock (a pending one is
    # dropped). A JVM started later sees SIGINT ignored and leaves it so.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _position = position
    try:
        if initializer is not None:
            initializer(*initargs)
        conn.send(("ready", None))
    except Exception as exc:
        conn.send(("error", None, _picklable(exc), traceback.format_exc()))
        return
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        if message is None:
            return
        task, payload = message
        position.value = -1
        try:
            reply = ("ok", task, function(payload))
        except Exception as exc:
            reply = ("error", task, _picklable(exc), traceback.format_exc())
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return


def _picklable(exc: Exception) -> Exception | None:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return None
    return exc


class WorkerPool:
    """`workers` spawned processes running `function(payload)`; see `imap`."""

    def __init__(
        self,
        workers: int,
        function: Callable,
        *,
        initializer: Callable | None = None,
        initargs: tuple = (),
        timeout: float | None = None,
    ) -> None:
        self.timeout = timeout
        self._ctx = multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []
        # Spawned children inherit the signal mask: with SIGINT blocked they cannot be
        # killed by a Ctrl-C before they get to ignore it.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            for _ in range(workers):
                parent_end, child_end = self._ctx.Pipe()
                position = self._ctx.RawValue("q", -1)
                process = self._ctx.Process(
                    target=_worker_main,
                    args=(child_end, position, initializer, initargs, function),
                    daemon=True,  # the interpreter's exit stops any we failed to stop
                )
                self._workers.append(_Worker(process, parent_end, position))
                process.start()
                child_end.close()
        except BaseException:
            self.close()
            raise
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, exc_type, *rest) -> None:
        self.close(graceful=exc_type is None)

    def imap(self, payloads: Iterable, window: int) -> Iterator:
        """Results of `function(payload)` in input order, with at most `window` tasks taken
        from `payloads` but not yet yielded, so memory stays flat on any input.

        An exception raised by `function` is re-raised here (with the worker's traceback as
        its __cause__); a worker that dies or runs past the time-out raises WorkerFailure.
        """
        source = iter(payloads)
        done: dict[int, object] = {}
        next_in = next_out = 0
        exhausted = False
        idle = list(self._workers)
        while True:
            while idle and not exhausted and next_in - next_out < window:
                try:
                    payload = next(source)
                except StopIteration:
                    exhausted = True
                    break
                self._send(idle.pop(), next_in, payload)
                next_in += 1
            while next_out in done:
                yield done.pop(next_out)
                next_out += 1
            busy = [w for w in self._workers if w.task is not None]
            if not busy:  # every task taken so far is done and yielded
                if exhausted:
                    return
                continue  # the window was full: take more now
            for worker in self._wait(busy):
                reply = self._receive(worker)
                if reply is not None:
                    task, result = reply
                    done[task] = result
                    idle.append(worker)

    def _send(self, worker: _Worker, task: int, payload) -> None:
        worker.task, worker.payload, worker.started = task, payload, time.monotonic()
        worker.position.value = -1
        try:
            worker.conn.send((task, payload))
        except (OSError, ValueError):
            worker.process.join(0.5)
            self._fail(worker, "died", self._death(worker))

    def _wait(self, busy: list[_Worker]) -> list[_Worker]:
        """The workers with a message ready; raises WorkerFailure for a dead or late one."""
        while True:
            timeout = None
            if self.timeout is not None:
                now = time.monotonic()
                timeout = max(0.0, min(self._deadline(w) for w in busy) - now)
            sentinels = {w.process.sentinel: w for w in self._workers}
            # Every worker's pipe, not only the busy ones': one without a task yet may have
            # sent why it could not start, then exited. Its message comes before its death.
            ready = wait([w.conn for w in self._workers] + list(sentinels), timeout)
            replied = [w for w in self._workers if w.conn in ready]
            if replied:
                return replied
            for sentinel in ready:
                worker = sentinels[sentinel]
                worker.process.join(0.1)
                self._fail(worker, "died", self._death(worker))
            if self.timeout is not None:
                now = time.monotonic()
                for worker in busy:
                    if now >= self._deadline(worker):
                        self._fail(worker, "timeout", f"no result after {self.timeout:g} s")

    def _deadline(self, worker: _Worker) -> float:
        allowed = self.timeout if worker.ready else max(self.timeout, START_SECONDS)
        return worker.started + allowed

    def _receive(self, worker: _Worker) -> tuple[int, object] | None:
        """(task, result) from `worker`; None for its "ready" message."""
        try:
            reply = worker.conn.recv()
        except (EOFError, OSError):
            worker.process.join(0.5)
            self._fail(worker, "died", self._death(worker))
        status, task = reply[0], reply[1]
        if status == "ready":
            worker.ready = True
            worker.started = max(worker.started, time.monotonic())  # its task starts now
            return None
        worker.task, worker.payload = None, None
        if status == "ok":
            return task, reply[2]
        exc, remote = reply[2], reply[3]
        if exc is None:
            raise RuntimeError(f"a worker failed:\n{remote}")
        exc.__cause__ = RemoteTraceback(remote)
        raise exc

    def _death(self, worker: _Worker) -> str:
        code = worker.process.exitcode
        if code is None:
            return "stopped answering"
        if code < 0:
            try:
                return f"was killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"was killed by signal {-code}"
        return f"exited with status {code}"

    def _fail(self, worker: _Worker, kind: str, detail: str):
        position = worker.position.value
        task = -1 if worker.task is None else worker.task
        raise WorkerFailure(
            kind,
            worker.process.pid,
            task,
            worker.payload,
            position if position >= 0 else None,
            detail,
            worker.ready,
        )

    def close(self, graceful: bool = False) -> None:
        """Stop every worker: SIGTERM, then SIGKILL for any still there after a grace time.

        graceful: first ask each worker to return (its JVM then shuts down normally); a JVM
        that gets SIGTERM while busy can crash in its signal handler.
        """
        with interrupts.deferred():
            processes = [w.process for w in self._workers if w.process.pid is not None]
            if graceful:
                for worker in self._workers:
                    with contextlib.suppress(OSError, ValueError):
                        worker.conn.send(None)
                deadline = time.monotonic() + EXIT_GRACE_SECONDS
                for process in processes:
                    process.join(max(0.0, deadline - time.monotonic()))
            for process in processes:
                if process.exitcode is None:
                    process.terminate()
            deadline = time.monotonic() + STOP_GRACE_SECONDS
            for process in processes:
                process.join(max(0.0, deadline - time.monotonic()))
            for process in processes:
                if process.exitcode is None:
                    process.kill()  # SIGKILL also ends a stopped (SIGSTOP) process
                    process.join(STOP_GRACE_SECONDS)
            for worker in self._workers:
                worker.conn.close()
            self._workers = []

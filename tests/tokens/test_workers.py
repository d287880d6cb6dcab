"""The worker pool behind the tokenizer: order, errors, deaths and time-outs."""

from __future__ import annotations

import os
import signal
import time

import pytest

from embedcli.tokens.pool import RemoteTraceback, WorkerFailure, WorkerPool
from tests.processes import sleep_for, slow_first_square, start_unless_chosen


def test_results_come_in_input_order_when_the_window_fills_behind_a_slow_task():
    with WorkerPool(2, slow_first_square) as pool:
        # While task 0 sleeps, the other worker finishes the rest of the window.
        assert list(pool.imap(range(20), window=4)) == [n * n for n in range(20)]


def test_an_error_in_a_task_is_raised_with_the_workers_traceback():
    with WorkerPool(1, slow_first_square) as pool, pytest.raises(ValueError) as caught:
        list(pool.imap([1, -2, 3], window=2))
    assert str(caught.value) == "negative: -2"
    assert isinstance(caught.value.__cause__, RemoteTraceback)
    assert "slow_first_square" in str(caught.value.__cause__)


def test_a_task_past_the_time_out_stops_the_run_and_its_workers():
    pool = WorkerPool(2, sleep_for, timeout=0.5)
    processes = [w.process for w in pool._workers]
    started = time.monotonic()
    with pool, pytest.raises(WorkerFailure) as caught:
        list(pool.imap([0.0, 30.0, 0.0], window=4))
    assert time.monotonic() - started < 10
    assert (caught.value.kind, caught.value.task, caught.value.payload) == ("timeout", 1, 30.0)
    assert all(not p.is_alive() for p in processes)


def test_a_killed_worker_is_reported_at_once():
    pool = WorkerPool(1, sleep_for)
    victim = pool._workers[0].process.pid
    with pool, pytest.raises(WorkerFailure) as caught:
        for _ in pool.imap([0.0, 30.0], window=2):
            os.kill(victim, signal.SIGKILL)
    assert caught.value.kind == "died"
    assert caught.value.pid == victim
    assert caught.value.detail == "was killed by SIGKILL"


def test_finished_workers_exit_on_their_own_instead_of_being_terminated():
    # A JVM that gets SIGTERM while shutting down can crash; after a normal run the workers
    # are asked to return and exit with code 0.
    pool = WorkerPool(2, slow_first_square)
    processes = [w.process for w in pool._workers]
    with pool:
        assert list(pool.imap(range(4), window=2)) == [0, 1, 4, 9]
    assert [p.exitcode for p in processes] == [0, 0]


def test_a_worker_without_a_task_that_cannot_start_says_why(tmp_path):
    # One task for two workers: the one without a task sends why it cannot start, then exits
    # (status 0). Its message is read before its exit is taken for a death.
    chosen = tmp_path / "chosen"
    pool = WorkerPool(
        2, slow_first_square, initializer=start_unless_chosen, initargs=(str(chosen),)
    )
    busy = pool._workers[-1].process  # the pool hands the first task to its last worker
    with pool, pytest.raises(ValueError) as caught:
        chosen.write_text(str(busy.pid))
        list(pool.imap([3], window=1))
    assert "cannot start" in str(caught.value)

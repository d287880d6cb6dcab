"""Tokenization on a real Dask LocalCluster (2 worker processes on 127.0.0.1): the same bytes
as the local pool, a killed worker, an unreachable scheduler, an interrupted run."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import time

import pytest

from embedcli import api
from embedcli.cli import app
from embedcli.corpora.registry import resolve_corpus
from embedcli.errors import OptionsError
from embedcli.tokens.cache import sidecar_path, tokenize_corpus
from embedcli.tokens.cluster import ClusterSpec, parse_cluster, tokenize_on_cluster
from embedcli.tokens.options import default_options
from tests.conftest import assert_one_error, nsmc_head
from tests.processes import english_text

distributed = pytest.importorskip("distributed")

# What differs between any two runs, or says where the run was made.
RUN_KEYS = {"created_at", "seconds", "documents_per_second", "cluster", "output"}


@pytest.fixture(scope="module")
def cluster():
    """One LocalCluster for the module: worker processes, one thread each, 127.0.0.1 only."""
    import logging

    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.CRITICAL,
    ) as local:
        yield local


@pytest.fixture(autouse=True)
def small_tasks(monkeypatch):
    """Tasks of 64 documents, so the small corpora here make many tasks (a window in flight,
    a worker killed between them); the real size is tested in test_task_sizes."""
    from embedcli.tokens import cluster as cluster_module

    monkeypatch.setattr(cluster_module, "TASK_DOCUMENTS", 64)


def test_task_sizes(monkeypatch):
    from embedcli.tokens import cluster as cluster_module

    def sizes(docs):
        return [(len(t), sum(map(len, t))) for t in cluster_module._tasks(iter(docs))]

    monkeypatch.setattr(cluster_module, "TASK_DOCUMENTS", 8192)
    monkeypatch.setattr(cluster_module, "TASK_CHARACTERS", 400_000)
    assert sizes(["ab"] * 20_000) == [(8192, 16384), (8192, 16384), (3616, 7232)]
    long = "x" * 150_000
    assert sizes([long] * 5) == [(2, 300_000), (2, 300_000), (1, 150_000)]
    huge = "y" * 1_000_000  # longer than a task's budget: a task of its own, never split
    assert sizes(["a", huge, "b"]) == [(1, 1), (1, 1_000_000), (1, 1)]
    assert sizes([]) == []
    tasks = list(cluster_module._tasks(iter(str(i) for i in range(20_000))))
    assert [d for t in tasks for d in t] == [str(i) for i in range(20_000)]  # order kept


def _same_run(local: dict, remote: dict) -> None:
    assert {k: v for k, v in local.items() if k not in RUN_KEYS} == {
        k: v for k, v in remote.items() if k not in RUN_KEYS
    }


@pytest.mark.okt
@pytest.mark.parametrize(
    ("tokenizer", "make"),
    [
        ("okt", lambda: nsmc_head(700)),
        ("mecab", lambda: nsmc_head(700)),
        ("english", lambda: english_text(9000)),
    ],
)
def test_cluster_tokens_and_cache_are_the_local_pools(cluster, tmp_path, tokenizer, make):
    if tokenizer == "mecab":
        pytest.importorskip("mecab")
    corpus = tmp_path / ("corpus.tsv" if tokenizer != "english" else "corpus.txt")
    corpus.write_text(make(), encoding="utf-8")
    local = api.tokenize(corpus, tokenizer=tokenizer, workers=2)  # into the token cache
    local_bytes = local.path.read_bytes()
    local_meta = json.loads(sidecar_path(local.path).read_text(encoding="utf-8"))
    assert local_bytes.count(b"\n") == local.documents > 256  # more than one task
    local.path.unlink()
    sidecar_path(local.path).unlink()

    remote = api.tokenize(corpus, tokenizer=tokenizer, cluster=cluster.scheduler_address)
    assert remote.path == local.path  # the same cache entry
    assert remote.path.read_bytes() == local_bytes
    remote_meta = json.loads(sidecar_path(remote.path).read_text(encoding="utf-8"))
    assert remote_meta["cluster"] == cluster.scheduler_address
    _same_run(local_meta, remote_meta)
    # A local run afterwards reuses what the cluster made.
    assert api.tokenize(corpus, tokenizer=tokenizer, workers=2).reused


def test_a_worker_killed_mid_run_changes_nothing(cluster, tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(english_text(60_000), encoding="utf-8")
    source = resolve_corpus(str(corpus))
    options = default_options("english")
    local = tokenize_corpus(source, options, output=tmp_path / "local.txt", workers=2)
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=60)
        pids = client.run(os.getpid)
    killed = []

    def kill_one(_n: int) -> None:
        if not killed:  # after the first task, with a window of tasks in flight
            victim = sorted(pids.values())[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    spec = ClusterSpec(cluster.scheduler_address)
    remote = tokenize_corpus(
        source, options, output=tmp_path / "remote.txt", cluster=spec, on_progress=kill_one
    )
    assert killed
    assert remote.path.read_bytes() == local.path.read_bytes()
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=60)  # the nanny restarted it, for the next tests
        assert killed[0] not in client.run(os.getpid).values()


def test_interrupted_cluster_run_keeps_its_part_and_continues(cluster, tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(english_text(40_000), encoding="utf-8")
    source = resolve_corpus(str(corpus))
    options = default_options("english")
    local = tokenize_corpus(source, options, output=tmp_path / "local.txt", workers=1)
    target = tmp_path / "remote.txt"
    spec = ClusterSpec(cluster.scheduler_address)
    calls = []

    def interrupt(n: int) -> None:
        calls.append(n)
        if len(calls) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        tokenize_corpus(source, options, output=target, cluster=spec, on_progress=interrupt)
    assert not target.exists()
    assert not sidecar_path(target).exists()
    part = tmp_path / ".remote.txt.part"
    assert part.is_file()
    statuses: list[str] = []
    remote = tokenize_corpus(
        source, options, output=target, cluster=spec, on_status=statuses.append
    )
    assert any("Continuing" in s for s in statuses), statuses
    assert remote.path.read_bytes() == local.path.read_bytes()
    assert not part.exists()


def test_closing_the_results_early_cancels_the_tasks_in_flight(cluster):
    options = default_options("english")
    docs = (f"word{i} other{i}" for i in range(256 * 40))
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        results = tokenize_on_cluster(docs, options, client)
        assert next(results) == ["word0", "other0"]
        assert client.futures  # a window of tasks is in flight
        results.close()
        deadline = time.monotonic() + 10
        while client.futures and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not client.futures


def test_local_n_starts_a_cluster_here(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(english_text(3000), encoding="utf-8")
    local = api.tokenize(corpus, lang="en", output=tmp_path / "local.txt", workers=1)
    remote = api.tokenize(corpus, lang="en", output=tmp_path / "remote.txt", cluster="local:1")
    assert remote.path.read_bytes() == local.path.read_bytes()
    assert remote.meta["cluster"] == "local:1"
    assert remote.meta["workers"] == 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_scheduler_is_one_error_before_any_work(runner, tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(english_text(600), encoding="utf-8")
    address = f"tcp://127.0.0.1:{_free_port()}"
    out = tmp_path / "tokens.txt"
    result = runner.invoke(
        app, ["tokenize", "--corpus", str(corpus), "--lang", "en", "-o", str(out)],
        env={"EMBEDCLI_CLUSTER": address},
    )  # fmt: skip
    assert_one_error(result, "Cannot reach the Dask scheduler", address)
    assert not out.exists()
    assert not list(tmp_path.glob(".tokens.txt*"))
    # train too, and before its model directory or tokens are made
    result = runner.invoke(
        app, ["train", "--corpus", str(corpus), "--lang", "en", "--cluster", address,
              "-o", str(tmp_path / "model")],
    )  # fmt: skip
    assert_one_error(result, address)
    assert not (tmp_path / "model").exists()
    assert not (tmp_path / "cache").exists()


def test_a_port_that_accepts_but_is_no_scheduler_is_one_error_in_seconds(runner, tmp_path):
    """Dask's client waits for a scheduler's handshake with no time limit; a silent service on
    the port must not hang the command."""
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(english_text(600), encoding="utf-8")
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # the kernel accepts connections; nothing is ever sent
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        out = tmp_path / "tokens.txt"
        started = time.monotonic()
        result = runner.invoke(
            app, ["tokenize", "--corpus", str(corpus), "--lang", "en", "-o", str(out),
                  "--cluster", address],
        )  # fmt: skip
        assert time.monotonic() - started < 30
    assert_one_error(result, "did not answer as a Dask scheduler", address)
    assert not out.exists()


def test_a_real_scheduler_passes_the_check(cluster):
    from embedcli.tokens.cluster import check_reachable

    check_reachable(ClusterSpec(cluster.scheduler_address))  # no error: it speaks first


@pytest.mark.parametrize("value", ["local:0", "local:two", "head", "tcp://:8786"])
def test_bad_cluster_values_are_usage_errors(runner, value):
    result = runner.invoke(app, ["tokenize", "--lang", "en", "--cluster", value])
    assert_one_error(result, "--cluster", code=2)
    with pytest.raises(OptionsError):
        parse_cluster(value)


def test_cluster_needs_no_dask_import_without_it(tmp_path):
    """Dask is imported only when --cluster is used (its import costs about a second)."""
    import subprocess
    import sys

    corpus = tmp_path / "corpus.txt"
    corpus.write_text(english_text(600), encoding="utf-8")
    code = (
        "import sys, embedcli.api as api; "
        f"api.tokenize({str(corpus)!r}, lang='en', workers=1); "
        "print('distributed' in sys.modules, 'dask' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env=dict(os.environ), cwd=tmp_path,
    )  # fmt: skip
    assert out.stdout.split() == ["False", "False"]
    shutil.rmtree(tmp_path / "cache", ignore_errors=True)

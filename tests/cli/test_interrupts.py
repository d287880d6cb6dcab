"""Ctrl-C and SIGTERM during download, tokenization and training, in real child processes.

Each test stops a real `embedcli` run part-way, then checks what the issue asks for: exit code
130 (SIGINT) or 143 (SIGTERM), one `Interrupted: ...` line on stderr, no worker process left,
nothing under the output's final name, and a next run that continues from what was complete
(tokenization: the documents done; download: the bytes received; training: the epochs its
checkpoint holds).
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from embedcli.corpora.readers import iter_documents
from embedcli.corpora.registry import resolve_corpus
from embedcli.errors import OutputBusyError
from embedcli.tokens.cache import cache_path, tokenize_corpus
from embedcli.tokens.options import default_options
from embedcli.tokens.runner import CHUNK_SIZE
from embedcli.util.atomic import sha256_file
from embedcli.util.partfile import PartFile
from tests.conftest import keyed_vectors, nsmc_head, write_model_dir
from tests.local_http import LocalServer
from tests.processes import (
    Child,
    english_text,
    hidden_leftovers,
    part_progress,
    with_local_corpus,
)

NSMC_ROWS = 600  # three tasks of up to 256: two still running when the first is written


@pytest.fixture
def nsmc_1k(tmp_path) -> Path:
    path = tmp_path / "reviews.tsv"
    path.write_text(nsmc_head(NSMC_ROWS), encoding="utf-8")
    return path


def only_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


# --- tokenization ------------------------------------------------------------------------


@pytest.mark.okt
def test_ctrl_c_mid_tokenization_keeps_done_documents_and_next_run_continues(tmp_path):
    # Four times the other tests' reviews: on a busy machine two workers finished 600 of them
    # between the first checkpoint and the signal, leaving nothing to interrupt.
    nsmc_1k = tmp_path / "reviews.tsv"
    nsmc_1k.write_text(nsmc_head(4 * NSMC_ROWS), encoding="utf-8")
    out = tmp_path / "tokens.txt"
    part = tmp_path / ".tokens.txt.part"
    checkpoint = tmp_path / ".tokens.txt.part.json"
    args = ["tokenize", "-c", str(nsmc_1k), "-o", str(out), "-w", "2"]
    child = Child(args, cwd=tmp_path)
    child.wait_until(lambda: part_progress(checkpoint) > 0, "the first documents were written")
    assert len(child.workers()) == 2

    child.signal_group(signal.SIGINT)  # as a terminal's Ctrl-C: every process of the group
    code, stdout, stderr = child.finish()

    assert code == 130, stderr
    documents = sum(1 for _ in iter_documents(resolve_corpus(str(nsmc_1k))))
    done = part_progress(checkpoint)
    assert 0 < done < documents
    assert only_line(stderr) == (
        f"Interrupted: tokenizing reviews.tsv stopped after {done:,} of {documents:,} "
        f"documents, which are kept; nothing was written to {out}; run the same command "
        f"again to continue from document {done + 1:,}."
    )  # and no KeyboardInterrupt traceback from a worker
    assert stdout == ""
    assert not out.exists()
    assert child.leftovers() == []
    kept = part.read_bytes()
    assert kept.count(b"\n") >= done

    again = Child([*args[:-2], "-w", "1"], cwd=tmp_path)  # the worker count does not matter
    code, stdout, stderr = again.finish(120)
    assert code == 0, stderr
    assert (
        f"Continuing the interrupted tokenization of reviews.tsv at document {done + 1:,} "
        f"of {documents:,}." in stderr
    )
    assert stdout.strip() == str(out)
    lines = out.read_bytes().splitlines(keepends=True)
    assert len(lines) == documents
    assert b"".join(lines[:done]) == b"".join(kept.splitlines(keepends=True)[:done])
    meta = json.loads((tmp_path / "tokens.txt.json").read_text(encoding="utf-8"))
    assert meta["resumed_at_document"] == done + 1
    assert meta["counts"]["documents"] == documents
    assert meta["output"]["size"] == out.stat().st_size
    assert hidden_leftovers(tmp_path) == []
    assert again.leftovers() == []


def test_sigterm_to_the_parent_alone_stops_its_workers(tmp_path):
    # English (no JVM to wait for); the workers are the same spawned processes as Okt's.
    corpus = tmp_path / "en.txt"
    corpus.write_text(english_text(1_200_000), encoding="utf-8")  # 100,000 documents
    out = tmp_path / "tokens.txt"
    part = tmp_path / ".tokens.txt.part"
    args = ["tokenize", "-c", str(corpus), "--lang", "en", "-o", str(out), "-w", "2"]
    child = Child(args, cwd=tmp_path)
    child.wait_until(lambda: part.is_file() and part.stat().st_size, "the first documents")
    assert len(child.workers()) == 2

    child.signal(signal.SIGTERM)  # as `kill PID` or a service manager would
    code, _, stderr = child.finish()

    assert code == 143, stderr
    assert only_line(stderr).startswith("Interrupted: tokenizing en.txt stopped after ")
    assert not out.exists()
    assert child.leftovers() == []  # the workers got no signal; the parent stopped them


def test_resumed_tokens_equal_an_uninterrupted_run(tmp_path):
    corpus = tmp_path / "en.txt"
    corpus.write_text(english_text(12 * 3000), encoding="utf-8")  # 3000 documents
    source = resolve_corpus(str(corpus))
    options = default_options("english")
    whole = tokenize_corpus(source, options, output=tmp_path / "whole.txt", workers=2)

    out = tmp_path / "resumed.txt"
    seen = []

    def stop_after_three_chunks(n: int) -> None:
        seen.append(n)
        if len(seen) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as stopped:
        tokenize_corpus(source, options, output=out, workers=2, on_progress=stop_after_three_chunks)
    # on_progress comes before a chunk's documents are written: two chunks were.
    assert stopped.value.then == f"continue from document {2 * CHUNK_SIZE + 1:,}"
    assert not out.exists()

    statuses = []
    resumed = tokenize_corpus(source, options, output=out, workers=1, on_status=statuses.append)

    assert statuses == [
        f"Continuing the interrupted tokenization of en.txt at document {2 * CHUNK_SIZE + 1:,} "
        "of 3,000."
    ]
    assert out.read_bytes() == whole.path.read_bytes()
    assert resumed.meta["counts"] == whole.meta["counts"]
    assert hidden_leftovers(tmp_path) == []


def test_part_that_disagrees_with_its_checkpoint_is_started_afresh(tmp_path):
    final = tmp_path / "out.txt"
    key = {"source": "x"}
    with pytest.raises(KeyboardInterrupt), PartFile(final, key) as part:
        for i in range(10):
            part.write(f"line {i}\n".encode())
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt), PartFile(final, key) as part:
        assert part.lines == 10
        assert [line.decode() for line in part.kept_lines()][-1] == "line 9\n"
        raise KeyboardInterrupt

    # A power cut can leave the checkpoint ahead of the bytes that reached the disk.
    with (tmp_path / ".out.txt.part").open("r+b") as handle:
        handle.truncate(30)
    with PartFile(final, key) as part:
        assert part.lines == 0
    # ... or the part holding another corpus's lines.
    with pytest.raises(KeyboardInterrupt), PartFile(final, key) as part:
        part.write(b"a\n")
        raise KeyboardInterrupt
    with PartFile(final, {"source": "y"}) as part:
        assert part.lines == 0
    # A failure that is not an interruption keeps nothing.
    with pytest.raises(ValueError), PartFile(final, key) as part:
        part.write(b"a\n")
        raise ValueError
    assert hidden_leftovers(tmp_path) == []


# --- training ----------------------------------------------------------------------------


def test_sigterm_mid_training_keeps_a_checkpoint_that_another_command_does_not_use(tmp_path):
    corpus = tmp_path / "made-up.txt"
    corpus.write_text(english_text(200_000), encoding="utf-8")  # about 1.2 MB
    out = tmp_path / "model"
    args = ["train", "-c", str(corpus), "--lang", "en", "-o", str(out), "-w", "2"]
    child = Child([*args, "--epochs", "200"], cwd=tmp_path)
    child.wait_until(
        lambda: any(line.startswith("epoch 1/200") for line in child.stderr), "epoch 1"
    )

    child.signal(signal.SIGTERM)
    code, stdout, stderr = child.finish()

    assert code == 143, stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("Interrupted: training word2vec stopped in epoch ")
    assert (
        " of 200; epoch" in last
        and " kept in a checkpoint; run the same command again to resume at epoch " in last
    )
    assert "Traceback" not in stderr
    assert stdout == ""
    assert not out.exists()
    assert hidden_leftovers(tmp_path) == [".model.checkpoint"]  # no .tmp- dirs
    assert child.leftovers() == []

    other = Child([*args, "--epochs", "1"], cwd=tmp_path)
    code, stdout, stderr = other.finish(60)
    assert code == 1, stderr
    assert (
        stderr.strip()
        .splitlines()[-1]
        .startswith("Error: An interrupted run left a checkpoint at epoch ")
    )
    assert stderr.count("Error:") == 1 and "Traceback" not in stderr
    assert "options.epochs: 200 -> 1" in stderr and "--force" in stderr

    again = Child([*args, "--epochs", "1", "--force"], cwd=tmp_path)
    code, stdout, stderr = again.finish(60)
    assert code == 0, stderr
    assert "Reusing tokens of made-up.txt" in stderr
    assert "deleted the checkpoint of an interrupted run" in stderr
    assert (out / "model.json").is_file()
    assert hidden_leftovers(tmp_path) == []


def save_in_progress(folder: Path, name: str) -> list[str]:
    """Entries of `folder` that a save of the model directory `name` is writing right now."""
    return [p.name for p in folder.iterdir() if p.name.startswith(f".{name}.tmp-")]


@pytest.mark.parametrize(
    "signum, existing",
    [(signal.SIGKILL, False), (signal.SIGTERM, True)],
    ids=["sigkill-new-model", "sigterm-over-an-existing-model"],
)
def test_a_save_stopped_halfway_leaves_no_model_under_the_final_name(tmp_path, signum, existing):
    """A real training run stopped while it writes its model directory (big vectors and a
    word2vec text copy make the save last a second or more): nothing under the final name,
    and a model it was replacing (--force) is still whole."""
    corpus = tmp_path / "made-up.txt"
    corpus.write_text(english_text(30_000), encoding="utf-8")
    out = tmp_path / "model"
    before = {}
    if existing:
        write_model_dir(out)
        before = {str(p): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    args = ["train", "-c", str(corpus), "--lang", "en", "-o", str(out), "-w", "1", "--force"]
    args += ["--epochs", "1", "--min-count", "1", "--vector-size", "1000", "--word2vec-text"]
    child = Child(args, cwd=tmp_path)

    def saving() -> bool:
        if save_in_progress(tmp_path, "model"):
            return True
        names = {Path(path).relative_to(out).parts[0] for path in before}
        return out.exists() and {p.name for p in out.iterdir()} != names  # in place

    child.wait_until(saving, "the save began", timeout=120)
    child.signal_group(signum)
    code, stdout, stderr = child.finish()

    assert code == (-signal.SIGKILL if signum == signal.SIGKILL else 143), stderr
    assert stdout == ""
    if existing:
        assert {str(p): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    else:
        assert not out.exists()
    if signum == signal.SIGKILL:
        assert save_in_progress(tmp_path, "model")  # killed in the middle of the save
    else:
        assert "Traceback" not in stderr
        assert save_in_progress(tmp_path, "model") == []  # removed on the way out
    assert child.leftovers() == []


def test_a_save_that_fails_halfway_leaves_no_model_under_the_final_name(tmp_path):
    from embedcli.store import model_dir as models

    kv = keyed_vectors({"a": [1.0, 0.0], "b": [0.0, 1.0]})
    written = []

    def failing_full_model(directory: Path) -> str:
        (directory / "model.gensim").write_bytes(b"half")  # a file is written, then it fails
        written.append(sorted(p.name for p in directory.iterdir()))
        raise OSError(errno.EIO, "Input/output error")

    out = tmp_path / "model"
    with pytest.raises(OSError, match="Input/output error"):
        models.save_model(out, wv=kv, card={"algo": "test"}, save_full=failing_full_model)
    assert written == [["model.gensim", "vectors.kv"]]  # the save was under way
    assert not out.exists()
    assert hidden_leftovers(tmp_path) == []

    write_model_dir(out)
    before = {str(p): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(OSError, match="Input/output error"):
        models.save_model(
            out, wv=kv, card={"algo": "test"}, save_full=failing_full_model, force=True
        )
    assert {
        str(p): p.read_bytes() for p in out.rglob("*") if p.is_file()
    } == before  # the old model, whole
    assert hidden_leftovers(tmp_path) == []


# --- download ----------------------------------------------------------------------------


@pytest.fixture
def slow_server(tmp_path) -> Iterator[LocalServer]:
    server = LocalServer(tmp_path / "www")
    server.slow.set()
    with server.running():
        server.publish("corpus.txt", english_text(200_000, seed=1).encode())  # about 1.2 MB
        yield server


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_interrupted_download_resumes_with_a_range_request(tmp_path, slow_server, signum):
    url = slow_server.url("ranged/corpus.txt")
    folder = tmp_path / "cache" / "downloads" / "local"
    part = folder / ".corpus.txt.part"
    args = ["tokenize", "-c", "local", "-o", str(tmp_path / "tokens.txt"), "-w", "1"]
    command = with_local_corpus(url)
    payload = (slow_server.root / "corpus.txt").read_bytes()
    child = Child(args, cwd=tmp_path, command=command)
    child.wait_until(lambda: part.is_file() and part.stat().st_size > 100_000, "100 KB")

    child.signal_group(signum)
    code, stdout, stderr = child.finish()

    assert code == 128 + signum, stderr
    kept = part.stat().st_size
    assert 100_000 <= kept < len(payload)
    assert only_line(stderr) == (
        f"Interrupted: downloading {url} stopped at {kept:,} of {len(payload):,} bytes, which "
        f"are kept; nothing was written to {folder / 'corpus.txt'}; run the same command "
        "again to resume the download."
    )
    assert not (folder / "corpus.txt").exists()
    assert part.read_bytes() == payload[:kept]

    slow_server.slow.clear()
    again = Child(args, cwd=tmp_path, command=command)
    code, stdout, stderr = again.finish(60)
    assert code == 0, stderr
    assert f"Resuming the download at {kept:,} of {len(payload):,} bytes." in stderr
    headers = slow_server.requests[-1][1]
    assert headers["Range"] == f"bytes={kept}-"
    assert headers["If-Range"] == slow_server.etag(payload)
    assert (folder / "corpus.txt").read_bytes() == payload
    assert hidden_leftovers(folder) == []
    assert stdout.strip() == str(tmp_path / "tokens.txt")


HOLD_LOCK = """
import sys
from pathlib import Path
from embedcli.util.atomic import output_lock
with output_lock(Path(sys.argv[1]), "tokens file"):
    print("locked", flush=True)
    sys.stdin.read()
"""


def test_a_run_needing_tokens_another_run_is_making_waits_for_them(tmp_path):
    corpus = tmp_path / "en.txt"
    corpus.write_text(english_text(1200), encoding="utf-8")
    source = resolve_corpus(str(corpus))
    options = default_options("english")
    target = cache_path(source, sha256_file(corpus), options)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(target)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    try:
        with pytest.raises(OutputBusyError):  # an --output is refused, as before
            tokenize_corpus(source, options, output=target, workers=1)
        statuses: list[str] = []
        results = []
        waiting = threading.Thread(
            target=lambda: results.append(
                tokenize_corpus(source, options, workers=1, on_status=statuses.append)
            )
        )
        waiting.start()
        deadline = time.monotonic() + 30
        while not statuses and time.monotonic() < deadline:
            time.sleep(0.02)
        assert statuses == [
            "Waiting for another embedcli run that is tokenizing en.txt the same way..."
        ]
        assert waiting.is_alive()
    finally:
        holder.stdin.close()
        holder.wait(10)
    waiting.join(60)
    assert results and results[0].path == target and results[0].documents == 100


def test_a_signal_during_a_deferred_step_takes_effect_after_it():
    from embedcli.util import interrupts

    steps = []
    with pytest.raises(interrupts.Interrupted) as caught, interrupts.signals_raise():
        with interrupts.deferred():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)  # the handler would run here, were it not deferred
            steps.append("finished")
        steps.append("after")  # not reached: the signal is acted on as the step ends
    assert steps == ["finished"]
    assert interrupts.exit_code(caught.value) == 143
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # handlers restored

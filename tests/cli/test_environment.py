"""A hostile environment: no Java (or an old or broken one), a worker that dies or hangs, a disk
that fills up. Every case must end in one `Error: ...` line that says what to do, exit code 1,
no worker left behind and no half-written output under its final name.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from embedcli.cli.app import app
from embedcli.corpora.readers import iter_documents
from embedcli.corpora.registry import resolve_corpus
from tests.conftest import nsmc_head
from tests.local_http import LocalServer
from tests.processes import (
    Child,
    english_text,
    hidden_leftovers,
    part_progress,
    with_local_corpus,
)

INSTALL = "`sudo apt install openjdk-17-jre-headless`"


def only_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.fixture
def tiny_tsv(tmp_path) -> Path:
    path = tmp_path / "tiny.tsv"
    path.write_text(nsmc_head(50), encoding="utf-8")
    return path


# --- Java ----------------------------------------------------------------------------------


def test_java_home_pointing_nowhere(tmp_path, tiny_tsv):
    # JPype alone would quietly fall back to /usr/bin/java; a JAVA_HOME set on purpose wins.
    env = {"JAVA_HOME": str(tmp_path / "no-java"), "PATH": str(tmp_path / "no-bin")}
    child = Child(["tokenize", "-c", str(tiny_tsv)], cwd=tmp_path, env=env)
    code, stdout, stderr = child.finish()

    assert code == 1, stderr
    assert only_line(stderr) == (
        f"Error: JAVA_HOME is set to {tmp_path / 'no-java'}, which holds no Java runtime (no "
        "libjvm.so under it), so Okt cannot start. Point JAVA_HOME at a JDK or JRE, or unset "
        f"it to use the system's Java. Install a Java runtime, 9 or newer (e.g. {INSTALL}, "
        "`brew install openjdk@17`, or from adoptium.net), or set JAVA_HOME to one; for "
        "English text, --lang en needs no Java."
    )
    assert stdout == ""
    assert child.leftovers() == []


def fake_java(home: Path, version: str, libjvm: bytes = b"") -> Path:
    (home / "lib" / "server").mkdir(parents=True)
    (home / "lib" / "server" / "libjvm.so").write_bytes(libjvm)
    (home / "release").write_text(f'IMPLEMENTOR="Test"\nJAVA_VERSION="{version}"\n')
    return home


def test_java_too_old(tmp_path, tiny_tsv):
    home = fake_java(tmp_path / "jdk8", "1.8.0_202")
    child = Child(["tokenize", "-c", str(tiny_tsv)], cwd=tmp_path, env={"JAVA_HOME": str(home)})
    code, _, stderr = child.finish()

    assert code == 1, stderr
    assert only_line(stderr).startswith(
        f"Error: Okt needs Java 9 or newer, but the Java found ({home}/lib/server/libjvm.so) is "
        f"version 1.8.0_202. Install a Java runtime, 9 or newer (e.g. {INSTALL}"
    )


@pytest.mark.okt
def test_java_that_cannot_start(tmp_path, tiny_tsv):
    # Found and new enough on paper, but not a JVM: it fails in the worker, and says so.
    home = fake_java(tmp_path / "broken", "17.0.1", libjvm=b"not an ELF file")
    args = ["tokenize", "-c", str(tiny_tsv), "-w", "2"]
    child = Child(args, cwd=tmp_path, env={"JAVA_HOME": str(home)})
    code, _, stderr = child.finish()

    assert code == 1, stderr
    line = only_line(stderr)
    assert line.startswith("Error: Could not start Java for Okt (")
    assert line.endswith("--lang en needs no Java.")
    assert child.leftovers() == []


def test_no_java_anywhere(tmp_path, tiny_tsv):
    # Hide every JVM of this machine behind an empty tmpfs in a private mount namespace.
    script = 'for d in /usr/lib/jvm /usr/java /opt/sun; do [ -d "$d" ] && mount -t tmpfs none "$d"; done; exec "$@"'  # noqa: E501
    hide = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script, "sh"]
    probe = subprocess.run([*hide, "true"], capture_output=True)
    if shutil.which("unshare") is None or probe.returncode != 0:
        pytest.skip(f"cannot hide Java here (unshare: {probe.stderr.decode().strip()})")
    child = Child(
        ["tokenize", "-c", str(tiny_tsv)],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
        command=[*hide, sys.executable, "-m", "embedcli"],
    )
    code, _, stderr = child.finish()

    assert code == 1, stderr
    assert only_line(stderr) == (
        "Error: Okt needs Java, and none was found: JAVA_HOME is not set and there is no JVM "
        f"in the usual places. Install a Java runtime, 9 or newer (e.g. {INSTALL}, `brew "
        "install openjdk@17`, or from adoptium.net), or set JAVA_HOME to one; for English "
        "text, --lang en needs no Java."
    )


@pytest.fixture(autouse=True)
def _no_java_home_from_outside(monkeypatch):
    monkeypatch.delenv("JAVA_HOME", raising=False)


# --- workers that die or hang ----------------------------------------------------------------

NSMC_ROWS = 2000


@pytest.fixture
def nsmc_2k(tmp_path) -> Path:
    path = tmp_path / "reviews.tsv"
    path.write_text(nsmc_head(NSMC_ROWS), encoding="utf-8")
    return path


def check_named_document(line: str, corpus: Path) -> None:
    """The document a message names is the one at that number, quoted from its start."""
    found = re.search(r"on document ([\d,]+), which starts '(.*?)(?:\.\.\.)?'", line)
    if found is None:  # not yet on a document: the task's range, or none between tasks
        assert re.search(r"on documents [\d,]+-[\d,]+\.|between two tasks\.", line), line
        return
    docs = list(iter_documents(resolve_corpus(str(corpus))))
    number = int(found.group(1).replace(",", ""))
    assert " ".join(docs[number - 1].split()).startswith(found.group(2))


@pytest.mark.okt
def test_worker_killed_mid_run(tmp_path, nsmc_2k):
    checkpoint = tmp_path / ".tokens.txt.part.json"
    args = ["tokenize", "-c", str(nsmc_2k), "-o", str(tmp_path / "tokens.txt"), "-w", "2"]
    child = Child(args, cwd=tmp_path)
    child.wait_until(lambda: part_progress(checkpoint) > 0, "the first documents were written")
    victim = child.workers()[0]

    os.kill(victim, signal.SIGKILL)  # as the kernel's out-of-memory killer would
    code, stdout, stderr = child.finish()

    assert code == 1, stderr
    line = only_line(stderr)
    assert line.startswith(f"Error: The okt worker process {victim} was killed by SIGKILL while ")
    assert "If memory ran out, use fewer --workers; if a document is to blame" in line
    kept = part_progress(checkpoint)
    assert line.endswith(
        f"The first {kept:,} documents are tokenized and kept: run the same command again to "
        f"continue from document {kept + 1:,}."
    )
    check_named_document(line, nsmc_2k)
    assert not (tmp_path / "tokens.txt").exists()
    assert child.leftovers() == []


def test_hung_worker_times_out(tmp_path):
    # English, whose tasks take milliseconds, so a short time-out never hits a working task
    # even on a busy machine; the pool and its time-out are the same for Okt.
    corpus = tmp_path / "en.txt"
    corpus.write_text(english_text(1_200_000), encoding="utf-8")  # 100,000 documents
    part = tmp_path / ".tokens.txt.part"
    args = ["tokenize", "-c", str(corpus), "--lang", "en", "-o", str(tmp_path / "tokens.txt")]
    child = Child([*args, "-w", "2"], cwd=tmp_path, env={"EMBEDCLI_TASK_TIMEOUT": "3"})
    child.wait_until(lambda: part.is_file() and part.stat().st_size, "the first documents")

    for worker in child.workers():
        os.kill(worker, signal.SIGSTOP)  # alive but making no progress
    code, _, stderr = child.finish()

    assert code == 1, stderr
    line = only_line(stderr)
    assert line.startswith("Error: The english tokenizer took over 3 s on 256 documents and was ")
    assert "or allow more time with EMBEDCLI_TASK_TIMEOUT=<seconds per 256 documents>." in line
    check_named_document(line, corpus)
    assert child.leftovers() == []  # the stopped workers too (SIGKILL)


def test_task_timeout_must_be_a_number(runner, tmp_path, monkeypatch):
    corpus = tmp_path / "en.txt"
    corpus.write_text("one two three\n", encoding="utf-8")
    monkeypatch.setenv("EMBEDCLI_TASK_TIMEOUT", "soon")

    result = runner.invoke(app, ["tokenize", "-c", str(corpus), "--lang", "en"])

    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == (
        "Error: EMBEDCLI_TASK_TIMEOUT='soon' is not a number of seconds: set it to one such as "
        "300 (per 256 documents), or unset it."
    )


# --- a full disk ---------------------------------------------------------------------------


def file_size_limit(limit: int):
    """For preexec_fn: files may not grow past `limit` bytes (EFBIG, as a full disk's ENOSPC)."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an error to handle, not a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def disk_full(path: Path) -> str:
    return (
        f"No space left on device while writing {path} (File too large); the unfinished "
        "output was removed. Free some space and run again."
    )


def test_disk_full_while_writing_tokens(tmp_path):
    corpus = tmp_path / "en.txt"
    corpus.write_text(english_text(60_000), encoding="utf-8")  # ~350 KB of tokens
    out = tmp_path / "tokens.txt"
    args = ["tokenize", "-c", str(corpus), "--lang", "en", "-o", str(out), "-w", "2"]
    child = Child(args, cwd=tmp_path, preexec_fn=file_size_limit(100_000))
    code, stdout, stderr = child.finish()

    assert code == 1, stderr
    assert only_line(stderr) == f"Error: {disk_full(out)}"
    assert stdout == ""
    assert not out.exists()
    assert hidden_leftovers(tmp_path) == []  # no .part, no checkpoint, no lock
    assert child.leftovers() == []


def test_disk_full_while_saving_a_model(tmp_path, runner):
    corpus = tmp_path / "en.txt"
    corpus.write_text(english_text(30_000), encoding="utf-8")
    out = tmp_path / "model"
    args = ["train", "-c", str(corpus), "--lang", "en", "-o", str(out), "-w", "1"]
    args += ["--min-count", "1", "--epochs", "1", "--vector-size", "50"]
    # Tokens (~180 KB) fit; the vectors (3,007 words x 50 floats, ~600 KB) do not.
    child = Child(args, cwd=tmp_path, preexec_fn=file_size_limit(400_000))
    code, stdout, stderr = child.finish(60)

    assert code == 1, stderr
    assert stderr.strip().splitlines()[-1] == f"Error: {disk_full(out)}"
    assert not out.exists()
    assert hidden_leftovers(tmp_path) == []  # no .model.tmp-*, no marker, no lock


@pytest.fixture
def server(tmp_path) -> Iterator[LocalServer]:
    with LocalServer(tmp_path / "www").running() as running:
        running.publish("corpus.txt", english_text(50_000).encode())
        yield running


def test_disk_full_while_downloading(tmp_path, server):
    target = tmp_path / "cache" / "downloads" / "local" / "corpus.txt"
    child = Child(
        ["tokenize", "-c", "local"],
        cwd=tmp_path,
        command=with_local_corpus(server.url("ranged/corpus.txt")),
        preexec_fn=file_size_limit(100_000),
    )
    code, _, stderr = child.finish()

    assert code == 1, stderr
    assert only_line(stderr) == (
        f"Error: {disk_full(target)} Or set EMBEDCLI_CACHE to a disk with room."
    )
    assert hidden_leftovers(target.parent) == []  # the part is gone, not kept for resuming
    assert not target.exists()

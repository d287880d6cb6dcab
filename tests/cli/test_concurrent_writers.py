"""Two runs writing the same output: the second is refused, the first's output is intact.

The lock is an flock on `<output>.lock`, taken before any work and held until the output is
renamed into place; these tests hold it from real second processes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from embedcli.cli.app import app
from embedcli.util import atomic as fsutil
from tests.conftest import REPO, assert_nearest, write_model_dir

SENTENCES = [
    "the king rules the land and the queen rules the land",
    "a man walks and a woman walks in the land",
    "the king is a man and the queen is a woman",
]

HOLDER = """
import sys
from pathlib import Path
from embedcli.util.atomic import output_lock
with output_lock(Path(sys.argv[1]), "model directory"):
    print("locked", flush=True)
    sys.stdin.read()
"""


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "en.txt"
    path.write_text("\n".join(SENTENCES * 30) + "\n", encoding="utf-8")
    return path


def train_args(corpus, out, *extra):
    return ["train", "-c", str(corpus), "--tokenizer", "english", "-o", str(out), "-w", "1",
            "--min-count", "2", "--epochs", "2", *extra]  # fmt: skip


def hold_lock(target):
    """Another process holding the lock on `target` until its stdin is closed."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(target)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert holder.stdout.readline().strip() == "locked"
    return holder


def snapshot(directory):
    return {p.relative_to(directory): p.read_bytes() for p in directory.rglob("*") if p.is_file()}


def test_second_run_is_refused_while_another_writes(runner, tmp_path, corpus):
    out = write_model_dir(tmp_path / "model")  # the first run's output, being replaced
    before = snapshot(out)
    holder = hold_lock(out)
    try:
        result = runner.invoke(app, train_args(corpus, out, "--force"))
        assert result.exit_code == 1, result.output
        lines = result.stderr.strip().splitlines()
        assert lines == [
            f"Error: Another embedcli run (pid {holder.pid}) is writing the model directory "
            f"{out}: wait for it to finish, or choose another --output."
        ]
        assert snapshot(out) == before
        assert not (tmp_path / "cache").exists()  # refused before tokenizing
        # "home": the data home, where write_model_dir recorded its pickle as trusted
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            "en.txt", "home", "model", "model.lock"
        ]  # fmt: skip
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert not fsutil.lock_path(out).exists()  # the holder removed it on the way out

    result = runner.invoke(app, train_args(corpus, out, "--force", "-q"))
    assert result.exit_code == 0, result.output
    assert json.loads((out / "model.json").read_text())["algo"] == "word2vec"
    assert not fsutil.lock_path(out).exists()


def test_lock_left_by_a_killed_run_does_not_block(runner, tmp_path, corpus):
    out = tmp_path / "model"
    holder = hold_lock(out)
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    lock = fsutil.lock_path(out)
    assert lock.read_text().strip() == str(holder.pid)  # the file stays; the flock does not

    result = runner.invoke(app, train_args(corpus, out, "-q"))
    assert result.exit_code == 0, result.output
    assert (out / "model.json").is_file()
    assert not lock.exists()


def test_lock_is_held_until_the_model_is_in_place(runner, tmp_path, corpus, monkeypatch):
    import fcntl

    from embedcli.store import model_dir as models

    out = tmp_path / "model"
    seen = []
    real_save = models.save_model

    def checking_save(out_dir, **kwargs):
        fd = os.open(fsutil.lock_path(out_dir), os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
        seen.append(out_dir)
        return real_save(out_dir, **kwargs)

    monkeypatch.setattr(models, "save_model", checking_save)
    result = runner.invoke(app, train_args(corpus, out, "-q"))
    assert result.exit_code == 0, result.output
    assert seen == [out]


def test_two_real_train_runs_on_one_directory(runner, tmp_path, corpus):
    out = tmp_path / "model"
    first = subprocess.Popen(
        [sys.executable, "-m", "embedcli", *train_args(corpus, out, "--epochs", "20")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    lock = fsutil.lock_path(out)
    deadline = time.monotonic() + 120
    while not lock.exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert lock.exists(), "the first run never took the lock"

    second = runner.invoke(app, train_args(corpus, out, "--force"))
    stdout, stderr = first.communicate(timeout=300)

    assert second.exit_code == 1, second.output
    assert f"Another embedcli run (pid {first.pid}) is writing" in second.stderr
    assert first.returncode == 0, stderr
    assert stdout.strip() == str(out)
    card = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert len(card["training"]["epochs"]) == 20  # the first run's model, whole
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("model", ".model"))) == [
        "model"
    ]
    query = runner.invoke(app, ["similar", "king", "--model", str(out), "--format", "tsv"])
    assert_nearest(query, out, ["king"], 10)


def test_export_refused_while_another_run_writes_its_directory(runner, tmp_path):
    write_model_dir(tmp_path / "toy")
    target = tmp_path / "projector"
    holder = hold_lock(target)
    try:
        result = runner.invoke(
            app, ["export-tsv", "--model", str(tmp_path / "toy"), "-o", str(target)]
        )
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert result.exit_code == 1, result.output
    assert "is writing the export directory" in result.stderr
    assert "choose another --output-dir" in result.stderr
    assert not target.exists()

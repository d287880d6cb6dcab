"""Checkpoints and resume: an interrupted run goes on from its last epoch, exactly.

In-process tests stop a run with a KeyboardInterrupt raised from `on_epoch` (called once the
epoch's checkpoint is committed); the subprocess tests in this file and in
tests/cli/test_interrupts.py send real signals.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from embedcli import api
from embedcli.training import checkpoint
from embedcli.training.checkpoint import CheckpointMismatchError
from tests.conftest import REPO, assert_one_error
from tests.processes import Child, english_text

ALGOS = ["word2vec", "fasttext", "glove"]
SMALL = dict(lang="en", epochs=5, workers=1, vector_size=16, bucket=2000, seed=3)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "made-up.txt"
    path.write_text(english_text(30_000), encoding="utf-8")
    return path


class Stop(KeyboardInterrupt):
    pass


def stop_after(epoch: int):
    def on_epoch(report) -> None:
        if report.epoch == epoch:
            raise Stop()

    return on_epoch


def interrupted(corpus: Path, out: Path, after: int = 2, **options) -> Stop:
    with pytest.raises(Stop) as caught:
        api.train(corpus, output=out, on_epoch=stop_after(after), **options)
    return caught.value


@pytest.mark.parametrize("algo", ALGOS)
def test_resumed_run_is_the_uninterrupted_run(tmp_path, corpus, algo):
    """Stopped after epoch 2 of 5, the rerun resumes at 3; with --workers 1 its vectors are
    byte-identical to an uninterrupted run's and its losses continue the same curve."""
    options = dict(SMALL, algo=algo)
    whole = api.train(corpus, output=tmp_path / "whole", **options)

    out = tmp_path / "resumed"
    stop = interrupted(corpus, out, **options)
    assert stop.then == "resume at epoch 3"
    assert "epochs 1-2 are kept in a checkpoint" in stop.doing
    assert not out.exists()
    ckpt = checkpoint.checkpoint_dir(out)
    assert json.loads((ckpt / "manifest.json").read_text())["epoch"] == 2

    said: list[str] = []
    epochs_seen: list[int] = []
    resumed = api.train(
        corpus,
        output=out,
        on_status=said.append,
        on_epoch=lambda r: epochs_seen.append(r.epoch),
        **options,
    )
    assert any(s.startswith("Resuming at epoch 3/5") for s in said), said
    assert epochs_seen == [3, 4, 5]  # epochs 1-2 came from the checkpoint, not trained again
    assert resumed.kv.vectors.tobytes() == whole.kv.vectors.tobytes()
    whole_losses = [e["loss"] for e in whole.card["training"]["epochs"]]
    losses = [e["loss"] for e in resumed.card["training"]["epochs"]]
    assert losses == whole_losses
    if algo != "fasttext":  # gensim computes no FastText loss
        # the curve goes on falling from epoch 2: no jump back to a fresh model's loss
        assert losses[2] < losses[1] < losses[0]
    epochs = resumed.card["training"]["epochs"]
    assert [e.get("resumed", False) for e in epochs] == [True, True, False, False, False]
    (resume,) = resumed.card["training"]["resumes"]
    assert resume["epochs_from_checkpoint"] == [1, 2] and resume["resumed_at_epoch"] == 3
    assert not ckpt.exists()  # removed once the model is saved


def test_fasttext_checkpoint_holds_only_the_ngram_rows_training_changes(tmp_path, corpus):
    """With many more buckets than the vocabulary's n-grams reach, the checkpoint is a small
    fraction of the n-gram matrix, and the resumed run is still byte-identical."""
    options = dict(SMALL, algo="fasttext", bucket=100_000)
    whole = api.train(corpus, output=tmp_path / "whole", **options)
    matrix_bytes = 100_000 * 16 * 4

    out = tmp_path / "resumed"
    interrupted(corpus, out, **options)
    ckpt = checkpoint.checkpoint_dir(out)
    manifest = json.loads((ckpt / "manifest.json").read_text())
    state_bytes = sum(f["size"] for f in manifest["files"].values())
    assert state_bytes < matrix_bytes / 4, (state_bytes, matrix_bytes)

    # the rows it keeps are exactly the buckets of the vocabulary's n-grams (gensim's hash)
    from gensim.models.fasttext import ft_ngram_hashes

    rows = np.load(ckpt / manifest["state"] / "ngram-rows.npy")
    expected = {h for w in whole.words for h in ft_ngram_hashes(w, 3, 6, 100_000)}
    assert set(rows.tolist()) == expected

    resumed = api.train(corpus, output=out, **options)
    assert resumed.kv.vectors.tobytes() == whole.kv.vectors.tobytes()
    from embedcli.training.gensim_backend import load_full_model

    full_whole, full_resumed = (
        load_full_model(p / "model.gensim", "fasttext") for p in (whole.path, resumed.path)
    )
    assert full_resumed.wv.vectors_ngrams.tobytes() == full_whole.wv.vectors_ngrams.tobytes()


def test_fasttext_checkpoint_whose_untouched_rows_cannot_be_redrawn_is_refused(tmp_path, corpus):
    options = dict(SMALL, algo="fasttext", bucket=100_000)
    out = tmp_path / "m"
    interrupted(corpus, out, **options)
    manifest_path = checkpoint.checkpoint_dir(out) / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["info"]["ngrams"]["seed"] += 1  # as if gensim drew the initial vectors otherwise
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(Exception, match="draws FastText's initial n-gram vectors differently"):
        api.train(corpus, output=out, **options)
    assert not out.exists()


def slow_commits(monkeypatch, seconds: float, error: BaseException | None = None) -> list:
    """Make every checkpoint commit (the part that runs in a thread) slow, or fail."""
    original = checkpoint.commit
    started: list[int] = []

    def commit(written, **kwargs):
        started.append(kwargs["epoch"])
        time.sleep(seconds)
        if error is not None:
            raise error
        return original(written, **kwargs)

    monkeypatch.setattr(checkpoint, "commit", commit)
    return started


@pytest.mark.parametrize("algo", ["word2vec", "glove"])
def test_an_interrupt_waits_for_the_commit_in_flight(tmp_path, corpus, monkeypatch, algo):
    """The commit runs while the next epoch trains; stopped then, the run still keeps the
    epoch whose commit had started, and says so."""
    started = slow_commits(monkeypatch, 1.0)
    out = tmp_path / "m"
    stop = interrupted(corpus, out, **dict(SMALL, algo=algo))
    assert started == [1, 2]
    assert stop.then == "resume at epoch 3"
    manifest = json.loads((checkpoint.checkpoint_dir(out) / "manifest.json").read_text())
    assert manifest["epoch"] == 2
    assert sorted(p.name for p in checkpoint.checkpoint_dir(out).iterdir()) == [
        "epoch-2",
        "manifest.json",
    ]


def test_a_commit_that_fails_fails_the_run(tmp_path, corpus, monkeypatch):
    slow_commits(monkeypatch, 0.0, OSError(28, "No space left on device"))
    with pytest.raises(OSError, match="No space left"):
        api.train(corpus, output=tmp_path / "m", **SMALL)
    assert not (tmp_path / "m").exists()


def test_gensim_resumed_learning_rates_are_the_uninterrupted_ones(tmp_path, corpus):
    """The (epoch, alpha, min_alpha, epochs) gensim's Cython epoch computes each word's
    learning rate from, as its worker thread sees them, in a resumed and an uninterrupted run."""
    from gensim.models import Word2Vec

    seen: list[tuple] = []
    original = Word2Vec._do_train_epoch

    def spy(self, *args, **kwargs):
        seen.append((args[5], self.alpha, self.min_alpha, self.epochs))
        return original(self, *args, **kwargs)

    Word2Vec._do_train_epoch = spy
    try:
        api.train(corpus, output=tmp_path / "whole", **SMALL)
        whole, seen[:] = list(seen), []
        interrupted(corpus, tmp_path / "resumed", **SMALL)
        seen.clear()
        api.train(corpus, output=tmp_path / "resumed", **SMALL)
    finally:
        Word2Vec._do_train_epoch = original
    assert [s[0] for s in whole] == [0, 1, 2, 3, 4]
    assert seen == whole[2:]


def test_other_options_do_not_resume_and_say_why(tmp_path, corpus, runner):
    out = tmp_path / "model"
    interrupted(corpus, out, **SMALL)
    with pytest.raises(CheckpointMismatchError) as caught:
        api.train(corpus, output=out, **dict(SMALL, vector_size=24))
    message = str(caught.value)
    assert "checkpoint at epoch 2/5" in message
    assert "options.vector_size: 16 -> 24" in message
    assert "--force" in message

    # another corpus (other bytes) is another command too
    other = tmp_path / "other.txt"
    other.write_text(english_text(30_000, seed=1), encoding="utf-8")
    with pytest.raises(CheckpointMismatchError, match="corpus_sha256"):
        api.train(other, output=out, **SMALL)

    # the CLI: one Error line, exit 1, the checkpoint kept
    args = ["train", "-c", str(corpus), "-o", str(out), "--lang", "en", "-w", "1"]
    args += ["--epochs", "5", "--vector-size", "24", "--seed", "3"]
    result = runner.invoke(app_main(), args)
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "made by another command" in errors[0], result.stderr
    assert "--force" in errors[0] and "Traceback" not in result.stderr
    assert checkpoint.checkpoint_dir(out).exists()

    said: list[str] = []
    epochs_seen: list[int] = []
    api.train(
        corpus,
        output=out,
        force=True,
        on_status=said.append,
        on_epoch=lambda r: epochs_seen.append(r.epoch),
        **dict(SMALL, vector_size=24),
    )
    assert epochs_seen == [1, 2, 3, 4, 5]  # started over
    assert any("deleted the checkpoint" in s for s in said), said


def app_main():
    from embedcli.cli import app

    return app


# --- a checkpoint that is not whole never loads ----------------------------------------------


def write_checkpoint(directory: Path, epoch: int, payload: bytes) -> None:
    checkpoint.save(
        directory,
        key={"k": 1},
        epoch=epoch,
        epochs=9,
        write_state=lambda folder: (folder / "a.npy").write_bytes(payload),
    )


def test_a_damaged_checkpoint_does_not_load(tmp_path):
    directory = tmp_path / ".m.checkpoint"
    write_checkpoint(directory, 1, b"x" * 1000)
    write_checkpoint(directory, 2, b"y" * 1000)
    found, why = checkpoint.load(directory)
    assert (found.epoch, why) == (2, None)
    assert sorted(p.name for p in directory.iterdir()) == ["epoch-2", "manifest.json"]

    state = directory / "epoch-2" / "a.npy"
    data = bytearray(state.read_bytes())
    data[500] ^= 1  # one bit
    state.write_bytes(bytes(data))
    found, why = checkpoint.load(directory)
    assert found is None and "does not match its checksum" in why

    state.write_bytes(b"y" * 500)  # cut short
    assert checkpoint.load(directory)[0] is None

    (directory / "manifest.json").write_text('{"format": 1, "epo')
    assert checkpoint.load(directory) == (None, "its manifest is damaged")


KILLED_WRITER = """
import sys, time
from pathlib import Path
from embedcli.training import checkpoint

directory = Path(sys.argv[1])
checkpoint.save(directory, key={"k": 1}, epoch=1, epochs=9,
                write_state=lambda f: (f / "a.npy").write_bytes(b"first" * 1000))
print("saved", flush=True)

def slow(folder):
    with open(folder / "a.npy", "wb") as handle:
        while True:  # a state that takes forever to write: killed in the middle
            handle.write(b"second" * 100_000)
            handle.flush()
            time.sleep(0.01)

checkpoint.save(directory, key={"k": 1}, epoch=2, epochs=9, write_state=slow)
"""


def test_a_checkpoint_write_killed_halfway_never_loads(tmp_path):
    """SIGKILL during a real save: the half-written state is never taken for a checkpoint; the
    one committed before it still loads, whole."""
    directory = tmp_path / ".m.checkpoint"
    child = Child([str(directory)], cwd=tmp_path, command=[sys.executable, "-c", KILLED_WRITER])

    def half_written() -> bool:
        temps = [p for p in directory.glob(".epoch-2.tmp-*/a.npy")]
        return bool(temps) and temps[0].stat().st_size > 1_000_000

    child.wait_until(half_written, "the second save was under way")
    child.signal_group(signal.SIGKILL)
    code, stdout, _ = child.finish()
    assert code == -signal.SIGKILL and stdout == "saved\n"

    found, why = checkpoint.load(directory)
    assert why is None and found.epoch == 1
    assert (found.state / "a.npy").read_bytes() == b"first" * 1000

    # a run killed during its very first save leaves no checkpoint that loads
    first = tmp_path / ".n.checkpoint"
    (first / ".epoch-1.tmp-1-x").mkdir(parents=True)
    (first / ".epoch-1.tmp-1-x" / "a.npy").write_bytes(b"half")
    found, why = checkpoint.load(first)
    assert found is None and "no manifest" in why


# --- GloVe notices a signal inside an epoch ---------------------------------------------------


def test_glove_notices_a_signal_inside_an_epoch():
    from embedcli.training.glove import adagrad
    from embedcli.training.glove.cooccur import Cooccurrences
    from embedcli.util import interrupts

    rng = np.random.default_rng(0)
    vocab, nnz = 20_000, 3_000_000
    cooc = Cooccurrences(
        rows=rng.integers(0, vocab, nnz).astype(np.int32),
        cols=rng.integers(0, vocab, nnz).astype(np.int32),
        values=rng.random(nnz) * 10 + 0.1,
        vocab_size=vocab,
        peak_bytes=0,
    )
    model = adagrad.init_model(vocab, 100, rng)
    order = rng.permutation(nnz).astype(np.int32)
    adagrad.train_epoch(cooc, model, order[:1000], workers=1)  # compiled before timing
    started = time.perf_counter()
    adagrad.train_epoch(cooc, model, order, workers=1)
    epoch = time.perf_counter() - started

    main = threading.main_thread().ident
    timer = threading.Timer(epoch * 0.1, signal.pthread_kill, (main, signal.SIGTERM))
    with interrupts.signals_raise():
        started = time.perf_counter()
        timer.start()
        with pytest.raises(interrupts.Interrupted):
            adagrad.train_epoch(cooc, model, order, workers=1, slice_size=nnz // 30)
        stopped = time.perf_counter() - started
    timer.join()
    assert stopped < epoch * 0.6, (stopped, epoch)


# --- --continue and --update ------------------------------------------------------------------


@pytest.mark.parametrize("algo", ALGOS)
def test_continue_trains_further_on_the_models_own_corpus(tmp_path, corpus, algo):
    first = api.train(corpus, output=tmp_path / "m", **dict(SMALL, algo=algo, epochs=3))
    more = api.train(continue_from=first.path, epochs=2, workers=1)
    assert more.path == tmp_path / "m-continued"
    assert more.words == first.words  # same vocabulary, same rows
    assert not np.array_equal(more.kv.vectors, first.kv.vectors)
    further = more.card["trained_further"]
    assert further["mode"] == "continue" and further["epochs_before"] == 3
    assert len(more.card["training"]["epochs"]) == 2
    if algo != "fasttext":
        # it goes on from the trained model: its first epoch is better than a fresh first
        first_losses = [e["loss"] for e in first.card["training"]["epochs"]]
        assert more.card["training"]["epochs"][0]["loss"] < first_losses[0]
    # --force: over the model itself
    again = api.train(continue_from=first.path, epochs=1, workers=1, force=True)
    assert again.path == first.path and again.card["trained_further"]["epochs_before"] == 3


@pytest.mark.parametrize("algo", ["word2vec", "fasttext"])
def test_update_adds_the_new_words(tmp_path, corpus, algo):
    first = api.train(corpus, output=tmp_path / "m", **dict(SMALL, algo=algo, epochs=2))
    new = tmp_path / "new.txt"
    new.write_text("zebra yak quokka w1 w2 w3 w4 w5\n" * 50, encoding="utf-8")
    updated = api.train(new, update_from=first.path, epochs=2, workers=1)
    assert updated.path == tmp_path / "m-updated"
    assert updated.words[: len(first.words)] == first.words
    assert set(updated.words) - set(first.words) == {"zebra", "yak", "quokka"}
    assert updated.card["trained_further"]["new_words"] == 3
    assert set(first.words) == set(api.load(first.path).words)  # the original is untouched


def test_update_refuses_glove_and_bad_combinations(tmp_path, corpus, runner):
    model = api.train(corpus, output=tmp_path / "g", **dict(SMALL, algo="glove", epochs=1))
    app = app_main()
    result = runner.invoke(app, ["train", "--update", str(model.path), "-c", str(corpus)])
    assert_one_error(result, "--update cannot add words to a GloVe model", code=2)
    result = runner.invoke(app, ["train", "--update", str(model.path)])
    assert_one_error(result, "--update MODEL needs --corpus", code=2)
    result = runner.invoke(app, ["train", "--continue", str(model.path), "-c", str(corpus)])
    assert_one_error(result, "leave out --corpus", code=2)
    assert not (tmp_path / "g-updated").exists()


# --- real signals, the command line -------------------------------------------------------


def test_sigterm_in_epoch_3_of_5_then_the_same_command_resumes_at_3(tmp_path):
    corpus = tmp_path / "made-up.txt"
    corpus.write_text(english_text(150_000), encoding="utf-8")
    out = tmp_path / "model"
    args = ["train", "-c", str(corpus), "--lang", "en", "-o", str(out), "-w", "1", "--sg"]
    args += ["--epochs", "5", "--negative", "15", "--vector-size", "200"]
    child = Child(args, cwd=tmp_path)
    child.wait_until(lambda: any(s.startswith("epoch 2/5") for s in child.stderr), "epoch 2")
    child.signal(signal.SIGTERM)
    code, stdout, stderr = child.finish()

    assert code == 143, stderr
    assert stderr.strip().splitlines()[-1] == (
        "Interrupted: training word2vec stopped in epoch 3 of 5; epochs 1-2 are kept in a "
        "checkpoint; run the same command again to resume at epoch 3."
    )
    assert stdout == "" and not out.exists()
    assert "Traceback" not in stderr

    env = dict(os.environ, PYTHONPATH=str(REPO))
    again = subprocess.run(
        [sys.executable, "-m", "embedcli", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr
    assert "Resuming at epoch 3/5" in again.stderr
    assert [
        line.split(":")[0] for line in again.stderr.splitlines() if line.startswith("epoch")
    ] == [
        "epoch 3/5",
        "epoch 4/5",
        "epoch 5/5",
    ]
    assert json.loads((out / "model.json").read_text())["training"]["resumes"]
    assert not checkpoint.checkpoint_dir(out).exists()

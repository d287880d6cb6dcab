"""Reproducibility: --seed N --workers 1 gives byte-identical vector files in separate processes.

The processes get different PYTHONHASHSEED values on purpose: the user must not need to know
that Python's string hash is randomised per process.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import nsmc_head

ENGLISH = (
    "the king and the queen ruled the land with the wise man and the kind woman\n"
    "a man and a woman walked to the castle where the king met the queen\n"
    "the queen spoke to the woman and the king spoke to the man about the land\n"
) * 60


def embedcli(args: list[str], home: Path, hash_seed: str) -> subprocess.CompletedProcess:
    env = dict(
        os.environ,
        EMBEDCLI_HOME=str(home / "home"),
        EMBEDCLI_CACHE=str(home / "cache"),
        PYTHONHASHSEED=hash_seed,
    )
    return subprocess.run(
        [sys.executable, "-m", "embedcli", *args], env=env, capture_output=True, text=True
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("algo", ["word2vec", "fasttext", "glove"])
def test_seeded_single_worker_runs_write_identical_vectors(tmp_path, algo):
    corpus = tmp_path / "tiny.txt"
    corpus.write_text(ENGLISH, encoding="utf-8")
    hashes = []
    for run, hash_seed in enumerate(["1", "2"]):
        out = tmp_path / f"model{run}"
        args = ["train", "-c", str(corpus), "--lang", "en", "--algo", algo, "--seed", "7"]
        args += ["--workers", "1", "--min-count", "1", "--epochs", "2", "-o", str(out), "-q"]
        if algo == "fasttext":
            args += ["--bucket", "2000"]
        # separate caches: the second run tokenizes again instead of reusing the first's tokens
        done = embedcli(args, tmp_path / f"run{run}", hash_seed)
        assert done.returncode == 0, done.stderr
        hashes.append(digest(out / "vectors.kv"))
        card = json.loads((out / "model.json").read_text(encoding="utf-8"))
        assert card["reproducibility"]["seed"] == 7
        assert card["reproducibility"]["workers"] == 1
        assert card["reproducibility"]["deterministic"] is True
    assert hashes[0] == hashes[1]


def test_different_seeds_give_different_vectors(tmp_path):
    corpus = tmp_path / "tiny.txt"
    corpus.write_text(ENGLISH, encoding="utf-8")
    hashes = []
    for seed in ("7", "8"):
        out = tmp_path / f"model{seed}"
        args = ["train", "-c", str(corpus), "--lang", "en", "--seed", seed, "--workers", "1"]
        args += ["--min-count", "1", "--epochs", "1", "-o", str(out), "-q"]
        done = embedcli(args, tmp_path, "0")
        assert done.returncode == 0, done.stderr
        hashes.append(digest(out / "vectors.kv"))
    assert hashes[0] != hashes[1]


def test_multi_worker_card_says_not_repeatable(tmp_path):
    corpus = tmp_path / "tiny.txt"
    corpus.write_text(ENGLISH, encoding="utf-8")
    out = tmp_path / "model"
    args = ["train", "-c", str(corpus), "--lang", "en", "--workers", "2", "--min-count", "1"]
    done = embedcli([*args, "--epochs", "1", "-o", str(out), "-q"], tmp_path, "0")
    assert done.returncode == 0, done.stderr
    card = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert card["reproducibility"]["deterministic"] is False
    assert "--workers 1" in card["reproducibility"]["mode"]


def test_okt_tokens_do_not_depend_on_the_worker_count(tmp_path):
    corpus = tmp_path / "reviews.tsv"
    corpus.write_text(nsmc_head(400), encoding="utf-8")
    outputs = []
    for workers in ("1", "2"):
        out = tmp_path / f"tokens{workers}.txt"
        args = ["tokenize", "-c", str(corpus), "--workers", workers, "-o", str(out), "-q"]
        done = embedcli(args, tmp_path / f"w{workers}", "0")
        assert done.returncode == 0, done.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert len(outputs[0].splitlines()) == 400

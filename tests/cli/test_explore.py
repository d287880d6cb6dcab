"""`embedcli explore`: one prompt for neighbours, analogies, negatives and vectors, driven
through a real pseudo-terminal (line editing, history, Hangul) and through stdin."""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import pytest

from embedcli.cli.app import app
from tests.conftest import TOY_VECTORS, nearest_by_numpy


def test_stdin_gives_one_block_per_line(runner, toy_model):
    lines = "최민식\nman king woman\nking -man\n:vector 배우\n\n:help\n"
    result = runner.invoke(app, ["explore", "--format", "json", "-n", "3"], input=lines)
    assert result.exit_code == 0, result.output
    decoder, text, blocks = json.JSONDecoder(), result.stdout, []
    while text.strip():
        block, end = decoder.raw_decode(text.lstrip())
        blocks.append(block)
        text = text.lstrip()[end:]
    assert len(blocks) == 4  # the empty line and :help (on stderr) print no block
    similar, analogy, negative, vector = blocks
    expected = nearest_by_numpy(toy_model, ["최민식"], 3)
    assert [r["word"] for r in similar["results"]] == [w for w, _ in expected]
    assert (
        analogy["results"][0]["word"] == "queen" and analogy["question"] == "man : king = woman : ?"
    )
    assert negative["query"] == {"positive": ["king"], "negative": ["man"]}
    unit = {w: np.array(v) / np.linalg.norm(v) for w, v in TOY_VECTORS.items()}
    target = unit["king"] - unit["man"]
    scores = {w: float(u @ target / np.linalg.norm(target)) for w, u in unit.items()}
    best = max((w for w in scores if w not in ("king", "man")), key=scores.get)
    assert negative["results"][0]["word"] == best
    assert vector["results"][0]["vector"] == pytest.approx(TOY_VECTORS["배우"], abs=1e-6)
    assert "a b c" in result.stderr  # the help


def test_stdin_problems_are_one_error_line_each_and_the_rest_answered(runner, toy_model):
    result = runner.invoke(app, ["explore", "--format", "tsv"], input="없는말\n:nope\nking\n")
    assert result.exit_code == 1
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 2 and all(e.startswith("Error: ") for e in errors), result.stderr
    assert "'없는말' is not in the vocabulary" in errors[0] and ":nope" in errors[1]
    assert result.stdout.count("rank\tword\tscore") == 1  # king answered


def test_a_pseudo_terminal_with_hangul_history_and_quit(toy_model, tmp_path):
    pexpect = pytest.importorskip("pexpect")
    env = dict(os.environ, COLUMNS="100", TERM="dumb", LANG="C.UTF-8", LC_ALL="C.UTF-8")
    child = pexpect.spawn(
        sys.executable,
        ["-c", "from embedcli.cli import app; app(prog_name='embedcli')", "explore", "-n", "2"],
        env=env,
        encoding="utf-8",
        timeout=60,
    )
    try:
        child.expect("> ")
        child.sendline("최민식")
        child.expect("Nearest to 최민식")
        child.expect(nearest_by_numpy(toy_model, ["최민식"], 1)[0][0])
        child.expect("> ")
        child.sendline("man king woman")
        child.expect("queen")
        child.expect("> ")
        child.sendline("\x1b[A")  # arrow up: the previous line again, from readline's history
        child.expect("man : king = woman")
        child.expect("> ")
        child.sendline(":quit")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    history = (tmp_path / "home" / "explore_history").read_text(encoding="utf-8")
    assert "최민식" in history and "man king woman" in history

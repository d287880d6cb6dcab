"""similar / analogy / export-tsv / corpora through the CLI, on hand-made vectors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from embedcli.cli.app import app
from tests.conftest import write_model_dir

COMMANDS = ["train", "tokenize", "similar", "analogy", "export-tsv", "corpora"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(runner, command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.stdout
    assert "--help" in result.stdout


def test_top_level_help_lists_commands(runner):
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.stdout


def test_version(runner):
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("embedcli ")


def test_similar_table_uses_latest_model(runner, toy_model):
    result = runner.invoke(app, ["similar", "최민식", "--topn", "2"])
    assert result.exit_code == 0, result.output
    assert "최민수" in result.stdout
    assert "toy" in result.stdout  # the model is named in the caption


def test_similar_json_is_machine_readable(runner, toy_model):
    result = runner.invoke(app, ["similar", "king", "--format", "json", "--topn", "3"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["query"] == {"positive": ["king"], "negative": []}
    assert [r["rank"] for r in payload["results"]] == [1, 2, 3]
    assert "king" not in [r["word"] for r in payload["results"]]
    assert payload["results"][0]["score"] >= payload["results"][1]["score"]


def test_similar_tsv_with_negative(runner, toy_model):
    result = runner.invoke(
        app, ["similar", "king", "woman", "--negative", "man", "--format", "tsv"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "rank\tword\tscore"
    assert lines[1].split("\t")[1] == "queen"


def test_analogy_answers_b_minus_a_plus_c(runner, toy_model):
    result = runner.invoke(app, ["analogy", "man", "king", "woman", "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["results"][0]["word"] == "queen"
    assert payload["formula"] == "king - man + woman"
    assert payload["question"] == "man : king = woman : ?"
    assert {"man", "king", "woman"}.isdisjoint(r["word"] for r in payload["results"])


def test_analogy_table_shows_formula(runner, toy_model):
    result = runner.invoke(app, ["analogy", "man", "king", "woman"])
    assert result.exit_code == 0, result.output
    assert "king - man + woman" in result.stdout
    assert "queen" in result.stdout


def test_analogy_mul_method(runner, toy_model):
    result = runner.invoke(
        app, ["analogy", "man", "king", "woman", "--method", "mul", "--format", "tsv"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1].split("\t")[1] == "queen"


# Random vectors, so that nothing is symmetric: B - A + C, A - B + C, 3CosAdd and 3CosMul all
# rank different words first (checked below, so the tests keep telling the formulas apart).
SKEW_WORDS = ["a", "b", "c", *(f"w{i}" for i in range(12))]
SKEW = np.random.default_rng(12).normal(size=(len(SKEW_WORDS), 5))


def unit_rows() -> np.ndarray:
    return SKEW / np.linalg.norm(SKEW, axis=1, keepdims=True)


def cos_add(positive: list[str], negative: list[str]) -> np.ndarray:
    """Cosine of every word to the sum of the unit vectors of positive minus negative."""
    unit, index = unit_rows(), SKEW_WORDS.index
    target = sum(unit[index(w)] for w in positive) - sum(unit[index(w)] for w in negative)
    return unit @ target / np.linalg.norm(target)


def cos_mul(a: str, b: str, c: str) -> np.ndarray:
    """3CosMul (Levy & Goldberg 2014) with cosines moved to [0, 1] and gensim's epsilon 1e-6:
    cos'(x, b) * cos'(x, c) / (cos'(x, a) + 1e-6), where cos' = (1 + cos) / 2."""
    unit, index = unit_rows(), SKEW_WORDS.index
    shifted = (1 + unit @ unit.T) / 2
    return shifted[:, index(b)] * shifted[:, index(c)] / (shifted[:, index(a)] + 1e-6)


def ranked(scores: np.ndarray, exclude: list[str], topn: int) -> list[tuple[str, float]]:
    order = [i for i in np.argsort(-scores, kind="stable") if SKEW_WORDS[i] not in exclude]
    return [(SKEW_WORDS[i], float(scores[i])) for i in order[:topn]]


@pytest.fixture
def skew_model(tmp_path):
    vectors = {w: SKEW[i].tolist() for i, w in enumerate(SKEW_WORDS)}
    return write_model_dir(tmp_path / "skew", vectors)


def json_results(result) -> list[tuple[str, float]]:
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["results"]
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    return [(r["word"], r["score"]) for r in rows]


def assert_same_ranking(found, expected):
    assert [w for w, _ in found] == [w for w, _ in expected]
    for (word, score), (_, want) in zip(found, expected, strict=True):
        assert score == pytest.approx(want, abs=2e-6), word


def test_the_skewed_vectors_tell_the_formulas_apart():
    abc = ["a", "b", "c"]
    right = ranked(cos_add(["b", "c"], ["a"]), abc, 1)
    assert right != ranked(cos_add(["a", "c"], ["b"]), abc, 1)  # A - B + C
    assert right != ranked(cos_add(["a", "b"], ["c"]), abc, 1)  # A + B - C
    mul = ranked(cos_mul("a", "b", "c"), abc, 1)
    assert mul != right  # 3CosMul answers otherwise than 3CosAdd here
    assert mul != ranked(cos_mul("b", "a", "c"), abc, 1)
    assert mul != ranked(cos_mul("c", "b", "a"), abc, 1)


@pytest.mark.parametrize("topn", [1, 5])
def test_analogy_add_scores_equal_numpy(runner, skew_model, topn):
    args = ["analogy", "a", "b", "c", "--model", str(skew_model), "--format", "json"]
    result = runner.invoke(app, [*args, "--topn", str(topn)])
    expected = ranked(cos_add(["b", "c"], ["a"]), ["a", "b", "c"], topn)
    assert_same_ranking(json_results(result), expected)
    assert json.loads(result.stdout)["formula"] == "b - a + c"


def test_analogy_mul_scores_equal_numpy(runner, skew_model):
    args = ["analogy", "a", "b", "c", "--method", "mul", "--model", str(skew_model)]
    result = runner.invoke(app, [*args, "--format", "json", "--topn", "6"])
    expected = ranked(cos_mul("a", "b", "c"), ["a", "b", "c"], 6)
    assert_same_ranking(json_results(result), expected)
    assert json.loads(result.stdout)["method"] == "mul"


def test_analogy_table_and_tsv_show_the_computed_answers(runner, skew_model):
    expected = ranked(cos_add(["b", "c"], ["a"]), ["a", "b", "c"], 3)
    args = ["analogy", "a", "b", "c", "--model", str(skew_model), "-n", "3"]
    tsv = runner.invoke(app, [*args, "--format", "tsv"])
    assert tsv.exit_code == 0, tsv.output
    rows = [line.split("\t") for line in tsv.stdout.splitlines()[1:]]
    assert [(int(r[0]), r[1]) for r in rows] == [(i + 1, w) for i, (w, _) in enumerate(expected)]
    assert [float(r[2]) for r in rows] == pytest.approx([s for _, s in expected], abs=2e-6)
    table = runner.invoke(app, args)
    assert table.exit_code == 0, table.output
    cells = [
        [cell.strip() for cell in line.strip("│").split("│")]
        for line in table.stdout.splitlines()
        if line.startswith("│")
    ]
    assert cells == [[str(i + 1), w, f"{s:.4f}"] for i, (w, s) in enumerate(expected)]


@pytest.mark.parametrize(
    "positive, negative",
    [(["a"], []), (["a", "w3"], []), (["b", "c"], ["a"]), (["w1"], ["w2", "w5"])],
)
def test_similar_scores_equal_numpy(runner, skew_model, positive, negative):
    args = ["similar", *positive, *(f"--negative={w}" for w in negative), "-n", "4"]
    result = runner.invoke(app, [*args, "--model", str(skew_model), "--format", "json"])
    expected = ranked(cos_add(positive, negative), positive + negative, 4)
    assert_same_ranking(json_results(result), expected)


def test_analogy_needs_three_words(runner, toy_model):
    result = runner.invoke(app, ["analogy", "man", "king"])
    assert result.exit_code == 2
    assert "exactly three words" in result.stderr


def test_unknown_word_names_model_size_and_close_words(runner, toy_model):
    result = runner.invoke(app, ["similar", "최민식이"])
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: '최민식이' is not in the vocabulary of toy (8 words).")
    assert "Close: 최민식" in lines[0]
    assert "Traceback" not in result.output


def test_unknown_word_in_analogy(runner, toy_model):
    result = runner.invoke(app, ["analogy", "man", "king", "girl"])
    assert result.exit_code == 1
    assert "'girl' is not in the vocabulary" in result.stderr


@pytest.mark.parametrize(
    "args, message, code",
    [
        (["similar", "king", "--topn", "0"], "--topn 0", 2),
        (["similar", "king", "king"], "given twice", 1),
        (["analogy", "man", "king", "woman", "--method", "div"], "Unknown --method", 2),
    ],
)
def test_bad_queries_are_one_line_errors(runner, toy_model, args, message, code):
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_output_format_is_usage_error(runner, toy_model):
    result = runner.invoke(app, ["similar", "king", "--format", "xml"])
    assert result.exit_code == 2
    assert "--format must be one of" in result.stderr


def test_no_model_yet(runner):
    result = runner.invoke(app, ["similar", "king"])
    assert result.exit_code == 1
    assert "No model trained yet: run `embedcli train` first" in result.stderr


def test_model_option_picks_another_model(runner, toy_model, tmp_path):
    other = write_model_dir(tmp_path / "other", {"a": [1.0, 0.0], "b": [0.9, 0.1], "c": [0, 1]})
    result = runner.invoke(app, ["similar", "a", "--model", str(other), "--format", "tsv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1].split("\t")[1] == "b"


@pytest.mark.parametrize("kind", ["missing", "file", "empty-dir", "bad-card"])
def test_model_path_that_is_not_a_model(runner, tmp_path, kind):
    path = tmp_path / "m"
    if kind == "file":
        path.write_text("x")
    elif kind == "empty-dir":
        path.mkdir()
    elif kind == "bad-card":
        path.mkdir()
        (path / "model.json").write_text("{not json")
    result = runner.invoke(app, ["similar", "a", "--model", str(path)])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_export_tsv_writes_projector_files(runner, toy_model, tmp_path):
    result = runner.invoke(app, ["export-tsv", "--top-n", "5"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "toy-projector"
    tensor = (out / "tensor.tsv").read_text().splitlines()
    metadata = (out / "metadata.tsv").read_text(encoding="utf-8").splitlines()
    assert len(tensor) == len(metadata) == 5
    assert metadata[:3] == ["man", "woman", "king"]
    assert [float(x) for x in tensor[2].split("\t")] == [1.0, 0.0, 1.0, 0.0]
    assert (out / "projector_config.pbtxt").exists()
    assert json.loads((out / "projector_config.json").read_text())["embeddings"]


def test_export_tsv_refuses_to_overwrite_without_force(runner, toy_model, tmp_path):
    out = tmp_path / "proj"
    out.mkdir()
    (out / "tensor.tsv").write_text("precious\n")
    result = runner.invoke(app, ["export-tsv", "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert (out / "tensor.tsv").read_text() == "precious\n"
    assert not (out / "metadata.tsv").exists()
    result = runner.invoke(app, ["export-tsv", "-o", str(out), "--force", "--with-counts"])
    assert result.exit_code == 0, result.output
    assert (out / "metadata.tsv").read_text(encoding="utf-8").splitlines()[0] == "word\tcount"


def test_corpora_lists_registry(runner):
    result = runner.invoke(app, ["corpora", "--format", "tsv"])
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert rows[0][:3] == ["name", "lang", "where"]
    assert ["nsmc", "ko", "shipped"] in [r[:3] for r in rows]
    assert ["nsmc-upstream", "ko", "download"] in [r[:3] for r in rows]


def test_python_dash_m_runs(tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "embedcli", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("embedcli ")

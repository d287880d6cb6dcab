"""`embedcli plot` from the command line: each kind of plot, the options, the error paths."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import embedcli
from embedcli.cli import app
from tests.conftest import REPO, assert_one_error
from tests.plot.conftest import ACTORS


def test_help(runner):
    result = runner.invoke(app, ["plot", "--help"])
    assert result.exit_code == 0
    for option in ("--neighbors", "--top-n", "--analogy", "--loss", "--method", "--coords"):
        assert option in result.stdout


def test_words_to_the_default_png(runner, korean_model, tmp_path):
    result = runner.invoke(app, ["plot", *ACTORS, "재밌다"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "kmodel-words.png"
    assert result.stdout.strip() == out.name
    assert out.read_bytes().startswith(b"\x89PNG") and out.stat().st_size > 10_000


def test_neighbourhood_as_svg_holds_the_neighbours(runner, korean_model, tmp_path):
    result = runner.invoke(app, ["plot", "--neighbors", "최민식", "--topn", "5", "-o", "n.svg"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "n.svg").read_text(encoding="utf-8")
    for word, _ in embedcli.load(korean_model).similar("최민식", topn=5):
        assert f"<!-- {word} -->" in text


def test_analogy_draws_two_arrows_in_the_page(runner, korean_model, tmp_path):
    result = runner.invoke(app, ["plot", "--analogy", "최민식", "재밌다", "한석규", "-o", "a.html"])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "a.html").read_text(encoding="utf-8")
    data = json.loads(html.split('type="application/json">')[1].split("</script>")[0])
    assert data["words"][:3] == ["최민식", "재밌다", "한석규"]
    assert data["arrows"] == [[0, 1], [2, 3]]
    answer = embedcli.load(korean_model).analogy("최민식", "재밌다", "한석규", topn=1)[0][0]
    assert data["words"][3] == answer


def test_top_n_with_coords_tsv_matches_the_api(runner, korean_model, tmp_path):
    result = runner.invoke(app, ["plot", "--top-n", "12", "-o", "t.png", "--coords", "t.tsv"])
    assert result.exit_code == 0, result.output
    lines = (tmp_path / "t.tsv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "word\tx\ty\tcount"
    rows = [line.split("\t") for line in lines[1:]]
    model = embedcli.load(korean_model)
    assert [r[0] for r in rows] == model.words[:12]
    assert [int(r[3]) for r in rows] == [model.kv.get_vecattr(w, "count") for w in model.words[:12]]
    expected = model.plot(top_n=12).map.coords
    assert np.allclose(np.array([[float(r[1]), float(r[2])] for r in rows]), expected, atol=1e-5)


def test_loss_curve_from_the_card(runner, tmp_path):
    from tests.conftest import write_model_dir

    path = write_model_dir(tmp_path / "trained")
    card = json.loads((path / "model.json").read_text())
    card["training"] = {"epochs": [{"epoch": e, "loss": 10.0 / e} for e in range(1, 6)]}
    (path / "model.json").write_text(json.dumps(card))
    result = runner.invoke(app, ["plot", "--loss", "-m", str(path), "-o", "loss.svg"])
    assert result.exit_code == 0, result.output
    assert "Training loss" in (tmp_path / "loss.svg").read_text(encoding="utf-8")


def test_api_returns_the_figure_and_writes_nothing(korean_model, tmp_path):
    made = embedcli.load(korean_model).plot(["최민식", "한석규", "재밌다"])
    assert made.path is None and list(tmp_path.glob("*.png")) == []
    assert made.map.words == ["최민식", "한석규", "재밌다"]
    assert made.figure.axes[0].get_title().startswith("3 words")


@pytest.mark.parametrize(
    ("args", "needles", "code"),
    [
        (["없는말"], ["'없는말' is not in the vocabulary"], 1),
        (["--neighbors", "없는말"], ["'없는말' is not in the vocabulary"], 1),
        (["--top-n", "0"], ["--top-n 0"], 2),
        (["최민식", "-o", "map.pdf"], [".pdf", ".png, .svg or .html"], 2),
        (["최민식", "--top-n", "5"], ["WORDS and --top-n"], 2),
        (["--method", "mds"], ["pca, tsne, umap"], 2),
        (["--loss"], ["no training losses"], 1),
    ],
)
def test_errors_are_one_line(runner, korean_model, args, needles, code):
    result = runner.invoke(app, ["plot", *args])
    assert_one_error(result, *needles, code=code)


def test_an_existing_output_needs_force(runner, korean_model, tmp_path):
    (tmp_path / "map.png").write_bytes(b"mine")
    result = runner.invoke(app, ["plot", "최민식", "한석규", "-o", "map.png"])
    assert_one_error(result, "already exists", "--force")
    assert (tmp_path / "map.png").read_bytes() == b"mine"
    result = runner.invoke(app, ["plot", "최민식", "한석규", "-o", "map.png", "--force"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "map.png").read_bytes().startswith(b"\x89PNG")
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []


def test_similar_and_help_never_import_the_plotting_libraries(korean_model):
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from embedcli.cli import app\n"
        f"r = CliRunner().invoke(app, ['similar', '최민식', '-m', {str(korean_model)!r}])\n"
        "assert r.exit_code == 0, r.output\n"
        "heavy = ('matplotlib', 'plotly', 'openTSNE', 'umap', 'sklearn', 'fontTools')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in heavy}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout

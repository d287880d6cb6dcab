"""FastText through the same train / model directory / query path, answering unseen words."""

from __future__ import annotations

import json

import pytest

from embedcli.cli.app import app
from embedcli.query import OOV_NOTE, similar, vectors_of
from embedcli.store import model_dir as models
from embedcli.store import trust
from embedcli.training.config import TrainConfig, TrainConfigError
from embedcli.training.trainer import train

pytestmark = pytest.mark.okt

FT = dict(algo="fasttext", min_count=2, workers=1, seed=3, epochs=3, vector_size=20, bucket=20000)


@pytest.fixture(scope="module")
def ft_model_dir(okt_tokens, tmp_path_factory):
    _, tokens = okt_tokens
    reports = []
    result = train(tokens, TrainConfig(**FT), on_epoch=reports.append)
    assert [r.loss for r in reports] == [None, None, None]  # no fake zeros
    assert all(r.words_per_second > 0 for r in reports)
    out = tmp_path_factory.mktemp("ft") / "model"
    models.save_model(
        out, wv=result.wv, card={"algo": "fasttext"}, save_full=result.save_full_model
    )
    return out


@pytest.fixture(autouse=True)
def trusted_here(ft_model_dir):
    """The module's model was recorded as trusted in another test's data home."""
    trust.record(ft_model_dir / models.VECTORS_FILE)


def test_unseen_word_is_built_from_ngrams_after_save_and_load(ft_model_dir):
    loaded = models.load_model(ft_model_dir)
    assert "영화입니당" not in loaded.kv.key_to_index
    found = similar(loaded, ["영화입니당"], topn=5)
    assert found.oov == ["영화입니당"]
    assert len(found.neighbours) == 5
    vectors, oov = vectors_of(loaded, ["영화", "영화입니당"])
    assert oov == ["영화입니당"] and len(vectors[1]) == 20


def test_in_vocabulary_words_are_not_marked(ft_model_dir):
    loaded = models.load_model(ft_model_dir)
    assert similar(loaded, ["영화"], topn=3).oov == []


def test_cli_marks_oov_words(runner, ft_model_dir):
    result = runner.invoke(
        app, ["similar", "영화입니당", "--model", str(ft_model_dir), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["oov"] == {"영화입니당": OOV_NOTE}
    table = runner.invoke(app, ["similar", "영화입니당", "--model", str(ft_model_dir)])
    assert "OOV, built from character" in table.stdout
    vector = runner.invoke(
        app, ["vector", "영화입니당", "--model", str(ft_model_dir), "--format", "tsv"]
    )
    assert vector.exit_code == 0, vector.output
    assert vector.stdout.splitlines()[1].split("\t")[:2] == ["영화입니당", "True"]
    assert len(vector.stdout.splitlines()[1].split("\t")[2].split()) == 20


def test_full_model_continues_training_in_gensim(ft_model_dir):
    from gensim.models import FastText

    full = FastText.load(str(ft_model_dir / "model.gensim"))
    assert full.wv.bucket == 20000


def test_fasttext_option_checks():
    with pytest.raises(TrainConfigError, match="--max-n"):
        TrainConfig(algo="fasttext", min_n=4, max_n=3)
    config = TrainConfig(algo="fasttext")
    assert config.to_dict()["bucket"] == 2_000_000 and config.window == 5
    assert "bucket" not in TrainConfig().to_dict()

"""Bad queries: unknown or repeated words, words in a script the model never saw, bad --topn,
--method and word counts. Each is one `Error:` line, nothing on stdout, no traceback."""

from __future__ import annotations

import json
import unicodedata

import pytest

from embedcli.cli.app import app
from embedcli.store import model_dir as models
from embedcli.store import trust
from tests.conftest import assert_one_error, write_model_dir

ENGLISH = {
    "man": [1.0, 0.0, 0.0, 0.0],
    "woman": [0.0, 1.0, 0.0, 0.0],
    "king": [1.0, 0.0, 1.0, 0.0],
    "queen": [0.0, 1.0, 1.0, 0.0],
    "apple": [0.0, 0.0, 0.0, 1.0],
}
KOREAN = {
    "남자": [1.0, 0.0, 0.0, 0.0],
    "여자": [0.0, 1.0, 0.0, 0.0],
    "왕": [1.0, 0.0, 1.0, 0.0],
    "여왕": [0.0, 1.0, 1.0, 0.0],
    "사과": [0.0, 0.0, 0.0, 1.0],
}


def model_with_card(path, vectors, tokenizer=None, lang=None):
    """A hand-made model whose card names its tokenizer or corpus language, as train's does."""
    write_model_dir(path, vectors)
    card_path = path / models.CARD_FILE
    card = json.loads(card_path.read_text(encoding="utf-8"))
    if tokenizer:
        card["tokenizer"] = {"options": {"tokenizer": tokenizer}}
    if lang:
        card["corpus"] = {"lang": lang}
    card_path.write_text(json.dumps(card), encoding="utf-8")
    models.set_latest(path)
    return path


@pytest.fixture
def english(tmp_path):
    return model_with_card(tmp_path / "en-model", ENGLISH, tokenizer="english")


@pytest.fixture
def korean(tmp_path):
    return model_with_card(tmp_path / "ko-model", KOREAN, tokenizer="okt")


# --- unknown and repeated words ---------------------------------------------------------------


def test_unknown_word_gets_close_spellings(runner, english):
    result = runner.invoke(app, ["similar", "kign"])
    assert_one_error(result, "'kign' is not in the vocabulary of en-model (5 words)", "Close: king")


def test_unknown_word_in_vector(runner, english):
    result = runner.invoke(app, ["vector", "king", "quen"])
    assert_one_error(result, "'quen' is not in the vocabulary", "Close: queen")


@pytest.mark.parametrize(
    "args",
    [
        ["analogy", "man", "king", "man"],
        ["analogy", "king", "king", "woman"],
        ["similar", "king", "king"],
        ["similar", "king", "--negative", "king"],
        ["similar", "king", "--negative", "man", "--negative", "man"],
        ["vector", "queen", "queen"],
    ],
    ids=["analogy-a-c", "analogy-a-b", "similar", "similar-negative", "negatives", "vector"],
)
def test_word_given_twice(runner, english, args):
    result = runner.invoke(app, args)
    assert_one_error(result, "is given twice", "only once")


def test_decomposed_hangul_query_finds_the_composed_word(runner, korean):
    decomposed = unicodedata.normalize("NFD", "여왕")
    assert decomposed != "여왕"
    result = runner.invoke(app, ["similar", decomposed, "--format", "json", "--topn", "1"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["results"][0]["word"] == "여자"


def test_decomposed_and_composed_forms_are_one_word_given_twice(runner, korean):
    result = runner.invoke(app, ["similar", "여왕", unicodedata.normalize("NFD", "여왕")])
    assert_one_error(result, "is given twice")


# --- words in a script the model has never seen ------------------------------------------------


def test_hangul_query_on_an_english_model(runner, english):
    result = runner.invoke(app, ["similar", "사랑"])
    assert_one_error(
        result,
        "'사랑' is written in Hangul",
        "en-model has no words in that script",
        "it was trained on English text",
    )
    assert "Close" not in result.stderr


def test_latin_query_on_a_korean_model(runner, korean):
    result = runner.invoke(app, ["analogy", "man", "왕", "여자"])
    assert_one_error(result, "'man' is written in Latin", "it was trained on Korean text")


def test_script_language_from_the_corpus_when_no_tokenizer_is_named(runner, tmp_path):
    model_with_card(tmp_path / "m", KOREAN, lang="ko")
    result = runner.invoke(app, ["vector", "love"])
    assert_one_error(result, "trained on Korean text")


def test_script_named_when_the_card_says_nothing_of_language(runner, tmp_path):
    model_with_card(tmp_path / "m", {"Привет": [1.0, 0.0], "мир": [0.0, 1.0]})
    result = runner.invoke(app, ["similar", "hello"])
    assert_one_error(result, "'hello' is written in Latin", "trained on Cyrillic-script text")


def test_unknown_word_in_a_known_script_still_gets_suggestions(runner, korean):
    result = runner.invoke(app, ["similar", "여왕님"])
    assert_one_error(result, "is not in the vocabulary", "Close: 여왕")


def test_digits_are_not_refused_for_their_script(runner, english):
    result = runner.invoke(app, ["similar", "1984"])
    assert_one_error(result, "'1984' is not in the vocabulary")


def test_fasttext_does_not_build_words_of_an_unseen_script(runner, tmp_path):
    """n-grams of a Hangul word on an English FastText model hit only untrained buckets."""
    from gensim.models import FastText

    sentences = [["the", "king", "and", "the", "queen"], ["a", "man", "and", "a", "woman"]] * 20
    model = FastText(
        sentences, vector_size=8, min_count=1, workers=1, epochs=1, bucket=1000, seed=1
    )
    path = tmp_path / "ft"
    path.mkdir()
    models.save_vectors(model.wv, path / models.VECTORS_FILE)
    card = {"format": models.MODEL_FORMAT, "tokenizer": {"options": {"tokenizer": "english"}}}
    (path / models.CARD_FILE).write_text(json.dumps(card), encoding="utf-8")
    trust.record(path / models.VECTORS_FILE)  # as `train` would have

    built = runner.invoke(app, ["vector", "kings", "--model", str(path), "--format", "json"])
    assert built.exit_code == 0, built.output
    assert json.loads(built.stdout)["results"][0]["oov"] is True
    refused = runner.invoke(app, ["vector", "왕들", "--model", str(path)])
    assert_one_error(refused, "'왕들' is written in Hangul", "trained on English text")


# --- bad options and word counts: usage errors, exit 2, before any model is read ---------------


@pytest.mark.parametrize(
    "args, needle",
    [
        (["similar", "king", "--topn", "0"], "--topn 0 asks for no answers"),
        (["similar", "king", "-n", "-3"], "--topn -3 asks for no answers"),
        (["analogy", "man", "king", "woman", "--topn", "0"], "--topn 0"),
        (["analogy", "man", "king", "woman", "--method", "div"], "Unknown --method 'div'"),
        (["analogy", "man", "king"], "exactly three words A B C, got 2"),
        (["analogy", "man", "king", "woman", "queen"], "exactly three words A B C, got 4"),
        (["similar", "king", "--format", "xml"], "--format must be one of"),
        (["export-tsv", "--top-n", "0"], "--top-n 0 exports no words"),
    ],
)
def test_usage_errors_come_before_reading_the_model(runner, tmp_path, args, needle):
    """No model exists at all: the option is refused before anything is looked up."""
    result = runner.invoke(app, args)
    assert_one_error(result, needle, code=2)
    assert not (tmp_path / "home").exists()

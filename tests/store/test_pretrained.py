"""`embedcli import` and `embedcli pretrained`: other tools' vectors files, made here by the
tools' own writers, become model directories whose answers equal gensim's on the same file;
published vectors are downloaded from a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from embedcli.cli.app import app
from embedcli.store import pretrained
from tests.conftest import assert_one_error
from tests.local_http import LocalServer

WORDS = [f"w{i}" for i in range(150)] + ["영화", "배우", "감독", "king", "queen"]


@pytest.fixture(scope="module")
def fasttext_model():
    from gensim.models import FastText

    rng = np.random.default_rng(0)
    sentences = [list(rng.choice(WORDS, 10)) for _ in range(300)]
    return FastText(
        sentences, vector_size=12, min_count=1, epochs=2, workers=1, bucket=3000, seed=1
    )


def write_bin(model, path):
    from gensim.models.fasttext import save_facebook_model

    save_facebook_model(model, str(path))
    return path


def write_vec(model, path):
    model.wv.save_word2vec_format(str(path))
    return path


def write_txt_gz(model, path):
    text = tmp = path.with_suffix("")
    model.wv.save_word2vec_format(str(tmp))
    path.write_bytes(gzip.compress(text.read_bytes()))
    tmp.unlink()
    return path


def write_w2v_binary(model, path):
    model.wv.save_word2vec_format(str(path), binary=True)
    return path


def write_glove(model, path):
    with open(path, "w", encoding="utf-8") as out:
        for word, vector in zip(model.wv.index_to_key, model.wv.vectors, strict=True):
            out.write(word + " " + " ".join(repr(float(x)) for x in vector) + "\n")
    return path


FORMATS = {
    "tiny.bin": write_bin,
    "tiny.vec": write_vec,
    "tiny.txt.gz": write_txt_gz,
    "tiny.w2v.bin": write_w2v_binary,
    "glove.txt": write_glove,
}


def reference(path):
    """gensim's own reader of the file: the answers to equal."""
    from gensim.models import KeyedVectors
    from gensim.models.fasttext import load_facebook_vectors

    name = path.name
    if name == "tiny.bin":
        return load_facebook_vectors(str(path))
    if name == "glove.txt":
        return KeyedVectors.load_word2vec_format(str(path), no_header=True)
    return KeyedVectors.load_word2vec_format(str(path), binary=name.endswith(".w2v.bin"))


def answers(result):
    assert result.exit_code == 0, result.output
    return [(row["word"], row["score"]) for row in json.loads(result.stdout)["results"]]


def rounded(pairs):
    return [(word, round(score, 6)) for word, score in pairs]


@pytest.mark.parametrize("name", list(FORMATS))
def test_each_format_is_imported_and_answers_as_gensim(runner, tmp_path, fasttext_model, name):
    path = FORMATS[name](fasttext_model, tmp_path / name)
    result = runner.invoke(app, ["import", str(path), "-o", str(tmp_path / "m"), "--lang", "ko"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(tmp_path / "m")
    card = json.loads((tmp_path / "m" / "model.json").read_text(encoding="utf-8"))
    assert card["corpus"]["lang"] == "ko" and card["index"]["words"] == len(WORDS)
    import hashlib

    assert card["source"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    kv = reference(path)
    for query in (["영화"], ["w3", "king"]):
        found = runner.invoke(
            app, ["similar", *query, "-n", "8", "--model", str(tmp_path / "m"), "--format", "json"]
        )
        assert answers(found) == rounded(kv.most_similar(query, topn=8))


def test_ngram_answers_from_the_bin(runner, tmp_path, fasttext_model):
    path = write_bin(fasttext_model, tmp_path / "tiny.bin")
    assert runner.invoke(app, ["import", str(path), "-o", str(tmp_path / "m")]).exit_code == 0
    kv = reference(path)
    result = runner.invoke(
        app, ["similar", "영화관", "-n", "5", "--model", str(tmp_path / "m"), "--format", "json"]
    )
    assert answers(result) == rounded(kv.most_similar("영화관", topn=5))
    assert json.loads(result.stdout)["oov"] == {"영화관": "OOV, built from character n-grams"}
    vec = runner.invoke(
        app, ["vector", "영화관", "--model", str(tmp_path / "m"), "--format", "json"]
    )
    shown = json.loads(vec.stdout)["results"][0]["vector"]
    assert shown == [round(float(x), 6) for x in kv.get_vector("영화관")]


def test_limit_keeps_the_first_words(runner, tmp_path, fasttext_model):
    path = write_vec(fasttext_model, tmp_path / "tiny.vec")
    result = runner.invoke(app, ["import", str(path), "-o", str(tmp_path / "m"), "--limit", "40"])
    assert result.exit_code == 0, result.output
    first = fasttext_model.wv.index_to_key[:40]
    vocab = (tmp_path / "m" / "index" / "vocab.tsv").read_text(encoding="utf-8").splitlines()
    assert [line.split("\t")[1] for line in vocab] == first
    kv = reference(path)
    found = runner.invoke(
        app, ["similar", first[0], "-n", "5", "--model", str(tmp_path / "m"), "--format", "json"]
    )
    assert answers(found) == rounded(kv.most_similar(first[0], topn=5, restrict_vocab=40))


def test_bad_limit_and_lang(runner, tmp_path, fasttext_model):
    path = write_vec(fasttext_model, tmp_path / "tiny.vec")
    assert_one_error(runner.invoke(app, ["import", str(path), "--limit", "0"]), "--limit", code=2)
    assert_one_error(runner.invoke(app, ["import", str(path), "--lang", "fr"]), "ko or en", code=2)
    assert_one_error(runner.invoke(app, ["import", "no-such-thing"]), "fasttext-ko", code=2)


def test_pretrained_lists_name_language_size_url_licence(runner):
    result = runner.invoke(app, ["pretrained", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.stdout)["results"]}
    ko = rows["fasttext-ko"]
    assert ko["lang"] == "ko" and ko["licence"] == "CC BY-SA 3.0"
    assert ko["url"] == "https://dl.fbaipublicfiles.com/fasttext/vectors-crawl/cc.ko.300.bin.gz"
    assert ko["size"] and ko["cached"] is False


def test_import_by_name_downloads_then_imports(runner, tmp_path, fasttext_model, monkeypatch):
    served = gzip.compress(write_bin(fasttext_model, tmp_path / "cc.ko.300.bin").read_bytes())
    with LocalServer(tmp_path / "www").running() as server:
        server.publish("cc.ko.300.bin.gz", served)
        monkeypatch.setenv(pretrained.MIRROR_VARIABLE, server.url("ranged"))
        result = runner.invoke(app, ["import", "fasttext-ko", "-o", str(tmp_path / "ko")])
        assert result.exit_code == 0, result.output
        card = json.loads((tmp_path / "ko" / "model.json").read_text(encoding="utf-8"))
        assert card["source"]["download"]["name"] == "fasttext-ko"
        assert card["corpus"]["lang"] == "ko"
        meta = next((tmp_path / "cache").rglob("*.meta.json"))
        import hashlib

        assert json.loads(meta.read_text())["sha256"] == hashlib.sha256(served).hexdigest()
        listed = runner.invoke(app, ["pretrained", "--format", "json"])
        cached = {r["name"]: r["cached"] for r in json.loads(listed.stdout)["results"]}
        assert cached["fasttext-ko"] is True
        again = runner.invoke(app, ["import", "fasttext-ko", "-o", str(tmp_path / "ko2")])
        assert again.exit_code == 0 and len(server.requests) == 1  # from the cache
    found = runner.invoke(
        app, ["similar", "영화관", "--model", str(tmp_path / "ko"), "--format", "json"]
    )
    assert found.exit_code == 0, found.output


def test_a_corrupt_download_is_refused_in_one_line(runner, tmp_path, fasttext_model, monkeypatch):
    whole = gzip.compress(write_bin(fasttext_model, tmp_path / "x.bin").read_bytes())
    with LocalServer(tmp_path / "www").running() as server:
        server.publish("cc.ko.300.bin.gz", whole[: len(whole) // 2])
        monkeypatch.setenv(pretrained.MIRROR_VARIABLE, server.url("ranged"))
        result = runner.invoke(app, ["import", "fasttext-ko", "-q", "-o", str(tmp_path / "ko")])
    assert_one_error(result, "download of fasttext-ko", "damaged", "import fasttext-ko` again")
    assert not (tmp_path / "ko").exists()
    assert not list((tmp_path / "cache").rglob("cc.ko.300.bin.gz*"))  # the next run downloads


def test_a_failed_download_offers_import_of_a_local_file(runner, tmp_path, monkeypatch):
    """The download's messages are shared with corpora; here they offer `import FILE`, not
    `--corpus`, which `import` does not have."""
    with LocalServer(tmp_path / "www").running() as server:  # nothing published: 404
        monkeypatch.setenv(pretrained.MIRROR_VARIABLE, server.url("files"))
        result = runner.invoke(app, ["import", "fasttext-ko", "-q", "-o", str(tmp_path / "ko")])
    assert_one_error(result, "failed: HTTP 404", "embedcli import FILE")
    assert "--corpus" not in result.output
    assert not (tmp_path / "ko").exists()

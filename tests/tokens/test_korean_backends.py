"""Kiwi and MeCab behind --tokenizer: Okt-like tokens, the same pipeline, pool and token cache.

Real kiwipiepy and python-mecab-ko; a test of a backend whose package is not installed is
skipped, saying so. Okt (a JVM) is started only by the agreement test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

from embedcli.cli.app import app
from embedcli.corpora.readers import iter_documents
from embedcli.corpora.registry import resolve_corpus
from embedcli.errors import OptionsError, TokenizerError
from embedcli.tokens.cache import sidecar_path, tokenize_corpus
from embedcli.tokens.kiwi import KiwiTokenizer
from embedcli.tokens.options import (
    TOKENIZERS,
    TokenizeOptions,
    check_available,
    default_options,
    tokenizer_version,
)
from embedcli.tokens.packages import PACKAGES, missing_package
from embedcli.tokens.runner import DocumentTokenizer, tokenize_documents, worker_layout
from tests.conftest import SHIPPED_NSMC, assert_nearest, nsmc_head


def _backend(name: str):
    why = missing_package(name)
    return pytest.param(name, marks=pytest.mark.skipif(why is not None, reason=f"{name}: {why}"))


BACKENDS = [_backend("kiwi"), _backend("mecab")]
needs_kiwi = pytest.mark.skipif(missing_package("kiwi") is not None, reason="no kiwipiepy")
needs_mecab = pytest.mark.skipif(missing_package("mecab") is not None, reason="no python-mecab-ko")


@pytest.fixture(scope="module")
def pipelines():
    """DocumentTokenizers by options, all sharing one backend object per tokenizer: Kiwi's
    model takes a second or more to load."""
    backends = {}

    def shared(name, factory):
        def make(stem=True, norm=False):
            if (name, stem, norm) not in backends:
                backends[name, stem, norm] = factory(stem=stem, norm=norm)
            return backends[name, stem, norm]

        return make

    with pytest.MonkeyPatch.context() as patch:
        for name in ("kiwi", "mecab"):
            patch.setitem(TOKENIZERS, name, shared(name, TOKENIZERS[name]))
        yield {}


def tokens(pipelines, name: str, text: str, **overrides) -> list[str]:
    key = (name, tuple(sorted(overrides.items())))
    if key not in pipelines:
        pipelines[key] = DocumentTokenizer(default_options(name, **overrides))
    return pipelines[key](text)


# MeCab reads 짜증나네요 as 짜증 + 나 (the pronoun) + 네요 (README.md), so it gets 짜증난다.
ANNOYED = {"kiwi": "짜증나네요", "mecab": "짜증난다"}


@pytest.mark.parametrize("name", BACKENDS)
def test_verbs_and_adjectives_in_dictionary_form(pipelines, name):
    assert tokens(pipelines, name, ANNOYED[name]) == ["짜증나다"]
    assert tokens(pipelines, name, "재밌었어요") == ["재밌다"]
    assert tokens(pipelines, name, "가벼운 영화") == ["가볍다", "영화"]  # irregular: 가볍-
    assert tokens(pipelines, name, "지루하고 길다") == ["지루하다", "길다"]
    assert tokens(pipelines, name, "보여줬다") == ["보여주다"]
    assert tokens(pipelines, name, "좋아하는 배우") == ["좋아하다", "배우"]
    assert tokens(pipelines, name, "영화였습니다") == ["영화", "이다"]  # the copula as Okt has it


@pytest.mark.parametrize("name", BACKENDS)
def test_textbook_stopwords_are_removed(pipelines, name):
    assert tokens(pipelines, name, "영화가 좀 잘 만들었다") == ["영화", "만들다"]
    kept = tokens(pipelines, name, "영화가 좀 잘 만들었다", stopwords=("좀",))
    assert kept[:2] == ["영화", "가"] and "잘" in kept and "좀" not in kept


@pytest.mark.parametrize("name", BACKENDS)
def test_long_runs_are_squashed_before_the_backend(pipelines, name):
    laughing = "ㅋㅋㅋㅋㅋㅋㅋ 재밌다"
    assert tokens(pipelines, name, laughing) == ["ㅋㅋㅋ", "재밌다"]
    assert tokens(pipelines, name, laughing, max_repeat=0) == ["ㅋㅋㅋㅋㅋㅋㅋ", "재밌다"]


@pytest.mark.parametrize("name", BACKENDS)
def test_only_hangul_is_tokenized(pipelines, name):
    assert tokens(pipelines, name, "최고!!! 10점 <3 good 영화 :)") == ["최고", "점", "영화"]
    assert tokens(pipelines, name, "good movie 10/10 !!!") == []


@pytest.mark.parametrize("name", BACKENDS)
def test_two_workers_give_the_tokens_of_one_in_order(pipelines, name):
    """Two workers give what one process gives (--workers 1 runs this same pipeline in one
    worker). For Kiwi, the two are threads of one worker process (`worker_layout`)."""
    docs = list(iter_documents(resolve_corpus(str(SHIPPED_NSMC))))[:300]  # tasks of 256 + 44
    two = list(tokenize_documents(docs, default_options(name), workers=2))
    assert two == [tokens(pipelines, name, doc) for doc in docs]
    assert len(two) == 300 and sum(map(len, two)) > 1_500


def test_kiwi_workers_are_threads_of_one_process_and_the_others_processes():
    assert worker_layout("kiwi", 2) == (1, 2)
    assert worker_layout("kiwi", 1) == (1, 1)
    for name in ("okt", "mecab", "english"):
        assert worker_layout(name, 2) == (2, 1)
        assert worker_layout(name, 1) == (1, 1)


@needs_kiwi
def test_kiwi_threads_give_the_tokens_of_one_thread(pipelines):
    """One call over a task's new chunks (Kiwi's threads) = one call per chunk, and the memo
    is filled: assembling the documents calls Kiwi no more."""
    docs = list(iter_documents(resolve_corpus(str(SHIPPED_NSMC))))[2000:2300]
    threaded = DocumentTokenizer(default_options("kiwi"), threads=2)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(TOKENIZERS, "kiwi", KiwiTokenizer)  # the real one, with its threads
        chunked = threaded.prefetch(docs)
    assert threaded._backend.threads == 2

    class NoMoreCalls:
        def morphs(self, text):
            raise AssertionError(f"{text!r} was not analysed by prefetch")

    threaded._backend = NoMoreCalls()
    got = [threaded.assemble(chunks) for chunks in chunked]
    assert got == [tokens(pipelines, "kiwi", doc) for doc in docs]
    assert sum(map(len, got)) > 1_500


@pytest.mark.okt
@pytest.mark.parametrize("name", BACKENDS)
def test_agrees_with_okt_on_real_reviews(pipelines, name):
    """Token-multiset Jaccard against real Okt on 50 NSMC reviews (README: about 0.6)."""
    docs = list(iter_documents(resolve_corpus(str(SHIPPED_NSMC))))[1000:1050]
    okt = DocumentTokenizer(default_options("okt"))
    shared = union = 0
    for doc in docs:
        ours, theirs = Counter(tokens(pipelines, name, doc)), Counter(okt(doc))
        shared += sum((ours & theirs).values())
        union += sum((ours | theirs).values())
    assert shared / union > 0.5


def test_cache_key_names_the_backend_and_its_version(monkeypatch):
    from embedcli.tokens import korean_rules as korean_korean_rules

    prints = {name: default_options(name).fingerprint() for name in ("okt", "kiwi", "mecab")}
    assert len(set(prints.values())) == 3
    assert tokenizer_version("kiwi").startswith("kiwipiepy-")
    assert "+model-" in tokenizer_version("kiwi")
    assert tokenizer_version("mecab").startswith("python-mecab-ko-")
    assert "+dic-" in tokenizer_version("mecab")
    monkeypatch.setattr(
        "embedcli.tokens.packages.RULES_VERSION", korean_korean_rules.RULES_VERSION + 1
    )
    assert default_options("kiwi").fingerprint() != prints["kiwi"]


@needs_mecab
def test_token_cache_is_per_backend(tmp_path):
    from embedcli.tokens.cache import cache_path, load_if_current
    from embedcli.util.atomic import sha256_file

    corpus = tmp_path / "small.tsv"
    corpus.write_text(nsmc_head(40), encoding="utf-8")
    source = resolve_corpus(str(corpus))
    mecab = tokenize_corpus(source, default_options("mecab"), workers=1)
    assert not mecab.reused and "-mecab-" in mecab.path.name
    meta = json.loads(sidecar_path(mecab.path).read_text(encoding="utf-8"))
    assert meta["options"]["tokenizer"] == "mecab"
    assert meta["tokenizer_version"] == tokenizer_version("mecab")
    assert tokenize_corpus(source, default_options("mecab"), workers=1).reused

    sha = sha256_file(corpus)
    for other in ("okt", "kiwi"):  # what a run with them would look for, and not find
        options = default_options(other)
        assert cache_path(source, sha, options) != mecab.path
        assert load_if_current(mecab.path, sha, options) is None


def test_a_missing_package_is_named_with_what_to_install(monkeypatch, runner, tiny_nsmc):
    missing = {"module": "no_such_kiwi", "dists": ("kiwipiepy", "kiwipiepy_model")}
    monkeypatch.setitem(PACKAGES, "kiwi", missing)
    with pytest.raises(TokenizerError, match="no_such_kiwi package is not installed"):
        check_available("kiwi")
    result = runner.invoke(app, ["tokenize", "-c", str(tiny_nsmc), "--tokenizer", "kiwi", "-q"])
    assert result.exit_code == 1, result.output
    assert "Error: The kiwi tokenizer cannot run" in result.stderr
    assert "pip install kiwipiepy" in result.stderr

    listing = runner.invoke(app, ["tokenizers", "--format", "json"])
    rows = {row["name"]: row for row in json.loads(listing.stdout)["results"]}
    assert rows["kiwi"]["usable"] is False and "no_such_kiwi" in rows["kiwi"]["detail"]


def test_tokenizers_command_lists_every_backend(runner, monkeypatch):
    result = runner.invoke(app, ["tokenizers"])
    assert result.exit_code == 0, result.output
    for name in ("okt", "kiwi", "mecab", "english"):
        assert name in result.stdout
    assert "docs/s" in result.stdout

    rows = json.loads(runner.invoke(app, ["tokenizers", "--format", "json"]).stdout)["results"]
    assert [row["name"] for row in rows] == ["okt", "kiwi", "mecab", "english"]
    by_name = {row["name"]: row for row in rows}
    for name in ("kiwi", "mecab"):
        assert by_name[name]["usable"] is (missing_package(name) is None)
    # The class shown follows from the figure shown, by the thresholds written here (under
    # 1,000 docs/s slow, under 5,000 medium, else fast), and the table shows both.
    for row in rows:
        figure = row["docs_per_second"]
        assert isinstance(figure, int) and figure > 0, row
        want = "slow" if figure < 1_000 else "medium" if figure < 5_000 else "fast"
        assert row["speed"] == want, row
        shown = [line for line in result.stdout.splitlines() if f" {row['name']} " in line]
        assert f"~{figure:,} ({want})" in shown[0], shown

    monkeypatch.setenv("JAVA_HOME", "/nonexistent")
    rows = json.loads(runner.invoke(app, ["tokenizers", "--format", "json"]).stdout)["results"]
    assert rows[0]["usable"] is False and "JAVA_HOME" in rows[0]["detail"]
    assert runner.invoke(app, ["tokenizers", "--format", "xml"]).exit_code == 2


def test_tokenizers_command_loads_no_model_and_starts_no_jvm():
    code = (
        "import sys, jpype\n"
        "from typer.testing import CliRunner\n"
        "from embedcli.cli import app\n"
        "result = CliRunner().invoke(app, ['tokenizers', '--format', 'json'])\n"
        "assert result.exit_code == 0, result.output\n"
        "print(sorted(m for m in ('kiwipiepy', 'mecab', 'konlpy') if m in sys.modules),"
        " jpype.isJVMStarted())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[] False"


def test_lang_and_tokenizer_must_agree(runner, tiny_nsmc):
    options = ["--lang", "en", "--tokenizer", "kiwi"]
    result = runner.invoke(app, ["tokenize", "-c", str(tiny_nsmc), *options])
    assert result.exit_code == 2, result.output
    assert "--lang en means --tokenizer english, not kiwi" in result.stderr
    with pytest.raises(OptionsError, match="Unknown tokenizer 'komoran'"):
        TokenizeOptions(tokenizer="komoran")


@needs_mecab
def test_train_with_mecab_end_to_end(runner, tiny_nsmc, tmp_path):
    from embedcli.evaluate.scoring import model_language
    from embedcli.store.model_dir import load_model

    out = tmp_path / "model"
    args = ["train", "-c", str(tiny_nsmc), "-o", str(out), "--tokenizer", "mecab"]
    small = ["--min-count", "2", "--workers", "1", "--epochs", "2", "--seed", "7"]
    result = runner.invoke(app, [*args, *small])
    assert result.exit_code == 0, result.output
    card = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert card["tokenizer"]["options"]["tokenizer"] == "mecab"
    assert card["tokenizer"]["version"].startswith("python-mecab-ko-")
    assert card["vocab_size"] > 100

    query = runner.invoke(app, ["similar", "영화", "--format", "json", "--model", str(out)])
    assert query.exit_code == 0, query.output
    words = [row["word"] for row in json.loads(query.stdout)["results"]]
    assert len(words) == 10 and all(w.strip() for w in words)
    assert_nearest(query, out, ["영화"], 10)
    model = load_model(out)
    assert model_language(model.card, model.kv) == ("ko", "tokenizer mecab")


@needs_mecab
def test_mecab_lattice_reading_matches_its_public_parse():
    """MecabTokenizer.nodes reads MeCab's lattice itself (faster); python-mecab-ko's parse()
    must give the same tokens, tags, types, expressions and spans."""
    from embedcli.tokens.mecab import MecabTokenizer

    mecab = MecabTokenizer()
    public = MecabTokenizer()
    public._lattice = None  # the fallback: python-mecab-ko's parse()
    docs = list(iter_documents(resolve_corpus(str(SHIPPED_NSMC))))[3000:3300]
    texts = [*docs, "짜증나네요 ㄷㄷ 영화관 했어요", "ㅋㅋㅋ", ""]
    compared = 0
    for text in texts:
        fast = list(mecab.nodes(text))
        assert fast == list(public.nodes(text)), text
        compared += len(fast)
    assert compared > 3_000
    assert ("네요", "VCP+EC", "Inflect", "이/VCP/*+네요/EC/*", 3, 5) in list(
        mecab.nodes("짜증나네요")
    )

"""Analogy and word-similarity evaluation: readers, scores on hand-made vectors, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from embedcli.cli.app import app
from embedcli.errors import EvalSetError
from embedcli.evaluate import scoring as eval_scoring
from embedcli.evaluate import testsets as eval_testsets
from embedcli.store import model_dir as models
from embedcli.tokens.options import TOKENIZERS, default_options
from tests.conftest import REPO, keyed_vectors, write_model_dir

# Unit axes: 0 male, 1 female, 2 royal, 3 common, 4 fruit, 5 young. Every word but princess
# has norm sqrt(2), so king - man + woman is exactly queen. The order is the frequency order:
# queen comes last, so --restrict-vocab 7 leaves it out.
HAND = {
    "man": [1, 0, 0, 1, 0, 0],
    "woman": [0, 1, 0, 1, 0, 0],
    "king": [1, 0, 1, 0, 0, 0],
    "boy": [1, 0, 0, 0, 0, 1],
    "girl": [0, 1, 0, 0, 0, 1],
    "apple": [0, 0, 0, 0, 1, 0],
    "princess": [0, 1, 1, 0, 0, 1],  # cos 0.816 to queen's direction: the runner-up
    "queen": [0, 1, 1, 0, 0, 0],
}

QUESTIONS = """\
: semantic-royalty
man king woman queen
man woman king queen
man king woman princess
man king woman duke
: gram-young
man boy woman girl
boy girl man apple
man man woman woman
"""
# semantic-royalty: right, right, wrong (queen beats princess), OOV (duke).
# gram-young: right, wrong (girl - boy + man is woman), degenerate.


@pytest.fixture
def hand_kv():
    return keyed_vectors(HAND)


@pytest.fixture
def questions_file(tmp_path) -> Path:
    path = tmp_path / "questions.txt"
    path.write_text(QUESTIONS, encoding="utf-8")
    return path


def counts(score: eval_scoring.AnalogyScore) -> tuple:
    return score.questions, score.scored, score.correct, score.skipped


def skipped(**nonzero) -> dict:
    return {reason: nonzero.get(reason, 0) for reason in eval_scoring.ANALOGY_SKIPS}


# --- analogy scores -------------------------------------------------------------------------


def test_hand_made_analogies_per_section_and_total(hand_kv, questions_file):
    result = eval_scoring.evaluate_analogies(
        hand_kv, eval_testsets.parse_analogies(questions_file), restrict_vocab=0
    )
    royalty, young = result.sections
    assert (royalty.name, royalty.kind) == ("semantic-royalty", "semantic")
    assert (young.name, young.kind) == ("gram-young", "syntactic")
    assert counts(royalty) == (4, 3, 2, skipped(oov=1))
    assert counts(young) == (3, 2, 1, skipped(degenerate=1))
    assert royalty.accuracy == pytest.approx(2 / 3)
    assert young.accuracy == 0.5
    assert counts(result.total) == (7, 5, 3, skipped(oov=1, degenerate=1))
    assert result.total.accuracy == 0.6
    assert result.candidates == len(HAND)


def test_restrict_vocab_skips_rare_questions_and_narrows_the_answers(hand_kv, questions_file):
    parsed = eval_testsets.parse_analogies(questions_file)
    result = eval_scoring.evaluate_analogies(hand_kv, parsed, restrict_vocab=7)  # queen is 8th
    royalty, young = result.sections
    # The two questions with queen are skipped; without queen as a candidate, princess is
    # now the answer to man : king = woman : ?, so the third question turns right.
    assert counts(royalty) == (4, 1, 1, skipped(rare=2, oov=1))
    assert counts(young) == (3, 2, 1, skipped(degenerate=1))
    assert result.candidates == 7
    tiny = eval_scoring.evaluate_analogies(hand_kv, parsed, restrict_vocab=3)
    assert counts(tiny.total) == (7, 0, 0, skipped(oov=1, rare=5, degenerate=1))
    assert tiny.total.accuracy is None
    everything = eval_scoring.evaluate_analogies(hand_kv, parsed, restrict_vocab=100)
    assert everything.candidates == len(HAND) and everything.total.correct == 3


def test_answers_do_not_depend_on_batch_size(monkeypatch):
    rng = np.random.default_rng(3)
    unit = rng.normal(size=(50, 8)).astype(np.float32)
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    questions = np.array([rng.choice(50, size=3, replace=False) for _ in range(40)])
    whole = eval_scoring.answer_analogies(unit, questions)
    monkeypatch.setattr("embedcli.evaluate.scoring.BATCH_CELLS", 120)  # 2 questions per batch
    assert np.array_equal(eval_scoring.answer_analogies(unit, questions), whole)
    # Brute force: nearest by cosine to b - a + c among the other words.
    for row, answer in zip(questions, whole, strict=True):
        target = unit[row[1]] - unit[row[0]] + unit[row[2]]
        sims = unit @ target / np.linalg.norm(target)
        sims[row] = -np.inf
        assert answer == int(np.argmax(sims)) and answer not in row


def test_same_accuracy_as_gensim_evaluate_word_analogies(tmp_path):
    rng = np.random.default_rng(11)
    dim, n_pairs = 30, 40
    offset = rng.normal(size=dim)
    vectors = {}
    for i in range(n_pairs):
        x = rng.normal(size=dim)
        vectors[f"x{i}"] = x
        vectors[f"y{i}"] = x + offset + rng.normal(scale=1.2, size=dim)
    for k in range(100):
        vectors[f"w{k}"] = rng.normal(size=dim)
    order = list(vectors)
    rng.shuffle(order)
    kv = keyed_vectors({w: vectors[w] for w in order})
    lines = [": capital-planted"]
    for n in range(300):
        if n == 150:
            lines.append(": gram-planted")
        i, j = rng.choice(n_pairs, size=2, replace=False)
        lines.append(f"x{i} y{i} x{j} y{j}")
        if n % 25 == 0:
            lines.append(f"x{i} y{i} x{j} unknownword")
    path = tmp_path / "planted.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    ours = eval_scoring.evaluate_analogies(
        kv, eval_testsets.parse_analogies(path), restrict_vocab=150
    )
    score, sections = kv.evaluate_word_analogies(
        str(path), restrict_vocab=150, case_insensitive=False
    )
    for mine, theirs in zip(ours.sections, sections[:-1], strict=True):
        assert mine.name == theirs["section"]
        assert mine.correct == len(theirs["correct"])
        assert mine.scored == len(theirs["correct"]) + len(theirs["incorrect"])
    assert ours.total.accuracy == pytest.approx(score)
    assert 0.2 < score < 0.9  # neither trivially right nor trivially wrong
    assert ours.total.skipped["oov"] == 12 and ours.total.skipped["rare"] > 0


# --- looking words up through the tokenizer ------------------------------------------------


class FakeTokenizer:
    """A normaliser that records which words it was asked about."""

    def __init__(self, answers: dict[str, list[str]]):
        self.answers = answers
        self.asked: list[str] = []

    def __call__(self, word: str) -> list[str]:
        self.asked.append(word)
        return self.answers.get(word, [word])


def test_word_lookup_rule(hand_kv):
    fake = FakeTokenizer({"Man": ["man"], "kings": ["king", "s"], "!!!": [], "Duke": ["duke"]})
    lookup = eval_scoring.WordLookup(hand_kv.key_to_index, fake)
    assert lookup("man") == eval_scoring.Lookup("as-is", 0)
    assert lookup("Man") == eval_scoring.Lookup("normalised", 0, ("man",))
    assert lookup("kings").status == "split"
    assert lookup("!!!") == eval_scoring.Lookup("split", None, ())
    assert lookup("Duke").status == "oov" and lookup("duke").status == "oov"
    lookup("Man")
    assert fake.asked == ["Man", "kings", "!!!", "Duke", "duke"]  # in-vocab words never; once each
    assert eval_scoring.WordLookup(hand_kv.key_to_index)("Man") == eval_scoring.Lookup("oov")


def test_normalised_split_and_degenerate_questions(hand_kv, tmp_path):
    path = tmp_path / "q.txt"
    path.write_text(
        ": family\nMan king Woman queen\nman kings woman queens\nMan man king queen\n",
        encoding="utf-8",
    )
    fake = FakeTokenizer({"Man": ["man"], "Woman": ["woman"], "kings": ["king", "s"]})
    result = eval_scoring.evaluate_analogies(hand_kv, eval_testsets.parse_analogies(path), 0, fake)
    (family,) = result.sections
    assert counts(family) == (3, 1, 1, skipped(split=1, degenerate=1))
    assert family.normalised == 1
    assert result.normalised_words == {"Man": "man", "Woman": "woman"}
    assert result.split_words == {"kings": ["king", "s"]}
    assert result.to_dict()["split_words"] == {"count": 1, "examples": {"kings": ["king", "s"]}}


@pytest.mark.okt
def test_real_okt_normalises_or_splits_korean_surface_forms(tmp_path):
    vocab = ["남자", "여자", "왕", "여왕", "자동차", "밥", "물"]
    rng = np.random.default_rng(0)
    kv = keyed_vectors({w: rng.normal(size=4) for w in vocab})
    okt = eval_scoring.card_normaliser({"tokenizer": {"options": default_options("okt").to_dict()}})
    analogies = tmp_path / "ko_syntactic.txt"
    analogies.write_text(
        "# 조사 (3 pairs)\n남자 왕 여자 여왕\n밥 밥을 물 물을\n자동차 자동차를 밥 밥\n",
        encoding="utf-8",
    )
    pairs = tmp_path / "ko_ws.csv"
    pairs.write_text("자동차를,밥,5\n밥을,물,3\n남자,여자,7\nParis,물,1\n", encoding="utf-8")
    lookup = eval_scoring.WordLookup(kv.key_to_index, okt)
    found = eval_scoring.evaluate_analogies(kv, eval_testsets.parse_analogies(analogies), 0, lookup)
    # The one scored question, 남자 : 왕 = 여자 : ?, answered here in NumPy (3CosAdd on unit
    # vectors, the three question words excluded): right only if that is 여왕.
    unit = {w: kv[w] / np.linalg.norm(kv[w]) for w in vocab}
    target = unit["왕"] - unit["남자"] + unit["여자"]
    answer = max(
        (w for w in vocab if w not in ("남자", "왕", "여자")), key=lambda w: unit[w] @ target
    )
    right = int(answer == "여왕")
    assert counts(found.total) == (3, 1, right, skipped(split=1, degenerate=1))
    assert found.sections[0].kind == "syntactic"
    assert found.normalised_words == {"자동차를": "자동차"}  # 를 is a stopword: one token left
    assert found.split_words == {"밥을": ["밥", "을"], "물을": ["물", "을"]}
    sims = eval_scoring.evaluate_similarity(kv, eval_testsets.parse_similarity(pairs), lookup)
    assert (sims.pairs, sims.scored, sims.normalised) == (4, 2, 1)
    assert sims.skipped == {"split": 2, "oov": 0}  # 밥을 -> 밥 을; Paris -> nothing
    assert sims.split_words == {"밥을": ["밥", "을"], "Paris": []}


def test_in_vocabulary_words_never_start_the_tokenizer(hand_kv, questions_file, monkeypatch):
    def no_okt(**kwargs):
        raise AssertionError("Okt was started")

    monkeypatch.setitem(TOKENIZERS, "okt", no_okt)
    card = {"tokenizer": {"options": default_options("okt").to_dict()}}
    model = stored_model(questions_file.parent, hand_kv, card)
    vocab_only = questions_file.parent / "in_vocab.txt"
    vocab_only.write_text(": semantic-royalty\nman king woman queen\n", encoding="utf-8")
    messages = []
    result = eval_scoring.evaluate_model(model, analogies=[vocab_only], on_status=messages.append)
    assert result.analogies[0].total.correct == 1 and result.tokenizer == "okt"
    assert messages == []
    korean = questions_file.parent / "korean.txt"
    korean.write_text(": semantic-royalty\n남자 king woman queen\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="Okt was started"):
        eval_scoring.evaluate_model(model, analogies=[korean])  # 남자 is not in the vocabulary


# --- word similarity ------------------------------------------------------------------------


def angle_kv():
    degrees = {"w0": 0, "w30": 30, "w60": 60, "w90": 90, "w180": 180, "zero": None}
    return keyed_vectors(
        {
            w: [0.0, 0.0] if d is None else [np.cos(np.radians(d)), np.sin(np.radians(d))]
            for w, d in degrees.items()
        }
    )


def test_similarity_ranks_and_oov_ratio(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text(
        "# word1\tword2\tscore\nw0\tw30\t9\nw0\tw60\t7.5\nw0\tw90\t4\nw0\tw180\t0\nw0\tnope\t5\n",
        encoding="utf-8",
    )
    result = eval_scoring.evaluate_similarity(angle_kv(), eval_testsets.parse_similarity(path))
    assert (result.pairs, result.scored) == (5, 4)
    assert result.skipped == {"split": 0, "oov": 1} and result.oov_ratio == 0.2
    assert result.spearman == pytest.approx(1.0)  # cosines 0.87, 0.5, 0, -1 fall with the scores
    cosines = [np.cos(np.radians(d)) for d in (30, 60, 90, 180)]
    assert result.pearson == pytest.approx(stats.pearsonr([9, 7.5, 4, 0], cosines)[0], abs=1e-6)


def test_similarity_equals_scipy_on_random_vectors(tmp_path):
    rng = np.random.default_rng(5)
    vectors = {f"w{i}": rng.normal(size=6) for i in range(30)}
    kv = keyed_vectors(vectors)
    drawn = [rng.choice(30, size=2, replace=False) for _ in range(40)]
    pairs = [(f"w{i}", f"w{j}", float(rng.uniform(0, 10))) for i, j in drawn]
    path = tmp_path / "pairs.csv"
    path.write_text("".join(f"{a},{b},{s}\n" for a, b, s in pairs), encoding="utf-8")
    result = eval_scoring.evaluate_similarity(kv, eval_testsets.parse_similarity(path))

    def cosine(a, b):
        x, y = vectors[a], vectors[b]
        return float(x @ y / np.linalg.norm(x) / np.linalg.norm(y))

    gold = [s for _, _, s in pairs]
    model = [cosine(a, b) for a, b, _ in pairs]
    assert result.spearman == pytest.approx(stats.spearmanr(gold, model)[0], abs=1e-6)
    assert result.pearson == pytest.approx(stats.pearsonr(gold, model)[0], abs=1e-6)
    assert result.oov_ratio == 0.0


def test_too_few_pairs_have_no_correlation(tmp_path):
    path = tmp_path / "one.tsv"
    path.write_text("w0\tw30\t9\nw0\tmissing\t3\n", encoding="utf-8")
    result = eval_scoring.evaluate_similarity(angle_kv(), eval_testsets.parse_similarity(path))
    assert result.scored == 1 and result.spearman is None and result.pearson is None
    assert result.to_dict()["oov_ratio"] == 0.5


# --- readers --------------------------------------------------------------------------------


def test_reads_kor2vec_analogy_headers_and_bom(tmp_path):
    path = tmp_path / "my_semantic.txt"
    path.write_bytes(
        "# 국가 - 수도 (2 pairs)\n대한민국 서울 일본 도쿄\n\n# 남자 - 여자 (2 pairs)\r\n"
        "남자 여자 왕 여왕\r\n".encode("utf-8-sig")
    )
    parsed = eval_testsets.parse_analogies(path)
    assert parsed.header == "#"
    assert [(s.name, s.kind) for s in parsed.sections] == [
        ("국가 - 수도", "semantic"),
        ("남자 - 여자", "semantic"),
    ]
    assert parsed.sections[0].questions[0] == eval_testsets.Question(
        2, ("대한민국", "서울", "일본", "도쿄")
    )
    assert parsed.sections[1].questions[0].words[3] == "여왕"  # no stray \r


def test_colon_headers_take_hash_lines_as_comments_and_kinds_from_names(tmp_path):
    path = tmp_path / "mine.txt"
    path.write_text(
        "# my own questions\n: capitals\na b c d\n: gram-plural\ne f g h\n"
        ": syntactic-things\ni j k l\n: empty\n",
        encoding="utf-8",
    )
    parsed = eval_testsets.parse_analogies(path)
    assert [(s.name, s.kind) for s in parsed.sections] == [
        ("capitals", "unknown"),  # only questions-words.txt itself makes plain names semantic
        ("gram-plural", "syntactic"),
        ("syntactic-things", "syntactic"),
    ]
    headerless = tmp_path / "plain.txt"
    headerless.write_text("a b c d\n", encoding="utf-8")
    assert [s.name for s in eval_testsets.parse_analogies(headerless).sections] == ["plain"]


def test_reads_the_shipped_kor2vec_sets():
    base = REPO / "corpora" / "eval" / "ko"
    semantic = eval_testsets.parse_analogies(base / "kor_analogy_semantic.txt")
    syntactic = eval_testsets.parse_analogies(base / "kor_analogy_syntactic.txt")
    assert [len(s.questions) for s in semantic.sections] == [210, 210]
    assert [len(s.questions) for s in syntactic.sections] == [210] * 4
    assert {s.kind for s in semantic.sections} == {"semantic"}
    assert {s.kind for s in syntactic.sections} == {"syntactic"}
    assert semantic.sections[0].name == "국가 - 수도"
    ws = eval_testsets.parse_similarity(base / "kor_ws353.csv")
    assert ws.delimiter == "comma" and len(ws.pairs) == 323
    assert ws.pairs[0] == eval_testsets.Pair(1, "사랑", "섹스", 6.77)  # the BOM is not part of 사랑


def test_reads_gensims_english_sets():
    analogies, similarity = eval_testsets.default_test_sets("en")
    parsed = eval_testsets.parse_analogies(analogies[0])
    assert parsed.questions == 19544 and len(parsed.sections) == 14
    kinds = [s.kind for s in parsed.sections]
    assert kinds == ["semantic"] * 5 + ["syntactic"] * 9
    assert [len(eval_testsets.parse_similarity(p).pairs) for p in similarity] == [353, 999]


def test_similarity_separators_and_header_line(tmp_path):
    spaced = tmp_path / "men.txt"
    spaced.write_text("sun sunlight 50\nbird avian 48\n", encoding="utf-8")
    assert eval_testsets.parse_similarity(spaced).pairs[1] == eval_testsets.Pair(
        2, "bird", "avian", 48.0
    )
    headed = tmp_path / "headed.csv"
    headed.write_text('word1,word2,score\n"a",b,1\n', encoding="utf-8")
    assert eval_testsets.parse_similarity(headed).pairs == [eval_testsets.Pair(2, "a", "b", 1.0)]


@pytest.mark.parametrize(
    "reader, text, message",
    [
        (
            "analogies",
            ": s\na b c d\na b c\n",
            "bad.txt line 3: expected 4 words (a b c d), found 3",
        ),
        ("analogies", "", "holds no analogy questions"),
        ("analogies", ": only\n: headers\n", "holds no analogy questions"),
        ("similarity", "# just a comment\n", "holds no word pairs"),
        ("similarity", "a\tb\t1\nc\td\n", "bad.txt line 2: expected 3 fields"),
        ("similarity", "a\tb\t1\nc\td\thigh\n", "bad.txt line 2: the score 'high' is not a"),
        ("similarity", "a,b,1\nc,d,nan\n", "line 2: the score 'nan' is not finite"),
    ],
)
def test_ill_formed_files_name_file_and_line(tmp_path, reader, text, message):
    path = tmp_path / "bad.txt"
    path.write_text(text, encoding="utf-8")
    parse = (
        eval_testsets.parse_analogies if reader == "analogies" else eval_testsets.parse_similarity
    )
    with pytest.raises(EvalSetError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse(path)


def test_missing_directory_and_binary_files(tmp_path):
    with pytest.raises(EvalSetError, match="analogy file .*nope.txt does not exist"):
        eval_testsets.parse_analogies(tmp_path / "nope.txt")
    with pytest.raises(EvalSetError, match="is a directory"):
        eval_testsets.parse_similarity(tmp_path)
    binary = tmp_path / "vectors.bin"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(EvalSetError, match="not UTF-8"):
        eval_testsets.parse_similarity(binary)


# --- choosing sets and tokenizer from the model card ----------------------------------------


def test_language_from_card_or_vocabulary(hand_kv):
    okt = {"tokenizer": {"options": {"tokenizer": "okt"}}}
    english = {"tokenizer": {"options": {"tokenizer": "english"}}}
    assert eval_scoring.model_language(okt, hand_kv) == ("ko", "tokenizer okt")
    assert eval_scoring.model_language(english, hand_kv) == ("en", "tokenizer english")
    assert eval_scoring.model_language({}, hand_kv) == ("en", "guessed from the vocabulary")
    korean = keyed_vectors({"영화": [1, 0], "배우": [0, 1], "ok": [1, 1]})
    assert eval_scoring.model_language({}, korean) == ("ko", "guessed from the vocabulary")


def test_card_normaliser_rebuilds_the_training_tokenizer():
    assert eval_scoring.card_normaliser({}) is None
    english = eval_scoring.card_normaliser(
        {"tokenizer": {"options": default_options("english").to_dict()}}
    )
    assert english("Athens") == ["athens"] and english("don't") == ["don't"]


def test_default_sets_are_shipped(monkeypatch, tmp_path):
    analogies, similarity = eval_testsets.default_test_sets("ko")
    assert [p.name for p in analogies + similarity] == [
        "kor_analogy_semantic.txt",
        "kor_analogy_syntactic.txt",
        "kor_ws353.csv",
    ]
    assert all(p.is_file() for p in analogies + similarity)
    monkeypatch.setenv("EMBEDCLI_CORPORA", str(tmp_path))
    with pytest.raises(EvalSetError, match="kor_analogy_semantic.txt is missing.*EMBEDCLI_CORPORA"):
        eval_testsets.default_test_sets("ko")


def test_fasttext_words_outside_the_vocabulary_are_oov(tmp_path):
    from gensim.models import FastText

    sentences = [["man", "king", "woman", "queen", "apple"]] * 20
    ft = FastText(sentences, vector_size=8, min_count=1, epochs=1, workers=1, bucket=1000, seed=1)
    model = stored_model(tmp_path, ft.wv, {})
    path = tmp_path / "q.txt"
    path.write_text(": s\nman king woman queen\nman king woman queens\n", encoding="utf-8")
    result = eval_scoring.evaluate_model(model, analogies=[path], restrict_vocab=0)
    assert result.analogies[0].total.scored == 1
    assert result.analogies[0].total.skipped["oov"] == 1  # queens has n-grams, still OOV
    assert eval_scoring.FASTTEXT_NOTE in result.notes


# --- the CLI --------------------------------------------------------------------------------


@pytest.fixture
def hand_model(tmp_path) -> Path:
    path = write_model_dir(tmp_path / "hand", HAND)
    models.set_latest(path)
    return path


@pytest.fixture
def pairs_file(tmp_path) -> Path:
    path = tmp_path / "pairs.tsv"
    path.write_text("man\twoman\t8\nking\tqueen\t9\nman\tapple\t1\nman\tduke\t5\n")
    return path


def test_evaluate_help(runner):
    result = runner.invoke(app, ["evaluate", "--help"])
    assert result.exit_code == 0, result.output
    for option in ("--analogies", "--similarity", "--restrict-vocab", "--save", "--format"):
        assert option in result.stdout
    assert "evaluate" in runner.invoke(app, ["--help"]).stdout


def test_evaluate_json(runner, hand_model, questions_file, pairs_file):
    args = ["evaluate", str(hand_model), "--analogies", str(questions_file)]
    args += ["--similarity", str(pairs_file), "--restrict-vocab", "0", "--format", "json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    (analogies,) = payload["analogies"]["sets"]
    assert analogies["name"] == "questions.txt"
    assert [s["accuracy"] for s in analogies["sections"]] == [pytest.approx(2 / 3, abs=1e-6), 0.5]
    assert analogies["total"]["skipped"] == skipped(oov=1, degenerate=1)
    summary = payload["analogies"]["summary"]
    assert (summary["semantic"]["correct"], summary["semantic"]["scored"]) == (2, 3)
    assert (summary["syntactic"]["correct"], summary["syntactic"]["scored"]) == (1, 2)
    assert summary["all"]["accuracy"] == 0.6 and summary["unknown"]["questions"] == 0
    (similarity,) = payload["similarity"]
    assert (similarity["pairs"], similarity["scored"], similarity["oov_ratio"]) == (4, 3, 0.25)
    assert payload["model"]["vocab_size"] == 8 and payload["restrict_vocab"] == 0
    assert payload["language"] == "en" and payload["tokenizer"] is None
    assert any("names no tokenizer" in note for note in payload["notes"])


def test_evaluate_table(runner, hand_model, questions_file, pairs_file):
    args = ["evaluate", "--analogies", str(questions_file), "--similarity", str(pairs_file)]
    result = runner.invoke(app, [*args, "--restrict-vocab", "7"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Analogies: questions.txt" in out and "Word similarity" in out
    assert "semantic-royalty" in out and "gram-young" in out
    assert "100.0%" in out and "66.7%" in out  # restricted: royalty 1/1; all 2/3
    assert "nearest of the 7 most frequent words" in out


def test_evaluate_save_writes_the_same_numbers_into_the_card(
    runner, hand_model, questions_file, pairs_file
):
    args = ["evaluate", "--analogies", str(questions_file), "--similarity", str(pairs_file)]
    result = runner.invoke(app, [*args, "--save", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "Saved the evaluation into" in result.stderr
    card = json.loads((hand_model / "model.json").read_text(encoding="utf-8"))
    assert card["algo"] == "hand-made" and card["format"] == models.MODEL_FORMAT
    saved = card["evaluation"]
    assert saved.pop("evaluated_at") and saved.pop("embedcli_version")
    assert saved == json.loads(result.stdout)
    assert not list(hand_model.glob(".*tmp*"))
    assert models.load_model(hand_model).card["evaluation"]["analogies"]["summary"]["all"]


def test_default_sets_follow_the_models_tokenizer(runner, tmp_path):
    path = write_model_dir(tmp_path / "en", HAND)
    card = json.loads((path / "model.json").read_text())
    card["tokenizer"] = {"options": default_options("english").to_dict()}
    (path / "model.json").write_text(json.dumps(card))
    result = runner.invoke(app, ["evaluate", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert [s["name"] for s in payload["analogies"]["sets"]] == ["questions-words.txt"]
    assert [s["name"] for s in payload["similarity"]] == ["wordsim353.tsv", "simlex999.txt"]
    assert payload["language_from"] == "tokenizer english" and payload["tokenizer"] == "english"
    assert payload["restrict_vocab"] == 30000
    assert "test words that are not in the vocabulary as they are (english)" in result.stderr
    korean = runner.invoke(app, ["evaluate", str(path), "--lang", "ko", "--format", "json"])
    assert korean.exit_code == 0, korean.output
    sets = json.loads(korean.stdout)["analogies"]["sets"]
    assert [s["name"] for s in sets] == ["kor_analogy_semantic.txt", "kor_analogy_syntactic.txt"]


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--analogies", "nope.txt"], "Error: The analogy file nope.txt does not exist."),
        (["--similarity", "bad.tsv"], "Error: bad.tsv line 2: expected 3 fields"),
        (["--analogies", "."], "Error: . is a directory"),
    ],
)
def test_evaluate_errors_are_one_line(runner, hand_model, tmp_path, extra, message):
    (tmp_path / "bad.tsv").write_text("a\tb\t1\na b 2\n", encoding="utf-8")
    result = runner.invoke(app, ["evaluate", *extra])
    assert result.exit_code == 1, result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith(message)
    assert result.stdout == ""


def test_evaluate_missing_model_and_bad_format(runner, tmp_path):
    result = runner.invoke(app, ["evaluate", str(tmp_path / "no-such-model")])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: Model ") and "does not exist" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    result = runner.invoke(app, ["evaluate", "--format", "tsv"])
    assert result.exit_code == 2 and "--format must be one of table, json" in result.stderr
    result = runner.invoke(app, ["evaluate", "--lang", "fr"])
    assert result.exit_code == 2 and "Unknown --lang 'fr'" in result.stderr


def stored_model(path, kv, card):
    """A loaded model as `load_model` makes it, around KeyedVectors made here."""
    from embedcli.store.query_index import QueryIndex

    index = QueryIndex.from_keyed_vectors(kv)
    return models.Model(
        path=path,
        card=card,
        index=index,
        _kv=kv,
        ngram_loader=(lambda: kv) if index.ngrams else None,
    )

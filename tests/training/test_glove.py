"""GloVe: vocabulary, exact co-occurrence counts, the training kernel against plain NumPy."""

from __future__ import annotations

import numpy as np
import pytest

from embedcli.errors import CorpusError, EmbedcliError, OptionsError
from embedcli.training.glove import adagrad as glove_adagrad
from embedcli.training.glove import cooccur as glove_cooccur
from embedcli.training.glove import vocab as glove_vocab

# Two lines longer than the window, OOV words (x, y, z with min_count 3), a word repeated
# within the window (self pairs), an empty line, a line of one word, a tab and a CRLF, and a
# last line without a newline.
TOY = "a b c a d x e b a\n\nb b x b c\nd\ne a\tc y d e z e a b\r\nc a a e"


def lines_of(text: str) -> list[list[str]]:
    return [line.split() for line in text.split("\n")]


def brute_force(lines: list[list[str]], vocab: glove_vocab.Vocab, window: int) -> dict:
    """X as a dict, by the definition: OOV words removed first, then every pair at distance
    d <= window on a line adds 1/d to (w, c) and to (c, w)."""
    index = vocab.index
    counts: dict[tuple[int, int], float] = {}
    for line in lines:
        ids = [index[w] for w in line if w in index]
        for p, w in enumerate(ids):
            for q in range(max(0, p - window), p):
                c = ids[q]
                for key in ((w, c), (c, w)):
                    counts[key] = counts.get(key, 0.0) + 1.0 / (p - q)
    return counts


def as_dict(cooc: glove_cooccur.Cooccurrences) -> dict:
    return {
        (int(i), int(j)): float(v)
        for i, j, v in zip(cooc.rows, cooc.cols, cooc.values, strict=True)
    }


def assert_same_counts(cooc: glove_cooccur.Cooccurrences, expected: dict) -> None:
    got = as_dict(cooc)
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-12), key


def random_corpus(path, rng, lines=400, words=60, max_len=25) -> list[list[str]]:
    """Zipf-ish random lines (some empty), written to path."""
    weights = 1.0 / np.arange(1, words + 1)
    weights /= weights.sum()
    corpus = []
    for _ in range(lines):
        n = int(rng.integers(0, max_len))
        corpus.append([f"w{k}" for k in rng.choice(words, size=n, p=weights)])
    path.write_text("\n".join(" ".join(line) for line in corpus) + "\n", encoding="utf-8")
    return corpus


@pytest.fixture
def toy(tmp_path):
    path = tmp_path / "toy.txt"
    path.write_bytes(TOY.encode("utf-8"))
    return path


# --- vocabulary ---------------------------------------------------------------------------


def test_vocab_sorted_by_count_ties_by_first_occurrence(toy):
    vocab = glove_vocab.build_vocab(toy, min_count=3)
    # counts: a 7, b 6, e 5, c 4, d 3; x 2, y 1 and z 1 are below min_count.
    assert vocab.words == ["a", "b", "e", "c", "d"]
    assert vocab.counts.tolist() == [7, 6, 5, 4, 3]
    assert vocab.total_tokens == 29
    assert vocab.index["e"] == 2


def test_vocab_ties_keep_first_occurrence_order(tmp_path):
    path = tmp_path / "ties.txt"
    path.write_text("q p r\nr p q s\n", encoding="utf-8")
    vocab = glove_vocab.build_vocab(path, min_count=1)
    assert vocab.words == ["q", "p", "r", "s"]
    assert vocab.counts.tolist() == [2, 2, 2, 1]


def test_vocab_min_count_and_max_vocab(toy):
    assert glove_vocab.build_vocab(toy, min_count=5).words == ["a", "b", "e"]
    assert glove_vocab.build_vocab(toy, min_count=1, max_vocab=2).words == ["a", "b"]
    assert len(glove_vocab.build_vocab(toy, min_count=1)) == 8


def test_vocab_many_words_grows_the_table(tmp_path):
    # More distinct words than the first table holds, and long ones, to exercise growth.
    path = tmp_path / "many.txt"
    words = [f"{'긴' * (k % 50)}{k}" for k in range(70_000)]
    path.write_text(" ".join(words) + "\n" + " ".join(words[:10]) + "\n", encoding="utf-8")
    vocab = glove_vocab.build_vocab(path, min_count=1)
    assert len(vocab) == 70_000
    assert vocab.words[:10] == words[:10]
    assert vocab.counts[:10].tolist() == [2] * 10
    assert sorted(vocab.words[10:]) == sorted(words[10:])


# --- co-occurrences -----------------------------------------------------------------------


@pytest.mark.parametrize("window", [1, 2, 3, 10])
def test_cooccurrences_equal_brute_force(toy, window):
    vocab = glove_vocab.build_vocab(toy, min_count=3)
    cooc = glove_cooccur.count_cooccurrences(toy, vocab, window=window, workers=1)
    assert_same_counts(cooc, brute_force(lines_of(TOY), vocab, window))
    assert cooc.vocab_size == len(vocab)
    assert cooc.rows.dtype == np.int32 and cooc.cols.dtype == np.int32


def test_oov_words_are_removed_before_windowing(toy):
    # "a d x e": with x out of the vocabulary, d and e are at distance 1.
    vocab = glove_vocab.build_vocab(toy, min_count=3)
    counts = as_dict(glove_cooccur.count_cooccurrences(toy, vocab, window=1, workers=1))
    d, e, b = vocab.index["d"], vocab.index["e"], vocab.index["b"]
    assert counts[(d, e)] == counts[(e, d)] == pytest.approx(2.0)  # line 1, and "d e" on line 5
    # "b b x b": the diagonal gets 1/d from both directions of each b-b pair.
    assert counts[(b, b)] == pytest.approx(2 * 2.0)


def test_cooccurrences_sorted_and_symmetric(toy):
    vocab = glove_vocab.build_vocab(toy, min_count=1)
    cooc = glove_cooccur.count_cooccurrences(toy, vocab, window=4)
    keys = cooc.rows.astype(np.int64) * cooc.vocab_size + cooc.cols
    assert np.all(np.diff(keys) > 0)
    counts = as_dict(cooc)
    assert all(counts[(j, i)] == value for (i, j), value in counts.items())


@pytest.mark.parametrize(
    ("workers", "memory_limit_bytes"), [(1, 2**30), (2, 2**30), (1, 2048), (3, 4096)]
)
def test_random_corpus_any_blocks_threads_and_spills(
    tmp_path, monkeypatch, workers, memory_limit_bytes
):
    path = tmp_path / "random.txt"
    corpus = random_corpus(path, np.random.default_rng(7))
    monkeypatch.setattr("embedcli.training.glove.vocab._BLOCK_BYTES", 1000)
    monkeypatch.setattr(
        "embedcli.training.glove.cooccur._BLOCK_BYTES", 1000
    )  # many blocks, cut inside lines
    vocab = glove_vocab.build_vocab(path, min_count=3)
    progress = []
    cooc = glove_cooccur.count_cooccurrences(
        path,
        vocab,
        window=5,
        workers=workers,
        memory_limit_bytes=memory_limit_bytes,
        on_progress=lambda done, total: progress.append((done, total)),
    )
    assert_same_counts(cooc, brute_force(corpus, vocab, 5))
    size = path.stat().st_size
    assert progress[-1] == (size, size)
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)
    if memory_limit_bytes < 2**20:
        assert cooc.spills > 0
    else:
        assert cooc.spills == 0
    assert cooc.peak_bytes > cooc.values.nbytes


def test_sort_without_packing_gives_the_same_counts(tmp_path, monkeypatch):
    path = tmp_path / "random.txt"
    corpus = random_corpus(path, np.random.default_rng(3), lines=100)
    monkeypatch.setattr("embedcli.training.glove.cooccur._PACK_BITS", 0)  # fall back to argsort
    vocab = glove_vocab.build_vocab(path, min_count=1)
    cooc = glove_cooccur.count_cooccurrences(
        path, vocab, window=3, memory_limit_bytes=2048, workers=1
    )
    assert cooc.spills > 0
    assert_same_counts(cooc, brute_force(corpus, vocab, 3))


# --- training -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_cooc(tmp_path_factory):
    path = tmp_path_factory.mktemp("glove") / "small.txt"
    random_corpus(path, np.random.default_rng(11), lines=600, words=80)
    vocab = glove_vocab.build_vocab(path, min_count=2)
    return glove_cooccur.count_cooccurrences(path, vocab, window=5, workers=1)


def test_epoch_kernel_matches_numpy_reference(small_cooc):
    rng = np.random.default_rng(5)
    start = glove_adagrad.init_model(small_cooc.vocab_size, 12, rng)
    order = rng.permutation(small_cooc.nnz).astype(np.int32)
    fast, slow = start.copy(), start.copy()
    options = {"x_max": 3.0, "alpha": 0.75, "eta": 0.05, "grad_clip": 100.0}
    for _ in range(2):
        cost_fast = glove_adagrad.train_epoch(small_cooc, fast, order, workers=1, **options)
        cost_slow = glove_adagrad.epoch_reference(small_cooc, slow, order, **options)
        assert cost_fast == pytest.approx(cost_slow, rel=1e-5)
    for name in glove_adagrad._PARAMS:
        np.testing.assert_allclose(
            getattr(fast, name), getattr(slow, name), rtol=1e-4, atol=1e-6, err_msg=name
        )
        assert not np.array_equal(getattr(fast, name), getattr(start, name)), name


def test_gradient_clipping_and_bias_steps_follow_glove_c():
    # One pair, X = 1e6 so f = 1; a large diff makes fdiff * w exceed the clip.
    cooc = glove_cooccur.Cooccurrences(
        rows=np.array([0], np.int32),
        cols=np.array([1], np.int32),
        values=np.array([1e6]),
        vocab_size=2,
        peak_bytes=0,
    )
    model = glove_adagrad.init_model(2, 4, np.random.default_rng(0))
    model.W[0] = 0.5
    model.W_ctx[1] = 0.25
    before = model.copy()
    diff = 4 * 0.5 * 0.25 + before.b[0] + before.b_ctx[1] - np.log(1e6)
    glove_adagrad.train_epoch(
        cooc, model, np.array([0], np.int32), grad_clip=1.0, eta=0.05, workers=1
    )
    # Word step: clip(diff * 0.25) * eta / sqrt(1); bias step: diff / sqrt(1), no eta.
    np.testing.assert_allclose(model.W[0], 0.5 - np.clip(diff * 0.25, -1, 1) * 0.05, rtol=1e-6)
    np.testing.assert_allclose(model.b[0], before.b[0] - diff, rtol=1e-6)
    np.testing.assert_allclose(model.gradsq_b[0], 1 + diff * diff, rtol=1e-6)


def test_cost_falls_over_epochs(small_cooc):
    seen = []
    model = glove_adagrad.train_glove(
        small_cooc,
        vector_size=10,
        x_max=10.0,
        epochs=8,
        workers=1,
        on_epoch=lambda epoch, cost, seconds: seen.append((epoch, cost)),
    )
    assert [epoch for epoch, _ in seen] == list(range(1, 9))
    assert [cost for _, cost in seen] == model.costs
    # Falls fast, then levels off (the bias steps, without eta, jitter a little).
    assert model.costs[1] < 0.75 * model.costs[0]
    assert all(
        later < 1.01 * earlier for earlier, later in zip(model.costs, model.costs[1:], strict=False)
    )
    assert model.costs[-1] < model.costs[1]
    vectors = model.word_vectors()
    assert vectors.shape == (small_cooc.vocab_size, 10)
    np.testing.assert_array_equal(vectors, model.W + model.W_ctx)
    # Two Hogwild threads on this tiny matrix collide often, but still learn.
    hogwild = glove_adagrad.train_glove(small_cooc, vector_size=10, x_max=10.0, epochs=8, workers=2)
    assert hogwild.costs[-1] < 0.75 * hogwild.costs[0]


def test_one_worker_is_repeatable_and_the_seed_matters(small_cooc):
    def train(seed):
        return glove_adagrad.train_glove(small_cooc, vector_size=8, epochs=3, seed=seed, workers=1)

    first, again, other = train(1), train(1), train(2)
    for name in glove_adagrad._PARAMS:
        np.testing.assert_array_equal(getattr(first, name), getattr(again, name))
    assert first.costs == again.costs
    assert not np.allclose(first.word_vectors(), other.word_vectors())


def test_training_restores_numba_thread_count(small_cooc):
    import numba

    before = numba.get_num_threads()
    glove_adagrad.train_glove(small_cooc, vector_size=4, epochs=1, workers=1)
    assert numba.get_num_threads() == before


def test_shuffled_is_a_permutation(monkeypatch):
    rng = np.random.default_rng(0)
    monkeypatch.setattr("embedcli.training.glove.adagrad._SHUFFLE_BUCKET", 16)  # several buckets
    values = np.arange(1000, dtype=np.int32)
    out = glove_adagrad.shuffled(values, rng, np.empty_like(values))
    assert sorted(out.tolist()) == values.tolist()
    assert not np.array_equal(out, values)
    again = glove_adagrad.shuffled(values, np.random.default_rng(0), np.empty_like(values))
    np.testing.assert_array_equal(out, again)


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"vector_size": 0}, "vector_size must be at least 1"),
        ({"epochs": 0}, "epochs must be at least 1"),
        ({"x_max": 0.0}, "x_max must be positive"),
        ({"eta": 0.0}, "eta must be positive"),
        ({"eta": -1.0, "alpha": -0.5}, "alpha must be 0 or more .*; eta must be positive"),
        ({"workers": 0}, "workers must be 1 or more"),
    ],
)
def test_bad_training_options(small_cooc, options, message):
    with pytest.raises(OptionsError, match=message):
        glove_adagrad.train_glove(small_cooc, **options)


def test_bad_counting_options(toy):
    vocab = glove_vocab.build_vocab(toy, min_count=3)
    for window in (0, 10**6):
        with pytest.raises(OptionsError, match="window must be between 1 and 10000"):
            glove_cooccur.count_cooccurrences(toy, vocab, window=window)
    with pytest.raises(OptionsError, match="workers must be 1 or more"):
        glove_cooccur.count_cooccurrences(toy, vocab, workers=0)
    with pytest.raises(OptionsError, match="min_count must be at least 1"):
        glove_vocab.build_vocab(toy, min_count=0)
    with pytest.raises(OptionsError, match="max_vocab must be at least 1"):
        glove_vocab.build_vocab(toy, max_vocab=0)


def test_min_count_above_every_count(toy):
    with pytest.raises(OptionsError, match="No word occurs 100 times .* Lower --min-count"):
        glove_vocab.build_vocab(toy, min_count=100)


def test_no_cooccurrences(tmp_path):
    path = tmp_path / "single.txt"
    path.write_text("a\nb\na\nb\n", encoding="utf-8")
    vocab = glove_vocab.build_vocab(path, min_count=1)
    with pytest.raises(CorpusError, match="No two in-vocabulary words share a line"):
        glove_cooccur.count_cooccurrences(path, vocab, window=5)
    empty = glove_cooccur.Cooccurrences(
        rows=np.zeros(0, np.int32),
        cols=np.zeros(0, np.int32),
        values=np.zeros(0),
        vocab_size=2,
        peak_bytes=0,
    )
    with pytest.raises(EmbedcliError, match="co-occurrence matrix is empty"):
        glove_adagrad.train_glove(empty)


def test_kernel_inputs_are_checked(small_cooc):
    model = glove_adagrad.init_model(small_cooc.vocab_size - 1, 4, np.random.default_rng(0))
    order = np.arange(small_cooc.nnz, dtype=np.int32)
    with pytest.raises(EmbedcliError, match="Model array W has shape"):
        glove_adagrad.train_epoch(small_cooc, model, order)
    model = glove_adagrad.init_model(small_cooc.vocab_size, 4, np.random.default_rng(0))
    with pytest.raises(EmbedcliError, match="order has entries outside"):
        glove_adagrad.train_epoch(small_cooc, model, order + 1)


def test_missing_empty_and_non_utf8_files(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        glove_vocab.build_vocab(tmp_path / "nope.txt")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="has no tokens"):
        glove_vocab.build_vocab(empty)
    latin = tmp_path / "latin.txt"
    latin.write_bytes("caf\xe9 ".encode("latin-1") * 10)
    with pytest.raises(CorpusError, match="is not UTF-8"):
        glove_vocab.build_vocab(latin, min_count=1)


def test_errors_are_one_line(toy):
    with pytest.raises(OptionsError) as info:
        glove_vocab.build_vocab(toy, min_count=100)
    assert "\n" not in str(info.value)

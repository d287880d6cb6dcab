"""Training embeddings on a tokenized corpus.

`train(tokens, config)` returns a `TrainResult` holding the trained gensim model; the model
directory (vectors, full model, card) is written by `embedcli.store.model_dir.save_model`.

Word2Vec runs in gensim's `corpus_file` mode, where every worker thread reads its own slice of
the token file, so all cores are used without a Python job queue in the way. Two things gensim
gets wrong in that mode are fixed here:

* Loss: gensim keeps one cumulative float32 counter, and in corpus_file mode each worker thread
  starts from the same value and writes its own total back at the end, so the counter holds
  only the last thread's share. Each thread is given its own counter here and an epoch's loss
  is the sum of its threads' counters, reported per epoch, not cumulatively.
* Progress: there is none inside an epoch (a thread reports when its slice is done), so
  progress is reported per epoch with that epoch's loss and words/s."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from embedcli.errors import OptionsError, cut
from embedcli.tokens.cache import TokenizedCorpus

ALGORITHMS = ("word2vec", "fasttext", "glove")

# Defaults that differ by algorithm; None in TrainConfig means "this algorithm's default".
ALGO_DEFAULTS = {
    "word2vec": {"window": 5, "epochs": 5, "alpha": 0.025},
    "fasttext": {"window": 5, "epochs": 5, "alpha": 0.025},
    "glove": {"window": 10, "epochs": 15, "alpha": 0.75},
}


class TrainConfigError(OptionsError):
    """Training options that cannot work together."""


@dataclass(frozen=True)
class TrainConfig:
    """The training knobs; defaults are the textbook's (gensim's, with min_count 5).

    `alpha` is the initial learning rate for word2vec and fasttext, and the weighting exponent
    of GloVe (whose learning rate is `eta`), as in each algorithm's reference tool.
    """

    algo: str = "word2vec"
    vector_size: int = 100
    window: int | None = None
    min_count: int = 5
    sg: bool = False  # False: CBOW
    hs: bool = False
    negative: int = 5
    sample: float = 1e-3
    epochs: int | None = None
    alpha: float | None = None
    min_alpha: float = 0.0001
    workers: int | None = None  # None: one per core
    seed: int = 1
    # fasttext: character n-grams of min_n..max_n characters hashed into `bucket` rows
    min_n: int = 3
    max_n: int = 6
    bucket: int = 2_000_000
    # glove
    x_max: float = 100.0
    eta: float = 0.05
    max_vocab: int | None = None

    def __post_init__(self) -> None:
        if self.algo not in ALGORITHMS:
            raise TrainConfigError(
                f"--algo {cut(self.algo)} is not available: choose one of {', '.join(ALGORITHMS)}."
            )
        for name, value in ALGO_DEFAULTS[self.algo].items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, value)
        problems = []
        if self.vector_size < 1:
            problems.append("--vector-size must be at least 1")
        if self.window < 1:
            problems.append("--window must be at least 1")
        if self.min_count < 1:
            problems.append("--min-count must be at least 1")
        if self.epochs < 1:
            problems.append("--epochs must be at least 1")
        if self.workers is not None and self.workers < 1:
            problems.append("--workers must be 1 or more (leave it out for one per core)")
        if not 0 <= self.seed < 2**32:
            # NumPy's generators, which gensim and our GloVe seed, take only these.
            problems.append(f"--seed must be between 0 and {2**32 - 1}")
        if self.algo == "glove":
            problems += self._glove_problems()
        else:
            problems += self._gensim_problems()
        if problems:
            raise TrainConfigError("; ".join(problems) + ".")

    def _gensim_problems(self) -> list[str]:
        problems = []
        if self.negative < 0:
            problems.append("--negative must be 0 or more")
        if not self.hs and self.negative == 0:
            problems.append(
                "--hs 0 with --negative 0 leaves no training objective: use --hs or "
                "a --negative of 5-20"
            )
        if self.sample < 0:
            problems.append("--sample must be 0 (off) or a small positive number like 1e-3")
        if not 0 < self.alpha <= 1:
            problems.append("--alpha must be between 0 and 1 (gensim's default is 0.025)")
        if self.algo == "fasttext":
            if self.min_n < 1 or self.max_n < self.min_n:
                problems.append("--min-n must be at least 1 and --max-n at least --min-n")
            if self.bucket < 1:
                problems.append("--bucket must be at least 1 (gensim's default is 2000000)")
        return problems

    def _glove_problems(self) -> list[str]:
        problems = []
        if self.x_max <= 0:
            problems.append("--x-max must be positive (the GloVe paper uses 100)")
        if not 0 < self.alpha <= 1:
            problems.append("--alpha (GloVe's weighting exponent) must be in (0, 1]; 0.75 is usual")
        if self.eta <= 0:
            problems.append("--eta must be positive (GloVe's default learning rate is 0.05)")
        if self.max_vocab is not None and self.max_vocab < 1:
            problems.append("--max-vocab must be at least 1")
        return problems

    def to_dict(self) -> dict:
        """The parameters that mean something for this algorithm."""
        data = asdict(self)
        if self.algo != "fasttext":
            for name in ("min_n", "max_n", "bucket"):
                data.pop(name)
        if self.algo == "glove":
            for name in ("sg", "hs", "negative", "sample", "min_alpha"):
                data.pop(name)
        else:
            for name in ("x_max", "eta", "max_vocab"):
                data.pop(name)
        return data


@dataclass
class EpochReport:
    epoch: int  # 1-based
    epochs: int
    seconds: float
    words: int  # the corpus's words (GloVe: its co-occurrence non-zeros)
    effective_words: int  # after min_count and down-sampling
    loss: float | None  # this epoch's loss (GloVe: cost); None where the algorithm has none
    unit: str = "words"
    checkpoint_seconds: float = 0.0  # writing the checkpoint after this epoch
    resumed: bool = False  # trained by an earlier, interrupted run (from its checkpoint)

    @property
    def words_per_second(self) -> float:
        return self.words / self.seconds if self.seconds > 0 else 0.0


@dataclass
class TrainResult:
    model: object  # gensim Word2Vec / FastText, or embedcli.training.glove.adagrad.GloveModel
    wv: object  # gensim KeyedVectors (FastTextKeyedVectors for fasttext)
    config: TrainConfig
    workers: int
    corpus_words: int = 0
    corpus_documents: int = 0
    epochs: list[EpochReport] = field(default_factory=list)
    vocab_seconds: float = 0.0
    train_seconds: float = 0.0
    extra: dict = field(default_factory=dict)  # algorithm-specific facts for the card

    def reproducibility(self) -> dict:
        """How repeatable this run is, for the model card."""
        deterministic = self.workers == 1
        return {
            "seed": self.config.seed,
            "workers": self.workers,
            "deterministic": deterministic,
            "mode": (
                "deterministic: one worker thread, seeded; the same tokens give bit-identical "
                "vectors in any process"
                if deterministic
                else f"not repeatable: {self.workers} threads update shared vectors in a "
                "timing-dependent order; use --workers 1 with --seed for identical vectors"
            ),
        }

    def save_full_model(self, directory) -> str:
        """Write what further training needs; returns the file name written."""
        if hasattr(self.model, "save"):
            from embedcli.store.model_dir import FULL_MODEL_FILE

            # gensim logs a timestamped "saved" event into the pickle: same seed, different bytes
            self.model.lifecycle_events = None
            self.model.wv.lifecycle_events = None
            self.model.save(str(directory / FULL_MODEL_FILE))
            return FULL_MODEL_FILE
        return self.model.save_state(directory)


def empty_vocabulary(corpus: TokenizedCorpus, config: TrainConfig) -> TrainConfigError:
    """The error for a --min-count that no word reaches, saying what would work."""
    from collections import Counter

    # Only on this error path: count once more to say how far off the option is.
    counts: Counter = Counter()
    with open(corpus.path, encoding="utf-8") as handle:
        for line in handle:
            counts.update(line.split())
    most = max(counts.values(), default=0)
    hint = f": the most frequent word occurs {most:,} times" if most else ""
    return TrainConfigError(
        f"No word occurs {config.min_count:,} or more times in {corpus.path.name} "
        f"({corpus.tokens:,} tokens), so the vocabulary is empty. Lower --min-count{hint}. "
        "The tokens are kept, so the next run starts from them."
    )


_FLOAT = 4  # bytes of a float32, the type of every vector and weight


def memory_parts(config: TrainConfig, words: int, nonzeros: int = 0) -> dict[str, int]:
    """The large allocations of training `config` on `words` words (GloVe: and `nonzeros`
    co-occurrences), by what they hold."""
    matrix = words * config.vector_size * _FLOAT
    if config.algo == "glove":
        return {
            # W, W_ctx and their AdaGrad sums; then W + W_ctx and the KeyedVectors copy
            "word and context vectors with their AdaGrad state": 4 * matrix,
            "output vectors": 2 * matrix,
            # rows, cols (int32) and values (float64), and two shuffle orders
            "co-occurrences": nonzeros * (16 + 2 * (4 if nonzeros < 2**31 else 8)),
        }
    parts = {"vocabulary": words * (700 if config.hs else 500), "word vectors": matrix}
    if config.algo == "fasttext":
        parts["word vectors"] = 2 * matrix  # the whole-word part and the composed vectors
        # gensim draws the initial vectors as a whole new matrix, then keeps it
        parts["character n-gram buckets"] = config.bucket * config.vector_size * _FLOAT
    if config.negative or config.hs:
        parts["output weights"] = matrix * (bool(config.negative) + bool(config.hs))
    return parts


def check_memory(config: TrainConfig, words: int, nonzeros: int = 0) -> None:
    """Refuse, before allocating, a run that needs more memory than is available."""
    from embedcli.util.memory import check_fits

    remedy = {
        "word2vec": "Lower --vector-size (100-300 is usual) or raise --min-count.",
        "fasttext": "Lower --bucket (gensim's default is 2,000,000) or --vector-size (100-300 "
        "is usual), or raise --min-count.",
        "glove": "Lower --vector-size (100-300 is usual) or --max-vocab, or raise --min-count.",
    }[config.algo]
    what = f"{words:,} words x {config.vector_size:,} dimensions"
    if config.algo == "fasttext":
        what += f" and {config.bucket:,} n-gram buckets"
    if nonzeros:
        what += f" and {nonzeros:,} co-occurrences"
    check_fits(memory_parts(config, words, nonzeros), f"Training {config.algo} on {what}", remedy)


def _resolve_workers(workers: int | None) -> int:
    from embedcli.tokens.runner import default_workers

    return workers or default_workers()

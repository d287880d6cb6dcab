"""Turning documents into tokens: cleaning, the Okt tokenizer, a parallel runner.

The pipeline for each document is the textbook's, with one addition:

    keep Hangul and spaces  ->  squash long runs of one character  ->  Okt morphs(stem=True)
    ->  drop stopwords

Okt is a JVM library reached through JPype. A JVM does not survive fork(), so the parallel
runner uses `spawn` worker processes, each starting its own JVM once and then tokenizing
chunks of documents; results come back in input order.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from itertools import islice

from embedcli.errors import OptionsError, TokenizerError

# The stopword list of the NSMC Word2Vec textbook chapter.
TEXTBOOK_STOPWORDS: tuple[str, ...] = (
    "의", "가", "이", "은", "들", "는", "좀", "잘", "걍",
    "과", "도", "를", "으로", "자", "에", "와", "한", "하다",
)  # fmt: skip

# Everything but Hangul jamo, Hangul syllables and the space is removed.
_NOT_HANGUL = re.compile(r"[^ㄱ-ㅎㅏ-ㅣ가-힣 ]")
CLEANERS = ("hangul", "none")

DEFAULT_MAX_REPEAT = 3
CHUNK_SIZE = 256  # documents per task sent to a worker: big enough to hide IPC cost


@dataclass(frozen=True)
class TokenizeOptions:
    """Everything that changes the tokens; part of the token cache key."""

    tokenizer: str = "okt"
    stem: bool = True
    norm: bool = False
    clean: str = "hangul"
    max_repeat: int = DEFAULT_MAX_REPEAT  # 0 disables squashing
    stopwords: tuple[str, ...] = TEXTBOOK_STOPWORDS

    def __post_init__(self) -> None:
        if self.tokenizer not in TOKENIZERS:
            raise OptionsError(
                f"Unknown tokenizer {self.tokenizer!r}: choose one of {', '.join(TOKENIZERS)}."
            )
        if self.clean not in CLEANERS:
            raise OptionsError(
                f"Unknown cleaning {self.clean!r}: choose one of {', '.join(CLEANERS)}."
            )
        if self.max_repeat < 0:
            raise OptionsError("--max-repeat must be 0 (off) or a positive number.")

    def to_dict(self) -> dict:
        data = asdict(self)
        data["stopwords"] = list(self.stopwords)
        return data

    def fingerprint(self) -> str:
        """A short hash of the options and the tokenizer's version."""
        payload = dict(self.to_dict(), tokenizer_version=tokenizer_version(self.tokenizer))
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def clean_text(text: str, clean: str = "hangul") -> str:
    """Keep Hangul and spaces only (the textbook's regex), or leave the text as it is."""
    if clean == "hangul":
        return _NOT_HANGUL.sub("", text)
    return text


def squash_repeats(text: str, max_repeat: int = DEFAULT_MAX_REPEAT) -> str:
    """Shorten runs of one repeated non-space character to `max_repeat` characters.

    Okt's analysis time grows steeply with the length of a space-free chunk, and reviews
    such as "ㅋㅋㅋㅋㅋㅋㅋㅋ…" or "하하하하하하…" are exactly that. 0 disables squashing.
    """
    if max_repeat <= 0:
        return text
    pattern = _repeat_pattern(max_repeat)
    return pattern.sub(lambda m: m.group(1) * max_repeat, text)


_REPEAT_PATTERNS: dict[int, re.Pattern[str]] = {}


def _repeat_pattern(max_repeat: int) -> re.Pattern[str]:
    if max_repeat not in _REPEAT_PATTERNS:
        _REPEAT_PATTERNS[max_repeat] = re.compile(r"(\S)\1{" + str(max_repeat) + ",}")
    return _REPEAT_PATTERNS[max_repeat]


class OktTokenizer:
    """KoNLPy's Okt in this process's JVM (started on first use, once per process)."""

    name = "okt"

    def __init__(self, stem: bool = True, norm: bool = False) -> None:
        self.stem = stem
        self.norm = norm
        self._okt = _start_okt()

    def morphs(self, text: str) -> list[str]:
        return self._okt.morphs(text, norm=self.norm, stem=self.stem)


def _start_okt():
    try:
        import jpype
        from konlpy.tag import Okt
    except ImportError as exc:  # pragma: no cover - both are dependencies
        raise TokenizerError(
            f"Okt needs the konlpy and JPype1 packages ({exc}). Run `make install` again."
        ) from None
    try:
        if not jpype.isJVMStarted():
            _start_jvm(jpype)
        return Okt()
    except (OSError, RuntimeError, jpype.JVMNotFoundException) as exc:
        raise TokenizerError(
            f"Could not start Java for Okt ({exc}). Install a Java runtime (JDK 8 or newer, "
            "e.g. `apt install default-jre`) or set JAVA_HOME to one."
        ) from None


def _start_jvm(jpype) -> None:
    """Start the JVM the way konlpy does, with flags that suit one tokenizer per process."""
    from konlpy import utils

    javadir = os.path.join(utils.installpath, "java")
    classpath = [os.path.join(javadir, "*"), os.path.join(javadir, "bin")]
    jpype.startJVM(
        jpype.getDefaultJVMPath(),
        "-Dfile.encoding=UTF8",
        "-Xmx1024m",
        # One worker per core: a serial collector keeps the JVM from fighting its siblings
        # for cores with parallel GC threads.
        "-XX:+UseSerialGC",
        classpath=classpath,
        convertStrings=True,
    )


class EnglishTokenizer:
    """Lowercased words, keeping inner apostrophes and hyphens (don't, well-known) and numbers.

    Pure Python, no JVM: a regular expression over each whitespace-separated chunk.
    """

    name = "english"
    _WORD = re.compile(r"[a-z0-9]+(?:['’\-][a-z0-9]+)*")

    def __init__(self, stem: bool = False, norm: bool = False) -> None:
        self.stem = stem

    def morphs(self, text: str) -> list[str]:
        return [w.replace("’", "'") for w in self._WORD.findall(text.lower())]


TOKENIZERS: dict[str, Callable[..., OktTokenizer | EnglishTokenizer]] = {
    "okt": OktTokenizer,
    "english": EnglishTokenizer,
}

# What each tokenizer does by default: Okt follows the textbook; English keeps everything.
TOKENIZER_DEFAULTS = {
    "okt": {"stem": True, "clean": "hangul", "max_repeat": DEFAULT_MAX_REPEAT,
            "stopwords": TEXTBOOK_STOPWORDS},
    "english": {"stem": False, "clean": "none", "max_repeat": 0, "stopwords": ()},
}  # fmt: skip


def default_options(tokenizer: str = "okt", **overrides) -> TokenizeOptions:
    """TokenizeOptions with `tokenizer`'s defaults; None in `overrides` keeps the default."""
    if tokenizer not in TOKENIZER_DEFAULTS:
        raise OptionsError(
            f"Unknown tokenizer {tokenizer!r}: choose one of {', '.join(TOKENIZERS)}."
        )
    values = dict(TOKENIZER_DEFAULTS[tokenizer])
    values.update({k: v for k, v in overrides.items() if v is not None})
    return TokenizeOptions(tokenizer=tokenizer, **values)


def tokenizer_version(name: str) -> str:
    if name == "okt":
        from importlib.metadata import version

        return f"konlpy-{version('konlpy')}/open-korean-text-2.1.0"
    if name == "english":
        return "embedcli-english-1"
    return "unknown"


MEMO_LIMIT = 500_000  # distinct chunks remembered per process (~100 MB at most)


class DocumentTokenizer:
    """The per-document pipeline: clean, squash, tokenize, drop stopwords.

    Okt analyses each whitespace-separated chunk on its own (checked against whole-document
    calls in the tests), and chunks repeat a lot: the 1.5M chunks of the NSMC ratings are
    375K distinct ones. Each distinct chunk is therefore tokenized once per process and
    remembered, which gives the same tokens as the textbook's per-document loop for a
    fraction of the JVM time.

    The backend (for Okt, a JVM) starts on the first document that needs it, so a corpus
    that is empty after cleaning costs no JVM start.
    """

    def __init__(self, options: TokenizeOptions) -> None:
        self.options = options
        self._stopwords = frozenset(options.stopwords)
        self._backend: OktTokenizer | None = None
        self._memo: dict[str, list[str]] = {}

    def __call__(self, text: str) -> list[str]:
        text = clean_text(text, self.options.clean)
        text = squash_repeats(text, self.options.max_repeat)
        tokens: list[str] = []
        for chunk in text.split():
            found = self._memo.get(chunk)
            if found is None:
                found = self._tokenize_chunk(chunk)
                if len(self._memo) >= MEMO_LIMIT:
                    self._memo.clear()
                self._memo[chunk] = found
            tokens.extend(found)
        return tokens

    def _tokenize_chunk(self, chunk: str) -> list[str]:
        if self._backend is None:
            options = self.options
            self._backend = TOKENIZERS[options.tokenizer](stem=options.stem, norm=options.norm)
        return [t for t in self._backend.morphs(chunk) if t not in self._stopwords and t.strip()]


# --- the parallel runner -------------------------------------------------------------------

_worker_tokenizer: DocumentTokenizer | None = None


def _init_worker(options: TokenizeOptions) -> None:
    global _worker_tokenizer
    _worker_tokenizer = DocumentTokenizer(options)


def _tokenize_chunk(docs: list[str]) -> list[list[str]]:
    # A TokenizerError raised here (e.g. the JVM cannot start) travels back to the parent
    # and is re-raised there by AsyncResult.get().
    assert _worker_tokenizer is not None
    return [_worker_tokenizer(doc) for doc in docs]


def check_workers(workers: int | None) -> int:
    """The number of worker processes to use: `workers`, or one per core when None."""
    if workers is None:
        return default_workers()
    if workers < 1:
        raise OptionsError("--workers must be 1 or more (leave it out for one per core).")
    return workers


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def tokenize_documents(
    docs: Iterable[str],
    options: TokenizeOptions,
    *,
    workers: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Iterator[list[str]]:
    """Tokenize documents in `workers` spawned processes, yielding results in input order.

    `on_progress(n)` is called with the number of documents finished since the last call.
    """
    workers = check_workers(workers)
    check_available(options.tokenizer)
    ctx = multiprocessing.get_context("spawn")
    pool = ctx.Pool(workers, initializer=_init_worker, initargs=(options,))
    # A bounded window of chunks in flight keeps memory flat on corpora of any size
    # (Pool.imap would read the whole input ahead) while every worker stays busy.
    window = workers * 4
    pending: deque = deque()
    try:
        for chunk in _chunked(docs, CHUNK_SIZE):
            pending.append(pool.apply_async(_tokenize_chunk, (chunk,)))
            if len(pending) >= window:
                yield from _collect(pending.popleft(), on_progress)
        while pending:
            yield from _collect(pending.popleft(), on_progress)
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def _collect(task, on_progress: Callable[[int], None] | None) -> list[list[str]]:
    result = task.get()
    if on_progress:
        on_progress(len(result))
    return result


def check_available(name: str) -> None:
    """Fail fast, in this process, when a tokenizer cannot run here (e.g. no Java for Okt)."""
    if name == "okt":
        try:
            import jpype

            jpype.getDefaultJVMPath()
        except ImportError:  # pragma: no cover - a dependency
            raise TokenizerError("Okt needs JPype1: run `make install` again.") from None
        except Exception as exc:  # JPype raises several types for "no JVM here"
            raise TokenizerError(
                f"Okt needs Java, and none was found ({exc}). Install a Java runtime (JDK 8 "
                "or newer, e.g. `apt install default-jre`) or set JAVA_HOME to one."
            ) from None


def _chunked(items: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk

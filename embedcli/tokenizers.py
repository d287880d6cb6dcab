"""Turning documents into tokens: cleaning, the Okt and English tokenizers, a parallel runner.

The pipeline for each document is the textbook's, with one addition:

    keep Hangul and spaces  ->  squash long runs of one character  ->  Okt morphs(stem=True)
    ->  drop stopwords

Okt is a JVM library reached through JPype. A JVM does not survive fork(), so the parallel
runner uses `spawn` worker processes, each starting its own JVM once and then tokenizing
chunks of documents; results come back in input order. The English tokenizer (plain
Python, see EnglishTokenizer) runs in the same pool and writes to the same token cache, and
so do Kiwi and MeCab (embedcli.korean_backends), which replace Okt in the same pipeline.
`--lang` picks between them (`choose_tokenizer`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from itertools import islice

from embedcli.errors import OptionsError, TokenizerError, quoted
from embedcli.korean_backends import KiwiTokenizer, MecabTokenizer, backend_version, require
from embedcli.workers import START_SECONDS, WorkerFailure, WorkerPool, mark

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
                f"Unknown tokenizer {quoted(self.tokenizer)}: choose one of "
                f"{', '.join(TOKENIZERS)}."
            )
        if self.clean not in CLEANERS:
            raise OptionsError(
                f"Unknown cleaning {quoted(self.clean)}: choose one of {', '.join(CLEANERS)}."
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
        from embedcli.java import INSTALL_HINT

        raise TokenizerError(f"Could not start Java for Okt ({exc}). {INSTALL_HINT}") from None


def _start_jvm(jpype) -> None:
    """Start the JVM the way konlpy does, with flags that suit one tokenizer per process."""
    from konlpy import utils

    from embedcli.java import find_jvm

    javadir = os.path.join(utils.installpath, "java")
    classpath = [os.path.join(javadir, "*"), os.path.join(javadir, "bin")]
    jpype.startJVM(
        find_jvm(),
        "-Dfile.encoding=UTF8",
        "-Xmx1024m",
        # One worker per core: a serial collector keeps the JVM from fighting its siblings
        # for cores with parallel GC threads.
        "-XX:+UseSerialGC",
        # a crash report goes to the temp dir, not into the user's working directory
        "-XX:ErrorFile=" + os.path.join(tempfile.gettempdir(), "embedcli-jvm-crash-%p.log"),
        classpath=classpath,
        convertStrings=True,
    )


class EnglishTokenizer:
    """Lowercased English words, one whitespace-separated chunk at a time; no JVM.

    What counts as a token (each rule has a test in tests/test_english.py):

    - words of letters and digits in any script, accents and combining marks included
      (café, naïve, हिन्दी; Unicode NFC first, so a decomposed é is the same word as é);
    - inner apostrophes and single hyphens join: don't, o'clock, rock'n'roll,
      state-of-the-art (curly ’ ‘ and ʼ count as ', the Unicode hyphens as -); leading and
      trailing ones are dropped ('tis -> tis, dogs' -> dogs, -5 -> 5) and a double hyphen
      splits (well--known -> well, known);
    - numbers stay whole with inner . , : / between digits (1,000  3.14  12:30  1/2) and with
      letters attached (1990s, 3rd); digits are kept as they are, not mapped to a placeholder;
    - dotted initialisms keep their dots: u.s., e.g., a.m.;
    - a chunk that is a URL (scheme:// or www.) or an e-mail address is one token, minus
      surrounding punctuation;
    - everything else (punctuation, symbols, emoji, underscores) separates or disappears.
    """

    name = "english"

    def __init__(self, stem: bool = False, norm: bool = False) -> None:
        self.stem = stem
        self._word = _english_word_pattern()

    def morphs(self, text: str) -> list[str]:
        text = text.lower()
        has_links = "@" in text or "://" in text or "www." in text
        if text.isascii():
            # the common case: the same rules with an ASCII-only regex over the whole line (no
            # token can span whitespace); the Unicode pattern's mark alternation is slow
            if not has_links:
                return _ASCII_WORD.findall(text)
            word = _ASCII_WORD
        else:
            text = unicodedata.normalize("NFC", text).translate(_ENGLISH_CHAR_MAP)
            word = self._word
        tokens: list[str] = []
        for chunk in text.split():
            if has_links and ("@" in chunk or "://" in chunk or "www." in chunk):
                bare = chunk.lstrip(_OPENING).rstrip(_CLOSING)
                if _URL.match(bare) or _EMAIL.match(bare):
                    tokens.append(bare)
                    continue
            tokens.extend((_ASCII_WORD if chunk.isascii() else word).findall(chunk))
        return tokens


_ENGLISH_CHAR_MAP = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\uff07": "'", "\u2010": "-", "\u2011": "-"}
)
_OPENING = "\"'([{<«“"
_CLOSING = "\"'.,;:!?)]}>»”"
_URL = re.compile(r"(?:[a-z][a-z0-9+.\-]*://|www\.)[^\s/]+\S*$")
_EMAIL = re.compile(
    r"[^\W_](?:[\w.+\-]*[^\W_])?@[^\W_](?:[\w\-]*[^\W_])?(?:\.[^\W_](?:[\w\-]*[^\W_])?)+$"
)


_ASCII_WORD = re.compile(r"(?:[a-z]\.){2,}|[a-z0-9]+(?:(?:['\-]|(?<=\d)[.,:/](?=\d))[a-z0-9]+)*")


@functools.cache
def _english_word_pattern() -> re.Pattern[str]:
    r"""The word regex; built once per process (Python's `re` has no \p{M} for marks)."""
    marks = "".join(
        f"{re.escape(chr(first))}-{re.escape(chr(last))}" for first, last in _mark_ranges()
    )
    char = rf"(?:[^\W_]|[{marks}])"
    initialism = r"(?:[^\W\d_]\.){2,}"
    joiner = r"(?:['\-]|(?<=\d)[.,:/](?=\d))"
    return re.compile(rf"{initialism}|{char}+(?:{joiner}{char}+)*")


def _mark_ranges() -> list[tuple[int, int]]:
    """Code point ranges of the combining marks (Unicode categories Mn, Mc, Me)."""
    ranges: list[tuple[int, int]] = []
    for point in range(0x30000):
        if unicodedata.category(chr(point))[0] == "M":
            if ranges and ranges[-1][1] == point - 1:
                ranges[-1] = (ranges[-1][0], point)
            else:
                ranges.append((point, point))
    return ranges


Tokenizer = OktTokenizer | KiwiTokenizer | MecabTokenizer | EnglishTokenizer
TOKENIZERS: dict[str, Callable[..., Tokenizer]] = {
    "okt": OktTokenizer,
    "kiwi": KiwiTokenizer,  # embedcli.korean_backends: no JVM, tokens shaped like Okt's
    "mecab": MecabTokenizer,
    "english": EnglishTokenizer,
}
# The language each tokenizer is for.
TOKENIZER_LANGUAGES = {"okt": "ko", "kiwi": "ko", "mecab": "ko", "english": "en"}

# What each tokenizer does by default: Okt follows the textbook; English keeps everything.
TOKENIZER_DEFAULTS = {
    "okt": {"stem": True, "clean": "hangul", "max_repeat": DEFAULT_MAX_REPEAT,
            "stopwords": TEXTBOOK_STOPWORDS},
    "english": {"stem": False, "clean": "none", "max_repeat": 0, "stopwords": ()},
}  # fmt: skip
# Kiwi and MeCab run the same pipeline as Okt: Hangul only, squashing, the textbook stopwords.
TOKENIZER_DEFAULTS["kiwi"] = TOKENIZER_DEFAULTS["mecab"] = TOKENIZER_DEFAULTS["okt"]


def default_options(tokenizer: str = "okt", **overrides) -> TokenizeOptions:
    """TokenizeOptions with `tokenizer`'s defaults; None in `overrides` keeps the default."""
    if tokenizer not in TOKENIZER_DEFAULTS:
        raise OptionsError(
            f"Unknown tokenizer {quoted(tokenizer)}: choose one of {', '.join(TOKENIZERS)}."
        )
    values = dict(TOKENIZER_DEFAULTS[tokenizer])
    values.update({k: v for k, v in overrides.items() if v is not None})
    return TokenizeOptions(tokenizer=tokenizer, **values)


# The tokenizer each --lang stands for.
LANGUAGES = {"ko": "okt", "en": "english"}


def choose_tokenizer(
    tokenizer: str | None = None, lang: str | None = None, corpus_lang: str | None = None
) -> str:
    """The tokenizer to use: the one asked for, else --lang's, else the corpus's, else Okt.

    `corpus_lang` is the language a named corpus (or a recognised file) is in; an unknown or
    missing one falls through to Okt, the textbook's default.
    """
    if lang is not None and lang not in LANGUAGES:
        raise OptionsError(f"Unknown --lang {quoted(lang)}: choose one of {', '.join(LANGUAGES)}.")
    if tokenizer is not None:
        if tokenizer not in TOKENIZERS:
            raise OptionsError(
                f"Unknown tokenizer {quoted(tokenizer)}: choose one of {', '.join(TOKENIZERS)}."
            )
        if lang is not None and TOKENIZER_LANGUAGES[tokenizer] != lang:
            raise OptionsError(
                f"--lang {lang} means --tokenizer {LANGUAGES[lang]}, not {tokenizer}: give "
                "only one of the two options."
            )
        return tokenizer
    if lang is not None:
        return LANGUAGES[lang]
    return LANGUAGES.get(corpus_lang or "", "okt")


def tokenizer_version(name: str) -> str:
    if name == "okt":
        from importlib.metadata import version

        return f"konlpy-{version('konlpy')}/open-korean-text-2.1.0"
    if name in ("kiwi", "mecab"):
        return backend_version(name)
    if name == "english":
        # Bump the number whenever the rules change, so old token caches are not reused.
        return f"embedcli-english-2/unicode-{unicodedata.unidata_version}"
    return "unknown"


# Tokenizers whose `--workers` are threads of one process (their `morphs_many`), not processes.
THREADED = frozenset({"kiwi"})
MEMO_LIMIT = 500_000  # distinct chunks remembered per process (~100 MB at most)
# The longest space-free chunk a Korean backend gets in one call; longer ones are cut into
# pieces of this size. Okt's time per character grows with chunk length (measured: 1,000
# characters take ~25 s, 2,000 ~100 s; pieces of 50-200 run at its usual rate), so a
# megabyte-long chunk would stall its worker for days. No NSMC chunk (140 characters at
# most, cleaned) is cut. The English tokenizer is linear and keeps its chunks whole; chunks
# this long are not remembered, which keeps the memo's size bounded.
MAX_CHUNK_CHARS = 200


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

    def __init__(self, options: TokenizeOptions, threads: int = 1) -> None:
        self.options = options
        # Threads of the backend's own (Kiwi's); the other backends have none.
        self.threads = threads if options.tokenizer in THREADED else 1
        self._stopwords = frozenset(options.stopwords)
        self._backend: Tokenizer | None = None
        self._memo: dict[str, list[str]] = {}
        self._max_chunk = None if options.tokenizer == "english" else MAX_CHUNK_CHARS

    def __call__(self, text: str) -> list[str]:
        return self.assemble(self.chunks(text))

    def chunks(self, text: str) -> list[str]:
        """The pieces of `text` the backend analyses one by one: cleaned, squashed, split."""
        text = clean_text(text, self.options.clean)
        text = squash_repeats(text, self.options.max_repeat)
        return list(_bounded(text.split(), self._max_chunk))

    def assemble(self, chunks: list[str]) -> list[str]:
        """The tokens of a document's chunks, from the memo where it has them."""
        tokens: list[str] = []
        for chunk in chunks:
            found = self._memo.get(chunk)
            if found is None:
                found = self._tokenize_chunk(chunk)
                if len(self._memo) >= MEMO_LIMIT:
                    self._memo.clear()
                if len(chunk) <= MAX_CHUNK_CHARS:
                    self._memo[chunk] = found
            tokens.extend(found)
        return tokens

    def prefetch(self, docs: list[str]) -> list[list[str]]:
        """Each document's chunks, after analysing every chunk not yet remembered in one call.

        With a backend's own threads (Kiwi's), one call over many texts keeps them all busy;
        `assemble` then finds every chunk in the memo.
        """
        chunked = [self.chunks(doc) for doc in docs]
        new = list(dict.fromkeys(c for chunks in chunked for c in chunks if c not in self._memo))
        if new:
            self.start()
            if len(self._memo) + len(new) > MEMO_LIMIT:
                self._memo.clear()
            for chunk, morphs in zip(new, self._backend.morphs_many(new), strict=True):
                self._memo[chunk] = self._keep(morphs)
        return chunked

    def start(self) -> None:
        """Start the backend (for Okt, a JVM) now instead of on the first document."""
        if self._backend is None:
            options = self.options
            extra = {"threads": self.threads} if self.threads > 1 else {}
            backend = TOKENIZERS[options.tokenizer](stem=options.stem, norm=options.norm, **extra)
            backend.morphs("가")  # Okt loads its dictionaries on its first call
            self._backend = backend

    def _tokenize_chunk(self, chunk: str) -> list[str]:
        self.start()
        return self._keep(self._backend.morphs(chunk))

    def _keep(self, morphs: list[str]) -> list[str]:
        return [t for t in morphs if t not in self._stopwords and t.strip()]


def _bounded(chunks: list[str], size: int | None) -> Iterator[str]:
    """The chunks, each longer than `size` characters cut into pieces of at most `size`."""
    for chunk in chunks:
        if size is None or len(chunk) <= size:
            yield chunk
        else:
            yield from (chunk[i : i + size] for i in range(0, len(chunk), size))


# --- the parallel runner -------------------------------------------------------------------

_worker_tokenizer: DocumentTokenizer | None = None


def _init_worker(options: TokenizeOptions, threads: int = 1) -> None:
    global _worker_tokenizer
    _worker_tokenizer = DocumentTokenizer(options, threads)
    # Before the first task, so that the JVM's start (seconds on a busy machine) is not
    # counted in that task's time-out.
    _worker_tokenizer.start()


def _tokenize_chunk(docs: list[str]) -> list[list[str]]:
    # A TokenizerError raised here (e.g. the JVM cannot start) travels back to the parent
    # and is re-raised there.
    tokenizer = _worker_tokenizer
    assert tokenizer is not None
    if tokenizer.threads > 1:
        mark(-1)  # the backend's threads work on the whole task: no single document to name
        chunked = tokenizer.prefetch(docs)
    else:
        chunked = None
    results = []
    for position, doc in enumerate(docs):
        mark(position)  # so that a hang or a crash can be traced to its document
        results.append(tokenizer.assemble(chunked[position]) if chunked else tokenizer(doc))
    return results


def check_workers(workers: int | None) -> int:
    """The number of worker processes to use: `workers`, or one per core when None."""
    if workers is None:
        return default_workers()
    if workers < 1:
        raise OptionsError("--workers must be 1 or more (leave it out for one per core).")
    return workers


def worker_layout(tokenizer: str, workers: int) -> tuple[int, int]:
    """(processes, threads per process) for `--workers N` with `tokenizer`.

    Kiwi gets one process running N threads of its own: on the NSMC reviews, 2 threads ran
    1.7x the speed of 2 single-threaded processes (bare loop) in half the memory (one model
    loaded instead of N; BENCHMARKS.md, issue 6). Every other tokenizer gets N processes.
    """
    if workers > 1 and tokenizer in THREADED:
        return 1, workers
    return workers, 1


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


TASK_TIMEOUT_ENV = "EMBEDCLI_TASK_TIMEOUT"
# Seconds one worker may take over one task of CHUNK_SIZE documents; Okt needs well under a
# second for 256 reviews (a few more for its JVM's start), so only a hang gets near this.
DEFAULT_TASK_TIMEOUT = 300.0


def task_timeout() -> float:
    """The time-out per task: $EMBEDCLI_TASK_TIMEOUT seconds, else DEFAULT_TASK_TIMEOUT."""
    value = os.environ.get(TASK_TIMEOUT_ENV, "").strip()
    if not value:
        return DEFAULT_TASK_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise TokenizerError(
            f"{TASK_TIMEOUT_ENV}={value!r} is not a number of seconds: set it to one such as "
            f"{DEFAULT_TASK_TIMEOUT:g} (per {CHUNK_SIZE} documents), or unset it."
        )
    return seconds


def tokenize_documents(
    docs: Iterable[str],
    options: TokenizeOptions,
    *,
    workers: int | None = None,
    on_progress: Callable[[int], None] | None = None,
    first_number: int = 1,
) -> Iterator[list[str]]:
    """Tokenize documents in `workers` spawned processes, yielding results in input order.

    `on_progress(n)` is called with the number of documents finished since the last call.
    A worker that dies, or takes over `task_timeout()` seconds on one task of CHUNK_SIZE
    documents, stops the run with a TokenizerError naming the document it was on, numbered
    from `first_number`. Leaving the loop early (closing the generator) stops the workers.
    """
    workers = check_workers(workers)
    check_available(options.tokenizer)
    timeout = task_timeout()
    processes, threads = worker_layout(options.tokenizer, workers)
    pool = WorkerPool(
        processes,
        _tokenize_chunk,
        initializer=_init_worker,
        initargs=(options, threads),
        timeout=timeout,
    )
    with pool:
        # A bounded window of chunks in flight keeps memory flat on corpora of any size
        # while every worker stays busy.
        try:
            for result in pool.imap(_chunked(docs, CHUNK_SIZE), window=workers * 4):
                if on_progress:
                    on_progress(len(result))
                yield from result
        except WorkerFailure as failure:
            raise _worker_failed(failure, options, first_number, timeout) from None


def _worker_failed(
    failure: WorkerFailure, options: TokenizeOptions, first_number: int, timeout: float
) -> TokenizerError:
    chunk = failure.payload or []
    first = first_number + max(failure.task, 0) * CHUNK_SIZE
    if failure.position is not None and failure.position < len(chunk):
        text = " ".join(chunk[failure.position].split())
        excerpt = text[:40] + ("..." if len(text) > 40 else "")
        where = f"document {first + failure.position:,}, which starts '{excerpt}'"
        culprit = "that document"
    elif chunk:
        where = f"documents {first:,}-{first + len(chunk) - 1:,}"
        culprit = "the one of them to blame"
    else:
        where = culprit = ""
    if failure.kind == "timeout" and not failure.ready:
        return TokenizerError(
            f"The {options.tokenizer} worker process {failure.pid} did not start within "
            f"{max(timeout, START_SECONDS):g} s. The machine may be short of memory or very "
            "busy: try fewer --workers."
        )
    if failure.kind == "timeout":
        return TokenizerError(
            f"The {options.tokenizer} tokenizer took over {timeout:g} s on {len(chunk)} "
            f"documents and was stopped; it was on {where}. Remove or shorten {culprit}, or "
            f"allow more time with {TASK_TIMEOUT_ENV}=<seconds per {CHUNK_SIZE} documents>."
        )
    return TokenizerError(
        f"The {options.tokenizer} worker process {failure.pid} {failure.detail} "
        + (f"while on {where}" if where else "between two tasks")
        + ". If memory ran out, use fewer --workers; if a document is to blame, remove it."
    )


def check_available(name: str) -> None:
    """Fail fast, in this process, when a tokenizer cannot run here (e.g. no Java for Okt)."""
    if name == "okt":
        from embedcli.java import find_jvm

        find_jvm()
    elif name in ("kiwi", "mecab"):
        require(name)  # the package, without importing it (no model loaded here)


def _chunked(items: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk

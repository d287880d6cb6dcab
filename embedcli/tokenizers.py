"""Turning documents into tokens: cleaning, the Okt and English tokenizers, a parallel runner.

The pipeline for each document is the textbook's, with one addition:

    keep Hangul and spaces  ->  squash long runs of one character  ->  Okt morphs(stem=True)
    ->  drop stopwords

Okt is a JVM library reached through JPype. A JVM does not survive fork(), so the parallel
runner uses `spawn` worker processes, each starting its own JVM once and then tokenizing
chunks of documents; results come back in input order. The English tokenizer (plain
Python, see EnglishTokenizer) runs in the same pool and writes to the same token cache.
`--lang` picks between them (`choose_tokenizer`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import multiprocessing
import os
import re
import unicodedata
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
        text = unicodedata.normalize("NFC", text).lower().translate(_ENGLISH_CHAR_MAP)
        tokens: list[str] = []
        for chunk in text.split():
            if "@" in chunk or "://" in chunk or "www." in chunk:  # cheap test first
                bare = chunk.lstrip(_OPENING).rstrip(_CLOSING)
                if _URL.match(bare) or _EMAIL.match(bare):
                    tokens.append(bare)
                    continue
            tokens.extend(self._word.findall(chunk))
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
        raise OptionsError(f"Unknown --lang {lang!r}: choose one of {', '.join(LANGUAGES)}.")
    if tokenizer is not None:
        if tokenizer not in TOKENIZERS:
            raise OptionsError(
                f"Unknown tokenizer {tokenizer!r}: choose one of {', '.join(TOKENIZERS)}."
            )
        if lang is not None and LANGUAGES[lang] != tokenizer:
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
    if name == "english":
        # Bump the number whenever the rules change, so old token caches are not reused.
        return f"embedcli-english-2/unicode-{unicodedata.unidata_version}"
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

"""Turning documents into tokens: cleaning, the Okt and English tokenizers, a parallel runner.

The pipeline for each document is the textbook's, with one addition:

    keep Hangul and spaces  ->  squash long runs of one character  ->  Okt morphs(stem=True)
    ->  drop stopwords

Okt is a JVM library reached through JPype. A JVM does not survive fork(), so the parallel
runner uses `spawn` worker processes, each starting its own JVM once and then tokenizing
chunks of documents; results come back in input order. The English tokenizer (plain
Python, see EnglishTokenizer) runs in the same pool and writes to the same token cache, and
so do Kiwi and MeCab (embedcli.tokens.korean_rules), which replace Okt in the same pipeline.
`--lang` picks between them (`choose_tokenizer`)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from embedcli.errors import OptionsError, TokenizerError
from embedcli.tokens.cleaning import clean_text, squash_repeats
from embedcli.tokens.options import TOKENIZERS, TokenizeOptions, Tokenizer, check_available
from embedcli.tokens.pool import START_SECONDS, WorkerFailure, WorkerPool, mark

CHUNK_SIZE = 256  # documents per task sent to a worker: big enough to hide IPC cost


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


def _chunked(items: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk

"""Tokenization on a Dask cluster: the same tasks as the local pool, run by Dask workers.

`--cluster ADDRESS` names a running scheduler (`tcp://head:8786`); `local:N` starts a
LocalCluster of N single-threaded worker processes on 127.0.0.1 for this run only. The corpus
is cut into tasks of up to TASK_DOCUMENTS documents; each worker process keeps one
DocumentTokenizer (for Okt, one JVM) alive from task to task; results are taken in input
order, so the token file is the one a local run writes. At most a few tasks per worker are in
flight, so the corpus is streamed, never held. A worker that dies mid-task is Dask's
business: the scheduler gives its tasks to another worker (up to
`distributed.scheduler.allowed-failures` times). Leaving the loop early cancels what is left.

Dask is imported only here, and only when `--cluster` is used."""

from __future__ import annotations

import contextlib
import logging
import pickle
import re
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from embedcli.errors import ClusterError, OptionsError, TokenizerError, quoted
from embedcli.tokens.options import TokenizeOptions, check_available
from embedcli.tokens.runner import THREADED, DocumentTokenizer

CLUSTER_ENV = "EMBEDCLI_CLUSTER"
CONNECT_SECONDS = 5.0  # how long an unreachable scheduler may keep the user waiting
TASKS_PER_WORKER = 4  # tasks in flight per worker thread: enough to hide the round trips
LOCAL_SCHEME = "local:"
_LOCAL = re.compile(r"local:(\d+)")


@dataclass(frozen=True)
class ClusterSpec:
    """What --cluster asked for: a scheduler's address, or a LocalCluster of `local` workers."""

    address: str
    local: int | None = None  # workers of a LocalCluster started for this run

    def __str__(self) -> str:
        return self.address


def parse_cluster(value: str | None) -> ClusterSpec | None:
    """--cluster's value: None (tokenize here), `local:N`, or a scheduler address."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.startswith(LOCAL_SCHEME):
        found = _LOCAL.fullmatch(value)
        if not found or int(found.group(1)) < 1:
            raise OptionsError(
                f"--cluster {quoted(value)} is not a local cluster: write local:N with N "
                "worker processes, 1 or more (local:2)."
            )
        return ClusterSpec(value, local=int(found.group(1)))
    address = value if "://" in value else f"tcp://{value}"
    parts = urlsplit(address)
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or (parts.scheme in ("tcp", "tls") and port is None):
        raise OptionsError(
            f"--cluster {quoted(value)} is not a scheduler address: give one such as "
            "tcp://head:8786 (what `dask scheduler` prints), or local:N for N worker "
            "processes on this machine."
        )
    return ClusterSpec(address)


def check_reachable(spec: ClusterSpec, timeout: float = CONNECT_SECONDS) -> None:
    """Fail in a few seconds, before any work, when nothing listens at the scheduler's address
    (a TCP connect; the Dask handshake comes later)."""
    if spec.local is not None:
        return
    parts = urlsplit(spec.address)
    if parts.scheme not in ("tcp", "tls") or parts.port is None:
        return  # other transports (ucx, inproc) are left to Dask
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
            if parts.scheme == "tcp":
                # A Dask scheduler speaks first (its handshake) as soon as it accepts; Dask's
                # own client waits for that answer with no time limit, so a port held by
                # something else that stays silent would hang the command for ever.
                try:
                    answered = bool(sock.recv(1))
                except TimeoutError:
                    answered = False
                if not answered:
                    raise ClusterError(
                        f"Something at {spec.address} accepted the connection but did not "
                        f"answer as a Dask scheduler within {timeout:g} s (is it another "
                        "service's port?). Give the address `dask scheduler` prints, or leave "
                        f"out --cluster (and unset {CLUSTER_ENV}) to tokenize on this machine."
                    )
    except OSError as exc:
        raise _unreachable(spec, exc) from None


def _unreachable(spec: ClusterSpec, exc: BaseException) -> ClusterError:
    reason = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, TimeoutError | socket.timeout):
        reason = f"no answer within {CONNECT_SECONDS:g} s"
    return ClusterError(
        f"Cannot reach the Dask scheduler at {spec.address} ({reason}). Start it there "
        "(`dask scheduler`, then `dask worker ADDRESS` on each machine), check the address, "
        f"or leave out --cluster (and unset {CLUSTER_ENV}) to tokenize on this machine."
    )


def require_distributed() -> None:
    """Fail with what to install when Dask distributed is missing."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ClusterError(
            "--cluster needs Dask distributed, which is not installed: pip install "
            "'embedcli[cluster]' (on this machine and on every worker)."
        ) from None


@contextlib.contextmanager
def connect(spec: ClusterSpec) -> Iterator:
    """A distributed.Client on the cluster (a LocalCluster started here for `local:N`)."""
    require_distributed()
    from distributed import Client, LocalCluster

    with contextlib.ExitStack() as stack:
        if spec.local is not None:
            cluster = LocalCluster(
                n_workers=spec.local,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                # A restarted worker is expected (a killed one): no log lines on the user's
                # terminal about it.
                silence_logs=logging.CRITICAL,
            )
            stack.enter_context(cluster)
            address = cluster.scheduler_address
        else:
            address = spec.address
        try:
            client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise _unreachable(spec, exc) from None
        stack.enter_context(client)
        yield client


# --- on the workers ----------------------------------------------------------------------------

# One tokenizer per worker process and options, kept from task to task: for Okt its JVM
# starts once per process. Tasks on one worker take turns on it (the lock): run workers
# with one thread each (`dask worker --nthreads 1`); Kiwi uses the worker's threads itself.
_tokenizers: dict[str, DocumentTokenizer] = {}
_lock = threading.Lock()


def _worker_tokenizer(options: TokenizeOptions) -> DocumentTokenizer:
    key = options.fingerprint()
    tokenizer = _tokenizers.get(key)
    if tokenizer is None:
        threads = 1
        if options.tokenizer in THREADED:
            with contextlib.suppress(ValueError, AttributeError):
                from distributed import get_worker

                threads = max(1, get_worker().state.nthreads)
        tokenizer = DocumentTokenizer(options, threads)
        tokenizer.start()
        _tokenizers[key] = tokenizer
    return tokenizer


def tokenize_task(options: TokenizeOptions, payload: bytes) -> bytes:
    """One task on a worker: the tokens of the pickled `docs`, as the local pool's task gives
    them, pickled.

    Documents and tokens travel as one pickle each way rather than as lists: Dask walks a
    list's every item to choose a serializer, which cost the workers a third of their time
    (py-spy); a bytes object it sends as it is. (Dask's own messages are pickles already:
    this adds no new trust between the client and its workers.)
    """
    docs = pickle.loads(payload)
    with _lock:
        tokenizer = _worker_tokenizer(options)
        if tokenizer.threads > 1:
            chunked = tokenizer.prefetch(docs)
            tokens = [tokenizer.assemble(chunks) for chunks in chunked]
        else:
            tokens = [tokenizer(doc) for doc in docs]
    return pickle.dumps(tokens, protocol=pickle.HIGHEST_PROTOCOL)


# --- on the client ----------------------------------------------------------------------------

# Documents per Dask task. Far more than the local pool's 256: a Dask task costs the
# client, the scheduler and the worker a few milliseconds each, so with 256 reviews per task
# the 712K reviews ran at 2.4x the pool's wall time (MeCab, where a task's work is small);
# with 8,192 at about 1.2x. The character bound keeps long documents (Wikipedia paragraphs)
# to tasks of seconds, not minutes, so a lost worker's task is cheap to run again.
TASK_DOCUMENTS = 8192
TASK_CHARACTERS = 400_000


def _tasks(docs: Iterable[str]) -> Iterator[list[str]]:
    """`docs` cut into tasks of at most TASK_DOCUMENTS documents and, beyond the first
    document, TASK_CHARACTERS characters."""
    chunk: list[str] = []
    characters = 0
    for doc in docs:
        if chunk and (len(chunk) >= TASK_DOCUMENTS or characters + len(doc) > TASK_CHARACTERS):
            yield chunk
            chunk, characters = [], 0
        chunk.append(doc)
        characters += len(doc)
    if chunk:
        yield chunk


def cluster_threads(client) -> int:
    """The worker threads of the cluster right now (at least 1)."""
    return max(1, sum(client.nthreads().values()))


def tokenize_on_cluster(
    docs: Iterable[str],
    options: TokenizeOptions,
    client,
    *,
    on_progress: Callable[[int], None] | None = None,
    first_number: int = 1,
) -> Iterator[list[str]]:
    """Tokenize documents on the cluster of `client`, yielding results in input order.

    `on_progress(n)` is called with the documents of each finished task, in order. Leaving the
    loop early (closing the generator, an interrupt) cancels the tasks in flight.
    """
    from distributed import KilledWorker

    window = cluster_threads(client) * TASKS_PER_WORKER
    pending: deque = deque()  # (future, number of the task's first document, its size)
    source = _tasks(docs)
    number = first_number
    try:
        while True:
            while len(pending) < window:
                chunk = next(source, None)
                if chunk is None:
                    break
                payload = pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL)
                future = client.submit(tokenize_task, options, payload, pure=False)
                pending.append((future, number, len(chunk)))
                number += len(chunk)
            if not pending:
                return
            future, first, size = pending.popleft()
            try:
                result = future.result()
            except KilledWorker as exc:
                raise TokenizerError(
                    f"The cluster gave up on documents {first:,}-{first + size - 1:,}: every "
                    f"worker that took them died ({exc}). If memory ran out, give the workers "
                    "more; if a document is to blame, remove it."
                ) from None
            except (OSError, TimeoutError) as exc:
                raise ClusterError(
                    f"Lost the connection to the Dask scheduler at {client.scheduler.address} "
                    f"while on documents {first:,}-{first + size - 1:,} ({exc}). Check the "
                    "scheduler and run the same command again: the documents done are kept."
                ) from None
            tokens = pickle.loads(result)
            if on_progress:
                on_progress(len(tokens))
            yield from tokens
    finally:
        if pending:
            with contextlib.suppress(Exception):
                client.cancel([future for future, _, _ in pending], force=True)
            pending.clear()


def check_tokenizer_here(options: TokenizeOptions, spec: ClusterSpec) -> None:
    """For a LocalCluster the workers run here: fail now, not in every worker, when the
    tokenizer cannot run (no Java for Okt). A remote cluster's workers are checked by their
    first task."""
    if spec.local is not None:
        check_available(options.tokenizer)

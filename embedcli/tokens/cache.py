"""Tokenized corpora on disk: one document per line, space-separated tokens, plus a sidecar.

The sidecar (`<file>.json`) records the source's checksum, the tokenizer and its options,
counts and timings. A tokenized file is reused when its sidecar says it was made from the same
source bytes with the same options and the file is complete; otherwise it is made again.
Files in the token cache are named by source checksum and options fingerprint."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

from embedcli import __version__, paths
from embedcli.corpora.readers import iter_documents
from embedcli.corpora.source import CorpusSource, ReadStats
from embedcli.errors import (
    ClusterError,
    CorpusError,
    OutputBusyError,
    OutputExistsError,
    TokenizerError,
)
from embedcli.tokens.cleaning import clean_text
from embedcli.tokens.options import TokenizeOptions, tokenizer_version
from embedcli.tokens.runner import check_workers, tokenize_documents
from embedcli.util import interrupts
from embedcli.util.atomic import (
    atomic_file,
    check_can_create,
    check_writable,
    output_lock,
    sha256_file,
)
from embedcli.util.partfile import PartFile

if TYPE_CHECKING:
    from embedcli.tokens.cluster import ClusterSpec

SIDECAR_FORMAT = 1


@dataclass
class TokenizedCorpus:
    path: Path
    meta: dict
    reused: bool

    @property
    def documents(self) -> int:
        return self.meta["counts"]["documents"]

    @property
    def tokens(self) -> int:
        return self.meta["counts"]["tokens"]


def sidecar_path(tokens_path: Path) -> Path:
    return tokens_path.with_name(tokens_path.name + ".json")


def cache_path(source: CorpusSource, source_sha256: str, options: TokenizeOptions) -> Path:
    stem = Path(source.name).name.split(".")[0] or "corpus"
    return (
        paths.cache_home()
        / "tokens"
        / f"{stem}-{source_sha256[:12]}-{options.tokenizer}-{options.fingerprint()}.txt"
    )


def foreign_tokens(path: Path) -> str | None:
    """What at `path` `tokenize --force` must not replace: None for a tokens file with its
    sidecar (see `fsutil.check_writable`)."""
    if path.is_dir():
        return "it is a directory"
    if not path.is_file():
        return "it is not a regular file"
    if not sidecar_path(path).is_file():
        return f"a file without the {sidecar_path(path).name} sidecar that tokens files have"
    return None


def check_sidecar_free(tokens_path: Path) -> None:
    """Refuse when the sidecar's place holds something embedcli did not write: the sidecar of
    a tokens file that is gone may be replaced, a user's file of that name may not."""
    meta_path = sidecar_path(tokens_path)
    if not (meta_path.exists() or meta_path.is_symlink()) or tokens_path.is_file():
        return
    try:
        ours = not meta_path.is_symlink() and "options_fingerprint" in json.loads(
            meta_path.read_text(encoding="utf-8")
        )
    except (OSError, ValueError, TypeError):
        ours = False
    if not ours:
        raise OutputExistsError(
            f"{meta_path} already exists and is not a tokens sidecar embedcli wrote, and "
            f"tokenize writes the sidecar of {tokens_path.name} there, so embedcli will not "
            "replace it, even with --force: choose another --output, or move it away yourself."
        )


def load_if_current(
    tokens_path: Path, source_sha256: str, options: TokenizeOptions, encoding: str = "utf-8"
) -> TokenizedCorpus | None:
    """The tokenized file at `tokens_path` if it is complete and matches source (its bytes
    and the encoding they were read in) and options."""
    meta_path = sidecar_path(tokens_path)
    if not tokens_path.is_file() or not meta_path.is_file():
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        current = (
            meta.get("format") == SIDECAR_FORMAT
            and meta["source"]["sha256"] == source_sha256
            and meta["source"].get("encoding", "utf-8") == encoding
            and meta["options_fingerprint"] == options.fingerprint()
            and meta["output"]["size"] == tokens_path.stat().st_size
        )
    except (ValueError, KeyError, TypeError):
        return None
    return TokenizedCorpus(tokens_path, meta, reused=True) if current else None


def count_documents(source: CorpusSource) -> int:
    """One quick pass to know the total for the progress bar's ETA."""
    return sum(1 for _ in iter_documents(source))


def survey(source: CorpusSource, options: TokenizeOptions) -> int:
    """The number of documents, after checking in the same quick pass that there is something
    to tokenize; a corpus with no documents, or none with any text left after cleaning (no
    Hangul for Okt), fails here, before workers start and before anything is written."""
    stats = ReadStats()
    total = 0
    usable = options.clean == "none"
    for doc in iter_documents(source, stats):
        total += 1
        if not usable and clean_text(doc, options.clean).strip():
            usable = True
    if total == 0:
        raise CorpusError(_no_documents(source, stats))
    if not usable:
        raise CorpusError(
            f"Corpus {source.path} is empty after cleaning: no Hangul found in any of its "
            f"{total:,} documents, and the {options.tokenizer} pipeline keeps Hangul only. For "
            "an English corpus use --lang en (or --tokenizer english)."
        )
    return total


def _no_documents(source: CorpusSource, stats: ReadStats) -> str:
    """Why a corpus gave no documents at all, from what the reader skipped."""
    path = source.path
    if stats.rows == 0:
        if source.format == "tsv":
            return f"Corpus {path} has no documents: it has a header line but no rows below it."
        return f"Corpus {path} has no documents: it holds no text."
    reasons = ", ".join(f"{n:,} {reason}" for reason, n in stats.skipped.items())
    message = f"Corpus {path} has no documents: all {stats.rows:,} rows were skipped "
    message += f"({reasons})."
    if stats.skipped.get("too few columns"):
        column = source.text_column
        wanted = f"column {column}" if isinstance(column, int) else f"the {column!r} column"
        return (
            f"{message} Rows need {wanted} (--text-column); check that the file is "
            "tab-separated and the column is the right one."
        )
    return f"{message} Check the file, its --corpus-format and --text-column."


@contextmanager
def _lock_tokens(
    target: Path, source: CorpusSource, *, wait: bool, on_status: Callable[[str], None] | None
) -> Iterator[bool]:
    """Hold the output lock of a tokens file; yield whether another run held it first.

    A file in the token cache is waited for rather than refused: the other run (say, a
    `train` of another algorithm on the same corpus) is making the very file this one needs.
    """
    with ExitStack() as stack:
        waited = False
        while True:
            try:
                stack.enter_context(output_lock(target, "tokens file"))
                break
            except OutputBusyError:
                if not wait:
                    raise
                if not waited and on_status:
                    on_status(
                        f"Waiting for another embedcli run that is tokenizing {source.name} the "
                        "same way..."
                    )
                waited = True
                time.sleep(0.2)
        yield waited


def tokenize_corpus(
    source: CorpusSource,
    options: TokenizeOptions,
    *,
    output: Path | None = None,
    workers: int | None = None,
    force: bool = False,
    on_start: Callable[[int], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
    on_status: Callable[[str], None] | None = None,
    cluster: ClusterSpec | None = None,
) -> TokenizedCorpus:
    """Tokenize a corpus to `output` (default: the token cache), or reuse a current result.

    `on_start(total_documents)` is called before tokenizing starts (not when reusing);
    `on_progress(n)` as documents finish; `on_status(message)` when an interrupted run is
    continued. The lines are written to a `.part` file next to the output (see
    embedcli.util.partfile): an interrupted run, or one stopped by a dead or hung worker, keeps
    the documents done, and the next run with the same source and options continues after
    them; the output gets its final name only when complete.

    `cluster` (see embedcli.tokens.cluster) tokenizes on a Dask cluster instead of local
    worker processes; the tokens written are the same.
    """
    workers = check_workers(workers)
    source_sha256 = sha256_file(source.path)
    target = Path(output) if output else cache_path(source, source_sha256, options)
    existing = load_if_current(target, source_sha256, options, source.encoding)
    if existing and not force:
        return existing
    if output:
        check_writable(target, force, "tokens file", foreign_tokens)
        check_sidecar_free(target)
        how = "Choose another --output, or make that directory writable."
    else:
        how = f"Tokens are cached in {paths.home_label('cache')}."
    check_can_create(target, "tokens file", how)  # before the long work

    with ExitStack() as on_cluster:
        client = None
        if cluster is not None:
            from embedcli.tokens.cluster import check_tokenizer_here, cluster_threads, connect

            check_tokenizer_here(options, cluster)
            client = on_cluster.enter_context(connect(cluster))  # before the survey's pass
            workers = cluster_threads(client)
        return _tokenize_to(
            source, options, target, source_sha256, workers, client, cluster, force, output,
            on_start, on_progress, on_status,
        )  # fmt: skip


def _tokenize_to(
    source, options, target, source_sha256, workers, client, cluster, force, output,
    on_start, on_progress, on_status,
) -> TokenizedCorpus:  # fmt: skip
    total = survey(source, options)
    if on_start:
        on_start(total)

    key = {
        "source_sha256": source_sha256,
        "encoding": source.encoding,
        "options_fingerprint": options.fingerprint(),
        "documents": total,
    }
    stats = ReadStats()
    tokens = empty = 0
    vocabulary: set[str] = set()
    with (
        _lock_tokens(target, source, wait=not output, on_status=on_status) as waited,
        PartFile(target, key, keep_on=(TokenizerError, ClusterError)) as part,
    ):
        if waited and not force:
            existing = load_if_current(target, source_sha256, options, source.encoding)
            if existing:
                return existing  # made by the run we waited for
        for line in part.kept_lines():
            doc_tokens = line.decode("utf-8").split()
            tokens += len(doc_tokens)
            empty += not doc_tokens
            vocabulary.update(doc_tokens)
        if part.lines:
            if on_status:
                on_status(
                    f"Continuing the interrupted tokenization of {source.name} at document "
                    f"{part.lines + 1:,} of {total:,}."
                )
            if on_progress:
                on_progress(part.lines)
        docs = islice(iter_documents(source, stats), part.lines, None)
        if client is not None:
            from embedcli.tokens.cluster import tokenize_on_cluster

            results = tokenize_on_cluster(
                docs, options, client, on_progress=on_progress, first_number=part.lines + 1
            )
        else:
            results = tokenize_documents(
                docs, options, workers=workers, on_progress=on_progress,
                first_number=part.lines + 1,
            )  # fmt: skip
        try:
            with closing(results):
                for doc_tokens in results:
                    part.write((" ".join(doc_tokens) + "\n").encode("utf-8"))
                    tokens += len(doc_tokens)
                    empty += not doc_tokens
                    vocabulary.update(doc_tokens)
        except KeyboardInterrupt as exc:
            if part.lines:
                doing = f"stopped after {part.lines:,} of {total:,} documents, which are kept"
                then = f"continue from document {part.lines + 1:,}"
            else:
                doing, then = "stopped before the first documents were done", "start over"
            interrupts.describe(
                exc, f"tokenizing {source.name} {doing}; nothing was written to {target}", then
            )
            raise
        except TokenizerError as exc:
            if not part.lines:
                raise
            raise TokenizerError(
                f"{exc} The first {part.lines:,} documents are tokenized and kept: run the "
                f"same command again to continue from document {part.lines + 1:,}."
            ) from None
        if tokens == 0:
            hint = " For an English corpus use --lang en." if options.clean == "hangul" else ""
            raise CorpusError(
                f"Corpus {source.path} is empty after cleaning and stopword removal: none of "
                f"its {stats.documents:,} documents has a token left. Check the corpus and its "
                f"--text-column.{hint}"
            )
        seconds = part.seconds
        meta = {
            "format": SIDECAR_FORMAT,
            "embedcli_version": __version__,
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "source": dict(
                source.describe(), sha256=source_sha256, size=source.path.stat().st_size
            ),
            "options": options.to_dict(),
            "options_fingerprint": options.fingerprint(),
            "tokenizer_version": tokenizer_version(options.tokenizer),
            "counts": {
                "rows": stats.rows,
                "documents": stats.documents,
                "skipped_rows": stats.skipped,
                "documents_without_tokens": empty,
                "tokens": tokens,
                "distinct_tokens": len(vocabulary),
            },
            "workers": workers,
            "cluster": None if cluster is None else str(cluster),
            "seconds": round(seconds, 3),
            "documents_per_second": round(stats.documents / seconds, 1) if seconds else None,
            "resumed_at_document": part.resumed_lines + 1 if part.resumed_lines else None,
            "output": {"path": str(target), "size": part.size},
        }
        # Both or neither: a signal now would leave the tokens without their sidecar.
        with interrupts.deferred():
            part.commit()
            with atomic_file(sidecar_path(target), force=True) as meta_tmp:
                meta_tmp.write_text(
                    json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8"
                )
    return TokenizedCorpus(target, meta, reused=False)

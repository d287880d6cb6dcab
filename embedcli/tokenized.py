"""Tokenized corpora on disk: one document per line, space-separated tokens, plus a sidecar.

The sidecar (`<file>.json`) records the source's checksum, the tokenizer and its options,
counts and timings. A tokenized file is reused when its sidecar says it was made from the same
source bytes with the same options and the file is complete; otherwise it is made again.
Files in the token cache are named by source checksum and options fingerprint.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from embedcli import __version__, paths
from embedcli.corpora import CorpusSource, ReadStats, iter_documents
from embedcli.errors import CorpusError
from embedcli.fsutil import atomic_file, check_writable, sha256_file
from embedcli.tokenizers import (
    TokenizeOptions,
    check_workers,
    tokenize_documents,
    tokenizer_version,
)

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


def load_if_current(
    tokens_path: Path, source_sha256: str, options: TokenizeOptions
) -> TokenizedCorpus | None:
    """The tokenized file at `tokens_path` if it is complete and matches source and options."""
    meta_path = sidecar_path(tokens_path)
    if not tokens_path.is_file() or not meta_path.is_file():
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        current = (
            meta.get("format") == SIDECAR_FORMAT
            and meta["source"]["sha256"] == source_sha256
            and meta["options_fingerprint"] == options.fingerprint()
            and meta["output"]["size"] == tokens_path.stat().st_size
        )
    except (ValueError, KeyError, TypeError):
        return None
    return TokenizedCorpus(tokens_path, meta, reused=True) if current else None


def count_documents(source: CorpusSource) -> int:
    """One quick pass to know the total for the progress bar's ETA."""
    return sum(1 for _ in iter_documents(source))


def tokenize_corpus(
    source: CorpusSource,
    options: TokenizeOptions,
    *,
    output: Path | None = None,
    workers: int | None = None,
    force: bool = False,
    on_start: Callable[[int], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> TokenizedCorpus:
    """Tokenize a corpus to `output` (default: the token cache), or reuse a current result.

    `on_start(total_documents)` is called before tokenizing starts (not when reusing);
    `on_progress(n)` as documents finish.
    """
    workers = check_workers(workers)
    source_sha256 = sha256_file(source.path)
    target = Path(output) if output else cache_path(source, source_sha256, options)
    existing = load_if_current(target, source_sha256, options)
    if existing and not force:
        return existing
    if output:
        check_writable(target, force)

    total = count_documents(source)
    if total == 0:
        raise CorpusError(
            f"Corpus {source.path} has no documents (every row was empty). Check the file, "
            "its --format and --text-column."
        )
    if on_start:
        on_start(total)

    stats = ReadStats()
    started = time.perf_counter()
    tokens = empty = 0
    vocabulary: set[str] = set()
    with atomic_file(target, force=True) as tmp:
        with open(tmp, "w", encoding="utf-8") as out:
            docs = iter_documents(source, stats)
            for doc_tokens in tokenize_documents(
                docs, options, workers=workers, on_progress=on_progress
            ):
                out.write(" ".join(doc_tokens))
                out.write("\n")
                tokens += len(doc_tokens)
                empty += not doc_tokens
                vocabulary.update(doc_tokens)
        if tokens == 0:
            hint = (
                f"The {options.tokenizer} pipeline keeps Hangul only; is this a Korean corpus? "
                "For English use --tokenizer english."
                if options.clean == "hangul"
                else "Check the corpus and its --text-column."
            )
            raise CorpusError(
                f"Corpus {source.path} is empty after cleaning: none of its {stats.documents:,} "
                f"documents has any tokens left. {hint}"
            )
        elapsed = time.perf_counter() - started
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
            "seconds": round(elapsed, 3),
            "documents_per_second": round(stats.documents / elapsed, 1) if elapsed else None,
            "output": {"path": str(target), "size": tmp.stat().st_size},
        }
        with atomic_file(sidecar_path(target), force=True) as meta_tmp:
            meta_tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    return TokenizedCorpus(target, meta, reused=False)

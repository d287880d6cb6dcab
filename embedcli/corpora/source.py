"""What a corpus is once resolved: registry entries (NamedCorpus), a source to read
(CorpusSource) and what reading it skipped (ReadStats)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

FORMATS = ("auto", "tsv", "text", "ted-xml", "mediawiki")


@dataclass(frozen=True)
class NamedCorpus:
    """A registry entry: a corpus the user can ask for by name."""

    name: str
    description: str
    lang: str
    format: str  # "tsv", "text", "ted-xml" or "mediawiki"
    text_column: str | int | None = None
    shipped: str | None = None  # path under the repository's corpora/ folder
    url: str | None = None  # upstream location for users with internet
    # Where the upstream publishes the file's SHA-1 (Wikimedia's *-sha1sums.txt): checked on
    # download instead of a sha256 recorded here, for a file that changes every month.
    sha1sums_url: str | None = None
    # Of the file as shipped, downloaded or given. With `url` and no sha256, the first
    # download's hash is recorded and checked from then on. With both sha256 and size, a
    # file given by path whose bytes match is recognised as this corpus (and its language).
    sha256: str | None = None
    size: int | None = None
    license: str = ""


@dataclass(frozen=True)
class CorpusSource:
    """A readable corpus: a file and how to get documents out of it."""

    name: str  # registry name or the file name
    path: Path
    format: str  # "tsv", "text", "ted-xml" or "mediawiki"
    text_column: str | int | None = None  # TSV: header name or 1-based number
    lang: str | None = None  # "ko", "en", ...; None: not known (a user's file)
    encoding: str = "utf-8"  # a Python codec name; "utf-8" also reads a UTF-8 BOM
    format_given: bool = False  # the format was forced with --corpus-format, not detected

    def describe(self) -> dict:
        return {
            "name": self.name,
            "path": str(self.path),
            "format": self.format,
            "text_column": self.text_column,
            "lang": self.lang,
            "encoding": self.encoding,
        }


@dataclass
class ReadStats:
    """What a reader saw: rows read, documents yielded, rows skipped and why."""

    rows: int = 0
    documents: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

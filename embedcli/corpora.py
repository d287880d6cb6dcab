"""Named corpora (shipped with the repository or downloadable) and readers for user files.

A corpus is resolved to a `CorpusSource`: a local file plus how to read documents from it.
`iter_documents` yields one document (a string) per usable row and counts what it skipped.
Readers handle NSMC-style TSV (a chosen text column), plain text (one document per line)
and gzip-compressed files of either.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from embedcli import paths
from embedcli.errors import CorpusError

GZIP_MAGIC = b"\x1f\x8b"
FORMATS = ("auto", "tsv", "text")


@dataclass(frozen=True)
class NamedCorpus:
    """A registry entry: a corpus the user can ask for by name."""

    name: str
    description: str
    lang: str
    format: str  # "tsv" or "text"
    text_column: str | int | None = None
    shipped: str | None = None  # path under the repository's corpora/ folder
    url: str | None = None  # upstream location for users with internet
    sha256: str | None = None  # of the upstream file; None: recorded on first download
    size: int | None = None
    license: str = ""


REGISTRY: dict[str, NamedCorpus] = {
    c.name: c
    for c in (
        NamedCorpus(
            name="nsmc",
            description="Naver movie reviews, 200K rows in NSMC format (shipped, offline)",
            lang="ko",
            format="tsv",
            text_column="document",
            shipped="nsmc/ratings.txt",
            license="CC0 1.0",
        ),
        NamedCorpus(
            name="nsmc-upstream",
            description="The original NSMC ratings.txt from github.com/e9t/nsmc (download)",
            lang="ko",
            format="tsv",
            text_column="document",
            url="https://raw.githubusercontent.com/e9t/nsmc/master/ratings.txt",
            license="CC0 1.0",
        ),
    )
}

DEFAULT_CORPUS = "nsmc"


@dataclass(frozen=True)
class CorpusSource:
    """A readable corpus: a file and how to get documents out of it."""

    name: str  # registry name or the file name
    path: Path
    format: str  # "tsv" or "text"
    text_column: str | int | None = None  # TSV: header name or 1-based number
    lang: str = "ko"

    def describe(self) -> dict:
        return {
            "name": self.name,
            "path": str(self.path),
            "format": self.format,
            "text_column": self.text_column,
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


def parse_text_column(value: str | None) -> str | int | None:
    """A column given on the command line: a 1-based number or a header name."""
    if value is None or value == "":
        return None
    if value.isdigit():
        number = int(value)
        if number < 1:
            raise CorpusError(f"--text-column {value} is not a column: columns count from 1.")
        return number
    return value


def resolve_corpus(
    spec: str | None = None,
    *,
    format: str = "auto",
    text_column: str | int | None = None,
    download_progress: Callable[[int, int | None], None] | None = None,
) -> CorpusSource:
    """Turn a corpus name or a file path into a CorpusSource, downloading if needed."""
    spec = spec or DEFAULT_CORPUS
    if format not in FORMATS:
        raise CorpusError(f"Unknown corpus format {format!r}: use one of {', '.join(FORMATS)}.")
    if spec in REGISTRY:
        entry = REGISTRY[spec]
        path = _named_corpus_path(entry, download_progress)
        return CorpusSource(
            name=entry.name,
            path=path,
            format=entry.format if format == "auto" else format,
            text_column=text_column if text_column is not None else entry.text_column,
            lang=entry.lang,
        )
    path = Path(spec).expanduser()
    if not path.exists():
        names = ", ".join(REGISTRY)
        raise CorpusError(
            f"Corpus {spec!r} is neither a file nor a known corpus name. Give a path to a "
            f"TSV or text file (.gz is fine) or one of: {names}."
        )
    if path.is_dir():
        raise CorpusError(f"Corpus {path} is a directory: give the path of a TSV or text file.")
    if format == "auto":
        format = sniff_format(path)
    if format == "tsv" and text_column is None:
        text_column = "document"
    return CorpusSource(name=path.name, path=path.resolve(), format=format, text_column=text_column)


def _named_corpus_path(
    entry: NamedCorpus, download_progress: Callable[[int, int | None], None] | None
) -> Path:
    if entry.shipped:
        path = paths.shipped_corpora_dir() / entry.shipped
        if path.is_file():
            return path
        if not entry.url:
            raise CorpusError(
                f"The shipped corpus {entry.name!r} is missing ({path}). It comes with the "
                "repository's corpora/ folder: run embedcli from a full clone, or set "
                "EMBEDCLI_CORPORA to that folder."
            )
    from embedcli.download import fetch  # only named corpora with a URL need the network code

    return fetch(entry.url, sha256=entry.sha256, name=entry.name, on_progress=download_progress)


def open_text(path: Path) -> io.TextIOBase:
    """Open a UTF-8 file, transparently decompressing gzip (detected by its magic bytes)."""
    try:
        with open(path, "rb") as probe:
            magic = probe.read(2)
        if magic == GZIP_MAGIC:
            return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline=None)
        return open(path, encoding="utf-8", newline=None)
    except FileNotFoundError:
        raise CorpusError(f"Corpus file {path} does not exist.") from None
    except IsADirectoryError:
        raise CorpusError(f"Corpus {path} is a directory: give the path of a file.") from None
    except PermissionError:
        raise CorpusError(f"Corpus file {path} is not readable: check its permissions.") from None


def sniff_format(path: Path) -> str:
    """A file whose first line has a tab is TSV; anything else is one document per line."""
    with open_text(path) as handle:
        try:
            first = handle.readline()
        except UnicodeDecodeError:
            raise CorpusError(
                f"Corpus file {path} is not UTF-8 text. Convert it, e.g. "
                f"`iconv -f cp949 -t utf-8 {path.name} > {path.stem}.utf8{path.suffix}`."
            ) from None
    return "tsv" if "\t" in first else "text"


def iter_documents(source: CorpusSource, stats: ReadStats | None = None) -> Iterator[str]:
    """Yield the documents of a corpus; rows without usable text are counted in `stats`."""
    stats = stats if stats is not None else ReadStats()
    reader = _iter_tsv if source.format == "tsv" else _iter_text
    with open_text(source.path) as handle:
        lines = _numbered_lines(handle, source.path)
        yield from reader(lines, source, stats)


def _numbered_lines(handle: io.TextIOBase, path: Path) -> Iterator[tuple[int, str]]:
    lineno = 0
    try:
        for lineno, line in enumerate(handle, start=1):  # noqa: B007 - used in the except
            yield lineno, line.rstrip("\r\n")
    except UnicodeDecodeError:
        raise CorpusError(
            f"Corpus file {path} is not valid UTF-8 (line {lineno + 1}). Convert it to UTF-8 "
            "first, e.g. with iconv."
        ) from None
    except (EOFError, gzip.BadGzipFile, OSError) as exc:
        raise CorpusError(
            f"Corpus file {path} is damaged after line {lineno} ({exc}). If it was downloaded, "
            "download it again."
        ) from None


def _iter_text(
    lines: Iterator[tuple[int, str]], source: CorpusSource, stats: ReadStats
) -> Iterator[str]:
    for _, line in lines:
        stats.rows += 1
        if not line.strip():
            stats.skip("empty document")
            continue
        stats.documents += 1
        yield line


def _iter_tsv(
    lines: Iterator[tuple[int, str]], source: CorpusSource, stats: ReadStats
) -> Iterator[str]:
    column = source.text_column
    index: int
    if isinstance(column, int):
        index = column - 1
    else:
        header = next(lines, None)
        if header is None:
            return
        names = header[1].split("\t")
        wanted = column or "document"
        if wanted not in names:
            raise CorpusError(
                f"{source.path} has no column named {wanted!r} (its header has: "
                f"{', '.join(repr(n) for n in names)}). Choose one with --text-column NAME or "
                "a 1-based number."
            )
        index = names.index(wanted)
    for _, line in lines:
        stats.rows += 1
        fields = line.split("\t")
        if len(fields) <= index:
            stats.skip("too few columns")
            continue
        text = fields[index]
        if not text.strip():
            stats.skip("empty document")
            continue
        stats.documents += 1
        yield text

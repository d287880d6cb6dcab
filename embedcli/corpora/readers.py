"""Documents out of a corpus source: text (one document per line; very long lines streamed
into documents of at most 10,000 words) and TSV (a chosen column), counting what is skipped."""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from embedcli.corpora.files import _damaged, _decode_error, _missing_column, open_text
from embedcli.corpora.source import CorpusSource, ReadStats
from embedcli.corpora.ted import _iter_ted_xml
from embedcli.corpora.wiki import iter_mediawiki
from embedcli.errors import CorpusError

# A text line longer than this is read in pieces of this many characters and cut into
# documents of at most MAX_DOCUMENT_WORDS words (gensim's Text8Corpus and LineSentence cap
# sentences at 10,000 words too), so memory stays bounded whatever the line length.
LONG_LINE_CHARS = 1_000_000
MAX_DOCUMENT_WORDS = 10_000


# --- reading documents -----------------------------------------------------------------------


def iter_documents(source: CorpusSource, stats: ReadStats | None = None) -> Iterator[str]:
    """Yield the documents of a corpus; rows without usable text are counted in `stats`."""
    stats = stats if stats is not None else ReadStats()
    if source.format == "ted-xml":
        yield from _iter_ted_xml(source, stats)
        return
    if source.format == "mediawiki":
        yield from iter_mediawiki(source, stats)
        return
    reader = _iter_tsv if source.format == "tsv" else _iter_text
    with open_text(source.path, source.encoding) as handle:
        lines = _numbered_lines(handle, source.path)
        yield from reader(lines, source, stats)


def _numbered_lines(handle: io.TextIOBase, path: Path) -> Iterator[tuple[int, str, bool]]:
    """(line number, text, more): a line is read in pieces of at most LONG_LINE_CHARS
    characters; `more` says the next piece continues the same line."""
    lineno = 1
    more = False
    try:
        while piece := handle.readline(LONG_LINE_CHARS):
            if "\x00" in piece:
                raise CorpusError(
                    f"Corpus file {path} has a NUL character on line {lineno:,}: it looks "
                    "like binary data, not text. Give a UTF-8 text or TSV file; if it is "
                    "UTF-16 without a byte-order mark, pass --encoding utf-16-le."
                )
            if piece.endswith("\n"):
                more = False
                yield lineno, piece.rstrip("\r\n"), more
            else:
                # Short without a newline: the end of the file. Full length: maybe more.
                more = len(piece) >= LONG_LINE_CHARS
                yield lineno, piece, more
            if not more:
                lineno += 1
        if more:  # the file ended right after a full-length piece
            yield lineno, "", False
    except UnicodeError as exc:
        raise _decode_error(path, handle.encoding, exc) from None
    except (EOFError, OSError, zipfile.BadZipFile, zlib.error) as exc:
        raise _damaged(path, lineno - 1, exc) from None


def _iter_text(
    lines: Iterator[tuple[int, str, bool]], source: CorpusSource, stats: ReadStats
) -> Iterator[str]:
    for _, line, more in lines:
        stats.rows += 1
        if more:
            yield from _split_long_line(line, lines, stats)
            continue
        if not line.strip():
            stats.skip("empty document")
            continue
        stats.documents += 1
        yield line


_LAST_WORD = re.compile(r"\S+\Z")


def _split_long_line(
    first: str, rest: Iterator[tuple[int, str, bool]], stats: ReadStats
) -> Iterator[str]:
    """Cut one very long line, arriving in pieces, into documents of MAX_DOCUMENT_WORDS words.

    A word cut in two by a piece boundary is carried over to the next piece.
    """
    words: list[str] = []
    carry = ""
    yielded = 0
    piece, more = first, True
    while True:
        text = carry + piece
        carry = ""
        if more and (last := _LAST_WORD.search(text)) and len(last.group()) < LONG_LINE_CHARS:
            carry = last.group()
            text = text[: last.start()]
        words.extend(text.split())
        while len(words) >= MAX_DOCUMENT_WORDS or (words and not more):
            stats.documents += 1
            yielded += 1
            yield " ".join(words[:MAX_DOCUMENT_WORDS])
            del words[:MAX_DOCUMENT_WORDS]
        if not more:
            break
        _, piece, more = next(rest)
    if not yielded:
        stats.skip("empty document")


def iter_records(
    source: CorpusSource, stats: ReadStats | None = None
) -> Iterator[tuple[str, dict[str, str]]]:
    """The documents of `iter_documents`, in the same order, each with the other columns of
    its TSV row by header name ({} for text, TED XML and TSV files without a header line)."""
    stats = stats if stats is not None else ReadStats()
    if source.format != "tsv":
        for text in iter_documents(source, stats):
            yield text, {}
        return
    with open_text(source.path, source.encoding) as handle:
        lines = _numbered_lines(handle, source.path)
        yield from _iter_tsv_records(lines, source, stats)


def _iter_tsv(
    lines: Iterator[tuple[int, str, bool]], source: CorpusSource, stats: ReadStats
) -> Iterator[str]:
    for text, _ in _iter_tsv_records(lines, source, stats):
        yield text


def _iter_tsv_records(
    lines: Iterator[tuple[int, str, bool]], source: CorpusSource, stats: ReadStats
) -> Iterator[tuple[str, dict[str, str]]]:
    rows = _whole_lines(lines)
    names: list[str] = []
    column = source.text_column
    index: int
    if isinstance(column, int):
        index = column - 1
    else:
        header = next(rows, None)
        if header is None:
            return
        names = header.split("\t")
        wanted = column or "document"
        if wanted not in names:
            raise CorpusError(_missing_column(source.path, names, column))
        index = names.index(wanted)
    for line in rows:
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
        yield text, dict(zip(names, fields, strict=False))


def _whole_lines(lines: Iterator[tuple[int, str, bool]]) -> Iterator[str]:
    """Lines joined back from their pieces (a TSV row is only usable whole)."""
    parts: list[str] = []
    for _, piece, more in lines:
        parts.append(piece)
        if not more:
            yield "".join(parts)
            parts = []

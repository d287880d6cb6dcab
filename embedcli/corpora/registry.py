"""Named corpora (shipped with the repository or downloadable) and readers for user files.

A corpus is resolved to a `CorpusSource`: a local file plus how to read documents from it.
`iter_documents` yields one document (a string) per usable row and counts what it skipped.
Readers handle NSMC-style TSV (a chosen text column), plain text (one document per line;
a line too long to hold, such as text8's single 100M-character line, is streamed into
documents of at most 10,000 words) and TED-talk XML (one document per sentence of each
`<content>`), each of them plain, gzip-compressed or alone in a zip archive.

Text is UTF-8 (a byte-order mark is fine) unless the file says or shows otherwise: UTF-16 and
UTF-32 with a byte-order mark (Excel's "Unicode text") and Korean CP949/EUC-KR are decoded
with a note for the user (`detect_encoding`); NUL bytes and other encodings are refused with
the byte offset and line of the first problem. `--encoding` forces one."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from embedcli import paths
from embedcli.corpora.files import (
    _check_forced_format,
    _check_header,
    _head_bytes,
    _mislabelled,
    _read_head,
    check_encoding,
    comma_separated,
    declared_lang,
    detect_encoding,
    mediawiki_lang,
    sniff_format,
)
from embedcli.corpora.source import FORMATS, CorpusSource, NamedCorpus
from embedcli.corpora.wiki import KOWIKI_SHA1, KOWIKI_URL
from embedcli.errors import CorpusError, CorpusOptionsError, quoted
from embedcli.util.atomic import broken_link

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
        NamedCorpus(
            name="en",
            description="English books, novels, Factbook, speeches and reviews: 7.3M words, "
            "the first 162,203 paragraphs of the shuffled en-full (shipped, offline)",
            lang="en",
            format="text",
            shipped="en/english-7m.txt.gz",
            sha256="4cfc7fe13c947331161235dc6df4d4d1f6a80b64db25c844df9fac888e80cfd2",
            size=14_999_851,
            license="public domain; CC BY 4.0 parts (corpora/README.md)",
        ),
        NamedCorpus(
            name="en-full",
            description="The whole english.txt.gz (51M words) that en is cut from; not "
            "shipped: pass your copy with --corpus PATH, it is recognised by its checksum",
            lang="en",
            format="text",
            sha256="1b947756a1f2342f5165ebb4a6bfee33ff1aada889dd0b1a16bad26be58b3fcc",
            size=106_788_282,
            license="public domain; CC BY 4.0 parts (corpora/README.md)",
        ),
        NamedCorpus(
            name="text8",
            description="The first 100M characters of English Wikipedia (2006), lowercased, "
            "17M words on one line, from mattmahoney.net (download, 31 MB)",
            lang="en",
            format="text",
            url="http://mattmahoney.net/dc/text8.zip",
            size=31_344_016,
            license="CC BY-SA 3.0 / GFDL (Wikipedia)",
        ),
        NamedCorpus(
            name="kowiki",
            description="Korean Wikipedia: the latest articles dump, one document per "
            "paragraph, markup stripped (download, about 1 GB of bz2; tokenize it with "
            "--cluster or many --workers)",
            lang="ko",
            format="mediawiki",
            url=KOWIKI_URL,
            sha1sums_url=KOWIKI_SHA1,
            license="CC BY-SA 4.0 / GFDL (Wikipedia)",
        ),
    )
}

DEFAULT_CORPUS = "nsmc"


def parse_text_column(value: str | None) -> str | int | None:
    """A column given on the command line: a 1-based number or a header name."""
    if value is None or value == "":
        return None
    if value.isdigit():
        number = int(value)
        if number < 1:
            raise CorpusOptionsError(
                f"--text-column {value} is not a column: columns count from 1."
            )
        return number
    if _NUMBER.fullmatch(value.strip()):
        raise CorpusOptionsError(
            f"--text-column {value} is not a column: give a whole number from 1 (columns "
            "count from 1), or a name from the header line."
        )
    return value


# A value that is meant as a number (-1, 2.5, +3) but cannot be a column number.
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def resolve_corpus(
    spec: str | None = None,
    *,
    format: str = "auto",
    text_column: str | int | None = None,
    encoding: str | None = None,
    download_progress: Callable[[int, int | None], None] | None = None,
    on_notice: Callable[[str], None] | None = None,
) -> CorpusSource:
    """Turn a corpus name or a file path into a CorpusSource, downloading if needed.

    `encoding` None (or "auto") detects it (see `detect_encoding`); `on_notice(message)` is
    called once the corpus is resolved when the user should know how it is read (a guessed
    encoding, say).
    """
    spec = spec or DEFAULT_CORPUS
    if format not in FORMATS:
        raise CorpusOptionsError(
            f"Unknown --corpus-format {quoted(format)}: use one of {', '.join(FORMATS)}."
        )
    forced = check_encoding(encoding)
    if spec in REGISTRY:
        entry = REGISTRY[spec]
        path = _named_corpus_path(entry, download_progress)
        return CorpusSource(
            name=entry.name,
            path=path,
            format=entry.format if format == "auto" else format,
            text_column=text_column if text_column is not None else entry.text_column,
            lang=entry.lang,
            encoding=forced or "utf-8",
        )
    path = Path(spec).expanduser()
    link = broken_link(path)
    if link:
        raise CorpusError(
            f"Corpus {quoted(str(path), 200)} is {link}: fix the link, or give the file's own path."
        )
    if not path.exists():
        names = ", ".join(REGISTRY)
        raise CorpusError(
            f"Corpus {quoted(spec, 200)} is neither a file nor a known corpus name. Give a path "
            f"to a TSV, text or TED XML file (.gz or .zip is fine) or one of: {names}."
        )
    if path.is_dir():
        raise CorpusError(f"Corpus {path} is a directory: give the path of a TSV or text file.")
    if not path.is_file():
        raise CorpusError(
            f"Corpus {path} is not a regular file (a pipe or a device?): save the text to a "
            "file and give its path."
        )
    if path.stat().st_size == 0:
        raise CorpusError(
            f"Corpus file {path} is empty (0 bytes). Give a text file with one document per "
            "line, or a TSV file with a 'document' column."
        )
    head = _head_bytes(path)  # also checks that the file can be read and decompressed
    notice = None
    if forced:
        encoding = forced
    else:
        try:
            encoding, notice = detect_encoding(path, head)
        except CorpusError:
            mislabelled = _mislabelled(path, head)
            if mislabelled:
                raise CorpusError(mislabelled) from None
            raise
    known = recognise(path)
    given = format != "auto"
    if given and format != "text":
        _check_forced_format(path, encoding, format, text_column)
    if format == "auto":
        format = known.format if known else sniff_format(path, encoding)
    if format == "tsv" and not isinstance(text_column, int):
        _check_header(path, encoding, text_column)  # before any work, naming the columns
        text_column = text_column or "document"
    if known:
        lang = known.lang
    elif format == "ted-xml":
        lang = declared_lang(_read_head(path, encoding))
    elif format == "mediawiki":
        lang = mediawiki_lang(_read_head(path, encoding))
    else:
        lang = None
    if notice and on_notice:
        on_notice(notice)
    if format == "text" and on_notice:
        comma = comma_separated(path, encoding)
        if comma:
            on_notice(comma)
    return CorpusSource(
        name=known.name if known else path.name,
        path=path.resolve(),
        format=format,
        text_column=text_column,
        lang=lang,
        encoding=encoding,
        format_given=given,
    )


def recognise(path: Path) -> NamedCorpus | None:
    """The registry entry whose recorded size and sha256 match the file at `path`, if any."""
    from embedcli.util.atomic import sha256_file

    size = path.stat().st_size
    candidates = [e for e in REGISTRY.values() if e.sha256 and e.size == size]
    if not candidates:
        return None  # the usual case: no file is hashed for nothing
    digest = sha256_file(path)
    return next((e for e in candidates if e.sha256 == digest), None)


def _named_corpus_path(
    entry: NamedCorpus, download_progress: Callable[[int, int | None], None] | None
) -> Path:
    if entry.shipped:
        path = paths.shipped_corpora_dir() / entry.shipped
        if path.is_file():
            return path
        if not entry.url:
            raise CorpusError(
                f"The shipped corpus {entry.name!r} is missing ({path}). It comes with "
                "embedcli (inside the installed package, or in a clone's corpora/ folder): "
                "reinstall embedcli, or set EMBEDCLI_CORPORA to a folder holding "
                f"{entry.shipped}."
            )
    if not entry.url:
        raise CorpusError(
            f"The corpus {entry.name!r} is neither shipped nor downloadable: pass your copy "
            f"of it with --corpus PATH ({entry.size:,} bytes, sha256 {entry.sha256}); "
            "embedcli recognises it by its checksum."
        )
    if entry.sha1sums_url:
        from embedcli.corpora.wiki import fetch_dump

        return fetch_dump(
            entry.url, entry.sha1sums_url, name=entry.name, on_progress=download_progress
        )
    from embedcli.corpora.download import fetch

    path = fetch(entry.url, sha256=entry.sha256, name=entry.name, on_progress=download_progress)
    size = path.stat().st_size
    if entry.size is not None and size != entry.size:
        _discard_download(path)
        raise CorpusError(
            f"The download of {entry.name!r} from {entry.url} has {size:,} "
            f"bytes, not the {entry.size:,} recorded for it: the upstream file has changed or "
            "the server sent something else. It was deleted; try again later, or pass a "
            "local copy with --corpus PATH."
        )
    return path


def _discard_download(path: Path) -> None:
    from embedcli.corpora.download import META_SUFFIX

    for stale in (path, path.with_name(path.name + META_SUFFIX)):
        stale.unlink(missing_ok=True)

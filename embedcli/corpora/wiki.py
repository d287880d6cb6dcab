"""MediaWiki dumps (Wikipedia's `*-pages-articles.xml.bz2`): one document per paragraph of
each article, markup stripped by gensim's `filter_wiki`.

The dump is streamed: `iterparse` over the decompressing file, each <page> cleared once read,
so memory stays flat however big the dump. Pages outside the article namespace (0) and
redirects are skipped; tables are dropped whole (their cells are not prose), as are
headings and category links; list items and the lines of a paragraph are joined into one
document. The `kowiki` corpus downloads Korean Wikipedia's latest dump, checked against the
SHA-1 that Wikimedia publishes next to it (`fetch_dump`)."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urljoin, urlsplit
from urllib.request import Request, urlopen
from xml.etree import ElementTree

from embedcli.corpora.files import open_binary
from embedcli.corpora.source import CorpusSource, ReadStats
from embedcli.errors import CorpusError, DownloadError

KOWIKI_URL = "https://dumps.wikimedia.org/kowiki/latest/kowiki-latest-pages-articles.xml.bz2"
KOWIKI_SHA1 = "https://dumps.wikimedia.org/kowiki/latest/kowiki-latest-sha1sums.txt"

ARTICLE_NAMESPACE = "0"
CATEGORY_NAMESPACE = "14"
# What a redirect's text starts with when the dump has no <redirect> element (old dumps):
# English and Korean magic words.
_REDIRECT = re.compile(r"\s*#\s*(redirect|넘겨주기)\b", re.IGNORECASE)
_HEADING = re.compile(r"=+[^=\n].*=+\s*")
_BOLD_ITALIC = re.compile(r"'{2,}")
_LIST_MARK = re.compile(r"^[*#:;]+\s*")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_WORD = re.compile(r"\w")


def _local(tag: str) -> str:
    """An element's name without its XML namespace ({http://www.mediawiki.org/...}page)."""
    return tag.rsplit("}", 1)[-1]


def iter_mediawiki(source: CorpusSource, stats: ReadStats) -> Iterator[str]:
    """The paragraphs of every article in a MediaWiki XML dump (plain, .bz2, .gz)."""
    from gensim.corpora.wikicorpus import filter_wiki

    categories = {"category"}
    handle = open_binary(source.path)
    try:
        with handle:
            events = ElementTree.iterparse(handle, events=("start", "end"))
            root = None
            for event, element in events:
                if root is None:
                    root = element  # <mediawiki>: cleared after every page
                if event != "end":
                    continue
                name = _local(element.tag)
                if name == "namespace" and element.get("key") == CATEGORY_NAMESPACE:
                    categories.add((element.text or "").strip().lower())
                elif name == "page":
                    stats.rows += 1
                    yield from _page_documents(element, stats, categories, filter_wiki)
                    root.clear()
    except ElementTree.ParseError as exc:
        raise CorpusError(
            f"Corpus file {source.path} is not a readable MediaWiki XML dump ({exc}): it may be "
            "cut short or damaged; download it again."
        ) from None
    except (EOFError, OSError, zlib.error) as exc:
        raise CorpusError(
            f"Corpus file {source.path} could not be read to its end ({exc}): it may be cut "
            "short or damaged; download it again."
        ) from None


def _page_documents(page, stats: ReadStats, categories: set[str], filter_wiki) -> Iterator[str]:
    namespace = redirect = text = None
    for child in page.iter():
        name = _local(child.tag)
        if name == "ns":
            namespace = (child.text or "").strip()
        elif name == "redirect":
            redirect = True
        elif name == "text":
            text = child.text or ""
    if namespace is not None and namespace != ARTICLE_NAMESPACE:
        stats.skip("pages outside the article namespace")
        return
    if redirect or (text and _REDIRECT.match(text)):
        stats.skip("redirects")
        return
    found = False
    for paragraph in article_paragraphs(text or "", filter_wiki, categories):
        found = True
        stats.documents += 1
        yield paragraph
    if not found:
        stats.skip("articles without text")


def article_paragraphs(
    wikitext: str, filter_wiki: Callable[[str], str], categories: set[str] = frozenset()
) -> list[str]:
    """The paragraphs of one article's wikitext, as plain text, one line each."""
    plain = filter_wiki(drop_tables(wikitext))
    paragraphs = []
    category_prefixes = tuple(f"{c}:" for c in categories | {"category"} if c)
    for block in _PARAGRAPH_BREAK.split(plain):
        lines = []
        for line in block.splitlines():
            line = line.strip()
            if not line or _HEADING.fullmatch(line):
                continue
            if line.lower().startswith(category_prefixes):
                continue
            line = _LIST_MARK.sub("", _BOLD_ITALIC.sub("", line)).strip()
            if line:
                lines.append(line)
        text = " ".join(" ".join(lines).split())
        if _WORD.search(text):
            paragraphs.append(text)
    return paragraphs


def drop_tables(wikitext: str) -> str:
    """`wikitext` without its tables ({| ... |}, nested ones too); an unclosed table runs to
    the end of the text."""
    out = []
    depth = 0
    position = 0
    for found in re.finditer(r"\{\||\|\}", wikitext):
        if found.group() == "{|":
            if depth == 0:
                out.append(wikitext[position : found.start()])
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0:
                position = found.end()
    if depth == 0:
        out.append(wikitext[position:])
    return "".join(out)


# --- the kowiki download ------------------------------------------------------------------------


def published_sha1(sums_url: str, dump_url: str, timeout: float = 30.0) -> str:
    """The SHA-1 of the dump at `dump_url` from Wikimedia's `*-sha1sums.txt` at `sums_url`.

    The sums file names dated files (kowiki-20250601-pages-articles.xml.bz2) where the URL
    says `latest`, so the line is matched with the date as a wildcard.
    """
    name = Path(urlsplit(dump_url).path).name
    pattern = re.compile(re.escape(name).replace("latest", r"(latest|\d{8})"))
    request = Request(urljoin(dump_url, sums_url), headers={"User-Agent": "embedcli"})
    try:
        with urlopen(request, timeout=timeout) as response:
            listing = response.read(1_000_000).decode("utf-8", "replace")
    except (URLError, OSError, ValueError) as exc:
        raise DownloadError(
            f"Cannot download the checksums {sums_url} ({exc}): without them the dump cannot "
            "be checked. Connect and retry, or pass a dump you have with --corpus PATH."
        ) from None
    for line in listing.splitlines():
        parts = line.split()
        if (
            len(parts) == 2
            and pattern.fullmatch(parts[1])
            and re.fullmatch(r"[0-9a-f]{40}", parts[0])
        ):
            return parts[0]
    raise DownloadError(
        f"The checksums file {sums_url} lists no {name}: the dump may not be published yet. "
        "Try again later, or pass a dump you have with --corpus PATH."
    )


def fetch_dump(
    url: str,
    sums_url: str,
    *,
    name: str,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> Path:
    """A verified local copy of the dump at `url` (downloaded, resumed, or from the cache)."""
    from embedcli.corpora.download import fetch

    return fetch(
        url, name=name, on_progress=on_progress, sha1=lambda: published_sha1(sums_url, url)
    )

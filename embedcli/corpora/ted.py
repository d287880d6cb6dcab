"""TED-talk XML: one document per sentence of each <content>, stage notes such as
"(Laughter)" dropped."""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from xml.etree import ElementTree

from embedcli.corpora.files import open_binary
from embedcli.corpora.source import CorpusSource, ReadStats
from embedcli.errors import CorpusError

# --- TED-talk XML ----------------------------------------------------------------------------

# Stage notes and other asides: "(Laughter)", "(Applause)", "(Video) ...", innermost first.
_PARENTHESISED = re.compile(r"\([^()\n]*\)")
# A sentence ends at . ! or ? (possibly repeated, then closing quotes or brackets) followed
# by whitespace; whether the next sentence really starts there is checked in split_sentences.
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*(\s+)")
_OPENERS = "\"'“‘(["
# Words that end with a period but rarely end a sentence (compared lowercased, no period).
ABBREVIATIONS = frozenset(
    ("mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "mt", "rev", "gen", "col", "lt",
     "sgt", "capt", "gov", "sen", "rep", "hon", "fig", "approx")
)  # fmt: skip
_INITIALS = re.compile(r"(?:[^\W\d_]\.)*[^\W\d_]")  # U.S, e.g, J.R.R, and a lone F (John F.)


def drop_stage_notes(line: str) -> str:
    """Remove every parenthesised span on a line, nested ones too, and tidy the spaces."""
    while True:
        shorter = _PARENTHESISED.sub(" ", line)
        if shorter == line:
            return " ".join(line.split())
        line = shorter


def split_sentences(line: str) -> list[str]:
    """Split a line after . ! ? followed by a capital letter (after optional quotes).

    Titles and initials stay whole: "Mr. Smith", "Dr. No", "the U.S. Army", "John F. Kennedy".
    The price: a sentence that ends with an initial ("... than I. Then") is not split.
    """
    sentences: list[str] = []
    start = 0
    for end in _SENTENCE_END.finditer(line):
        following = line[end.end() :].lstrip(_OPENERS)
        if not following[:1].isupper():
            continue
        if line[end.start()] == "." and end.group().count(".") == 1:
            before = line[start : end.start()].split()
            word = before[-1].lstrip(_OPENERS) if before else ""
            if word.lower() in ABBREVIATIONS or _INITIALS.fullmatch(word):
                continue
        sentences.append(line[start : end.start(1)])
        start = end.end()
    sentences.append(line[start:])
    return [s for s in (s.strip() for s in sentences) if s]


def _iter_ted_xml(source: CorpusSource, stats: ReadStats) -> Iterator[str]:
    """One document per sentence of every <content> element, stage notes dropped.

    Streams with iterparse and clears each talk once read, so memory stays bounded.
    """
    path = source.path
    contents = 0
    with open_binary(path) as handle:
        root = None
        try:
            for event, element in ElementTree.iterparse(handle, events=("start", "end")):
                if root is None:
                    root = element
                if event != "end":
                    continue
                if element.tag == "content":
                    contents += 1
                    yield from _ted_content("".join(element.itertext()), stats)
                    element.clear()
                elif element.tag == "file":
                    root.clear()  # this talk is done: drop it (and its <head>)
        except ElementTree.ParseError as exc:
            line, column = exc.position
            raise CorpusError(
                f"Corpus file {path} is not well-formed XML at line {line}, column "
                f"{column + 1} ({_xml_problem(exc)}). Fix the file, or if it was downloaded, "
                "download it again."
            ) from None
        except LookupError as exc:  # an encoding in the XML declaration Python does not know
            raise CorpusError(
                f"Corpus file {path} declares an encoding Python does not know ({exc}). Fix its "
                '<?xml ... encoding="..."?> line, or convert the file to UTF-8.'
            ) from None
        except (EOFError, OSError, zipfile.BadZipFile, zlib.error) as exc:
            raise CorpusError(
                f"Corpus file {path} is damaged ({exc}). If it was downloaded, download it again."
            ) from None
    if not contents:
        raise CorpusError(
            f"Corpus file {path} has no <content> elements. The ted-xml format reads TED-talk "
            "XML (<xml><file><head>...</head><content>talk</content></file>...); for other "
            "files give --corpus-format text or tsv."
        )


def _xml_problem(exc: ElementTree.ParseError) -> str:
    # "mismatched tag: line 5, column 2" -> "mismatched tag"
    return str(exc).split(": line ", 1)[0]


def _ted_content(text: str, stats: ReadStats) -> Iterator[str]:
    for line in text.splitlines():
        stats.rows += 1
        if not line.strip():
            stats.skip("empty document")
            continue
        kept = drop_stage_notes(line)
        if not kept:
            stats.skip("only stage notes")
            continue
        for sentence in split_sentences(kept):
            stats.documents += 1
            yield sentence

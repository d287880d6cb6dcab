"""Analogy and word-similarity test sets: reading the files, and the default sets per language."""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from embedcli import paths
from embedcli.errors import EvalSetError, OptionsError, quoted

SEMANTIC, SYNTACTIC, UNKNOWN = "semantic", "syntactic", "unknown"
KINDS = (SEMANTIC, SYNTACTIC, UNKNOWN)
LANGUAGES = ("ko", "en")
LANGUAGE_OF_TOKENIZER = {"okt": "ko", "kiwi": "ko", "mecab": "ko", "english": "en"}
KO_EVAL_DIR = ("eval", "ko")  # under the shipped corpora folder
KO_ANALOGIES = ("kor_analogy_semantic.txt", "kor_analogy_syntactic.txt")
KO_SIMILARITY = ("kor_ws353.csv",)
EN_ANALOGIES = ("questions-words.txt",)
EN_SIMILARITY = ("wordsim353.tsv", "simlex999.txt")


# --- readers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    line: int
    words: tuple[str, str, str, str]  # a b c d: a is to b as c is to d


@dataclass
class AnalogySection:
    name: str
    kind: str  # semantic, syntactic or unknown
    questions: list[Question] = field(default_factory=list)


@dataclass
class AnalogySet:
    """A parsed analogy file."""

    path: Path
    header: str  # ":" (questions-words) or "#" (kor2vec)
    sections: list[AnalogySection]

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def questions(self) -> int:
        return sum(len(s.questions) for s in self.sections)

    def words(self) -> list[str]:
        return [w for s in self.sections for q in s.questions for w in q.words]


@dataclass(frozen=True)
class Pair:
    line: int
    word1: str
    word2: str
    score: float


@dataclass
class SimilaritySet:
    """A parsed word-similarity file."""

    path: Path
    delimiter: str  # "tab", "comma" or "space"
    pairs: list[Pair]

    @property
    def name(self) -> str:
        return self.path.name

    def words(self) -> list[str]:
        return [w for p in self.pairs for w in (p.word1, p.word2)]


def _read_lines(path: Path, what: str) -> list[str]:
    if not path.exists():
        raise EvalSetError(f"The {what} file {path} does not exist.")
    if path.is_dir():
        raise EvalSetError(f"{path} is a directory: give the path of a {what} file.")
    try:
        text = path.read_text(encoding="utf-8-sig")  # -sig: a BOM is not part of word one
    except UnicodeDecodeError as exc:
        raise EvalSetError(
            f"{path} is not UTF-8 text (byte {exc.start} cannot be decoded); save it as UTF-8."
        ) from None
    except OSError as exc:
        raise EvalSetError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    # Not splitlines(): it also breaks at characters such as U+2028, shifting line numbers.
    lines = [line.rstrip("\r") for line in text.split("\n")]
    return lines[:-1] if lines and lines[-1] == "" else lines


_PAIRS_SUFFIX = re.compile(r"\s*\(\s*\d+\s+pairs?\s*\)\s*$", re.IGNORECASE)


def _kind_in(name: str) -> str | None:
    lowered = name.lower()
    if "syntactic" in lowered:
        return SYNTACTIC
    if "semantic" in lowered:
        return SEMANTIC
    return None


def _section_kind(section: str, path: Path) -> str:
    """Semantic or syntactic, when the file name or the section name says which."""
    kind = _kind_in(path.stem) or _kind_in(section)
    if kind:
        return kind
    if section.lower().startswith("gram"):  # questions-words: gram1-adjective-to-adverb, ...
        return SYNTACTIC
    if path.name == "questions-words.txt":
        return SEMANTIC
    return UNKNOWN


def parse_analogies(path: Path | str) -> AnalogySet:
    """Read an analogy file: section header lines, then one question `a b c d` per line.

    Headers are `: name` (questions-words.txt) or, in files without any `:` line, `# name`
    (kor2vec; a trailing "(N pairs)" is dropped from the name). In a `:` file, `#` lines are
    comments. Questions before the first header form a section named after the file.
    """
    path = Path(path)
    lines = _read_lines(path, "analogy")
    header = ":" if any(line.lstrip().startswith(":") for line in lines) else "#"
    sections: list[AnalogySection] = []
    current: AnalogySection | None = None
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith(header):
            name = _PAIRS_SUFFIX.sub("", line[1:]).strip() or f"section at line {number}"
            current = AnalogySection(name, _section_kind(name, path))
            sections.append(current)
            continue
        if line.startswith("#"):
            continue
        words = line.split()
        if len(words) != 4:
            raise EvalSetError(
                f"{path} line {number}: expected 4 words (a b c d), found {len(words)}."
            )
        if current is None:
            current = AnalogySection(path.stem, _section_kind(path.stem, path))
            sections.append(current)
        current.questions.append(Question(number, (words[0], words[1], words[2], words[3])))
    sections = [s for s in sections if s.questions]
    if not sections:
        raise EvalSetError(
            f"{path} holds no analogy questions: expected section lines (': name' or "
            "'# name') followed by lines of four words 'a b c d'."
        )
    return AnalogySet(path=path, header=header, sections=sections)


_DELIMITERS = {"tab": "\t", "comma": ",", "space": None}


def parse_similarity(path: Path | str) -> SimilaritySet:
    """Read a word-pair file: `word1 word2 score` per line.

    The separator is taken from the first line that is not a comment: a tab, else a comma
    (CSV quoting allowed), else whitespace. Lines starting with `#` are comments; a first line
    whose score is not a number is taken for a header and skipped.
    """
    path = Path(path)
    lines = _read_lines(path, "word-similarity")
    delimiter: str | None = None
    pairs: list[Pair] = []
    header_skipped = False
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if delimiter is None:
            delimiter = "tab" if "\t" in line else "comma" if "," in line else "space"
        fields_ = _split_fields(line, delimiter)
        if len(fields_) != 3:
            shown = {"tab": "tabs", "comma": "commas", "space": "spaces"}[delimiter]
            raise EvalSetError(
                f"{path} line {number}: expected 3 fields (word1, word2, score) separated by "
                f"{shown}, found {len(fields_)}."
            )
        word1, word2, score_text = fields_
        try:
            score = float(score_text)
        except ValueError:
            if not pairs and not header_skipped:
                header_skipped = True
                continue
            raise EvalSetError(
                f"{path} line {number}: the score {score_text!r} is not a number."
            ) from None
        if not word1 or not word2:
            raise EvalSetError(f"{path} line {number}: a word is empty.")
        if not math.isfinite(score):
            raise EvalSetError(f"{path} line {number}: the score {score_text!r} is not finite.")
        pairs.append(Pair(number, word1, word2, score))
    if not pairs:
        raise EvalSetError(
            f"{path} holds no word pairs: expected lines 'word1<TAB>word2<TAB>score' (or "
            "comma-separated); '#' starts a comment."
        )
    return SimilaritySet(path=path, delimiter=delimiter or "tab", pairs=pairs)


def _split_fields(line: str, delimiter: str) -> list[str]:
    if delimiter == "comma":
        return [f.strip() for f in next(csv.reader([line]))]
    return [f.strip() for f in line.split(_DELIMITERS[delimiter])]


def default_test_sets(language: str) -> tuple[list[Path], list[Path]]:
    """Analogy and similarity files used when none are given: kor2vec's, or gensim's."""
    if language == "ko":
        base = paths.shipped_corpora_dir().joinpath(*KO_EVAL_DIR)
        found = [base / name for name in KO_ANALOGIES], [base / name for name in KO_SIMILARITY]
        hint = (
            "It comes with embedcli (inside the installed package, or in a clone's corpora/ "
            "folder): reinstall embedcli, set EMBEDCLI_CORPORA to a folder holding eval/ko/, "
            "or pass --analogies/--similarity."
        )
    elif language == "en":
        base = Path(str(resources.files("gensim.test").joinpath("test_data")))
        found = [base / name for name in EN_ANALOGIES], [base / name for name in EN_SIMILARITY]
        hint = "It is part of gensim's test data: reinstall gensim, or pass your own files."
    else:
        raise OptionsError(
            f"Unknown language {quoted(language)}: use one of {', '.join(LANGUAGES)}."
        )
    for path in found[0] + found[1]:
        if not path.is_file():
            raise EvalSetError(f"The default test set {path} is missing. {hint}")
    return found

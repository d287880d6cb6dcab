"""What `embedcli tokenizers` shows: each tokenizer, whether it can run here, how fast it is.

The checks are cheap: packages are looked up without importing them (no Kiwi model loaded, no
MeCab dictionary opened) and Java is found without starting a JVM."""

from __future__ import annotations

import importlib.util
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version

from embedcli.errors import TokenizerError
from embedcli.tokens.options import TOKENIZER_LANGUAGES, TOKENIZERS, tokenizer_version
from embedcli.tokens.packages import backend_version, missing_package

# Documents per second of `embedcli tokenize --workers 1` over the 200K NSMC reviews on 2
# cores, rounded (BENCHMARKS.md, issue 6): okt and kiwi the mean of two runs, mecab the run
# after it reads MeCab's lattice directly; english: lines of the shipped `en` corpus, 225
# characters on average. A ballpark: the machine's speed drifts, the chunk memo makes larger
# corpora faster per document, and --workers adds up to the number of cores.
DOCS_PER_SECOND = {"okt": 500, "kiwi": 1_700, "mecab": 4_900, "english": 30_000}

DESCRIPTIONS = {
    "okt": "KoNLPy's Okt in a JVM: the textbook's tokenizer",
    "kiwi": "Kiwi (kiwipiepy), no JVM; tokens shaped like Okt's",
    "mecab": "MeCab with mecab-ko-dic (python-mecab-ko), no JVM; tokens shaped like Okt's",
    "english": "lowercased words, apostrophes, hyphens and numbers kept; plain Python",
}


@dataclass
class TokenizerInfo:
    name: str
    lang: str
    usable: bool
    detail: str  # why it cannot run, or what it runs on
    version: str
    docs_per_second: int
    speed: str
    description: str

    def to_dict(self) -> dict:
        return asdict(self)


def speed_class(docs_per_second: int) -> str:
    if docs_per_second < 1_000:
        return "slow"
    if docs_per_second < 5_000:
        return "medium"
    return "fast"


def list_tokenizers() -> list[TokenizerInfo]:
    """Every tokenizer `--tokenizer` accepts, in that order."""
    return [_info(name) for name in TOKENIZERS]


def _info(name: str) -> TokenizerInfo:
    if name == "okt":
        usable, detail, found = _okt()
    elif name == "english":
        usable, detail, found = True, "built in", tokenizer_version(name)
    else:
        why = missing_package(name)
        usable, detail = why is None, why or "installed"
        found = backend_version(name) if usable else "-"
    speed = DOCS_PER_SECOND[name]
    return TokenizerInfo(
        name=name,
        lang=TOKENIZER_LANGUAGES[name],
        usable=usable,
        detail=detail,
        version=found,
        docs_per_second=speed,
        speed=speed_class(speed),
        description=DESCRIPTIONS[name],
    )


def _okt() -> tuple[bool, str, str]:
    """(usable, detail, version) for Okt: konlpy and JPype installed, and a Java found."""
    for module in ("konlpy", "jpype"):
        if importlib.util.find_spec(module) is None:
            return False, f"the {module} package is not installed", "-"
    from pathlib import Path

    from embedcli.tokens.java import find_jvm, java_version

    try:
        konlpy = version("konlpy")
    except PackageNotFoundError:  # pragma: no cover - found above
        konlpy = "?"
    try:
        jvm = find_jvm()
    except TokenizerError as exc:
        return False, str(exc).split(". ")[0], f"konlpy-{konlpy}"
    java = java_version(Path(jvm)) or "?"
    return True, f"Java {java}", tokenizer_version("okt")

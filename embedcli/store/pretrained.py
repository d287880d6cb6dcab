"""Well-known published word vectors, by name: what `embedcli pretrained` lists and
`embedcli import NAME` downloads (with `corpora.download.fetch`: progress, resume, and the
sha256 of the first download recorded and checked on every later use).

Sizes are those of the published files, to the nearest tenth of a GB, for a person deciding
whether to download; nothing checks them. EMBEDCLI_PRETRAINED_MIRROR, a base URL, fetches the
same file names from a mirror instead (an offline copy, or the tests' local server)."""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from embedcli.errors import DownloadError

MIRROR_VARIABLE = "EMBEDCLI_PRETRAINED_MIRROR"

_FASTTEXT_CC = "https://dl.fbaipublicfiles.com/fasttext/vectors-crawl"
_FASTTEXT_WIKI = "https://dl.fbaipublicfiles.com/fasttext/vectors-wiki"
_CC_BY_SA = "CC BY-SA 3.0"


@dataclass(frozen=True)
class Pretrained:
    name: str
    lang: str
    description: str
    size: str
    url: str
    licence: str
    member: str | None = None  # the file to read inside a zip archive
    sha256: str | None = None  # None: recorded on first download (trust on first use)

    @property
    def download_url(self) -> str:
        mirror = os.environ.get(MIRROR_VARIABLE)
        if not mirror:
            return self.url
        return mirror.rstrip("/") + "/" + PurePosixPath(self.url).name


CATALOG = {
    entry.name: entry
    for entry in (
        Pretrained(
            "fasttext-ko",
            "ko",
            "fastText, Common Crawl + Wikipedia, 2M words x 300, with n-grams (unseen words)",
            "4.5 GB",
            f"{_FASTTEXT_CC}/cc.ko.300.bin.gz",
            _CC_BY_SA,
        ),
        Pretrained(
            "fasttext-ko-vec",
            "ko",
            "fastText, Common Crawl + Wikipedia, 2M words x 300, whole words only",
            "1.2 GB",
            f"{_FASTTEXT_CC}/cc.ko.300.vec.gz",
            _CC_BY_SA,
        ),
        Pretrained(
            "fasttext-wiki-ko",
            "ko",
            "fastText, Korean Wikipedia (2016), x 300, whole words only",
            "0.8 GB",
            f"{_FASTTEXT_WIKI}/wiki.ko.vec",
            _CC_BY_SA,
        ),
        Pretrained(
            "fasttext-en",
            "en",
            "fastText, Common Crawl + Wikipedia, 2M words x 300, with n-grams (unseen words)",
            "4.5 GB",
            f"{_FASTTEXT_CC}/cc.en.300.bin.gz",
            _CC_BY_SA,
        ),
        Pretrained(
            "fasttext-en-vec",
            "en",
            "fastText, Common Crawl + Wikipedia, 2M words x 300, whole words only",
            "1.3 GB",
            f"{_FASTTEXT_CC}/cc.en.300.vec.gz",
            _CC_BY_SA,
        ),
        Pretrained(
            "glove-6b-100",
            "en",
            "GloVe, Wikipedia 2014 + Gigaword 5, 400K words x 100 (uncased)",
            "0.8 GB (zip of 50/100/200/300 dims)",
            "https://nlp.stanford.edu/data/glove.6B.zip",
            "PDDL 1.0",
            member="glove.6B.100d.txt",
        ),
        Pretrained(
            "glove-6b-300",
            "en",
            "GloVe, Wikipedia 2014 + Gigaword 5, 400K words x 300 (uncased)",
            "0.8 GB (zip of 50/100/200/300 dims)",
            "https://nlp.stanford.edu/data/glove.6B.zip",
            "PDDL 1.0",
            member="glove.6B.300d.txt",
        ),
    )
}


def find(name: str) -> Pretrained | None:
    return CATALOG.get(name)


def extract_member(archive: Path, member: str) -> Path:
    """`member` of zip `archive`, extracted once next to it (atomically)."""
    from embedcli.util.atomic import atomic_file

    target = archive.with_name(member)
    if target.is_file():
        return target
    try:
        with (
            zipfile.ZipFile(archive) as zipped,
            zipped.open(member) as source,
            atomic_file(target, force=True) as tmp,
            open(tmp, "wb") as out,
        ):
            while chunk := source.read(1 << 20):
                out.write(chunk)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise DownloadError(
            f"{archive} is not the zip archive expected ({exc}): delete it and run the import "
            "again."
        ) from None
    return target

"""Options shared by several commands, as Annotated aliases."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from embedcli.cli import console

# --- shared options -------------------------------------------------------------------------

CorpusOpt = Annotated[
    str | None,
    typer.Option(
        "--corpus",
        "-c",
        help="A corpus name (see `embedcli corpora`) or the path of a TSV, text, TED XML or "
        "MediaWiki dump file (.gz, .bz2, or a .zip holding one file, is fine). Defaults to "
        "the shipped NSMC reviews.",
    ),
]
FormatOpt = Annotated[
    str,
    typer.Option(
        "--corpus-format",
        help="How to read a corpus file: auto (ted-xml for .xml files or a leading <?xml, "
        "else TSV when the first line has a tab, else text), tsv, text (one document per "
        "line; lines over a million characters, like text8's, become 10,000-word documents), "
        "ted-xml (one document per sentence of each <content>, stage notes dropped) or "
        "mediawiki (a Wikipedia dump such as *-pages-articles.xml.bz2, recognised by its "
        "<mediawiki> root: one document per paragraph of each article, markup stripped).",
    ),
]
TextColumnOpt = Annotated[
    str | None,
    typer.Option(
        "--text-column",
        help="TSV column holding the text: a header name (default 'document') or a 1-based "
        "number for files without a header.",
    ),
]
EncodingOpt = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        help="The corpus file's text encoding. Default auto: UTF-8 (with or without a BOM), "
        "UTF-16/32 with a BOM (Excel's Unicode text) and Korean CP949/EUC-KR are recognised; "
        "anything else is refused. Or a Python codec name such as cp949, utf-16 or latin-1.",
    ),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option("--workers", "-w", help="Processes/threads to use; one per core if omitted."),
]
MaxRepeatOpt = Annotated[
    int | None,
    typer.Option(
        "--max-repeat",
        help="Shorten runs of one repeated character (ㅋㅋㅋㅋㅋ...) to this many before Okt "
        "sees them, because Okt slows down badly on them; 0 keeps them (Okt default 3, "
        "English 0).",
    ),
]
TokenizerOpt = Annotated[
    str | None,
    typer.Option(
        "--tokenizer",
        help="okt: the textbook's Korean pipeline (Hangul only, stems, stopwords); kiwi or "
        "mecab: the same pipeline with Kiwi or MeCab instead of Okt, no JVM, tokens shaped like "
        "Okt's; english: lowercased words with inner apostrophes/hyphens and numbers, no JVM. "
        "See `embedcli tokenizers`. Default: the one --lang or the corpus's language calls "
        "for, else okt.",
    ),
]
LangOpt = Annotated[
    str | None,
    typer.Option(
        "--lang",
        help="The corpus language, which picks the tokenizer: ko (okt) or en (english). "
        "Defaults to the named corpus's language (en for --corpus en), else ko.",
    ),
]
ClusterOpt = Annotated[
    str | None,
    typer.Option(
        "--cluster",
        envvar="EMBEDCLI_CLUSTER",
        show_envvar=False,
        help="Tokenize on a Dask cluster: the scheduler's address (tcp://head:8786, as "
        "`dask scheduler` prints it), or local:N for N worker processes on this machine. The "
        "tokens are the same as without it. Needs embedcli[cluster] here and on the workers; "
        "$EMBEDCLI_CLUSTER sets it too.",
    ),
]
ForceOpt = Annotated[bool, typer.Option("--force", "-f", help="Replace existing output files.")]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress bars or status lines on stderr.")
]
ModelOpt = Annotated[
    Path | None,
    typer.Option(
        "--model",
        "-m",
        help="The model directory to use; defaults to the most recently trained model.",
    ),
]
TopnOpt = Annotated[int, typer.Option("--topn", "-n", help="How many answers to show.")]
OutFormatOpt = Annotated[
    str,
    typer.Option(
        "--format",
        help="table for people, tsv or json for scripts.",
    ),
]


def check_format(fmt: str) -> str:
    if fmt not in console.FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(console.FORMATS)}.")
    return fmt

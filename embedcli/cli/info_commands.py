"""`embedcli corpora` and `embedcli tokenizers`: what can be used here."""

from __future__ import annotations

from embedcli.cli import console
from embedcli.cli.app import app
from embedcli.cli.options import OutFormatOpt, check_format

# --- corpora --------------------------------------------------------------------------------


@app.command()
def corpora(fmt: OutFormatOpt = "table") -> None:
    """List the named corpora: shipped with embedcli, downloadable, or recognised by checksum."""
    from embedcli import paths
    from embedcli.corpora.registry import REGISTRY

    check_format(fmt)
    rows = []
    for entry in REGISTRY.values():
        if entry.shipped:
            where = (
                "shipped"
                if (paths.shipped_corpora_dir() / entry.shipped).is_file()
                else ("missing")
            )
        elif entry.url:
            where = "download"
        else:
            where = "--corpus PATH"
        rows.append(
            {
                "name": entry.name,
                "lang": entry.lang,
                "where": where,
                "description": entry.description,
                "license": entry.license,
            }
        )
    console.render_rows(
        rows, ["name", "lang", "where", "description", "license"], fmt, title="Corpora"
    )


# --- tokenizers -----------------------------------------------------------------------------


@app.command()
def tokenizers(fmt: OutFormatOpt = "table") -> None:
    """List the tokenizers: whether each can run here, its version and its speed."""
    from embedcli.tokens.info import list_tokenizers

    check_format(fmt)
    rows = []
    for info in list_tokenizers():
        row = info.to_dict()
        if fmt == "table":
            row["usable"] = "yes" if info.usable else "no"
            row["docs/s"] = f"~{info.docs_per_second:,} ({info.speed})"
        rows.append(row)
    if fmt == "table":
        columns = ["name", "lang", "usable", "detail", "version", "docs/s"]
    else:
        columns = ["name", "lang", "usable", "detail", "version", "docs_per_second", "speed"]
    console.render_rows(
        rows,
        columns,
        fmt,
        title="Tokenizers",
        caption="docs/s: NSMC reviews per second with --workers 1, measured on the 200K "
        "reviews (english: lines of the `en` corpus); a ballpark. See BENCHMARKS.md.",
        right=["docs/s"],
    )

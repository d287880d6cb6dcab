"""Everything the CLI shows: stdout results, stderr status, progress bars, renderers.

Results go to stdout (a table by default, TSV or JSON for scripts); progress, status and
warnings go to stderr, so `embedcli similar X --format json | jq` just works. Progress bars
appear only when stderr is a terminal and --quiet is not given; otherwise long steps print a
plain status line when they finish."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text

FORMATS = ("table", "tsv", "json")


def _width() -> int | None:
    # Tests (and users piping into files) get a stable layout with COLUMNS.
    columns = os.environ.get("COLUMNS")
    return int(columns) if columns and columns.isdigit() else None


out = Console(width=_width(), highlight=False)
err = Console(stderr=True, width=_width(), highlight=False)


def result(line: str) -> None:
    """One plain line of result on stdout (a path, say): never wrapped, easy to capture."""
    print(line, file=sys.stdout)


def status(message: str, quiet: bool = False) -> None:
    if not quiet:
        err.print(message, markup=False, highlight=False, soft_wrap=True)


def error(message: str) -> None:
    err.print(Text(f"Error: {message}", style="bold red"), soft_wrap=True)


class RateColumn(ProgressColumn):
    """Items per second, e.g. '2,143 docs/s'."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        if speed is None:
            return Text(f"? {self.unit}/s", style="progress.data.speed")
        return Text(f"{speed:,.0f} {self.unit}/s", style="progress.data.speed")


class NullProgress:
    """Stands in for a rich Progress when no bar should be drawn."""

    def add_task(self, *args, **kwargs) -> int:
        return 0

    def update(self, *args, **kwargs) -> None:
        pass

    def advance(self, *args, **kwargs) -> None:
        pass


def bars_enabled(quiet: bool) -> bool:
    return not quiet and err.is_terminal


@contextmanager
def progress(kind: str, quiet: bool = False) -> Iterator[Progress | NullProgress]:
    """A progress display on stderr: kind is 'docs', 'epochs' or 'bytes'."""
    if not bars_enabled(quiet):
        yield NullProgress()
        return
    columns: list = [TextColumn("[progress.description]{task.description}"), BarColumn()]
    if kind == "bytes":
        columns += [DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn()]
    elif kind == "epochs":
        columns += [MofNCompleteColumn(), TextColumn("{task.fields[info]}"), TimeElapsedColumn()]
    else:
        columns += [
            TaskProgressColumn(),
            MofNCompleteColumn(),
            RateColumn(kind),
            TimeRemainingColumn(),
        ]
    with Progress(*columns, console=err, transient=False) as bar:
        yield bar


def render_rows(
    rows: Sequence[dict],
    columns: Sequence[str],
    fmt: str,
    title: str | None = None,
    caption: str | None = None,
    meta: dict | None = None,
    right: Sequence[str] = ("rank", "score"),
) -> None:
    """Print result rows as a rich table, TSV (with a header line) or JSON.

    `right` names the table columns to right-align (numbers).
    """
    if fmt == "json":
        payload = dict(meta or {})
        payload["results"] = list(rows)
        print(json.dumps(payload, ensure_ascii=False, indent=2), file=sys.stdout)
    elif fmt == "tsv":
        lines = ["\t".join(columns)]
        lines += ["\t".join(_tsv_cell(row[c]) for c in columns) for row in rows]
        print("\n".join(lines), file=sys.stdout)  # rich would expand the tabs
    else:
        table = Table(title=title)
        for name in columns:
            table.add_column(name, justify="right" if name in right else "left")
        for row in rows:
            table.add_row(*(_table_cell(row[c]) for c in columns))
        out.print(table)
        if caption:  # below the table, unwrapped: it may hold notes that must stay readable
            out.print(caption, style="dim", markup=False, highlight=False, soft_wrap=True)


def _tsv_cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.6f}"
    return str(value).replace("\t", " ").replace("\n", " ")


def _table_cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)

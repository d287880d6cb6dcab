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


class StageBars:
    """Progress for one API call: `on_progress(stage, done, total)` and `on_epoch(report)`.

    Each stage gets a bar of its kind (bytes for a download, documents for tokenizing,
    epochs for training, plain counts otherwise); a new kind of stage closes the bars of the
    previous one. Without a terminal (or with --quiet) nothing is drawn and every training
    epoch gets one status line instead.
    """

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self._progress = None
        self._kind: str | None = None
        self._tasks: dict[str, int] = {}

    def __enter__(self) -> StageBars:
        return self

    def __exit__(self, *exc) -> None:
        self._close()

    def status(self, message: str) -> None:
        status(message, self.quiet)

    def _close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
        self._progress, self._kind, self._tasks = None, None, {}

    def _bar(self, kind: str):
        if kind != self._kind:
            self._close()
            self._kind = kind
            if bars_enabled(self.quiet):
                self._progress = Progress(*_columns(kind), console=err, transient=False)
                self._progress.start()
        return self._progress

    def on_progress(self, stage: str, done: int, total: int | None) -> None:
        kind = _kind_of(stage)
        first = stage not in self._tasks or kind != self._kind
        if stage == "download" and first and done:
            of = f" of {total:,}" if total is not None else ""
            self.status(f"Resuming the download at {done:,}{of} bytes.")
        bar = self._bar(kind)
        if bar is None:
            self._tasks.setdefault(stage, 0)
            return
        if stage not in self._tasks:
            self._tasks[stage] = bar.add_task(stage, total=total, info="")
        bar.update(self._tasks[stage], completed=done, total=total)

    def on_epoch(self, report) -> None:
        if report.loss is None:
            loss = ""
        elif report.unit == "non-zeros":  # GloVe's cost is a mean, Word2Vec's loss a sum
            loss = f"cost {report.loss:.4f}, "
        else:
            loss = f"loss {report.loss:,.0f}, "
        info = f"{loss}{report.words_per_second:,.0f} {report.unit}/s"
        if report.checkpoint_seconds:
            info += f", checkpoint {report.checkpoint_seconds:.2f} s"
        bar = self._bar("epochs")
        if bar is None:
            self.status(f"epoch {report.epoch}/{report.epochs}: {info}")
            return
        if not self._tasks:  # another stage's bars came between: a fresh epochs bar
            self._tasks["train"] = bar.add_task("train", total=report.epochs, info="")
        task = next(iter(self._tasks.values()))
        bar.update(task, completed=report.epoch, total=report.epochs, info=info)


def _kind_of(stage: str) -> str:
    if stage == "download":
        return "bytes"
    if stage.startswith("tokenize"):
        return "docs"
    if stage.startswith("train"):
        return "epochs"
    return "steps"


def _columns(kind: str) -> list:
    columns: list = [TextColumn("[progress.description]{task.description}"), BarColumn()]
    if kind == "bytes":
        columns += [DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn()]
    elif kind == "epochs":
        columns += [MofNCompleteColumn(), TextColumn("{task.fields[info]}"), TimeElapsedColumn()]
    elif kind == "docs":
        columns += [TaskProgressColumn(), MofNCompleteColumn(), RateColumn(kind)]
        columns += [TimeRemainingColumn()]
    else:
        columns += [TaskProgressColumn(), TimeRemainingColumn()]
    return columns

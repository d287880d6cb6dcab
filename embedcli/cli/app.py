"""The Typer app and the command line's one error boundary.

Each command parses its options, makes one call into the Python API (`embedcli.api`) and
renders the result. Every exception on the way out passes `_exit_code`: a known problem
(`EmbedcliError`, a usage error) becomes one `Error: ...` line on stderr and exit code 1 (2 for
options and usage), Ctrl-C or SIGTERM one `Interrupted: ...` line and 130/143; anything else
is a bug and keeps its traceback. EMBEDCLI_DEBUG=1 shows tracebacks for known problems too.
"""

from __future__ import annotations

import errno
import os
import sys
from typing import Annotated

import typer
import typer.core
from typer.exceptions import TyperException

from embedcli import __version__
from embedcli.cli import console
from embedcli.errors import EmbedcliError, OptionsError
from embedcli.util import interrupts


class _OneBoundary(typer.core.TyperGroup):
    """Runs every command inside the error boundary, and click's usage errors through it too."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except (Exception, KeyboardInterrupt) as exc:  # errors before a command runs
            code = _exit_code(exc)
            if code is None:
                raise
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx):
        try:
            # SIGTERM takes the same way out as Ctrl-C: an Interrupted exception.
            with interrupts.signals_raise():
                return super().invoke(ctx)
        except typer.Exit:
            raise
        except (Exception, KeyboardInterrupt) as exc:
            code = _exit_code(exc)
            if code is None:
                raise
            raise typer.Exit(code) from None


def _exit_code(exc: BaseException) -> int | None:
    """Report a known problem in one line and return the exit code; None for a bug."""
    if isinstance(exc, KeyboardInterrupt):
        # Workers were stopped and temporary files removed on the way up; say what stopped
        # and what the next run does. 130 for Ctrl-C, 143 for SIGTERM, as shells report.
        console.status(interrupts.message(exc))
        return interrupts.exit_code(exc)
    if type(exc).__name__ == "NoArgsIsHelpError":
        exc.show()
        return getattr(exc, "exit_code", 2)
    if isinstance(exc, typer.Abort):
        console.error("Aborted.")
        return 1
    ours = isinstance(exc, typer.BadParameter) and exc.param is None
    if isinstance(exc, TyperException) and hasattr(exc, "format_message") and not ours:
        # Click's own usage errors (unknown command, `--topn abc`): one line, not its box.
        ctx = getattr(exc, "ctx", None)
        hint = f" See '{ctx.command_path if ctx is not None else 'embedcli'} -h'."
        message = exc.format_message().rstrip()
        console.error(message + ("" if message.endswith((".", "?", "!")) else ".") + hint)
        return exc.exit_code
    if os.environ.get("EMBEDCLI_DEBUG"):
        return None
    if ours or isinstance(exc, OptionsError):
        console.error(exc.message if ours else str(exc))
        return 2
    if isinstance(exc, EmbedcliError):
        console.error(str(exc))
        return 1
    if isinstance(exc, MemoryError):
        # The estimates before training should have refused this run; if memory still runs
        # out (a ulimit, other programs), say so in one line.
        console.error(
            "Out of memory: the run needed more memory than it could get, and stopped "
            "with nothing written. Lower --vector-size, --bucket or --max-vocab, raise "
            "--min-count, or free memory and run again."
        )
        return 1
    if isinstance(exc, OSError):
        from embedcli.util.atomic import is_disk_full

        if is_disk_full(exc):
            console.error(
                f"No space left on device while writing {exc.filename or 'an output file'}; "
                "free some space and run again."
            )
            return 1
        if exc.errno in _PLACE_ERRORS and exc.filename:
            # Places are checked before the work; this is the net for one that changed since.
            console.error(
                f"Cannot use {exc.filename} ({exc.strerror}): check that it exists and that "
                "its permissions allow what the command does, or choose another place."
            )
            return 1
    return None


_PLACE_ERRORS = (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR)


app = typer.Typer(
    cls=_OneBoundary,
    name="embedcli",
    help="Train and explore word embeddings, Korean first: NSMC -> Okt -> Word2Vec in one tool.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        console.out.print(f"embedcli {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Train and explore word embeddings, Korean first."""

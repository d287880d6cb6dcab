"""The `embedcli` command line: parse options, call the core, render the result.

Each command is a thin function; the work happens in the core modules, which never print.
Known problems (EmbedcliError) become one `Error: ...` line on stderr and exit code 1
(bad option combinations: exit 2); anything else is a bug and keeps its traceback.
Set EMBEDCLI_DEBUG=1 to see tracebacks for known problems too."""

from __future__ import annotations

import functools
import os
import sys
from typing import Annotated

import typer
import typer.core
from typer.exceptions import TyperException

from embedcli import __version__
from embedcli.cli import console
from embedcli.cli.train_commands import _PLACE_ERRORS
from embedcli.errors import EmbedcliError, OptionsError
from embedcli.util import interrupts


class _OneLineUsageErrors(typer.core.TyperGroup):
    """Click's own usage errors (unknown command, `--topn abc`) as one `Error:` line, exit 2.

    Typer would print the usage and a framed error box; every other error here is one line
    saying what is wrong and what to do, so these are too. Running with no arguments still
    prints the help.
    """

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except TyperException as exc:
            if type(exc).__name__ == "NoArgsIsHelpError" or not hasattr(exc, "format_message"):
                exc.show()
                sys.exit(getattr(exc, "exit_code", 2))
            ctx = getattr(exc, "ctx", None)
            hint = f" See '{ctx.command_path if ctx is not None else self.name} -h'."
            message = exc.format_message().rstrip()
            console.error(message + ("" if message.endswith((".", "?", "!")) else ".") + hint)
            sys.exit(exc.exit_code)
        except typer.Abort:
            console.error("Aborted.")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=_OneLineUsageErrors,
    name="embedcli",
    help="Train and explore word embeddings, Korean first: NSMC -> Okt -> Word2Vec in one tool.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _handle_errors(command):
    """Turn known errors into one line on stderr and a non-zero exit code."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            # SIGTERM takes the same way out as Ctrl-C: an Interrupted exception.
            with interrupts.signals_raise():
                return command(*args, **kwargs)
        except (OptionsError, typer.BadParameter) as exc:
            # One line, like every other error, not click's usage box; exit 2 as click does.
            if os.environ.get("EMBEDCLI_DEBUG"):
                raise
            console.error(exc.message if isinstance(exc, typer.BadParameter) else str(exc))
            raise typer.Exit(2) from None
        except EmbedcliError as exc:
            if os.environ.get("EMBEDCLI_DEBUG"):
                raise
            console.error(str(exc))
            raise typer.Exit(1) from None
        except KeyboardInterrupt as exc:
            # Workers were stopped and temporary files removed on the way up; say what stopped
            # and what the next run does. 130 for Ctrl-C, 143 for SIGTERM, as shells report.
            console.status(interrupts.message(exc))
            raise typer.Exit(interrupts.exit_code(exc)) from None
        except MemoryError:
            # The estimates before training should have refused this run; if memory still
            # runs out (a ulimit, other programs), say so in one line.
            if os.environ.get("EMBEDCLI_DEBUG"):
                raise
            console.error(
                "Out of memory: the run needed more memory than it could get, and stopped "
                "with nothing written. Lower --vector-size, --bucket or --max-vocab, raise "
                "--min-count, or free memory and run again."
            )
            raise typer.Exit(1) from None
        except OSError as exc:
            from embedcli.util.atomic import is_disk_full

            if os.environ.get("EMBEDCLI_DEBUG"):
                raise
            if is_disk_full(exc):
                console.error(
                    f"No space left on device while writing {exc.filename or 'an output file'}; "
                    "free some space and run again."
                )
            elif exc.errno in _PLACE_ERRORS and exc.filename:
                # Checked before the work; this is the net for a place that changed since.
                console.error(
                    f"Cannot write {exc.filename} ({exc.strerror}): check that its directory "
                    "exists and is writable, or choose another place."
                )
            else:
                raise
            raise typer.Exit(1) from None

    return wrapper


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

"""The command line: a Typer app whose commands each parse options, call the API, render."""

from embedcli.cli import (  # noqa: F401  (importing the modules registers their commands)
    evaluate_commands,
    export_commands,
    info_commands,
    pretrained_commands,
    query_commands,
    train_commands,
)
from embedcli.cli.app import app

__all__ = ["app"]

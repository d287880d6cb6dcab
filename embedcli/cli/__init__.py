"""The command line: a Typer app whose commands each parse options, call the API, render.

Importing a command module registers its commands; `--help` lists them in this order, the
pipeline's: corpus -> tokens -> model -> queries -> export -> what is available -> evaluation.
"""

# isort: off
from embedcli.cli import train_commands  # noqa: F401  tokenize, train
from embedcli.cli import query_commands  # noqa: F401  similar, analogy, vector
from embedcli.cli import pretrained_commands  # noqa: F401  import, pretrained, explore
from embedcli.cli import document_commands  # noqa: F401  doc-vectors, similar-docs
from embedcli.cli import plot_commands  # noqa: F401  plot
from embedcli.cli import export_commands  # noqa: F401  export-tsv
from embedcli.cli import info_commands  # noqa: F401  corpora, tokenizers
from embedcli.cli import evaluate_commands  # noqa: F401  evaluate
from embedcli.cli.app import app

# isort: on

__all__ = ["app"]

"""Where embedcli keeps models, downloads and token caches.

Models live under the data home, downloads and tokenized corpora under the cache home; both
follow the XDG base-directory convention and can be moved with environment variables
(the tests point them at a temporary directory).
"""

from __future__ import annotations

import os
from pathlib import Path


def data_home() -> Path:
    """Models and the pointer to the latest one: $EMBEDCLI_HOME or $XDG_DATA_HOME/embedcli."""
    if os.environ.get("EMBEDCLI_HOME"):
        return Path(os.environ["EMBEDCLI_HOME"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base).expanduser() / "embedcli"


def cache_home() -> Path:
    """Downloads and token caches: $EMBEDCLI_CACHE or $XDG_CACHE_HOME/embedcli."""
    if os.environ.get("EMBEDCLI_CACHE"):
        return Path(os.environ["EMBEDCLI_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "embedcli"


def shipped_corpora_dir() -> Path:
    """The shipped corpora and evaluation sets; $EMBEDCLI_CORPORA overrides them.

    An installed wheel carries the repository's `corpora/` folder as `embedcli/_shipped/` (see
    setup.py); a clone, or an editable install of one, reads `corpora/` itself.
    """
    if os.environ.get("EMBEDCLI_CORPORA"):
        return Path(os.environ["EMBEDCLI_CORPORA"]).expanduser()
    package = Path(__file__).resolve().parent
    installed = package / "_shipped"
    return installed if installed.is_dir() else package.parent / "corpora"


def models_dir() -> Path:
    return data_home() / "models"


def home_label(kind: str) -> str:
    """'the data home /x (EMBEDCLI_HOME)' / 'the cache /y': for messages about these places."""
    path, variable = (
        (data_home(), "EMBEDCLI_HOME")
        if kind == "data"
        else (
            cache_home(),
            "EMBEDCLI_CACHE",
        )
    )
    label = "data home" if kind == "data" else "cache"
    if os.environ.get(variable):
        return f"the {label} {path} (set by {variable}; point it at a writable directory)"
    return f"the {label} {path} (set {variable} to move it)"

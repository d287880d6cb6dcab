"""Which tokenizer packages are installed, and the versions that go into the token cache key."""

from __future__ import annotations

import importlib.util
from importlib.metadata import PackageNotFoundError, version

from embedcli.errors import TokenizerError
from embedcli.tokens.korean_rules import RULES_VERSION

# --- what is installed -------------------------------------------------------------------

# The Python packages each backend imports, and the distributions whose versions name it.
PACKAGES = {
    "kiwi": {"module": "kiwipiepy", "dists": ("kiwipiepy", "kiwipiepy_model")},
    "mecab": {"module": "mecab", "dists": ("python-mecab-ko", "python-mecab-ko-dic")},
}


def missing_package(name: str) -> str | None:
    """Why backend `name` cannot be imported here (None when it can); imports nothing."""
    module = PACKAGES[name]["module"]
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        return f"the {module} package is not installed"
    for dist in PACKAGES[name]["dists"]:
        try:
            version(dist)
        except PackageNotFoundError:
            return f"the {dist} package is not installed"
    return None


def require(name: str) -> None:
    """TokenizerError, saying what to install, when backend `name` is not importable."""
    why = missing_package(name)
    if why:
        dists = " ".join(PACKAGES[name]["dists"])
        raise TokenizerError(
            f"The {name} tokenizer cannot run: {why}. Run `make install` again, or "
            f"`.venv/bin/pip install {dists}`; or use --tokenizer okt."
        )


def backend_version(name: str) -> str:
    """The packages and rules behind backend `name`, e.g. kiwipiepy-0.24.1+model-0.24.0/..."""
    library, data = (_version_of(dist) for dist in PACKAGES[name]["dists"])
    part = "model" if name == "kiwi" else "dic"
    return f"{PACKAGES[name]['dists'][0]}-{library}+{part}-{data}/okt-like-{RULES_VERSION}"


def _version_of(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "missing"

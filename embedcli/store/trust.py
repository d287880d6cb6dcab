"""Which Python pickles embedcli may open: the ones it wrote on this machine, or `--trust`.

gensim keeps models as pickles (vectors.kv, model.gensim), and unpickling runs whatever code
the file's author put in it. Queries never need them (they read the query index); they are
opened only for what needs gensim's objects (FastText's n-gram model, exporting or evaluating a
model without an index), and then only when

* embedcli wrote the file on this machine: every pickle it saves is recorded, as its sha256
  and path, in `<data home>/trusted-pickles.json`, and a file is trusted when its sha256 is
  recorded (a copy of the same bytes is the same file); or
* the caller says it trusts the file (`--trust`, `embedcli.load(..., trust=True)`).

Anything else is refused with `UntrustedPickleError`, whose message says how to convert a model
one trusts (`embedcli import --trust FILE`)."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from embedcli import paths
from embedcli.errors import UntrustedPickleError
from embedcli.util.atomic import atomic_file, sha256_file

TRUST_FILE = "trusted-pickles.json"
PICKLE_MAGIC = b"\x80"


def trust_file() -> Path:
    return paths.data_home() / TRUST_FILE


def _read() -> dict:
    try:
        data = json.loads(trust_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record(*files: Path) -> None:
    """Remember `files` (pickles embedcli just wrote) as trusted."""
    files = tuple(Path(f) for f in files if Path(f).is_file())
    if not files:
        return
    target = trust_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    with _waiting_lock(target.with_name(TRUST_FILE + ".lock")):
        data = _read()
        for path in files:
            data[sha256_file(path)] = {
                "path": str(path.resolve()),
                "recorded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            }
        with atomic_file(target, force=True) as tmp:
            tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


@contextmanager
def _waiting_lock(lock: Path):
    """Two runs saving models at once both get recorded: the second waits for the first."""
    try:
        import fcntl
    except ImportError:  # Windows: no flock
        yield
        return
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def is_trusted(path: Path) -> bool:
    """Was this file (these bytes) written by embedcli on this machine?"""
    try:
        digest = sha256_file(Path(path))
    except OSError:
        return False
    return digest in _read()


def is_pickle(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(1) == PICKLE_MAGIC
    except OSError:
        return False


def check(
    path: Path, *, trust: bool = False, needed_for: str = "", convert: Path | None = None
) -> None:
    """Raise UntrustedPickleError unless pickle `path` may be opened; the message tells to
    import `convert` (default `path`) with --trust."""
    if trust or is_trusted(path):
        return
    raise UntrustedPickleError(refusal(path, needed_for, convert))


def refusal(path: Path, needed_for: str = "", convert: Path | None = None) -> str:
    why = f" ({needed_for})" if needed_for else ""
    convert = convert or path
    return (
        f"{path} is a Python pickle{why} that embedcli did not write on this machine, and "
        "opening a pickle runs any code its author put in it, so it was not opened. If you "
        f"trust its source, convert it once with `embedcli import --trust {convert}` (then "
        "only what needs the pickle opens it)."
    )


def load_pickle(path: Path, *, trust: bool = False, needed_for: str = ""):
    """Unpickle a gensim file after `check`; arrays stored next to it are memory-mapped."""
    check(path, trust=trust, needed_for=needed_for)
    from gensim.utils import SaveLoad

    return SaveLoad.load(str(path), mmap="r")

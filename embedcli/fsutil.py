"""Writing outputs so that a failed or interrupted run never leaves a half-written file.

Everything is written under a temporary name next to its final place and renamed into place
only when complete; an existing output is replaced only when the caller passes force=True.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from embedcli.errors import OutputExistsError


def check_writable(final: Path, force: bool, what: str = "file") -> None:
    """Refuse to replace an existing output unless force is set."""
    if final.exists() and not force:
        raise OutputExistsError(
            f"{what.capitalize()} {final} already exists. Use --force to replace it or choose "
            "another output path."
        )


def _temp_sibling(final: Path) -> Path:
    return final.with_name(f".{final.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")


@contextmanager
def atomic_file(final: Path, force: bool = False) -> Iterator[Path]:
    """Yield a temporary path next to `final`; rename it into place when the block succeeds."""
    final = Path(final)
    check_writable(final, force)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_sibling(final)
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextmanager
def atomic_dir(final: Path, force: bool = False, what: str = "directory") -> Iterator[Path]:
    """Yield a temporary directory next to `final`; swap it into place when the block succeeds."""
    final = Path(final)
    check_writable(final, force, what)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_sibling(final)
    tmp.mkdir()
    try:
        yield tmp
        if final.exists():
            old = _temp_sibling(final)
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()

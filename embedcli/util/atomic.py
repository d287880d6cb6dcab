"""Writing outputs so that a failed or interrupted run never leaves a half-written file.

Everything is written under a temporary name next to its final place and renamed into place
only when complete; an existing output is replaced only when the caller passes force=True.
Two runs writing the same output at once are kept apart by `output_lock`."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from embedcli.errors import DiskFullError, OutputBusyError, OutputExistsError, UnwritablePlaceError

try:
    import fcntl
except ImportError:  # Windows: no flock; runs are not kept apart there
    fcntl = None


LOCK_SUFFIX = ".lock"


def check_writable(
    final: Path,
    force: bool,
    what: str = "file",
    foreign: Callable[[Path], str | None] | None = None,
    option: str = "--output",
) -> None:
    """Refuse to replace an existing output unless force is set, and refuse, even with force,
    to replace what embedcli did not write.

    `foreign(final)` says what in an existing `final` embedcli did not write (None: all of it
    is embedcli's). An empty directory is always replaceable; a symbolic link never is.
    """
    final = Path(final)
    if not (final.exists() or final.is_symlink()):
        return
    problem = _not_ours(final, foreign)
    if problem:
        raise OutputExistsError(
            f"{what.capitalize()} {final} already exists and is not one embedcli wrote "
            f"({problem}), so embedcli will not replace it, even with --force: choose another "
            f"{option}, or move it away yourself."
        )
    if not force:
        raise OutputExistsError(
            f"{what.capitalize()} {final} already exists. Use --force to replace it or choose "
            "another output path."
        )


def _not_ours(final: Path, foreign: Callable[[Path], str | None] | None) -> str | None:
    if final.is_symlink():
        return f"a symbolic link to {os.readlink(final)}"
    if final.is_dir() and not any(final.iterdir()):
        return None
    return foreign(final) if foreign else None


def list_names(names: list[str], limit: int = 3) -> str:
    """'a.txt, b.txt and 4 more' for a message."""
    shown = [repr(name) if " " in name or not name else name for name in names[:limit]]
    if len(names) > limit:
        return ", ".join(shown) + f" and {len(names) - limit:,} more"
    if len(shown) > 1:
        return ", ".join(shown[:-1]) + " and " + shown[-1]
    return shown[0] if shown else "nothing"


def check_can_create(target: Path, what: str, how: str, *, inside: bool = False) -> None:
    """Fail before any work when `target` cannot be written: its directory (or, with `inside`,
    `target` itself, for outputs written into it), or the nearest part of that path that
    exists, is a file or is not writable. `how` says what to do instead.

    Raises UnwritablePlaceError naming the place; root passes every permission check, as it
    passes the writes themselves.
    """
    target = Path(target)
    place = target if inside else target.parent
    place = place if str(place) else Path(".")
    while not (place.exists() or place.is_symlink()) and place != place.parent:
        place = place.parent
    if not place.is_dir():
        kind = "a broken symbolic link" if place.is_symlink() and not place.exists() else "a file"
        raise UnwritablePlaceError(
            f"Cannot write the {what} {target}: {place} is {kind}, not a directory. {how}"
        )
    if not os.access(place, os.W_OK | os.X_OK):
        raise UnwritablePlaceError(
            f"Cannot write the {what} {target}: {place} is not writable ({_why_not(place)}). {how}"
        )


def _why_not(place: Path) -> str:
    try:
        if os.statvfs(place).f_flag & os.ST_RDONLY:
            return "a read-only file system"
    except OSError:
        pass
    return "permission denied"


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
    except OSError as exc:
        if is_disk_full(exc):
            raise disk_full_error(final, exc) from None
        raise
    finally:
        if tmp.exists():
            tmp.unlink()


@contextmanager
def atomic_dir(
    final: Path,
    force: bool = False,
    what: str = "directory",
    foreign: Callable[[Path], str | None] | None = None,
) -> Iterator[Path]:
    """Yield a temporary directory next to `final`; swap it into place when the block succeeds.

    `foreign` as for `check_writable`: what embedcli did not write is never replaced.
    """
    final = Path(final)
    check_writable(final, force, what, foreign)
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
    except OSError as exc:
        if is_disk_full(exc):
            raise disk_full_error(final, exc) from None
        raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


# EFBIG is what a write past the file size limit (ulimit -f) gives; to the user it is the same
# problem as a full disk, with the same way out.
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def is_disk_full(exc: BaseException) -> bool:
    """Is this the disk (or quota, or file size limit) running out during a write?"""
    return isinstance(exc, OSError) and exc.errno in _DISK_FULL


def disk_full_error(final: Path, exc: OSError) -> DiskFullError:
    reason = "" if exc.errno == errno.ENOSPC else f" ({exc.strerror})"
    return DiskFullError(
        f"No space left on device while writing {final}{reason}; the unfinished output was "
        "removed. Free some space and run again."
    )


def lock_path(target: Path) -> Path:
    """The lock file next to `target`: `<target>.lock`."""
    target = Path(target)
    return target.with_name(target.name + LOCK_SUFFIX)


@contextmanager
def output_lock(target: Path, what: str = "output", option: str = "--output") -> Iterator[Path]:
    """Hold an exclusive lock on `<target>.lock` while `target` is being written.

    Raises OutputBusyError, naming the holder's pid, when another process holds it. The lock is
    an flock, which the kernel releases when its holder dies, so a lock file left behind by a
    killed run does not block the next one. The lock file, and any parent directories made
    for it that are still empty, are removed on the way out.
    """
    target = Path(target)
    lock = lock_path(target)
    created = _make_parents(lock.parent)
    try:
        fd = _acquire(lock, target, what, option) if fcntl else None
    except BaseException:
        _remove_empty(created)
        raise
    try:
        yield lock
    finally:
        if fd is not None:
            # Unlink while still holding the lock: a run that opened the old file finds it
            # gone once it gets the lock, and starts over on a new one (see _acquire).
            with suppress(FileNotFoundError):
                os.unlink(lock)
            os.close(fd)
        _remove_empty(created)


def _acquire(lock: Path, target: Path, what: str, option: str) -> int:
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except FileNotFoundError:  # a finishing run removed the empty parent just now
            lock.parent.mkdir(parents=True, exist_ok=True)
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            raise OutputBusyError(
                f"Another embedcli run ({holder}) is writing the {what} {target}: wait for "
                f"it to finish, or choose another {option}."
            ) from None
        try:
            current = os.stat(lock).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            current = False
        if current:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            return fd
        os.close(fd)  # the holder removed this file as we locked it: lock the new one


def _read_pid(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        text = ""
    return f"pid {text}" if text.isdigit() else "pid unknown"


def _make_parents(directory: Path) -> list[Path]:
    """Create `directory` and its missing parents; return the ones created, deepest first."""
    missing = []
    while not directory.exists() and directory != directory.parent:
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        path.mkdir(exist_ok=True)
    return missing


def _remove_empty(directories: list[Path]) -> None:
    for path in directories:
        try:
            path.rmdir()
        except OSError:  # not empty (the output is in it) or already gone
            break


def broken_link(path: Path) -> str | None:
    """'a symbolic link to X, which does not exist', '... that loops', or 'a name too long for
    the file system' for a path that leads nowhere in those ways; None otherwise."""
    try:
        os.stat(path)
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"a symbolic link that loops ({_link_chain(path)})"
        if exc.errno == errno.ENAMETOOLONG:
            return "a name too long for the file system"
        if exc.errno != errno.ENOENT or not path.is_symlink():
            return None
    return f"a symbolic link to {os.readlink(path)}, which does not exist"


def _link_chain(path: Path, limit: int = 4) -> str:
    chain, seen = [str(path)], set()
    while path.is_symlink() and str(path) not in seen and len(chain) <= limit:
        seen.add(str(path))
        path = path.parent / os.readlink(path)
        chain.append(os.path.normpath(path))
    return " -> ".join(chain) + (" -> ..." if path.is_symlink() else "")


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()

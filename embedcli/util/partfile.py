"""Line-by-line outputs that survive an interruption and are continued by the next run.

A long job that writes one line per input item (tokenizing a corpus: one line per document)
writes into a hidden `.<name>.part` next to its output. A sidecar `.<name>.part.json` records,
every half second and on the way out of an interrupted run, how many complete lines (and
bytes) the part holds and what they were made from (`key`). The next run with the same key
continues after those lines. A part whose sidecar is missing, records another key or
disagrees with the file (fewer bytes, another number of lines) is started afresh, so a
power cut between writing lines and writing the sidecar costs only work, never correctness.
The output appears under its final name only when `commit` renames the finished part.

Callers hold `fsutil.output_lock` on the output, so two runs never write one part file."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

from embedcli.util import interrupts
from embedcli.util.atomic import disk_full_error, is_disk_full

CHECKPOINT_SECONDS = 0.5
_READ_SIZE = 1 << 20


class PartFile:
    """The `.part` of `final`, to be used as a context manager (see the module docstring).

    On the way out of the block without `commit`, the lines written so far are kept for the
    next run when the block was interrupted (KeyboardInterrupt) or raised one of `keep_on`;
    after any other failure the part and its sidecar are removed.
    """

    def __init__(self, final: Path, key: dict, keep_on: tuple[type[BaseException], ...] = ()):
        self.final = Path(final)
        self.path = self.final.with_name(f".{self.final.name}.part")
        self.sidecar = self.path.with_name(self.path.name + ".json")
        self._tmp = self.path.with_name(self.path.name + ".json.tmp")
        self.key = key
        self.keep_on = keep_on
        self.lines = 0  # complete lines in the part
        self.size = 0  # their bytes
        self.resumed_lines = 0  # lines found from an earlier run
        self.earlier_seconds = 0.0  # time spent by earlier runs
        self._started = time.monotonic()
        self._saved = 0.0
        self._handle = None
        self._committed = False

    # --- opening -------------------------------------------------------------------------

    def __enter__(self) -> PartFile:
        self.final.parent.mkdir(parents=True, exist_ok=True)
        checkpoint = self._read_checkpoint()
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            self._handle = os.fdopen(fd, "r+b")
            if checkpoint and self._agrees(*checkpoint[:2]):
                self.lines, self.size, self.earlier_seconds = checkpoint
            else:
                self.lines, self.size, self.earlier_seconds = 0, 0, 0.0
            self._handle.truncate(self.size)  # drops lines written after the last checkpoint
            self._handle.seek(self.size)
        except OSError as exc:
            self._discard()
            if is_disk_full(exc):
                raise disk_full_error(self.final, exc) from None
            raise
        self.resumed_lines = self.lines
        self._saved = time.monotonic()
        return self

    def _read_checkpoint(self) -> tuple[int, int, float] | None:
        try:
            data = json.loads(self.sidecar.read_text(encoding="utf-8"))
            if data["key"] != self.key:
                return None
            lines, size, seconds = int(data["lines"]), int(data["size"]), float(data["seconds"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return (lines, size, seconds) if lines >= 0 and size >= 0 else None

    def _agrees(self, lines: int, size: int) -> bool:
        """Does the part hold at least `size` bytes, which are exactly `lines` whole lines?"""
        handle = self._handle
        if os.fstat(handle.fileno()).st_size < size:
            return False
        handle.seek(0)
        newlines, left, last = 0, size, b"\n"
        while left:
            block = handle.read(min(_READ_SIZE, left))
            if not block:
                return False
            newlines += block.count(b"\n")
            left -= len(block)
            last = block[-1:]
        return newlines == lines and last == b"\n"

    def kept_lines(self) -> Iterator[bytes]:
        """The lines kept from earlier runs (each with its newline)."""
        handle = self._handle
        handle.seek(0)
        left = self.resumed_lines
        while left:
            yield handle.readline()
            left -= 1
        handle.seek(self.size)

    # --- writing -------------------------------------------------------------------------

    def write(self, line: bytes) -> None:
        """Append one complete line (ending in a newline)."""
        try:
            self._handle.write(line)
        except OSError as exc:
            if is_disk_full(exc):
                raise disk_full_error(self.final, exc) from None
            raise
        self.lines += 1
        self.size += len(line)
        if time.monotonic() - self._saved >= CHECKPOINT_SECONDS:
            self.checkpoint()

    @property
    def seconds(self) -> float:
        """Time spent on this output, earlier interrupted runs included."""
        return self.earlier_seconds + time.monotonic() - self._started

    def checkpoint(self) -> None:
        """Record the lines written so far, so an interruption from now on keeps them."""
        data = {"key": self.key, "lines": self.lines, "size": self.size}
        data["seconds"] = round(self.seconds, 3)
        try:
            self._handle.flush()
            self._tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            os.replace(self._tmp, self.sidecar)
        except OSError as exc:
            if is_disk_full(exc):
                raise disk_full_error(self.final, exc) from None
            raise
        self._saved = time.monotonic()

    def commit(self) -> None:
        """Rename the finished part to the final name and drop its sidecar."""
        try:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
            os.replace(self.path, self.final)
        except OSError as exc:
            if is_disk_full(exc):
                raise disk_full_error(self.final, exc) from None
            raise
        self._committed = True
        self.sidecar.unlink(missing_ok=True)

    # --- leaving -------------------------------------------------------------------------

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._committed:
            return
        keep = exc_type is not None and issubclass(exc_type, (KeyboardInterrupt, *self.keep_on))
        if keep and self.lines:
            with interrupts.deferred():  # a second Ctrl-C must not cut the checkpoint short
                try:
                    self.checkpoint()
                    self._handle.close()
                    return
                except Exception:  # cannot record it (disk full?): keep nothing
                    pass
        self._discard()

    def _discard(self) -> None:
        if self._handle is not None and not self._handle.closed:
            with contextlib.suppress(OSError):  # the flush of what is left may fail again
                self._handle.close()
        for path in (self.path, self.sidecar, self._tmp):
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)

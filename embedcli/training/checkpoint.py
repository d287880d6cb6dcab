"""Per-epoch checkpoints: what an interrupted training run needs to go on from its last epoch.

A checkpoint lives beside the (not yet written) model directory, in `.<name>.checkpoint/`:

    .<name>.checkpoint/
      manifest.json     key, epochs done, and the sha256 of every file of the state below
      epoch-3/          the state after epoch 3: the files a backend wrote (arrays as .npy)

Each save writes a new `epoch-K/` under a temporary name, flushes it to disk, renames it, then
replaces `manifest.json` the same way; only then is the older state removed. The manifest is
the commit point: a run killed at any moment leaves either the old manifest with its intact
state, or the new one with its own. A state whose files do not match the manifest's checksums
never loads.

The key records what the run computes (training options, corpus bytes, tokens); a run with a
different key does not resume from the checkpoint and says what differs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from embedcli.errors import EmbedcliError

FORMAT = 1
MANIFEST = "manifest.json"
SUFFIX = ".checkpoint"
_CHUNK = 1 << 22


class CheckpointMismatchError(EmbedcliError):
    """A checkpoint of another command is where this run would write its own."""


def checkpoint_dir(out_dir: Path) -> Path:
    """`.<name>.checkpoint` next to the model directory `out_dir`."""
    out_dir = Path(out_dir)
    return out_dir.with_name(f".{out_dir.name}{SUFFIX}")


def _digest_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class Checkpoint:
    """A verified checkpoint: `state` is the directory holding the backend's files."""

    directory: Path
    state: Path
    epoch: int  # epochs done
    epochs: int  # epochs the run asked for
    key: dict
    info: dict = field(default_factory=dict)  # backend facts (e.g. loss so far), resumes


def save(
    directory: Path,
    *,
    key: dict,
    epoch: int,
    epochs: int,
    write_state: Callable[[Path], None],
    info: dict | None = None,
) -> float:
    """Write the state after `epoch` (via `write_state(folder)`) and commit it; returns seconds.

    Older states in `directory` are removed once the new one is committed.
    """
    started = time.perf_counter()
    written = write(directory, epoch=epoch, write_state=write_state)
    commit(written, key=key, epoch=epoch, epochs=epochs, info=info)
    return time.perf_counter() - started


@dataclass
class Written:
    """A state written under a temporary name, not yet committed."""

    directory: Path
    tmp: Path
    name: str
    fresh: bool  # the checkpoint directory was made for it


def write(directory: Path, *, epoch: int, write_state: Callable[[Path], None]) -> Written:
    """The first half of a save: the backend writes its files into a temporary folder."""
    directory = Path(directory)
    fresh = not directory.exists()
    directory.mkdir(parents=True, exist_ok=True)
    name = f"epoch-{epoch}"
    tmp = directory / f".{name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        write_state(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if fresh and not (directory / MANIFEST).exists():
            shutil.rmtree(directory, ignore_errors=True)
        raise
    return Written(directory, tmp, name, fresh)


def commit(written: Written, *, key: dict, epoch: int, epochs: int, info: dict | None) -> None:
    """The second half: flush the files to disk, checksum them, rename the folder into place,
    then replace the manifest (the commit point); then remove the older state."""
    directory, tmp, name = written.directory, written.tmp, written.name
    try:
        files = {}
        for path in sorted(tmp.iterdir()):
            _fsync_path(path)
            files[path.name] = {"sha256": _digest_file(path), "size": path.stat().st_size}
        final = directory / name
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        _fsync_path(directory)
        manifest = {
            "format": FORMAT,
            "key": key,
            "epoch": epoch,
            "epochs": epochs,
            "state": name,
            "files": files,
            "info": info or {},
            "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        tmp_manifest = directory / f".{MANIFEST}.tmp-{os.getpid()}"
        with open(tmp_manifest, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_manifest, directory / MANIFEST)
        _fsync_path(directory)
    except BaseException:
        if written.fresh and not (directory / MANIFEST).exists():
            shutil.rmtree(directory, ignore_errors=True)  # nothing committed: leave nothing
        raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    for entry in directory.iterdir():  # the previous state, and leftovers of killed saves
        if entry.name not in (name, MANIFEST):
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def load(directory: Path) -> tuple[Checkpoint | None, str | None]:
    """The checkpoint in `directory` if it is whole, else (None, why it is not usable).

    (None, None) when there is none at all.
    """
    directory = Path(directory)
    manifest_path = directory / MANIFEST
    if not directory.is_dir():
        return None, None
    if not manifest_path.is_file():
        return None, "it has no manifest (a save was cut off before its first commit)"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT:
            return None, f"it is of another format ({manifest.get('format')})"
        state = directory / manifest["state"]
        files = manifest["files"]
        epoch, epochs, key = int(manifest["epoch"]), int(manifest["epochs"]), manifest["key"]
    except (ValueError, KeyError, TypeError, OSError):
        return None, "its manifest is damaged"
    if not state.is_dir():
        return None, f"its state {state.name} is missing"
    present = {p.name for p in state.iterdir()}
    if present != set(files):
        return None, f"its state {state.name} does not hold the files its manifest lists"
    for name, facts in files.items():
        path = state / name
        if path.stat().st_size != facts["size"] or _digest_file(path) != facts["sha256"]:
            return None, f"{state.name}/{name} does not match its checksum"
    return Checkpoint(
        directory=directory,
        state=state,
        epoch=epoch,
        epochs=epochs,
        key=key,
        info=dict(manifest.get("info") or {}),
    ), None


def remove(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)


def differences(old: dict, new: dict) -> list[str]:
    """What differs between two keys, as `name: old -> new`, for a message."""
    found = []
    for name in sorted(set(old) | set(new)):
        a, b = old.get(name), new.get(name)
        if isinstance(a, dict) and isinstance(b, dict):
            found += [f"{name}.{d}" for d in differences(a, b)]
        elif a != b:
            found.append(f"{name}: {_short(a)} -> {_short(b)}")
    return found


def _short(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:16] + "..." + text[-8:]


def make_key(config, tokens, *, mode: str = "train", source_model: dict | None = None) -> dict:
    """What a run computes: its training options, the corpus bytes and the tokens it reads."""
    meta = tokens.meta
    key = {
        "mode": mode,
        "options": config.to_dict(),
        "corpus_sha256": meta["source"]["sha256"],
        "tokens": {
            "options_fingerprint": meta["options_fingerprint"],
            "size": meta["output"]["size"],
            "tokens": meta["counts"]["tokens"],
        },
    }
    if source_model is not None:
        key["source_model"] = source_model
    return key


def as_json(value) -> dict:
    """A key as it reads back from the manifest (tuples become lists, and so on)."""
    return json.loads(json.dumps(value, ensure_ascii=False))


@dataclass
class Run:
    """How one training run starts, and where it keeps its checkpoints.

    `resume`: a verified checkpoint to go on from; `initial`: a full model to train further
    (`--continue`, `--update`); `directory`: where checkpoints go (None: none are written).
    """

    directory: Path | None = None
    key: dict | None = None
    resume: Checkpoint | None = None
    initial: object | None = None
    new_words: list[str] | None = None  # --update: the corpus whose new words are added
    saved_epoch: int = 0  # the last epoch a checkpoint holds
    history: list[dict] = field(default_factory=list)  # earlier resumes, for the model card
    seconds: list[float] = field(default_factory=list)  # what each checkpoint held training up
    commit_seconds: list[float] = field(default_factory=list)  # each one's commit, in a thread
    _committing: threading.Thread | None = field(default=None, repr=False)
    _commit_error: BaseException | None = field(default=None, repr=False)

    @property
    def start_epoch(self) -> int:
        return self.resume.epoch if self.resume else 0

    def save(self, epoch: int, epochs: int, write_state, info: dict | None = None) -> float:
        """Checkpoint after `epoch`; returns the seconds training waited for it.

        The backend's files are written here, with Ctrl-C / SIGTERM held until they are; the
        commit (flush to disk, checksums, the manifest) runs in a thread while the next epoch
        trains. Until it is done the previous checkpoint stays the valid one; `wait()` (called
        before the next save, at the end of training and on an interrupt) joins it.
        """
        if self.directory is None:
            return 0.0
        from embedcli.util import interrupts

        self.wait()
        info = dict(info or {}, resumes=self.history)

        def committing() -> None:
            began = time.perf_counter()
            try:
                commit(written, key=self.key or {}, epoch=epoch, epochs=epochs, info=info)
            except BaseException as exc:  # surfaced by wait()
                self._commit_error = exc
                return
            self.saved_epoch = epoch
            self.commit_seconds.append(time.perf_counter() - began)

        started = time.perf_counter()
        with interrupts.deferred():  # a signal held here acts once the commit has started
            written = write(self.directory, epoch=epoch, write_state=write_state)
            seconds = time.perf_counter() - started
            self._committing = threading.Thread(target=committing, name="embedcli-checkpoint")
            self._committing.start()
        self.seconds.append(seconds)
        return seconds

    def wait(self, *, raise_error: bool = True) -> None:
        """Let the checkpoint being committed finish; raise its error, if it failed."""
        thread, self._committing = self._committing, None
        if thread is not None:
            thread.join()
        error, self._commit_error = self._commit_error, None
        if error is not None and raise_error:
            raise error

"""embedcli in a child process, watched from a test: its stderr, its files, its workers.

The child runs in a session of its own, so that a signal can be sent to its whole process
group (as a terminal's Ctrl-C is) and every process it started, workers included, can be
found afterwards by the session id, even once reparented.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.conftest import REPO

EMBEDCLI = [sys.executable, "-m", "embedcli"]


class Child:
    def __init__(
        self,
        args: list[str],
        *,
        cwd: Path,
        env: dict[str, str] | None = None,
        preexec_fn: Callable[[], None] | None = None,
        command: list[str] | None = None,
    ) -> None:
        full_env = dict(os.environ, COLUMNS="120", PYTHONPATH=str(REPO))
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [*(command or EMBEDCLI), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
            env=full_env,
            start_new_session=True,
            preexec_fn=preexec_fn,
        )
        self.sid = self.proc.pid
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._readers = [
            threading.Thread(target=_drain, args=(self.proc.stdout, self.stdout), daemon=True),
            threading.Thread(target=_drain, args=(self.proc.stderr, self.stderr), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def wait_until(self, condition: Callable[[], object], what: str, timeout: float = 60):
        """Poll `condition` until it is true; fail if the child exits or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = condition()
            if found:
                return found
            if self.proc.poll() is not None:
                self._join_readers()
                raise AssertionError(
                    f"the child exited ({self.proc.returncode}) before {what}:\n"
                    + "".join(self.stderr)
                )
            time.sleep(0.02)
        self.kill()
        raise AssertionError(f"timed out waiting for {what}:\n" + "".join(self.stderr))

    def signal_group(self, signum: int) -> None:
        os.killpg(self.proc.pid, signum)

    def signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def finish(self, timeout: float = 30) -> tuple[int, str, str]:
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("the child did not exit:\n" + "".join(self.stderr)) from None
        self._join_readers()
        return code, "".join(self.stdout), "".join(self.stderr)

    def workers(self) -> list[int]:
        """Pids of the child's spawned multiprocessing workers."""
        found = []
        for pid, stat, cmdline in _processes():
            if _ppid(stat) == self.proc.pid and "spawn_main" in cmdline:
                found.append(pid)
        return found

    def leftovers(self, grace: float = 1.0) -> list[str]:
        """Live processes (not zombies) still in the child's session, after a short grace."""
        deadline = time.monotonic() + grace
        while True:
            alive = [
                f"{pid} {cmdline[:100]}"
                for pid, stat, cmdline in _processes()
                if _session(stat) == self.sid and _state(stat) != "Z"
            ]
            if not alive or time.monotonic() > deadline:
                return alive
            time.sleep(0.05)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.sid, signal.SIGKILL)

    def _join_readers(self) -> None:
        for reader in self._readers:
            reader.join(5)


def _drain(stream, lines: list[str]) -> None:
    for line in stream:
        lines.append(line)


def _processes():
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        yield int(entry), stat, cmdline


def _fields(stat: str) -> list[str]:
    return stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "


def _state(stat: str) -> str:
    return _fields(stat)[0]


def _ppid(stat: str) -> int:
    return int(_fields(stat)[1])


def _session(stat: str) -> int:
    return int(_fields(stat)[3])


def part_progress(part_json: Path) -> int:
    """Lines recorded in a `.part.json` checkpoint (0 while there is none)."""
    try:
        return int(json.loads(part_json.read_text(encoding="utf-8"))["lines"])
    except (OSError, ValueError, KeyError):
        return 0


def hidden_leftovers(folder: Path) -> list[str]:
    """Hidden temporary files and directories in `folder` (parts, .tmp-, locks)."""
    if not folder.exists():
        return []
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or ".lock" in p.name)


def english_text(words: int, seed: int = 0) -> str:
    """Made-up English-like text: Zipf-distributed words, 12 to a line."""
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(3000)] + ["the", "of", "and", "a", "to", "in", "is"]
    weights = [1 / (rank + 1) for rank in range(len(vocab))]
    tokens = rng.choices(vocab, weights, k=words)
    return "\n".join(" ".join(tokens[i : i + 12]) for i in range(0, words, 12)) + "\n"


# A child `embedcli` that knows one more downloadable corpus, "local", at the URL in argv[1].
WITH_LOCAL_CORPUS = """
import sys
from embedcli.cli import app
from embedcli.corpora.registry import REGISTRY
from embedcli.corpora.source import NamedCorpus

REGISTRY["local"] = NamedCorpus(
    name="local", description="served by the test", lang="en", format="text", url=sys.argv[1]
)
app(prog_name="embedcli", args=sys.argv[2:])
"""


def with_local_corpus(url: str) -> list[str]:
    """The command for Child(..., command=...) that serves `url` as the corpus "local"."""
    return [sys.executable, "-c", WITH_LOCAL_CORPUS, url]


@dataclass
class RangeServer:
    """Serves `payload` at any path on 127.0.0.1, with an ETag, honouring Range and If-Range;
    slowly (16 KB every 50 ms) while `slow` is set."""

    payload: bytes
    base: str = ""
    slow: threading.Event = field(default_factory=threading.Event)
    requests: list[dict[str, str]] = field(default_factory=list)
    # Other files by path (e.g. "/sha1sums.txt"); every other path gets `payload`.
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.payload).hexdigest()[:16] + '"'

    @contextmanager
    def running(self) -> Iterator[RangeServer]:
        state = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
                state.requests.append(dict(self.headers.items()))
                payload, etag = state.payload, state.etag
                if self.path in state.files:
                    payload = state.files[self.path]
                    etag = '"' + hashlib.sha256(payload).hexdigest()[:16] + '"'
                start = 0
                wanted = self.headers.get("Range", "")
                if wanted.startswith("bytes=") and self.headers.get("If-Range", etag) == etag:
                    start = int(wanted[len("bytes=") :].rstrip("-"))
                body = payload[start:]
                self.send_response(206 if start else 200)
                if start:
                    last = len(payload) - 1
                    self.send_header("Content-Range", f"bytes {start}-{last}/{len(payload)}")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.end_headers()
                try:
                    for i in range(0, len(body), 16_384):
                        self.wfile.write(body[i : i + 16_384])
                        if state.slow.is_set():
                            time.sleep(0.05)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{httpd.server_address[1]}"
        thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02})
        thread.daemon = True
        thread.start()
        try:
            yield self
        finally:
            httpd.shutdown()
            httpd.server_close()


def slow_first_square(n: int) -> int:
    """A WorkerPool task for the tests: task 0 is slow, so later results arrive first."""
    if n == 0:
        time.sleep(0.5)
    if n < 0:
        raise ValueError(f"negative: {n}")
    return n * n


def sleep_for(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def start_unless_chosen(path: str) -> None:
    """A WorkerPool initializer for the tests: waits until the test writes the pid of the
    worker it chose into `path`; that one starts after a pause, every other one fails at once."""
    deadline = time.monotonic() + 30
    while not os.path.exists(path) or not Path(path).read_text():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} never written")
        time.sleep(0.01)
    if int(Path(path).read_text()) != os.getpid():
        raise ValueError(f"worker {os.getpid()} cannot start")
    time.sleep(1.0)


# --- running without root's override ----------------------------------------------------------

# Root reads and writes through any permission bits (CAP_DAC_OVERRIDE), so a test of a
# read-only directory proves nothing when run as root. Dropping every capability keeps root's
# uid, so the child still reads the venv, the repository and tmp_path (all owned by root), but
# a directory with mode 0o555 is then read-only for it as for any user.
SETPRIV = ["setpriv", "--inh-caps=-all", "--bounding-set=-all", "--"]


def without_privileges(command: list[str]) -> list[str]:
    """`command` run so that file permissions apply to it: as it is for a normal user, or,
    for root, with every capability dropped (setpriv)."""
    return [*SETPRIV, *command] if os.geteuid() == 0 else list(command)


@functools.cache
def privileges_can_be_dropped() -> str | None:
    """None when `without_privileges` really makes a 0o555 directory read-only; else why
    not (for pytest.skip)."""
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        return "running as root and setpriv (util-linux) is missing"
    with tempfile.TemporaryDirectory() as base:
        locked = Path(base) / "locked"
        locked.mkdir(mode=0o555)
        try:
            probe = subprocess.run(
                without_privileges(["touch", str(locked / "x")]), capture_output=True, timeout=30
            )
        finally:
            locked.chmod(0o755)
        if probe.returncode == 0:
            return "a process without privileges could still write into a read-only directory"
    return None


def run_unprivileged(
    args: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """`python -m embedcli ARGS` as a process that file permissions apply to (see above)."""
    reason = privileges_can_be_dropped()
    if reason:
        import pytest

        pytest.skip(reason)
    full_env = dict(os.environ, COLUMNS="120", PYTHONPATH=str(REPO))
    full_env.update(env or {})
    return subprocess.run(
        without_privileges([*EMBEDCLI, *args]),
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@contextmanager
def read_only(*paths: Path) -> Iterator[None]:
    """Make directories (or files) read-only for the block, and writable again after it, so
    that pytest can remove tmp_path."""
    modes = {path: path.stat().st_mode & 0o7777 for path in paths}
    try:
        for path in paths:
            path.chmod(0o555 if path.is_dir() else 0o444)
        yield
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


def file_hashes(*roots: Path) -> dict[str, str]:
    """sha256 of every file under `roots` (or of `roots` themselves), by path, plus every
    directory (as "dir") and symlink (as its target): compare before and after a run to prove
    it touched nothing."""
    found: dict[str, str] = {}
    for root in roots:
        entries = [root] if not root.is_dir() or root.is_symlink() else [root, *root.rglob("*")]
        for path in entries:
            if path.is_symlink():
                found[str(path)] = "-> " + os.readlink(path)
            elif path.is_dir():
                found[str(path)] = "dir"
            elif path.exists():
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def assert_one_error_line(
    code: int, stdout: str, stderr: str, *needles: str, exit_code: int = 1, alone: bool = True
) -> str:
    """A child's outcome: the exit code, one `Error:` line holding every needle, no traceback,
    nothing on stdout. `alone`: the error is all of stderr (no work was reported before it)."""
    assert code == exit_code, stderr
    assert "Traceback" not in stderr, stderr
    assert stdout == "", stdout
    lines = [line for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], stderr
    if alone:
        assert lines == errors, stderr
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]

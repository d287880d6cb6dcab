"""Downloading files into the cache, verified, atomically and only once.

`fetch(url, name=...)` keeps one file per corpus name under the download cache:

    <cache>/downloads/<name>/<basename of the URL>            the file
    <cache>/downloads/<name>/<basename of the URL>.meta.json  url, sha256, size, downloaded_at

A download is written to a hidden `.<basename>.part` file in the same directory and renamed
into place only when it is complete and its checksum is verified, so the final name never holds
a partial file. An interrupted download (Ctrl-C, SIGTERM, a lost connection) keeps its part
when it can be resumed safely, and the next fetch asks for the rest with an HTTP Range request:

* when the server named the version it sent (a strong ETag, else Last-Modified), the request
  carries it in If-Range, so a server whose file changed meanwhile sends the whole new file
  (200) and the part is started afresh;
* when the caller knows the sha256, the finished file is checked against it anyway;
* otherwise a resumed file whose upstream changed in between could never be told apart from a
  good one, so the part is deleted and the next fetch starts over.

The part's sidecar (`.<basename>.part.json`) records the URL and that version. A server that
ignores Range answers 200 and the download simply starts over. Two runs never download into the
same folder at once (`fsutil.output_lock`).

When the caller knows the upstream sha256, the download (and every later cache hit) must match
it. When it does not, the hash of the first download is recorded in the sidecar (trust on first
use) and later cache hits must still match it; a cached file that does not is re-downloaded."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import re
import socket
from collections.abc import Callable
from datetime import datetime, timezone
from http import HTTPStatus
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from urllib.error import HTTPError, URLError
from urllib.parse import unquote, urlsplit
from urllib.request import Request, urlopen

from embedcli import __version__, paths
from embedcli.errors import DownloadError
from embedcli.util import interrupts
from embedcli.util.atomic import (
    atomic_file,
    disk_full_error,
    is_disk_full,
    output_lock,
    sha256_file,
)

CHUNK_SIZE = 256 * 1024
USER_AGENT = f"embedcli/{__version__}"
META_SUFFIX = ".meta.json"
LOCAL_HINT = "pass a local file with --corpus PATH"


def fetch(
    url: str,
    *,
    sha256: str | None = None,
    name: str | None = None,
    on_progress: Callable[[int, int | None], None] | None = None,
    cache_dir: Path | None = None,
    timeout: float = 30.0,
    sha1: str | Callable[[], str] | None = None,
    local_hint: str = LOCAL_HINT,
) -> Path:
    """Return a local, verified copy of `url`, downloading it unless the cache has it.

    `name` picks the cache folder (e.g. a corpus name); without it the folder is derived from
    the URL. `on_progress(bytes_done, total_or_None)` is called once before the first chunk
    and after every chunk of a download (a resumed one starts at the bytes it already has),
    never on a cache hit. Failures raise DownloadError.

    `sha1` is a SHA-1 the download must have (what Wikimedia publishes for its dumps), or a
    function giving it, called only when a download is needed; a cache hit is checked
    against the sha256 recorded at download time.

    `local_hint` is what the messages offer instead of the download (the command's own way
    of using a local copy).
    """
    try:
        return _fetch(url, sha256, name, on_progress, cache_dir, timeout, sha1)
    except DownloadError as exc:
        if local_hint == LOCAL_HINT or LOCAL_HINT not in str(exc):
            raise
        raise DownloadError(str(exc).replace(LOCAL_HINT, local_hint)) from None


def _fetch(url, sha256, name, on_progress, cache_dir, timeout, sha1) -> Path:
    expected = _normalise_sha256(sha256)
    target = cache_path(url, name=name, cache_dir=cache_dir)
    meta_path = _meta_path(target)
    if _cache_hit(target, meta_path, url, expected):
        return target  # without taking the lock, so a read-only cache works
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(output_lock(target, "download", "--corpus"))
        except OSError as exc:
            raise _write_error(target, exc) from None
        if _cache_hit(target, meta_path, url, expected):
            return target  # another run finished it while we waited
        _discard(target, meta_path)
        wanted_sha1 = _normalise_sha1(sha1() if callable(sha1) else sha1)
        size, digest = _download(url, target, expected, on_progress, timeout, wanted_sha1)
        _write_meta(meta_path, url=url, sha256=digest, size=size, downloaded_at=_now())
    return target


def cache_path(url: str, *, name: str | None = None, cache_dir: Path | None = None) -> Path:
    """Where `fetch` keeps the download of `url` (whether or not it is there yet)."""
    base = Path(cache_dir) if cache_dir is not None else paths.cache_home() / "downloads"
    if name:
        folder = _safe_component(name, fallback="download")
    else:
        host = _safe_component(urlsplit(url).hostname or "", fallback="url")
        folder = f"{host}-{hashlib.sha256(url.encode('utf-8')).hexdigest()[:12]}"
    filename = _safe_component(unquote(PurePosixPath(urlsplit(url).path).name), "download")
    return base / folder / filename


# --- cache ---------------------------------------------------------------------------------


def _meta_path(target: Path) -> Path:
    return target.with_name(target.name + META_SUFFIX)


def _cache_hit(target: Path, meta_path: Path, url: str, expected: str | None) -> bool:
    """Is a complete, undamaged copy already in the cache?"""
    if not target.is_file():
        return False
    meta = _read_meta(meta_path)
    try:
        size = target.stat().st_size
        if expected is not None:
            # The pinned hash decides, whatever the sidecar says (it may be missing or old).
            if meta is not None and meta.get("size") not in (None, size):
                return False
            if sha256_file(target) != expected:
                return False
            if meta is None or meta.get("sha256") != expected or meta.get("url") != url:
                downloaded_at = (meta or {}).get("downloaded_at") or _mtime_iso(target)
                with contextlib.suppress(DownloadError):  # the file is fine; a read-only cache too
                    _write_meta(
                        meta_path, url=url, sha256=expected, size=size, downloaded_at=downloaded_at
                    )
            return True
        # Trust on first use: the sidecar written by the first download is the reference.
        if meta is None or meta.get("url") != url:
            return False
        recorded, recorded_size = meta.get("sha256"), meta.get("size")
        if not isinstance(recorded, str) or recorded_size != size:
            return False
        return sha256_file(target) == recorded
    except OSError:
        return False  # unreadable: download again (a write problem will be reported then)


def _read_meta(meta_path: Path) -> dict | None:
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def _write_meta(meta_path: Path, *, url: str, sha256: str, size: int, downloaded_at: str) -> None:
    meta = {"url": url, "sha256": sha256, "size": size, "downloaded_at": downloaded_at}
    try:
        with atomic_file(meta_path, force=True) as tmp:
            tmp.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise _write_error(meta_path, exc) from None


def _discard(target: Path, meta_path: Path) -> None:
    """Remove a stale or damaged cached copy so the final name never holds a bad file."""
    for path in (target, meta_path):
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise _write_error(path, exc) from None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _mtime_iso(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).isoformat(timespec="seconds")


# --- network -------------------------------------------------------------------------------


def _download(
    url: str,
    target: Path,
    expected: str | None,
    on_progress: Callable[[int, int | None], None] | None,
    timeout: float,
    sha1: str | None = None,
) -> tuple[int, str]:
    """Stream `url` to the `.part` next to `target` (continuing a kept one), verify it and
    rename it into place."""
    part = _part_path(target)
    state = part.with_name(part.name + ".json")
    offset, version = _kept_part(part, state, url, expected, sha1)
    response = _open(url, timeout, offset, version)
    if response is None:  # 416: the kept part does not fit the file any more
        offset, version = 0, None
        response = _open(url, timeout)
    done = total = None
    keep = False  # keep the part for the next run?
    try:
        with response:
            offset = _resume_offset(response, url, offset)
            length = _content_length(response)
            total = offset + length if length is not None else None
            version = _version(response)
            keep = version is not None or expected is not None or sha1 is not None
            handle = _open_part(part, target, offset)
            done = offset
            with handle:
                digest = _hash_prefix(handle, offset)
                digest_sha1 = _hash_prefix(handle, offset, "sha1") if sha1 else None
                _write_state(state, url=url, sha256=expected, version=version, keep=keep, sha1=sha1)
                if on_progress is not None:
                    on_progress(done, total)
                while chunk := _read_chunk(response, url, timeout, done, total):
                    try:
                        handle.write(chunk)
                    except OSError as exc:
                        keep = False
                        raise _write_error(target, exc) from None
                    digest.update(chunk)
                    if digest_sha1 is not None:
                        digest_sha1.update(chunk)
                    done += len(chunk)
                    if on_progress is not None:
                        on_progress(done, total)
                try:
                    handle.flush()
                    os.fsync(handle.fileno())
                except OSError as exc:
                    keep = False
                    raise _write_error(target, exc) from None
        if total is not None and done < total:
            raise DownloadError(_truncated_message(url, done, total))
        keep = False  # from here on, nothing is worth resuming
        actual = digest.hexdigest()
        if expected is not None and actual != expected:
            raise DownloadError(
                f"Checksum mismatch for {url}: expected sha256 {expected} but got {actual}. "
                "The download was deleted; retry, and if it happens again report it (the file "
                f"upstream may have changed), or {LOCAL_HINT}."
            )
        if digest_sha1 is not None and digest_sha1.hexdigest() != sha1:
            raise DownloadError(
                f"Checksum mismatch for {url}: its published sha1 is {sha1} but the download's "
                f"is {digest_sha1.hexdigest()}. The download was deleted; retry (the file may "
                f"have been replaced by a newer one while it downloaded), or {LOCAL_HINT}."
            )
        try:
            os.replace(part, target)
        except OSError as exc:
            raise _write_error(target, exc) from None
        return done, actual
    except KeyboardInterrupt as exc:
        got = f"{done or 0:,}" + (f" of {total:,}" if total is not None else "")
        if keep and done:
            doing, then = f"stopped at {got} bytes, which are kept", "resume the download"
        else:
            doing, then = f"stopped at {got} bytes", "download it again"
        interrupts.describe(
            exc, f"downloading {url} {doing}; nothing was written to {target}", then
        )
        raise
    except DownloadError as exc:
        if keep and done:
            raise DownloadError(f"{exc} The {done:,} bytes received are kept.") from None
        raise
    finally:
        if not (keep and done):
            for path in (part, state):
                with contextlib.suppress(OSError):  # nothing better to do; never read
                    path.unlink(missing_ok=True)


def _part_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.part")


def _kept_part(
    part: Path, state: Path, url: str, expected: str | None, sha1: str | None = None
) -> tuple[int, dict | None]:
    """(bytes to resume from, the version they are of) for a part kept by an earlier run."""
    meta = _read_meta(state)
    try:
        size = part.stat().st_size
    except OSError:
        return 0, None
    if (
        meta is None
        or meta.get("url") != url
        or meta.get("sha256") != expected
        or meta.get("sha1") != sha1
        or not meta.get("resumable")
    ):
        return 0, None
    version = meta.get("version")
    return size, version if isinstance(version, dict) else None


def _version(response: http.client.HTTPResponse) -> dict | None:
    """What identifies the version of the file sent: a strong ETag, else Last-Modified."""
    etag = response.headers.get("ETag")
    if etag and not etag.startswith("W/"):
        return {"etag": etag}
    modified = response.headers.get("Last-Modified")
    return {"last_modified": modified} if modified else None


def _resume_offset(response: http.client.HTTPResponse, url: str, offset: int) -> int:
    """Where the body starts: `offset` for a 206 answer to our Range request, else 0."""
    if response.status != HTTPStatus.PARTIAL_CONTENT:
        return 0  # the whole file: no Range support, or the file changed (If-Range)
    found = re.match(r"bytes (\d+)-", response.headers.get("Content-Range", ""))
    if not offset or not found or int(found.group(1)) != offset:
        raise DownloadError(
            _bad_response_message(url, ValueError("an unexpected Content-Range for resuming"))
        )
    return offset


def _open_part(part: Path, target: Path, offset: int) -> BinaryIO:
    try:
        part.parent.mkdir(parents=True, exist_ok=True)
        handle = open(part, "r+b" if offset else "wb")  # noqa: SIM115 - closed by the caller
        handle.truncate(offset)
        handle.seek(offset)
        return handle
    except OSError as exc:
        raise _write_error(target, exc) from None


def _hash_prefix(handle: BinaryIO, offset: int, algorithm: str = "sha256"):
    """A sha256 (or `algorithm`) fed with the first `offset` bytes already in the part."""
    digest = hashlib.new(algorithm)
    handle.seek(0)
    left = offset
    while left:
        block = handle.read(min(CHUNK_SIZE, left))
        if not block:
            break
        digest.update(block)
        left -= len(block)
    handle.seek(offset)
    return digest


def _write_state(
    state: Path,
    *,
    url: str,
    sha256: str | None,
    version: dict | None,
    keep: bool,
    sha1: str | None = None,
) -> None:
    if not keep:
        state.unlink(missing_ok=True)
        return
    data = {"url": url, "sha256": sha256, "version": version, "resumable": True}
    if sha1 is not None:
        data["sha1"] = sha1
    try:
        with atomic_file(state, force=True) as tmp:
            tmp.write_text(json.dumps(data) + "\n", encoding="utf-8")
    except OSError as exc:
        raise _write_error(state, exc) from None


def _open(
    url: str, timeout: float, offset: int = 0, version: dict | None = None
) -> http.client.HTTPResponse | None:
    """The response to a GET of `url`, asking for the bytes from `offset` on when it is not
    0 (None: the server says that range does not exist)."""
    request_headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if offset:
        request_headers["Range"] = f"bytes={offset}-"
        if version:
            request_headers["If-Range"] = version.get("etag") or version.get("last_modified")
    try:
        request = Request(url, headers=request_headers)
    except ValueError:
        raise DownloadError(
            f"Cannot download {url!r}: it is not a valid URL. Check it, or {LOCAL_HINT}."
        ) from None
    try:
        return urlopen(request, timeout=timeout)
    except HTTPError as exc:
        exc.close()
        if offset and exc.code == HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE:
            return None
        raise DownloadError(_http_message(url, exc.code, exc.reason)) from None
    except URLError as exc:
        raise DownloadError(_network_message(url, exc.reason, timeout)) from None
    except OSError as exc:  # timeouts and resets can escape urllib unwrapped
        raise DownloadError(_network_message(url, exc, timeout)) from None
    except http.client.HTTPException as exc:
        raise DownloadError(_bad_response_message(url, exc)) from None
    except ValueError as exc:
        raise DownloadError(f"Cannot download {url}: {_one_line(exc)}. Check the URL.") from None


def _read_chunk(
    response: http.client.HTTPResponse, url: str, timeout: float, done: int, total: int | None
) -> bytes:
    try:
        return response.read(CHUNK_SIZE)
    except http.client.IncompleteRead:
        raise DownloadError(_truncated_message(url, done, total)) from None
    except TimeoutError:
        raise DownloadError(
            f"Downloading {url} failed: no data for {timeout:g} s after {done} bytes. The "
            f"network may be down or very slow; retry, or {LOCAL_HINT}."
        ) from None
    except OSError as exc:
        raise DownloadError(
            f"Downloading {url} failed: the connection was lost after {done} bytes "
            f"({_one_line(exc.strerror or exc)}). Retry, or {LOCAL_HINT}."
        ) from None
    except http.client.HTTPException as exc:
        raise DownloadError(_bad_response_message(url, exc)) from None


def _content_length(response: http.client.HTTPResponse) -> int | None:
    value = response.headers.get("Content-Length")
    try:
        length = int(value) if value is not None else None
    except ValueError:
        return None
    return length if length is not None and length >= 0 else None


# --- messages --------------------------------------------------------------------------------


def _http_message(url: str, code: int, reason: object) -> str:
    reason_text = _one_line(reason) if reason else ""
    if not reason_text:
        try:
            reason_text = HTTPStatus(code).phrase
        except ValueError:
            reason_text = "error"
    if code == 429 or code >= 500:
        advice = f"The server may be busy: try again later, or {LOCAL_HINT}."
    else:
        advice = f"Check the URL, or {LOCAL_HINT}."
    return f"Downloading {url} failed: HTTP {code} {reason_text}. {advice}"


def _network_message(url: str, reason: object, timeout: float) -> str:
    host = urlsplit(url).hostname or url
    if isinstance(reason, str):
        return f"Cannot download {url}: {_one_line(reason)}. Check the URL, or {LOCAL_HINT}."
    if isinstance(reason, TimeoutError):
        what = f"{host} did not answer within {timeout:g} s"
    elif isinstance(reason, socket.gaierror):
        what = f"cannot resolve the host name {host}"
    elif isinstance(reason, ConnectionRefusedError):
        what = f"the connection to {host} was refused"
    elif isinstance(reason, OSError):
        what = _one_line(reason.strerror or reason)
    else:
        what = _one_line(reason)
    return (
        f"Cannot download {url}: {what}. There seems to be no network access (or the server is "
        f"down): connect and retry, or {LOCAL_HINT}."
    )


def _truncated_message(url: str, done: int, total: int | None) -> str:
    expected = f"of {total} " if total is not None else ""
    return (
        f"Downloading {url} failed: the connection closed after {done} {expected}bytes. "
        f"Retry; if it keeps failing, {LOCAL_HINT}."
    )


def _bad_response_message(url: str, exc: Exception) -> str:
    detail = _one_line(exc) or type(exc).__name__
    return (
        f"Downloading {url} failed: the server sent an invalid response ({detail}). "
        f"Retry later, or {LOCAL_HINT}."
    )


def _one_line(value: object) -> str:
    return " ".join(str(value).split())


# --- names -----------------------------------------------------------------------------------


def _normalise_sha256(value: str | None) -> str | None:
    if value is None:
        return None
    digest = value.strip().lower()
    if digest.startswith("sha256:"):
        digest = digest[len("sha256:") :]
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise ValueError(f"not a sha256 hex digest: {value!r}")
    return digest


def _normalise_sha1(value: str | None) -> str | None:
    if value is None:
        return None
    digest = value.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{40}", digest):
        raise ValueError(f"not a sha1 hex digest: {value!r}")
    return digest


def _safe_component(text: str, fallback: str) -> str:
    """One path component: letters, digits, `._-` only, never hidden, `.` or `..`."""
    cleaned = re.sub(r"[^\w.-]+", "_", text).lstrip(".")
    return cleaned or fallback


def _write_error(path: Path, exc: OSError) -> DownloadError:
    if is_disk_full(exc):
        return DownloadError(
            f"{disk_full_error(path, exc)} Or set EMBEDCLI_CACHE to a disk with room."
        )
    return DownloadError(
        f"Cannot write the download to {path.parent}: {_one_line(exc.strerror or exc)}. Free "
        "some disk space or set EMBEDCLI_CACHE to a writable directory."
    )

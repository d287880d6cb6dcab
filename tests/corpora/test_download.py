"""fetch() against a real HTTP server on 127.0.0.1, serving files from a temporary folder."""

from __future__ import annotations

import hashlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from embedcli import __version__
from embedcli.corpora.download import CHUNK_SIZE, cache_path, fetch
from embedcli.errors import DownloadError
from tests.local_http import LocalServer

# A bit more than two chunks, so progress is reported several times.
PAYLOAD = bytes(range(256)) * (CHUNK_SIZE * 2 // 256) + b"tail of the corpus\n"


@pytest.fixture(autouse=True)
def _no_proxy_for_localhost(monkeypatch: pytest.MonkeyPatch) -> None:
    """urllib honours http_proxy; the test server must be reached directly."""
    for var in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(var, "127.0.0.1,localhost")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LocalServer]:
    with LocalServer(tmp_path / "served").running() as running:
        yield running


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EMBEDCLI_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "downloads"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _leftovers(folder: Path) -> list[str]:
    """Files in the cache folder other than completed downloads and their sidecars."""
    if not folder.exists():
        return []
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_download_lands_in_the_cache_with_progress(server: LocalServer, cache: Path) -> None:
    url = server.publish("ratings.txt", PAYLOAD)
    seen: list[tuple[int, int | None]] = []

    path = fetch(
        url, name="nsmc-upstream", on_progress=lambda done, total: seen.append((done, total))
    )

    assert path == cache / "nsmc-upstream" / "ratings.txt"
    assert path.read_bytes() == PAYLOAD
    assert len(seen) > 2
    done = [d for d, _ in seen]
    assert done == sorted(done)
    assert seen[-1] == (len(PAYLOAD), len(PAYLOAD))
    assert all(total == len(PAYLOAD) for _, total in seen)
    assert _leftovers(path.parent) == []
    headers = server.requests[0][1]
    assert headers["User-Agent"] == f"embedcli/{__version__}"


def test_second_fetch_is_served_from_the_cache(server: LocalServer, cache: Path) -> None:
    url = server.publish("ratings.txt", PAYLOAD)
    first = fetch(url, name="corpus")
    calls: list[tuple[int, int | None]] = []

    second = fetch(url, name="corpus", on_progress=lambda d, t: calls.append((d, t)))

    assert second == first
    assert server.count("/files/ratings.txt") == 1
    assert calls == []


def test_same_basename_under_different_names_does_not_collide(
    server: LocalServer, tmp_path: Path
) -> None:
    url_a = server.publish("ratings.txt", b"a\n")
    (server.root / "other").mkdir()
    url_b = server.url("files/other/ratings.txt")
    (server.root / "other" / "ratings.txt").write_bytes(b"b\n")

    path_a = fetch(url_a, name="first", cache_dir=tmp_path / "c")
    path_b = fetch(url_b, name="second", cache_dir=tmp_path / "c")

    assert path_a != path_b
    assert (path_a.read_bytes(), path_b.read_bytes()) == (b"a\n", b"b\n")


def test_name_cannot_escape_the_cache_and_no_name_uses_the_url(tmp_path: Path) -> None:
    base = tmp_path / "c"
    escaped = cache_path("http://h/x/data.txt", name="../../etc", cache_dir=base)
    assert escaped.parent.parent == base
    assert escaped.name == "data.txt"

    by_url = cache_path("http://example.org/x/data.txt", cache_dir=base)
    other = cache_path("http://example.org/y/data.txt", cache_dir=base)
    assert by_url.parent.parent == base and by_url.name == "data.txt"
    assert by_url.parent != other.parent
    assert cache_path("http://example.org/", cache_dir=base).name == "download"


def test_matching_checksum_is_accepted_and_recorded(server: LocalServer, tmp_path: Path) -> None:
    url = server.publish("ratings.txt", PAYLOAD)

    path = fetch(url, sha256=_sha(PAYLOAD).upper(), name="pinned", cache_dir=tmp_path / "c")
    again = fetch(url, sha256=_sha(PAYLOAD), name="pinned", cache_dir=tmp_path / "c")

    assert again == path
    assert path.read_bytes() == PAYLOAD
    meta = json.loads(path.with_name("ratings.txt.meta.json").read_text())
    assert meta["sha256"] == _sha(PAYLOAD)
    assert server.count("/files/ratings.txt") == 1


def test_checksum_mismatch_deletes_the_download(server: LocalServer, tmp_path: Path) -> None:
    url = server.publish("ratings.txt", PAYLOAD)
    wrong = "0" * 64

    with pytest.raises(DownloadError) as caught:
        fetch(url, sha256=wrong, name="pinned", cache_dir=tmp_path / "c")

    message = str(caught.value)
    assert wrong in message and _sha(PAYLOAD) in message
    assert "retry" in message and "\n" not in message
    folder = tmp_path / "c" / "pinned"
    assert not (folder / "ratings.txt").exists()
    assert not (folder / "ratings.txt.meta.json").exists()
    assert _leftovers(folder) == []


def test_cached_file_not_matching_the_pinned_checksum_is_replaced(
    server: LocalServer, tmp_path: Path
) -> None:
    url = server.publish("ratings.txt", PAYLOAD)
    path = fetch(url, sha256=_sha(PAYLOAD), name="pinned", cache_dir=tmp_path / "c")
    path.write_bytes(b"damaged")

    assert fetch(url, sha256=_sha(PAYLOAD), name="pinned", cache_dir=tmp_path / "c") == path

    assert path.read_bytes() == PAYLOAD
    assert server.count("/files/ratings.txt") == 2


def test_first_download_is_recorded_in_a_sidecar(server: LocalServer, cache: Path) -> None:
    url = server.publish("ratings.txt", PAYLOAD)

    path = fetch(url, name="tofu")

    meta = json.loads((path.parent / "ratings.txt.meta.json").read_text())
    assert meta["url"] == url
    assert meta["sha256"] == _sha(PAYLOAD)
    assert meta["size"] == len(PAYLOAD)
    assert meta["downloaded_at"].endswith("+00:00")


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[:100], id="shorter"),
        pytest.param(lambda data: b"X" + data[1:], id="same-size"),
    ],
)
def test_damaged_cached_file_is_downloaded_again(server: LocalServer, cache: Path, damage) -> None:
    url = server.publish("ratings.txt", PAYLOAD)
    path = fetch(url, name="tofu")
    path.write_bytes(damage(PAYLOAD))

    assert fetch(url, name="tofu") == path

    assert path.read_bytes() == PAYLOAD
    assert server.count("/files/ratings.txt") == 2


def test_cached_file_without_sidecar_or_for_another_url_is_downloaded_again(
    server: LocalServer, cache: Path
) -> None:
    url = server.publish("ratings.txt", PAYLOAD)
    path = fetch(url, name="tofu")
    path.with_name("ratings.txt.meta.json").unlink()

    fetch(url, name="tofu")
    assert server.count("/files/ratings.txt") == 2

    (server.root / "moved").mkdir()
    (server.root / "moved" / "ratings.txt").write_bytes(b"new upstream\n")
    assert fetch(server.url("files/moved/ratings.txt"), name="tofu") == path
    assert path.read_bytes() == b"new upstream\n"


def test_http_404_is_a_download_error(server: LocalServer, tmp_path: Path) -> None:
    url = server.url("files/missing.txt")

    with pytest.raises(DownloadError) as caught:
        fetch(url, name="gone", cache_dir=tmp_path / "c")

    assert str(caught.value) == (
        f"Downloading {url} failed: HTTP 404 Not Found. Check the URL, or pass a local file "
        "with --corpus PATH."
    )
    assert not (tmp_path / "c" / "gone").exists()  # not even an empty folder


def test_truncated_body_is_a_download_error(server: LocalServer, tmp_path: Path) -> None:
    server.publish("ratings.txt", PAYLOAD)
    url = server.url("truncated/ratings.txt")

    with pytest.raises(DownloadError) as caught:
        fetch(url, name="cut", cache_dir=tmp_path / "c")

    message = str(caught.value)
    assert f"after {len(PAYLOAD) // 2} of {len(PAYLOAD) + 1000} bytes" in message
    folder = tmp_path / "c" / "cut"
    assert not (folder / "ratings.txt").exists()
    assert _leftovers(folder) == []


def test_body_without_content_length_reports_unknown_total(
    server: LocalServer, tmp_path: Path
) -> None:
    server.publish("ratings.txt", PAYLOAD)
    seen: list[tuple[int, int | None]] = []

    path = fetch(
        server.url("nolength/ratings.txt"),
        cache_dir=tmp_path / "c",
        on_progress=lambda d, t: seen.append((d, t)),
    )

    assert path.read_bytes() == PAYLOAD
    assert seen[-1] == (len(PAYLOAD), None)


def test_connection_refused_is_a_download_error(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/ratings.txt"

    with pytest.raises(DownloadError) as caught:
        fetch(url, name="offline", cache_dir=tmp_path / "c", timeout=2)

    message = str(caught.value)
    assert url in message and "refused" in message
    assert "no network access" in message and "--corpus PATH" in message
    assert not (tmp_path / "c" / "offline").exists()


def test_timeout_is_a_download_error(server: LocalServer, tmp_path: Path) -> None:
    with pytest.raises(DownloadError) as caught:
        fetch(server.url("slow/x.txt"), name="slow", cache_dir=tmp_path / "c", timeout=0.2)

    message = str(caught.value)
    assert "0.2 s" in message and "--corpus PATH" in message


def test_interrupted_download_leaves_no_file(server: LocalServer, tmp_path: Path) -> None:
    url = server.publish("ratings.txt", PAYLOAD)

    def interrupt(done: int, total: int | None) -> None:
        if done > 0:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fetch(url, name="stopped", cache_dir=tmp_path / "c", on_progress=interrupt)

    folder = tmp_path / "c" / "stopped"
    assert not (folder / "ratings.txt").exists()
    assert _leftovers(folder) == []
    # and the next attempt starts afresh
    assert fetch(url, name="stopped", cache_dir=tmp_path / "c").read_bytes() == PAYLOAD


def test_unwritable_cache_is_a_download_error(server: LocalServer, tmp_path: Path) -> None:
    url = server.publish("ratings.txt", PAYLOAD)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache folder should be")

    with pytest.raises(DownloadError, match="Cannot write the download to .*EMBEDCLI_CACHE"):
        fetch(url, name="x", cache_dir=blocker)


def test_invalid_pinned_checksum_is_a_bug(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        fetch("http://127.0.0.1:9/x", sha256="abc", cache_dir=tmp_path)


def _interrupt_after_first_chunk(done: int, total: int | None) -> None:
    if done > 0:
        raise KeyboardInterrupt


def test_interrupted_download_is_resumed_with_a_range_request(
    server: LocalServer, tmp_path: Path
) -> None:
    server.publish("ratings.txt", PAYLOAD)
    url = server.url("ranged/ratings.txt")
    folder = tmp_path / "c" / "resumable"

    with pytest.raises(KeyboardInterrupt) as stopped:
        fetch(
            url,
            name="resumable",
            cache_dir=tmp_path / "c",
            on_progress=_interrupt_after_first_chunk,
        )

    assert stopped.value.then == "resume the download"
    assert not (folder / "ratings.txt").exists()
    assert _leftovers(folder) == [".ratings.txt.part", ".ratings.txt.part.json"]
    kept = (folder / ".ratings.txt.part").read_bytes()
    assert kept == PAYLOAD[: len(kept)] and 0 < len(kept) < len(PAYLOAD)
    seen: list[tuple[int, int | None]] = []

    path = fetch(
        url,
        name="resumable",
        cache_dir=tmp_path / "c",
        on_progress=lambda d, t: seen.append((d, t)),
    )

    assert path.read_bytes() == PAYLOAD
    headers = server.requests[-1][1]
    assert headers["Range"] == f"bytes={len(kept)}-"
    assert headers["If-Range"] == f'"{_sha(PAYLOAD)[:16]}"'
    assert seen[0] == (len(kept), len(PAYLOAD))  # progress starts at what was kept
    meta = json.loads(path.with_name("ratings.txt.meta.json").read_text())
    assert meta["sha256"] == _sha(PAYLOAD)  # of the whole file, kept bytes included
    assert _leftovers(folder) == []


def test_file_changed_upstream_since_the_interruption_is_downloaded_whole(
    server: LocalServer, tmp_path: Path
) -> None:
    server.publish("ratings.txt", PAYLOAD)
    url = server.url("ranged/ratings.txt")
    with pytest.raises(KeyboardInterrupt):
        fetch(
            url, name="changed", cache_dir=tmp_path / "c", on_progress=_interrupt_after_first_chunk
        )
    changed = b"a new version of the corpus\n" * 20_000
    server.publish("ratings.txt", changed)

    path = fetch(url, name="changed", cache_dir=tmp_path / "c")

    assert path.read_bytes() == changed  # If-Range did not match: 200 and the whole new file
    assert "Range" in server.requests[-1][1]
    assert _leftovers(path.parent) == []


def test_pinned_download_is_resumed_even_without_a_version(
    server: LocalServer, tmp_path: Path
) -> None:
    # /files/ sends no ETag or Last-Modified and ignores Range; the pinned checksum makes a
    # resume safe to try, and the server's 200 makes it start over.
    url = server.publish("ratings.txt", PAYLOAD)
    with pytest.raises(KeyboardInterrupt):
        fetch(
            url,
            sha256=_sha(PAYLOAD),
            name="pinned",
            cache_dir=tmp_path / "c",
            on_progress=_interrupt_after_first_chunk,
        )
    assert _leftovers(tmp_path / "c" / "pinned") == [".ratings.txt.part", ".ratings.txt.part.json"]

    path = fetch(url, sha256=_sha(PAYLOAD), name="pinned", cache_dir=tmp_path / "c")

    assert path.read_bytes() == PAYLOAD
    assert server.requests[-1][1]["Range"].startswith("bytes=")
    assert "If-Range" not in server.requests[-1][1]
    assert _leftovers(path.parent) == []


def test_kept_part_longer_than_the_file_starts_over(server: LocalServer, tmp_path: Path) -> None:
    server.publish("ratings.txt", PAYLOAD)
    url = server.url("ranged/ratings.txt")
    with pytest.raises(KeyboardInterrupt):
        fetch(
            url, name="longer", cache_dir=tmp_path / "c", on_progress=_interrupt_after_first_chunk
        )
    part = tmp_path / "c" / "longer" / ".ratings.txt.part"
    part.write_bytes(PAYLOAD + b"more")  # 416 for its Range

    path = fetch(url, name="longer", cache_dir=tmp_path / "c")

    assert path.read_bytes() == PAYLOAD
    assert _leftovers(path.parent) == []

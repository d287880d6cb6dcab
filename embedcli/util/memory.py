"""Memory a run will need, against what the machine has: refuse before allocating.

`available_bytes` is what the kernel says can be allocated without swapping (MemAvailable),
lowered to what a cgroup limit (a container) leaves. A per-process limit (`ulimit -v`) is not
counted: a run that hits one still ends in one `Error:` line, through MemoryError.
"""

from __future__ import annotations

from pathlib import Path

from embedcli.errors import OutOfMemoryError


def available_bytes() -> int | None:
    """Bytes that can be allocated now, or None where that cannot be told (not Linux)."""
    found = []
    meminfo = _read_int_field(Path("/proc/meminfo"), "MemAvailable:")
    if meminfo is not None:
        found.append(meminfo * 1024)
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ):
        limit, usage = _read_int(Path(limit_file)), _read_int(Path(usage_file))
        if limit is not None and usage is not None and limit < 1 << 60:
            found.append(max(0, limit - usage))
    return min(found) if found else None


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):  # missing, or "max" (no limit)
        return None


def _read_int_field(path: Path, name: str) -> int | None:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(name):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def size(n: float) -> str:
    """Bytes for people: 1.5 GiB, 320 MiB."""
    for unit, scale in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            value = n / scale
            return f"{value:,.0f} {unit}" if value >= 100 else f"{value:.1f} {unit}"
    return f"{n:,.0f} bytes"


def check_fits(parts: dict[str, int], doing: str, remedy: str) -> None:
    """Raise OutOfMemoryError when the parts (what -> bytes) add up to more than is available.

    `doing` says what needs the memory ("Training word2vec on 16,477 words"), `remedy` what to
    change.
    """
    needed = sum(parts.values())
    available = available_bytes()
    if available is None or needed <= available:
        return
    shown = ", ".join(f"{what} {size(n)}" for what, n in parts.items() if n >= needed / 100)
    raise OutOfMemoryError(
        f"{doing} needs about {size(needed)} of memory ({shown}), but this machine has "
        f"{size(available)} available. {remedy}"
    )

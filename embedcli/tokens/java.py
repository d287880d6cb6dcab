"""Finding a Java runtime for Okt before any worker starts, and saying how to get one.

Okt runs in a JVM reached through JPype. JPype looks in $JAVA_HOME, then at /usr/bin/java,
then under /usr/lib/jvm; when $JAVA_HOME points nowhere it quietly falls back to another Java.
Here a $JAVA_HOME that holds no Java is an error, since the user set it on purpose, and a
Java older than JPype's own classes need (their class files are Java 9) is refused by its
`release` file rather than failing later inside a worker."""

from __future__ import annotations

import os
import re
from pathlib import Path

from embedcli.errors import TokenizerError

MIN_JAVA = 9  # JPype 1.7's org.jpype.jar is Java 9 bytecode; Okt itself needs 8
LIBJVM = "libjvm.so"
INSTALL_HINT = (
    f"Install a Java runtime, {MIN_JAVA} or newer (e.g. `sudo apt install "
    "openjdk-17-jre-headless`, `brew install openjdk@17`, or from adoptium.net), or set "
    "JAVA_HOME to one; for English text, --lang en needs no Java."
)


def find_jvm() -> str:
    """The path of the JVM library JPype will load; TokenizerError when there is none."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        found = libjvm_under(Path(java_home))
        if found is None:
            raise TokenizerError(
                f"JAVA_HOME is set to {java_home}, which holds no Java runtime (no {LIBJVM} "
                "under it), so Okt cannot start. Point JAVA_HOME at a JDK or JRE, or unset "
                f"it to use the system's Java. {INSTALL_HINT}"
            )
        path = str(found)
    else:
        try:
            import jpype

            path = jpype.getDefaultJVMPath()
        except ImportError:  # pragma: no cover - a dependency
            raise TokenizerError("Okt needs JPype1: run `make install` again.") from None
        except Exception:  # JPype raises several types for "no JVM here"
            raise TokenizerError(
                "Okt needs Java, and none was found: JAVA_HOME is not set and there is no "
                f"JVM in the usual places. {INSTALL_HINT}"
            ) from None
    version = java_version(Path(path))
    if version is not None and _major(version) < MIN_JAVA:
        raise TokenizerError(
            f"Okt needs Java {MIN_JAVA} or newer, but the Java found ({path}) is version "
            f"{version}. {INSTALL_HINT}"
        )
    return path


def libjvm_under(java_home: Path) -> Path | None:
    """The JVM library of the JDK or JRE at `java_home`, if it holds one."""
    for relative in ("lib/server", "jre/lib/server", "lib/amd64/server", "jre/lib/amd64/server"):
        candidate = java_home / relative / LIBJVM
        if candidate.is_file():
            return candidate
    for sub in ("lib", "jre"):
        for root, _dirs, files in os.walk(java_home / sub):
            if LIBJVM in files:
                return Path(root) / LIBJVM
    return None


def java_version(libjvm: Path) -> str | None:
    """JAVA_VERSION from the `release` file of the Java that `libjvm` belongs to, if any."""
    for home in list(libjvm.parents)[:5]:
        release = home / "release"
        if release.is_file():
            try:
                text = release.read_text(encoding="utf-8", errors="replace")
            except OSError:
                return None
            found = re.search(r'^JAVA_VERSION="?([^"\n]+)"?', text, re.MULTILINE)
            return found.group(1).strip() if found else None
    return None


def _major(version: str) -> int:
    """1.8.0_292 -> 8, 17.0.15 -> 17, 21 -> 21; an unreadable version counts as new enough."""
    numbers = [int(n) for n in re.findall(r"\d+", version)[:2]]
    if not numbers:
        return MIN_JAVA
    return numbers[1] if numbers[0] == 1 and len(numbers) > 1 else numbers[0]

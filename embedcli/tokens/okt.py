"""Okt in a JVM (konlpy through JPype): `morphs(text, stem=True)`, the textbook's tokenizer."""

from __future__ import annotations

import os
import tempfile

from embedcli.errors import TokenizerError


class OktTokenizer:
    """KoNLPy's Okt in this process's JVM (started on first use, once per process)."""

    name = "okt"

    def __init__(self, stem: bool = True, norm: bool = False) -> None:
        self.stem = stem
        self.norm = norm
        self._okt = _start_okt()

    def morphs(self, text: str) -> list[str]:
        return self._okt.morphs(text, norm=self.norm, stem=self.stem)


def _start_okt():
    try:
        import jpype
        from konlpy.tag import Okt
    except ImportError as exc:  # pragma: no cover - both are dependencies
        raise TokenizerError(
            f"Okt needs the konlpy and JPype1 packages ({exc}). Run `make install` again."
        ) from None
    try:
        if not jpype.isJVMStarted():
            _start_jvm(jpype)
        return Okt()
    except (OSError, RuntimeError, jpype.JVMNotFoundException) as exc:
        from embedcli.tokens.java import INSTALL_HINT

        raise TokenizerError(f"Could not start Java for Okt ({exc}). {INSTALL_HINT}") from None


def _start_jvm(jpype) -> None:
    """Start the JVM the way konlpy does, with flags that suit one tokenizer per process."""
    from konlpy import utils

    from embedcli.tokens.java import find_jvm

    javadir = os.path.join(utils.installpath, "java")
    classpath = [os.path.join(javadir, "*"), os.path.join(javadir, "bin")]
    jpype.startJVM(
        find_jvm(),
        "-Dfile.encoding=UTF8",
        "-Xmx1024m",
        # One worker per core: a serial collector keeps the JVM from fighting its siblings
        # for cores with parallel GC threads.
        "-XX:+UseSerialGC",
        # a crash report goes to the temp dir, not into the user's working directory
        "-XX:ErrorFile=" + os.path.join(tempfile.gettempdir(), "embedcli-jvm-crash-%p.log"),
        classpath=classpath,
        convertStrings=True,
    )

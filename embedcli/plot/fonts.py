"""The font the static maps are drawn in: NanumGothic, from the koreanize-matplotlib wheel.

A machine without a Korean font would draw every Hangul label as an empty box. The
koreanize-matplotlib package (a dependency) carries the NanumGothic TTF files (SIL Open Font
License); they are registered with matplotlib's font manager when a map is drawn. The package
itself is never imported: importing it changes matplotlib's global settings. Labels in scripts
NanumGothic lacks (Cyrillic, Greek, accented Latin, ...) fall back to DejaVu Sans, which
matplotlib ships.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from embedcli.errors import EmbedcliError

FONT_PACKAGE = "koreanize_matplotlib"
FONT_FILES = ("NanumGothic.ttf", "NanumGothicBold.ttf")
FALLBACK = "DejaVu Sans"


def font_dir() -> Path:
    spec = importlib.util.find_spec(FONT_PACKAGE)  # finds the package without running it
    if spec is None or not spec.submodule_search_locations:
        raise EmbedcliError(
            "The Korean font package koreanize-matplotlib is not installed, so Hangul labels "
            "cannot be drawn: reinstall embedcli (`pip install embedcli`) to bring it back."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "fonts"


@cache
def register_fonts() -> list[str]:
    """Add the NanumGothic files to matplotlib's font manager; return the family names to
    draw with, the Korean font first."""
    from matplotlib import font_manager

    directory = font_dir()
    names: list[str] = []
    for file in FONT_FILES:
        path = directory / file
        if not path.is_file():
            raise EmbedcliError(
                f"The font file {path} is missing, so Hangul labels cannot be drawn: reinstall "
                "koreanize-matplotlib (`pip install --force-reinstall koreanize-matplotlib`)."
            )
        font_manager.fontManager.addfont(str(path))
        name = font_manager.FontProperties(fname=str(path)).get_name()
        if name not in names:
            names.append(name)
    return [*names, FALLBACK]

"""PNG and SVG maps: Hangul drawn from the packaged NanumGothic, no missing glyph."""

from __future__ import annotations

import io
import re
import warnings

import numpy as np
import pytest

from embedcli.plot.maps import WORD, WordMap
from tests.plot.conftest import ACTORS, FEELINGS

# Hangul syllables and jamo, and the scripts DejaVu Sans covers (NanumGothic lacks many Hanja).
KOREAN = ACTORS + FEELINGS + ["ㅋㅋㅋ", "영화", "Ünïcode", "кино", "ταινία"]


def _map(words):
    rng = np.random.default_rng(0)
    return WordMap(
        kind="words",
        title="한글 지도 · test · PCA",
        model_name="test",
        method="pca",
        words=list(words),
        counts=list(range(len(words), 0, -1)),
        vectors=np.eye(len(words), 4, dtype=np.float32),
        coords=rng.normal(size=(len(words), 2)),
        roles=[WORD] * len(words),
    )


def _draw(fig, fmt="png") -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt)
    return buffer.getvalue()


def test_korean_labels_draw_without_a_missing_glyph():
    from embedcli.plot.static import map_figure, save_figure

    fig = map_figure(_map(KOREAN))
    with warnings.catch_warnings():
        # matplotlib warns "Glyph 52572 (\N{HANGUL SYLLABLE CHOE}) missing from font(s) ..."
        # and draws a box: here that is an error.
        warnings.simplefilter("error")
        from embedcli.plot.static import _style

        with _style():
            png = _draw(fig)
        buffer = io.BytesIO()
        save_figure(fig, buffer, ".svg")
    assert png.startswith(b"\x89PNG")


def test_the_default_font_alone_would_miss_the_hangul_glyphs():
    """The test above can fail: drawn without the registered font, matplotlib warns."""
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        fig = Figure()
        fig.add_subplot().text(0.5, 0.5, "최민식")
        with pytest.warns(UserWarning, match="Glyph .* missing from font"):
            _draw(fig)


def test_png_and_svg_are_written_with_sane_sizes_and_the_labels(tmp_path):
    from embedcli.plot.output import write_plot

    word_map = _map(KOREAN)
    png = write_plot(word_map, tmp_path / "map.png")
    svg = write_plot(word_map, tmp_path / "map.svg")
    from matplotlib.image import imread

    pixels = imread(png)
    assert pixels.shape[0] >= 800 and pixels.shape[1] >= 1000  # 10 x 8 inches at 150 dpi
    assert 10_000 < png.stat().st_size < 2_000_000
    text = svg.read_text(encoding="utf-8")
    assert 10_000 < len(text) < 5_000_000
    # glyphs are paths (the file needs no Korean font); each label is kept in a comment
    comments = re.findall(r"<!-- (.*?) -->", text)
    for word in KOREAN:
        assert word in comments, word
    assert "한글 지도 · test · PCA" in comments


def test_a_big_map_labels_only_the_most_frequent(tmp_path):
    from embedcli.plot.output import write_plot
    from embedcli.plot.static import MAX_LABELS

    words = [f"단어{i}" for i in range(MAX_LABELS + 50)]
    text = write_plot(_map(words), tmp_path / "big.svg").read_text(encoding="utf-8")
    comments = set(re.findall(r"<!-- (.*?) -->", text))
    assert f"단어{MAX_LABELS - 1}" in comments
    assert f"단어{MAX_LABELS}" not in comments

"""The interactive page: one self-contained file with the words, the font and plotly.js."""

from __future__ import annotations

import base64
import json
import re

import numpy as np

import embedcli
from tests.plot.conftest import ACTORS


def _page(korean_model, tmp_path, **kwargs):
    path = tmp_path / "map.html"
    embedcli.load(korean_model).plot(output=path, **kwargs)
    return path.read_text(encoding="utf-8")


def _data(html: str) -> dict:
    found = re.search(r'<script id="map-data" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1))


def test_the_page_needs_nothing_from_the_network(korean_model, tmp_path):
    html = _page(korean_model, tmp_path)
    # The markup (script bodies left out: plotly.js holds links such as its logo's, which
    # nothing fetches) loads no script, style sheet, font or image from anywhere; the browser
    # test counts the requests the page really makes.
    markup = re.sub(r"(<script[^>]*>).*?</script>", r"\1</script>", html, flags=re.S)
    assert markup.count("<script") == 3
    assert not re.search(r"""(src|href)\s*=""", markup, re.I)
    assert not re.search(r"""@import|url\(\s*["']?(https?:)?//""", markup, re.I)
    # plotly.js itself is inside, and so is the font
    assert "Plotly.newPlot" in html and len(html) > 1_000_000
    assert "data:font/ttf;base64," in html


def test_the_page_holds_every_word_and_count(korean_model, tmp_path):
    html = _page(korean_model, tmp_path)
    data = _data(html)
    model = embedcli.load(korean_model)
    assert data["words"] == model.words
    assert data["counts"] == [model.kv.get_vecattr(w, "count") for w in model.words]
    assert "최민식" in html
    assert len(data["x"]) == len(data["y"]) == len(model.words)


def test_the_embedded_vectors_give_numpys_nearest_neighbours(korean_model, tmp_path):
    data = _data(_page(korean_model, tmp_path))
    n, dims = len(data["words"]), data["dims"]
    int8 = np.frombuffer(base64.b64decode(data["vectors"]), dtype=np.int8).reshape(n, dims)
    model = embedcli.load(korean_model)
    exact = model.kv.vectors / np.linalg.norm(model.kv.vectors, axis=1, keepdims=True)
    approx = int8.astype(np.float64)
    approx /= np.linalg.norm(approx, axis=1, keepdims=True)
    cosines_exact, cosines_page = exact @ exact.T, approx @ approx.T
    assert np.abs(cosines_exact - cosines_page).max() < 0.01
    # the cluster mates of 최민식 are its nearest, by the page's vectors as by the model's
    i = data["words"].index("최민식")
    nearest = [data["words"][j] for j in np.argsort(-cosines_page[i]) if j != i][:5]
    assert set(nearest) <= set(ACTORS) | {f"배우{k}" for k in range(20)}


def test_the_font_in_the_page_holds_the_words_hangul(korean_model, tmp_path):
    from fontTools.ttLib import TTFont

    html = _page(korean_model, tmp_path)
    encoded = re.search(r"data:font/ttf;base64,([A-Za-z0-9+/=]+)", html).group(1)
    import io

    font = TTFont(io.BytesIO(base64.b64decode(encoded)))
    cmap = font.getBestCmap()
    for char in "".join(_data(html)["words"]):
        assert ord(char) in cmap, char
    assert len(encoded) < 500_000  # cut down from the 4.7 MB file


def test_a_word_with_a_closing_script_tag_cannot_end_the_data(tmp_path):
    from tests.conftest import write_model_dir

    path = write_model_dir(tmp_path / "odd", {"</script><b>x": [1.0, 0.0], "b": [0.0, 1.0]})
    html = _page(path, tmp_path)
    assert _data(html)["words"][0] == "</script><b>x"

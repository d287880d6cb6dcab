"""The page in a real browser: Debian's Chromium, headless, driven by Playwright.

Checks what a person would see: no console errors, no request to any network address, dots
on the screen, a searched word highlighted with its nearest neighbours, a click on a dot.
"""

from __future__ import annotations

import io
import shutil

import numpy as np
import pytest

import embedcli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium on PATH (Debian: apt-get install chromium; .ci/run installs it)",
)
HIGHLIGHT = (0xD6, 0x27, 0x28)  # the ring and label of the word asked for
DOT = (0x1F, 0x77, 0xB4)


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
    with sync_api.sync_playwright() as playwright:
        # SwiftShader: WebGL without a GPU, as on a server or in CI
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--use-angle=swiftshader", "--enable-unsafe-swiftshader"],
        )
        yield launched
        launched.close()


def _pixels(png: bytes) -> np.ndarray:
    from matplotlib.image import imread

    return (imread(io.BytesIO(png), format="png")[..., :3] * 255).round().astype(int)


def _count(pixels: np.ndarray, colour: tuple[int, int, int], tolerance: int = 12) -> int:
    return int((np.abs(pixels - np.array(colour)).max(axis=2) <= tolerance).sum())


def test_the_page_draws_finds_and_highlights(browser, korean_model, tmp_path):
    path = tmp_path / "map.html"
    made = embedcli.load(korean_model).plot(output=path)
    words = made.map.words
    page = browser.new_page(viewport={"width": 1100, "height": 750})
    problems, requests = [], []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else 0)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_function("window.embedcliMap && window.embedcliMap.ready", timeout=60_000)
    page.wait_for_timeout(300)

    before = _pixels(page.screenshot())
    assert _count(before, DOT, 40) > 200  # dots drawn by WebGL, not an empty canvas
    assert _count(before, HIGHLIGHT) < 20

    page.fill("#search", "최민식")
    page.press("#search", "Enter")
    page.wait_for_timeout(300)
    assert page.inner_text("#info").startswith("최민식")
    shown = page.evaluate("document.getElementById('map').data[2].customdata")
    assert words[shown[0]] == "최민식"
    # the page's neighbours are NumPy's on the same 8-bit vectors
    from embedcli.plot.page import int8_vectors

    rows = int8_vectors(made.map.vectors).astype(np.float64)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    i = words.index("최민식")
    cos = rows @ rows[i]
    cos[i] = -np.inf
    assert set(shown[1:]) == set(np.argsort(-cos)[: len(shown) - 1].tolist())
    assert len(shown) == 11
    after = _pixels(page.screenshot())
    assert _count(after, HIGHLIGHT) > 50  # the red ring and label are on the screen

    # a click on another dot selects it
    target = words.index("재밌다")
    x, y = page.evaluate(
        """(i) => { const m = document.getElementById('map'), l = m._fullLayout;
        const box = m.getBoundingClientRect();
        return [box.left + l._size.l + l.xaxis.l2p(m.data[0].x[i]),
                box.top + l._size.t + l.yaxis.l2p(m.data[0].y[i])]; }""",
        target,
    )
    page.mouse.click(x, y)
    page.wait_for_timeout(300)
    assert page.inner_text("#info").startswith("재밌다")

    assert problems == []
    assert {url.split(":")[0] for url in requests} <= {"file", "data"}, requests

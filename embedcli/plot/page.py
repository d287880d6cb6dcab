"""The interactive map: one self-contained HTML file (plotly.js inlined, WebGL points).

Everything the page needs is inside it: plotly.js (from the plotly package), the words,
counts and map coordinates as JSON, the unit vectors rounded to 8 bits (for nearest
neighbours on click, computed in the page), and NanumGothic cut down to the characters the
page shows (so Hangul draws on machines without a Korean font). Opening it makes no request
to any network address, so it works offline and can be mailed.

The points are one `scattergl` (WebGL) trace, which stays smooth with 100,000 points; the
labels of the most frequent words and the highlighted words are SVG text above it.
"""

from __future__ import annotations

import base64
import io
import json

import numpy as np

from embedcli.plot.maps import WordMap

# Labels always shown: a map of many words labels only its most frequent ones (the rest show
# on hover, search and click).
MAX_LABELS = 200
NEIGHBOURS_ON_CLICK = 10
_UI_TEXT = (
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    " .,:;!?'\"()[]{}<>+-=*/\\|_#%&@~^`$·…–—×→← "
)


def int8_vectors(unit: np.ndarray) -> np.ndarray:
    """Unit vectors rounded to 8 bits (x127): cosines within about 0.01 of the exact ones."""
    return np.clip(np.rint(np.asarray(unit, dtype=np.float32) * 127), -127, 127).astype(np.int8)


def font_subset_base64(text: str) -> str:
    """NanumGothic holding only the characters of `text` (and the page's own), as base64 TTF."""
    from fontTools import subset

    from embedcli.plot.fonts import FONT_FILES, font_dir

    options = subset.Options()
    options.name_IDs = ["*"]
    options.notdef_outline = True
    # VTT hinting sources, which fontTools cannot cut down (it says so on stderr); not needed
    options.drop_tables += ["TSI0", "TSI1", "TSI2", "TSI3", "TSI5"]
    font = subset.load_font(str(font_dir() / FONT_FILES[0]), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(set(text + _UI_TEXT))))
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def page_html(word_map: WordMap) -> str:
    """The page's HTML text."""
    from plotly.offline import get_plotlyjs

    n = len(word_map)
    data = {
        "title": word_map.title,
        "words": list(word_map.words),
        "counts": list(word_map.counts),
        "x": [round(float(v), 5) for v in word_map.coords[:, 0]],
        "y": [round(float(v), 5) for v in word_map.coords[:, 1]],
        "roles": list(word_map.roles),
        "arrows": [list(pair) for pair in word_map.arrows],
        "dims": int(word_map.vectors.shape[1]) if n else 0,
        "vectors": base64.b64encode(int8_vectors(word_map.vectors).tobytes()).decode("ascii"),
        "labels": min(n, MAX_LABELS),
        "neighbours": NEIGHBOURS_ON_CLICK,
    }
    # "</" cannot end the inline script early: JSON allows "<\/" for "</".
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    font = font_subset_base64(word_map.title + "".join(word_map.words))
    return (
        _TEMPLATE.replace("%%TITLE%%", _escape(word_map.title))
        .replace("%%FONT%%", font)
        .replace("%%PLOTLYJS%%", get_plotlyjs().replace("</script", "<\\/script"))
        .replace("%%DATA%%", payload)
        .replace("%%SCRIPT%%", _SCRIPT)
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_TEMPLATE = """<!DOCTYPE html>
<html lang="ko">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>%%TITLE%%</title>
<style>
@font-face { font-family: "EmbedcliNanum";
  src: url(data:font/ttf;base64,%%FONT%%) format("truetype"); }
html, body { margin: 0; height: 100%; font-family: "EmbedcliNanum", sans-serif; color: #222; }
body { display: flex; flex-direction: column; }
header { display: flex; gap: 12px; align-items: center; padding: 8px 12px;
  border-bottom: 1px solid #ddd; flex-wrap: wrap; }
header h1 { font-size: 16px; margin: 0; font-weight: bold; }
#search { font: inherit; font-size: 14px; padding: 4px 8px; width: 14em; }
#info { font-size: 13px; color: #444; }
#info b { color: #d62728; }
#map { flex: 1; min-height: 300px; }
</style>
</head>
<body>
<header>
  <h1>%%TITLE%%</h1>
  <input id="search" type="search" placeholder="Find a word" autocomplete="off">
  <span id="info">Hover for a word, click for its nearest neighbours, drag to zoom.</span>
</header>
<div id="map"></div>
<script>%%PLOTLYJS%%</script>
<script id="map-data" type="application/json">%%DATA%%</script>
<script>%%SCRIPT%%</script>
</body>
</html>
"""

_SCRIPT = r"""
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("map-data").textContent);
  const n = data.words.length, dims = data.dims;
  const raw = atob(data.vectors);
  const vectors = new Int8Array(raw.length);
  for (let i = 0; i < raw.length; i++) vectors[i] = (raw.charCodeAt(i) << 24) >> 24;
  const index = new Map();
  data.words.forEach((w, i) => { if (!index.has(w)) index.set(w, i); });
  const colours = {query: "#d62728", answer: "#d62728", neighbour: "#1f77b4", word: "#1f77b4"};
  const font = "EmbedcliNanum, sans-serif";
  const fmt = (c) => (c === null || c === undefined) ? "unknown" : c.toLocaleString("en-US");
  const hover = data.words.map((w, i) => w + "<br>frequency " + fmt(data.counts[i]));
  const many = n > data.labels;
  const size = many ? Math.max(3, Math.min(8, 12000 / n)) : 9;
  const labelled = [...Array(data.labels).keys()];

  const points = {
    type: "scattergl", mode: "markers", x: data.x, y: data.y, text: hover,
    hoverinfo: "text", name: "words",
    marker: {size: size, color: data.roles.map(r => colours[r] || "#1f77b4"),
             opacity: many ? 0.55 : 0.9}
  };
  const labels = {
    type: "scatter", mode: "text", x: labelled.map(i => data.x[i]),
    y: labelled.map(i => data.y[i]), text: labelled.map(i => data.words[i]),
    textposition: "top right", hoverinfo: "skip", name: "labels",
    textfont: {family: font, size: many ? 11 : 14, color: "#333"}
  };
  const highlight = {
    type: "scatter", mode: "markers+text", x: [], y: [], text: [], customdata: [],
    textposition: "top right", hoverinfo: "skip", name: "highlight",
    marker: {size: 14, color: "rgba(0,0,0,0)", line: {color: "#ff7f0e", width: 3}},
    textfont: {family: font, size: 15, color: "#d62728"}
  };
  const annotations = data.arrows.map(([a, b]) => ({
    x: data.x[b], y: data.y[b], ax: data.x[a], ay: data.y[a], xref: "x", yref: "y",
    axref: "x", ayref: "y", showarrow: true, arrowhead: 2, arrowwidth: 2, arrowcolor: "#555",
    text: ""
  }));
  const layout = {
    font: {family: font}, hovermode: "closest", dragmode: "zoom", showlegend: false,
    margin: {l: 10, r: 10, t: 10, b: 10}, annotations: annotations,
    xaxis: {showticklabels: false, zeroline: false, showgrid: false},
    yaxis: {showticklabels: false, zeroline: false, showgrid: false},
    hoverlabel: {font: {family: font, size: 14}}, plot_bgcolor: "white"
  };
  const map = document.getElementById("map");
  const info = document.getElementById("info");

  function neighbours(i, k) {
    // cosines from the 8-bit vectors: every point against point i, the k best kept
    const best = [];
    const base = i * dims;
    let self = 0;
    for (let d = 0; d < dims; d++) self += vectors[base + d] * vectors[base + d];
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let dot = 0, norm = 0;
      const row = j * dims;
      for (let d = 0; d < dims; d++) {
        const v = vectors[row + d];
        dot += vectors[base + d] * v; norm += v * v;
      }
      const score = (self && norm) ? dot / Math.sqrt(self * norm) : 0;
      if (best.length < k || score > best[best.length - 1][1]) {
        best.push([j, score]);
        best.sort((p, q) => q[1] - p[1]);
        if (best.length > k) best.pop();
      }
    }
    return best;
  }

  function show(indexes) {
    // the first point is the one asked for: a larger ring; the fixed labels of highlighted
    // points step aside so that the two do not overprint
    const shown = new Set(indexes);
    const rest = labelled.filter(i => !shown.has(i));
    Plotly.restyle(map, {
      x: [rest.map(i => data.x[i])], y: [rest.map(i => data.y[i])],
      text: [rest.map(i => data.words[i])]
    }, [1]);
    Plotly.restyle(map, {
      x: [indexes.map(i => data.x[i])], y: [indexes.map(i => data.y[i])],
      text: [indexes.map(i => data.words[i])], customdata: [indexes],
      "marker.size": [indexes.map((_, k) => k === 0 ? 18 : 12)],
      "marker.line.color": [indexes.map((_, k) => k === 0 ? "#d62728" : "#ff7f0e")],
      "textfont.color": [indexes.map((_, k) => k === 0 ? "#d62728" : "#b35900")]
    }, [2]);
  }

  function select(i) {
    const found = neighbours(i, Math.min(data.neighbours, n - 1));
    show([i, ...found.map(p => p[0])]);
    info.innerHTML = "";
    const head = document.createElement("b");
    head.textContent = data.words[i];
    info.append(head, " (frequency " + fmt(data.counts[i]) + ") · nearest: " +
      found.map(p => data.words[p[0]] + " " + p[1].toFixed(2)).join(", "));
    return found;
  }

  function find(text) {
    const query = text.trim();
    if (!query) { show([]); return -1; }
    let i = index.has(query) ? index.get(query) : data.words.findIndex(w => w.startsWith(query));
    if (i < 0) {
      show([]);
      info.textContent = "“" + query + "” is not on this map.";
      return -1;
    }
    select(i);
    return i;
  }

  Plotly.newPlot(map, [points, labels, highlight], layout,
                 {responsive: true, scrollZoom: true, displaylogo: false}).then(() => {
    map.on("plotly_click", (event) => {
      const point = event.points.find(p => p.curveNumber === 0);
      if (point) select(point.pointIndex);
    });
    document.getElementById("search").addEventListener("keydown", (event) => {
      if (event.key === "Enter") find(event.target.value);
    });
    document.getElementById("search").addEventListener("search", (event) => {
      find(event.target.value);
    });
    window.embedcliMap = {find: find, select: select, neighbours: neighbours, ready: true};
  });
})();
"""


def loss_page_html(curve) -> str:
    """The loss curve as a self-contained page (plotly.js inlined)."""
    import plotly.graph_objects as go

    fig = go.Figure(
        go.Scatter(x=curve.epochs, y=curve.losses, mode="lines+markers", name="loss"),
        layout={
            "title": {"text": curve.title},
            "xaxis": {"title": {"text": "epoch"}},
            "yaxis": {"title": {"text": "loss"}},
            "template": "plotly_white",
        },
    )
    return fig.to_html(include_plotlyjs=True, full_html=True, include_mathjax=False)

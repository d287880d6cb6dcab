"""Static maps (PNG, SVG) and loss curves, drawn with matplotlib in the NanumGothic font.

Figures are built with matplotlib's object API (no pyplot, no GUI backend, no global state);
the font settings hold only while a figure is drawn. In SVG the glyphs are written as paths,
so the file looks the same on machines without a Korean font, and each label is also kept as
text in a comment beside its glyphs.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import numpy as np

from embedcli.plot.maps import ANSWER, NEIGHBOUR, QUERY, LossCurve, WordMap

# Labels drawn on a map of many words: the most frequent ones (the words come in frequency
# order); the rest are dots.
MAX_LABELS = 150
COLOURS = {QUERY: "#d62728", NEIGHBOUR: "#1f77b4", ANSWER: "#d62728"}
DEFAULT_COLOUR = "#1f77b4"


@contextmanager
def _style():
    import matplotlib

    from embedcli.plot.fonts import register_fonts

    with matplotlib.rc_context(
        {
            "font.family": register_fonts(),
            "axes.unicode_minus": False,  # NanumGothic has no U+2212 minus sign
            "svg.fonttype": "path",
            "svg.hashsalt": "embedcli",  # stable ids: the same map gives the same file
        }
    ):
        yield


def map_figure(word_map: WordMap):
    """A matplotlib Figure of the map (not saved)."""
    from matplotlib.figure import Figure

    with _style():
        n = len(word_map)
        fig = Figure(figsize=(10, 8), layout="constrained")
        ax = fig.add_subplot()
        xy = np.asarray(word_map.coords, dtype=float)
        many = n > MAX_LABELS
        colours = [COLOURS.get(role, DEFAULT_COLOUR) for role in word_map.roles]
        size = max(2.0, min(36.0, 6000.0 / max(n, 1))) if many else 36.0
        ax.scatter(
            xy[:, 0],
            xy[:, 1],
            s=size,
            c=colours,
            alpha=0.45 if many else 0.9,
            linewidths=0,
            zorder=2,
        )
        for start, end in word_map.arrows:
            ax.annotate(
                "",
                xy=xy[end],
                xytext=xy[start],
                arrowprops={
                    "arrowstyle": "-|>",
                    "color": "#555555",
                    "lw": 1.6,
                    "shrinkA": 6,
                    "shrinkB": 6,
                },
                zorder=1,
            )
        labelled = range(min(n, MAX_LABELS))
        for i in labelled:
            role = word_map.roles[i]
            ax.annotate(
                word_map.words[i],
                xy[i],
                xytext=(4, 4),
                textcoords="offset points",
                # emphasis by size and colour: NanumGothic's bold is weight 600 and DejaVu
                # Sans has none, so a bold label would log a font warning
                fontsize=(8 if many else 11) + (2 if role in (QUERY, ANSWER) else 0),
                color="#222222" if role not in (QUERY, ANSWER) else COLOURS[role],
                # a pale box, not a path-effect halo: text drawn through path effects loses
                # its SVG comment, and the box keeps labels readable over dots and arrows
                bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.6},
                zorder=3,
            )
        _pad(ax, xy)
        ax.set_title(word_map.title, fontsize=13)
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_color("#cccccc")
        if many:
            ax.text(
                0.99,
                0.01,
                f"{n:,} words; the {MAX_LABELS} most frequent are labelled",
                transform=ax.transAxes,
                ha="right",
                va="bottom",
                fontsize=8,
                color="#777777",
            )
        return fig


def _pad(ax, xy: np.ndarray) -> None:
    """Room around the points for the labels that stick out to their right and top."""
    if len(xy) == 0:
        return
    low, high = xy.min(axis=0), xy.max(axis=0)
    span = np.where(high - low > 0, high - low, 1.0)
    ax.set_xlim(low[0] - 0.05 * span[0], high[0] + 0.15 * span[0])
    ax.set_ylim(low[1] - 0.05 * span[1], high[1] + 0.08 * span[1])


def loss_figure(curve: LossCurve):
    from matplotlib.figure import Figure

    with _style():
        fig = Figure(figsize=(8, 5), layout="constrained")
        ax = fig.add_subplot()
        ax.plot(curve.epochs, curve.losses, marker="o", color=DEFAULT_COLOUR)
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.set_title(curve.title)
        ax.grid(alpha=0.3)
        if len(curve.epochs) <= 20:
            ax.set_xticks(curve.epochs)
        if curve.note:
            ax.text(
                0.99, 0.98, curve.note, transform=ax.transAxes, ha="right", va="top", fontsize=8
            )
        return fig


def save_figure(fig, path: Path, fmt: str) -> None:
    """Write `fig` as PNG or SVG to `path` (a temporary name; the caller renames it)."""
    with _style():
        fig.savefig(path, format=fmt.lstrip("."), dpi=150, facecolor="white")

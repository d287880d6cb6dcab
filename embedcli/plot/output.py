"""Writing a plot: the output's format from its suffix, written under a temporary name."""

from __future__ import annotations

from pathlib import Path

from embedcli.plot.maps import LossCurve, WordMap, output_format
from embedcli.util.atomic import atomic_file, check_can_create, check_writable


def check_outputs(output: Path, coords: Path | None, force: bool) -> str:
    """Before any work: the suffix is known and both outputs can be written; the format."""
    fmt = output_format(output)
    how = "Choose another --output, or make that directory writable."
    check_can_create(output, "plot", how)
    check_writable(output, force, "plot")
    if coords is not None:
        if Path(coords).resolve() == Path(output).resolve():
            from embedcli.errors import OptionsError

            raise OptionsError("--coords and --output name the same file: give two names.")
        check_can_create(coords, "coordinates file", "Choose another --coords.")
        check_writable(coords, force, "coordinates file", option="--coords")
    return fmt


def figure_of(shown: WordMap | LossCurve):
    from embedcli.plot import static

    if isinstance(shown, LossCurve):
        return static.loss_figure(shown)
    return static.map_figure(shown)


def write_plot(shown: WordMap | LossCurve, output: Path, *, force: bool = False) -> Path:
    """Write the map or curve to `output` (.png, .svg or .html)."""
    fmt = output_format(output)
    output = Path(output)
    if fmt == ".html":
        from embedcli.plot.page import loss_page_html, page_html

        text = loss_page_html(shown) if isinstance(shown, LossCurve) else page_html(shown)
        with atomic_file(output, force=force) as tmp:
            tmp.write_text(text, encoding="utf-8")
        return output
    from embedcli.plot.static import save_figure

    fig = figure_of(shown)
    with atomic_file(output, force=force) as tmp:
        save_figure(fig, tmp, fmt)
    return output


def write_coords(word_map: WordMap, path: Path, *, force: bool = False) -> Path:
    from embedcli.plot.projection import write_coords as write_tsv

    with atomic_file(Path(path), force=force) as tmp:
        write_tsv(tmp, word_map.words, word_map.coords, word_map.counts)
    return Path(path)

"""Pictures of a model: maps of words (PNG, SVG, an interactive HTML page) and loss curves.

maps.py picks the words and holds what a plot shows, projection.py places them in 2-D,
static.py draws PNG/SVG with matplotlib, page.py writes the self-contained HTML page. The heavy
libraries (matplotlib, plotly, openTSNE, umap-learn) are imported only inside the functions
that draw or project, so the other commands never load them.
"""

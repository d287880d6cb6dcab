"""Word vectors down to two dimensions: PCA, t-SNE or UMAP.

PCA is computed here with NumPy (the eigenvectors of the d x d covariance: exact, fast for any
number of words, and the same map every time); t-SNE comes from openTSNE (FFT-accelerated
gradients, multi-threaded) and UMAP from umap-learn. Vectors are scaled to unit length first,
so that distances on the map follow the cosine similarities the queries use.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from embedcli.errors import OptionsError

METHODS = ("pca", "tsne", "umap")


def check_method(method: str) -> str:
    if method not in METHODS:
        raise OptionsError(f"--method {method!r} is not known: use one of {', '.join(METHODS)}.")
    return method


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (rows of zeros stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def project(
    vectors: np.ndarray, method: str = "pca", *, seed: int = 1, workers: int | None = None
) -> np.ndarray:
    """An (n, 2) float array of map coordinates for the rows of `vectors`."""
    check_method(method)
    points = unit_rows(vectors)
    n = len(points)
    if n == 0:
        return np.zeros((0, 2))
    if n < 3 or method == "pca":
        return pca(points)
    if method == "tsne":
        return _tsne(points, seed=seed, workers=workers)
    return _umap(points, seed=seed)


def pca(points: np.ndarray) -> np.ndarray:
    """The first two principal components, signs fixed so that the map does not flip."""
    centered = np.asarray(points, dtype=np.float64)
    centered = centered - centered.mean(axis=0)
    dims = centered.shape[1]
    if dims < 2:
        return np.column_stack([centered[:, 0], np.zeros(len(centered))])
    # d x d covariance (d is a few hundred at most), not an n x d SVD: 100,000 words cost one
    # matrix product.
    _, eigenvectors = np.linalg.eigh(centered.T @ centered)
    axes = eigenvectors[:, ::-1][:, :2]
    coords = centered @ axes
    # An eigenvector's sign is arbitrary; make the largest-magnitude coordinate positive.
    for k in range(2):
        if coords[np.argmax(np.abs(coords[:, k])), k] < 0:
            coords[:, k] = -coords[:, k]
    return coords


def _tsne(points: np.ndarray, *, seed: int, workers: int | None) -> np.ndarray:
    from openTSNE import TSNE

    n = len(points)
    # perplexity must stay below the number of points; openTSNE refuses otherwise
    perplexity = float(min(30, max(2, (n - 1) // 3)))
    tsne = TSNE(
        n_components=2,
        perplexity=perplexity,
        metric="cosine",
        initialization="pca",
        random_state=seed,
        n_jobs=workers or _cores(),
        verbose=False,
    )
    return np.asarray(tsne.fit(points), dtype=np.float64)


def _umap(points: np.ndarray, *, seed: int) -> np.ndarray:
    import warnings

    from umap import UMAP

    n = len(points)
    with warnings.catch_warnings():
        # "n_jobs value 1 overridden to 1 by setting random_state": the seed wins, as asked.
        warnings.filterwarnings("ignore", message=".*n_jobs.*", category=UserWarning)
        reducer = UMAP(
            n_components=2,
            n_neighbors=max(2, min(15, n - 1)),
            metric="cosine",
            random_state=seed,
            init="spectral" if n > 10 else "random",
        )
        return np.asarray(reducer.fit_transform(points), dtype=np.float64)


def _cores() -> int:
    import os

    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def write_coords(path: Path, words: list[str], coords: np.ndarray, counts: list) -> None:
    """word, x, y (and count) as TSV with a header line, for other tools."""
    lines = ["word\tx\ty\tcount"]
    for word, (x, y), count in zip(words, coords, counts, strict=True):
        label = str(word).replace("\t", " ").replace("\n", " ")
        lines.append(f"{label}\t{x:.6f}\t{y:.6f}\t{'' if count is None else count}")
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")

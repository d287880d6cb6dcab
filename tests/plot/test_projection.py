"""2-D projections: PCA against scikit-learn's, t-SNE and UMAP keep clusters apart."""

from __future__ import annotations

import numpy as np
import pytest

from embedcli.errors import OptionsError
from embedcli.plot.projection import project, unit_rows
from tests.plot.conftest import clustered_vectors


def _clusters():
    vectors = clustered_vectors(per_cluster=25)
    return np.array(list(vectors.values()), dtype=np.float32)


def test_pca_equals_scikit_learns_up_to_sign():
    from sklearn.decomposition import PCA

    x = np.random.default_rng(3).normal(size=(300, 12)).astype(np.float32)
    ours = project(x, "pca")
    theirs = PCA(n_components=2, svd_solver="full").fit_transform(unit_rows(x))
    for k in range(2):
        sign = np.sign(ours[:, k] @ theirs[:, k])
        np.testing.assert_allclose(ours[:, k], sign * theirs[:, k], atol=1e-4)


def test_pca_is_the_same_map_every_time_and_never_flips():
    x = np.random.default_rng(4).normal(size=(50, 8))
    first = project(x, "pca")
    assert np.array_equal(first, project(x.copy(), "pca"))
    # a sign fixed by the data: the largest coordinate of each axis is positive
    for k in range(2):
        assert first[np.argmax(np.abs(first[:, k])), k] > 0


def _separated(coords: np.ndarray, half: int) -> bool:
    a, b = coords[:half], coords[half:]
    gap = np.linalg.norm(a.mean(axis=0) - b.mean(axis=0))
    spread = max(
        np.linalg.norm(a - a.mean(axis=0), axis=1).max(),
        np.linalg.norm(b - b.mean(axis=0), axis=1).max(),
    )
    return gap > 2 * spread


@pytest.mark.parametrize("method", ["pca", "tsne", "umap"])
def test_two_clusters_stay_apart_on_the_map(method):
    x = _clusters()
    coords = project(x, method, seed=7, workers=1)
    assert coords.shape == (50, 2)
    assert np.isfinite(coords).all()
    assert _separated(coords, 25)


def test_tsne_same_seed_same_map():
    x = _clusters()
    assert np.allclose(project(x, "tsne", seed=3, workers=1), project(x, "tsne", seed=3, workers=1))


def test_unknown_method_is_an_options_error():
    with pytest.raises(OptionsError, match="pca, tsne, umap"):
        project(np.ones((3, 3)), "mds")

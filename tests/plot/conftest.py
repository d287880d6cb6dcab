"""Hand-made models for the plot tests: Korean words in two clusters, with counts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import write_model_dir

ACTORS = ["최민식", "한석규", "안성기", "송강호", "전도연", "설경구"]
FEELINGS = ["재밌다", "지루하다", "감동", "최고", "별로", "슬프다"]


def clustered_vectors(per_cluster: int = 20, dims: int = 16, seed: int = 0) -> dict:
    """Two tight clusters far apart: actors near one axis, feelings near another."""
    rng = np.random.default_rng(seed)
    centre_a, centre_b = np.zeros(dims), np.zeros(dims)
    centre_a[0], centre_b[1] = 1.0, 1.0
    vectors = {}
    extra_a = [f"배우{i}" for i in range(per_cluster - len(ACTORS))]
    extra_b = [f"느낌{i}" for i in range(per_cluster - len(FEELINGS))]
    for word in ACTORS + extra_a:
        vectors[word] = (centre_a + 0.05 * rng.normal(size=dims)).tolist()
    for word in FEELINGS + extra_b:
        vectors[word] = (centre_b + 0.05 * rng.normal(size=dims)).tolist()
    return vectors


@pytest.fixture
def korean_model(tmp_path) -> Path:
    from embedcli.store import model_dir as models

    path = write_model_dir(tmp_path / "kmodel", clustered_vectors())
    models.set_latest(path)
    return path

"""The 2-D hypervolume against hand-computed areas and a Monte-Carlo estimate."""

from __future__ import annotations

import numpy as np
import pytest

from nasforge.analysis.pareto import hypervolume_2d, reference_point


def test_hypervolume_of_known_staircases() -> None:
    origin = np.array([0.0, 0.0])
    assert hypervolume_2d(np.array([[2.0, 3.0]]), origin) == 6.0
    # Two steps: (1, 3) and (3, 1) overlap on the unit square 1x1: 3 + 3 - 1.
    assert hypervolume_2d(np.array([[1.0, 3.0], [3.0, 1.0]]), origin) == 5.0
    # A dominated point adds nothing; a point on or below the reference counts for nothing.
    assert hypervolume_2d(np.array([[1.0, 3.0], [3.0, 1.0], [0.5, 0.5], [-1.0, 9.0]]), origin) == 5.0
    assert hypervolume_2d(np.array([[-1.0, -1.0]]), origin) == 0.0
    assert hypervolume_2d(np.array([[2.0, 2.0]]), np.array([1.0, 0.5])) == 1.5


def test_hypervolume_matches_a_monte_carlo_estimate() -> None:
    rng = np.random.default_rng(0)
    points = rng.uniform(0, 1, size=(30, 2))
    reference = np.array([0.0, 0.0])
    samples = rng.uniform(0, 1, size=(200_000, 2))
    dominated = (samples[:, None, :] <= points[None, :, :]).all(axis=2).any(axis=1)
    assert hypervolume_2d(points, reference) == pytest.approx(dominated.mean(), abs=0.005)


def test_reference_point_is_the_nadir_less_a_tenth_of_each_range() -> None:
    points = np.array([[1.0, 10.0], [3.0, 30.0]])
    assert reference_point(points).tolist() == pytest.approx([0.8, 8.0])

"""NSGA-II's ranks (moocore) against the definition: a point's rank is the number of fronts
peeled off before it is dominated by no remaining point; ties included."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from nasforge.objectives import pareto_indices
from nasforge.strategies.nsga2 import non_dominated_ranks


def _dominates(a: list[float], b: list[float]) -> bool:
    return all(x >= y for x, y in zip(a, b, strict=True)) and any(x > y for x, y in zip(a, b, strict=True))


def _peeled(points: list[list[float]]) -> list[int]:
    ranks, remaining, rank = [-1] * len(points), set(range(len(points))), 0
    while remaining:
        front = {i for i in remaining if not any(_dominates(points[j], points[i]) for j in remaining)}
        for i in front:
            ranks[i] = rank
        remaining, rank = remaining - front, rank + 1
    return ranks


# few distinct values, so that equal coordinates and equal points are common
points = st.integers(2, 3).flatmap(
    lambda m: st.lists(st.lists(st.integers(0, 4).map(float), min_size=m, max_size=m), max_size=40)
)


@given(points)
def test_ranks_are_the_peeled_fronts(points: list[list[float]]) -> None:
    assert non_dominated_ranks(points) == _peeled(points)


@given(points)
def test_the_pareto_indices_are_rank_zero(points: list[list[float]]) -> None:
    assert pareto_indices(points) == [i for i, r in enumerate(_peeled(points)) if r == 0]

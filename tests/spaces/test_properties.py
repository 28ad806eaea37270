"""Property-based tests (Hypothesis) over every registered space and two user-defined ones.

Genotypes come three ways: a sampled one, a random walk of mutations from it, and an arbitrary
bit string decoded (and repaired) by the space. Profiles: `default` (the test suite) and `long`
(`HYPOTHESIS_PROFILE=long`, for a nightly-style run); see tests/conftest.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nasforge import Genotype, SearchSpace, Task
from nasforge.spaces.nb201.space import EDGES, OPS
from tests.spaces.test_conformance import NAMES, USER_SPACES, exact_bits, make_space

SPACES = {
    name: make_space({"name": "user", "function": USER_SPACES[name]})
    if name in USER_SPACES
    else make_space(name)
    for name in NAMES
}
SEEDS = st.integers(0, 2**32 - 1)


@st.composite
def genotypes(draw: st.DrawFn, space: SearchSpace) -> Genotype:
    """A sampled architecture, a mutation walk away from one, or a decoded bit string."""
    rng = np.random.default_rng(draw(SEEDS))
    how = draw(st.sampled_from(["sample", "walk", "bits"]))
    if how == "bits":
        bits = draw(st.lists(st.booleans(), min_size=space.bit_length, max_size=space.bit_length))
        return space.from_bits(np.array(bits, dtype=bool), rng)
    genotype = space.sample(rng)
    for _ in range(draw(st.integers(0, 5)) if how == "walk" else 0):
        genotype = space.mutate(genotype, rng)
    return genotype


def per_space(test):  # type: ignore[no-untyped-def]
    """Run `test(space, data)` once per space, each drawing its own genotypes."""
    return pytest.mark.parametrize("name", list(SPACES))(
        settings(suppress_health_check=[HealthCheck.too_slow])(given(data=st.data())(test))
    )


@per_space
def test_a_genotype_round_trips_through_json_text_and_bits(name: str, data: st.DataObject) -> None:
    space = SPACES[name]
    genotype = data.draw(genotypes(space))
    space.validate(genotype)
    assert Genotype.from_json(genotype.to_json()) == genotype
    assert space.parse(space.format(genotype)) == genotype
    bits = space.to_bits(genotype)
    assert bits.dtype == bool and bits.shape == (space.bit_length,)
    decoded = space.from_bits(bits, np.random.default_rng(0))
    assert decoded == genotype or not exact_bits(space)
    assert (space.to_bits(decoded) == bits).all()


@per_space
def test_every_neighbour_mutation_and_child_is_valid_and_neighbours_are_other_networks(
    name: str, data: st.DataObject
) -> None:
    space = SPACES[name]
    parent, other = data.draw(genotypes(space)), data.draw(genotypes(space))
    rng = np.random.default_rng(data.draw(SEEDS))
    neighbours = space.neighbors(parent)
    keys = [space.key(n) for n in neighbours]
    assert len(set(keys)) == len(keys) and space.key(parent) not in keys  # empty only where no change tells
    for neighbour in neighbours:
        space.validate(neighbour)
    child = space.mutate(parent, rng)
    space.validate(child)
    assert space.key(child) != space.key(parent)
    space.validate(space.crossover(parent, other, rng))


@settings(max_examples=max(100, settings.default.max_examples))  # many draws fail the assumption
@given(data=st.data())
def test_the_nb201_key_ignores_edges_that_cannot_reach_the_output(data: st.DataObject) -> None:
    """The benchmark's own convention (its 6,466 classes): ops into a node whose every outgoing
    edge is `none`, or out of node 1 when its only input is `none`, change nothing."""
    space = SPACES["nb201"]
    cell = list(data.draw(genotypes(space)).spec)
    unused = []  # sets of edges whose ops cannot matter, each on its own
    for node in (1, 2):
        outgoing = [e for e, (_, source) in enumerate(EDGES) if source == node]
        incoming = [e for e, (to, _) in enumerate(EDGES) if to == node]
        if all(cell[e] == "none" for e in outgoing):
            unused.append(incoming)
        if node == 1 and cell[incoming[0]] == "none":
            unused.append(outgoing)
    assume(unused)
    dead = set(data.draw(st.sampled_from(unused)))
    ops = data.draw(st.lists(st.sampled_from(OPS), min_size=len(EDGES), max_size=len(EDGES)))
    variant = [ops[e] if e in dead else op for e, op in enumerate(cell)]
    assert space.key(Genotype("nb201", tuple(variant))) == space.key(Genotype("nb201", tuple(cell)))


@settings(max_examples=max(100, settings.default.max_examples))
@given(data=st.data())
def test_the_nb101_key_is_the_same_for_every_relabelling_of_the_inner_vertices(data: st.DataObject) -> None:
    space = SPACES["nb101"]
    matrix, ops = space.arrays(data.draw(genotypes(space)))  # type: ignore[attr-defined]
    n = len(ops)
    inner = data.draw(st.permutations(range(1, n - 1)))
    order = [0, *inner, n - 1]
    relabelled = matrix[np.ix_(order, order)]
    assume(not np.tril(relabelled).any())  # still a DAG listed in topological order
    variant = Genotype("nb101", (tuple(map(tuple, relabelled.tolist())), tuple(ops[i] for i in order)))
    space.validate(variant)
    assert space.key(variant) == space.key(
        Genotype("nb101", (tuple(map(tuple, matrix.tolist())), tuple(ops)))
    )


@pytest.mark.parametrize("name", [n for n in SPACES if getattr(SPACES[n], "builds_model", True)])
@settings(
    max_examples=max(5, settings.default.max_examples // 20), suppress_health_check=[HealthCheck.too_slow]
)
@given(data=st.data())
def test_a_built_model_gives_one_row_of_class_scores_per_example(name: str, data: st.DataObject) -> None:
    space = SPACES[name]
    genotype = data.draw(genotypes(space))
    shape = data.draw(st.sampled_from([(1, 40), (3, 16, 16)]))
    classes, batch = data.draw(st.integers(2, 12)), data.draw(st.integers(1, 4))
    torch.manual_seed(0)
    model = space.build(genotype, Task(shape, num_classes=classes)).eval()
    with torch.no_grad():
        out = model(torch.randn(batch, *shape))
    assert out.shape == (batch, classes) and torch.isfinite(out).all()

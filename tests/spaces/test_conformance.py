"""Every registered search space must pass these checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nasforge import SPACES, Genotype, InvalidGenotypeError, SearchSpace, Task, make_space
from nasforge.spaces.define_by_run import UserSpace
from nasforge.spaces.define_by_run.domains import Real

# Every registered space, and two user-defined (define-by-run) ones.
USER_SPACES = {
    "user:cnn": "tests.spaces.user_spaces:cnn",
    "user:knobs_only": "tests.spaces.user_spaces:knobs_only",
}
NAMES = [name for name in SPACES.names() if name != "user"] + list(USER_SPACES)


@pytest.fixture(params=NAMES)
def space(request: pytest.FixtureRequest) -> SearchSpace:
    if request.param in USER_SPACES:
        return make_space({"name": "user", "function": USER_SPACES[request.param]})
    return make_space(request.param)


def samples(space: SearchSpace, n: int = 20, seed: int = 0) -> list[Genotype]:
    rng = np.random.default_rng(seed)
    return [space.sample(rng) for _ in range(n)]


def test_samples_are_valid_and_seeded(space: SearchSpace) -> None:
    first, again = samples(space), samples(space)
    assert first == again
    assert len(set(first)) > 1
    for g in first:
        space.validate(g)
        assert g.space == space.name


def test_text_and_json_round_trip(space: SearchSpace) -> None:
    for g in samples(space):
        assert space.parse(space.format(g)) == g
        assert Genotype.from_json(g.to_json()) == g


def test_neighbors_are_valid_distinct_one_step_changes(space: SearchSpace) -> None:
    for g in samples(space, 5):
        neighbors = space.neighbors(g)
        assert neighbors, "every architecture has neighbours"
        assert len(set(neighbors)) == len(neighbors)
        assert g not in neighbors
        for n in neighbors:
            space.validate(n)
        assert space.mutate(g, np.random.default_rng(1)) in neighbors


def test_crossover_child_takes_only_parent_genes(space: SearchSpace) -> None:
    rng = np.random.default_rng(3)
    for _ in range(50):
        a, b = space.sample(rng), space.sample(rng)
        child = space.crossover(a, b, np.random.default_rng(0))
        space.validate(child)
        assert child == space.crossover(a, b, np.random.default_rng(0))
        if space.name == "nb101":  # bits are mixed, then the cell is pruned: its ops come from the parents
            ops = set(space.arrays(child)[1])  # type: ignore[attr-defined]
            assert ops <= set(space.arrays(a)[1]) | set(space.arrays(b)[1])  # type: ignore[attr-defined]
            continue
        if space.name == "user":  # a knob only the child's mix of branches opens is drawn anew
            mine, left, right = space.features(child), space.features(a), space.features(b)
            assert all(
                v in (left[n], right[n])
                for n, v in mine.items()
                if v is not None and (left[n], right[n]) != (None, None)
            )
            continue
        genes, left, right = space.encode(child), space.encode(a), space.encode(b)
        assert np.all((genes == left) | (genes == right)), "a gene that neither parent has"


def test_encodings_have_fixed_length_and_bits_round_trip(space: SearchSpace) -> None:
    rng = np.random.default_rng(0)
    gs = samples(space)
    assert len({space.encode(g).shape for g in gs}) == 1
    for g in gs:
        bits = space.to_bits(g)
        assert bits.dtype == bool and bits.size == space.bit_length
        decoded = space.from_bits(bits, rng)
        # exact, except a continuous knob, which the bits carry as its nearest level
        assert decoded == g or not exact_bits(space)
        assert (space.to_bits(decoded) == bits).all() and space.from_bits(bits, rng) == decoded
    for _ in range(50):  # any bit string decodes (repaired) into a valid genotype
        space.validate(space.from_bits(rng.random(space.bit_length) < 0.5, rng))


def test_key_is_deterministic_and_separates_some_architectures(space: SearchSpace) -> None:
    gs = samples(space, 30)
    assert [space.key(g) for g in gs] == [space.key(g) for g in gs]
    assert len({space.key(g) for g in gs}) > 1


def test_validate_rejects_foreign_and_malformed_genotypes(space: SearchSpace) -> None:
    with pytest.raises(InvalidGenotypeError, match="space"):
        space.validate(Genotype("another-space", ()))
    with pytest.raises(InvalidGenotypeError):
        space.validate(Genotype(space.name, ("not", "an", "architecture")))
    with pytest.raises(InvalidGenotypeError):
        space.parse("certainly not an architecture")


@pytest.mark.parametrize("shape", [(3, 16, 16), (1, 40)], ids=["2d", "1d"])
def test_built_models_run_forward_and_backward(space: SearchSpace, shape: tuple[int, ...]) -> None:
    if not getattr(space, "builds_model", True):
        pytest.skip("a space of knobs only builds no model")
    torch.manual_seed(0)
    task = Task(shape, num_classes=5)
    for g in samples(space, 3):
        model = space.build(g, task)
        x = torch.randn(4, *shape)
        out = model(x)
        assert out.shape == (4, 5)
        out.sum().backward()
        grads = [p.grad for p in model.parameters() if p.requires_grad]
        assert grads and all(gr is not None for gr in grads)


def exact_bits(space: SearchSpace) -> bool:
    """Whether the bits carry every genotype exactly (not so for a continuous knob's value)."""
    if not isinstance(space, UserSpace):
        return True
    return not any(isinstance(d, Real) and d.step is None for d in space.domains.values())

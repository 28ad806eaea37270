from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from nasforge import InvalidGenotypeError, NB201Space, Task
from nasforge.evaluators.table import load_table
from nasforge.spaces.nb201.space import OPS
from tests.conftest import BEST_ARCH


def test_all_cells_fall_into_6466_isomorphism_classes(nb201: NB201Space) -> None:
    keys = {nb201.key(nb201.make(ops)) for ops in itertools.product(OPS, repeat=6)}
    assert len(keys) == 6466


def test_key_identifies_known_isomorphisms(nb201: NB201Space) -> None:
    # node 1 disconnected from the input: whatever leaves it carries zeros
    a = nb201.make(["none", "nor_conv_3x3", "nor_conv_1x1", "skip_connect", "avg_pool_3x3", "nor_conv_3x3"])
    b = nb201.make(["none", "nor_conv_3x3", "avg_pool_3x3", "skip_connect", "nor_conv_3x3", "nor_conv_3x3"])
    assert nb201.key(a) == nb201.key(b)
    # node 1 copies the input, so node 2's two inputs can trade operations
    c = nb201.make(["skip_connect", "nor_conv_3x3", "nor_conv_1x1", "none", "none", "skip_connect"])
    d = nb201.make(["skip_connect", "nor_conv_1x1", "nor_conv_3x3", "none", "none", "skip_connect"])
    assert nb201.key(c) == nb201.key(d)
    assert nb201.key(a) != nb201.key(c)


def test_every_cell_has_24_neighbors(nb201: NB201Space) -> None:
    g = nb201.parse(BEST_ARCH)
    neighbors = nb201.neighbors(g)
    assert len(neighbors) == 24
    assert all(sum(x != y for x, y in zip(n.spec, g.spec, strict=True)) == 1 for n in neighbors)


def test_arch_string_round_trips_the_whole_table(nb201: NB201Space) -> None:
    table = load_table()
    assert len(table.archs) == 15625
    for arch in table.archs[::97]:
        assert nb201.format(nb201.parse(arch)) == arch


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "3 node groups"),
        ("|nor_conv_3x3~0|+|none~0|none~1|", "3 node groups"),
        ("|nor_conv_3x3~0|+|none~0|+|none~0|none~1|none~2|", "2 input edge"),
        ("|conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|", "conv_5x5"),
        ("|nor_conv_3x3~1|+|none~0|none~1|+|none~0|none~1|none~2|", "OP~0"),
        ("nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|", "start and end"),
        ("|nor_conv_3x3|+|none~0|none~1|+|none~0|none~1|none~2|", "OP~0"),
    ],
)
def test_malformed_arch_strings_get_clear_errors(nb201: NB201Space, text: str, message: str) -> None:
    with pytest.raises(InvalidGenotypeError, match=message):
        nb201.parse(text)


def test_non_string_arch_is_rejected(nb201: NB201Space) -> None:
    with pytest.raises(InvalidGenotypeError, match="text"):
        nb201.parse(42)  # type: ignore[arg-type]


def test_built_network_has_the_benchmarks_parameter_count(nb201: NB201Space) -> None:
    table = load_table()
    rng = np.random.default_rng(0)
    for row in rng.choice(len(table.archs), size=6, replace=False):
        model = nb201.build(nb201.parse(table.archs[row]), Task((3, 32, 32), 10))
        assert sum(p.numel() for p in model.parameters()) == table.columns["params"][row]


def test_network_structure_and_1d_variant() -> None:
    space = NB201Space(channels=8, cells_per_stage=2)
    g = space.parse(BEST_ARCH)
    model = space.build(g, Task((3, 20, 20), 7))
    assert model(torch.randn(2, 3, 20, 20)).shape == (2, 7)
    assert model.classifier.in_features == 32  # 4C after two reductions
    assert len(model.cells) == 3 * 2 + 2  # N cells per stage plus two residual reductions
    seq = space.build(g, Task((2, 33), 3))
    assert seq(torch.randn(5, 2, 33)).shape == (5, 3)
    assert isinstance(seq.stem[0], torch.nn.Conv1d)


def test_zero_op_cell_outputs_zero(nb201: NB201Space) -> None:
    space = NB201Space(channels=4, cells_per_stage=1)
    model = space.build(space.make(["none"] * 6), Task((3, 8, 8), 10))
    cell = model.cells[0]
    assert torch.count_nonzero(cell(torch.randn(1, 4, 8, 8))) == 0


def test_bad_space_parameters_are_named() -> None:
    with pytest.raises(ValueError, match="channels"):
        NB201Space(channels=0)

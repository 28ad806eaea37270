"""The NB201 cell supernet: a path is the space's own network, a one-hot mixture is that path,
and the derived cell follows the architecture logits."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nasforge.oneshot.cell_supernet import CellSupernet
from nasforge.spaces.nb201.space import OPS, NB201Space
from nasforge.task import Task


def _trained_looking(supernet: CellSupernet) -> CellSupernet:
    """Statistics and weights other than their initial values, then eval mode."""
    with torch.no_grad():
        for module in supernet.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
    return supernet.eval()


@pytest.mark.parametrize("task", [Task((1, 40), 10), Task((3, 12, 12), 5)], ids=["1d", "2d"])
def test_every_path_and_its_one_hot_mixture_equal_the_extracted_network(task: Task) -> None:
    space = NB201Space(channels=4, cells_per_stage=2)
    torch.manual_seed(0)
    supernet = _trained_looking(CellSupernet(space, task))
    x = torch.randn(5, *task.input_shape)
    rng = np.random.default_rng(3)
    for _ in range(12):
        genotype = space.sample(rng)
        network = supernet.extract(genotype).eval()
        one_hot = torch.zeros(6, len(OPS))
        one_hot[range(6), [OPS.index(op) for op in genotype.spec]] = 1.0
        with torch.no_grad():
            expected = network(x)
            torch.testing.assert_close(supernet(x, genotype), expected, rtol=0, atol=0)
            torch.testing.assert_close(supernet(x, one_hot), expected, rtol=1e-5, atol=1e-5)
        assert sum(p.numel() for p in network.parameters()) == sum(
            p.numel() for p in space.build(genotype, task).parameters()
        )


def test_the_derived_cell_takes_the_strongest_operation_of_each_edge_but_none() -> None:
    supernet = CellSupernet(NB201Space(channels=4, cells_per_stage=1), Task((1, 16), 3))
    with torch.no_grad():
        supernet.arch_logits.zero_()
        supernet.arch_logits[range(6), [1, 3, 0, 4, 2, 1]] = 1.0
        supernet.arch_logits[2, 4] = 0.5  # the runner-up where `none` leads
    assert supernet.derive().spec == (
        "skip_connect", "nor_conv_3x3", "avg_pool_3x3", "avg_pool_3x3", "nor_conv_1x1", "skip_connect",
    )  # fmt: skip

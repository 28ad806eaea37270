"""The macro space's supernet: every path computes what the space's own network computes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nasforge import make_space
from nasforge.oneshot.macro_supernet import MacroSupernet
from nasforge.task import Task

SPACES = {
    "1d": ({"name": "macro", "max_blocks": 4}, Task((1, 40), 10)),
    "2d": ({"name": "macro", "max_blocks": 3, "choices": {"channels": [4, 8, 16]}}, Task((3, 12, 12), 5)),
    "tiny": (
        {"name": "macro", "max_blocks": 5, "choices": {"stride": [2], "pool": ["max"]}},
        Task((2, 6), 3),
    ),
}


@pytest.mark.parametrize("kind", sorted(SPACES))
def test_every_path_equals_the_network_extracted_from_it(kind: str) -> None:
    config, task = SPACES[kind]
    space = make_space(config)
    torch.manual_seed(0)
    supernet = MacroSupernet(space, task)
    with torch.no_grad():  # statistics and slopes other than their initial values
        supernet.running_mean.uniform_(-0.5, 0.5)
        supernet.running_var.uniform_(0.5, 2.0)
        supernet.norm_weight.uniform_(0.5, 1.5)
        supernet.slopes.uniform_(0.0, 0.5)
    supernet.eval()
    x = torch.randn(7, *task.input_shape)
    rng = np.random.default_rng(1)
    for _ in range(25):
        genotype = space.sample(rng)
        network = supernet.extract(genotype).eval()
        assert type(network) is type(space.build(genotype, task))
        with torch.no_grad():
            path, alone = supernet(x, genotype), network(x)
        assert path.shape == (7, task.num_classes)
        torch.testing.assert_close(path, alone, rtol=1e-4, atol=1e-5, msg=space.format(genotype))


def test_paths_share_one_set_of_weights() -> None:
    space = make_space({"name": "macro", "max_blocks": 4})
    task = Task((1, 40), 10)
    supernet = MacroSupernet(space, task)
    rng = np.random.default_rng(0)
    # A step on one path moves the weights that another path with the same first block reads.
    a, b = space.sample(rng), space.sample(rng)
    first = a.spec[0][0]
    b = space.parse(
        space.format(b).replace(space.format(b).split(" > ")[0], space.format(a).split(" > ")[0], 1)
    )
    assert b.spec[0][0] == first
    before = supernet.extract(b).features[0].weight.detach().clone()
    supernet.train()
    supernet(torch.randn(8, *task.input_shape), a).sum().backward()
    torch.optim.SGD(supernet.parameters(), lr=0.1).step()
    assert not torch.equal(before, supernet.extract(b).features[0].weight)

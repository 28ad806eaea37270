"""BatchNorm folding: found from the traced graph (inside or outside `nn.Sequential`), torch's
arithmetic, and the same outputs after it."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from nasforge.deploy.transforms.fold_bn import fold_batchnorm
from nasforge.spaces import make_space
from nasforge.task import Task


class Residual(nn.Module):
    """A ResNet-style block: its conv and BatchNorm are attributes, not a sequence."""

    def __init__(self) -> None:
        super().__init__()
        self.conv, self.bn = nn.Conv2d(4, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4)
        self.shared, self.bn_shared = nn.Conv2d(4, 4, 1), nn.BatchNorm2d(4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.shared(x)  # also added below: folding its BatchNorm would change that sum
        return torch.relu(self.bn(self.conv(x)) + x) + self.bn_shared(y) + y


class Branchy(nn.Module):
    """Control flow on the data: fx cannot trace it, so only sequence pairs are folded."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(4, 4, 3, padding=1), nn.BatchNorm2d(4))
        self.conv, self.bn = nn.Conv2d(4, 4, 1), nn.BatchNorm2d(4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) if x.sum() > 0 else self.bn(self.conv(x))


def _trained_statistics(model: nn.Module, x: torch.Tensor) -> None:
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(x + torch.randn_like(x))
    model.eval()


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (
            Residual,
            ["bn: folded into conv", "bn_shared: left (its input is not a conv or linear layer's alone)"],
        ),
        (
            Branchy,
            ["body.1: folded into body.0", "bn: left (its input is not a conv or linear layer's alone)"],
        ),
    ],
)
def test_folding_finds_the_pairs_it_can_change_and_keeps_the_outputs(
    model: type[nn.Module], expected: list[str]
) -> None:
    net, x = model(), torch.rand(8, 4, 6, 6) + 0.1
    _trained_statistics(net, x)
    with torch.no_grad():
        before = net(x)
        assert fold_batchnorm(net) == expected
        torch.testing.assert_close(net(x), before, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", ["macro", "families", "nb201", "classic"])
def test_every_space_folds_to_the_same_outputs(name: str) -> None:
    space, task = make_space(name), Task((1, 12, 12), 10)
    x = torch.rand(16, 1, 12, 12)
    for seed in range(3):
        net = space.build(space.sample(np.random.default_rng(seed)), task)
        _trained_statistics(net, x)
        with torch.no_grad():
            before = net(x)
            report = fold_batchnorm(net)
            torch.testing.assert_close(net(x), before, atol=1e-5, rtol=1e-4)
        assert all(": folded into " in line or ": left (" in line for line in report)

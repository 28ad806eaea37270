"""What a zero-cost proxy sees: a freshly built model and one fixed batch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

ProxyFn = Callable[[nn.Module, "ProxyBatch"], float]


@dataclass(frozen=True)
class ProxyBatch:
    """Inputs and labels of the one batch data-dependent proxies use, and the class count."""

    x: torch.Tensor
    y: torch.Tensor
    num_classes: int


Weighted = nn.Conv1d | nn.Conv2d | nn.Linear


def weighted_layers(model: nn.Module) -> list[Weighted]:
    """The convolution and linear layers: the ones pruning-based proxies score."""
    return [m for m in model.modules() if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Linear))]


def loss_backward(model: nn.Module, batch: ProxyBatch) -> None:
    """Cross-entropy on the batch, gradients into the parameters."""
    model.zero_grad(set_to_none=True)
    loss: torch.Tensor = nn.functional.cross_entropy(model(batch.x), batch.y)
    loss.backward()  # type: ignore[no-untyped-call]

"""`Ensemble`: several trained networks answering as one model (exported and served as one)."""

from __future__ import annotations

import torch
from torch import nn


class Ensemble(nn.Module):
    """The members' predictions averaged.

    For classification the output is the log of the mean of the members' class probabilities:
    its softmax (and argmax) are the averaged probabilities, so it stands wherever one network's
    logits do. For a regression, the members' outputs are averaged.

    Example:
        >>> a, b = nn.Linear(3, 2), nn.Linear(3, 2)
        >>> x = torch.randn(4, 3)
        >>> mean = (a(x).softmax(1) + b(x).softmax(1)) / 2
        >>> torch.allclose(Ensemble([a, b])(x).softmax(1), mean)
        True
    """

    def __init__(self, members: list[nn.Module], *, regression: bool = False) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)
        self.regression = regression

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = torch.stack([member(x) for member in self.members])
        if self.regression:
            return outputs.mean(0)
        return outputs.softmax(-1).mean(0).clamp_min(1e-30).log()

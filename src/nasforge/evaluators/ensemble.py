"""`Ensemble`: several trained networks answering as one model (exported and served as one)."""

from __future__ import annotations

import torch
from torch import nn


class Ensemble(nn.Module):
    """The members' predictions averaged.

    For classification the output is the log of the mean of the members' class probabilities:
    its softmax (and argmax) are the averaged probabilities, so it stands wherever one network's
    logits do. For a regression, the members' outputs are averaged. With `mirror`, each member
    also answers the input mirrored along its last axis, and both answers enter the average
    (test-time augmentation, for members trained with random horizontal flips).

    Example:
        >>> a, b = nn.Linear(3, 2), nn.Linear(3, 2)
        >>> x = torch.randn(4, 3)
        >>> mean = (a(x).softmax(1) + b(x).softmax(1)) / 2
        >>> torch.allclose(Ensemble([a, b])(x).softmax(1), mean)
        True
    """

    def __init__(self, members: list[nn.Module], *, regression: bool = False, mirror: bool = False) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)
        self.regression, self.mirror = regression, mirror

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        views = (x, x.flip(-1)) if self.mirror else (x,)
        outputs = torch.stack([member(view) for member in self.members for view in views])
        if self.regression:
            return outputs.mean(0)
        return outputs.softmax(-1).mean(0).clamp_min(1e-30).log()

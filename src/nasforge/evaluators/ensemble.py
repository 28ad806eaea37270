"""`Ensemble`: several trained networks answering as one model (exported and served as one)."""

from __future__ import annotations

import torch
from torch import nn


class Ensemble(nn.Module):
    """The members' predictions averaged (with `weights`, one per member summing to 1, a
    weighted average: e.g. networks blended with a linear model).

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

    def __init__(
        self,
        members: list[nn.Module],
        *,
        regression: bool = False,
        mirror: bool = False,
        weights: list[float] | None = None,
    ) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)
        self.regression, self.mirror = regression, mirror
        shares = torch.tensor(weights or [1.0] * len(members), dtype=torch.float32)
        views = 2 if mirror else 1  # each view of a member weighs its share equally
        self.register_buffer(
            "shares", (shares / shares.sum()).repeat_interleave(views) / views, persistent=False
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        views = (x, x.flip(-1)) if self.mirror else (x,)
        outputs = torch.stack([member(view) for member in self.members for view in views])
        if not self.regression:
            outputs = outputs.softmax(-1)
        mean = torch.tensordot(self.shares, outputs, dims=1)
        return mean if self.regression else mean.clamp_min(1e-30).log()


def linear_member(input_shape: tuple[int, ...], outputs: int) -> nn.Module:
    """The untrained linear model an ensemble blends in (`CardBlend`): flattened input to `outputs`."""
    features = 1
    for size in input_shape:
        features *= size
    return nn.Sequential(nn.Flatten(), nn.Linear(features, outputs))


def blend_weights(networks: int, share: float) -> list[float]:
    """Member weights of `networks` networks averaged and blended with one linear member at `share`."""
    return [(1 - share) / networks] * networks + [share]

"""Batch data augmentation on tensors: random horizontal flips, random shifts (zero padded),
random erasing (cutout), and mixup."""

from __future__ import annotations

import numpy as np
import torch

AUGMENTATIONS = ("hflip", "shift", "erase")


def max_shift(size: int) -> int:
    """The largest shift along an axis of `size`: about 8% of it (2 pixels on 28), at least 1."""
    return max(1, size // 12)


def augment(x: torch.Tensor, names: tuple[str, ...], generator: torch.Generator) -> torch.Tensor:
    """A randomly transformed copy of the batch `x` (N, C, *spatial); each example draws its own.

    `hflip` mirrors the last axis with probability 1/2; `shift` moves the content by up to
    `max_shift(size)` along every spatial axis, filling with zeros; `erase` (cutout) zeroes, with
    probability 1/2, a random box whose side along each axis is a quarter to a half of it.
    """
    if "hflip" in names:
        flip = torch.rand(len(x), generator=generator) < 0.5
        x = torch.where(_broadcast(flip.to(x.device), x), x.flip(-1), x)
    if "shift" in names:
        x = _shift(x, generator)
    if "erase" in names:
        x = _erase(x, generator)
    return x


def _broadcast(mask: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return mask.view(-1, *([1] * (like.dim() - 1)))


def _shift(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    n, spatial = len(x), x.shape[2:]
    limits = [max_shift(size) for size in spatial]
    padded = torch.nn.functional.pad(x, [p for limit in reversed(limits) for p in (limit, limit)])
    positions = [  # per example, the padded indices each output position reads along each axis
        (torch.randint(0, 2 * limit + 1, (n, 1), generator=generator) + torch.arange(size)).to(x.device)
        for size, limit in zip(spatial, limits, strict=True)
    ]
    batch = torch.arange(n, device=x.device)
    if len(spatial) == 1:
        return padded[batch[:, None], :, positions[0]].permute(0, 2, 1)
    rows, cols = positions
    picked = padded[batch[:, None, None], :, rows[:, :, None], cols[:, None, :]]  # (N, H, W, C)
    return picked.permute(0, 3, 1, 2)


def _erase(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    n, spatial = len(x), x.shape[2:]
    inside = (torch.rand(n, generator=generator) < 0.5).to(x.device).view(n, *([1] * len(spatial)))
    for axis, size in enumerate(spatial):
        low, high = max(1, size // 4), max(1, size // 2)
        length = torch.randint(low, high + 1, (n,), generator=generator)
        start = (torch.rand(n, generator=generator) * (size - length + 1)).long()
        shape = [n] + [size if a == axis else 1 for a in range(len(spatial))]
        position = torch.arange(size).view(1, size)
        within = (position >= start[:, None]) & (position < (start + length)[:, None])
        inside = inside & within.to(x.device).view(shape)
    return x.masked_fill(inside.unsqueeze(1), 0.0)


def mixup(
    x: torch.Tensor, alpha: float, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor, float]:
    """Mixup (Zhang et al., 2018): each example blended with a random partner of the batch,
    `lam * x + (1 - lam) * x[partner]`, one `lam ~ Beta(alpha, alpha)` per batch. Returns the
    blend, the partners' indices and `lam`; the loss is blended alike."""
    seed = int(torch.randint(0, 2**62, (1,), generator=generator))
    lam = float(np.random.default_rng(seed).beta(alpha, alpha))
    partner = torch.randperm(len(x), generator=generator).to(x.device)
    return lam * x + (1 - lam) * x[partner], partner, lam

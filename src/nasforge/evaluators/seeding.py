"""Seeded torch work that leaves the caller's global random state as it found it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def torch_seeded(seed: int) -> Iterator[None]:
    """Inside the block torch's global generator (module initialisation, dropout) starts from
    `seed`; after it the caller's generator state is back, as if nothing had drawn from it.

    Example:
        >>> import torch
        >>> with torch_seeded(0):
        ...     first = torch.rand(1)
        >>> with torch_seeded(0):
        ...     bool(torch.rand(1) == first)
        True
    """
    import torch

    initialized = torch.cuda.is_initialized()  # type: ignore[no-untyped-call]
    cuda = list(range(torch.cuda.device_count())) if initialized else []
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        yield

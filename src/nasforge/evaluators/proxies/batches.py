"""The fixed batch data-dependent proxies see: Gaussian noise or real images, shaped to the task."""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from nasforge.errors import InvalidArgumentError
from nasforge.evaluators.proxies.base import ProxyBatch
from nasforge.task import Task


def gaussian_batch(task: Task, size: int, seed: int) -> ProxyBatch:
    """A seeded batch of standard-normal inputs with uniform random labels."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn((size, *task.input_shape), generator=generator)
    y = torch.randint(task.num_classes, (size,), generator=generator)
    return ProxyBatch(x, y, task.num_classes)


def data_batch(data: str, task: Task, size: int, seed: int, data_dir: str | None = None) -> ProxyBatch:
    """`size` seeded training examples of a dataset, resized to the task's spatial size and with
    channels repeated (or averaged) to its channel count; labels folded into its classes."""
    from nasforge.data.cache import cached_dataset

    dataset = cached_dataset(data, data_dir, None, seed)
    pick = np.random.default_rng(seed).choice(
        len(dataset.train), size=min(size, len(dataset.train)), replace=False
    )
    x = torch.from_numpy(dataset.train.x[np.sort(pick)])
    if x.dim() != len(task.input_shape) + 1:
        raise InvalidArgumentError(
            f"data must have {task.dims}D inputs like the task {task.input_shape}; "
            f"{data!r} has {x.dim() - 2}D inputs"
        )
    x = F.interpolate(x, size=task.input_shape[1:], mode="linear" if task.dims == 1 else "bilinear")
    if x.shape[1] != task.channels:
        x = x.mean(1, keepdim=True).expand(-1, task.channels, *x.shape[2:]).contiguous()
    y = torch.from_numpy(dataset.train.y[np.sort(pick)]) % task.num_classes
    return ProxyBatch(x, y, task.num_classes)


def make_batch(data: str | None, task: Task, size: int, seed: int, data_dir: str | None = None) -> ProxyBatch:
    """Gaussian noise when `data` is None or "gaussian", else a batch of that dataset."""
    if data in (None, "gaussian"):
        return gaussian_batch(task, size, seed)
    return data_batch(data, task, size, seed, data_dir)

"""The training data's standardisation as part of the model: an exported model (torch and ONNX)
takes the data as the user has it."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from nasforge.errors import NasforgeError
from nasforge.evaluators.model_card import ModelCard


def statistics_shape(input_shape: tuple[int, ...], size: int) -> tuple[int, ...]:
    """How `size` stored statistics broadcast over one input: one per feature (the whole input
    shape) or one per channel (then 1 for every other axis).

    Example:
        >>> statistics_shape((3, 32, 32), 3), statistics_shape((1, 13), 13)
        ((3, 1, 1), (1, 13))
    """
    if size == math.prod(input_shape):
        return input_shape
    if size == input_shape[0]:
        return (size, *(1 for _ in input_shape[1:]))
    raise NasforgeError(f"the card's normalisation has {size} values; the input shape is {input_shape}")


class Standardized(nn.Module):
    """`network` after standardising its input with the training data's mean and std; for a
    regression, its output is put back in the targets' units (`target`: their mean and std)."""

    mean: torch.Tensor
    target: torch.Tensor
    std: torch.Tensor

    def __init__(
        self,
        network: nn.Module,
        input_shape: tuple[int, ...],
        mean: list[float],
        std: list[float],
        target: tuple[float, float] = (0.0, 1.0),
    ) -> None:
        super().__init__()
        self.network = network
        shape = statistics_shape(input_shape, len(mean))
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).reshape(shape))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).reshape(shape))
        self.register_buffer("target", torch.tensor(target, dtype=torch.float32))  # a regression's units

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.network((x - self.mean) / self.std) * self.target[1] + self.target[0]


def unstandardize(x: np.ndarray, card: ModelCard) -> np.ndarray:
    """Standardised inputs (as a dataset split holds them) back in the data's own units.

    Example:
        >>> card = ModelCard.model_validate({"space": {"name": "mlp"}, "task": {"input_shape": [1, 2],
        ...     "num_classes": 2}, "data": {"mean": [1.0, 2.0], "std": [2.0, 1.0]}})
        >>> unstandardize(np.zeros((1, 1, 2), dtype=np.float32), card).tolist()
        [[[1.0, 2.0]]]
    """
    data = card.data
    if not data.mean or not data.std:
        return x
    shape = statistics_shape(card.task.input_shape, len(data.mean))
    mean = np.asarray(data.mean, dtype=np.float32).reshape(shape)
    std = np.asarray(data.std, dtype=np.float32).reshape(shape)
    return (x * std + mean).astype(np.float32)

"""The training loop used by the training evaluator: seeded, one-cycle schedule, divergence check."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from nasforge.errors import NasforgeError
from nasforge.evaluators.augment import augment

OPTIMIZERS = ("adamw", "adam", "sgd")


class DivergedError(NasforgeError):
    """The training loss became NaN or infinite."""


@dataclass(frozen=True)
class TrainConfig:
    """How to train: epochs, batch size, optimizer and its settings, augmentations, seed."""

    epochs: int = 20
    batch_size: int = 128
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4
    optimizer: str = "adamw"
    augment: tuple[str, ...] = ()
    seed: int = 0


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """AdamW, Adam or SGD with Nesterov momentum."""
    params = model.parameters()
    if config.optimizer == "sgd":
        return torch.optim.SGD(
            params, lr=config.learning_rate, momentum=0.9, nesterov=True, weight_decay=config.weight_decay
        )
    cls = torch.optim.AdamW if config.optimizer == "adamw" else torch.optim.Adam
    return cls(params, lr=config.learning_rate, weight_decay=config.weight_decay)


def train(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    config: TrainConfig,
    on_epoch: Callable[[int, float, float], None] | None = None,
) -> None:
    """Train in place with a one-cycle learning-rate schedule.

    `on_epoch(epoch, train_loss, train_accuracy)` runs after each epoch.

    Raises:
        DivergedError: the loss became NaN or infinite.
    """
    generator = torch.Generator().manual_seed(config.seed)
    steps_per_epoch = math.ceil(len(y) / config.batch_size)
    optimizer = make_optimizer(model, config)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=config.learning_rate, total_steps=config.epochs * steps_per_epoch
    )
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(config.epochs):
        model.train()
        order = torch.randperm(len(y), generator=generator).to(x.device)
        total_loss = torch.zeros((), device=x.device)
        correct = torch.zeros((), device=x.device, dtype=torch.long)
        for start in range(0, len(y), config.batch_size):
            index = order[start : start + config.batch_size]
            inputs, targets = x[index], y[index]
            if config.augment:
                inputs = augment(inputs, config.augment, generator)
            optimizer.zero_grad(set_to_none=True)
            logits = model(inputs)
            loss = loss_fn(logits, targets)
            loss.backward()
            optimizer.step()
            schedule.step()
            total_loss += loss.detach() * len(index)
            correct += (logits.detach().argmax(1) == targets).sum()
        mean_loss = float(total_loss) / len(y)
        if not math.isfinite(mean_loss):
            raise DivergedError(f"training diverged: loss became {mean_loss} in epoch {epoch + 1}")
        if on_epoch is not None:
            on_epoch(epoch, mean_loss, float(correct) / len(y))


def loss_and_accuracy(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1024
) -> tuple[float, float]:
    """Mean cross-entropy and accuracy on (x, y), in evaluation mode."""
    model.eval()
    loss, correct = torch.zeros((), device=x.device), torch.zeros((), device=x.device, dtype=torch.long)
    with torch.no_grad():
        for i in range(0, len(y), batch_size):
            logits = model(x[i : i + batch_size])
            loss += nn.functional.cross_entropy(logits, y[i : i + batch_size], reduction="sum")
            correct += (logits.argmax(1) == y[i : i + batch_size]).sum()
    return float(loss) / len(y), float(correct) / len(y)


def predict_proba(model: nn.Module, x: torch.Tensor, batch_size: int = 1024) -> np.ndarray:
    """Softmax probabilities for every row of `x`, as float64 numpy."""
    model.eval()
    with torch.no_grad():
        chunks = [
            torch.softmax(model(x[i : i + batch_size]).double(), dim=1) for i in range(0, len(x), batch_size)
        ]
    return torch.cat(chunks).cpu().numpy()

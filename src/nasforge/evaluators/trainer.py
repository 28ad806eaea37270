"""The training loop used by the training evaluator: seeded, one-cycle schedule, divergence check."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from nasforge.errors import NasforgeError
from nasforge.evaluators.augment import augment, mixup

OPTIMIZERS = ("adamw", "adam", "sgd")
PRECISIONS = ("float32", "bfloat16")


class DivergedError(NasforgeError):
    """The training loss became NaN or infinite."""


@dataclass(frozen=True)
class TrainConfig:
    """How to train: epochs, batch size, optimizer and its settings, augmentations, seed, precision.

    `schedule_epochs` is the length of the one-cycle learning-rate schedule (default: `epochs`).
    A longer schedule trained for only `epochs` is what lets a run be continued to more epochs
    later exactly as if it had been trained that long in one go.
    `precision="bfloat16"` runs the forward and backward passes under bfloat16 autocast (the
    weights and the optimizer stay float32): about 1.5x faster training of image CNNs on a CPU
    with AVX-512 BF16 (Fashion-MNIST: 3,000 against 2,000 images/s).
    `mixup` > 0 trains on mixup blends of each batch (`augment.mixup`, Beta(mixup, mixup)); the
    reported training accuracy is then against each blend's larger part.
    """

    epochs: int = 20
    batch_size: int = 128
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4
    optimizer: str = "adamw"
    augment: tuple[str, ...] = ()
    seed: int = 0
    schedule_epochs: int | None = None
    precision: str = "float32"
    mixup: float = 0.0


def make_optimizer(
    params: Iterable[nn.Parameter], config: TrainConfig, *, fused: bool = True
) -> torch.optim.Optimizer:
    """AdamW, Adam or SGD with Nesterov momentum. Adam and AdamW run torch's fused kernel (one
    call a step for every tensor, not a Python loop over them) where every tensor is a float on
    a CPU or CUDA device: the same update, and a table's search in 0.79-0.87× the time on CPU
    (benchmarks/results/fused_optimizer.txt); `fused=False`: the loop."""
    params = list(params)
    if config.optimizer == "sgd":
        return torch.optim.SGD(
            params, lr=config.learning_rate, momentum=0.9, nesterov=True, weight_decay=config.weight_decay
        )
    cls = torch.optim.AdamW if config.optimizer == "adamw" else torch.optim.Adam
    fused = fused and all(p.is_floating_point() and p.device.type in ("cpu", "cuda") for p in params)
    return cls(params, lr=config.learning_rate, weight_decay=config.weight_decay, fused=fused)


EpochHook = Callable[[int, float, float], bool | None]


class ScheduledRun:
    """A training run whose learning-rate schedule steps once a batch, counted in epochs."""

    schedule: torch.optim.lr_scheduler.LRScheduler
    steps_per_epoch: int
    epoch: int  # epochs done

    def fast_forward(self, epochs: int) -> None:
        """Advance the schedule to after `epochs` epochs (the weights come from a checkpoint)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "scheduler.step() before optimizer.step()"
            for _ in range(epochs * self.steps_per_epoch):
                self.schedule.step()
        self.epoch = epochs


class Trainer(ScheduledRun):
    """Trains a model in place, epoch by epoch, with a one-cycle schedule; its state can be saved
    and restored (see `nasforge.evaluators.checkpoint`) to continue a run later."""

    def __init__(self, model: nn.Module, config: TrainConfig, n_train: int) -> None:
        self.model, self.config = model, config
        self.steps_per_epoch = math.ceil(n_train / config.batch_size)
        horizon = config.schedule_epochs or config.epochs
        self.optimizer = make_optimizer(model.parameters(), config)
        self.schedule = torch.optim.lr_scheduler.OneCycleLR(
            self.optimizer, max_lr=config.learning_rate, total_steps=horizon * self.steps_per_epoch
        )
        self.generator = torch.Generator().manual_seed(config.seed)
        self.epoch = 0  # epochs done

    def run(self, x: torch.Tensor, y: torch.Tensor, on_epoch: EpochHook | None = None) -> int | None:
        """Train up to `config.epochs`; returns the epoch at which `on_epoch` asked to stop, or None.

        `on_epoch(epoch, train_loss, train_accuracy)` runs after each epoch; returning True stops.
        Float targets `y` make it a regression (mean squared error; the accuracy is then NaN).

        Raises:
            DivergedError: the loss became NaN or infinite.
        """
        regression = y.dtype.is_floating_point
        loss_fn = _squared_error if regression else nn.CrossEntropyLoss()
        model, config = self.model, self.config
        autocast = torch.autocast(x.device.type, torch.bfloat16, enabled=config.precision == "bfloat16")
        while self.epoch < config.epochs:
            epoch = self.epoch
            model.train()
            order = torch.randperm(len(y), generator=self.generator).to(x.device)
            total_loss = torch.zeros((), device=x.device)
            correct = torch.zeros((), device=x.device, dtype=torch.long)
            for start, stop in batches(len(y), config.batch_size):
                index = order[start:stop]
                inputs, targets = x[index], y[index]
                if config.augment:
                    inputs = augment(inputs, config.augment, self.generator)
                if config.mixup > 0:
                    inputs, partner, lam = mixup(inputs, config.mixup, self.generator)
                self.optimizer.zero_grad(set_to_none=True)
                with autocast:
                    logits = model(inputs).float()
                loss = loss_fn(logits, targets)
                if config.mixup > 0:
                    loss = lam * loss + (1 - lam) * loss_fn(logits, targets[partner])
                    targets = targets if lam >= 0.5 else targets[partner]
                loss.backward()
                self.optimizer.step()
                self.schedule.step()
                total_loss += loss.detach() * len(index)
                if not regression:
                    correct += (logits.detach().argmax(1) == targets).sum()
            mean_loss = float(total_loss) / len(y)
            if not math.isfinite(mean_loss):
                raise DivergedError(f"training diverged: loss became {mean_loss} in epoch {epoch + 1}")
            self.epoch += 1
            accuracy = math.nan if regression else float(correct) / len(y)
            if on_epoch is not None and on_epoch(epoch, mean_loss, accuracy):
                return epoch
        return None


def train(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    config: TrainConfig,
    on_epoch: EpochHook | None = None,
) -> None:
    """Train in place with a one-cycle learning-rate schedule (see `Trainer`)."""
    Trainer(model, config, len(y)).run(x, y, on_epoch)


def loss_and_accuracy(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1024
) -> tuple[float, float]:
    """Mean cross-entropy and accuracy on (x, y), in evaluation mode; for float targets (a
    regression) the mean squared error and R²."""
    model.eval()
    if y.dtype.is_floating_point:
        predicted = predict_values(model, x, batch_size)
        target = y.cpu().numpy().astype(np.float64)
        mse = float(np.mean((predicted - target) ** 2))
        return mse, 1.0 - mse / max(float(np.var(target)), 1e-12)
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


def predict_values(model: nn.Module, x: torch.Tensor, batch_size: int = 1024) -> np.ndarray:
    """A regression model's outputs (its first) for every row of `x`, as float64 numpy."""
    model.eval()
    with torch.no_grad():
        chunks = [model(x[i : i + batch_size])[:, 0].double() for i in range(0, len(x), batch_size)]
    return torch.cat(chunks).cpu().numpy()


def _squared_error(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return nn.functional.mse_loss(output[:, 0], target)


def batches(n: int, size: int) -> list[tuple[int, int]]:
    """(start, stop) of each batch of an epoch; a last batch of a single example joins the one
    before (BatchNorm cannot train on one example).

    Example:
        >>> batches(5, 2), batches(6, 2)
        ([(0, 2), (2, 5)], [(0, 2), (2, 4), (4, 6)])
    """
    starts = list(range(0, n, size))
    if len(starts) > 1 and n - starts[-1] == 1:
        starts.pop()
    return [(start, starts[i + 1] if i + 1 < len(starts) else n) for i, start in enumerate(starts)]

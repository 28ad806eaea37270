"""Training a single-path supernet: uniformly drawn paths, an optional checkpoint after every
epoch to continue from after a crash, and BatchNorm recalibration per path before scoring."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path as FilePath
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from nasforge.errors import InvalidArgumentError, NasforgeError
from nasforge.evaluators.checkpoint import load_checkpoint, save_checkpoint
from nasforge.evaluators.trainer import TrainConfig, Trainer, batches
from nasforge.genotype import Genotype
from nasforge.oneshot.supernets import Supernet
from nasforge.spaces.base import SearchSpace
from nasforge.spaces.ops import BN_MOMENTUM

# Before the first epoch and after each: (epochs done, epochs in all, that epoch's
# {"train_loss": …, "train_accuracy": …}; empty before the first).
SupernetEpochHook = Callable[[int, int, dict[str, float]], None]


SAMPLINGS = ("uniform", "sandwich", "fair")
CAPACITY = ("blocks", "channels", "kernel", "hidden", "depth")  # knobs (by name) that size a path


class UniformPaths(nn.Module):
    """The supernet as one model to train: every forward pass takes a path drawn uniformly, or
    with `sampling="sandwich"` (BigNAS' sandwich rule, one path per step): of every four steps,
    one trains the largest path, one the smallest (each knob in `CAPACITY` at its end, the others
    drawn), two a uniform draw, so the shared weights fit both ends of the space; with
    `sampling="fair"`, FairNAS' strict fairness (`FairDraws`).

    `fixed` pins knobs (by feature name) for every path, e.g. `{"stage1.family": "vgg"}` for a
    few-shot supernet: a draw takes them, and is drawn again where that is no valid architecture.

    The draws of epoch e come from the seed and e alone, so a run continued from a checkpoint
    draws the same paths as one that never stopped."""

    def __init__(
        self, supernet: Supernet, seed: int, sampling: str = "uniform", fixed: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__()
        self.supernet, self.seed, self.sampling = supernet, seed, sampling
        self.fixed = dict(fixed or {})
        self.start_epoch(0)

    def start_epoch(self, epoch: int) -> None:
        """Draw the paths of `epoch` (counted from 0) from now on."""
        self.rng = np.random.default_rng([self.seed, epoch])
        self.steps = 0
        self.fair = FairDraws(self.supernet.space, self.rng)

    def forward(self, x: Tensor) -> Tensor:
        return self.supernet(x, self.draw())

    def draw(self) -> Genotype:
        """The next step's path."""
        space, turn = self.supernet.space, self.steps % 4
        self.steps += 1
        for _ in range(1000):
            if self.sampling == "sandwich" and turn < 2:
                genotype = extreme(space, self.rng, largest=turn == 0)
            elif self.sampling == "fair":
                genotype = self.fair.draw()
            else:
                genotype = space.sample(self.rng)
            pinned = pin(space, genotype, self.fixed)
            if pinned is not None:
                return pinned
        raise InvalidArgumentError(f"no valid architecture has {self.fixed} in 1,000 draws")


class FairDraws:
    """FairNAS' strict fairness, for knobs with any number of choices: each knob (each block's
    own) runs through a shuffle of its choices before any repeats, so every choice trains equally
    often. A combination that is no valid architecture is replaced by a uniform draw."""

    def __init__(self, space: SearchSpace, rng: np.random.Generator) -> None:
        self.space, self.rng = space, rng
        self.choices = space.feature_choices()
        self.cycles: dict[str, list[int]] = {name: [] for name in self.choices}

    def draw(self) -> Genotype:
        features: dict[str, object] = {}
        for name, values in self.choices.items():
            if not self.cycles[name]:
                self.cycles[name] = [int(i) for i in self.rng.permutation(len(values))]
            features[name] = values[self.cycles[name].pop()]
        try:
            genotype = self.space.from_features(features)
            self.space.validate(genotype)
        except NasforgeError:
            return self.space.sample(self.rng)
        return genotype


def pin(space: SearchSpace, genotype: Genotype, fixed: Mapping[str, Any]) -> Genotype | None:
    """`genotype` with the knobs in `fixed` set to their values; None where that is no valid
    architecture."""
    if not fixed:
        return genotype
    try:
        pinned = space.from_features({**space.features(genotype), **fixed})
        space.validate(pinned)
    except NasforgeError:
        return None
    return pinned


def extreme(space: SearchSpace, rng: np.random.Generator, largest: bool, tries: int = 20) -> Genotype:
    """A path with every knob in `CAPACITY` at its largest (or smallest) choice and the others
    drawn; where that is no valid architecture (e.g. too many strides for the input), another
    draw of the others, and after `tries` a uniform draw."""
    choices, end = space.feature_choices(), max if largest else min
    for _ in range(tries):
        features = space.features(space.sample(rng))
        for name, values in choices.items():
            if name.rsplit(".", 1)[-1] in CAPACITY:
                features[name] = end(values)
            elif features.get(name) is None:  # a block the draw did not have
                features[name] = values[int(rng.integers(len(values)))]
        try:
            genotype = space.from_features(features)
            space.validate(genotype)
        except NasforgeError:
            continue
        return genotype
    return space.sample(rng)


class Path(nn.Module):
    """One path of the supernet as a model."""

    def __init__(self, supernet: Supernet, genotype: Genotype) -> None:
        super().__init__()
        self.supernet, self.genotype = supernet, genotype

    def forward(self, x: Tensor) -> Tensor:
        return self.supernet(x, self.genotype)


def train_supernet(
    supernet: Supernet,
    x: Tensor,
    y: Tensor,
    config: TrainConfig,
    checkpoint: str | FilePath | None = None,
    on_epoch: SupernetEpochHook | None = None,
    sampling: str = "uniform",
    fixed: Mapping[str, Any] | None = None,
) -> None:
    """Train `supernet` in place for `config.epochs` epochs of drawn paths (`UniformPaths`, with
    the knobs in `fixed` pinned).

    With `checkpoint`, the training state is saved there after every epoch and, when the file
    exists, training continues from it (the epochs it holds are not run again). `on_epoch` is
    called once before the first epoch run here and after each.
    """
    model = UniformPaths(supernet, config.seed, sampling, fixed)
    trainer = Trainer(model, config, len(y))
    if checkpoint is not None and FilePath(checkpoint).exists():
        load_checkpoint(checkpoint, trainer)
    model.start_epoch(trainer.epoch)

    def after_epoch(epoch: int, loss: float, accuracy: float) -> None:
        model.start_epoch(epoch + 1)
        if on_epoch is not None:  # first: an epoch recorded but not saved is run again
            on_epoch(epoch + 1, config.epochs, {"train_loss": loss, "train_accuracy": accuracy})
        if checkpoint is not None:
            save_checkpoint(checkpoint, trainer)

    if on_epoch is not None:
        on_epoch(trainer.epoch, config.epochs, {})  # where it starts (a continued run: past 0)
    trainer.run(x, y, after_epoch)
    supernet.eval()


def recalibrate(
    supernet: Supernet, genotype: Genotype, x: Tensor, count: int, batch_size: int, seed: int = 0
) -> None:
    """Re-estimate the BatchNorm statistics for one path: the mean over `count` batches drawn
    from a shuffle of the training examples (the same `seed`, the same batches for every path)."""
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    supernet.reset_statistics()
    supernet.train()
    try:
        with torch.no_grad():
            for i, (start, stop) in enumerate(batches(len(x), batch_size)[:count]):
                supernet.momentum = 1.0 / (i + 1)  # a running mean of the batches' statistics
                supernet(x[order[start:stop]], genotype)
    finally:
        supernet.momentum = BN_MOMENTUM
        supernet.eval()

"""The training evaluator's settings in typed groups: the data, the training recipe, the size
limits, the measurements and the hardware.

Each group is a frozen dataclass checked when built. The flat form (one keyword per setting:
the CLI's `--evaluator-param`, a TOML file's `[evaluator]` table, a stored study's config) maps
onto the groups one to one; only `data` is kept as `DataSource.dataset`.

Example:
    >>> groups = flat_to_groups({"data": "digits", "epochs": 3, "max_params": 10_000})
    >>> groups.data.dataset, groups.recipe.epochs, groups.limits.max_params
    ('digits', 3, 10000)
    >>> groups_to_flat(groups)["epochs"]
    3
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, NamedTuple

from nasforge.errors import InvalidArgumentError
from nasforge.evaluators.augment import AUGMENTATIONS
from nasforge.evaluators.proxies import check_proxies
from nasforge.evaluators.trainer import OPTIMIZERS, PRECISIONS
from nasforge.validation import check_choice, check_float, check_int

TASKS = ("auto", "classification", "regression")
DEVICES = ("auto", "cpu", "cuda")


def _optional_int(name: str, value: object, minimum: int) -> int | None:
    return None if value is None else check_int(name, value, minimum=minimum)


def _set(group: object, **values: object) -> None:
    """Store checked values on a frozen dataclass (from its `__post_init__`)."""
    for name, value in values.items():
        object.__setattr__(group, name, value)


@dataclass(frozen=True)
class DataSource:
    """Which data, and how it is split: `dataset` (a built-in name or a CSV/NPZ path),
    `data_dir`, `label_column` (CSV), `valid_fraction`, `split_seed`, `train_subset` (train on a
    random subset of that many examples), `cv_folds` (cross-validation for search trials; None:
    5 folds on small tables, else the validation split) and `task` (auto, classification,
    regression)."""

    dataset: str = "mnist1d"
    data_dir: str | None = None
    label_column: str | None = None
    valid_fraction: float = 0.1
    split_seed: int = 0
    train_subset: int | None = None
    cv_folds: int | None = None
    task: str = "auto"

    def __post_init__(self) -> None:
        _set(
            self,
            valid_fraction=check_float("valid_fraction", self.valid_fraction, minimum=0.0, maximum=0.9),
            split_seed=check_int("split_seed", self.split_seed, minimum=0),
            train_subset=_optional_int("train_subset", self.train_subset, 1),
            cv_folds=_optional_int("cv_folds", self.cv_folds, 1),
            task=check_choice("task", self.task, TASKS),
        )


@dataclass(frozen=True)
class Recipe:
    """How each network trains: `epochs` (the full fidelity), `batch_size` (None: by the data's
    size), `learning_rate`, `weight_decay`, `optimizer`, `augment` (batch augmentations, a tuple
    or a comma-separated string), `schedule_epochs` (the learning-rate schedule's length; None:
    `epochs`), `precision` (float32 or bfloat16 autocast), `mixup` (Beta(α, α) blends; 0: off)
    and `seed`."""

    epochs: int = 20
    batch_size: int | None = None
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4
    optimizer: str = "adamw"
    augment: tuple[str, ...] = ()
    schedule_epochs: int | None = None
    precision: str = "float32"
    mixup: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        names = self.augment.split(",") if isinstance(self.augment, str) else self.augment
        _set(
            self,
            epochs=check_int("epochs", self.epochs, minimum=1),
            batch_size=_optional_int("batch_size", self.batch_size, 1),
            learning_rate=check_float("learning_rate", self.learning_rate, minimum=1e-12),
            weight_decay=check_float("weight_decay", self.weight_decay, minimum=0.0),
            optimizer=check_choice("optimizer", self.optimizer, OPTIMIZERS),
            augment=tuple(check_choice("augment", n.strip(), AUGMENTATIONS) for n in names if n.strip()),
            schedule_epochs=_optional_int("schedule_epochs", self.schedule_epochs, 1),
            precision=check_choice("precision", self.precision, PRECISIONS),
            mixup=check_float("mixup", self.mixup, minimum=0.0),
            seed=check_int("seed", self.seed, minimum=0),
        )


@dataclass(frozen=True)
class Limits:
    """Caps on a network's size, each refused before any training (None: no cap):
    `max_params`, `max_flops` (per example) and `max_activation_bytes` (per example)."""

    max_params: int | None = 2_000_000
    max_flops: int | None = None
    max_activation_bytes: int | None = None

    def __post_init__(self) -> None:
        _set(
            self,
            max_params=_optional_int("max_params", self.max_params, 1),
            max_flops=_optional_int("max_flops", self.max_flops, 1),
            max_activation_bytes=_optional_int("max_activation_bytes", self.max_activation_bytes, 1),
        )


@dataclass(frozen=True)
class Measurements:
    """What is measured beside quality and cost: test accuracy under Gaussian input noise of
    each of `noise_levels`, and the zero-cost `proxies` on the untrained network."""

    noise_levels: tuple[float, ...] = (0.1, 0.3, 0.5)
    proxies: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _set(
            self,
            noise_levels=tuple(check_float("noise_levels", s, minimum=0.0) for s in self.noise_levels),
            proxies=check_proxies(tuple(self.proxies), ensembles=False) if self.proxies else (),
        )


@dataclass(frozen=True)
class Hardware:
    """Where training runs: `device` (auto, cpu, cuda) and `threads` per trial (None: chosen at
    each trial from the cores free now and the model's size)."""

    device: str = "auto"
    threads: int | None = None

    def __post_init__(self) -> None:
        _set(
            self,
            device=check_choice("device", self.device, DEVICES),
            threads=_optional_int("threads", self.threads, 1),
        )


class TrainingSettings(NamedTuple):
    """The five groups, by the training evaluator's constructor names."""

    data: DataSource
    recipe: Recipe
    limits: Limits
    measurements: Measurements
    hardware: Hardware


_CLASSES = (DataSource, Recipe, Limits, Measurements, Hardware)
_FLAT_NAME = {"dataset": "data"}  # a field whose flat name differs
_FIELD_NAME = {flat: field for field, flat in _FLAT_NAME.items()}


def flat_defaults() -> dict[str, Any]:
    """Every setting under its flat name, with its default (in the groups' order)."""
    return groups_to_flat(TrainingSettings._make(cls() for cls in _CLASSES))


def flat_to_groups(flat: dict[str, Any]) -> TrainingSettings:
    """The groups built from flat settings (missing ones take their defaults).

    Raises:
        InvalidArgumentError: a name that is no setting (naming the allowed ones), or a value out
            of its range.
    """
    unknown = sorted(set(flat) - set(flat_defaults()))
    if unknown:
        raise InvalidArgumentError(
            f"the training evaluator has no parameter {', '.join(unknown)}; "
            f"allowed: {', '.join(flat_defaults())}"
        )
    groups = []
    for cls in _CLASSES:
        names = {f.name for f in dataclasses.fields(cls)}
        values = {_FIELD_NAME.get(k, k): v for k, v in flat.items() if _FIELD_NAME.get(k, k) in names}
        groups.append(cls(**values))
    return TrainingSettings._make(groups)


def groups_to_flat(groups: TrainingSettings) -> dict[str, Any]:
    """The groups' settings under their flat names (what a study stores)."""
    return {
        _FLAT_NAME.get(name, name): value
        for group in groups
        for name, value in dataclasses.asdict(group).items()
    }

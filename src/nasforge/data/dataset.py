"""`Dataset`: train / valid / test arrays, checked, split with a fixed seed, normalised on train only."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from nasforge.errors import DataError
from nasforge.task import Task


@dataclass(frozen=True)
class Split:
    """Inputs `x` (N, channels, *spatial) float32 and integer labels `y` (N,)."""

    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.y)

    def read_only(self) -> Split:
        """The same arrays as views that refuse writes (a trial cannot change the next one's data)."""
        return Split(_read_only(self.x), _read_only(self.y))


def _read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


@dataclass(frozen=True)
class Dataset:
    """A classification dataset ready for training.

    `valid` drives the search; `test` is only reported. `mean` and `std` (per channel for
    images and sequences, per feature for tables) were computed on the raw train split and
    already applied to every split. `class_names` are the original labels of classes 0..K-1
    when they were not already 0..K-1 (text labels, 1-based labels, ...).
    """

    name: str
    train: Split
    valid: Split
    test: Split
    num_classes: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    class_names: tuple[str, ...] | None = None
    tabular: bool = False  # features of a table (standardised one by one), not a signal or an image
    regression: bool = False  # targets are numbers (standardised: `target_mean`, `target_std`)
    target_mean: float = 0.0
    target_std: float = 1.0

    def read_only(self) -> Dataset:
        """The dataset with every split's arrays as read-only views.

        Example:
            >>> from nasforge.data import load_dataset
            >>> load_dataset("digits").read_only().train.x.flags.writeable
            False
        """
        return replace(
            self, train=self.train.read_only(), valid=self.valid.read_only(), test=self.test.read_only()
        )

    @property
    def modality(self) -> str:
        """ "table", "sequence" (channels, length) or "image" (channels, height, width)."""
        if self.tabular:
            return "table"
        return "sequence" if len(self.input_shape) == 2 else "image"

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one input, channels first."""
        return tuple(self.train.x.shape[1:])

    @property
    def task(self) -> Task:
        """What a network for this dataset must accept and predict."""
        return Task(self.input_shape, self.num_classes)

    def describe(self) -> dict[str, Any]:
        """Sizes, shape, classes and normalisation statistics (stored with a study)."""
        return {
            "name": self.name,
            "input_shape": list(self.input_shape),
            "num_classes": self.num_classes,
            "sizes": {"train": len(self.train), "valid": len(self.valid), "test": len(self.test)},
            "mean": list(self.mean),
            "std": list(self.std),
            "class_names": None if self.class_names is None else list(self.class_names),
            "modality": self.modality,
            "task": "regression" if self.regression else "classification",
            **({"target_mean": self.target_mean, "target_std": self.target_std} if self.regression else {}),
        }

    def train_and_valid(self) -> Split:
        """The training and validation examples together (what a final fit or k folds use)."""
        return Split(
            np.concatenate([self.train.x, self.valid.x]), np.concatenate([self.train.y, self.valid.y])
        )

    def subsample_train(self, n: int, seed: int = 0) -> Dataset:
        """The same dataset with a seeded random `n` of the training examples."""
        if n >= len(self.train):
            return self
        keep = np.sort(np.random.default_rng(seed).permutation(len(self.train))[:n])
        return replace(self, train=Split(self.train.x[keep], self.train.y[keep]))


def prepare(
    name: str,
    x: np.ndarray,
    y: np.ndarray,
    x_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    *,
    valid_fraction: float = 0.1,
    test_fraction: float = 0.2,
    seed: int = 0,
    per_feature: bool = False,
    regression: bool = False,
) -> Dataset:
    """Check raw arrays, split them with `seed`, and normalise with train statistics.

    `x` is (N, length), (N, height, width) or already channels-first (N, C, ...). Without a
    test set, `test_fraction` of the examples become one; `valid_fraction` of the rest validate.
    Labels (numbers or text) become classes 0..K-1. `per_feature` standardises every position
    on its own (tabular data); otherwise every channel. With `regression` the labels are numeric
    targets, standardised with the training split's mean and std (one output).
    """
    if regression:
        y = _targets(name, "y", y)
        y_test = None if y_test is None else _targets(name, "y_test", y_test)
        class_names = None
        x, _ = _check(name, "x", x, "y", np.zeros(len(y), dtype=np.int64))
    else:
        y, y_test, class_names = encode_labels(name, y, y_test)
        x, y = _check(name, "x", x, "y", y)
    rng = np.random.default_rng(seed)
    if x_test is None or y_test is None:
        order = rng.permutation(len(y))
        n_test = max(1, round(len(y) * test_fraction))
        x_test, y_test, x, y = x[order[:n_test]], y[order[:n_test]], x[order[n_test:]], y[order[n_test:]]
    else:
        placeholder = np.zeros(len(y_test), dtype=np.int64)
        x_test, checked = _check(name, "x_test", x_test, "y_test", placeholder if regression else y_test)
        y_test = y_test if regression else checked
        if x_test.shape[1:] != x.shape[1:]:
            raise DataError(f"{name}: x_test examples have shape {x_test.shape[1:]}, x has {x.shape[1:]}")
    order = rng.permutation(len(y))
    n_valid = max(1, round(len(y) * valid_fraction))
    valid_idx, train_idx = order[:n_valid], order[n_valid:]
    num_classes = 1 if regression else _num_classes(name, y, y_test, train_idx, class_names)
    axes = (0,) if per_feature else (0, *range(2, x.ndim))
    mean = x[train_idx].mean(axis=axes, keepdims=True)
    std = x[train_idx].std(axis=axes, keepdims=True) + 1e-8
    y_mean, y_std = (
        (float(y[train_idx].mean()), float(y[train_idx].std() + 1e-8)) if regression else (0.0, 1.0)
    )

    def norm(a: np.ndarray) -> np.ndarray:
        return ((a - mean) / std).astype(np.float32)

    def target(t: np.ndarray) -> np.ndarray:
        return ((t - y_mean) / y_std).astype(np.float32) if regression else t

    return Dataset(
        name=name,
        train=Split(norm(x[train_idx]), target(y[train_idx])),
        valid=Split(norm(x[valid_idx]), target(y[valid_idx])),
        test=Split(norm(x_test), target(y_test)),
        num_classes=num_classes,
        mean=tuple(float(m) for m in mean.ravel()),
        std=tuple(float(s) for s in std.ravel()),
        class_names=class_names,
        tabular=per_feature,
        regression=regression,
        target_mean=y_mean,
        target_std=y_std,
    )


def _num_classes(
    name: str, y: np.ndarray, y_test: np.ndarray, train_idx: np.ndarray, class_names: tuple[str, ...] | None
) -> int:
    """K of classes 0..K-1, each with a training example, at least two."""
    num_classes = int(max(y.max(), y_test.max())) + 1
    missing = sorted(set(range(num_classes)) - set(np.unique(y[train_idx]).tolist()))
    if missing:
        shown = [class_names[m] if class_names else m for m in missing]
        more = f" and {len(shown) - 10} more" if len(shown) > 10 else ""
        raise DataError(f"{name}: class(es) {shown[:10]}{more} have no training example")
    if num_classes < 2:
        raise DataError(f"{name}: needs at least 2 classes, found {num_classes}")
    return num_classes


def _targets(name: str, what: str, y: Any) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.number):
        raise DataError(f"{name}: {what} must be a vector of numbers for regression, got {y.dtype} {y.shape}")
    if not np.all(np.isfinite(y)):
        raise DataError(f"{name}: {what} holds NaN or Inf target(s)")
    return y.astype(np.float64)


def is_regression(name: str, y: Any, task: str) -> bool:
    """Whether labels `y` are regression targets: as `task` says, or ("auto") numbers that are not
    whole, or whole numbers with many distinct values (more than 20 and a tenth of the rows).

    Example:
        >>> is_regression("t", [0.5, 1.2], "auto"), is_regression("t", [0, 1, 1], "auto")
        (True, False)
    """
    if task != "auto":
        return task == "regression"
    values = np.asarray(y)
    if values.dtype.kind not in "iuf":  # text, booleans, complex numbers: not targets
        return False
    if not np.all(np.mod(values, 1) == 0):
        return True
    distinct = len(np.unique(values))
    return distinct > max(20, len(values) // 10)


MAX_CLASSES = 10_000


def encode_labels(
    name: str, y: Any, y_test: Any | None
) -> tuple[np.ndarray, np.ndarray | None, tuple[str, ...] | None]:
    """Labels as classes 0..K-1 (sorted original values); the original names unless already 0..K-1.

    Raises:
        DataError: labels that are neither integers nor text, or more than `MAX_CLASSES` classes.
    """
    y = np.asarray(y)
    parts = [y] if y_test is None else [y, np.asarray(y_test)]
    if y.ndim != 1 or any(p.ndim != 1 for p in parts):
        return y, None if y_test is None else np.asarray(y_test), None  # _check names the shape
    values = np.concatenate(parts)
    if values.dtype.kind == "c":
        raise DataError(f"{name}: labels must be integers or text, got complex numbers")
    if values.dtype.kind == "f":
        if not np.all(np.isfinite(values)) or not np.all(np.mod(values, 1) == 0):
            raise DataError(f"{name}: labels must be integers or text, got non-integer numbers")
        parts, values = [p.astype(np.int64) for p in parts], values.astype(np.int64)
    elif values.dtype.kind not in "iuUSO":
        raise DataError(f"{name}: labels must be integers or text, got dtype {values.dtype}")
    classes = np.unique(values)
    if len(classes) > MAX_CLASSES:
        raise DataError(
            f"{name}: {len(classes):,} distinct labels; at most {MAX_CLASSES:,} classes are supported"
        )
    identity = values.dtype.kind in "iu" and np.array_equal(classes, np.arange(len(classes)))
    names = None if identity else tuple(str(c) for c in classes)
    encoded = [np.searchsorted(classes, p).astype(np.int64) for p in parts]
    return encoded[0], (encoded[1] if len(encoded) > 1 else None), names


def _check(name: str, x_name: str, x: Any, y_name: str, y: Any) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim < 2 or x.ndim > 4:
        raise DataError(
            f"{name}: {x_name} must be (N, length), (N, height, width) or (N, C, ...); got shape {x.shape}"
        )
    if not np.issubdtype(x.dtype, np.number):
        raise DataError(f"{name}: {x_name} must be numeric, got dtype {x.dtype}")
    x = x.astype(np.float64)
    if x.ndim == 2 or (x.ndim == 3 and x.shape[1] > 4):
        x = x[:, None]  # add the channel axis
    if y.ndim != 1 or len(y) != len(x):
        raise DataError(f"{name}: {y_name} must be a vector of {len(x)} labels, got shape {y.shape}")
    if len(y) == 0:
        raise DataError(f"{name}: {x_name} is empty")
    if not np.all(np.isfinite(x)):
        bad = int(np.sum(~np.isfinite(x)))
        raise DataError(f"{name}: {x_name} holds {bad} NaN or Inf value(s)")
    if not np.issubdtype(y.dtype, np.integer):
        if not np.issubdtype(y.dtype, np.number) or not np.all(np.equal(np.mod(y, 1), 0)):
            raise DataError(f"{name}: {y_name} must hold integer class labels, got dtype {y.dtype}")
        y = y.astype(np.int64)
    if y.min() < 0:
        raise DataError(f"{name}: {y_name} labels must be 0..K-1, found {int(y.min())}")
    return x, y.astype(np.int64)

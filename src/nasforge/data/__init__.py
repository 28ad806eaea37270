"""Datasets by name or path: `mnist1d`, `fashion-mnist`, `digits`, or user files."""

from __future__ import annotations

from pathlib import Path

from nasforge.data import builtin, user
from nasforge.data.dataset import Dataset, Split, is_regression, prepare
from nasforge.data.idx import find_idx_files
from nasforge.errors import DataError

BUILTIN = ("mnist1d", "fashion-mnist", "digits")
TASKS = ("auto", "classification", "regression")


def load_dataset(
    name: str,
    *,
    data_dir: str | None = None,
    label_column: str | None = None,
    valid_fraction: float = 0.1,
    seed: int = 0,
    task: str = "auto",
) -> Dataset:
    """Load, check, split (train / valid / test, seeded) and normalise a dataset.

    Args:
        name: `mnist1d`, `fashion-mnist`, `digits`, or a path: `.npz` (arrays `x`, `y`, optional
            `x_test`, `y_test`), `.csv` (feature columns and a label column), a folder of IDX
            files, or a folder of images with one sub-folder per class.
        data_dir: where the Fashion-MNIST IDX files are (default: the Debian package's folder).
        label_column: CSV label column name (default: the last column).
        valid_fraction: share of the training examples held out for validation.
        seed: seeds the splits.
        task: "classification", "regression" (numeric targets; CSV and .npz only) or "auto"
            (regression where the targets are numbers that are not class labels, see
            `is_regression`).

    Example:
        >>> load_dataset("digits").num_classes
        10
    """
    if label_column is not None and (Path(name).suffix != ".csv" or Path(name).is_dir()):
        raise DataError(f"label_column applies to CSV files only; data {name!r} is not one")
    if task not in TASKS:
        raise DataError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
    if task == "regression" and name in BUILTIN:
        raise DataError(f"data {name!r} is a classification set; task regression needs a CSV or .npz file")
    arrays = {"mnist1d": builtin.mnist1d, "digits": builtin.digits}
    if name in arrays or name == "fashion-mnist":
        loaded = builtin.fashion_mnist(data_dir) if name == "fashion-mnist" else arrays[name]()
        return prepare(name, *loaded, valid_fraction=valid_fraction, seed=seed)
    path = Path(name)
    if not path.exists():
        raise DataError(
            f"data must be one of {', '.join(BUILTIN)} or an existing .npz / .csv file or folder; "
            f"got {name!r}"
        )
    return _from_path(path, label_column, valid_fraction, seed, task)


def _from_path(path: Path, label_column: str | None, valid_fraction: float, seed: int, task: str) -> Dataset:
    if path.is_dir():
        arrays = builtin.idx_folder(path) if find_idx_files(path) else user.image_folder(path)
        return prepare(path.name, *arrays, valid_fraction=valid_fraction, seed=seed)
    if path.suffix == ".npz":
        x, y, x_test, y_test = user.npz(path)
        regression = is_regression(path.stem, y, task)
        return prepare(
            path.stem, x, y, x_test, y_test, valid_fraction=valid_fraction, seed=seed, regression=regression
        )
    if path.suffix == ".csv":
        table = user.csv_table(path, label_column)
        return prepare(
            path.stem,
            *table,
            valid_fraction=valid_fraction,
            seed=seed,
            per_feature=True,
            regression=is_regression(path.stem, table[1], task),
        )
    raise DataError(f"data file {path} must be .npz or .csv (or a folder of IDX files or images)")


__all__ = ["BUILTIN", "Dataset", "Split", "load_dataset", "prepare"]

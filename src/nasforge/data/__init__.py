"""Datasets by name or path: `mnist1d`, `fashion-mnist`, `digits`, or user files."""

from __future__ import annotations

from pathlib import Path

from nasforge.data import builtin, user
from nasforge.data.dataset import Dataset, Split, prepare
from nasforge.data.idx import find_idx_files
from nasforge.errors import DataError

BUILTIN = ("mnist1d", "fashion-mnist", "digits")


def load_dataset(
    name: str,
    *,
    data_dir: str | None = None,
    label_column: str | None = None,
    valid_fraction: float = 0.1,
    seed: int = 0,
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

    Example:
        >>> load_dataset("digits").num_classes
        10
    """
    if label_column is not None and (Path(name).suffix != ".csv" or Path(name).is_dir()):
        raise DataError(f"label_column applies to CSV files only; data {name!r} is not one")
    if name == "mnist1d":
        return prepare(name, *builtin.mnist1d(), valid_fraction=valid_fraction, seed=seed)
    if name == "fashion-mnist":
        return prepare(name, *builtin.fashion_mnist(data_dir), valid_fraction=valid_fraction, seed=seed)
    if name == "digits":
        return prepare(name, *builtin.digits(), valid_fraction=valid_fraction, seed=seed)
    path = Path(name)
    if not path.exists():
        raise DataError(
            f"data must be one of {', '.join(BUILTIN)} or an existing .npz / .csv file or folder; "
            f"got {name!r}"
        )
    if path.is_dir():
        arrays = builtin.idx_folder(path) if find_idx_files(path) else user.image_folder(path)
        return prepare(path.name, *arrays, valid_fraction=valid_fraction, seed=seed)
    if path.suffix == ".npz":
        x, y, x_test, y_test = user.npz(path)
        return prepare(path.stem, x, y, x_test, y_test, valid_fraction=valid_fraction, seed=seed)
    if path.suffix == ".csv":
        return prepare(
            path.stem,
            *user.csv_table(path, label_column),
            valid_fraction=valid_fraction,
            seed=seed,
            per_feature=True,
        )
    raise DataError(f"data file {path} must be .npz or .csv (or a folder of IDX files or images)")


__all__ = ["BUILTIN", "Dataset", "Split", "load_dataset", "prepare"]

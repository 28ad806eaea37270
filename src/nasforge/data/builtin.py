"""The built-in datasets: MNIST-1D (generated offline), Fashion-MNIST (Debian package), digits."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from nasforge.data.idx import find_idx_files, read_idx
from nasforge.errors import DataError
from nasforge.extras import require_extra

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_PACKAGE = "dataset-fashion-mnist"


def cache_dir() -> Path:
    """Where generated data is cached (`NASFORGE_CACHE`, else ~/.cache/nasforge)."""
    return Path(os.environ.get("NASFORGE_CACHE", Path.home() / ".cache" / "nasforge"))


def mnist1d() -> tuple[np.ndarray, ...]:
    """MNIST-1D: 4,000 train / 1,000 test sequences of length 40, generated (never downloaded)."""
    cached = cache_dir() / "mnist1d.npz"
    if cached.is_file():
        with np.load(cached) as data:
            return data["x"], data["y"], data["x_test"], data["y_test"]
    require_extra("mnist1d", "the built-in MNIST-1D data (--data mnist1d, the main job's)")
    from mnist1d.data import get_dataset_args, make_dataset

    data = make_dataset(get_dataset_args())
    arrays = (data["x"], data["y"], data["x_test"], data["y_test"])
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(".tmp.npz")
        np.savez(tmp, x=arrays[0], y=arrays[1], x_test=arrays[2], y_test=arrays[3])
        tmp.replace(cached)
    except OSError:
        pass  # a read-only home only costs regenerating next time
    return arrays


def fashion_mnist(data_dir: str | Path | None = None) -> tuple[np.ndarray, ...]:
    """Fashion-MNIST from its original IDX files (60,000 train / 10,000 test, 28x28)."""
    folder = Path(data_dir) if data_dir else FASHION_DIR
    files = find_idx_files(folder)
    if len(files) < 4:
        raise DataError(
            f"Fashion-MNIST IDX files not found in {folder}: install the Debian package "
            f"{FASHION_PACKAGE} (apt-get install {FASHION_PACKAGE}) or pass --data-dir FOLDER "
            "holding train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte "
            "and t10k-labels-idx1-ubyte (optionally .gz)"
        )
    return idx_folder(folder)


def idx_folder(folder: Path) -> tuple[np.ndarray, ...]:
    """Train and test arrays from an MNIST-style IDX folder."""
    files = find_idx_files(folder)
    missing = sorted({"train_images", "train_labels", "test_images", "test_labels"} - set(files))
    if missing:
        raise DataError(f"IDX folder {folder} lacks {', '.join(missing)} files")
    return tuple(read_idx(files[k]) for k in ("train_images", "train_labels", "test_images", "test_labels"))


def digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 8x8 handwritten digits."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.images, bunch.target

"""User data: .npz arrays, CSV tables, and folders of images (one sub-folder per class)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from nasforge.errors import DataError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}


def npz(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Arrays `x`, `y` and optionally `x_test`, `y_test`."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read {path} as .npz: {exc}") from None
    missing = [k for k in ("x", "y") if k not in arrays]
    if missing:
        raise DataError(f"{path} lacks array(s) {', '.join(missing)}; found: {', '.join(arrays) or 'none'}")
    return arrays["x"], arrays["y"], arrays.get("x_test"), arrays.get("y_test")


def csv_table(path: Path, label_column: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Numeric feature columns and an integer label column (default: the last; or named)."""
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    if len(rows) < 2:
        raise DataError(f"{path} needs a header row and at least one data row")
    header, body = rows[0], rows[1:]
    label = len(header) - 1 if label_column is None else _column(path, header, label_column)
    try:
        values = np.array([[float(v) for v in row] for row in body])
    except ValueError as exc:
        raise DataError(f"{path}: every value must be numeric ({exc})") from None
    if values.ndim != 2 or values.shape[1] != len(header):
        raise DataError(f"{path}: every row must have {len(header)} values like the header")
    return np.delete(values, label, axis=1), values[:, label]


def image_folder(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One sub-folder per class (sorted names = labels 0..K-1); images are resized to the first's size."""
    from PIL import Image, UnidentifiedImageError

    classes = sorted(p for p in path.iterdir() if p.is_dir())
    if len(classes) < 2:
        raise DataError(
            f"image folder {path} needs one sub-folder per class, at least 2; found {len(classes)}"
        )
    images, labels = [], []
    size: tuple[int, int] | None = None
    mode = "L"
    for label, folder in enumerate(classes):
        files = sorted(f for f in folder.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise DataError(f"class folder {folder} holds no PNG or JPEG image")
        for file in files:
            try:
                with Image.open(file) as image:
                    if size is None:
                        size, mode = image.size, ("L" if image.mode in ("L", "1", "I", "F") else "RGB")
                    images.append(np.asarray(image.convert(mode).resize(size), dtype=np.float64))
            except (UnidentifiedImageError, OSError) as exc:
                raise DataError(f"cannot read image {file}: {exc}") from None
            labels.append(label)
    x = np.stack(images)
    x = x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2)
    return x, np.array(labels)


def _column(path: Path, header: list[str], name: str) -> int:
    if name not in header:
        raise DataError(f"{path}: label column {name!r} not in header ({', '.join(header)})")
    return header.index(name)

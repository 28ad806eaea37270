"""User data: .npz arrays, CSV tables, and folders of images (one sub-folder per class)."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import numpy as np

from nasforge.errors import DataError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}


def npz(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Arrays `x`, `y` and optionally `x_test`, `y_test`."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"cannot read {path} as .npz: {exc}") from None
    missing = [k for k in ("x", "y") if k not in arrays]
    if missing:
        raise DataError(f"{path} lacks array(s) {', '.join(missing)}; found: {', '.join(arrays) or 'none'}")
    return arrays["x"], arrays["y"], arrays.get("x_test"), arrays.get("y_test")


def csv_table(path: Path, label_column: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Numeric feature columns and a label column (default: the last; or named).

    Labels may be numbers or text; `prepare` maps them to classes 0..K-1. Blank lines are skipped.
    """
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = [
                (n, row) for n, row in enumerate(csv.reader(handle), start=1) if any(v.strip() for v in row)
            ]
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not UTF-8 text (byte {exc.start}): save the CSV as UTF-8") from None
    except (OSError, csv.Error) as exc:
        raise DataError(f"cannot read {path} as CSV: {exc}") from None
    if len(rows) < 2:
        raise DataError(f"{path} needs a header row and at least one data row")
    header, body = rows[0][1], rows[1:]
    label = len(header) - 1 if label_column is None else _column(path, header, label_column)
    features, labels = [], []
    for line, row in body:
        if len(row) != len(header):
            raise DataError(f"{path}, line {line}: {len(row)} values, the header has {len(header)}")
        try:
            features.append([float(v) for i, v in enumerate(row) if i != label])
        except ValueError:
            bad = next(v for i, v in enumerate(row) if i != label and not _is_number(v))
            raise DataError(f"{path}, line {line}: feature value {bad!r} is not a number") from None
        labels.append(row[label].strip())
    return np.array(features), _labels(labels)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _labels(texts: list[str]) -> np.ndarray:
    """Numeric labels as numbers (integers where they are), text labels as text."""
    if all(_is_number(t) for t in texts):
        values = np.array([float(t) for t in texts])
        return values.astype(np.int64) if np.all(np.mod(values, 1) == 0) else values
    return np.array(texts)


def image_folder(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One sub-folder per class, whose name is the label; images are resized to the first's size."""
    from PIL import Image, UnidentifiedImageError

    classes = sorted(p for p in path.iterdir() if p.is_dir())
    if len(classes) < 2:
        raise DataError(
            f"image folder {path} needs one sub-folder per class, at least 2; found {len(classes)}"
        )
    images, labels = [], []
    size: tuple[int, int] | None = None
    mode = "L"
    for folder in classes:
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
            labels.append(folder.name)
    x = np.stack(images)
    x = x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2)
    return x, np.array(labels)


def _column(path: Path, header: list[str], name: str) -> int:
    if name not in header:
        raise DataError(f"{path}: label column {name!r} not in header ({', '.join(header)})")
    return header.index(name)

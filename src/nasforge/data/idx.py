"""Reading IDX files (the MNIST / Fashion-MNIST format), plain or gzipped."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from nasforge.errors import DataError

_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | Path) -> np.ndarray:
    """The array stored in an IDX file: magic 0x0000TTDD, DD dimension sizes, then the data."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError) as exc:
        raise DataError(f"cannot read IDX file {path}: {exc}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _TYPES or raw[3] == 0:
        raise DataError(f"{path} is not an IDX file (bad magic number {raw[:4].hex() or 'empty'})")
    dtype, ndim = np.dtype(_TYPES[raw[2]]), raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        raise DataError(f"{path}: IDX header promises shape {shape} ({expected} bytes), file has {len(raw)}")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)


def find_idx_files(folder: Path) -> dict[str, Path]:
    """The four files of an MNIST-style folder: train/test images and labels (`t10k` = test)."""
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        name = path.name.lower()
        split = "train" if "train" in name else "test" if ("t10k" in name or "test" in name) else None
        kind = "images" if "images" in name else "labels" if "labels" in name else None
        if split and kind and "idx" in name:
            found.setdefault(f"{split}_{kind}", path)
    return found

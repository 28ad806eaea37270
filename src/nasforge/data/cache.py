"""The dataset cache: each dataset is loaded once per process (trials, proxies, compression)."""

from __future__ import annotations

import functools

from nasforge.data import Dataset, load_dataset


@functools.lru_cache(maxsize=4)
def cached_dataset(
    data: str,
    data_dir: str | None,
    label_column: str | None,
    seed: int,
    valid_fraction: float = 0.1,
    task: str = "auto",
) -> Dataset:
    """`load_dataset` with these arguments, loaded on the first call in this process.

    Example:
        >>> cached_dataset("digits", None, None, 0) is cached_dataset("digits", None, None, 0)
        True
    """
    return load_dataset(
        data,
        data_dir=data_dir,
        label_column=label_column,
        seed=seed,
        valid_fraction=valid_fraction,
        task=task,
    )

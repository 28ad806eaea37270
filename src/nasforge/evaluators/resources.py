"""The threads and device a training runs on. How many cores other processes keep busy is read
from /proc (Linux), so that two CPU jobs on one machine do not oversubscribe its cores."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

_last: tuple[float, float, float] | None = None  # (wall s, busy CPU s of the machine, CPU s of this process)


def _sample() -> tuple[float, float, float] | None:
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        own = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    values = [int(v) for v in fields]
    busy = sum(values) - values[3] - (values[4] if len(values) > 4 else 0)  # all but idle and iowait
    return time.monotonic(), busy / ticks, (int(own[11]) + int(own[12])) / ticks  # utime + stime


def busy_cores_elsewhere(window_s: float = 0.3) -> float:
    """Cores used by other processes since the last call (the first call watches `window_s`);
    0.0 where /proc cannot be read."""
    global _last
    if _last is None:
        _last = _sample()
        time.sleep(window_s)
    now = _sample()
    if now is None or _last is None:
        return 0.0
    wall, busy, own = (b - a for a, b in zip(_last, now, strict=True))
    _last = now
    return max(0.0, (busy - own) / wall) if wall > 0 else 0.0


# FLOPs per example below which a second thread gains little, and loses much when a core is busy
SMALL_MODEL_FLOPS = 1e5


@dataclass(frozen=True)
class ThreadChoice:
    """The threads a training runs with, and why: this process's `cores` (all of them in a
    serial search, its share in a pool), of which other processes kept `busy` busy lately, and
    whether the model is small enough for one thread."""

    threads: int
    cores: int
    busy: float
    small_model: bool = False

    def __str__(self) -> str:
        why = ", a small model" if self.small_model else ""
        return f"threads: {self.threads} ({self.cores} cores, {self.busy:.0f} busy{why})"


def choose_threads(flops_per_example: float | None = None) -> ThreadChoice:
    """Threads for the next training: the cores other processes leave free now (measured since
    the last choice, so between trials it follows what the machine did meanwhile), and one for a
    model of fewer than `SMALL_MODEL_FLOPS` per example.

    Chosen again before each trial: the thread count changes floating-point summation order, so
    a trial is reproducible given its seed and the thread count it ran with, which the trial
    records (`threads`); a study never stores a count of its own.

    Example:
        >>> choose_threads(flops_per_example=1e3).threads
        1
    """
    busy = busy_cores_elsewhere()
    cores, free = _cores_free(busy)
    small = flops_per_example is not None and flops_per_example < SMALL_MODEL_FLOPS
    return ThreadChoice(1 if small else free, cores, busy, small)


def free_cores(window_s: float = 0.3) -> int:
    """Cores (this process' share, torch's thread count) that other processes leave free, from a
    fresh look of `window_s` seconds: for work about to start side by side, not for the next
    training (`choose_threads` follows what the machine did since its last choice)."""
    global _last
    _last = None
    return _cores_free(busy_cores_elsewhere(window_s))[1]


def _cores_free(busy: float) -> tuple[int, int]:
    """(this process' cores, those of them that `busy` cores used elsewhere leave free)."""
    import torch

    cores = max(1, torch.get_num_threads())
    return cores, max(1, min(cores, round(cores - busy)))


def auto_threads() -> int:
    """Threads for work of unknown size: the cores other processes leave free now."""
    return choose_threads().threads


def resolve_device(device: str) -> torch.device:
    """`auto` is CUDA when present, else CPU."""
    import torch

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)

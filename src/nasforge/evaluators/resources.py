"""The threads and device a training runs on. How many cores other processes keep busy is read
from /proc (Linux), so that two CPU jobs on one machine do not oversubscribe its cores."""

from __future__ import annotations

import os
import time
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


def busy_cores_elsewhere(window_s: float = 0.1) -> float:
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


def free_cores(cores: int) -> int:
    """Of `cores`, how many other processes leave free (at least one)."""
    return max(1, min(cores, round(cores - busy_cores_elsewhere())))


def auto_threads() -> int:
    """Threads for training: this process's share of the cores (all of them in a serial search,
    `cores // workers` in a pool) less the cores that other processes keep busy right now.

    The thread count changes floating-point summation order, so results are reproducible given
    the seed *and* the thread count: `TrainingEvaluator` decides once per process and
    `nasforge search` stores the count it chose with the study.
    """
    import torch

    return free_cores(max(1, torch.get_num_threads()))


def resolve_device(device: str) -> torch.device:
    """`auto` is CUDA when present, else CPU."""
    import torch

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)

"""The process pool's stop: its workers are killed (found through public APIs) and it runs on."""

from __future__ import annotations

import os
import time
from concurrent.futures import CancelledError
from concurrent.futures.process import BrokenProcessPool

import pytest

from nasforge import ProcessExecutor


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as handle:  # a zombie is not running
        return handle.read().rsplit(")", 1)[1].split()[0] != "Z"


def test_stop_kills_a_busy_worker_at_once_and_the_pool_runs_new_calls() -> None:
    with ProcessExecutor(1, threads=1) as pool:
        pid = pool.submit(os.getpid).result(timeout=60)
        busy = pool.submit(time.sleep, 60)
        started = time.monotonic()
        pool.stop()
        while _alive(pid) and time.monotonic() - started < 10:
            time.sleep(0.05)
        assert not _alive(pid) and time.monotonic() - started < 10
        with pytest.raises((BrokenProcessPool, CancelledError)):  # failed with the worker, or never began
            busy.result(timeout=30)
        assert pool.submit(sum, [1, 2]).result(timeout=60) == 3

"""The process pool: stop, kill, dead and silent workers, each failing its own call alone."""

from __future__ import annotations

import os
import time

import pytest

from nasforge import ProcessExecutor
from nasforge.execution.worker_pool import CallStopped, WorkerDied


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
        with pytest.raises(CallStopped, match="the pool was stopped"):
            busy.result(timeout=30)
        assert pool.submit(sum, [1, 2]).result(timeout=60) == 3


def test_a_dying_worker_fails_only_its_own_call_and_is_replaced() -> None:
    with ProcessExecutor(2, threads=1) as pool:
        slow = pool.submit(time.sleep, 1.0)
        doomed = pool.submit(os._exit, 7)
        with pytest.raises(WorkerDied, match="exited with code 7"):
            doomed.result(timeout=60)
        assert slow.result(timeout=60) is None  # its neighbour finished undisturbed
        assert pool.submit(sum, [1, 2]).result(timeout=60) == 3


def test_kill_ends_one_call_and_leaves_the_other_running() -> None:
    with ProcessExecutor(2, threads=1) as pool:
        stuck, other = pool.submit(time.sleep, 60), pool.submit(time.sleep, 1.0)
        time.sleep(0.3)
        pool.kill(stuck)
        with pytest.raises(CallStopped, match="killed by the driver"):
            stuck.result(timeout=10)
        assert other.result(timeout=60) is None

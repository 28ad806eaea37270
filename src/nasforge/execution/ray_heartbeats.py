"""Heartbeats for Ray tasks: each task tells a small actor, pinned to the driver's node, that it
is alive every second; the driver asks the actor which running tasks went silent (a frozen or
stopped worker, which Ray's own health checks do not notice while its node is up)."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

HEARTBEAT_S = 1.0


class Heartbeats:
    """The time of each task's last heartbeat, on the actor's own clock (made a Ray actor)."""

    def __init__(self) -> None:
        self._last: dict[str, float] = {}
        self._where: dict[str, tuple[str, int]] = {}  # task -> (node id, worker pid)

    def beat(self, task: str, node: str, pid: int) -> None:
        self._last[task], self._where[task] = time.monotonic(), (node, pid)

    def silent(self, tasks: list[str], after_s: float) -> dict[str, tuple[str, int]]:
        """The node and worker pid of each of `tasks` silent for more than `after_s` seconds
        (tasks that have not started are left out)."""
        now = time.monotonic()
        return {t: self._where[t] for t in tasks if t in self._last and now - self._last[t] > after_s}

    def forget(self, task: str) -> None:
        self._last.pop(task, None)
        self._where.pop(task, None)


def call_beating(
    beats: Any, task: str, threads: int, fn: Callable[..., Any], *args: Any, **kwargs: Any
) -> Any:
    """Run `fn` in a Ray worker with torch on `threads` threads, beating until it returns."""
    import ray
    import torch

    torch.set_num_threads(threads)
    done = threading.Event()
    node, pid = ray.get_runtime_context().get_node_id(), os.getpid()

    def beat() -> None:
        while not done.is_set():
            beats.beat.remote(task, node, pid)
            done.wait(HEARTBEAT_S)

    ray.get(beats.beat.remote(task, node, pid))  # the first beat arrives before the call starts
    threading.Thread(target=beat, daemon=True, name="nasforge-heartbeat").start()
    try:
        return fn(*args, **kwargs)
    finally:
        done.set()
        beats.forget.remote(task)


def kill_worker(pid: int) -> None:
    """SIGKILL a worker process of this node (a stopped process answers no cancel request)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)

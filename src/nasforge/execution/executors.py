"""Executors with the `concurrent.futures` shape: serial (in-process), a process pool and Ray
(`nasforge.execution.ray_executor`), chosen by `make_executor`."""

from __future__ import annotations

import concurrent.futures as cf
import concurrent.futures.process as cfp
import ctypes
import multiprocessing as mp
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any, Literal, Protocol, get_args

from nasforge.errors import InvalidArgumentError
from nasforge.validation import check_choice, check_int

PR_SET_PDEATHSIG = 1  # linux/prctl.h
ExecutorName = Literal["auto", "serial", "process", "ray"]
EXECUTORS: tuple[str, ...] = get_args(ExecutorName)


class Executor(Protocol):
    """What `Study.optimize` needs: `submit` returning a Future, a worker count, `stop` (end the
    running calls now, for Ctrl-C) and `shutdown`."""

    max_workers: int

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]: ...

    def stop(self) -> None: ...

    def shutdown(self, wait: bool = True) -> None: ...


class SerialExecutor:
    """Runs each call at once, in this process; the returned Future is already done.

    Example:
        >>> SerialExecutor().submit(sum, [1, 2]).result()
        3
    """

    max_workers = 1

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        future: cf.Future[Any] = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def stop(self) -> None:
        """Nothing runs in the background."""

    def shutdown(self, wait: bool = True) -> None:
        """Nothing to release."""


class ProcessExecutor:
    """A process pool; evaluators are pickled to the workers.

    Each worker gives torch `threads` threads (default: `cores // workers`, at least one), so
    that parallel trainings do not oversubscribe the machine. Workers ignore Ctrl-C (the driver
    stops them) and die with the process that started them, even when it is killed with SIGKILL.
    When a worker dies, the calls it was running fail with `BrokenProcessPool` and the next
    `submit` starts a fresh pool.

    Example:
        >>> with ProcessExecutor(2) as pool:
        ...     pool.submit(sum, [1, 2]).result()
        3
    """

    def __init__(self, max_workers: int = 2, *, threads: int | None = None) -> None:
        self.max_workers = check_int("workers", max_workers, minimum=1)
        share = max(1, (os.cpu_count() or 1) // self.max_workers)
        self.threads = share if threads is None else check_int("threads", threads, minimum=1)
        self._started: mp.SimpleQueue[int] = mp.SimpleQueue()  # each worker's pid, as it starts
        self._workers: set[int] = set()
        self._pool = self._new_pool()

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(
            self.max_workers, initializer=_init_worker, initargs=(self.threads, self._started)
        )

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        try:
            return self._pool.submit(fn, *args, **kwargs)
        except cfp.BrokenProcessPool:  # a worker died: its calls have failed, start afresh
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            return self._pool.submit(fn, *args, **kwargs)

    def stop(self) -> None:
        """Cancel queued calls and kill the workers (their trials stay RUNNING, to be resumed)."""
        while not self._started.empty():
            self._workers.add(self._started.get())
        workers = [p for p in mp.active_children() if p.pid in self._workers]
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in workers:
            process.kill()
        self._workers -= {p.pid for p in workers if p.pid is not None}
        self._pool = self._new_pool()

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait)

    def __enter__(self) -> ProcessExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


def _init_worker(threads: int, started: mp.SimpleQueue[int]) -> None:
    started.put(os.getpid())
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    import torch  # imported here: evaluators that never train do not pay for it up front

    torch.set_num_threads(threads)


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when its parent dies; elsewhere, watch the parent instead."""
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) == 0 and os.getppid() == parent:
            return
    except (OSError, AttributeError):
        pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="nasforge-parent-watch").start()


def make_executor(
    workers: int | None = 1,
    kind: str = "auto",
    *,
    ray_address: str | None = None,
    cpus_per_trial: float | None = None,
    gpus_per_trial: float = 0.0,
) -> Executor:
    """The executor of `kind`: `auto` is serial for one worker and a process pool for more;
    `ray` runs trials on a Ray cluster (a local one without `ray_address`) and, without
    `workers`, as many at once as the cluster has CPUs for (`cpus_per_trial` each, default 1).

    Example:
        >>> make_executor(1).max_workers
        1
    """
    check_choice("executor", kind, EXECUTORS)
    if workers is not None:
        check_int("workers", workers, minimum=1)
    if cpus_per_trial is not None and not cpus_per_trial > 0:
        raise InvalidArgumentError(f"cpus_per_trial must be > 0, got {cpus_per_trial}")
    if not gpus_per_trial >= 0:
        raise InvalidArgumentError(f"gpus_per_trial must be >= 0, got {gpus_per_trial}")
    if kind != "ray" and (ray_address is not None or gpus_per_trial):
        given = "ray_address" if ray_address is not None else "gpus_per_trial"
        raise InvalidArgumentError(f"{given} needs the ray executor, got executor={kind!r}")
    if kind == "ray":
        from nasforge.execution.ray_executor import RayExecutor

        return RayExecutor(
            ray_address, workers=workers, cpus_per_trial=cpus_per_trial or 1.0, gpus_per_trial=gpus_per_trial
        )
    threads = None if cpus_per_trial is None else max(1, int(cpus_per_trial))
    if kind == "process" or (kind == "auto" and (workers or 1) > 1):
        return ProcessExecutor(workers or 1, threads=threads)
    return SerialExecutor()

"""Executors with the `concurrent.futures` shape: serial (in-process) and a process pool."""

from __future__ import annotations

import concurrent.futures as cf
import ctypes
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from nasforge.validation import check_int

PR_SET_PDEATHSIG = 1  # linux/prctl.h


class Executor(Protocol):
    """What `Study.optimize` needs: `submit` returning a Future, a worker count, `shutdown`."""

    max_workers: int

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]: ...

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
        except BaseException as exc:
            future.set_exception(exc)
        return future

    def shutdown(self, wait: bool = True) -> None:
        """Nothing to release."""


class ProcessExecutor(cf.ProcessPoolExecutor):
    """A process pool; evaluators are pickled to the workers.

    The CPU cores are shared out: each worker gives torch `cores // workers` threads (at least
    one), so that parallel trainings do not oversubscribe the machine. Workers die with the
    process that started them, even when it is killed with SIGKILL.
    """

    def __init__(self, max_workers: int = 2) -> None:
        self.max_workers = check_int("workers", max_workers, minimum=1)
        threads = max(1, (os.cpu_count() or 1) // self.max_workers)
        super().__init__(max_workers=self.max_workers, initializer=_limit_threads, initargs=(threads,))


def _limit_threads(threads: int) -> None:
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


def make_executor(workers: int = 1) -> Executor:
    """Serial for one worker, a process pool for more."""
    check_int("workers", workers, minimum=1)
    return SerialExecutor() if workers == 1 else ProcessExecutor(workers)

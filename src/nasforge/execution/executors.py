"""Executors with the `concurrent.futures` shape: serial (in-process), a process pool
(`nasforge.execution.worker_pool`) and Ray (`nasforge.execution.ray_executor`), chosen by
`make_executor`."""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Callable
from typing import Any, Literal, Protocol, get_args

from nasforge.errors import InvalidArgumentError
from nasforge.execution.worker_pool import ProcessExecutor
from nasforge.extras import require_extra
from nasforge.validation import check_choice, check_int

ExecutorName = Literal["auto", "serial", "process", "ray"]
EXECUTORS: tuple[str, ...] = get_args(ExecutorName)
__all__ = ["EXECUTORS", "Executor", "ExecutorName", "ProcessExecutor", "SerialExecutor", "make_executor"]


class Executor(Protocol):
    """What `Study.optimize` needs: `submit` returning a Future, a worker count, `kill` (end one
    running call now, its worker with it: a trial stuck past its time limit), `stop` (end the
    running calls now, for Ctrl-C) and `shutdown`."""

    max_workers: int

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]: ...

    def kill(self, future: cf.Future[Any]) -> None: ...

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

    def kill(self, future: cf.Future[Any]) -> None:
        """Nothing runs in the background: every returned Future is done."""

    def stop(self) -> None:
        """Nothing runs in the background."""

    def shutdown(self, wait: bool = True) -> None:
        """Nothing to release."""


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
        require_extra("ray", "the ray executor")
        from nasforge.execution.ray_executor import RayExecutor

        return RayExecutor(
            ray_address, workers=workers, cpus_per_trial=cpus_per_trial or 1.0, gpus_per_trial=gpus_per_trial
        )
    threads = None if cpus_per_trial is None else max(1, int(cpus_per_trial))
    if kind == "process" or (kind == "auto" and (workers or 1) > 1):
        return ProcessExecutor(workers or 1, threads=threads)
    return SerialExecutor()

"""`RayExecutor`: trials as Ray tasks, on a local Ray instance or an existing cluster."""

from __future__ import annotations

import concurrent.futures as cf
import logging
import socket
from collections.abc import Callable
from typing import Any

from nasforge.errors import InvalidArgumentError
from nasforge.validation import check_int

CONNECT_TIMEOUT_S = 5.0


class RayExecutor:
    """Runs each call as a Ray task needing `cpus_per_trial` CPUs and `gpus_per_trial` GPUs.

    Without `address` a local Ray instance is started (and stopped by `shutdown`); with one
    (`"auto"`, `"ray://host:10001"`, `"host:6379"`) the existing cluster is joined, whose nodes
    need nasforge installed. Torch in each task uses `cpus_per_trial` threads. Ray's own task
    retries are off: a task whose worker dies fails, and the study decides whether to retry it.

    Example:
        >>> executor = RayExecutor(cpus_per_trial=1)  # doctest: +SKIP
        >>> executor.submit(sum, [1, 2]).result()  # doctest: +SKIP
        3
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        workers: int | None = None,
        cpus_per_trial: float = 1.0,
        gpus_per_trial: float = 0.0,
    ) -> None:
        try:
            import ray
        except ImportError:
            raise InvalidArgumentError(
                "executor 'ray' needs Ray installed: pip install 'ray>=2.40'"
            ) from None
        self._ray = ray
        self._started = not ray.is_initialized()
        if self._started and address is not None:
            _check_reachable(address)
        if self._started:
            try:
                ray.init(
                    address=address,
                    include_dashboard=False,
                    log_to_driver=False,
                    logging_level=logging.WARNING,
                )
            except ConnectionError as exc:
                raise InvalidArgumentError(f"ray_address {address!r}: cannot connect ({exc})") from None
        resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
        cpus, gpus = float(resources.get("CPU", 1.0)), float(resources.get("GPU", 0.0))
        if cpus_per_trial > cpus or gpus_per_trial > gpus:
            self.shutdown()
            raise InvalidArgumentError(
                f"each trial asks for {cpus_per_trial:g} CPUs and {gpus_per_trial:g} GPUs; "
                f"the Ray cluster has {cpus:g} CPUs and {gpus:g} GPUs"
            )
        capacity = max(1, int(cpus // cpus_per_trial))
        self.max_workers = capacity if workers is None else check_int("workers", workers, minimum=1)
        self.threads = max(1, int(cpus_per_trial))
        self._task = ray.remote(_call_with_threads).options(
            num_cpus=cpus_per_trial, num_gpus=gpus_per_trial, max_retries=0
        )
        self._running: dict[cf.Future[Any], Any] = {}

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        ref = self._task.remote(self.threads, fn, *args, **kwargs)
        future: cf.Future[Any] = ref.future()
        self._running[future] = ref
        future.add_done_callback(lambda f: self._running.pop(f, None))
        return future

    def kill(self, future: cf.Future[Any]) -> None:
        """Cancel the task of `future`, killing its worker."""
        ref = self._running.get(future)
        if ref is not None:
            self._ray.cancel(ref, force=True)

    def stop(self) -> None:
        """Cancel every running task, killing its worker."""
        for ref in list(self._running.values()):
            self._ray.cancel(ref, force=True)

    def shutdown(self, wait: bool = True) -> None:
        """Stop the local Ray instance this executor started (a joined cluster is left alone)."""
        if self._started and self._ray.is_initialized():
            self._ray.shutdown()


def _check_reachable(address: str) -> None:
    """Refuse at once a `host:port` address nothing listens on (Ray itself retries for minutes)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return  # "auto" and other forms are Ray's to resolve
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise InvalidArgumentError(
            f"ray_address {address!r}: nothing answers at {host}:{port} ({exc.strerror or exc}); "
            "give the address of a running Ray head (ray start --head), or none for a local instance"
        ) from None


def _call_with_threads(threads: int, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    import torch

    torch.set_num_threads(threads)
    return fn(*args, **kwargs)

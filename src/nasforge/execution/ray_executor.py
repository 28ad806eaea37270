"""`RayExecutor`: trials as Ray tasks, on a local Ray instance or an existing cluster."""

from __future__ import annotations

import concurrent.futures as cf
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nasforge.errors import InvalidArgumentError
from nasforge.execution.ray_heartbeats import HEARTBEAT_S, Heartbeats, call_beating, kill_worker
from nasforge.execution.worker_pool import SILENT_AFTER_S, CallStopped, WorkerSilent
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
        silent_after_s: float = SILENT_AFTER_S,
    ) -> None:
        try:
            import ray
        except ImportError:
            raise InvalidArgumentError(
                "executor 'ray' needs Ray installed: pip install 'ray>=2.40'"
            ) from None
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        self._ray = ray
        self._closed = threading.Event()
        self._started = not ray.is_initialized()
        if self._started and address is not None:
            _check_reachable(address)
            _token_for_this_machine(address)
        if self._started:
            try:
                ray.init(
                    address=address,
                    include_dashboard=False,
                    log_to_driver=False,
                    logging_level=logging.WARNING,
                )
            except ConnectionError as exc:
                raise InvalidArgumentError(
                    f"ray_address {address!r}: cannot connect ({exc}); {_auth_hint()}"
                ) from None
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
        self._task = ray.remote(call_beating).options(
            num_cpus=cpus_per_trial, num_gpus=gpus_per_trial, max_retries=0
        )
        self._on_node = NodeAffinitySchedulingStrategy
        here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)
        self._beats = ray.remote(Heartbeats).options(num_cpus=0, scheduling_strategy=here).remote()
        self._kill_worker = ray.remote(kill_worker)
        self.silent_after_s = silent_after_s
        self._running: dict[cf.Future[Any], tuple[Any, str]] = {}  # future -> (Ray ref, task id)
        threading.Thread(target=self._watch, daemon=True, name="nasforge-ray-watch").start()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        task = uuid.uuid4().hex
        ref = self._task.remote(self._beats, task, self.threads, fn, *args, **kwargs)
        future: cf.Future[Any] = cf.Future()
        future.set_running_or_notify_cancel()
        self._running[future] = (ref, task)
        ref.future().add_done_callback(lambda done: _settle(future, done))
        future.add_done_callback(lambda f: self._running.pop(f, None))
        return future

    def kill(self, future: cf.Future[Any]) -> None:
        """Cancel the task of `future`, killing its worker."""
        if future in self._running:
            self._ray.cancel(self._running[future][0], force=True)

    def stop(self) -> None:
        """Cancel every running task, killing its worker."""
        for ref, _ in list(self._running.values()):
            self._ray.cancel(ref, force=True)

    def shutdown(self, wait: bool = True) -> None:
        """Stop the local Ray instance this executor started (a joined cluster is left alone)."""
        self._closed.set()
        if self._started and self._ray.is_initialized():
            self._ray.shutdown()

    def _watch(self) -> None:
        """Kill the tasks whose heartbeats stopped (their worker frozen), failing them with `WorkerSilent`."""
        while not self._closed.wait(HEARTBEAT_S) and self._ray.is_initialized():  # never re-starts Ray
            running = dict(self._running)
            tasks = [task for _, task in running.values()]
            try:
                asked = self._beats.silent.remote(tasks, self.silent_after_s)  # type: ignore[attr-defined]
                silent: dict[str, tuple[str, int]] = self._ray.get(asked, timeout=10)
            except Exception:  # the cluster is going away, or busy: look again next time
                continue
            for future, (ref, task) in running.items():
                if task in silent and not future.done():
                    node, pid = silent[task]
                    there = self._on_node(node, soft=False)
                    self._kill_worker.options(num_cpus=0, scheduling_strategy=there).remote(pid)
                    self._ray.cancel(ref, force=True)
                    future.set_exception(
                        WorkerSilent(f"its Ray worker sent no heartbeat for {self.silent_after_s:g} s")
                    )


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


def _token_for_this_machine(address: str) -> None:
    """Use this machine's Ray token for a cluster on this machine, as Ray does for "auto".

    Since Ray 2.52 `ray start --head` turns token authentication on and writes the token to
    ~/.ray/auth_token; Ray's client sends it only with RAY_AUTH_MODE=token, which it sets by itself
    for `address="auto"` but never for an explicit address. For a head on this machine (same
    user, same token file) nasforge does the same as "auto"; a token is never sent to another
    machine unless the user sets RAY_AUTH_MODE=token.
    """
    host = address.removeprefix("ray://").rpartition(":")[0]
    if "RAY_AUTH_MODE" in os.environ or not host or not _is_this_machine(host):
        return
    token_file = Path(os.environ.get("RAY_AUTH_TOKEN_PATH", Path.home() / ".ray" / "auth_token"))
    if os.environ.get("RAY_AUTH_TOKEN") or token_file.is_file():
        os.environ["RAY_AUTH_MODE"] = "token"
        try:  # Ray reads its configuration once, on import: refresh it as its own "auto" path does
            from ray._raylet import Config  # type: ignore[attr-defined]

            Config.initialize("")
        except (ImportError, AttributeError):
            pass


def _is_this_machine(host: str) -> bool:
    """True when `host` is an address of this machine (it can be bound to)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((host, 0))
        return True
    except OSError:
        return False


def _auth_hint() -> str:
    """What to check when Ray refused to connect: most often the cluster's token."""
    if os.environ.get("RAY_AUTH_MODE") == "token":
        return (
            "if the cluster refused the token: give the head's token (its ~/.ray/auth_token) in "
            "RAY_AUTH_TOKEN or RAY_AUTH_TOKEN_PATH, or ~/.ray/auth_token here"
        )
    return (
        "a cluster with token authentication (Ray's default for `ray start --head` since 2.52) needs "
        "RAY_AUTH_MODE=token here and its token (RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token); "
        "one started with RAY_AUTH_MODE=disabled needs nothing"
    )


def _settle(future: cf.Future[Any], done: cf.Future[Any]) -> None:
    """Give `future` the outcome of the Ray task's own future, unless it was already failed."""
    if future.done():
        return
    if done.cancelled():
        future.set_exception(CallStopped("the Ray task was cancelled"))
    elif (error := done.exception()) is not None:
        future.set_exception(error)
    else:
        future.set_result(done.result())

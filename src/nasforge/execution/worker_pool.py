"""`ProcessExecutor`: worker processes that run one call each at a time, watched by the driver.

Each worker has its own pipe, so the driver always knows which call a worker runs: a worker
that dies fails that call alone (named, with its exit code or signal), a worker that stops
sending heartbeats (frozen, stopped, stuck holding the GIL) is killed and its call failed, and
one call can be killed on its own (`kill`, for a trial stuck past its time limit in C code,
where no signal reaches it). A dead or killed worker is replaced; the others never notice.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import ctypes
import multiprocessing as mp
import multiprocessing.connection as mpc
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nasforge.validation import check_int

PR_SET_PDEATHSIG = 1  # linux/prctl.h
HEARTBEAT_S = 1.0  # a worker says it is alive this often
SILENT_AFTER_S = 30.0  # a busy worker not heard from for this long is killed, its call failed
POLL_S = 0.25  # how often the driver looks at its workers when nothing arrives


class WorkerDied(RuntimeError):
    """The worker process running the call died (crash, out of memory, killed)."""


class WorkerSilent(RuntimeError):
    """The worker running the call stopped sending heartbeats and was killed."""


class CallStopped(RuntimeError):
    """The call was ended by the driver (`kill`, `stop`) before it finished."""


@dataclass
class _Worker:
    process: Any  # multiprocessing.Process (its context's type)
    conn: mpc.Connection
    future: cf.Future[Any] | None = None
    heard: float = field(default_factory=time.monotonic)


class ProcessExecutor:
    """A pool of `max_workers` processes; calls (and their arguments) are pickled to the workers.

    Each worker gives torch `threads` threads (default: `cores // workers`, at least one), so
    that parallel trainings do not oversubscribe the machine. Workers ignore Ctrl-C (the driver
    stops them) and die with the process that started them, even when it is killed with SIGKILL.
    A busy worker silent for `silent_after_s` seconds (no heartbeat; one is sent every second)
    is killed and its call fails with `WorkerSilent`; a worker that dies fails its own call with
    `WorkerDied`. Either way a fresh worker takes its place.

    Example:
        >>> with ProcessExecutor(2) as pool:
        ...     pool.submit(sum, [1, 2]).result()
        3
    """

    def __init__(
        self, max_workers: int = 2, *, threads: int | None = None, silent_after_s: float = SILENT_AFTER_S
    ) -> None:
        self.max_workers = check_int("workers", max_workers, minimum=1)
        share = max(1, (os.cpu_count() or 1) // self.max_workers)
        self.threads = share if threads is None else check_int("threads", threads, minimum=1)
        self.silent_after_s = silent_after_s
        self._lock = threading.RLock()
        self._workers: list[_Worker] = []
        self._queue: deque[tuple[cf.Future[Any], tuple[Any, ...]]] = deque()
        self._closed = False
        self._watcher: threading.Thread | None = None

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        future: cf.Future[Any] = cf.Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot submit to a ProcessExecutor that was shut down")
            while len(self._workers) < self.max_workers:
                self._workers.append(self._start_worker())
            self._queue.append((future, (fn, args, kwargs)))
            self._dispatch()
            if self._watcher is None or not self._watcher.is_alive():
                self._watcher = threading.Thread(target=self._watch, daemon=True, name="nasforge-pool")
                self._watcher.start()
        return future

    def kill(self, future: cf.Future[Any]) -> None:
        """End the call of `future` now: its worker is killed (and replaced), the call fails."""
        with self._lock:
            for worker in self._workers:
                if worker.future is future:
                    self._retire(worker, CallStopped("the call was killed by the driver"))

    def stop(self) -> None:
        """Cancel queued calls and kill every worker (their trials stay RUNNING, to be resumed)."""
        with self._lock:
            for future, _ in self._queue:
                future.cancel()
            self._queue.clear()
            for worker in list(self._workers):
                self._retire(worker, CallStopped("the pool was stopped"), replace=False)

    def shutdown(self, wait: bool = True) -> None:
        """Let running calls finish (`wait`) or kill them, then end the workers."""
        with self._lock:
            self._closed = True
            if not wait:
                self.stop()
        if wait:
            while any(w.future is not None for w in self._workers) or self._queue:
                time.sleep(POLL_S / 5)
        with self._lock:
            for worker in self._workers:
                with contextlib.suppress(OSError):
                    worker.conn.send(
                        None
                    )  # "exit": end-of-file alone may not come, as siblings share the pipe
                worker.conn.close()
            for worker in self._workers:
                worker.process.join(timeout=5)
                if worker.process.is_alive():
                    worker.process.kill()
            self._workers.clear()

    def __enter__(self) -> ProcessExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # -- driver side ---------------------------------------------------------------------------

    def _start_worker(self) -> _Worker:
        ours, theirs = mp.Pipe()
        process = mp.Process(target=_serve, args=(theirs, self.threads), daemon=True, name="nasforge-worker")
        process.start()
        theirs.close()
        return _Worker(process, ours)

    def _dispatch(self) -> None:
        """Hand queued calls to idle workers (lock held)."""
        for worker in self._workers:
            if not self._queue:
                return
            if worker.future is not None:
                continue
            future, call = self._queue.popleft()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                worker.conn.send(call)
            except Exception as exc:  # the call or its arguments cannot be pickled
                future.set_exception(exc)
                continue
            worker.future, worker.heard = future, time.monotonic()

    def _retire(self, worker: _Worker, error: Exception, *, replace: bool = True) -> None:
        """Kill `worker`, fail its call with `error`, and start another in its place (lock held)."""
        worker.process.kill()
        worker.process.join(timeout=5)
        worker.conn.close()
        if worker.future is not None and not worker.future.done():
            worker.future.set_exception(error)
        self._workers.remove(worker)
        if replace and not self._closed:
            self._workers.append(self._start_worker())
            self._dispatch()

    def _watch(self) -> None:
        """Read results and heartbeats, notice dead and silent workers, until the pool closes."""
        while True:
            with self._lock:
                if self._closed and not self._workers:
                    return
                watched = {w.conn: w for w in self._workers} | {w.process.sentinel: w for w in self._workers}
            ready = mpc.wait(list(watched), timeout=POLL_S)
            with self._lock:
                for handle in ready:
                    worker = watched[handle]
                    if worker in self._workers:
                        self._hear(worker)
                now = time.monotonic()
                for worker in list(self._workers):
                    if worker.future is not None and now - worker.heard > self.silent_after_s:
                        pid = worker.process.pid
                        self._retire(
                            worker,
                            WorkerSilent(f"worker pid {pid} sent no heartbeat for {self.silent_after_s:g} s"),
                        )

    def _hear(self, worker: _Worker) -> None:
        """Take what `worker` sent (a heartbeat or its call's outcome), or notice it died (lock held)."""
        try:
            while worker.conn.poll():
                message = worker.conn.recv()
                worker.heard = time.monotonic()
                if message[0] == "done" and worker.future is not None:
                    future, worker.future = worker.future, None
                    _, ok, value = message
                    future.set_result(value) if ok else future.set_exception(value)
        except (EOFError, OSError):
            pass
        except Exception as exc:  # an outcome that cannot be unpickled here
            if worker.future is not None:
                worker.future.set_exception(RuntimeError(f"the call's outcome cannot be read: {exc}"))
                worker.future = None
        if not worker.process.is_alive():
            self._retire(worker, WorkerDied(f"worker pid {worker.process.pid} {_death(worker.process)}"))
        else:
            self._dispatch()


def _death(process: Any) -> str:
    """How a worker process ended: 'was killed by SIGKILL', 'exited with code 3'."""
    process.join(timeout=1)
    code = process.exitcode
    if code is not None and code < 0:
        return f"was killed by {signal.Signals(-code).name}"
    return f"exited with code {code}"


# -- worker side -------------------------------------------------------------------------------


def _serve(conn: mpc.Connection, threads: int) -> None:
    """A worker: run each call received, send its outcome back, and a heartbeat every second."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    import torch  # imported here: evaluators that never train do not pay for it up front

    torch.set_num_threads(threads)
    sending = threading.Lock()

    def send(message: tuple[Any, ...]) -> None:
        with sending:
            conn.send(message)

    def beat() -> None:
        while True:
            time.sleep(HEARTBEAT_S)
            try:
                send(("beat",))
            except OSError:
                os._exit(0)  # the driver is gone

    threading.Thread(target=beat, daemon=True, name="nasforge-heartbeat").start()
    while True:
        try:
            call = conn.recv()
        except (EOFError, OSError):
            return
        if call is None:  # the pool is shutting down
            return
        fn, args, kwargs = call
        try:
            outcome: tuple[Any, ...] = ("done", True, fn(*args, **kwargs))
        except Exception as exc:
            outcome = ("done", False, exc)
        try:
            send(outcome)
        except Exception as exc:  # an outcome that cannot be pickled
            send(("done", False, RuntimeError(f"the call's outcome cannot be sent back: {exc}")))


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

"""Adaptive micro-batching: requests that wait together run as one batch.

A server that runs every request on its own pays the per-call overhead of the model once per
request; under concurrent load, `MicroBatcher` takes every request waiting in its queue (up to
`max_batch` examples) and runs them as one batch in a worker thread, handing each caller its own
rows back. It never waits for company that is not there: a request that finds the batcher idle
and no other arriving runs at once (in a worker thread, so that the event loop goes on answering
health and metrics requests), so a lone client waits for nobody; only when several
arrive together does it linger up to `max_delay_s` for more (while the model runs, the next batch
gathers by itself).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import numpy as np

Predict = Callable[[np.ndarray], np.ndarray]


class MicroBatcher:
    """Runs `predict` over batches gathered from concurrent `submit` calls (one asyncio loop)."""

    def __init__(
        self,
        predict: Predict,
        *,
        max_batch: int,
        max_delay_s: float,
        on_batch: Callable[[int], object] | None = None,
    ) -> None:
        self.predict, self.max_batch, self.max_delay_s = predict, max_batch, max_delay_s
        self.on_batch = on_batch  # told the number of examples of every batch run
        self.queue: asyncio.Queue[tuple[np.ndarray, asyncio.Future[np.ndarray]]] | None = None
        self.worker: asyncio.Task[None] | None = None
        self.arrivals = 0  # requests submitted so far
        self.computing = False  # a batch is running in the worker thread

    def _idle(self) -> bool:
        return not self.computing and (self.queue is None or self.queue.empty())

    async def submit(self, batch: np.ndarray) -> np.ndarray:
        """The rows of `predict` for `batch`, computed together with other waiting requests.

        A request that finds the batcher idle yields to the event loop once; if no other request
        arrived meanwhile, it runs at once in a worker thread, as it would without micro-batching
        (no queue): a lone client pays one loop turn, and the loop is never blocked."""
        self.arrivals += 1
        if self._idle():
            seen = self.arrivals
            await asyncio.sleep(0)
            if self.arrivals == seen and self._idle():
                if self.on_batch is not None:
                    self.on_batch(len(batch))
                return await asyncio.get_running_loop().run_in_executor(None, self.predict, batch)
        if self.queue is None or self.worker is None or self.worker.done():
            self.queue = asyncio.Queue()
            self.worker = asyncio.create_task(self._run())
        future: asyncio.Future[np.ndarray] = asyncio.get_running_loop().create_future()
        await self.queue.put((batch, future))
        return await future

    async def _run(self) -> None:
        assert self.queue is not None
        loop = asyncio.get_running_loop()
        carried = None  # a request that did not fit the last batch: it starts the next one
        while True:
            waiting = [carried if carried is not None else await self.queue.get()]
            carried, rows = None, len(waiting[0][0])
            deadline = time.monotonic() + self.max_delay_s
            while rows < self.max_batch:
                item = await self._next(together=len(waiting) > 1, deadline=deadline)
                if item is None:
                    break
                if rows + len(item[0]) > self.max_batch:
                    carried = item
                    break
                waiting.append(item)
                rows += len(item[0])
            await self._compute(loop, waiting)

    async def _next(
        self, *, together: bool, deadline: float
    ) -> tuple[np.ndarray, asyncio.Future[np.ndarray]] | None:
        """A waiting request; when none waits, one more only if requests are arriving together
        (and the deadline allows), else None: a lone request runs at once."""
        assert self.queue is not None
        if not self.queue.empty():
            return self.queue.get_nowait()
        if not together or time.monotonic() >= deadline:
            return None
        try:
            return await asyncio.wait_for(self.queue.get(), deadline - time.monotonic())
        except TimeoutError:
            return None

    async def _compute(
        self, loop: asyncio.AbstractEventLoop, waiting: list[tuple[np.ndarray, asyncio.Future[np.ndarray]]]
    ) -> None:
        try:
            inputs = np.concatenate([batch for batch, _ in waiting])
            if self.on_batch is not None:
                self.on_batch(len(inputs))
            self.computing = True
            try:
                outputs = await loop.run_in_executor(None, self.predict, inputs)
            finally:
                self.computing = False
        except Exception as exc:  # every caller of this batch gets the error; the batcher goes on
            for _, future in waiting:
                if not future.done():
                    future.set_exception(exc)
            return
        start = 0
        for batch, future in waiting:
            if not future.done():
                future.set_result(outputs[start : start + len(batch)])
            start += len(batch)

"""Adaptive micro-batching: requests that arrive within a short window run as one batch.

A server that runs every request on its own pays the per-call overhead of the model once per
request; under concurrent load, `MicroBatcher` gathers the requests waiting in its queue (up to
`max_batch` examples, waiting at most `max_delay_s` after the first one), runs them as one
batch in a worker thread and hands each caller its own rows back. Under light load a request
waits at most `max_delay_s`.
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

    async def submit(self, batch: np.ndarray) -> np.ndarray:
        """The rows of `predict` for `batch`, computed together with other waiting requests."""
        if self.queue is None or self.worker is None or self.worker.done():
            self.queue = asyncio.Queue()
            self.worker = asyncio.create_task(self._run())
        future: asyncio.Future[np.ndarray] = asyncio.get_running_loop().create_future()
        await self.queue.put((batch, future))
        return await future

    async def _run(self) -> None:
        assert self.queue is not None
        loop = asyncio.get_running_loop()
        while True:
            waiting = [await self.queue.get()]
            rows = len(waiting[0][0])
            deadline = time.monotonic() + self.max_delay_s
            while rows < self.max_batch:
                try:
                    item = await asyncio.wait_for(self.queue.get(), max(0.0, deadline - time.monotonic()))
                except TimeoutError:
                    break
                if rows + len(item[0]) > self.max_batch:
                    await self._compute(loop, waiting)  # this one starts the next batch
                    waiting, rows, deadline = [], 0, time.monotonic() + self.max_delay_s
                waiting.append(item)
                rows += len(item[0])
            await self._compute(loop, waiting)

    async def _compute(
        self, loop: asyncio.AbstractEventLoop, waiting: list[tuple[np.ndarray, asyncio.Future[np.ndarray]]]
    ) -> None:
        try:
            inputs = np.concatenate([batch for batch, _ in waiting])
            if self.on_batch is not None:
                self.on_batch(len(inputs))
            outputs = await loop.run_in_executor(None, self.predict, inputs)
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

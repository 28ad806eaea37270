"""Micro-batching: every caller gets its own rows, and a failing batch fails its callers only."""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
import pytest

from nasforge.deploy.batching import MicroBatcher


def test_concurrent_requests_share_a_batch_and_get_their_own_rows() -> None:
    sizes: list[int] = []
    batcher = MicroBatcher(lambda x: x * 2, max_batch=8, max_delay_s=0.05, on_batch=sizes.append)

    async def main() -> list[np.ndarray]:
        return await asyncio.gather(*(batcher.submit(np.full((1, 2), float(i))) for i in range(4)))

    outputs = asyncio.run(main())
    assert [o.tolist() for o in outputs] == [[[2.0 * i, 2.0 * i]] for i in range(4)]
    assert sum(sizes) == 4 and len(sizes) < 4


def test_a_batch_callback_that_raises_fails_its_callers_and_the_batcher_goes_on() -> None:
    calls = 0

    def on_batch(rows: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("metrics backend down")

    batcher = MicroBatcher(lambda x: x + 1, max_batch=4, max_delay_s=0.01, on_batch=on_batch)

    async def main() -> np.ndarray:
        with pytest.raises(RuntimeError, match="metrics backend down"):
            await asyncio.wait_for(batcher.submit(np.zeros((1, 1))), timeout=5)  # never hangs
        return await asyncio.wait_for(batcher.submit(np.zeros((1, 1))), timeout=5)

    assert asyncio.run(main()).tolist() == [[1.0]]


def test_a_lone_request_never_waits_for_company() -> None:
    """At concurrency 1 micro-batching costs nothing: even with a 1 s window, no request waits,
    and each runs at once, in a worker thread (the event loop goes on meanwhile)."""
    sizes: list[int] = []
    threads: set[int] = set()

    def predict(x: np.ndarray) -> np.ndarray:
        threads.add(threading.get_ident())
        time.sleep(0.05)  # a model that takes a while
        return x

    batcher = MicroBatcher(predict, max_batch=64, max_delay_s=1.0, on_batch=sizes.append)

    async def one_after_another() -> tuple[float, int]:
        ticks = 0

        async def heartbeat() -> None:  # what a health check needs: the loop's attention
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.005)

        beating = asyncio.create_task(heartbeat())
        start = time.perf_counter()
        for i in range(5):
            assert (await batcher.submit(np.full((1, 1), float(i)))).tolist() == [[float(i)]]
        beating.cancel()
        return time.perf_counter() - start, ticks

    elapsed, ticks = asyncio.run(one_after_another())
    assert elapsed < 0.75  # 5 x 50 ms of model, no waiting for company
    assert ticks >= 20  # the loop kept answering while the model ran
    assert sizes == [1] * 5 and threading.get_ident() not in threads

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
    and each runs in place, in the event loop's thread (no hand-off to a worker thread)."""
    sizes: list[int] = []
    threads: set[int] = set()

    def predict(x: np.ndarray) -> np.ndarray:
        threads.add(threading.get_ident())
        return x

    batcher = MicroBatcher(predict, max_batch=64, max_delay_s=1.0, on_batch=sizes.append)

    async def one_after_another() -> float:
        start = time.perf_counter()
        for i in range(5):
            assert (await batcher.submit(np.full((1, 1), float(i)))).tolist() == [[float(i)]]
        return time.perf_counter() - start

    assert asyncio.run(one_after_another()) < 0.5
    assert sizes == [1] * 5 and threads == {threading.get_ident()}

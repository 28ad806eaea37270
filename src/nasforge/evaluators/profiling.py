"""Efficiency of a built model: parameters, FLOPs, size, inference latency, activation memory."""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Callable, Iterator

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def size_bytes(model: nn.Module) -> int:
    """Bytes of every parameter and buffer (what a saved state dict holds)."""
    tensors = [*model.parameters(), *model.buffers()]
    return sum(t.numel() * t.element_size() for t in tensors)


def flops(model: nn.Module, sample: torch.Tensor) -> int:
    """FLOPs of one forward pass on one example (`torch.utils.flop_counter`)."""
    model.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(sample[:1])
    return int(counter.get_total_flops())


def activation_bytes(model: nn.Module, sample: torch.Tensor) -> int:
    """Bytes of every module output in one forward pass on one example: the inference working set."""
    total = 0

    def hook(_m: nn.Module, _i: object, out: object) -> None:
        nonlocal total
        if isinstance(out, torch.Tensor):
            total += out.numel() * out.element_size()

    leaves = [m for m in model.modules() if not list(m.children())]
    handles = [m.register_forward_hook(hook) for m in leaves]
    try:
        model.eval()
        with torch.no_grad():
            model(sample[:1])
    finally:
        for h in handles:
            h.remove()
    return total


@contextlib.contextmanager
def torch_threads(threads: int) -> Iterator[None]:
    """Run with `threads` intra-op threads, restoring the previous count after."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def timed_ms(run: Callable[[], object], *, warmup: int = 3, repeats: int = 20) -> list[float]:
    """Milliseconds of each timed call of `run`, after `warmup` untimed calls."""
    times = []
    for i in range(warmup + repeats):
        start = time.perf_counter()
        run()
        if i >= warmup:
            times.append((time.perf_counter() - start) * 1e3)
    return times


def latency(model: nn.Module, batch: torch.Tensor, *, warmup: int = 3, repeats: int = 20) -> list[float]:
    """Milliseconds of each timed forward pass on `batch`, after `warmup` untimed passes."""
    model.eval()

    def forward() -> None:
        model(batch)
        if batch.is_cuda:
            torch.cuda.synchronize()

    with torch.no_grad():
        return timed_ms(forward, warmup=warmup, repeats=repeats)


def latency_summary(times_ms: list[float], batch_size: int) -> dict[str, float]:
    """Median and p95 per batch, and the median per example."""
    ordered = sorted(times_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    median = statistics.median(ordered)
    return {
        "latency_batch_ms": median,
        "latency_batch_p95_ms": p95,
        "latency_sample_ms": median / batch_size,
        "latency_sample_p95_ms": p95 / batch_size,
    }

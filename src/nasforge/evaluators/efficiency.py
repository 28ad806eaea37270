"""What running a trained model costs: size, FLOPs, memory and inference latency, with units."""

from __future__ import annotations

import resource

import torch

from nasforge.evaluators import profiling as prof

TIMING_BATCH = 64
LATENCY_THREADS = 1  # one thread: latencies comparable between trials, even on a busy machine
EFFICIENCY = {  # metric -> unit
    "params": "",
    "flops": "FLOPs",
    "size_bytes": "bytes",
    "activation_bytes": "bytes",
    "latency_batch_ms": "ms",
    "latency_batch_p95_ms": "ms",
    "latency_sample_ms": "ms",
    "latency_sample_p95_ms": "ms",
    "peak_rss_mb": "MB",
    "peak_cuda_mb": "MB",
    "train_seconds": "s",
}


def measure_efficiency(
    model: torch.nn.Module, x: torch.Tensor, timings: dict[str, list[float]]
) -> dict[str, float]:
    """Latency per batch and per example of `x[:TIMING_BATCH]` (every timed call kept in
    `timings["inference_ms"]`), FLOPs, size, activation memory and peak memory."""
    batch = x[:TIMING_BATCH]
    with prof.torch_threads(LATENCY_THREADS):
        times = prof.latency(model, batch, warmup=5, repeats=30)
    timings["inference_ms"] = times
    out = prof.latency_summary(times, len(batch))
    out.update(
        latency_threads=LATENCY_THREADS,
        flops=prof.flops(model, x),
        size_bytes=prof.size_bytes(model),
        activation_bytes=prof.activation_bytes(model, x),
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )
    if x.is_cuda:
        out["peak_cuda_mb"] = torch.cuda.max_memory_allocated(x.device) / 2**20
    return out

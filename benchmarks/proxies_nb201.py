"""Zero-cost proxies on NAS-Bench-201 against the published figures, their speed, and the warm-up.

1. Rank correlation with the table's CIFAR-10 `test` (and `valid`) over a seeded sample of cells,
   built as the benchmark's networks (C=16, N=5, 3x32x32, 10 classes): the data-free proxies on
   `--sample` cells, the whole set on `--full-sample` cells (its batch: `--data`).
   Published (Abdelfattah et al., ICLR 2021, Table 1, all 15,625 cells): synflow 0.737,
   jacob_cov 0.731, snip 0.596, grad_norm 0.594, grasp 0.514, fisher 0.360, vote 0.817.
2. Speed: proxies per second, against one training epoch of the same network on 10,000 images
   (timed on 1,000 images and scaled by 10).
3. Zero-cost warm-up on the table: regularized evolution and local search, 50 queries, 100 runs,
   with and without a synflow warm-up over 3,000 random candidates. synflow of every cell is
   computed once (two processes) and shipped with the package
   (src/nasforge/evaluators/tables/nb201_cifar10_synflow.csv.gz).

    python benchmarks/proxies_nb201.py [--sample 1000] [--full-sample 100] [--data gaussian]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch
from torch import nn

from nasforge import NB201Space, Study, TabularEvaluator, Task
from nasforge.analysis.proxies_nb201 import score_nb201
from nasforge.evaluators.proxies import PROXIES, ProxyBatch, make_batch
from nasforge.evaluators.table import SHIPPED_PROXY_SCORES, load_table
from nasforge.strategies.warmup import zero_cost_warmup

RESULTS = Path(__file__).parent / "results"
CACHE = SHIPPED_PROXY_SCORES["synflow"]
PUBLISHED = {
    "synflow": 0.737,
    "jacob_cov": 0.731,
    "snip": 0.596,
    "grad_norm": 0.594,
    "grasp": 0.514,
    "fisher": 0.360,
    "vote": 0.817,
}
DATA_FREE = ("params", "flops", "synflow")
FULL = (*PROXIES, "vote", "mean_rank")
TASK = Task((3, 32, 32), 10)


def correlation_table(title: str, sample: int, proxies: tuple[str, ...], data: str, seed: int) -> list[str]:
    result = score_nb201(sample, proxies, seed=seed, data=data)
    lines = [
        f"### {title}: {len(result.archs)} cells, batch: {result.data}",
        "",
        "| proxy | ρ test | τ test | ρ valid | published ρ test | s / arch |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, c in result.correlations().items():
        published = f"{PUBLISHED[name]:.3f}" if name in PUBLISHED else "-"
        lines.append(
            f"| {name} | {c['spearman_test']:.3f} | {c['kendall_test']:.3f} | {c['spearman_valid']:.3f} "
            f"| {published} | {c['sec_per_arch']:.3f} |"
        )
    return [*lines, ""]


def epoch_seconds(arch: str, images: int = 1000, batch_size: int = 64) -> float:
    """Seconds of one SGD epoch of the benchmark network over `images` random images."""
    space = NB201Space()
    torch.manual_seed(0)
    model = space.build(space.parse(arch), TASK)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, y = torch.randn(images, *TASK.input_shape), torch.randint(10, (images,))
    start = time.perf_counter()
    for i in range(0, images, batch_size):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x[i : i + batch_size]), y[i : i + batch_size]).backward()
        optimizer.step()
    return time.perf_counter() - start


def speed_lines(data: str, seed: int) -> list[str]:
    table = load_table()
    space = NB201Space()
    archs = [table.archs[i] for i in np.random.default_rng(seed).choice(len(table.archs), 5, replace=False)]
    batch = make_batch(data, TASK, 64, seed)
    per_proxy: dict[str, list[float]] = {n: [] for n in PROXIES}
    for arch in archs:
        for name, fn in PROXIES.items():
            torch.manual_seed(seed)
            model = space.build(space.parse(arch), TASK)
            start = time.perf_counter()
            fn(model, batch)
            per_proxy[name].append(time.perf_counter() - start)
    synflow_s = statistics.fmean(per_proxy["synflow"])
    whole_s = sum(statistics.fmean(v) for v in per_proxy.values())
    epoch_s = statistics.fmean(epoch_seconds(a) for a in archs[:2]) * 10
    return [
        "### Speed (2 CPU cores, 5 cells)",
        "",
        f"- synflow: {1 / synflow_s:.1f} proxies/s ({synflow_s:.3f} s per architecture)",
        f"- all {len(PROXIES)} proxies: {1 / whole_s:.2f} architectures/s ({whole_s:.2f} s per architecture)",
        f"- one training epoch of the same network on 10,000 images: {epoch_s:.1f} s",
        f"- epoch / whole proxy set: {epoch_s / whole_s:.0f}x; "
        f"epoch / synflow: {epoch_s / synflow_s:.0f}x (target >= 10x)",
        "",
    ]


def _synflow_of(arch: str) -> float:
    torch.set_num_threads(1)
    space = NB201Space()
    torch.manual_seed(0)
    batch = ProxyBatch(torch.zeros(1, *TASK.input_shape), torch.zeros(1, dtype=torch.long), 10)
    return PROXIES["synflow"](space.build(space.parse(arch), TASK), batch)


def synflow_cache() -> dict[str, float]:
    """synflow of every cell of the table, computed once and cached."""
    if CACHE.is_file():
        with gzip.open(CACHE, "rt") as handle:
            return {row["arch"]: float(row["synflow"]) for row in csv.DictReader(handle)}
    archs = list(load_table().archs)
    with ProcessPoolExecutor(2) as pool:
        values = list(pool.map(_synflow_of, archs, chunksize=64))
    RESULTS.mkdir(exist_ok=True)
    with gzip.open(CACHE, "wt", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["arch", "synflow"])
        writer.writerows(zip(archs, values, strict=True))
    return dict(zip(archs, values, strict=True))


def warmup_lines(runs: int, budget: int, candidates: int) -> list[str]:
    synflow = synflow_cache()
    space, evaluator = NB201Space(), TabularEvaluator()
    lines = [
        f"### Zero-cost warm-up: {budget} queries, {runs} runs, synflow over {candidates:,} candidates",
        "",
        "| strategy | no warm-up | with warm-up |",
        "|---|---:|---:|",
    ]
    for strategy, keep in (("evolution", 20), ("local", 10)):
        means = []
        for warm in (False, True):
            tests = []
            for run in range(runs):
                start = None
                if warm:
                    start = zero_cost_warmup(
                        space,
                        lambda g: synflow[space.format(g)],
                        candidates=candidates,
                        keep=keep,
                        seed=10_000 + run,
                    )
                study = Study.create(space, strategy, seed=run, warm_start=start)
                study.optimize(evaluator, budget)
                assert study.best_trial is not None
                tests.append(study.best_trial.metrics["test"])
            means.append(f"{statistics.fmean(tests):.2f} ± {statistics.pstdev(tests):.2f}")
        lines.append(f"| {strategy} | {means[0]} | {means[1]} |")
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=1000, help="cells for the data-free proxies")
    parser.add_argument("--full-sample", type=int, default=100, help="cells for the whole proxy set")
    parser.add_argument("--data", default="gaussian", help="batch of the data-dependent proxies")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip", nargs="*", default=[], choices=("data-free", "full", "speed", "warmup"))
    args = parser.parse_args()
    lines = ["# Zero-cost proxies on NAS-Bench-201 (CIFAR-10 networks, C=16, N=5)", ""]
    parts = {
        "data-free": lambda: correlation_table(
            "Data-free proxies", args.sample, DATA_FREE, args.data, args.seed
        ),
        "full": lambda: correlation_table("All proxies", args.full_sample, FULL, args.data, args.seed),
        "speed": lambda: speed_lines(args.data, args.seed),
        "warmup": lambda: warmup_lines(args.runs, 50, 3000),
    }
    for name, part in parts.items():
        if name not in args.skip:
            start = time.perf_counter()
            lines += part()
            print("\n".join(lines[-12:]), f"\n({name}: {time.perf_counter() - start:.0f} s)", flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "proxies_nb201.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

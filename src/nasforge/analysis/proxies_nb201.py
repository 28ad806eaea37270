"""Zero-cost proxies on NAS-Bench-201 cells against the table's accuracies."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nasforge.analysis.correlation import rank_correlations
from nasforge.evaluators.proxies import ENSEMBLES, PROXIES, check_proxies, compute_proxies, make_batch
from nasforge.evaluators.proxies.ensembles import VOTE_MEMBERS
from nasforge.evaluators.seeding import torch_seeded
from nasforge.evaluators.table import DEFAULT_TABLE, load_table
from nasforge.spaces.nb201.space import NB201Space
from nasforge.task import Task
from nasforge.validation import check_int

CIFAR_TASK_SHAPE = (3, 32, 32)


@dataclass
class ProxyScores:
    """Scores of each proxy on each sampled architecture, with the table's accuracies."""

    archs: list[str]
    scores: dict[str, np.ndarray]
    seconds: dict[str, float]  # mean seconds per architecture
    test: np.ndarray
    valid: np.ndarray
    data: str

    def correlations(self) -> dict[str, dict[str, float]]:
        """Spearman ρ and Kendall τ of each proxy against `test` and `valid`, and its cost."""
        out = {}
        for name, values in self.scores.items():
            rho_test, tau_test = rank_correlations(values, self.test)
            rho_valid, tau_valid = rank_correlations(values, self.valid)
            out[name] = {
                "spearman_test": rho_test,
                "kendall_test": tau_test,
                "spearman_valid": rho_valid,
                "kendall_valid": tau_valid,
                "sec_per_arch": self.seconds.get(name, 0.0),
            }
        return out


def ensemble_members(names: tuple[str, ...]) -> tuple[str, ...]:
    """The proxies to compute for `names`: those asked for, plus the members of any ensemble
    (`vote`: synflow, jacob_cov, snip; `mean_rank`: the proxies asked for, else vote's)."""
    wanted = [n for n in names if n in PROXIES]
    if "vote" in names or ("mean_rank" in names and not wanted):
        wanted += VOTE_MEMBERS
    return tuple(dict.fromkeys(wanted))


def score_nb201(
    sample: int,
    proxies: tuple[str, ...],
    *,
    seed: int = 0,
    table: str | None = None,
    num_classes: int = 10,
    data: str = "gaussian",
    batch_size: int = 64,
    channels: int = 16,
    cells_per_stage: int = 5,
    on_arch: Callable[[int], None] | None = None,
) -> ProxyScores:
    """Build `sample` seeded NB201 cells as the benchmark's networks and score them.

    Ensembles (`vote`, `mean_rank`) are computed from their member proxies, which are scored too.
    """
    check_int("sample", sample, minimum=3)
    names = check_proxies(proxies)
    base = ensemble_members(names)
    rows = load_table(table or DEFAULT_TABLE)
    picks = np.random.default_rng(seed).choice(
        len(rows.archs), size=min(sample, len(rows.archs)), replace=False
    )
    space = NB201Space(channels=channels, cells_per_stage=cells_per_stage)
    task = Task(CIFAR_TASK_SHAPE, num_classes)
    batch = make_batch(data, task, batch_size, seed)
    scores = {n: np.zeros(len(picks)) for n in base}
    seconds = dict.fromkeys(base, 0.0)
    for i, row in enumerate(picks):
        with torch_seeded(seed):
            model = space.build(space.parse(rows.archs[row]), task)
            for name, (score, spent) in compute_proxies(model, batch, base).items():
                scores[name][i], seconds[name] = score, seconds[name] + spent
        if on_arch is not None:
            on_arch(i)
    for name in names:
        if name in ENSEMBLES:
            start = time.perf_counter()
            used = VOTE_MEMBERS if name == "vote" else base
            scores[name] = ENSEMBLES[name](scores, used)
            seconds[name] = sum(seconds[m] for m in used) + time.perf_counter() - start
    return ProxyScores(
        archs=[rows.archs[r] for r in picks],
        scores={n: scores[n] for n in names},
        seconds={n: seconds[n] / len(picks) for n in names},
        test=rows.columns["test"][picks],
        valid=rows.columns["valid"][picks],
        data=data,
    )

"""Zero-cost warm-up (Abdelfattah et al. 2021): score many random candidates cheaply, start from the best."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nasforge.genotype import Genotype
from nasforge.spaces.base import SearchSpace
from nasforge.validation import check_int


def zero_cost_warmup(
    space: SearchSpace,
    score: Callable[[Genotype], float],
    *,
    candidates: int = 3000,
    keep: int = 10,
    seed: int = 0,
    on_scored: Callable[[int], None] | None = None,
    allowed: Callable[[Genotype], bool] | None = None,
) -> list[Genotype]:
    """The `keep` best of `candidates` distinct random architectures by `score`, best first.

    Feed them to `Strategy.warm_start` (or `Study.create(warm_start=…)`). Non-finite scores rank
    last. `on_scored(i)` runs after each candidate is scored (for progress bars). With `allowed`,
    only architectures it accepts are candidates (e.g. those within the evaluator's size caps,
    which a size-loving proxy would otherwise pick and the evaluator then refuse).

    Example:
        >>> from nasforge.spaces import NB201Space
        >>> space = NB201Space()
        >>> best = zero_cost_warmup(space, lambda g: g.spec.count("nor_conv_3x3"), candidates=50, keep=2)
        >>> [g.spec.count("nor_conv_3x3") >= 3 for g in best]
        [True, True]
    """
    check_int("candidates", candidates, minimum=1)
    check_int("keep", keep, minimum=1)
    rng = np.random.default_rng(seed)
    pool: dict[str, Genotype] = {}
    refused: set[str] = set()
    for _ in range(candidates * 20):
        if len(pool) >= candidates:
            break
        genotype = space.sample(rng)
        key = space.key(genotype)
        if key in pool or key in refused:
            continue
        if allowed is None or allowed(genotype):
            pool[key] = genotype
        else:
            refused.add(key)
    scored = []
    for i, genotype in enumerate(pool.values()):
        scored.append((float(score(genotype)), i, genotype))
        if on_scored is not None:
            on_scored(i)
    scored.sort(key=lambda item: (-item[0] if np.isfinite(item[0]) else np.inf, item[1]))
    return [g for _, _, g in scored[:keep]]

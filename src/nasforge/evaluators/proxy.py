"""Proxy evaluation: judge an architecture by zero-cost proxies, without training it."""

from __future__ import annotations

import functools

from nasforge.evaluators.base import EvalOptions, Evaluator, Result
from nasforge.evaluators.proxies import (
    DATA_FREE,
    ProxyBatch,
    check_proxies,
    compute_proxies,
    make_batch,
)
from nasforge.evaluators.schema import MetricSpec, specs
from nasforge.evaluators.seeding import torch_seeded
from nasforge.genotype import Genotype
from nasforge.spaces.base import SearchSpace
from nasforge.task import Task
from nasforge.validation import check_int


@functools.lru_cache(maxsize=4)
def _batch(data: str | None, task: Task, size: int, seed: int, data_dir: str | None) -> ProxyBatch:
    return make_batch(data, task, size, seed, data_dir)


class ProxyEvaluator(Evaluator):
    """Builds each architecture, freshly initialised with `seed`, and scores it with proxies.

    Metrics: each proxy's score and `<proxy>_seconds`; the cost is the total time. The objective
    is the first proxy. A cheap evaluator for any strategy, or a pre-filter for a real one.

    Args:
        proxies: proxy names (see `nasforge.evaluators.proxies.PROXIES`).
        data: dataset for the batch of data-dependent proxies, or "gaussian" (noise).
        input_shape: input shape of the built networks (default: the NB201 CIFAR-10 shape).
        num_classes: classes of the built networks.
        batch_size: examples in the batch.
        seed: seeds the weights and the batch.

    Example:
        >>> from nasforge.spaces import NB201Space
        >>> space = NB201Space(channels=4, cells_per_stage=1)
        >>> g = space.make(["nor_conv_3x3"] * 6)
        >>> ProxyEvaluator(proxies=("synflow",)).evaluate(g, space).metrics["synflow"] > 0
        True
    """

    name = "proxy"

    def __init__(
        self,
        *,
        proxies: tuple[str, ...] = ("synflow",),
        data: str = "gaussian",
        data_dir: str | None = None,
        input_shape: tuple[int, ...] = (3, 32, 32),
        num_classes: int = 10,
        batch_size: int = 64,
        seed: int = 0,
    ) -> None:
        self.proxies = check_proxies(tuple(proxies), ensembles=False)
        self.data, self.data_dir = data, data_dir
        self.input_shape = tuple(input_shape)
        self.num_classes = check_int("num_classes", num_classes, minimum=2)
        self.batch_size = check_int("batch_size", batch_size, minimum=2)
        self.seed = check_int("seed", seed, minimum=0)
        self.task = Task(self.input_shape, self.num_classes)

    @property
    def objective(self) -> str:  # type: ignore[override]
        return self.proxies[0]

    @property
    def needs_data(self) -> bool:
        """True when some proxy looks at the batch."""
        return any(p not in DATA_FREE for p in self.proxies)

    def metric_schema(self) -> list[MetricSpec]:
        """Each proxy (higher is better) and its time in seconds."""
        return specs(self.proxies, "none", "maximize") + specs(
            [f"{n}_seconds" for n in self.proxies], "none", "minimize", "s"
        )

    def data_task(self) -> Task:
        return self.task

    def evaluate(
        self,
        genotype: Genotype,
        space: SearchSpace,
        fidelity: float | None = None,
        options: EvalOptions | None = None,
    ) -> Result:
        with torch_seeded(self.seed):
            model = space.build(genotype, self.task)
            batch = _batch(self.data, self.task, self.batch_size, self.seed, self.data_dir)
            scores = compute_proxies(model, batch, self.proxies)
        metrics = {name: score for name, (score, _) in scores.items()}
        metrics.update({f"{name}_seconds": seconds for name, (_, seconds) in scores.items()})
        return Result(metrics=metrics, cost_s=sum(seconds for _, seconds in scores.values()))

"""Single-path one-shot (SPOS): train one supernet on uniformly drawn paths, then score any
architecture of the space on it in a fraction of a second.

`SupernetEvaluator` trains the supernet on its first evaluation (as the training evaluator would
train one network, same data, recipe and augmentation) and then scores each architecture by
its path's validation accuracy, with BatchNorm statistics re-estimated for that path first. The
score is `supernet_valid_accuracy`, kept apart from trained `valid_accuracy`, so that
`analyze` can say how far the supernet's ranking can be trusted.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from nasforge.errors import InvalidArgumentError
from nasforge.evaluators import profiling as prof
from nasforge.evaluators.base import EvalOptions, Evaluator, Result
from nasforge.evaluators.resources import auto_threads
from nasforge.evaluators.schema import MetricSpec, specs
from nasforge.evaluators.trainer import Trainer, batches, loss_and_accuracy
from nasforge.evaluators.training import TrainingEvaluator
from nasforge.genotype import Genotype
from nasforge.spaces.base import SearchSpace
from nasforge.spaces.macro import MacroSpace
from nasforge.spaces.macro_supernet import BN_MOMENTUM, MacroSupernet
from nasforge.validation import check_int

SUPERNET_SPACES = ("macro",)


class UniformPaths(nn.Module):
    """The supernet as one model to train: every forward pass takes a path drawn uniformly."""

    def __init__(self, supernet: MacroSupernet, seed: int) -> None:
        super().__init__()
        self.supernet = supernet
        self.rng = np.random.default_rng(seed)

    def forward(self, x: Tensor) -> Tensor:
        return self.supernet(x, self.supernet.space.sample(self.rng))


class Path(nn.Module):
    """One path of the supernet as a model."""

    def __init__(self, supernet: MacroSupernet, genotype: Genotype) -> None:
        super().__init__()
        self.supernet, self.genotype = supernet, genotype

    def forward(self, x: Tensor) -> Tensor:
        return self.supernet(x, self.genotype)


def recalibrate(supernet: MacroSupernet, genotype: Genotype, x: Tensor, count: int, batch_size: int) -> None:
    """Re-estimate the BatchNorm statistics for one path: the mean over `count` training batches."""
    supernet.reset_statistics()
    supernet.train()
    try:
        with torch.no_grad():
            for i, (start, stop) in enumerate(batches(len(x), batch_size)[:count]):
                supernet.momentum = 1.0 / (i + 1)  # a running mean of the batches' statistics
                supernet(x[start:stop], genotype)
    finally:
        supernet.momentum = BN_MOMENTUM
        supernet.eval()


def check_supernet_space(space: SearchSpace) -> MacroSpace:
    """`space`, which has a supernet.

    Raises:
        InvalidArgumentError: the space has none.
    """
    if not isinstance(space, MacroSpace):
        raise InvalidArgumentError(
            f"space {space.name!r} has no supernet; one-shot search works on: {', '.join(SUPERNET_SPACES)}"
        )
    return space


def _with_training_parameters(init: Callable[..., None]) -> Callable[..., None]:
    """`init` whose signature lists the training evaluator's keyword-only parameters after its
    own, so that the registry checks, lists and documents them."""
    own = inspect.signature(init)
    keyword = inspect.Parameter.KEYWORD_ONLY
    training = [
        p for p in inspect.signature(TrainingEvaluator.__init__).parameters.values() if p.kind is keyword
    ]
    mine = [p for p in own.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    setattr(init, "__signature__", own.replace(parameters=mine + training))  # noqa: B010
    return init


class SupernetEvaluator(Evaluator):
    """Scores architectures on a supernet trained once with uniformly sampled single paths (SPOS).

    Takes the training evaluator's options (data, `epochs` of supernet training, batch size,
    learning rate, augmentation, seed…) plus `calibration_batches`, the training batches that
    re-estimate BatchNorm statistics for each path before it is scored.

    Example:
        >>> from nasforge.spaces import make_space
        >>> space = make_space({"name": "macro", "max_blocks": 2, "choices": {"channels": [8, 16]}})
        >>> ev = SupernetEvaluator(data="digits", epochs=1)
        >>> scored = ev.evaluate(space.sample(np.random.default_rng(0)), space)
        >>> 0.0 <= scored.metrics["supernet_valid_accuracy"] <= 1.0
        True
    """

    name = "supernet"
    objective = "supernet_valid_accuracy"

    @_with_training_parameters
    def __init__(self, *, calibration_batches: int = 10, **training: Any) -> None:
        self.calibration_batches = check_int("calibration_batches", calibration_batches, minimum=1)
        self.training = TrainingEvaluator(**training)
        self._trained: tuple[dict[str, Any], MacroSupernet] | None = None

    def config(self) -> dict[str, Any]:
        return {**self.training.config(), "name": self.name, "calibration_batches": self.calibration_batches}

    def metadata(self) -> dict[str, Any]:
        return self.training.metadata()

    def check(self, space: SearchSpace | None = None) -> None:
        self.training.check(space)
        if self.training.regression:
            raise InvalidArgumentError("the supernet evaluator scores classifiers; this data is a regression")
        if space is not None:
            check_supernet_space(space)

    def stand_alone(self) -> TrainingEvaluator:
        """The training evaluator with the same data and recipe: what retrains the winners."""
        return self.training

    def metric_schema(self) -> list[MetricSpec]:
        return (
            specs(["supernet_valid_accuracy"], "valid", "maximize")
            + specs(["supernet_valid_loss"], "valid", "minimize")
            + specs(["params"], "none", "minimize")
        )

    def supernet(self, space: SearchSpace) -> MacroSupernet:
        """The supernet of `space`, trained on first use (in this process)."""
        if self._trained is not None and self._trained[0] == space.config():
            return self._trained[1]
        data = self.training.dataset()
        config = self.training.train_config(space.sample(np.random.default_rng(0)), space, None)
        torch.manual_seed(config.seed)
        supernet = MacroSupernet(check_supernet_space(space), data.task)
        with prof.torch_threads(self.training.threads or auto_threads()):
            x, y = torch.from_numpy(data.train.x), torch.from_numpy(data.train.y)
            Trainer(UniformPaths(supernet, config.seed), config, len(y)).run(x, y)
        self._trained = (space.config(), supernet.eval())
        return supernet

    def evaluate(
        self,
        genotype: Genotype,
        space: SearchSpace,
        fidelity: float | None = None,
        options: EvalOptions | None = None,
    ) -> Result:
        del fidelity, options  # one supernet serves every fidelity; nothing is trained per trial
        space.validate(genotype)
        supernet = self.supernet(space)
        start = time.perf_counter()
        data = self.training.dataset()
        batch_size = self.training.batch_size or 128
        with prof.torch_threads(self.training.threads or auto_threads()):
            recalibrate(
                supernet, genotype, torch.from_numpy(data.train.x), self.calibration_batches, batch_size
            )
            valid_x, valid_y = torch.from_numpy(data.valid.x), torch.from_numpy(data.valid.y)
            loss, accuracy = loss_and_accuracy(Path(supernet, genotype), valid_x, valid_y)
        params = sum(p.numel() for p in supernet.extract(genotype).parameters())
        metrics = {"supernet_valid_accuracy": accuracy, "supernet_valid_loss": loss, "params": float(params)}
        return Result(metrics=metrics, cost_s=time.perf_counter() - start)

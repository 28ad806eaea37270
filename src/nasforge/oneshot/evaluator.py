"""Weight-sharing (one-shot) evaluation: train one supernet of the space, then score any
architecture of it in a fraction of a second.

`SupernetEvaluator` trains the supernet once, with the training evaluator's data, recipe and
augmentation: by uniformly drawn single paths (SPOS) or by DARTS (cell spaces). It then scores
each architecture by its path's validation accuracy, with BatchNorm statistics re-estimated for
that path first. The score is `supernet_valid_accuracy`, kept apart from trained
`valid_accuracy`, so that `analyze` can say how far the supernet's ranking can be trusted.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import time
from contextlib import nullcontext
from pathlib import Path as FilePath
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from nasforge.errors import InvalidArgumentError
from nasforge.evaluators import profiling as prof
from nasforge.evaluators.base import EvalOptions, Evaluator, Result
from nasforge.evaluators.resources import auto_threads
from nasforge.evaluators.schema import MetricSpec, specs
from nasforge.evaluators.seeding import torch_seeded
from nasforge.evaluators.trainer import TrainConfig, loss_and_accuracy
from nasforge.evaluators.training import TrainingEvaluator
from nasforge.genotype import Genotype
from nasforge.oneshot.cell_supernet import CellSupernet
from nasforge.oneshot.darts_training import ARCH_LEARNING_RATE, train_darts
from nasforge.oneshot.supernet_training import (
    SAMPLINGS,
    Path,
    SupernetEpochHook,
    recalibrate,
    train_supernet,
)
from nasforge.oneshot.supernets import (
    Single,
    SplitSupernet,
    Supernet,
    SupernetEnsemble,
    dropout_on,
    make_supernet,
    supernet_class,
)
from nasforge.spaces.base import SearchSpace
from nasforge.spaces.nb201.space import NB201Space
from nasforge.task import Task
from nasforge.validation import check_choice, check_float, check_int

METHODS = ("spos", "darts")


class SupernetEvaluator(Evaluator):
    """Scores architectures on a supernet trained once.

    Takes the training evaluator's options (data, `epochs` of supernet training, batch size,
    learning rate, augmentation, seed…) plus:
    `method`: "spos" trains with a uniformly drawn path per batch (any space with a supernet);
    "darts" learns architecture weights beside the network weights (cell spaces), and its
    derived cell is `derived(space)`. `arch_learning_rate`: DARTS' architecture step (see
    `darts_training`).
    `max_skip`: DARTS+'s early stop against collapse, at that many skip connections (0: off).
    `sampling`: SPOS' paths per training step, "uniform", "sandwich" (the largest and the
    smallest path each one step in four) or "fair" (every choice of every knob equally often);
    see `supernet_training.UniformPaths`. `supernets`: SPOS trains that many supernets, with
    seeds `seed`, `seed + 1`, …, and scores a path by their mean (`SupernetEnsemble`).
    `split`: few-shot supernets (`SplitSupernet`): after its `epochs`, the supernet is copied once
    per choice of this knob (a name of the space's features, e.g. "stage1.family"), and each copy
    trains `split_epochs` more on the paths with its choice alone; a path is scored on its copy.
    `score_dropout`: score each path with its own dropout on (fixed masks, BatchNorm in evaluation
    mode), so that paths that differ in dropout alone do not tie (`supernets.dropout_on`); false
    scores in evaluation mode, as studies of earlier releases did.
    `calibration_batches`: the training batches that re-estimate BatchNorm statistics for each
    path before it is scored. `candidate_epochs`: how long a candidate trains on its own (the
    stand-alone evaluator's epochs: a rerank before the final retraining uses them). With
    `train_candidates`, every candidate is also trained on its own that long, so its trained
    metrics (and `proxies`, if asked) stand beside its supernet score and `analyze` says how
    far the supernet's ranking can be trusted.

    Example:
        >>> import numpy as np
        >>> from nasforge.spaces import make_space
        >>> space = make_space({"name": "macro", "max_blocks": 2, "choices": {"channels": [8, 16]}})
        >>> ev = SupernetEvaluator(data="digits", epochs=1)
        >>> scored = ev.evaluate(space.sample(np.random.default_rng(0)), space)
        >>> 0.0 <= scored.metrics["supernet_valid_accuracy"] <= 1.0
        True
    """

    name = "supernet"
    objective = "supernet_valid_accuracy"

    def __init__(
        self,
        *,
        method: str = "spos",
        arch_learning_rate: float = ARCH_LEARNING_RATE,
        max_skip: int = 0,
        calibration_batches: int = 10,
        sampling: str = "uniform",
        supernets: int = 1,
        split: str = "",
        split_epochs: int = 50,
        score_dropout: bool = True,
        candidate_epochs: int = 5,
        train_candidates: bool = False,
        **training: Any,
    ) -> None:
        self.method = check_choice("method", method, METHODS)
        self.arch_learning_rate = check_float("arch_learning_rate", arch_learning_rate, minimum=0.0)
        self.max_skip = check_int("max_skip", max_skip, minimum=0)
        self.calibration_batches = check_int("calibration_batches", calibration_batches, minimum=1)
        self.sampling = check_choice("sampling", sampling, SAMPLINGS)
        self.supernets = check_int("supernets", supernets, minimum=1)
        if not isinstance(split, str):
            raise InvalidArgumentError(f'split must name a knob (a string, or "" for none); got {split!r}')
        self.split = split
        self.split_epochs = check_int("split_epochs", split_epochs, minimum=1)
        self.score_dropout = check_choice("score_dropout", score_dropout, (False, True))
        self.candidate_epochs = check_int("candidate_epochs", candidate_epochs, minimum=1)
        self.train_candidates = check_choice("train_candidates", train_candidates, (False, True))
        self.training = TrainingEvaluator.from_params(**training)
        self.weights: str | None = None  # trained supernet weights (safetensors), see `save`
        self._trained: tuple[dict[str, Any], Supernet] | None = None

    @classmethod
    def parameter_defaults(cls) -> dict[str, Any]:
        """Its own parameters, then the training evaluator's (flat), as the registry lists them."""
        keyword = inspect.Parameter.KEYWORD_ONLY
        own = {
            p.name: p.default
            for p in inspect.signature(cls.__init__).parameters.values()
            if p.kind is keyword
        }
        return {**own, **TrainingEvaluator.parameter_defaults()}

    def config(self) -> dict[str, Any]:
        own = {
            "method": self.method,
            "arch_learning_rate": self.arch_learning_rate,
            "max_skip": self.max_skip,
            "calibration_batches": self.calibration_batches,
            "sampling": self.sampling,
            "supernets": self.supernets,
            "split": self.split,
            "split_epochs": self.split_epochs,
            "score_dropout": self.score_dropout,
            "candidate_epochs": self.candidate_epochs,
            "train_candidates": self.train_candidates,
        }
        return {**self.training.config(), "name": self.name, **own}

    def __getstate__(self) -> dict[str, Any]:
        """What a worker receives: a supernet kept in a file is read there, not pickled."""
        state = dict(self.__dict__)
        if self.weights is not None:
            state["_trained"] = None
        return state

    def metadata(self) -> dict[str, Any]:
        return self.training.metadata()

    def data_task(self) -> Task:
        return self.training.data_task()

    def check(self, space: SearchSpace | None = None) -> None:
        if self.training.hardware.device == "cuda":
            raise InvalidArgumentError(
                "device 'cuda': the supernet evaluator trains and scores on the CPU; use device auto or cpu"
            )
        if self.method == "darts" and self.supernets > 1:
            raise InvalidArgumentError(
                f"supernets={self.supernets}: DARTS derives its cell from one supernet; use method 'spos' "
                "to average several, or supernets = 1"
            )
        if self.method == "darts" and self.split:
            raise InvalidArgumentError(
                f"split={self.split!r}: DARTS trains one supernet; use method 'spos' for few-shot supernets"
            )
        if self.method == "darts" and (
            self.training.recipe.precision != "float32" or self.training.recipe.mixup > 0
        ):
            raise InvalidArgumentError(
                f"DARTS trains in float32 without mixup; got precision={self.training.recipe.precision!r}, "
                f"mixup={self.training.recipe.mixup}: leave them at their defaults, or use method 'spos'"
            )
        self.training.check(space)
        if self.training.regression:
            raise InvalidArgumentError("the supernet evaluator scores classifiers; this data is a regression")
        if space is not None:
            supernet_class(space)  # refuses a space without one
            if self.split and self.split not in (always := _knobs_of_every_path(space)):
                raise InvalidArgumentError(
                    f"split must name a knob every architecture of the {space.name} space has: one of "
                    f"{', '.join(always)}; got {self.split!r}"
                )
            if self.method == "darts" and not isinstance(space, NB201Space):
                raise InvalidArgumentError(
                    f"DARTS mixes every option of a choice, which needs them all to give one shape: it "
                    f"works on the nb201 space; space {space.name!r} has options that change shapes "
                    "(stride, pooling, depth, block family): use method 'spos' there"
                )

    def stand_alone(self) -> TrainingEvaluator:
        """The training evaluator with the same data and recipe, for `candidate_epochs`: what
        reranks and retrains the winners."""
        return self.training.with_recipe(epochs=self.candidate_epochs)

    def metric_schema(self) -> list[MetricSpec]:
        own = specs(["supernet_valid_accuracy"], "valid", "maximize") + specs(
            ["supernet_valid_loss"], "valid", "minimize"
        )
        if self.train_candidates:
            return own + self.training.metric_schema()
        return own + specs(["params", "flops"], "none", "minimize")

    def supernet(self, space: SearchSpace) -> Supernet:
        """The supernet of `space`: read from `weights` when set, else trained on first use (in
        this process)."""
        if self._trained is not None and self._trained[0] == space.config():
            return self._trained[1]
        if self.weights is not None:
            task = self.training.dataset().task
            supernet = self._ensemble(
                [self._split(space, make_supernet(space, task)) for _ in range(self.supernets)]
            )
            supernet.load_state_dict(load_file(self.weights))
        else:
            supernet = self.train(space)
        self._trained = (space.config(), supernet.eval())
        return supernet

    def train(
        self,
        space: SearchSpace,
        checkpoint: str | FilePath | None = None,
        on_epoch: SupernetEpochHook | None = None,
    ) -> Supernet:
        """Train the supernet of `space` (continuing from `checkpoint` when it exists, saving
        it after every epoch); `on_epoch` follows the epochs."""
        self.check(space)
        config = self.training.recipe_config()  # the evaluator's own: a supernet is no one genotype
        copies = len(space.feature_choices()[self.split]) if self.split else 0
        each = config.epochs + copies * self.split_epochs  # one member's epochs, its copies' included
        members: list[Single | SplitSupernet] = []
        for k in range(self.supernets):  # the first is the supernet a single one would be
            member = dataclasses.replace(config, seed=config.seed + k)
            path = None if checkpoint is None else _member_file(checkpoint, k)
            hook = _shifted(on_epoch, k * each, self.supernets * each)
            with (
                torch_seeded(member.seed),
                prof.torch_threads(self.training.hardware.threads or auto_threads()),
            ):
                members.append(self._train_member(space, member, path, hook))
        if checkpoint is not None:  # the caller removes the first once the weights are saved
            for k in range(self.supernets):
                if k:
                    _member_file(checkpoint, k).unlink(missing_ok=True)
                for c in range(copies):
                    _split_file(_member_file(checkpoint, k), c).unlink(missing_ok=True)
        return self._ensemble(members)

    def _train_member(
        self,
        space: SearchSpace,
        config: TrainConfig,
        path: FilePath | None,
        on_epoch: SupernetEpochHook | None,
    ) -> Single | SplitSupernet:
        """One supernet trained with `config`, and with `split` its few-shot copies, each trained
        on the paths of its choice (`path`: the checkpoint; each copy has one beside it)."""
        data = self.training.dataset()
        x, y = torch.from_numpy(data.train.x), torch.from_numpy(data.train.y)
        supernet = make_supernet(space, data.task)
        if isinstance(supernet, CellSupernet) and self.method == "darts":
            train_darts(supernet, x, y, config, path, on_epoch, self.arch_learning_rate, self.max_skip)
            return supernet
        train_supernet(supernet, x, y, config, path, on_epoch, self.sampling)
        if not self.split:
            return supernet
        shots: list[Single] = []
        for c, choice in enumerate(space.feature_choices()[self.split]):
            shot = copy.deepcopy(supernet)
            shot_path = None if path is None else _split_file(path, c)
            hook = _shifted(on_epoch, config.epochs + c * self.split_epochs)
            shot_config = dataclasses.replace(config, epochs=self.split_epochs)
            train_supernet(shot, x, y, shot_config, shot_path, hook, self.sampling, {self.split: choice})
            shots.append(shot)
        return SplitSupernet(shots, self.split)

    def _split(self, space: SearchSpace, supernet: Single) -> Single | SplitSupernet:
        """`supernet`, or with `split` its few-shot copies (untrained, to load weights into)."""
        if not self.split:
            return supernet
        copies = [copy.deepcopy(supernet) for _ in space.feature_choices()[self.split]]
        return SplitSupernet(copies, self.split)

    def _ensemble(self, members: list[Single | SplitSupernet]) -> Supernet:
        """The one supernet, or the ensemble of several."""
        return members[0] if len(members) == 1 else SupernetEnsemble(members)

    def derived(self, space: SearchSpace) -> list[Genotype]:
        """What the training itself chose: DARTS' derived cell (nothing for SPOS)."""
        supernet = self.supernet(space)
        return [supernet.derive()] if self.method == "darts" and isinstance(supernet, CellSupernet) else []

    def save(self, supernet: Supernet, path: str | FilePath) -> None:
        """Write `supernet`'s weights to `path` and score with them from now on (in every worker
        this evaluator is sent to)."""
        state = {k: v.detach().contiguous() for k, v in supernet.state_dict().items()}
        save_file(state, str(path))
        self.weights = str(path)

    def evaluate(
        self,
        genotype: Genotype,
        space: SearchSpace,
        fidelity: float | None = None,
        options: EvalOptions | None = None,
    ) -> Result:
        del fidelity  # one supernet serves every fidelity
        space.validate(genotype)
        trained = Result()
        if self.train_candidates:
            trained = self.training.evaluate(genotype, space, float(self.candidate_epochs), options)
            if trained.error is not None:
                return trained
        supernet = self.supernet(space)
        start = time.perf_counter()
        data = self.training.dataset()
        recipe = self.training.recipe_config()  # as it trained
        with prof.torch_threads(self.training.hardware.threads or auto_threads()):
            x = torch.from_numpy(data.train.x)
            recalibrate(supernet, genotype, x, self.calibration_batches, recipe.batch_size, recipe.seed)
            valid_x, valid_y = torch.from_numpy(data.valid.x), torch.from_numpy(data.valid.y)
            with torch_seeded(recipe.seed), dropout_on(supernet) if self.score_dropout else nullcontext():
                loss, accuracy = loss_and_accuracy(Path(supernet, genotype), valid_x, valid_y)
        metrics = {"supernet_valid_accuracy": accuracy, "supernet_valid_loss": loss}
        if "params" not in trained.metrics:  # measured by the candidate's own training otherwise
            network = space.build(genotype, data.task)
            metrics["params"] = float(prof.count_parameters(network))
            metrics["flops"] = float(prof.flops(network, x))
        cost = time.perf_counter() - start + trained.cost_s
        return Result({**trained.metrics, **metrics}, cost, trained.artifacts, pruned_at=trained.pruned_at)


def _knobs_of_every_path(space: SearchSpace, draws: int = 200) -> list[str]:
    """The knobs that `draws` architectures drawn from `space` all have (a block's knobs are
    absent where a chain is shorter, a family's own where the block is of another)."""
    rng = np.random.default_rng(0)
    drawn = [space.features(space.sample(rng)) for _ in range(draws)]
    return [k for k in space.feature_choices() if all(f.get(k) is not None for f in drawn)]


def _member_file(checkpoint: str | FilePath, k: int) -> FilePath:
    """The checkpoint of the `k`-th supernet: the file asked for, then `<name>-<k><suffix>`."""
    path = FilePath(checkpoint)
    return path if k == 0 else path.with_name(f"{path.stem}-{k}{path.suffix}")


def _split_file(member: FilePath, c: int) -> FilePath:
    """The checkpoint of a member's few-shot copy for its `c`-th choice."""
    return member.with_name(f"{member.stem}-split{c}{member.suffix}")


def _shifted(
    on_epoch: SupernetEpochHook | None, offset: int, total: int | None = None
) -> SupernetEpochHook | None:
    """`on_epoch` for one of several trainings run one after another: its epochs counted from
    `offset`, of `total` in all (None: the total it is given)."""
    if on_epoch is None:
        return on_epoch
    hook = on_epoch
    return lambda done, given, values: hook(offset + done, given if total is None else total, values)

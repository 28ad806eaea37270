"""First-order DARTS: architecture weights learn on one half of the training split, a killed run
continues to the same result, DARTS+'s early stop fires on skip connections, and a DARTS study
scores its derived cell first."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from nasforge import Study, make_space
from nasforge.errors import InvalidArgumentError
from nasforge.evaluators.trainer import TrainConfig
from nasforge.oneshot.cell_supernet import CellSupernet
from nasforge.oneshot.darts_training import train_darts
from nasforge.oneshot.evaluator import SupernetEvaluator
from nasforge.oneshot.workflow import prepare_supernet, supernet_curves
from nasforge.spaces.nb201.space import NB201Space
from nasforge.task import Task

SPACE = {"name": "nb201", "channels": 4, "cells_per_stage": 1}


def _digits() -> tuple[torch.Tensor, torch.Tensor, Task]:
    data = SupernetEvaluator(data="digits").training.dataset()
    return torch.from_numpy(data.train.x), torch.from_numpy(data.train.y), data.task


@pytest.mark.slow
def test_darts_moves_the_architecture_and_a_killed_run_continues_to_the_same_weights(tmp_path: Path) -> None:
    x, y, task = _digits()
    config = TrainConfig(epochs=3, batch_size=64, learning_rate=0.01, seed=4)
    space = NB201Space(channels=4, cells_per_stage=1)

    torch.manual_seed(0)
    whole = CellSupernet(space, task)
    start = whole.arch_logits.detach().clone()
    records: list[dict[str, float]] = []
    assert (
        train_darts(whole, x, y, config, on_epoch=lambda d, t, v: records.append(v), arch_learning_rate=3e-3)
        == 3
    )
    assert not torch.equal(whole.arch_logits, start), "the architecture step never moved the logits"
    last = records[-1]
    assert abs(sum(v for k, v in last.items() if k.startswith("alpha/1<-0/")) - 1.0) < 1e-6
    assert last["train_loss"] < records[1]["train_loss"] and 0 <= last["derived_skips"] <= 6

    class Killed(Exception):
        pass

    def die_after_two(done: int, total: int, values: dict[str, float]) -> None:
        if done == 2:
            raise Killed

    torch.manual_seed(0)
    broken = CellSupernet(space, task)
    checkpoint = tmp_path / "darts.safetensors"
    with pytest.raises(Killed):
        train_darts(broken, x, y, config, checkpoint, die_after_two, arch_learning_rate=3e-3)
    torch.manual_seed(0)
    continued = CellSupernet(space, task)
    assert train_darts(continued, x, y, config, checkpoint, arch_learning_rate=3e-3) == 3
    for (name, a), b in zip(whole.state_dict().items(), continued.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)


def test_the_early_stop_on_skip_connections_ends_darts_after_the_epoch_that_reaches_them() -> None:
    x, y, task = _digits()
    supernet = CellSupernet(NB201Space(channels=4, cells_per_stage=1), task)
    with torch.no_grad():
        supernet.arch_logits[:, 1] = 10.0  # skip connections everywhere, far ahead of the rest
    seen: list[tuple[int, int]] = []
    config = TrainConfig(epochs=5, batch_size=64, seed=0)
    epochs = train_darts(supernet, x, y, config, on_epoch=lambda d, t, v: seen.append((d, t)), max_skip=2)
    assert epochs == 1 and seen == [(0, 5), (1, 5), (1, 1)]


def test_a_darts_study_scores_the_derived_cell_first_and_keeps_the_architecture_weights(
    tmp_path: Path,
) -> None:
    evaluator = SupernetEvaluator(method="darts", data="digits", epochs=2, threads=1, learning_rate=0.01)
    study = Study.create(
        make_space(SPACE),
        "evolution",
        objective=evaluator.objective,
        path=tmp_path / "d.db",
        evaluator=evaluator,
    )
    assert prepare_supernet(study, evaluator)
    study.optimize(evaluator, 2)
    derived = evaluator.derived(study.space)
    assert len(derived) == 1 and study.trials[0].genotype == derived[0]
    curves = supernet_curves(study)
    assert len(curves["alpha/3<-2/skip_connect"]) == 2 and len(curves["derived_skips"]) == 2


def test_darts_on_a_space_whose_options_change_shapes_is_refused() -> None:
    evaluator = SupernetEvaluator(method="darts", data="digits", epochs=1)
    with pytest.raises(
        InvalidArgumentError, match=r"it works on the nb201 space; space 'macro'.*use method 'spos'"
    ):
        evaluator.check(make_space({"name": "macro", "max_blocks": 2}))
    with pytest.raises(InvalidArgumentError, match="method must be one of 'spos', 'darts'; got 'enas'"):
        SupernetEvaluator(method="enas")


def test_the_architecture_has_an_adam_of_its_own_and_only_its_gradient_is_computed() -> None:
    from nasforge.oneshot.darts_training import ARCH_BETAS, ARCH_WEIGHT_DECAY, DartsTrainer

    x, y, task = _digits()
    supernet = CellSupernet(NB201Space(channels=4, cells_per_stage=1), task)
    config = TrainConfig(epochs=1, batch_size=64, optimizer="sgd", learning_rate=0.05, seed=0)
    trainer = DartsTrainer(supernet, config, len(y), 3e-3)
    assert isinstance(trainer.weight_optimizer, torch.optim.SGD)  # the weights' optimizer, as asked
    arch = trainer.arch_optimizer
    assert isinstance(arch, torch.optim.Adam) and not isinstance(arch, torch.optim.AdamW)
    group = arch.param_groups[0]
    assert tuple(group["betas"]) == ARCH_BETAS and group["weight_decay"] == ARCH_WEIGHT_DECAY
    assert group["params"] == [supernet.arch_logits]
    seen: list[bool] = []
    original = torch.autograd.grad

    def watched(outputs, inputs, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(all(p.grad is None for p in trainer.weights))  # no weight gradient beforehand
        return original(outputs, inputs, *args, **kwargs)

    torch.autograd.grad = watched  # type: ignore[assignment]
    try:
        before = supernet.arch_logits.detach().clone()
        trainer.run_epoch((x[:64], y[:64]), (x[64:128], y[64:128]))
    finally:
        torch.autograd.grad = original
    assert seen == [True] and not torch.equal(before, supernet.arch_logits.detach())

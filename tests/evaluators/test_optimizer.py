"""The training's optimizer: Adam and AdamW run torch's fused kernel on CPU and take the same
steps as the loop over tensors did; a checkpoint of the loop continues under the fused kernel."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

from nasforge.data import load_dataset
from nasforge.evaluators.trainer import TrainConfig, Trainer, make_optimizer
from nasforge.spaces import make_space


def _network() -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """A network of the mlp space (BatchNorm, dropout) and a slice of the digits' training split."""
    data = load_dataset("digits")
    space = make_space("mlp")
    torch.manual_seed(0)
    model = space.build(space.sample(np.random.default_rng(0)), data.task)
    x, y = torch.from_numpy(data.train.x[:256]), torch.from_numpy(data.train.y[:256])
    return model, x, y


@pytest.mark.parametrize("optimizer", ["adamw", "adam"])
def test_adam_runs_fused_and_trains_to_the_loops_weights(optimizer: str) -> None:
    model, x, y = _network()
    config = TrainConfig(epochs=3, batch_size=32, optimizer=optimizer, seed=2)
    fused_model, loop_model = model, copy.deepcopy(model)
    fused = Trainer(fused_model, config, len(y))
    loop = Trainer(loop_model, config, len(y))
    loop.optimizer = make_optimizer(loop_model.parameters(), config, fused=False)
    loop.schedule = torch.optim.lr_scheduler.OneCycleLR(
        loop.optimizer, max_lr=config.learning_rate, total_steps=config.epochs * loop.steps_per_epoch
    )
    assert fused.optimizer.defaults["fused"] and not loop.optimizer.defaults["fused"]
    for trainer in (fused, loop):
        torch.manual_seed(4)  # the same dropout masks
        trainer.run(x, y)
    for a, b in zip(fused_model.state_dict().values(), loop_model.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_sgd_and_tensors_off_cpu_and_cuda_keep_the_loop() -> None:
    weight = nn.Parameter(torch.zeros(3))
    assert not make_optimizer([weight], TrainConfig(epochs=1, optimizer="sgd")).defaults.get("fused")
    meta = nn.Parameter(torch.zeros(3, device="meta"))
    assert not make_optimizer([meta], TrainConfig(epochs=1)).defaults["fused"]


def test_a_checkpoint_of_the_loop_continues_under_the_fused_kernel() -> None:
    model, x, y = _network()
    config = TrainConfig(epochs=1, batch_size=32, seed=3)
    loop = make_optimizer(model.parameters(), config, fused=False)
    torch.manual_seed(4)
    for start in range(0, 128, 32):
        loop.zero_grad()
        nn.functional.cross_entropy(model(x[start : start + 32]), y[start : start + 32]).backward()
        loop.step()
    saved = copy.deepcopy(loop.state_dict())
    twin = copy.deepcopy(model)
    resumed = make_optimizer(twin.parameters(), config)
    resumed.load_state_dict(saved)
    for net, optimizer in ((model, loop), (twin, resumed)):
        torch.manual_seed(5)  # the same dropout masks
        optimizer.zero_grad()
        nn.functional.cross_entropy(net(x[128:160]), y[128:160]).backward()
        optimizer.step()
    for a, b in zip(model.parameters(), twin.parameters(), strict=True):
        torch.testing.assert_close(a, b)

"""First-order DARTS (Liu et al., 2019) on a cell supernet: architecture logits and network
weights learned alternately on the two halves of the training split.

Each step takes a batch of the second half and moves the architecture logits (an Adam optimizer
of their own, whatever the weights' optimizer is: betas 0.5/0.999 and weight decay 1e-3 as the
paper; only their gradient is computed; learning rate 3e-3, ten times the paper's 3e-4,
which was sized for ~20k steps where small data gives a few thousand), then a batch of the
first half and moves the weights (the evaluator's optimizer and learning rate, cosine-annealed,
gradients clipped at norm 5). The cell is derived at the end: the strongest operation of each
edge.

DARTS is known to drift toward parameter-free operations (skip connections, pooling) as it
trains; `max_skip` is DARTS+'s remedy (Liang et al., 2019): stop as soon as the derived cell
holds that many skip connections.
"""

from __future__ import annotations

import math
from pathlib import Path as FilePath

import torch
from torch import Tensor, nn

from nasforge.evaluators.augment import augment
from nasforge.evaluators.checkpoint import Optimizers, load_checkpoint, save_checkpoint
from nasforge.evaluators.trainer import DivergedError, ScheduledRun, TrainConfig, batches, make_optimizer
from nasforge.oneshot.cell_supernet import CellSupernet
from nasforge.oneshot.supernet_training import SupernetEpochHook
from nasforge.spaces.nb201.space import EDGES, OPS

ARCH_LEARNING_RATE, ARCH_BETAS, ARCH_WEIGHT_DECAY = 3e-3, (0.5, 0.999), 1e-3
GRADIENT_CLIP = 5.0
PARAMETER_FREE = ("skip_connect", "avg_pool_3x3")


class DartsTrainer(ScheduledRun):
    """Alternating architecture and weight steps on `supernet`; resumable like `Trainer`
    (`model`, `optimizer`, `generator`, `epoch`, `fast_forward`)."""

    def __init__(
        self, supernet: CellSupernet, config: TrainConfig, n_train: int, arch_learning_rate: float
    ) -> None:
        self.supernet, self.config = supernet, config
        self.model: nn.Module = supernet  # what a checkpoint saves
        self.weights = [p for name, p in supernet.named_parameters() if name != "arch_logits"]
        self.weight_optimizer = make_optimizer(self.weights, config)
        # The architecture's own optimizer, whatever the weights' is (the paper's Adam).
        self.arch_optimizer = torch.optim.Adam(
            [supernet.arch_logits], lr=arch_learning_rate, betas=ARCH_BETAS, weight_decay=ARCH_WEIGHT_DECAY
        )
        self.optimizer = Optimizers(self.weight_optimizer, self.arch_optimizer)  # what a checkpoint saves
        self.steps_per_epoch = math.ceil((n_train // 2) / config.batch_size)
        total = max(1, config.epochs * self.steps_per_epoch)
        cosine = lambda step: 0.5 * (1 + math.cos(math.pi * min(step, total) / total))  # noqa: E731
        self.schedule = torch.optim.lr_scheduler.LambdaLR(self.weight_optimizer, cosine)
        self.generator = torch.Generator().manual_seed(config.seed)
        self.epoch = 0

    def run_epoch(
        self, weight_half: tuple[Tensor, Tensor], arch_half: tuple[Tensor, Tensor]
    ) -> dict[str, float]:
        """One epoch over the weight half, each step paired with a batch of the architecture half;
        the mean training and architecture losses and the training accuracy."""
        (xw, yw), (xa, ya) = weight_half, arch_half
        model, loss_fn, augments = self.supernet, nn.CrossEntropyLoss(), self.config.augment
        order_w = torch.randperm(len(yw), generator=self.generator)
        order_a = torch.randperm(len(ya), generator=self.generator)
        totals = torch.zeros(3)  # weight loss, architecture loss, correct
        model.train()
        for start, stop in batches(len(yw), self.config.batch_size):
            index_a = order_a[start % len(ya) : start % len(ya) + stop - start]
            inputs_a = xa[index_a] if not augments else augment(xa[index_a], augments, self.generator)
            self.arch_optimizer.zero_grad(set_to_none=True)
            arch_loss = loss_fn(model(inputs_a, model.arch_logits.softmax(1)), ya[index_a])
            # the architecture's gradient only: no weight gradient is computed and thrown away
            (model.arch_logits.grad,) = torch.autograd.grad(arch_loss, [model.arch_logits])
            self.arch_optimizer.step()

            index_w = order_w[start:stop]
            inputs_w = xw[index_w] if not augments else augment(xw[index_w], augments, self.generator)
            self.weight_optimizer.zero_grad(set_to_none=True)
            logits = model(inputs_w, model.arch_logits.softmax(1).detach())
            loss = loss_fn(logits, yw[index_w])
            loss.backward()
            nn.utils.clip_grad_norm_(self.weights, GRADIENT_CLIP)
            self.weight_optimizer.step()
            self.schedule.step()
            size = stop - start
            totals += torch.stack(
                [loss.detach() * size, arch_loss.detach() * size, (logits.argmax(1) == yw[index_w]).sum()]
            )
        loss_sum, arch_sum, correct = totals.tolist()
        if not math.isfinite(loss_sum + arch_sum):
            raise DivergedError(f"DARTS diverged: loss became non-finite in epoch {self.epoch + 1}")
        self.epoch += 1
        n = len(yw)
        return {"train_loss": loss_sum / n, "arch_loss": arch_sum / n, "train_accuracy": correct / n}


def train_darts(
    supernet: CellSupernet,
    x: Tensor,
    y: Tensor,
    config: TrainConfig,
    checkpoint: str | FilePath | None = None,
    on_epoch: SupernetEpochHook | None = None,
    arch_learning_rate: float = ARCH_LEARNING_RATE,
    max_skip: int = 0,
) -> int:
    """Run DARTS on `supernet` in place for `config.epochs` epochs, or until the cell derived
    after an epoch holds `max_skip` skip connections (0: never stop early). Checkpointed and
    continued like `train_supernet`; `on_epoch` also receives the operation weights of each edge
    (`alpha/<to><-<from>/<op>`) and the derived cell's skip and parameter-free counts, and after
    an early stop `(epochs done, epochs done, {})`.

    Returns:
        The epochs trained in all.
    """
    split = torch.randperm(len(y), generator=torch.Generator().manual_seed(config.seed))
    weight_half, arch_half = split[: len(y) // 2], split[len(y) // 2 :]
    trainer = DartsTrainer(supernet, config, len(y), arch_learning_rate)
    if checkpoint is not None and FilePath(checkpoint).exists():
        load_checkpoint(checkpoint, trainer)
    if on_epoch is not None:
        on_epoch(trainer.epoch, config.epochs, {})
    halves = (x[weight_half], y[weight_half]), (x[arch_half], y[arch_half])
    while trainer.epoch < config.epochs and not (max_skip and trainer.epoch and skips(supernet) >= max_skip):
        values = trainer.run_epoch(*halves)
        if on_epoch is not None:
            on_epoch(trainer.epoch, config.epochs, {**values, **architecture_record(supernet)})
        if checkpoint is not None:
            save_checkpoint(checkpoint, trainer)
    if on_epoch is not None and trainer.epoch < config.epochs:  # stopped early: the run ends here
        on_epoch(trainer.epoch, trainer.epoch, {})
    supernet.eval()
    return trainer.epoch


def skips(supernet: CellSupernet) -> int:
    """Skip connections in the cell derived now."""
    return supernet.derive().spec.count("skip_connect")


def architecture_record(supernet: CellSupernet) -> dict[str, float]:
    """The softmax weight of every operation on every edge, and the derived cell's counts of
    skip connections and parameter-free operations (skip or pooling)."""
    weights = supernet.arch_logits.detach().softmax(1)
    record = {
        f"alpha/{to}<-{source}/{op}": float(weights[e, o])
        for e, (to, source) in enumerate(EDGES)
        for o, op in enumerate(OPS)
    }
    derived = supernet.derive().spec
    record["derived_skips"] = float(derived.count("skip_connect"))
    record["derived_parameter_free"] = float(sum(derived.count(op) for op in PARAMETER_FREE))
    return record

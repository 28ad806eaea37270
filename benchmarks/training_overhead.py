"""Training throughput of the training evaluator against a hand-written PyTorch loop.

Same model (a macro-space genotype built once per side with the same seed), same MNIST-1D
training split, batch size, optimizer (AdamW) and one-cycle schedule. The evaluator's figure
includes everything it does per epoch (validation loss and accuracy, weight/bias norms); the
plain loop only trains. The two alternate, and the median of the repeats is compared.

    python benchmarks/training_overhead.py [--epochs 10] [--repeats 3]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import torch
from torch import nn

from nasforge.evaluators import Hardware, Recipe, TrainingEvaluator
from nasforge.spaces import make_space

ARCH = (
    "conv(kernel=5,stride=1,channels=32,dilation=1,activation=relu,batchnorm=true,pool=none,pool_size=2) > "
    "conv(kernel=3,stride=2,channels=64,dilation=1,activation=relu,batchnorm=true,pool=none,pool_size=2) > "
    "conv(kernel=3,stride=2,channels=64,dilation=1,activation=relu,batchnorm=true,pool=none,pool_size=2) > "
    "head(global_pool=flatten,hidden=128,dropout=0.25)"
)


def plain_loop(evaluator: TrainingEvaluator, epochs: int) -> float:
    """Samples per second of a minimal loop: shuffle, forward, loss, backward, step, schedule."""
    space = make_space("macro")
    data = evaluator.dataset()
    torch.manual_seed(0)
    model = space.build(space.parse(ARCH), data.task)
    x, y = torch.from_numpy(data.train.x), torch.from_numpy(data.train.y)
    batch = evaluator.recipe.batch_size
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=evaluator.recipe.learning_rate, weight_decay=evaluator.recipe.weight_decay
    )
    steps = epochs * math.ceil(len(y) / batch)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=evaluator.recipe.learning_rate, total_steps=steps
    )
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(y))
        for i in range(0, len(y), batch):
            index = order[i : i + batch]
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(x[index]), y[index]).backward()
            optimizer.step()
            schedule.step()
    return epochs * len(y) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    space = make_space("macro")
    evaluator = TrainingEvaluator(
        data="mnist1d", recipe=Recipe(epochs=args.epochs), hardware=Hardware(device="cpu")
    )
    evaluator.dataset()  # load once, outside the timings
    ours, plain = [], []
    for _ in range(args.repeats):
        plain.append(plain_loop(evaluator, args.epochs))
        result = evaluator.evaluate(space.parse(ARCH), space)
        ours.append(result.metrics["train_samples_per_s"])
    ratio = statistics.median(ours) / statistics.median(plain)
    data = evaluator.dataset()
    runs = {"plain PyTorch loop": plain, "TrainingEvaluator": ours}
    print(f"model: {ARCH}")
    print(
        f"MNIST-1D train split: {len(data.train)} samples, "
        f"batch {evaluator.recipe.batch_size}, {args.epochs} epochs"
    )
    print(f"torch threads: {torch.get_num_threads()}")
    for label, values in runs.items():
        shown = ", ".join(f"{v:.0f}" for v in values)
        print(f"{label:>20}: {statistics.median(values):9.0f} samples/s (runs: {shown})")
    print(f"ratio evaluator / plain: {ratio:.3f} (target >= 0.95)")


if __name__ == "__main__":
    main()

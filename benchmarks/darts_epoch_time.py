"""DARTS' seconds per epoch and the optimizer its architecture logits get, for each source tree
given (e.g. the code before a change and after it, in one run). Each tree trains the same DARTS
supernet (NB201 cells, C=16, one cell per stage, MNIST-1D, 2 threads) in a process of its own.

    python benchmarks/darts_epoch_time.py --src OLD/src NEW/src [--epochs 4]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

RUN = """
import importlib, statistics, time
import torch
from nasforge.evaluators import make_evaluator
from nasforge.spaces import make_space

space = make_space({"name": "nb201", "channels": 16, "cells_per_stage": 1})
evaluator = make_evaluator({"name": "supernet", "method": "darts", "data": "mnist1d",
                            "learning_rate": 0.01, "epochs": EPOCHS, "threads": 2})
stamps = []
evaluator.train(space, on_epoch=lambda done, total, values: stamps.append(time.perf_counter()))
epochs = [b - a for a, b in zip(stamps, stamps[1:])]
print(f"seconds per epoch: {statistics.median(epochs):.2f} (median of {len(epochs)}: "
      + ", ".join(f"{s:.2f}" for s in epochs) + ")")
try:
    darts = importlib.import_module("nasforge.oneshot.darts_training")
except ImportError:
    darts = importlib.import_module("nasforge.evaluators.darts_training")
supernet = evaluator.supernet(space)
recipe = getattr(evaluator.training, "recipe_config", None) or getattr(evaluator.training, "recipe", None)
config = recipe() if callable(recipe) else evaluator.training.train_config(
    space.sample(__import__("numpy").random.default_rng(0)), space, None)
trainer = darts.DartsTrainer(supernet, config, 1000, darts.ARCH_LEARNING_RATE)
arch = getattr(trainer, "arch_optimizer", None)
if arch is not None:
    print("architecture optimizer:", " ".join(repr(arch).split()))
else:
    group = next(g for g in trainer.optimizer.param_groups if g["params"][0] is supernet.arch_logits)
    settings = {k: v for k, v in group.items() if k != "params"}
    kind = type(trainer.optimizer).__name__
    print(f"architecture optimizer: a parameter group of the weights' {kind}: {settings}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", nargs="+", required=True, help="source trees to compare (PYTHONPATH)")
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args()
    for src in args.src:
        env = {**os.environ, "PYTHONPATH": src}
        code = RUN.replace("EPOCHS", str(args.epochs))
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        print(f"{src}:\n{out.stdout}")


if __name__ == "__main__":
    main()

"""A user-defined 2-D CNN family (the function below, 22 lines) searched on digits by eight
strategies: each one's best validation accuracy, trials and seconds. NSGA-II optimises accuracy
and parameters together; ASHA climbs rungs of 1 and 3 epochs; the others train 3 epochs a trial.

    python benchmarks/user_space_digits.py [--budget 20] [--seed 0]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from torch import nn

import nasforge
from nasforge import Hardware, Recipe, Study, TrainingEvaluator


@nasforge.space
def digits_cnn(k: Any, task: nasforge.Task) -> nn.Module:
    layers, c_in = [], task.input_shape[0]
    for i in k.range("blocks", 1, 3):
        c = k.choice(f"b{i}.channels", [8, 16, 32, 64])
        kernel = k.choice(f"b{i}.kernel", [3, 5])
        layers += [nn.Conv2d(c_in, c, kernel, padding="same")]
        if k.bool(f"b{i}.batchnorm"):
            layers.append(nn.BatchNorm2d(c))
        layers.append(k.choice(f"b{i}.act", {"relu": nn.ReLU(), "gelu": nn.GELU(), "elu": nn.ELU()}))
        if k.bool(f"b{i}.pool"):
            layers.append(nn.MaxPool2d(2, ceil_mode=True))
        c_in = c
    hidden = k.choice("hidden", [0, 64, 128])
    head = [nn.Linear(c_in, hidden), nn.ReLU()] if hidden else []
    return nn.Sequential(
        *layers,
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Dropout(k.float("dropout", 0.0, 0.5, step=0.1)),
        *head,
        nn.Linear(hidden or c_in, task.num_classes),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    evaluator = TrainingEvaluator(data="digits", recipe=Recipe(epochs=3), hardware=Hardware(threads=2))
    runs = {
        "random": {},
        "evolution": {"strategy_params": {"population_size": 6}},
        "local": {},
        "annealing": {},
        "genetic": {"strategy_params": {"population_size": 6}},
        "tpe": {},
        "nsga2": {"objective": ["valid_accuracy", "params"], "direction": ["maximize", "minimize"]},
        "asha": {"strategy_params": {"fidelities": [1, 3]}},
    }
    print("| strategy | trials | best valid accuracy | seconds |\n|---|---:|---:|---:|")
    for name, options in runs.items():
        study = Study.create(digits_cnn, name, seed=args.seed, **{"objective": "valid_accuracy", **options})
        start = time.perf_counter()
        study.optimize(evaluator, args.budget)
        best = max(t.metrics["valid_accuracy"] for t in study.trials if "valid_accuracy" in t.metrics)
        print(
            f"| {name} | {len(study.trials)} | {best:.4f} | {time.perf_counter() - start:.0f} |", flush=True
        )


if __name__ == "__main__":
    main()

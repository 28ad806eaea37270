"""One `nasforge improve` round on three deliberately poor MNIST-1D searches, seeds 0-2.

Starts (regularized evolution over the macro space, BUDGET trials, winner retrained with the
study's own recipe: final epochs = search epochs):
  under-trained  1 epoch per trial (planted direction: train_longer)
  capped         channels limited to 4 or 8 (planted direction: widen)
  overfitting    10% of the training data (360 examples), no dropout, 30 epochs (planted: overfitting)
For each: the directions found, the ones applied, and the test accuracy of the winner before and
after the round (same held-out test split). Targets: each start improves by >= 2 points on
average over the seeds, and the planted direction is the one applied first.

    python benchmarks/improve.py [--budget 30] [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from nasforge.workflows.config import load_config
from nasforge.workflows.improve import improve
from nasforge.workflows.search import open_search

STARTS: dict[str, tuple[str, dict[str, Any]]] = {
    "under-trained": ("train_longer", {"evaluator": {"epochs": 1}, "final_epochs": 1}),
    "capped": (
        "widen",
        {"space": {"choices": {"channels": [4, 8]}}, "evaluator": {"epochs": 5}, "final_epochs": 5},
    ),
    "overfitting": (
        "overfitting",
        {
            "space": {"choices": {"dropout": [0.0]}},
            "evaluator": {"epochs": 30, "train_subset": 360},
            "final_epochs": 30,
        },
    ),
}


def parent_study(path: Path, start: dict[str, Any], seed: int, budget: int) -> None:
    config = load_config(None, {**start, "study": str(path), "seed": seed, "budget": budget})
    opened = open_search(config)
    study, evaluator = opened.study, opened.evaluator
    with study:
        study.optimize(evaluator, budget)
        best = study.best_trial
        assert best is not None
        study.retrain(evaluator, best, config.final_epochs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=30)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--starts", nargs="+", default=list(STARTS), choices=list(STARTS))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.starts:
            planted, start = STARTS[name]
            gains, named = [], []
            for seed in args.seeds:
                began = time.perf_counter()
                parent = Path(scratch) / f"{name}-{seed}.db"
                parent_study(parent, start, seed, args.budget)
                outcome = improve(parent, budget=args.budget)
                before, after = outcome["before"]["test_accuracy"], outcome["after"]["test_accuracy"]
                applied = [d["kind"] for d in outcome["applied"]]
                gains.append(100 * (after - before))
                named.append(bool(applied) and applied[0] == planted)
                print(
                    f"{name:<14} seed {seed}: applied {applied}; test {before:.4f} -> {after:.4f} "
                    f"({gains[-1]:+.2f} points) [{time.perf_counter() - began:.0f} s]",
                    flush=True,
                )
            print(
                f"{name:<14} mean gain {np.mean(gains):+.2f} points (target >= +2); planted direction "
                f"'{planted}' applied first in {sum(named)}/{len(named)} seeds",
                flush=True,
            )


if __name__ == "__main__":
    main()

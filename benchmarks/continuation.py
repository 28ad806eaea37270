"""Promotion by continuing a checkpoint against training from scratch at the same fidelity.

For a few architectures of the main job's space on MNIST-1D: train E1 epochs and save a
checkpoint, continue it to E2 epochs; train E2 epochs from scratch with the same seed and the
same E2-epoch learning-rate schedule; print the largest differences in validation loss and
accuracy and the time each took. Both runs see the same data order and dropout draws, so a
correct continuation matches the scratch run up to floating-point summation order.

    python benchmarks/continuation.py [--archs 5] [--low 3] [--high 9]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from nasforge.evaluators import EvalOptions, make_evaluator
from nasforge.spaces import make_space
from nasforge.workflows.config import load_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", type=int, default=5)
    parser.add_argument("--low", type=int, default=3)
    parser.add_argument("--high", type=int, default=9)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    config = load_config(None, {})
    space = make_space(config.space)
    evaluator = make_evaluator({**config.evaluator, "schedule_epochs": args.high, "seed": args.seed})
    rng = np.random.default_rng(args.seed)
    print(f"space {config.space}; evaluator {config.evaluator}; {args.low} -> {args.high} epochs")
    worst_loss = worst_acc = 0.0
    continued_s = scratch_s = 0.0
    with tempfile.TemporaryDirectory() as folder:
        for i in range(args.archs):
            genotype = space.sample(rng)
            checkpoint = str(Path(folder) / f"{i}.safetensors")
            low = evaluator.evaluate(genotype, space, args.low, EvalOptions(checkpoint_to=checkpoint))
            if low.error:
                print(f"arch {i}: {low.error}")
                continue
            continued = evaluator.evaluate(genotype, space, args.high, EvalOptions(resume_from=checkpoint))
            scratch = evaluator.evaluate(genotype, space, args.high)
            d_loss = abs(continued.metrics["valid_loss"] - scratch.metrics["valid_loss"])
            d_acc = abs(continued.metrics["valid_accuracy"] - scratch.metrics["valid_accuracy"])
            worst_loss, worst_acc = max(worst_loss, d_loss), max(worst_acc, d_acc)
            continued_s += low.cost_s + continued.cost_s
            scratch_s += low.cost_s + scratch.cost_s
            print(
                f"arch {i}: valid accuracy continued {continued.metrics['valid_accuracy']:.4f} "
                f"scratch {scratch.metrics['valid_accuracy']:.4f}; |d loss| {d_loss:.2e}; "
                f"training s: continued {continued.cost_s:.2f}, scratch {scratch.cost_s:.2f}"
            )
    print(f"largest |difference|: valid loss {worst_loss:.2e}, valid accuracy {worst_acc:.4f}")
    print(
        f"training time of low + high fidelity: continuing {continued_s:.1f} s, "
        f"from scratch {scratch_s:.1f} s (ratio {continued_s / scratch_s:.2f})"
    )


if __name__ == "__main__":
    main()

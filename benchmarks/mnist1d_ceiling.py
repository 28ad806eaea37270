"""How far MNIST-1D's accuracy goes with more data: a learning curve of the main job's architecture.

The main job learns from MNIST-1D's 4,000 official training sequences. This script trains one
architecture the main job found (by default seed 400's pick, below) as its final retraining
does (40 epochs, train+valid, default recipe) on the official 4,000 plus `n - 4,000` new
sequences from MNIST-1D's generator (seed 11), for each `n` in --sizes. Every model is scored on
the same 10,000 fresh sequences (generator seed 7) as `mnist1d_dev_split.py --protocol fresh`;
the official test split is never read. Where accuracy climbs with `n`, the 4,000 sequences
limit the main job; where it levels off, the task's own noise (its templates sheared, scaled and
buried in noise until some are ambiguous) does.

    python benchmarks/mnist1d_ceiling.py --sizes 4000 8000 16000 32000 64000 --seeds 0
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from mnist1d_dev_split import fresh_heldout, normalised_sequences

from nasforge.evaluators import EvalOptions, make_evaluator
from nasforge.spaces import make_space
from nasforge.workflows.config import DEFAULT_EVALUATOR, DEFAULT_SPACE

# The main job's pick on seed 400 (fresh-protocol dev run; 46,314 parameters).
SEED_400_PICK = (
    "conv(kernel=3,stride=1,channels=32,dilation=1,activation=relu,batchnorm=true,pool=none,pool_size=2)"
    " > conv(kernel=3,stride=1,channels=64,dilation=1,activation=leaky_relu,batchnorm=true,"
    "pool=none,pool_size=2)"
    " > conv(kernel=5,stride=1,channels=64,dilation=2,activation=prelu,batchnorm=true,pool=none,pool_size=2)"
    " > head(global_pool=max,hidden=256,dropout=0.25)"
)
EXTRA_SEED, FINAL_EPOCHS = 11, 40


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[4000, 8000, 16000, 32000, 64000])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0], help="training seeds per size")
    parser.add_argument("--arch", default=SEED_400_PICK, help="a genotype of the main job's space")
    args = parser.parse_args()
    if min(args.sizes) < 4000:
        parser.error("--sizes: each must be at least 4000 (the official training sequences)")
    held = fresh_heldout()
    x, y = held["x"], held["y"]
    extra_x, extra_y = normalised_sequences(EXTRA_SEED, max(args.sizes) - len(y), like=x)
    space = make_space(DEFAULT_SPACE)
    genotype = space.parse(args.arch)
    with tempfile.TemporaryDirectory() as scratch:
        for size in args.sizes:
            more = size - len(y)
            data = Path(scratch) / f"n{size}.npz"
            np.savez(
                data,
                x=np.concatenate([x, extra_x[:more]]),
                y=np.concatenate([y, extra_y[:more]]),
                x_test=held["x_test"],
                y_test=held["y_test"],
            )
            for seed in args.seeds:
                evaluator = make_evaluator({**DEFAULT_EVALUATOR, "data": str(data), "seed": seed})
                start = time.perf_counter()
                result = evaluator.evaluate(
                    genotype, space, FINAL_EPOCHS, EvalOptions(test=True, train_on_valid=True)
                )
                print(
                    f"n={size:>6} seed {seed}: fresh held-out accuracy "
                    f"{result.metrics['test_accuracy']:.4f} ({time.perf_counter() - start:.0f} s)",
                    flush=True,
                )


if __name__ == "__main__":
    main()

"""Main-job choices on a development split: MNIST-1D's test split is never read.

The 4,000 training sequences are shuffled (seed 12345) into 3,000 to search and train on (split
into train and valid as usual) and 1,000 held out. For each variant and seed: the main job's
search, then its five best retrained for 40 epochs on train+valid, each and their average
scored on the held-out 1,000. This is how the main job's space (stride kept at 1) and final fit
(train+valid) were chosen (see the README).

    python benchmarks/mnist1d_dev_split.py --variants default stride-searchable --seeds 300 301
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from nasforge.data.builtin import mnist1d
from nasforge.deploy.load import load_model
from nasforge.evaluators import EvalOptions
from nasforge.evaluators.ensemble import Ensemble
from nasforge.workflows.config import DEFAULT_SPACE, load_config
from nasforge.workflows.search import open_search

SEARCHABLE_STRIDE = {"choices": {k: v for k, v in DEFAULT_SPACE["choices"].items() if k != "stride"}}
VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "stride-searchable": {"space": SEARCHABLE_STRIDE},
    "population-20": {"strategy": {"population_size": 20}},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[300, 301, 302])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        data = dev_split(Path(scratch) / "mnist1d_dev.npz")
        for seed in args.seeds:
            for name in args.variants:
                run(name, seed, data, Path(scratch) / f"{name}-{seed}")


def dev_split(path: Path) -> Path:
    x, y, _, _ = mnist1d()  # the test arrays are dropped unread
    order = np.random.default_rng(12345).permutation(len(y))
    kept, held = order[:3000], order[3000:]
    np.savez(path, x=x[kept], y=y[kept], x_test=x[held], y_test=y[held])
    return path


def run(name: str, seed: int, data: Path, folder: Path) -> None:
    variant = VARIANTS[name]
    overrides = {
        "study": str(folder / "s.db"),
        "seed": seed,
        "final_epochs": 0,
        "evaluator": {"data": str(data)},
    }
    config = load_config(None, {**overrides, **variant})
    start = time.perf_counter()
    opened = open_search(config)
    study, evaluator = opened.study, opened.evaluator
    study.optimize(evaluator, config.budget)
    searched = time.perf_counter() - start
    top = study.leaderboard(5)
    held, networks = [], []
    for trial in top:
        kept = folder / f"model-{trial.number}"
        options = EvalOptions(test=True, model_to=str(kept), train_on_valid=True)
        held.append(evaluator.evaluate(trial.genotype, study.space, 40, options).metrics["test_accuracy"])
        networks.append(load_model(kept, raw_input=False, trust_code=True))
    ensemble = evaluator.measure(Ensemble(networks).eval())["test_accuracy"]
    print(
        f"{name} seed {seed}: search {searched:.0f} s, total {time.perf_counter() - start:.0f} s; "
        f"top 5 valid {[round(t.metrics['valid_accuracy'], 3) for t in top]}; held-out: members "
        f"{[round(a, 3) for a in held]} mean {np.mean(held):.4f}, ensemble {ensemble:.4f}",
        flush=True,
    )
    study.close()


if __name__ == "__main__":
    main()

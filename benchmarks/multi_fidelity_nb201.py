"""Multi-fidelity search on the NAS-Bench-201 CIFAR-10 table: simulated cost to reach a mean test
accuracy, successive halving / Hyperband / ASHA / BOHB against regularized evolution.

Fidelities are the table's 12-epoch (`valid_12`) and 200-epoch (`valid`) results; a query costs
the table's `train_time_s` scaled by epochs / 200, and a promotion to 200 epochs is charged the
full 200 epochs (the 12-epoch results come from their own schedule, so nothing is continued).
After every trial a search's pick is its best 200-epoch trial by `valid`; its `test` is looked
up for the curve only. Cost is counted in full trainings (the table's mean `train_time_s`).
For each method: the mean test over runs at each whole number of full trainings, and the first
cost at which that mean reaches the target.

    python benchmarks/multi_fidelity_nb201.py [--runs 100] [--seed 0] [--target 94.0] [--max-cost 150]
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

import numpy as np

from nasforge import EvalOptions, NB201Space, Study, TabularEvaluator, Trial
from nasforge.evaluators.table import load_table

# Frozen before the first run: each method's strategy and parameters (eta 3, rungs 12 and 200).
METHODS: dict[str, tuple[str, dict[str, Any]]] = {
    "evolution": ("evolution", {}),
    "halving": ("halving", {}),
    "hyperband": ("hyperband", {}),
    "asha": ("asha", {}),
    "bohb": ("bohb", {}),
    "halving+evolution": ("halving", {"base": "evolution"}),
    "hyperband+evolution": ("hyperband", {"base": "evolution"}),
    "asha+evolution": ("asha", {"base": "evolution"}),
}


def trace(strategy: str, params: dict[str, Any], seed: int, max_cost: float, unit: float) -> np.ndarray:
    """Test accuracy of the search's pick at each whole number of full trainings spent (NaN: none yet)."""
    space, evaluator = NB201Space(), TabularEvaluator(seed=seed)
    study = Study.create(space, strategy, seed=seed, strategy_params=params)
    costs: list[float] = []
    tests: list[float] = []
    best = [-math.inf, math.nan]  # the pick's valid and test

    def on_trial(_study: Study, trial: Trial) -> None:
        full = trial.fidelity is None or trial.fidelity >= 200
        if full and trial.score is not None and trial.score > best[0]:
            final = evaluator.evaluate(trial.genotype, space, 200, EvalOptions(test=True))
            best[:] = [trial.score, final.metrics["test"]]
        costs.append((costs[-1] if costs else 0.0) + trial.cost_s / unit)
        tests.append(best[1])

    while not costs or costs[-1] < max_cost:
        study.optimize(evaluator, study.n_finished + 50, callback=on_trial)
    study.close()
    last = np.searchsorted(costs, np.arange(int(max_cost) + 1), side="right") - 1
    return np.where(last >= 0, np.asarray(tests)[last.clip(0)], np.nan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--target", type=float, default=94.0)
    parser.add_argument("--max-cost", type=float, default=150.0, help="in full trainings")
    parser.add_argument("--methods", nargs="*", default=list(METHODS))
    parser.add_argument("--seed", type=int, default=0, help="seed of the first run (run r uses seed + r)")
    args = parser.parse_args()
    unit = float(np.mean(load_table().columns["train_time_s"]))
    reach: dict[str, float] = {}
    print(
        f"cost unit: one full training = {unit:.1f} s (table mean); {args.runs} runs "
        f"(seeds {args.seed}-{args.seed + args.runs - 1}), noiseless"
    )
    print(f"{'method':22} {'10':>7} {'25':>7} {'50':>7} {'100':>7} {'150':>7}  cost to {args.target}  s/run")
    for name in args.methods:
        strategy, params = METHODS[name]
        start = time.perf_counter()
        curves = np.stack(
            [trace(strategy, params, args.seed + run, args.max_cost, unit) for run in range(args.runs)]
        )
        seconds = (time.perf_counter() - start) / args.runs
        mean = curves.mean(axis=0)  # NaN until every run has a 200-epoch pick
        hits = np.flatnonzero(mean >= args.target)
        reach[name] = float(hits[0]) if hits.size else math.inf
        points = " ".join(f"{mean[c]:7.2f}" for c in (10, 25, 50, 100, 150) if c < mean.size)
        print(f"{name:22} {points}  {reach[name]:>12g}  {seconds:5.2f}", flush=True)
    if "evolution" in reach:
        for name, cost in reach.items():
            if name != "evolution" and math.isfinite(reach["evolution"]):
                print(f"{name}: cost to {args.target} = {cost / reach['evolution']:.2f} x evolution's")


if __name__ == "__main__":
    main()

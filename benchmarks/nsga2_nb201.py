"""Multi-objective search on the NAS-Bench-201 table: NSGA-II against random search and Optuna's
NSGA-II, by the hypervolume of `valid` accuracy against a cost (`lat_pixel3` or `params`).

Each method runs `--runs` searches of `--budget` queries; the hypervolume of each search's front
(valid up, cost down) is measured above one reference point for all: the table's nadir minus 10%
of each range. Prints mean ± std hypervolume per method and cost.

    python benchmarks/nsga2_nb201.py [--runs 20] [--budget 200]
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np
import optuna

from nasforge import NB201Space, Study, TabularEvaluator
from nasforge.analysis.pareto import hypervolume_2d, reference_point
from nasforge.evaluators.table import load_table
from nasforge.spaces.nb201.space import EDGES, OPS

COSTS = ("lat_pixel3", "params")


def nasforge_front(strategy: str, cost: str, budget: int, seed: int) -> np.ndarray:
    study = Study.create(
        NB201Space(), strategy, seed=seed, objective=["valid", cost], direction=["maximize", "minimize"]
    )
    study.optimize(TabularEvaluator(seed=seed), budget)
    return np.array([[t.metrics["valid"], -t.metrics[cost]] for t in study.trials if t.score is not None])


def optuna_front(cost: str, budget: int, seed: int) -> np.ndarray:
    table, space = load_table(), NB201Space()
    index = {a: i for i, a in enumerate(table.archs)}

    def objective(trial: optuna.Trial) -> tuple[float, float]:
        ops = [trial.suggest_categorical(f"edge{i}", OPS) for i in range(len(EDGES))]
        row = index[space.format(space.make(ops))]
        return float(table.columns["valid"][row]), float(table.columns[cost][row])

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        directions=["maximize", "minimize"], sampler=optuna.samplers.NSGAIISampler(seed=seed)
    )
    study.optimize(objective, n_trials=budget)
    return np.array([[t.values[0], -t.values[1]] for t in study.trials])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--budget", type=int, default=200)
    args = parser.parse_args()
    table = load_table()
    for cost in COSTS:
        everything = np.column_stack([table.columns["valid"], -np.asarray(table.columns[cost])])
        reference = reference_point(everything)
        best = hypervolume_2d(everything, reference)
        print(
            f"{cost}: reference valid {reference[0]:.2f}, {cost} {-reference[1]:.4g}; whole table {best:.4g}"
        )
        for method in ("nsga2", "random", "optuna-nsga2"):
            volumes = [
                hypervolume_2d(
                    optuna_front(cost, args.budget, seed)
                    if method == "optuna-nsga2"
                    else nasforge_front(method, cost, args.budget, seed),
                    reference,
                )
                for seed in range(args.runs)
            ]
            mean, std = statistics.mean(volumes), statistics.stdev(volumes)
            share = 100 * mean / best
            print(
                f"  {method:<13} hypervolume {mean:.4g} ± {std:.2g} ({share:.1f}% of the table's)", flush=True
            )


if __name__ == "__main__":
    main()

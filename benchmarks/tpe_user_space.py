"""nasforge's TPE on a user's own knobs-only space beside Optuna's TPE run directly on the same
objective, in one run: does nasforge hand TPE the real distributions?

The space has a log-uniform float (`lr`, 1e-5..1), an int (`units`, 1..256) and a choice whose
other branch opens a conditional knob (`momentum`, only with `optimizer="sgd"`). The objective
(minimised) has its optimum 0 at lr = 10^-2.5, units = 100, optimizer = "adam". Both sides use
`TPESampler(seed=s, n_startup_trials=10)`; each seed's search of the largest budget serves every
budget (its first n trials are a search of budget n). Prints the mean best value over the seeds
at each budget, with its standard error, and writes the table to
benchmarks/results/tpe_user_space.md.

    python benchmarks/tpe_user_space.py [--seeds 50] [--budgets 25 50 100]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna

import nasforge
from nasforge.evaluators import FunctionEvaluator

OUT = Path(__file__).parent / "results" / "tpe_user_space.md"
STARTUP = 10


def loss(lr: float, units: int, optimizer: str, momentum: float | None) -> float:
    """The benchmark's objective (0 at the optimum)."""
    penalty = 0.0 if optimizer == "adam" else 0.3 + 4 * (momentum - 0.9) ** 2  # type: ignore[operator]
    return (math.log10(lr) + 2.5) ** 2 + ((units - 100) / 50) ** 2 + penalty


def family(k: Any) -> None:
    """The space, as a nasforge define-by-run function."""
    k.float("lr", 1e-5, 1.0, log=True)
    k.int("units", 1, 256)
    if k.choice("optimizer", ["sgd", "adam"]) == "sgd":
        k.float("momentum", 0.0, 0.99)


def score(call: Any) -> float:
    """nasforge's evaluation: the objective from the knob values."""
    knobs = call.knobs
    return loss(knobs["lr"], knobs["units"], knobs["optimizer"], knobs.get("momentum"))


def objective(trial: optuna.Trial) -> float:
    """The same space and objective, as an Optuna user writes it."""
    lr = trial.suggest_float("lr", 1e-5, 1.0, log=True)
    units = trial.suggest_int("units", 1, 256)
    optimizer = trial.suggest_categorical("optimizer", ["sgd", "adam"])
    momentum = trial.suggest_float("momentum", 0.0, 0.99) if optimizer == "sgd" else None
    return loss(lr, units, optimizer, momentum)


def nasforge_run(seed: int, budget: int) -> list[float]:
    space = nasforge.space(family)
    study = nasforge.Study.create(
        space, "tpe", seed=seed, strategy_params={"startup": STARTUP}, objective="score", direction="minimize"
    )
    study.optimize(FunctionEvaluator(function=score, metrics={"score": "minimize"}), budget)
    return [t.metrics["score"] for t in study.trials]


def optuna_run(seed: int, budget: int) -> list[float]:
    sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=STARTUP)
    study = optuna.create_study(direction="minimize", sampler=sampler)
    study.optimize(objective, n_trials=budget)
    return [t.value for t in study.trials if t.value is not None]


def best_by_budget(runs: list[list[float]], budgets: list[int]) -> dict[int, tuple[float, float]]:
    """Mean best value over the runs at each budget, with its standard error."""
    out = {}
    for budget in budgets:
        bests = [min(values[:budget]) for values in runs]
        out[budget] = (statistics.mean(bests), statistics.stdev(bests) / math.sqrt(len(bests)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--budgets", type=int, nargs="+", default=[25, 50, 100])
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # this script's own Optuna studies
    methods: dict[str, Callable[[int, int], list[float]]] = {
        "nasforge tpe": nasforge_run,
        "optuna tpe": optuna_run,
    }
    rows = []
    for name, run in methods.items():
        start = time.perf_counter()
        runs = [run(seed, max(args.budgets)) for seed in range(args.seeds)]
        rows.append((name, best_by_budget(runs, args.budgets), time.perf_counter() - start))
    header = "| method | " + " | ".join(f"best at {b} trials" for b in args.budgets) + " | wall s |"
    lines = [header, "|---" * (len(args.budgets) + 2) + "|"]
    for name, table, seconds in rows:
        cells = " | ".join(f"{mean:.4f} ± {se:.4f}" for mean, se in table.values())
        lines.append(f"| {name} | {cells} | {seconds:.1f} |")
    budgets = " ".join(map(str, args.budgets))
    command = f"python benchmarks/tpe_user_space.py --seeds {args.seeds} --budgets {budgets}"
    text = (
        f"Mean best value (lower is better; ± standard error) over seeds 0-{args.seeds - 1}; `{command}`\n\n"
        + "\n".join(lines)
        + "\n"
    )
    print(text)
    OUT.write_text(text)


if __name__ == "__main__":
    main()

"""nasforge strategies against Optuna's samplers on the NAS-Bench-201 CIFAR-10 table, in one run.

Every method gets the same budgets (queries) and runs, in two modes: noiseless (`valid` is the
mean over the table's training seeds) and noisy (each query draws one training seed's `valid`,
as a real training would). Each search picks the architecture with the best `valid` and is
scored by that architecture's mean `test`. Writes a markdown table to
benchmarks/results/nb201_vs_optuna.md and prints it, then the per-trial loop overhead of a
nasforge study against an Optuna study (in-memory storage on both sides, then SQLite on both).

    python benchmarks/nb201_vs_optuna.py [--runs 100] [--budgets 50 100 200]

A search never knows its budget, so one search of the largest budget per run serves every
budget (its first n trials are exactly a search of budget n), for nasforge and Optuna alike.
Optuna's budget counts trials, repeats included (as Optuna users run it); nasforge never repeats,
so `optuna-tpe-distinct` also runs TPE with repeats answered from the earlier result and not
counted: the like-for-like comparison.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import optuna

from nasforge import NB201Space, Study, TabularEvaluator
from nasforge.evaluators.table import load_table
from nasforge.spaces.nb201.space import EDGES, OPS
from nasforge.strategies import STRATEGIES
from nasforge.workflows.bench import BenchSummary, bench_nb201

OUT = Path(__file__).parent / "results" / "nb201_vs_optuna.md"
# Multi-fidelity strategies spend queries at 12 epochs (see multi_fidelity_nb201.py, by cost);
# BANANAS takes ~4 s per run (see predictor_nb201.py).
SKIPPED = ("halving", "hyperband", "asha", "bohb", "bananas")
SAMPLERS = {
    "optuna-random": lambda seed: optuna.samplers.RandomSampler(seed=seed),
    "optuna-tpe": lambda seed: optuna.samplers.TPESampler(seed=seed),
    "optuna-nsga2": lambda seed: optuna.samplers.NSGAIISampler(seed=seed),
}


def optuna_bench(
    name: str, budgets: list[int], runs: int, seed: int, *, noisy: bool = False
) -> list[BenchSummary]:
    """Optuna's sampler `name` on the same table, read at each budget like `bench_nb201`.

    A name ending in `-distinct` skips repeated architectures: a repeat is answered from the
    earlier result and does not count against the budget (nasforge never repeats, so this is
    the like-for-like comparison); otherwise every trial counts, repeats included.
    """
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    table, space = load_table(), NB201Space()
    best = space.key(space.parse(table.archs[int(table.columns["valid"].argmax())]))
    per_budget: dict[int, list[tuple[float, bool, float, float]]] = {b: [] for b in budgets}
    distinct = name.endswith("-distinct")
    for run in range(runs):
        evaluator = TabularEvaluator(noisy=noisy, seed=seed + run)
        sampler = SAMPLERS[name.removesuffix("-distinct")](seed + run)
        study = optuna.create_study(direction="maximize", sampler=sampler)
        counted: list[optuna.trial.FrozenTrial] = []  # the trials that count, in order
        clock: list[float] = []
        start = time.perf_counter()
        study.optimize(
            _objective(space, evaluator),
            n_trials=max(budgets) * (50 if distinct else 1),
            callbacks=[_counter(counted, clock, max(budgets), distinct)],
        )
        for budget in budgets:
            trials = counted[:budget]
            picked = max(trials, key=lambda t: t.value)
            arch = picked.user_attrs["arch"]
            row = table.row(arch)
            cost = sum(table.row(t.user_attrs["arch"])["train_time_s"] for t in trials)
            per_budget[budget].append(
                (row["test"], space.key(space.parse(arch)) == best, cost, clock[budget - 1] - start)
            )
    return [
        BenchSummary(
            strategy=name,
            budget=b,
            runs=runs,
            mean_test=statistics.fmean(o[0] for o in per_budget[b]),
            std_test=statistics.pstdev(o[0] for o in per_budget[b]),
            found_best=sum(o[1] for o in per_budget[b]) / runs,
            mean_cost_s=statistics.fmean(o[2] for o in per_budget[b]),
            sec_per_run=statistics.fmean(o[3] for o in per_budget[b]),
        )
        for b in budgets
    ]


def _counter(counted: list[optuna.trial.FrozenTrial], clock: list[float], budget: int, distinct: bool):  # type: ignore[no-untyped-def]
    """A callback keeping the trials that count (first sight of an architecture when `distinct`)
    and their finishing times; stops the study at `budget` of them."""
    seen: set[str] = set()

    def callback(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        arch = trial.user_attrs["arch"]
        if not distinct or arch not in seen:
            seen.add(arch)
            counted.append(trial)
            clock.append(time.perf_counter())
        if len(counted) >= budget:
            study.stop()

    return callback


def _objective(space: NB201Space, evaluator: TabularEvaluator):  # type: ignore[no-untyped-def]
    def objective(trial: optuna.Trial) -> float:
        ops = [trial.suggest_categorical(f"edge{i}", OPS) for i in range(len(EDGES))]
        genotype = space.make(ops)
        trial.set_user_attr("arch", space.format(genotype))
        return evaluator.evaluate(genotype, space).metrics["valid"]

    return objective


def overhead(trials: int, sqlite: bool) -> tuple[float, float]:
    """Seconds per trial of the whole ask → evaluate → store → tell loop: nasforge, Optuna."""
    space, evaluator = NB201Space(), TabularEvaluator()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "nasforge.db" if sqlite else None
        study = Study.create(space, "random", seed=0, path=path)
        start = time.perf_counter()
        study.optimize(evaluator, trials)
        ours = (time.perf_counter() - start) / trials
        storage = f"sqlite:///{tmp}/optuna.db" if sqlite else None
        peer = optuna.create_study(
            direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0), storage=storage
        )
        start = time.perf_counter()
        peer.optimize(_objective(space, evaluator), n_trials=trials)
        theirs = (time.perf_counter() - start) / trials
    return ours, theirs


def results_table(rows: dict[str, list[BenchSummary]], runs: int, budgets: list[int]) -> list[str]:
    """Markdown: a table per mode, best first at each budget, then the targets."""
    lines = [f"# NAS-Bench-201 CIFAR-10: {runs} runs per cell, search on `valid`, report `test`", ""]
    for mode, table_rows in rows.items():
        lines += [f"## {mode}", "", "| method | budget | mean test ± std | found best | s / run |"]
        lines += ["|---|---:|---:|---:|---:|"]
        for r in sorted(table_rows, key=lambda r: (r.budget, -r.mean_test)):
            test = f"{r.mean_test:.2f} ± {r.std_test:.2f}"
            lines.append(f"| {r.strategy} | {r.budget} | {test} | {r.found_best:.0%} | {r.sec_per_run:.3f} |")
        lines.append("")
    ours = [r for r in rows["noiseless"] if not r.strategy.startswith("optuna")]
    lines += ["## Targets (noiseless)", ""]
    for budget, target in ((100, 94.30), (50, 94.15)):
        best = max((r for r in ours if r.budget == budget), key=lambda r: r.mean_test, default=None)
        if best is not None:
            verdict = "met" if best.mean_test >= target else "MISSED"
            lines.append(
                f"- best nasforge strategy at {budget} queries: {best.strategy} "
                f"{best.mean_test:.2f} (target ≥ {target}: {verdict})"
            )
    for budget in budgets:
        random_mean = next(r.mean_test for r in ours if r.strategy == "random" and r.budget == budget)
        beaten = all(r.mean_test > random_mean for r in ours if r.budget == budget and r.strategy != "random")
        lines.append(f"- every strategy beats random search at {budget} queries: {'yes' if beaten else 'NO'}")

    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--budgets", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    load_table()  # load once, outside every timing

    rows: dict[str, list[BenchSummary]] = {"noiseless": [], "noisy": []}
    for mode, table_rows in rows.items():
        for name in STRATEGIES.names():
            if name not in SKIPPED:
                table_rows += bench_nb201(
                    name, args.budgets, runs=args.runs, seed=args.seed, noisy=mode == "noisy"
                )
                print(f"done: {name} ({mode})", flush=True)
        for name in [*SAMPLERS, "optuna-tpe-distinct"]:
            table_rows += optuna_bench(name, args.budgets, args.runs, args.seed, noisy=mode == "noisy")
            print(f"done: {name} ({mode})", flush=True)

    lines = results_table(rows, args.runs, args.budgets)
    lines += ["", "## Loop overhead per trial (ask → evaluate → store → tell)", ""]
    lines += ["| storage | nasforge ms | Optuna ms | Optuna / nasforge |", "|---|---:|---:|---:|"]
    for label, sqlite, n in (("in-memory", False, 2000), ("SQLite file", True, 300)):
        ours_s, theirs_s = overhead(n, sqlite)
        lines.append(f"| {label} | {ours_s * 1e3:.3f} | {theirs_s * 1e3:.3f} | {theirs_s / ours_s:.1f}x |")

    text = "\n".join(lines) + "\n"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    print(text)


if __name__ == "__main__":
    main()

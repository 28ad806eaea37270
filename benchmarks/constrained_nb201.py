"""Searches under a size constraint on the NAS-Bench-201 CIFAR-10 table: the constraint told to
the study (strategies see trials that break it as failures, or rank them below every feasible
one) against the same search without it, whose best trial within the constraint is picked at the
end: how nasforge searched before strategies were told. One run, same seeds for both.

For each strategy and bound on the parameters: the mean over runs of the picked architecture's
`valid` (the study's pick among the trials within the bound; none counts 0) and of its `test`
(looked up once, after the search), at each budget, and the share of trials within the bound after the first
40 (where the search spends its queries).

    python benchmarks/constrained_nb201.py [--runs 30] [--budgets 50 100 150] [--limits 2e5 4e5 8e5]
"""

from __future__ import annotations

import argparse
import statistics
import time

from nasforge import STRATEGIES, NB201Space, Study, TabularEvaluator
from nasforge.study.eval_options import EvalOptions
from nasforge.study.record import ranked

STRATEGY_NAMES = [n for n in STRATEGIES.names() if not STRATEGIES.get(n).multi_objective]


def pick(study: Study, evaluator: TabularEvaluator, limit: float, budget: int) -> tuple[float, float]:
    """(valid, test) of the trial the study would pick among the first `budget` within `limit`
    (`ranked`: a multi-fidelity search picks among its longest trainings); (0, 0): none."""
    within = [t for t in study.trials[:budget] if t.metrics.get("params", float("inf")) <= limit]
    best = ranked(within)
    if not best:
        return 0.0, 0.0
    test = evaluator.evaluate(best[0].genotype, study.space, best[0].fidelity, EvalOptions(test=True))
    return best[0].metrics["valid"], test.metrics["test"]


def run(name: str, limit: float, told: bool, args: argparse.Namespace) -> str:
    picks: dict[int, list[tuple[float, float]]] = {b: [] for b in args.budgets}
    shares, seconds = [], 0.0
    for seed in range(args.seed, args.seed + args.runs):
        constraints = [f"params<={limit:g}"] if told else []
        start = time.perf_counter()
        study = Study.create(NB201Space(), name, seed=seed, constraints=constraints)
        evaluator = TabularEvaluator()
        study.optimize(evaluator, max(args.budgets))
        seconds += time.perf_counter() - start
        for budget in args.budgets:
            picks[budget].append(pick(study, evaluator, limit, budget))
        late = study.trials[40:]
        shares.append(sum(t.metrics["params"] <= limit for t in late) / max(1, len(late)))
    cells = [
        f"{statistics.fmean(v for v, _ in picks[b]):.2f} / {statistics.fmean(t for _, t in picks[b]):.2f}"
        for b in args.budgets
    ]
    how = "told" if told else "ignored"
    share = statistics.fmean(shares)
    return f"| {name} | {limit:g} | {how} | {' | '.join(cells)} | {share:.2f} | {seconds / args.runs:.2f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budgets", type=int, nargs="+", default=[50, 100, 150])
    parser.add_argument("--limits", type=float, nargs="+", default=[2e5, 4e5, 8e5])
    parser.add_argument("--strategies", nargs="+", default=STRATEGY_NAMES)
    args = parser.parse_args()
    budgets = " | ".join(f"valid / test @{b}" for b in args.budgets)
    print(f"| strategy | params <= | constraint | {budgets} | feasible share after 40 | s per search |")
    print("|" + "---|" * (6 + len(args.budgets) - 1))
    for name in args.strategies:
        for limit in args.limits:
            for told in (False, True):
                print(run(name, limit, told, args), flush=True)


if __name__ == "__main__":
    main()

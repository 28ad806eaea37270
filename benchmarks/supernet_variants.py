"""Supernet settings compared on one set of stand-alone figures, without training the
architectures again: each variant trains its own supernet and scores the architectures that
`supernet_ranking.py --keep DIR --repeat-seed S` trained twice on their own (or, kept without
`--repeat-seed`, once).

    python benchmarks/supernet_ranking.py --seed 101 --supernet-epochs 1 --repeat-seed 1 --keep truth
    python benchmarks/supernet_variants.py --truth truth --variant epochs=300 \\
        --variant epochs=300,sampling=fair --supernet-seeds 101 7 8

A variant is evaluator options (`key=value`, comma-separated) over the study's own. Each variant
trains one supernet per `--supernet-seeds` seed (default: the study's seed), one thread each; it
prints Kendall τ of each supernet's accuracy and loss, and of their mean accuracy, against the
mean of the stand-alone runs. `--dropout-too` scores each supernet once more with every path's
dropout on (`score_dropout = true`), without training it again.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import kendalltau

from nasforge.oneshot.evaluator import SupernetEvaluator
from nasforge.spaces import make_space
from nasforge.study.record import StudyView
from nasforge.trial import Trial


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--truth", type=Path, required=True, help="folder of supernet_ranking.py --keep")
    parser.add_argument("--variant", action="append", default=[], metavar="K=V,…", help="evaluator options")
    parser.add_argument("--supernet-seeds", type=int, nargs="+", help="train a supernet per seed")
    parser.add_argument("--dropout-too", action="store_true", help="score with dropout on as well")
    args = parser.parse_args()
    first = StudyView(args.truth / "ranking.db")
    truth = {t.genotype: [t.metrics["valid_accuracy"]] for t in completed(first)}
    runs = 1
    if (args.truth / "again.db").exists():
        runs = 2
        for trial in completed(StudyView(args.truth / "again.db")):
            truth[trial.genotype].append(trial.metrics["valid_accuracy"])
    genotypes = [g for g, seen in truth.items() if len(seen) == runs]
    mean = [float(np.mean(truth[g])) for g in genotypes]
    if runs == 2:
        repeat = tau([truth[g][0] for g in genotypes], [truth[g][1] for g in genotypes])
        print(f"{len(genotypes)} architectures; stand-alone vs itself: tau {repeat:+.3f}")
    else:
        print(f"{len(genotypes)} architectures, one stand-alone run each")
    space, options = make_space(first.config.space), dict(first.config.evaluator or {})
    options.pop("name")
    for variant in args.variant or [""]:
        given = {k: parse(v) for k, v in (item.split("=", 1) for item in variant.split(",") if item)}
        scores: dict[bool, list[list[float]]] = {False: [], True: []}
        for seed in args.supernet_seeds or [options["seed"]]:
            start = time.perf_counter()
            fixed = {"train_candidates": False, "proxies": [], "threads": 1, "seed": seed}
            evaluator = SupernetEvaluator(**{**options, **given, **fixed})
            for dropout in sorted({evaluator.score_dropout, evaluator.score_dropout or args.dropout_too}):
                evaluator.score_dropout = dropout  # the supernet trained first is kept and scored again
                metrics = [evaluator.evaluate(g, space).metrics for g in genotypes]
                scores[dropout].append([m["supernet_valid_accuracy"] for m in metrics])
                loss = tau([-m["supernet_valid_loss"] for m in metrics], mean)
                print(f"{variant or 'as stored'} seed {seed}{', dropout on' * dropout}: tau "
                      f"{tau(scores[dropout][-1], mean):+.3f}, of the loss {loss:+.3f}"
                      f" ({time.perf_counter() - start:.0f} s)", flush=True)  # fmt: skip
        for dropout, runs in scores.items():
            if len(runs) > 1:
                averaged = tau(np.mean(runs, 0), mean)
                print(
                    f"{variant or 'as stored'}{', dropout on' * dropout} mean of {len(runs)} supernets: "
                    f"tau {averaged:+.3f}"
                )


def completed(study: StudyView) -> list[Trial]:
    return [t for t in study.trials if t.state == "COMPLETE" and "valid_accuracy" in t.metrics]


def parse(value: str) -> Any:
    """A TOML-like value: a number, true/false, or a string."""
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def tau(a: Any, b: Any) -> float:
    return float(kendalltau(a, b).statistic)


if __name__ == "__main__":
    main()

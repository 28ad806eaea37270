"""How good is SPOS' shortlist? Validation figures only, for choosing its defaults on development seeds.

For each seed and each variant (extra `nasforge search` options), runs an SPOS search on the main
job's space with no final retraining, then trains the `--rerank` best candidates by the supernet
on their own for the candidates' 5 epochs (as the search's own rerank does) and prints the best and
the mean of the five best 5-epoch validation accuracies, with the search's and the rerank's wall
time. No test split is touched.

With `--every-candidate`, every candidate of a (default) SPOS search is also trained on its own
(`[evaluator] train_candidates = true`), and shortlist rules are compared on those figures: the
`--rerank` best by supernet score, by FLOPs, and by the sum of both places (the default), each
with its best and its five best 5-epoch validation accuracies, and Kendall tau of each order.

    python benchmarks/spos_shortlist.py --seeds 61 92 --rerank 10 20 \
        --variant "--strategy random --budget 100" --variant "--strategy evolution --budget 300"
    python benchmarks/spos_shortlist.py --seeds 61 92 93 --rerank 10 20 --every-candidate
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument(
        "--rerank", type=int, nargs="+", default=[10], help="candidates trained on their own (several: each)"
    )
    parser.add_argument(
        "--variant", action="append", default=None, help='search options, quoted ("" for the defaults)'
    )
    parser.add_argument("--every-candidate", action="store_true", help="train every candidate; compare rules")
    args = parser.parse_args()
    if args.every_candidate:
        for seed in args.seeds:
            with tempfile.TemporaryDirectory() as scratch:
                print(compare_rules(seed, args.rerank, Path(scratch)), flush=True)
        return
    for seed in args.seeds:
        for variant in args.variant or [""]:
            for count in args.rerank:
                with tempfile.TemporaryDirectory() as scratch:
                    print(
                        search_and_rerank(seed, shlex.split(variant), count, Path(scratch) / "s.db"),
                        flush=True,
                    )


def search_and_rerank(seed: int, options: list[str], count: int, db: Path) -> str:
    """One SPOS search with `options`, then its `count` best trained on their own: a line of figures."""
    from nasforge.evaluators import make_evaluator
    from nasforge.study.study import Study
    from nasforge.workflows.retrain import rerank

    argv = [sys.executable, "-m", "nasforge.cli.main", "search", "--seed", str(seed), "--one-shot", "spos"]
    start = time.perf_counter()
    subprocess.run(
        [*argv, "--final-epochs", "0", "--study", str(db), "--no-progress", *options],
        check=True,
        capture_output=True,
    )
    searched = time.perf_counter() - start
    with Study.load(db) as study:
        assert study.config.evaluator is not None
        start = time.perf_counter()
        ranked = rerank(study, make_evaluator(study.config.evaluator).stand_alone(), count)
        reranked = time.perf_counter() - start
        accuracy = {r.trial: r.metrics["valid_accuracy"] for r in study.retrains}
        flops = {r.trial: r.metrics["flops"] for r in study.retrains}
    best = [accuracy[t.number] for t in ranked[:5]]
    return (
        f"seed {seed} [{' '.join(options) or 'defaults'}]: search {searched:.0f} s, rerank of {count} "
        f"{reranked:.0f} s; 5-epoch valid best {best[0]:.4f}, mean of 5 best {sum(best) / len(best):.4f}; "
        f"their kFLOPs {[round(flops[t.number] / 1e3) for t in ranked[:5]]}"
    )


def compare_rules(seed: int, counts: list[int], scratch: Path) -> str:
    """Every candidate trained on its own: how each shortlist rule's `counts` best would train."""
    toml = scratch / "every.toml"
    toml.write_text("[evaluator]\nname = 'supernet'\ntrain_candidates = true\n")
    db = scratch / "s.db"
    argv = [sys.executable, "-m", "nasforge.cli.main", "search", "--seed", str(seed), "--one-shot", "spos"]
    subprocess.run(
        [*argv, "--config", str(toml), "--final-epochs", "0", "--study", str(db), "--no-progress"],
        check=True,
        capture_output=True,
    )
    return f"seed {seed}: " + rules(db, counts)


def rules(db: Path, counts: list[int]) -> str:
    """The shortlist rules on a study whose candidates were also trained on their own."""
    import numpy as np
    from scipy.stats import kendalltau

    from nasforge.study.study import Study
    from nasforge.workflows.retrain import shortlist

    with Study.load(db) as study:
        board = study.leaderboard()
        both = shortlist(study, len(board))
    truth = np.array([t.metrics["valid_accuracy"] for t in board])
    position = {t.number: i for i, t in enumerate(board)}
    orders = {
        "supernet": list(range(len(board))),
        "FLOPs": sorted(range(len(board)), key=lambda i: -board[i].metrics["flops"]),
        "sum of both": [position[t.number] for t in both],
    }
    lines = [f"{len(board)} candidates, 5-epoch valid of the five best of all {_five(truth)}"]
    for name, order in orders.items():
        tau = kendalltau(-np.argsort(order), truth).statistic
        for count in counts:
            picked = truth[order[:count]]
            lines.append(
                f"  {name:11s} tau {tau:.2f}; its {count} best: best {picked.max():.4f}, "
                f"five best {_five(picked)}"
            )
    return "\n".join(lines)


def _five(accuracies: object) -> str:
    import numpy as np

    top = np.sort(np.asarray(accuracies))[::-1][:5]
    return f"mean {top.mean():.4f}"


if __name__ == "__main__":
    main()

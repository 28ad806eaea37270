"""How far a supernet's ranking can be trusted: 50 architectures drawn uniformly from the main
job's space, each scored on the SPOS supernet and also trained on its own (the main job's 5
epochs), with synflow computed on each before training.

Runs `nasforge search` on a TOML config (random strategy, the supernet evaluator with
`train_candidates = true` for 5 epochs and `proxies = ["synflow"]`), then `nasforge analyze` on the study and
prints its correlation table: Kendall tau and Spearman rho of `supernet_valid_accuracy` and of
`proxy_synflow` against stand-alone `valid_accuracy`, on the same architectures.

    python benchmarks/supernet_ranking.py --seed 0 [--archs 50] [--supernet-epochs 30] [--space families]
        [--set sampling=sandwich]

`--space` names another space with a supernet (default: the main job's); `--set KEY=VALUE` (repeatable)
sets another option of the supernet evaluator (a TOML value); `--keep DIR` keeps the study files.
`--repeat-seed S` trains the same architectures on their own once more, with training seed S: it
prints how far the stand-alone figure ranks like itself (the ceiling of any score measured
against it) and each score's τ against the mean of both stand-alone runs. `--rescore-dropout`
scores the architectures once more on the same trained supernet with `score_dropout` the other
way round (each path's dropout on, or off), and prints that score's τ and ρ too.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIG = """
budget = {archs}
{space}
seed = {seed}
final_epochs = 0
[strategy]
name = "random"
[evaluator]
name = "supernet"
data = "mnist1d"
learning_rate = 0.01
epochs = {epochs}
train_candidates = true
candidate_epochs = 5
proxies = ["synflow"]
{extra}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--archs", type=int, default=50)
    parser.add_argument("--supernet-epochs", type=int, default=30)
    parser.add_argument("--space", help="a space with a supernet (default: the main job's)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="an evaluator option")
    parser.add_argument("--repeat-seed", type=int, help="train the architectures again with this seed")
    parser.add_argument("--keep", type=Path, help="keep the study files in this folder")
    parser.add_argument("--rescore-dropout", action="store_true", help="score again, dropout the other way")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        scratch = args.keep or Path(temporary)
        scratch.mkdir(parents=True, exist_ok=True)
        config, study = Path(scratch) / "ranking.toml", Path(scratch) / "ranking.db"
        space = f'space = {{ name = "{args.space}" }}' if args.space else ""
        config.write_text(
            CONFIG.format(
                archs=args.archs,
                seed=args.seed,
                epochs=args.supernet_epochs,
                space=space,
                extra="\n".join(args.set),
            )
        )
        start = time.perf_counter()
        nasforge("search", "--config", str(config), "--study", str(study), "--no-progress", "--json")
        print(f"{args.archs} architectures, seed {args.seed}: {time.perf_counter() - start:.0f} s")
        analysis = json.loads(nasforge("analyze", str(study), "--json"))
        for measure in ("supernet_valid_accuracy", "supernet_valid_loss", "proxy_synflow", "params"):
            c = analysis["correlations"][measure]["valid_accuracy"]
            print(
                f"{measure:24s} vs valid_accuracy: "
                f"tau {c['kendall']:+.3f}  rho {c['spearman']:+.3f}  (n={c['n']})"
            )
        table = nasforge("analyze", str(study)).split(" overrated most")[0].rsplit("\n", 1)[0]
        print(table)  # the head of `nasforge analyze`: its correlation table
        if args.rescore_dropout:
            rescore_dropout(study)
        if args.repeat_seed is not None:
            again = Path(scratch) / "again.db"
            extra = "\n".join([*args.set, f"seed = {args.repeat_seed}"])  # supernet: 1 epoch, unused
            config.write_text(
                CONFIG.format(archs=args.archs, seed=args.seed, epochs=1, space=space, extra=extra)
            )
            nasforge("search", "--config", str(config), "--study", str(again), "--no-progress", "--json")
            repeatability(trials(study), trials(again), (args.seed, args.repeat_seed))


def rescore_dropout(study: Path) -> None:
    """Score the study's architectures on its saved supernet with `score_dropout` flipped."""
    from scipy.stats import kendalltau, spearmanr

    from nasforge.oneshot.evaluator import SupernetEvaluator
    from nasforge.spaces import make_space
    from nasforge.study.record import StudyView

    view = StudyView(study)
    options = {k: v for k, v in (view.config.evaluator or {}).items() if k != "name"}
    flipped = not options.get("score_dropout", False)
    evaluator = SupernetEvaluator(
        **{**options, "train_candidates": False, "proxies": [], "score_dropout": flipped}
    )
    evaluator.weights = str(study.with_name(study.name + ".artifacts") / "supernet.safetensors")
    space = make_space(view.config.space)
    done = [t for t in view.trials if t.state == "COMPLETE"]
    truth = [t.metrics["valid_accuracy"] for t in done]
    scores = [evaluator.evaluate(t.genotype, space).metrics for t in done]
    for measure, sign in (("supernet_valid_accuracy", 1), ("supernet_valid_loss", -1)):
        score = [sign * m[measure] for m in scores]
        print(
            f"{measure:24s} vs valid_accuracy, dropout {'on' if flipped else 'off'}: "
            f"tau {sign * kendalltau(score, truth).statistic:+.3f}  "
            f"rho {sign * spearmanr(score, truth).statistic:+.3f}  (n={len(done)})"
        )


def trials(study: Path) -> dict[str, dict[str, float]]:
    """Each completed trial's metrics, by architecture."""
    rows = json.loads(nasforge("trials", "--study", str(study), "--format", "json"))
    return {row["key"]: row for row in rows if row["state"] == "COMPLETE"}


def repeatability(
    first: dict[str, dict[str, float]], second: dict[str, dict[str, float]], seeds: tuple[int, int]
) -> None:
    """How far two stand-alone trainings of the same architectures rank alike, and each score
    against their mean."""
    from scipy.stats import kendalltau, spearmanr

    keys = sorted(first.keys() & second.keys())
    a = [first[k]["valid_accuracy"] for k in keys]
    b = [second[k]["valid_accuracy"] for k in keys]
    mean = [(x + y) / 2 for x, y in zip(a, b, strict=True)]
    print(
        f"stand-alone, training seed {seeds[0]} vs {seeds[1]}: "
        f"tau {kendalltau(a, b).statistic:+.3f}  rho {spearmanr(a, b).statistic:+.3f}  (n={len(keys)})"
    )
    for measure in ("supernet_valid_accuracy", "supernet_valid_loss", "proxy_synflow", "params"):
        score = [first[k][measure] for k in keys]
        print(
            f"{measure:24s} vs mean of both: "
            f"tau {kendalltau(score, mean).statistic:+.3f}  rho {spearmanr(score, mean).statistic:+.3f}"
        )


def nasforge(*argv: str) -> str:
    done = subprocess.run([sys.executable, "-m", "nasforge.cli.main", *argv], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"nasforge {' '.join(argv)} failed:\n{done.stderr}")
    return done.stdout


if __name__ == "__main__":
    main()

"""Weight sharing against the main job on MNIST-1D: wall time and the final pick's test accuracy.

For each seed, runs `nasforge search` three ways, one after the other, each in a fresh study:
  default  the main job (each candidate trained 5 epochs, the best 5 retrained and averaged);
  spos     --one-shot spos on the main job's space (one supernet, every candidate scored on it,
           the same final retraining);
  darts    --one-shot darts on an NB201 cell space (`--darts-cells` cells per stage, C=16; its
           CLI defaults: supernet 15 epochs, the derived cell retrained 20): the main job's
           space has options that change shapes, which DARTS cannot mix.
and prints each run's wall time (supernet + search + final retraining) and its final pick's
validation and test accuracy, then each one-shot run's time as a share of the default's and its
accuracy gap. Goal: within 1 point of the default's accuracy in <= 40% of its time.

    python benchmarks/one_shot_mnist1d.py --seeds 31 32 33
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

METHODS = ("default", "spos", "darts")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--darts-cells", type=int, default=1, help="NB201 cells per stage for DARTS")
    parser.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="more search options")
    args = parser.parse_args()
    rows: dict[tuple[str, int], dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        cells = Path(scratch) / "cells.toml"
        cells.write_text(f"[space]\nname = 'nb201'\nchannels = 16\ncells_per_stage = {args.darts_cells}\n")
        options = {
            "default": [],
            "spos": ["--one-shot", "spos"],
            "darts": ["--one-shot", "darts", "--config", str(cells)],
        }
        for seed in args.seeds:
            for method in args.methods:
                study = Path(scratch) / f"{method}-{seed}.db"
                rows[method, seed] = run(
                    ["--seed", str(seed), "--study", str(study), *options[method], *args.extra]
                )
                r = rows[method, seed]
                print(
                    f"{method:8s} seed {seed}: {r['seconds']:6.1f} s, final pick valid {r['valid']:.4f} "
                    f"test {r['test']:.4f} ({r['trials']} trials, pick {r['pick']})",
                    flush=True,
                )
    print("\nagainst the default search on the same seed:")
    for seed in args.seeds:
        base = rows.get(("default", seed))
        for method in args.methods:
            if method == "default" or base is None:
                continue
            r = rows[method, seed]
            print(
                f"{method:8s} seed {seed}: time {r['seconds'] / base['seconds']:.2f}x, "
                f"test accuracy {100 * (r['test'] - base['test']):+.2f} points"
            )


def run(options: list[str]) -> dict[str, Any]:
    """One `nasforge search` with `options`: its wall time and final pick."""
    argv = [sys.executable, "-m", "nasforge.cli.main", "search", *options, "--json", "--no-progress"]
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr}")
    out = json.loads(done.stdout)
    valid, test = final_pick_accuracy(out)
    return {
        "seconds": seconds,
        "valid": valid,
        "test": test,
        "trials": out["finished"],
        "pick": out["final_pick"]["pick"],
    }


def final_pick_accuracy(out: dict[str, Any]) -> tuple[float, float]:
    """(valid, test) accuracy of the final pick: the ensemble's, or its retrained model's."""
    pick = out["final_pick"]
    ensemble = pick["ensemble"]
    if ensemble is not None and ensemble["folder"] == pick["pick"]:
        metrics = ensemble["metrics"]
    else:
        number = int(pick["pick"].removeprefix("model-trial").split("-f")[0])
        final = [r for r in out["retrains"] if r["trial"] == number and "test_accuracy" in r["metrics"]]
        metrics = final[-1]["metrics"]  # its final retraining, not a rerank (which has no test figure)
    return metrics.get("valid_accuracy", float("nan")), metrics["test_accuracy"]


if __name__ == "__main__":
    main()

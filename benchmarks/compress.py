"""`nasforge compress` on two searched winners: the before/after row of every step.

Winners: the main job's (`nasforge search` with no options on MNIST-1D, run here unless
`--study` names a finished one) and the Fashion-MNIST search's (seed 0 in
benchmarks/results/fashion_search_seed0.txt, retrained here with that script's final recipe for
`--fashion-epochs`). Each is exported, then compressed: channel pruning with fine-tuning, BatchNorm
folding, static int8 quantization (onnxruntime). The pruning ratio is chosen on validation data
only: the largest of RATIOS whose pruned model keeps validation accuracy within 0.5 points of
the original's (else the smallest). Test accuracy is printed once, for the chosen pipeline.
Targets for the whole pipeline: file >= 4x smaller, latency at batch 1 >= 1.5x lower
(onnxruntime), test accuracy within 0.5 points.

    python benchmarks/compress.py [--study runs/mnist1d-macro.db] [--fashion-epochs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from fashion_search import FINAL, SEARCH

from nasforge.deploy.compress.measure import onnx_timings
from nasforge.deploy.compress.run import compress
from nasforge.deploy.export import export_model, write_folder
from nasforge.evaluators import EvalOptions, make_evaluator
from nasforge.evaluators.model_card import read_card
from nasforge.genotype import Genotype
from nasforge.spaces import make_space

RATIOS = (0.25, 0.5)
FINETUNE_EPOCHS = {"mnist1d": 10, "fashion": 3}
FASHION_WINNER = {  # seed 0's winner, benchmarks/results/fashion_search_seed0.txt
    "space": "macro",
    "spec": [
        [[3, 1, 32, 1, "relu", True, "max", 2], [5, 1, 16, 1, "elu", True, "max", 2]],
        ["flatten", 128, 0.0],
    ],
}


def main_job_model(study: str | None, scratch: Path) -> Path:
    if study is None:
        study = str(scratch / "main.db")
        subprocess.run(
            ["nasforge", "search", "--study", study, "--no-progress"], check=True, stdout=subprocess.DEVNULL
        )
    return export_model(study, scratch / "mnist1d")


def fashion_model(epochs: int, scratch: Path) -> Path:
    evaluator = make_evaluator({**SEARCH["evaluator"], **FINAL, "seed": 0, "epochs": epochs})
    space = make_space(SEARCH["space"])
    kept = scratch / "fashion-kept"
    result = evaluator.evaluate(
        Genotype.from_dict(FASHION_WINNER), space, options=EvalOptions(model_to=str(kept))
    )
    if result.error:
        raise SystemExit(f"retraining the Fashion-MNIST winner failed: {result.error}")
    write_folder(kept, scratch / "fashion")
    return scratch / "fashion"


def pipeline(name: str, folder: Path, scratch: Path) -> list[dict[str, Any]]:
    """Choose the pruning ratio on validation data, then run the whole pipeline with it."""
    epochs = FINETUNE_EPOCHS[name]
    tried = {}
    for ratio in RATIOS:
        rows = compress(folder, scratch / f"{name}-try{ratio}", prune=ratio, finetune_epochs=epochs)
        tried[ratio] = rows[1]["valid_accuracy"]
        print(f"{name}: prune {ratio} -> valid {tried[ratio]:.4f} (original {rows[0]['valid_accuracy']:.4f})")
    kept = [r for r in RATIOS if tried[r] >= rows[0]["valid_accuracy"] - 0.005]
    ratio = max(kept) if kept else min(RATIOS)
    print(f"{name}: chosen ratio {ratio} (validation only)")
    return compress(
        folder, scratch / f"{name}-small", prune=ratio, finetune_epochs=epochs, fold_bn=True, quantize="int8"
    )


def interleaved(folders: dict[str, Path], shape: list[int], rounds: int = 5) -> dict[str, dict[str, float]]:
    """onnxruntime latency of each file, measured in turns (`rounds` x 100 calls each, median of
    the rounds), so that a slow start or a busy moment does not favour one file."""
    seen: dict[str, list[dict[str, float]]] = {label: [] for label in folders}
    for _ in range(rounds):
        for label, path in folders.items():
            seen[label].append(onnx_timings(path, shape))
    return {
        label: {k: statistics.median(t[k] for t in timings) for k in timings[0]}
        for label, timings in seen.items()
    }


def show(name: str, rows: list[dict[str, Any]]) -> None:
    print(f"\n{name}: step | params | FLOPs | bytes | torch ms @1 @64 | ort ms @1 @64 | valid | test")
    for r in rows:
        torch_ms = (
            "-" if r["torch_ms_batch1"] is None else f"{r['torch_ms_batch1']:.3f} {r['torch_ms_batch64']:.3f}"
        )
        print(
            f"  {r['step']:<16} {r['params']:>8,} {r['flops']:>11,} {r['file_bytes']:>9,} {torch_ms:>13} "
            f"{r['onnx_ms_batch1']:.3f} {r['onnx_ms_batch64']:.3f} "
            f"{r['valid_accuracy']:.4f} {r['test_accuracy']:.4f}"
        )
    first, last = rows[0], rows[-1]
    size = first["file_bytes"] / last["file_bytes"]
    speed = first["onnx_ms_batch1"] / last["onnx_ms_batch1"]
    best_fp32 = min(rows[1:-1], key=lambda r: r["onnx_ms_batch1"])
    drop = 100 * (first["test_accuracy"] - last["test_accuracy"])
    fp32_speed = first["onnx_ms_batch1"] / best_fp32["onnx_ms_batch1"]
    print(f"  whole pipeline: file {size:.2f}x smaller (target >= 4)")
    print(f"  ort batch-1 latency {speed:.2f}x lower (target >= 1.5)")
    print(f"  ort batch-1 latency of the fp32 {best_fp32['step']} step: {fp32_speed:.2f}x lower")
    print(f"  ort batch-64 latency {first['onnx_ms_batch64'] / last['onnx_ms_batch64']:.2f}x lower")
    print(f"  test accuracy {-drop:+.2f} points (target >= -0.5)")


def show_interleaved(name: str, original: Path, small: Path) -> None:
    shape = read_card(original)["task"]["input_shape"]
    files = {
        "original": original / "model.onnx",
        "fp32 small": small / "model.onnx",
        "int8": small / "model.int8.onnx",
    }
    timings = interleaved(files, shape)
    base = timings["original"]
    one, many = base["onnx_ms_batch1"], base["onnx_ms_batch64"]
    print(f"  interleaved ort latency, original: {one:.3f} ms @1, {many:.3f} ms @64")
    for label in ("fp32 small", "int8"):
        t = timings[label]
        one, many = (
            base["onnx_ms_batch1"] / t["onnx_ms_batch1"],
            base["onnx_ms_batch64"] / t["onnx_ms_batch64"],
        )
        print(
            f"  interleaved ort latency, {label}: {t['onnx_ms_batch1']:.3f} ms @1 ({one:.2f}x lower), "
            f"{t['onnx_ms_batch64']:.3f} ms @64 ({many:.2f}x lower)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", help="a finished main-job study (default: run the main job now)")
    parser.add_argument(
        "--fashion-epochs", type=int, default=5, help="retraining epochs of the Fashion winner"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        for name, build in (
            ("mnist1d", lambda: main_job_model(args.study, scratch)),
            ("fashion", lambda: fashion_model(args.fashion_epochs, scratch)),
        ):
            original = build()
            show(name, pipeline(name, original, scratch))
            show_interleaved(name, original, scratch / f"{name}-small")
            sys.stdout.flush()


if __name__ == "__main__":
    main()

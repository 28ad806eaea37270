"""Write an exported model folder whose one inference takes tens of milliseconds: a macro-space
network of 4 convolutions (128 channels, 5x5, stride 1) on 1x32x32 inputs, untrained (its
weights do not matter to a latency figure). For the server's behaviour under a slow model:

    python benchmarks/slow_model.py OUT && python benchmarks/serve_health.py OUT --runtime onnx
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from nasforge.deploy.export import write_folder
from nasforge.evaluators.model_card import CardTask, ModelCard, save_model
from nasforge.spaces import make_space
from nasforge.task import Task

CHOICES = {
    "kernel": [5],
    "stride": [1],
    "channels": [128],
    "dilation": [1],
    "activation": ["relu"],
    "batchnorm": [True],
    "pool": ["none"],
    "global_pool": ["avg"],
    "hidden": [0],
    "dropout": [0.0],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    space = make_space({"name": "macro", "min_blocks": 4, "max_blocks": 4, "choices": CHOICES})
    task = Task((1, 32, 32), 10)
    genotype = space.sample(np.random.default_rng(0))
    torch.manual_seed(0)
    model = space.build(genotype, task).eval()
    card = ModelCard(
        genotype=genotype.to_dict(),
        space=space.config(),
        task=CardTask(input_shape=(1, 32, 32), num_classes=10),
    )
    with tempfile.TemporaryDirectory() as kept:
        save_model(kept, model, card)
        write_folder(Path(kept), args.out)
    x = torch.zeros(1, 1, 32, 32)
    torch.set_num_threads(1)
    with torch.no_grad():
        times = []
        for _ in range(20):
            start = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - start)
    print(f"wrote {args.out}; one inference (PyTorch, 1 thread): {1e3 * statistics.median(times):.1f} ms")


if __name__ == "__main__":
    main()

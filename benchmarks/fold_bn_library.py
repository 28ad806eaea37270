"""BatchNorm folding, for each source tree given (e.g. before and after a change, in one run): per
space, over 10 sampled networks with trained BatchNorm statistics, the BatchNorms folded out of
those there are, the largest output difference after folding, and milliseconds per fold.

    python benchmarks/fold_bn_library.py --src OLD/src NEW/src
"""

from __future__ import annotations

from source_trees import run_in_each

RUN = """
import time
import numpy as np, torch
from torch import nn
from nasforge.deploy.transforms.fold_bn import fold_batchnorm
from nasforge.spaces import make_space
from nasforge.task import Task

torch.set_num_threads(1)
for name in ("macro", "families", "nb201", "classic"):
    space, task = make_space(name), Task((1, 12, 12), 10)
    x = torch.rand(32, 1, 12, 12, generator=torch.Generator().manual_seed(0))
    folded = total = 0
    worst, seconds = 0.0, 0.0
    for seed in range(10):
        torch.manual_seed(seed)
        net = space.build(space.sample(np.random.default_rng(seed)), task).train()
        with torch.no_grad():
            for _ in range(3):
                net(x + torch.randn_like(x))
        net.eval()
        total += sum(isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) for m in net.modules())
        with torch.no_grad():
            before = net(x)
            start = time.perf_counter()
            report = fold_batchnorm(net)
            seconds += time.perf_counter() - start
            worst = max(worst, float((net(x) - before).abs().max()))
        folded += sum(": folded into " in line for line in report)
    print(f"{name:9s} folded {folded:3d} of {total:3d} BatchNorms; max |difference| {worst:.1e}; "
          f"{1e3 * seconds / 10:.1f} ms per fold")
"""


def main() -> None:
    run_in_each(RUN, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()

"""NSGA-II's non-dominated ranks and the Pareto hypervolume, for each source tree given (e.g.
before and after a change, in one run): the same seeded point sets (integer coordinates, so ties
are common) of 100, 400 and 1,000 points; a checksum of the ranks, the hypervolume, and the
milliseconds each took.

    python benchmarks/pareto_library.py --src OLD/src NEW/src
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

RUN = """
import time
import numpy as np
from nasforge.analysis.pareto import hypervolume_2d
from nasforge.strategies.nsga2 import non_dominated_ranks

rng = np.random.default_rng(0)
for n in (100, 400, 1000):
    points = rng.integers(0, 50, size=(n, 2)).astype(float)
    start = time.perf_counter()
    ranks = non_dominated_ranks(points.tolist())
    ranked = time.perf_counter() - start
    start = time.perf_counter()
    volume = hypervolume_2d(points, np.array([-1.0, -1.0]))
    measured = time.perf_counter() - start
    print(f"n={n}: ranks sum {sum(ranks)} in {1e3 * ranked:.1f} ms; "
          f"hypervolume {volume:.1f} in {1e3 * measured:.2f} ms")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", nargs="+", required=True, help="source trees to compare (PYTHONPATH)")
    args = parser.parse_args()
    for src in args.src:
        argv = [sys.executable, "-c", RUN]
        out = subprocess.run(
            argv, env={**os.environ, "PYTHONPATH": src}, capture_output=True, text=True, check=True
        )
        print(f"{src}:\n{out.stdout}")


if __name__ == "__main__":
    main()

"""NSGA-II's non-dominated ranks and the Pareto hypervolume, for each source tree given (e.g.
before and after a change, in one run): the same seeded point sets (integer coordinates, so ties
are common) of 100, 400 and 1,000 points; a checksum of the ranks, the hypervolume, and the
milliseconds each took.

    python benchmarks/pareto_library.py --src OLD/src NEW/src
"""

from __future__ import annotations

from source_trees import run_in_each

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
    run_in_each(RUN, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()

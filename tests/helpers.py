"""Evaluators for tests: real table lookups with injected failures, hangs and worker deaths."""

from __future__ import annotations

import os
import time
from pathlib import Path

from nasforge import EvalOptions, Genotype, Result, SearchSpace, TabularEvaluator


class FailingEvaluator(TabularEvaluator):
    """Raises for every cell whose first edge is `avg_pool_3x3`; returns NaN when it is `none`."""

    def evaluate(
        self,
        genotype: Genotype,
        space: SearchSpace,
        fidelity: float | None = None,
        options: EvalOptions | None = None,
    ) -> Result:
        if genotype.spec[0] == "avg_pool_3x3":
            raise RuntimeError("injected failure")
        result = super().evaluate(genotype, space, fidelity, options)
        if genotype.spec[0] == "none":
            result.metrics["valid"] = float("nan")
        return result


class HangingEvaluator(TabularEvaluator):
    """Sleeps far beyond any time limit for cells whose first edge is `avg_pool_3x3`."""

    def evaluate(
        self,
        genotype: Genotype,
        space: SearchSpace,
        fidelity: float | None = None,
        options: EvalOptions | None = None,
    ) -> Result:
        if genotype.spec[0] == "avg_pool_3x3":
            time.sleep(60)
        return super().evaluate(genotype, space, fidelity, options)


class DyingEvaluator(TabularEvaluator):
    """Kills the process it runs in for cells whose first edge is `avg_pool_3x3`."""

    def evaluate(
        self,
        genotype: Genotype,
        space: SearchSpace,
        fidelity: float | None = None,
        options: EvalOptions | None = None,
    ) -> Result:
        if genotype.spec[0] == "avg_pool_3x3":
            os._exit(3)
        return super().evaluate(genotype, space, fidelity, options)


def processes_using(path: Path) -> list[int]:
    """Live processes whose command line names the study file (the driver and its pool workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(path).encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found

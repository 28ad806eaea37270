"""Evaluators for tests: real table lookups with injected failures."""

from __future__ import annotations

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

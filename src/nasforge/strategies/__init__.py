"""Search strategies, by name."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nasforge._registry import Registry, lazy_getattr

if TYPE_CHECKING:
    from nasforge.spaces.base import SearchSpace
    from nasforge.strategies.annealing import SimulatedAnnealing
    from nasforge.strategies.asha import ASHA
    from nasforge.strategies.bananas import Bananas
    from nasforge.strategies.base import Strategy
    from nasforge.strategies.evolution import RegularizedEvolution
    from nasforge.strategies.genetic import GeneticAlgorithm
    from nasforge.strategies.hyperband import BOHB, Hyperband, SuccessiveHalving
    from nasforge.strategies.local_search import LocalSearch
    from nasforge.strategies.nsga2 import NSGA2
    from nasforge.strategies.random_search import RandomSearch
    from nasforge.strategies.tpe import TPE

_CLASSES = {
    "random": "nasforge.strategies.random_search:RandomSearch",
    "annealing": "nasforge.strategies.annealing:SimulatedAnnealing",
    "genetic": "nasforge.strategies.genetic:GeneticAlgorithm",
    "evolution": "nasforge.strategies.evolution:RegularizedEvolution",
    "local": "nasforge.strategies.local_search:LocalSearch",
    "nsga2": "nasforge.strategies.nsga2:NSGA2",
    "bananas": "nasforge.strategies.bananas:Bananas",
    "tpe": "nasforge.strategies.tpe:TPE",
    "halving": "nasforge.strategies.hyperband:SuccessiveHalving",
    "hyperband": "nasforge.strategies.hyperband:Hyperband",
    "asha": "nasforge.strategies.asha:ASHA",
    "bohb": "nasforge.strategies.hyperband:BOHB",
}
STRATEGIES: Registry[Strategy] = Registry.lazy("strategy", _CLASSES)
__getattr__ = lazy_getattr(
    __name__, {**STRATEGIES.class_paths(), "Strategy": "nasforge.strategies.base:Strategy"}
)


def make_strategy(name: str, space: SearchSpace, *, seed: int = 0, **params: Any) -> Strategy:
    """Build the strategy registered as `name`, checking its hyperparameters.

    Example:
        >>> from nasforge.spaces import NB201Space
        >>> make_strategy("evolution", NB201Space(), seed=3, sample_size=4).sample_size
        4
    """
    return STRATEGIES.create(name, space, seed=seed, **params)


__all__ = [
    "ASHA",
    "BOHB",
    "NSGA2",
    "STRATEGIES",
    "TPE",
    "Bananas",
    "GeneticAlgorithm",
    "Hyperband",
    "LocalSearch",
    "RandomSearch",
    "RegularizedEvolution",
    "SimulatedAnnealing",
    "Strategy",
    "SuccessiveHalving",
    "make_strategy",
]

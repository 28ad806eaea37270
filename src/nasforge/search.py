"""Opening a study from a `SearchConfig`: what `nasforge search` and the benchmarks share."""

from __future__ import annotations

from nasforge.config import SearchConfig
from nasforge.evaluators import make_evaluator
from nasforge.evaluators.base import Evaluator
from nasforge.spaces import make_space
from nasforge.study import Study


def open_search(config: SearchConfig) -> tuple[Study, Evaluator]:
    """The study (new, or resumed when the file holds the same configuration) and its evaluator.

    The evaluator is seeded with the config's seed unless its section sets one.

    Example:
        >>> from nasforge.config import load_config
        >>> study, evaluator = open_search(load_config(None, {"space": {"name": "nb201"},
        ...     "evaluator": {"name": "table"}, "study": ":memory:"}))
        >>> study.objective
        'valid'
    """
    evaluator = make_evaluator({"seed": config.seed, **config.evaluator})
    study = Study.create(
        make_space(config.space),
        config.strategy["name"],
        strategy_params={k: v for k, v in config.strategy.items() if k != "name"},
        seed=config.seed,
        objective=config.metric or evaluator.objective,
        direction=config.direction,
        path=None if config.study == ":memory:" else config.study_path,
        evaluator=evaluator,
    )
    return study, evaluator

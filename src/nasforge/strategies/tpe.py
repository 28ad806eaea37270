"""TPE (tree-structured Parzen estimator) through Optuna's sampler, knob by knob.

Each ask runs an Optuna trial through the space (`SearchSpace.suggest`): a define-by-run space asks
Optuna for each knob its function reaches, with the knob's real distribution (a log-uniform float
stays one), so knobs on a branch not taken are absent, as in an Optuna objective; other spaces
suggest each of their features as a categorical. An architecture already evaluated is told to the
sampler with its known value and another is drawn, so no architecture is evaluated twice; one
still running is told as failed. A trial that breaks one of the study's constraints is told with
its value and as infeasible (an Optuna constraint above 0), so the estimators rank it below every
feasible trial. Optuna's own log lines for these internal trials are dropped (the user's logging
level is left as it is).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator
from typing import Any

from nasforge.errors import InvalidArgumentError
from nasforge.spaces.base import SearchSpace
from nasforge.strategies.base import Strategy
from nasforge.trial import Candidate, Trial
from nasforge.validation import check_int

REDRAWS = 50
FEASIBILITY = "study_constraints"  # Optuna's constraint: 1 where the trial broke one, else 0
_OPTUNA_LOGGERS = ("optuna.study.study", "optuna.study._tell", "optuna.storages._in_memory")
_QUIET = contextvars.ContextVar("nasforge_tpe_quiet", default=False)


class TPE(Strategy):
    """Optuna's TPE sampler over the space's knobs (NB201 edges; blocks and knobs of a chain; a
    define-by-run space's own distributions).

    Args:
        startup: random trials before the Parzen estimators are used.
        seed: random seed.

    Example:
        >>> from nasforge.spaces import NB201Space
        >>> len(TPE(NB201Space(), startup=5).ask(2))
        2
    """

    name = "tpe"
    weighs_feasibility = True

    def __init__(self, space: SearchSpace, *, startup: int = 10, seed: int = 0) -> None:
        super().__init__(space, seed=seed)
        self.startup = check_int("startup", startup, minimum=1)
        try:
            import optuna
        except ImportError:
            raise InvalidArgumentError("strategy 'tpe' needs Optuna: pip install optuna") from None
        if not space.feature_choices():
            raise InvalidArgumentError(
                f"strategy 'tpe' needs a space described knob by knob; {space.name} is not"
            )
        self._optuna = optuna
        sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=self.startup)
        with _quiet():
            self._study = optuna.create_study(direction="maximize", sampler=sampler)
        self._pending: dict[str, Any] = {}  # key -> the Optuna trial asked for it
        self._known: dict[str, tuple[float, bool]] = {}  # key -> (score, feasible)

    def _propose(self) -> Candidate:
        warm = self.next_warm()  # told to the sampler as found when it finishes (see _observe)
        if warm is not None:
            return Candidate(warm)
        states = self._optuna.trial.TrialState
        with _quiet():
            for _ in range(REDRAWS):
                asked = self._study.ask()
                genotype = self.space.suggest(asked)
                key = self.space.key(genotype)
                if key in self._known:
                    score, feasible = self._known[key]
                    asked.set_constraint(FEASIBILITY, _broken(feasible))
                    self._study.tell(asked, score)
                elif not self.is_new(genotype):
                    self._study.tell(asked, state=states.FAIL)
                else:
                    self._pending[key] = asked
                    return Candidate(genotype)
        return Candidate(self.random_new())

    def _observe(self, trial: Trial) -> None:
        key = trial.key
        asked = self._pending.pop(key, None)
        feasible = trial.feasible is not False
        if trial.score is not None:
            self._known[key] = (trial.score, feasible)
        states = self._optuna.trial.TrialState
        with _quiet():
            if asked is not None:
                if trial.score is None:
                    self._study.tell(asked, state=states.FAIL)
                else:
                    asked.set_constraint(FEASIBILITY, _broken(feasible))
                    self._study.tell(asked, trial.score)
            elif trial.score is not None:  # asked by the fallback: tell the sampler what it found
                params, distributions = self.space.suggested(trial.genotype)
                self._study.add_trial(
                    self._optuna.trial.create_trial(
                        params=params,
                        distributions=distributions,
                        value=trial.score,
                        constraints={FEASIBILITY: _broken(feasible)},
                    )
                )


def _broken(feasible: bool) -> float:
    """The value of Optuna's constraint `FEASIBILITY`: above 0 where the trial is infeasible."""
    return 0.0 if feasible else 1.0


class _Quiet(logging.Filter):
    """Drops Optuna's records made inside `_quiet` (the strategy's internal trials)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not _QUIET.get()


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    for name in _OPTUNA_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _Quiet) for f in logger.filters):
            logger.addFilter(_Quiet())
    token = _QUIET.set(True)
    try:
        yield
    finally:
        _QUIET.reset(token)

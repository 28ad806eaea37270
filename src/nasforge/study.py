"""`Study`: runs a strategy against an evaluator and keeps every trial in SQLite."""

from __future__ import annotations

import concurrent.futures as cf
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nasforge.errors import SpaceExhaustedError, StudyError
from nasforge.evaluators.base import Evaluator, Result, run_evaluation
from nasforge.executors import Executor, SerialExecutor
from nasforge.genotype import Genotype
from nasforge.spaces import make_space
from nasforge.spaces.base import SearchSpace
from nasforge.storage import Storage
from nasforge.strategies import make_strategy
from nasforge.strategies.base import Strategy
from nasforge.trial import Trial, TrialState
from nasforge.validation import check_choice, check_int

DIRECTIONS = ("maximize", "minimize")
Callback = Callable[["Study", Trial], None]


class Study:
    """A search in progress or done: space, strategy, objective and every trial.

    Create or resume one with `Study.create`, open a stored one with `Study.load`.

    Example:
        >>> from nasforge import NB201Space, TabularEvaluator
        >>> study = Study.create(NB201Space(), "random", seed=0)
        >>> study.optimize(TabularEvaluator(), budget=5)
        >>> len(study.trials)
        5
    """

    def __init__(self, storage: Storage, config: dict[str, Any]) -> None:
        self.storage = storage
        self.config = config
        self.space: SearchSpace = make_space(config["space"])
        strategy = config["strategy"]
        self.strategy: Strategy = make_strategy(
            strategy["name"], self.space, seed=strategy["seed"], **strategy["params"]
        )
        if config.get("warm_start"):
            self.strategy.warm_start([self.space.parse(text) for text in config["warm_start"]])
        self.objective: str = config["objective"]
        self.direction: str = config["direction"]
        self.exhausted = False
        self.trials: list[Trial] = storage.load_trials()
        self._n_finished = sum(t.state.finished for t in self.trials)
        self._n_told = 0
        self._rerun = self._replay()

    @classmethod
    def create(
        cls,
        space: SearchSpace,
        strategy: str = "evolution",
        *,
        strategy_params: dict[str, Any] | None = None,
        seed: int = 0,
        objective: str = "valid",
        direction: str = "maximize",
        path: str | Path | None = None,
        evaluator: Evaluator | None = None,
        warm_start: list[Genotype] | None = None,
    ) -> Study:
        """A new study, or the one stored at `path` if it has the same configuration.

        `warm_start` architectures (for example from `zero_cost_warmup`) are served first where
        the strategy would sample at random; they are stored with the study.

        Raises:
            StudyError: `path` holds a study with a different space, strategy or objective.
        """
        check_choice("direction", direction, DIRECTIONS)
        config = {
            "space": space.config(),
            "strategy": make_strategy(strategy, space, seed=seed, **(strategy_params or {})).config(),
            "objective": objective,
            "direction": direction,
            "evaluator": None if evaluator is None else evaluator.config(),
            "metadata": None if evaluator is None else evaluator.metadata(),
            "warm_start": None if warm_start is None else [space.format(g) for g in warm_start],
        }
        config = json.loads(json.dumps(config))  # compare in stored (JSON) form: tuples are lists
        storage = Storage(path)
        stored = storage.read_config()
        if stored is None:
            storage.write_config(config)
            return cls(storage, config)
        differences = [
            k for k in config if k != "metadata" and config[k] is not None and stored.get(k) != config[k]
        ]
        if differences:
            storage.close()
            shown = "; ".join(f"{k}: stored {stored.get(k)!r}, asked {config[k]!r}" for k in differences)
            raise StudyError(f"study {path} exists with a different configuration ({shown})")
        return cls(storage, stored)

    @classmethod
    def load(cls, path: str | Path) -> Study:
        """Open the study stored at `path` (to resume it or read its results)."""
        if not Path(path).is_file():
            raise StudyError(f"no study at {path} (file does not exist)")
        storage = Storage(path)
        config = storage.read_config()
        if config is None:
            storage.close()
            raise StudyError(f"{path} holds no nasforge study")
        return cls(storage, config)

    @property
    def n_finished(self) -> int:
        """Trials that are COMPLETE, FAILED or PRUNED."""
        return self._n_finished

    @property
    def best_trial(self) -> Trial | None:
        """The COMPLETE trial with the best objective, or None."""
        board = self.leaderboard(1)
        return board[0] if board else None

    def leaderboard(self, k: int | None = None) -> list[Trial]:
        """COMPLETE trials from best to worst objective (ties: earlier first)."""
        done = [t for t in self.trials if t.state is TrialState.COMPLETE and t.score is not None]
        return sorted(done, key=lambda t: (-(t.score or 0.0), t.number))[:k]

    def optimize(
        self,
        evaluator: Evaluator,
        budget: int,
        *,
        executor: Executor | None = None,
        callback: Callback | None = None,
    ) -> None:
        """Run until `budget` trials have finished (counting those already stored).

        Each finished trial is committed before the next candidate is asked for. A trial whose
        evaluation raises is stored as FAILED with the reason, and the search goes on.
        """
        check_int("budget", budget, minimum=0)
        with self.storage.writing():
            self._check_current()
            self._run(evaluator, budget, executor or SerialExecutor(), callback)

    def _run(self, evaluator: Evaluator, budget: int, executor: Executor, callback: Callback | None) -> None:
        pending: dict[cf.Future[Result], Trial] = {}
        while True:
            while len(pending) < executor.max_workers and self.n_finished + len(pending) < budget:
                trial = self._rerun.pop(0) if self._rerun else self._ask()
                if trial is None:
                    break
                future = executor.submit(
                    run_evaluation, evaluator, trial.genotype, self.space, trial.fidelity
                )
                pending[future] = trial
            if not pending:
                return
            done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: pending[f].number):
                trial = pending.pop(future)
                self._finish(trial, _outcome(future))
                if callback is not None:
                    callback(self, trial)

    def retrain(self, evaluator: Evaluator, trial: Trial, fidelity: float | None) -> Result:
        """Evaluate `trial`'s architecture again at `fidelity` (e.g. more epochs) and store the result."""
        with self.storage.writing():
            result = run_evaluation(evaluator, trial.genotype, self.space, fidelity)
            self.storage.add_retrain(trial.number, fidelity, result.metrics, result.error)
        return result

    def close(self) -> None:
        """Close the storage."""
        self.storage.close()

    def _check_current(self) -> None:
        """Refuse to go on from trials that another process has since advanced."""
        known = (len(self.trials), sum(t.told is not None for t in self.trials))
        if self.storage.progress() != known:
            raise StudyError(
                f"study {self.storage.path} was advanced by another process since it was opened;"
                " open it again"
            )

    def _ask(self) -> Trial | None:
        if self.exhausted:
            return None
        try:
            candidate = self.strategy.ask(1)[0]
        except SpaceExhaustedError:
            self.exhausted = True
            return None
        trial = Trial(
            number=len(self.trials),
            genotype=candidate.genotype,
            key=self.space.key(candidate.genotype),
            fidelity=candidate.fidelity,
            asked_after=self._n_told,
            started=time.time(),
        )
        self.storage.add_trial(trial)
        self.trials.append(trial)
        return trial

    def _finish(self, trial: Trial, result: Result) -> None:
        trial.metrics, trial.cost_s, trial.finished = dict(result.metrics), result.cost_s, time.time()
        value = result.metrics.get(self.objective)
        if result.error is not None:
            trial.state, trial.reason = TrialState.FAILED, result.error
        elif value is None:
            trial.state = TrialState.FAILED
            trial.reason = (
                f"evaluator returned no metric {self.objective!r} (has: {', '.join(sorted(result.metrics))})"
            )
        else:
            trial.state = TrialState.COMPLETE
            trial.score = value if self.direction == "maximize" else -value
        trial.told, self._n_told = self._n_told, self._n_told + 1
        self._n_finished += 1
        if result.artifacts.get("curves"):
            self.storage.add_curves(trial.number, result.artifacts["curves"])
        self.storage.finish_trial(trial)
        self.strategy.tell(trial)

    def _replay(self) -> list[Trial]:
        """Rebuild the strategy's state by asking and telling the stored trials in their order.

        Returns the trials that were RUNNING when the study stopped, to evaluate again.
        """
        told = iter(sorted((t for t in self.trials if t.told is not None), key=lambda t: t.told or 0))
        rerun = []
        for trial in self.trials:
            while self._n_told < trial.asked_after:
                self._tell_stored(next(told, None), trial)
            candidate = self.strategy.ask(1)[0]
            if candidate.genotype != trial.genotype:
                raise StudyError(
                    f"resuming diverged at trial {trial.number}: the strategy now proposes "
                    f"{self.space.format(candidate.genotype)}, the study stored "
                    f"{self.space.format(trial.genotype)} (was the strategy's code changed?)"
                )
            if trial.state is TrialState.RUNNING:
                trial.asked_after = self._n_told
                rerun.append(trial)
        for trial in told:
            self._tell_stored(trial, trial)
        return rerun

    def _tell_stored(self, trial: Trial | None, at: Trial) -> None:
        if trial is None:
            raise StudyError(f"study storage is inconsistent: trial {at.number} waits for a missing result")
        self.strategy.tell(trial)
        self._n_told += 1


def _outcome(future: cf.Future[Result]) -> Result:
    try:
        return future.result()
    except Exception as exc:
        return Result(error=f"{type(exc).__name__}: {exc}")

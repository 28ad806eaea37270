"""`Study`: runs a strategy against an evaluator and keeps every trial in SQLite."""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import math
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from nasforge.errors import InvalidArgumentError, SpaceExhaustedError, StudyError
from nasforge.evaluators.base import Artifacts, EvalOptions, Evaluator, Result, run_evaluation
from nasforge.evaluators.stop_rule import StopRule
from nasforge.execution.executors import Executor, SerialExecutor, make_executor
from nasforge.execution.timeouts import evaluate_within, past_deadline, stuck, until_deadline
from nasforge.genotype import Genotype
from nasforge.objectives import Constraint, make_constraints, make_objectives
from nasforge.spaces import make_space
from nasforge.spaces.base import SearchSpace
from nasforge.strategies import make_strategy
from nasforge.strategies.base import Strategy
from nasforge.study.eval_options import PLAIN, checkpoint_below, checkpoint_path, model_dir, stop_rule
from nasforge.study.record import StudyRecord, artifact_dir
from nasforge.study.replay import check_still_valid, replay
from nasforge.study.settings import StudySettings
from nasforge.study.storage import Storage
from nasforge.study.stored_config import check_metrics, same_study, study_config
from nasforge.study.study_config import StudyConfig
from nasforge.trial import Retrain, Trial, TrialState, reached
from nasforge.validation import check_int

Callback = Callable[["Study", Trial], None]


class Study(StudyRecord):
    """A search in progress or done: space, strategy, objectives and every trial.

    Create or resume one with `Study.create`, open a stored one with `Study.load` (to read one
    without running it, use `nasforge.StudyView`). Run it with `optimize`, or drive it from your
    own training loop with `ask` and `tell`.

    Example:
        >>> from nasforge import NB201Space, TabularEvaluator
        >>> study = Study.create(NB201Space(), "random", seed=0)
        >>> study.optimize(TabularEvaluator(), budget=5)
        >>> len(study.trials)
        5
        >>> trial = study.ask()
        >>> study.tell(trial, {"valid": 90.0})
        >>> study.trials[-1].state.value
        'COMPLETE'
    """

    def __init__(self, storage: Storage, config: StudyConfig, space: SearchSpace | None = None) -> None:
        self.storage = storage
        self.config = config
        self._settings = StudySettings.stored(self.config.settings)
        # The space given to `create` is used as it is (a function defined in a notebook cannot be
        # imported again by name); a loaded study rebuilds it from its configuration.
        self.space: SearchSpace = space if space is not None else make_space(self.config.space)
        strategy = self.config.strategy
        self.strategy: Strategy = make_strategy(
            strategy.name, self.space, seed=strategy.seed, **strategy.params
        )
        self.strategy.set_objectives(tuple(o.direction for o in self.config.objectives))
        if self.config.warm_start:
            self.strategy.warm_start([self.space.parse(text) for text in self.config.warm_start])
        self.exhausted = False
        self.trials: list[Trial] = storage.load_trials()
        changes = self.space.changes()
        if changes:
            check_still_valid(self.space, self.trials, changes)
        self._n_told, self._rerun = replay(self.strategy, self.space, self.trials, exact=not changes)
        self._continued: dict[int, int] = {}  # promoted trial -> the trial whose checkpoint it continues
        self._curves: dict[int, dict[int, float]] = {}  # finished trial -> its objective by step (pruning)
        self._n_finished = sum(t.state.finished for t in self.trials)

    @classmethod
    def create(
        cls,
        space: SearchSpace,
        strategy: str = "evolution",
        *,
        strategy_params: dict[str, Any] | None = None,
        seed: int = 0,
        objective: str | Sequence[str] = "valid",
        direction: str | Sequence[str] | None = None,
        constraints: Sequence[str | Constraint] | None = None,
        path: str | Path | None = None,
        evaluator: Evaluator | None = None,
        warm_start: list[Genotype] | None = None,
        settings: StudySettings | dict[str, Any] | None = None,
    ) -> Study:
        """A new study, or the one stored at `path` if it has the same configuration.

        `objective` is one metric or several (a multi-objective study; `direction` then is one
        value or one per metric; None: the way `evaluator` declares each metric, a loss or
        `params` minimised, else maximize); `constraints` are bounds such as `"params<=1e6"`. With an
        `evaluator`, the objectives and constraints are checked against its metric schema now.
        `warm_start` architectures (for example from `zero_cost_warmup`) are served first where
        the strategy would sample at random. `settings` (`StudySettings`, or a dict of its
        fields) are stored so that the study can be resumed as it was started.

        Raises:
            StudyError: `path` holds a study with a different space, strategy, objective or evaluator.
            InvalidArgumentError: an objective or constraint the evaluator does not measure, or a
                setting that is misspelt or out of range.
        """
        if evaluator is not None:
            space.bind_task(evaluator.data_task())
        searcher = make_strategy(strategy, space, seed=seed, **(strategy_params or {}))
        objectives = make_objectives(objective, direction or _declared(objective, evaluator))
        config = study_config(
            space,
            searcher,
            objectives,
            make_constraints(constraints),
            evaluator,
            warm_start,
            StudySettings.parse(settings),
        )
        new_file = path is not None and not Path(path).exists()
        storage = None
        try:
            storage = Storage(path)
            stored = storage.read_config()
            if stored is None:
                storage.write_config(config)
                return cls(storage, config, space)
        except StudyError:  # a new study is created whole or not at all (a full disk, say)
            if storage is not None:
                storage.close()
            if new_file and path is not None:
                for leftover in (Path(path), Path(f"{path}-wal"), Path(f"{path}-shm")):
                    leftover.unlink(missing_ok=True)
            raise
        try:
            return cls(storage, same_study(stored, config, path), space)
        except StudyError:
            storage.close()
            raise

    @classmethod
    def load(cls, path: str | Path) -> Study:
        """Open the study stored at `path` to resume it (to read it, `StudyView` is lighter)."""
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
    def space_or_none(self) -> SearchSpace:
        """The study's space (the one it runs with)."""
        return self.space

    @property
    def settings(self) -> StudySettings:
        """How the study runs: budget, final_epochs, executor, pruner, … (stored with it)."""
        return self._settings

    def update_settings(self, **changes: Any) -> None:
        """Change stored settings (for example a larger budget) and store them.

        Raises:
            InvalidArgumentError: a misspelt setting or a value out of range.
        """
        self._settings = self._settings.changed(**changes)
        self.config.settings = self._settings.to_json()
        self.storage.write_config(self.config)

    @property
    def retrains(self) -> list[Retrain]:
        """Every retraining of a trial's architecture, oldest first."""
        return self.storage.load_retrains()

    @property
    def artifact_dir(self) -> Path | None:
        """Where trained models and checkpoints are kept (None for an in-memory study)."""
        return None if self.storage.path is None else artifact_dir(self.storage.path)

    def artifact_records(self) -> list[dict[str, Any]]:
        return self.storage.load_artifacts()

    @property
    def file(self) -> Path | None:
        return self.storage.path

    def curve_points(self, trial: int) -> dict[str, dict[int, float]]:
        return self.storage.load_curve_points(trial)

    # -- ask and tell ------------------------------------------------------------------------

    def ask(self) -> Trial:
        """The next trial to evaluate (stored as RUNNING); evaluate it yourself, then `tell`.

        Raises:
            SpaceExhaustedError: every architecture has been asked for.
        """
        with self.storage.writing():
            self._check_current()
            trial = self._rerun.pop(0) if self._rerun else self._ask()
        if trial is None:
            raise SpaceExhaustedError("the search space is exhausted: no architecture left to ask for")
        return trial

    def tell(
        self,
        trial: Trial,
        metrics: dict[str, float] | None = None,
        *,
        error: str | None = None,
        curves: dict[str, list[float]] | None = None,
        pruned_at: int | None = None,
        cost_s: float = 0.0,
    ) -> None:
        """Store the outcome of a trial from `ask`: its metrics, or the `error` that ended it.

        `curves` are per-step series (e.g. `{"valid_accuracy": [...]}` per epoch); `pruned_at`
        marks a trial you stopped early (PRUNED at that step).
        """
        if trial.state.finished or trial.number >= len(self.trials) or self.trials[trial.number] is not trial:
            raise InvalidArgumentError(
                f"trial must be a RUNNING trial of this study, got trial {trial.number}"
            )
        if metrics is None and error is None:
            raise InvalidArgumentError("tell needs metrics or an error, got neither")
        result = Result(dict(metrics or {}), cost_s, Artifacts(curves=curves or {}), error, pruned_at)
        with self.storage.writing():
            self._finish(trial, result)

    def promote(self, trial: Trial, fidelity: float) -> Trial:
        """Queue `trial`'s architecture at a higher `fidelity` (e.g. more epochs); `optimize`
        evaluates it before asking for new candidates, continuing from the trial's checkpoint
        when the study keeps checkpoints (`settings.checkpoints`).

        Raises:
            InvalidArgumentError: `trial` is not COMPLETE, `fidelity` is not higher, or the
                architecture was already evaluated at `fidelity`.
        """
        if trial.state is not TrialState.COMPLETE:
            raise InvalidArgumentError(
                f"only a COMPLETE trial can be promoted; trial {trial.number} is {trial.state}"
            )
        if fidelity <= (done := reached(trial)):
            raise InvalidArgumentError(
                f"fidelity must be above trial {trial.number}'s {done:g}, got {fidelity:g}"
            )
        if any(t.key == trial.key and t.fidelity == fidelity for t in self.trials):
            raise InvalidArgumentError(
                f"trial {trial.number}'s architecture was already run at fidelity {fidelity:g}"
            )
        with self.storage.writing():
            self._check_current()
            return self._queue_again(trial, fidelity, "promotion")

    def report(self, trial: Trial, step: int, metrics: dict[str, float]) -> None:
        """Store intermediate values of a RUNNING trial at `step` (e.g. after each epoch)."""
        check_int("step", step, minimum=0)
        with self.storage.writing():
            self.storage.add_step(trial.number, step, metrics)

    def should_prune(self, trial: Trial, step: int, value: float) -> bool:
        """True when `value` of the first objective at `step` is behind the median of finished trials."""
        rule = self._stop_rule()
        return rule is not None and rule.should_stop(step, value)

    # -- running -----------------------------------------------------------------------------

    def optimize(
        self,
        evaluator: Evaluator,
        budget: int,
        *,
        executor: Executor | None = None,
        callback: Callback | Sequence[Callback] | None = None,
        timeout: float | None = None,
        n_jobs: int = 1,
    ) -> None:
        """Run until `budget` trials have finished (counting those already stored), or until
        `timeout` seconds (default: the study's `timeout` setting) have passed: no trial is asked
        for after it, the running ones finish. `n_jobs` trials run at once in a process pool
        (-1: one per core), as in Optuna, unless an `executor` is given.

        Each finished trial is committed before the next candidate is asked for, then given to
        `callback(study, trial)` (or to each of a list of callbacks, e.g. `MLflowCallback`). A
        trial whose evaluation raises is stored as FAILED with the reason, and the search goes on.

        Raises:
            InvalidArgumentError: an objective the evaluator does not measure, or a setting that
                would fail every trial; checked before the first trial.
        """
        check_int("budget", budget, minimum=0)
        if timeout is not None and not timeout > 0:
            raise InvalidArgumentError(f"timeout must be a number of seconds above 0, got {timeout!r}")
        jobs = (os.cpu_count() or 1) if n_jobs == -1 else check_int("n_jobs", n_jobs, minimum=1)
        check_metrics(evaluator, [o.metric for o in self.objectives], self.constraints)
        evaluator.check(self.space)
        self.space.bind_task(evaluator.data_task())
        owned = executor is None and jobs > 1
        runner = executor or (make_executor(jobs) if owned else SerialExecutor())
        try:
            with self.storage.writing():
                self._check_current()
                if self.config.evaluator is None:  # made through the API without one: remember it
                    self.config.evaluator, self.config.metadata = evaluator.config(), evaluator.metadata()
                    self.storage.write_config(self.config)
                callbacks = [] if callback is None else [callback] if callable(callback) else list(callback)
                self._run(evaluator, budget, runner, callbacks, timeout or self._settings.timeout)
        finally:
            if owned:
                runner.shutdown()

    def enqueue_trial(self, params: dict[str, Any] | Genotype | str) -> Trial:
        """Evaluate this architecture next, before the strategy's own candidates (as Optuna's
        `enqueue_trial`): knob values by name, a genotype, or its text form. It is stored at once
        (RUNNING), so a resumed study evaluates it too, and the strategy never asks for it again.

        Raises:
            InvalidGenotypeError: the values do not make a valid architecture of the space.
        """
        genotype = (
            params
            if isinstance(params, Genotype)
            else (self.space.parse(params) if isinstance(params, str) else self.space.from_params(params))
        )
        self.space.validate(genotype)
        with self.storage.writing():
            self._check_current()
            trial = self._queue(genotype, self.space.key(genotype), None, "enqueued")
        self.strategy.mark_seen(genotype)
        return trial

    def _run(
        self,
        evaluator: Evaluator,
        budget: int,
        executor: Executor,
        callbacks: list[Callback],
        timeout_s: float | None,
    ) -> None:
        """Keep every worker busy: as soon as one finishes, its result is committed and told, and
        the strategy is asked for the next candidate. Serial runs are reproducible from the seed;
        parallel ones tell results in the order they arrive."""
        pending: dict[cf.Future[Result], Trial] = {}
        started: dict[cf.Future[Result], float] = {}  # when each call was submitted (stuck calls)
        timeout = self._settings.trial_timeout
        stop_asking = time.monotonic() + (timeout_s or math.inf)
        try:
            while True:
                while (
                    len(pending) < executor.max_workers
                    and self.n_finished + len(pending) < budget
                    and time.monotonic() < stop_asking
                ):
                    trial = self._rerun.pop(0) if self._rerun else self._ask()
                    if trial is None:
                        break
                    args = (evaluator, trial.genotype, self.space, trial.fidelity, self._options(trial))
                    future = executor.submit(evaluate_within, timeout, *args)
                    pending[future], started[future] = trial, time.monotonic()
                if not pending:
                    return
                wait_s = until_deadline(started, timeout)
                done, _ = cf.wait(pending, timeout=wait_s, return_when=cf.FIRST_COMPLETED)
                outcomes = [(f, _outcome(f)) for f in done]
                for future in past_deadline(started, timeout):  # stuck where no signal reached it
                    if future not in done:
                        executor.kill(future)
                        outcomes.append((future, stuck(timeout or 0.0)))
                for future, result in sorted(outcomes, key=lambda o: pending[o[0]].number):
                    trial = pending.pop(future)
                    del started[future]
                    self._finish(trial, result)
                    for callback in callbacks:
                        callback(self, trial)
        except BaseException:  # Ctrl-C above all: end the running trials, which stay RUNNING
            executor.stop()
            raise

    def retrain(
        self,
        evaluator: Evaluator,
        trial: Trial,
        fidelity: float | None,
        *,
        save_model: bool = True,
        test: bool = True,
        on_epoch: Callable[[int, int], None] | None = None,
        train_on_valid: bool = False,
    ) -> Result:
        """Train `trial`'s architecture again at `fidelity` (e.g. more epochs), measure the test
        split (unless `test` is False), store the result, and keep the weights and model card
        beside the study. `on_epoch(done, total)` reports progress. With `train_on_valid` it
        trains on the validation split too (a final fit: no validation figures are kept)."""
        with self.storage.writing():
            options = self.retrain_options(
                trial, fidelity, save_model=save_model, test=test, train_on_valid=train_on_valid
            )
            options = dataclasses.replace(options, on_epoch=on_epoch)
            result = run_evaluation(evaluator, trial.genotype, self.space, fidelity, options)
            self.record_retrain(trial, fidelity, result, options)
        return result

    def retrain_options(
        self,
        trial: Trial,
        fidelity: float | None,
        *,
        save_model: bool = True,
        test: bool = True,
        train_on_valid: bool = False,
    ) -> EvalOptions:
        """The evaluation options of `retrain`: the model's folder beside the study (none without
        `save_model` or for an in-memory study), whether the test split is measured, and whether
        the validation split is trained on."""
        artifacts = self.artifact_dir
        folder = model_dir(artifacts, trial, fidelity) if save_model and artifacts else None
        model_to = None if folder is None else str(folder)
        return EvalOptions(test=test, model_to=model_to, train_on_valid=train_on_valid)

    def record_retrain(
        self, trial: Trial, fidelity: float | None, result: Result, options: EvalOptions
    ) -> None:
        """Store a retraining's `result` (run with `options`) and the model it kept, if any."""
        self.storage.add_retrain(trial.number, fidelity, result.metrics, result.error)
        folder = None if options.model_to is None else Path(options.model_to)
        if folder is not None and result.error is None and folder.exists():
            self.storage.add_artifact(trial.number, "model", fidelity, folder.name)

    def close(self) -> None:
        """Close the storage."""
        self.storage.close()

    def __enter__(self) -> Study:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------------

    def _options(self, trial: Trial) -> EvalOptions:
        settings = self._settings
        pruning = settings.pruner != "none"
        keep = self.artifact_dir if settings.checkpoints else None
        if not (keep or pruning or settings.test_every_trial):
            return PLAIN
        parent = checkpoint_below(self.trials, keep, trial) if keep else None
        if parent is not None:
            self._continued[trial.number] = parent.number
        return EvalOptions(
            test=settings.test_every_trial,
            stop=self._stop_rule() if pruning else None,
            resume_from=str(checkpoint_path(keep, parent)) if keep and parent else None,
            checkpoint_to=str(checkpoint_path(keep, trial)) if keep else None,
        )

    def _stop_rule(self) -> StopRule | None:
        return stop_rule(
            self.trials,
            self.storage,
            self.objective,
            self.direction,
            self._settings.prune_after,
            self._curves,
        )

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
        trial.metrics, trial.cost_s, trial.ended = dict(result.metrics), result.cost_s, time.time()
        missing = [o.metric for o in self.objectives if o.metric not in result.metrics]
        if result.error is not None:
            trial.state, trial.reason = TrialState.FAILED, result.error
        elif missing:
            trial.state = TrialState.FAILED
            trial.reason = (
                f"evaluator returned no metric {', '.join(map(repr, missing))} "
                f"(has: {', '.join(sorted(result.metrics))})"
            )
        else:
            trial.values = [result.metrics[o.metric] for o in self.objectives]
            trial.feasible = all(c.satisfied(result.metrics) for c in self.constraints)
            if result.pruned_at is not None:
                trial.state, trial.step = TrialState.PRUNED, result.pruned_at
            else:
                trial.state = TrialState.COMPLETE
                trial.score = self.objectives[0].oriented(trial.values[0])
        trial.told, self._n_told = self._n_told, self._n_told + 1
        self._n_finished += 1
        curves, start = result.artifacts.curves, result.artifacts.curves_start
        if start and trial.number in self._continued:  # the epochs before come from the continued trial
            earlier = self.storage.load_curves(self._continued[trial.number])
            curves = {k: earlier.get(k, [float("nan")] * start)[:start] + v for k, v in curves.items()}
            start = 0
        self.storage.finish_trial(
            trial, curves, start=start, timings=result.artifacts.timings, steps=result.artifacts.steps
        )
        if result.artifacts.checkpoint:
            self.storage.add_artifact(trial.number, "checkpoint", trial.fidelity, result.artifacts.checkpoint)
        self.strategy.tell(trial)
        if result.retryable and trial.state is TrialState.FAILED:
            self._retry(trial)

    def _retry(self, trial: Trial) -> None:
        """Queue `trial` again (origin "retry") unless it already had `settings.retries` retries."""
        tries = sum(t.key == trial.key and t.fidelity == trial.fidelity for t in self.trials)
        if tries <= self._settings.retries:
            self._queue_again(trial, trial.fidelity, "retry")

    def _queue_again(self, trial: Trial, fidelity: float | None, origin: str) -> Trial:
        """Store a new RUNNING trial of `trial`'s architecture, run before the next ask."""
        return self._queue(trial.genotype, trial.key, fidelity, origin)

    def _queue(self, genotype: Genotype, key: str, fidelity: float | None, origin: str) -> Trial:
        """Store a new RUNNING trial of `genotype` (not asked of the strategy), run before the next ask."""
        again = Trial(
            number=len(self.trials),
            genotype=genotype,
            key=key,
            fidelity=fidelity,
            asked_after=self._n_told,
            started=time.time(),
            origin=origin,
        )
        self.storage.add_trial(again)
        self.trials.append(again)
        self._rerun.append(again)
        return again


def _outcome(future: cf.Future[Result]) -> Result:
    """The evaluation's result; an exception here came from the worker, not the evaluator (which
    returns its own failures as data), so the trial may be retried."""
    try:
        return future.result()
    except Exception as exc:
        first_line = (str(exc).strip().splitlines() or [""])[0]
        return Result(error=f"the worker failed: {type(exc).__name__}: {first_line}", retryable=True)


def _declared(objective: str | Sequence[str], evaluator: Evaluator | None) -> list[str]:
    """Each objective's direction as `evaluator` declares it (maximize where it declares none)."""
    declared = {} if evaluator is None else {s.name: s.direction for s in evaluator.metric_schema()}
    return [declared.get(m, "maximize") for m in ([objective] if isinstance(objective, str) else objective)]

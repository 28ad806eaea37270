"""Resuming a study: rebuild its strategy's state by replaying the stored asks and tells in order."""

from __future__ import annotations

from collections.abc import Iterator

from nasforge.errors import InvalidArgumentError, InvalidGenotypeError, StudyError
from nasforge.spaces.base import SearchSpace
from nasforge.strategies.base import Strategy
from nasforge.trial import Trial, TrialState


def replay(
    strategy: Strategy, space: SearchSpace, trials: list[Trial], *, exact: bool = True
) -> tuple[int, list[Trial]]:
    """Ask and tell `trials` into a fresh `strategy` in the order they happened. Without
    `exact` (the space's definition changed since), what the strategy proposes now may differ
    from what was stored: the stored trials are told all the same, and the search goes on from
    them.

    Returns how many trials were told, and the trials that were RUNNING when the study stopped
    (to evaluate again).

    Raises:
        StudyError: the strategy now proposes something else than what was stored (its code or
            configuration changed), or the stored results are inconsistent.
    """
    told = iter(sorted((t for t in trials if t.told is not None), key=lambda t: t.told or 0))
    n_told = 0
    rerun = []
    for trial in trials:
        while n_told < trial.asked_after:
            strategy.tell(_next(told, trial))
            n_told += 1
        if trial.origin is not None:  # not asked of the strategy (a promotion, a retry, enqueued)
            if trial.origin == "enqueued":
                strategy.mark_seen(trial.genotype, trial.fidelity)
            if trial.state is TrialState.RUNNING:
                rerun.append(trial)
            continue
        candidate = strategy.ask(1)[0]
        if exact and candidate.genotype != trial.genotype:
            raise StudyError(
                f"resuming diverged at trial {trial.number}: the strategy now proposes "
                f"{space.format(candidate.genotype)}, the study stored {space.format(trial.genotype)} "
                "(was the strategy's code changed? `nasforge leaderboard` still reads the study)"
            )
        if trial.state is TrialState.RUNNING:
            trial.asked_after = n_told
            rerun.append(trial)
    for trial in told:
        strategy.tell(trial)
        n_told += 1
    return n_told, rerun


def check_still_valid(space: SearchSpace, trials: list[Trial], changes: list[str]) -> None:
    """Every stored trial is still an architecture of the space, whose definition changed.

    Raises:
        StudyError: one is not (a knob's range was narrowed, say): names the change, the trial
            and its stored value, and what to do.
    """
    for trial in trials:
        try:
            space.validate(trial.genotype)
        except (InvalidGenotypeError, InvalidArgumentError) as exc:
            raise StudyError(
                f"the space's function changed since the study was created ({'; '.join(changes)}), and "
                f"stored trial {trial.number} ({space.format(trial.genotype)}) no longer fits it: {exc}. "
                "Restore the range the study was created with to resume it, or give another --study "
                "or --name to start a new study with the new function"
            ) from None


def _next(told: Iterator[Trial], at: Trial) -> Trial:
    trial = next(told, None)
    if trial is None:
        raise StudyError(f"study storage is inconsistent: trial {at.number} waits for a missing result")
    return trial

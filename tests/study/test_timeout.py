"""A study's `timeout`: no trial is asked for once it has passed; a resume goes on to the budget."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from nasforge import Study, make_space
from nasforge.evaluators import FunctionEvaluator
from tests.spaces.user_spaces import score_call

TRIAL_SECONDS = 0.05


def slow_score(call: Any) -> dict[str, float]:
    time.sleep(TRIAL_SECONDS)
    return score_call(call)


def test_the_timeout_stops_the_search_and_a_resume_goes_on_to_the_budget(tmp_path: Path) -> None:
    space = make_space({"name": "user", "function": "tests.spaces.user_spaces:knobs_only"})
    evaluator = FunctionEvaluator(function=f"{__name__}:slow_score", metrics={"score": "maximize"})
    settings = {"timeout": 0.3}
    path = tmp_path / "s.db"
    study = Study.create(space, "random", seed=0, path=path, settings=settings, objective="score")
    start = time.time()
    study.optimize(evaluator, 200)
    assert 1 <= study.n_finished < 200 * 0.1  # about 0.3 / 0.05 trials, against 10 s for the budget
    assert all(t.started is not None and t.started - start < 0.3 + 1.0 for t in study.trials)
    study.update_settings(timeout=None)
    study.optimize(evaluator, 25)
    assert study.n_finished == 25 and all(t.reason is None for t in study.trials)

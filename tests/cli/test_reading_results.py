"""`trials` and `analyze`: a trial that does not exist is named, JSON is strict, and what is
left out says why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nasforge import Measurements, Recipe, Study, TrainingEvaluator
from nasforge.spaces import make_space
from tests.helpers import run


def strict_json(text: str) -> object:
    def refuse(constant: str) -> object:
        raise AssertionError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_trials_refuses_a_missing_trial_and_a_trial_without_curves(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "search", "--table", "--budget", "5", "--study", "t.db", "--json")
    assert code == 0, err
    code, out, err = run(capsys, "trials", "--study", "t.db", "--curves", "--trial", "99")
    assert code == 2 and out == "" and "--trial must be a trial of the study (0 to 4), got 99" in err
    code, out, err = run(capsys, "trials", "--study", "t.db", "--trial", "3")
    assert code == 2 and out == "" and "--trial goes with --curves" in err


def test_analyze_of_a_small_study_is_strict_json_and_says_what_it_left_out(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    space = make_space({"name": "macro", "max_blocks": 2})
    evaluator = TrainingEvaluator(
        data="digits", recipe=Recipe(epochs=1), measurements=Measurements(proxies=("synflow",))
    )
    with Study.create(space, "random", seed=0, path=tmp_path / "s.db", objective="valid_accuracy") as study:
        study.optimize(evaluator, 6)
    code, out, err = run(capsys, "analyze", "s.db", "--json")
    assert code == 0, err
    result = strict_json(out)
    assert isinstance(result, dict) and result["importance"]["r2"] is None
    assert result["importance"]["note"] == "needs at least 12 complete trials; the study has 6"
    code, out, err = run(capsys, "analyze", "s.db", "--all")
    assert code == 0, err
    assert "knob importance: not computed (needs at least 12 complete trials; the study has 6)" in out
    assert "proxy_synflow overrated most: #" in out  # the trials theory and practice disagree on
    for fmt in ("md", "html"):
        code, _, err = run(capsys, "report", "s.db", "--format", fmt, "--out", f"r.{fmt}")
        assert code == 0, err
        assert "Not computed: needs at least 12 complete trials" in (tmp_path / f"r.{fmt}").read_text()

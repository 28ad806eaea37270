"""`export-study --to-optuna`: the trials in an Optuna study one for one, through Optuna's public
API, with the space's real distributions, values, intermediate values and states."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pytest

import nasforge
from nasforge import Study, TabularEvaluator
from nasforge.evaluators import FunctionEvaluator
from nasforge.spaces import NB201Space
from nasforge.tracking import export_to_optuna
from tests.helpers import run


def test_export_matches_the_trials_one_for_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, nb201: NB201Space, table_evaluator: TabularEvaluator
) -> None:
    study = Study.create(nb201, "random", seed=0, path=tmp_path / "s.db")
    study.optimize(table_evaluator, 8)
    code, out, err = run(capsys, "export-study", "s.db", "--to-optuna", "sqlite:///o.db", "--json")
    assert code == 0, err
    assert json.loads(out)["trials"] == 8

    exported = optuna.load_study(study_name="s", storage="sqlite:///o.db").trials
    assert [t.number for t in exported] == [t.number for t in study.trials]
    for mine, theirs in zip(study.trials, exported, strict=True):
        knobs, dists = nb201.suggested(mine.genotype)
        assert theirs.params == knobs and theirs.distributions == dists
        assert theirs.value == pytest.approx(mine.metrics["valid"])
        assert theirs.state is optuna.trial.TrialState.COMPLETE

    code, _, err = run(capsys, "export-study", "s.db", "--to-optuna", "sqlite:///o.db")
    assert code == 2 and "already has a study 's'" in err and "--replace" in err
    code, _, err = run(capsys, "export-study", "s.db", "--to-optuna", "nosuch://x")
    assert code == 2 and "cannot open the Optuna storage" in err and "Traceback" not in err
    code, _, err = run(capsys, "export-study", "s.db", "--to-optuna", "sqlite:////nonexistent/dir/o.db")
    assert code == 2 and "unable to open database file" in err and len(err.strip().splitlines()) == 1


def score(call: object) -> dict[str, float]:
    knobs = call.knobs  # type: ignore[attr-defined]
    if knobs["act"] == "fail":
        raise ValueError("this activation fails")
    return {"score": -((knobs["x"] - 0.3) ** 2) - knobs["n"] / 10}


@nasforge.space
def family(k):  # type: ignore[no-untyped-def]
    k.float("x", 0.0, 1.0)
    k.int("n", 1, 4)
    k.choice("act", ["relu", "fail"])


def test_own_family_keeps_its_distributions_and_failures_are_failed(tmp_path: Path) -> None:
    evaluator = FunctionEvaluator(function=score, metrics={"score": "maximize"})
    study = Study.create(family, "random", seed=1, path=tmp_path / "f.db", objective="score")
    study.optimize(evaluator, 10)
    summary = export_to_optuna(study, "sqlite:///f.optuna.db", study_name="own")
    states = [t.state.value for t in study.trials]
    assert summary.failed == states.count("FAILED") > 0 and summary.complete == states.count("COMPLETE") > 0

    exported = optuna.load_study(study_name="own", storage="sqlite:///f.optuna.db").trials
    assert exported[0].distributions == {
        "x": optuna.distributions.FloatDistribution(0.0, 1.0),
        "n": optuna.distributions.IntDistribution(1, 4),
        "act": optuna.distributions.CategoricalDistribution(["relu", "fail"]),
    }
    failed = [t for t in exported if t.state is optuna.trial.TrialState.FAIL]
    assert failed and all("this activation fails" in t.user_attrs["reason"] for t in failed)

"""`nasforge improve`: a follow-up study that applies the planted direction and is linked to its parent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nasforge.study.record import StudyView
from tests.helpers import run

UNDERTRAINED = """
budget = 8
final_epochs = 1
[space]
name = "macro"
max_blocks = 2
[strategy]
name = "random"
[evaluator]
name = "training"
data = "digits"
epochs = 1
"""


@pytest.mark.slow
def test_improve_trains_longer_and_compares_on_the_test_split(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "u.toml").write_text(UNDERTRAINED)
    code, _, err = run(capsys, "search", "--config", "u.toml", "--study", "u.db", "--json")
    assert code == 0, err
    code, out, err = run(capsys, "improve", "u.db", "--budget", "6", "--json")
    assert code == 0, err
    outcome = json.loads(out)
    assert outcome["applied"][0]["kind"] == "train_longer"
    assert outcome["study"] == "u-improve1.db" and outcome["parent"] == "u.db"
    assert outcome["before"]["epochs"] == 1 and outcome["after"]["epochs"] == 3
    assert 0 < outcome["before"]["test_accuracy"] <= 1 and 0 < outcome["after"]["test_accuracy"] <= 1
    with StudyView(tmp_path / "u-improve1.db") as child:
        assert child.config.evaluator["epochs"] == 3 and child.n_finished == 6
        assert child.config.settings["parent"]["study"] == "u.db"
    code, _, err = run(capsys, "improve", "u.db", "--budget", "2", "--out", "u-improve1.db")
    assert code == 2 and "--out must be a new study file" in err


def test_improve_refuses_a_study_without_directions(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "search", "--table", "--budget", "5", "--study", "t.db", "--json")
    assert code == 0, err
    code, _, err = run(capsys, "improve", "t.db")
    assert code == 2 and "no direction of t.db can be acted on" in err

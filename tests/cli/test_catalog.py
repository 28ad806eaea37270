"""`nasforge spaces` and `strategies` say everything a user needs to pick and narrow them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nasforge import StudyView
from nasforge.strategies import STRATEGIES
from tests.helpers import run


def test_spaces_list_every_knob_with_its_values(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "spaces", "--json")
    spaces = {entry["name"]: entry for entry in json.loads(out)}
    assert code == 0 and set(spaces) >= {"macro", "families", "nb201", "nb101", "nasnet", "joint"}
    assert spaces["macro"]["knobs"]["channels"] == [4, 8, 16, 32, 64, 128, 256]
    assert spaces["macro"]["knobs"]["activation"] == ["relu", "prelu", "elu", "selu", "leaky_relu"]
    assert "family" in spaces["families"]["knobs"] and spaces["nb101"]["knobs"]
    assert all(entry["knobs"] for name, entry in spaces.items() if name != "user")  # user: --space


def test_strategy_summaries_are_whole_and_every_listed_strategy_runs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "strategies", "--json")
    entries = json.loads(out)
    assert code == 0 and {e["name"] for e in entries} == set(STRATEGIES.names())
    assert all(e["summary"].endswith(".") for e in entries), [e["summary"] for e in entries]
    for name in ("tpe", "bohb"):  # Optuna comes with the README's set-up
        code, _, err = run(capsys, "search", "--table", "--strategy", name, "--budget", "4", "--study",
                           f"{name}.db", "--json")  # fmt: skip
        assert code == 0, err


def test_choice_narrows_a_knob_from_the_command_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = ["search", "--data", "digits", "--epochs", "1", "--final-epochs", "0", "--budget", "3"]
    code, _, err = run(capsys, *argv, "--choice", "channels=8,16", "--choice", "batchnorm=false",
                       "--study", "c.db", "--json")  # fmt: skip
    assert code == 0, err
    with StudyView(tmp_path / "c.db") as view:
        assert view.config.space["choices"] == {"channels": [8, 16], "batchnorm": [False]}
        values = {view.space_or_none.features(t.genotype)["conv1.channels"] for t in view.trials}
    assert values <= {8, 16}
    code, _, err = run(capsys, *argv, "--choice", "channels=12", "--study", "d.db")
    assert code == 2 and "choices['channels'] may only use" in err and not (tmp_path / "d.db").exists()
    code, _, err = run(capsys, *argv, "--choice", "channels", "--study", "d.db")
    assert code == 2 and "--choice must look like KNOB=V1,V2, got 'channels'" in err

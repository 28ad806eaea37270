"""Study settings: one typed model, one set of defaults, misspellings refused with the choices."""

from __future__ import annotations

from pathlib import Path

import pytest

from nasforge import InvalidArgumentError, NB201Space, Study
from nasforge.study.settings import StudySettings
from nasforge.workflows.config import SearchConfig, load_config
from tests.helpers import run


def test_a_misspelt_pruner_is_refused_naming_the_choices_not_turned_on() -> None:
    allowed = r"pruner: Input should be 'none' or 'median' \(got 'medain'\)"
    with pytest.raises(InvalidArgumentError, match=allowed):
        Study.create(NB201Space(), "random", settings={"pruner": "medain"})


def test_an_unknown_or_out_of_range_setting_is_refused_by_name() -> None:
    with pytest.raises(InvalidArgumentError, match="settings: prunner: Extra inputs are not permitted"):
        Study.create(NB201Space(), "random", settings={"prunner": "median"})
    study = Study.create(NB201Space(), "random", settings={"budget": 5})
    with pytest.raises(InvalidArgumentError, match="budget: Input should be greater than or equal to 1"):
        study.update_settings(budget=0)
    assert study.settings.budget == 5


def test_the_cli_config_and_the_api_share_one_set_of_defaults() -> None:
    api = Study.create(NB201Space(), "random").settings
    cli = load_config(None, {}).settings()
    assert api == cli == StudySettings()
    assert api.final_epochs == SearchConfig().final_epochs == 40 and api.pruner == "none"


def test_a_misspelt_setting_in_toml_or_flags_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "c.toml").write_text('pruner = "medain"\n')
    code, _, err = run(capsys, "search", "--config", "c.toml", "--table", "--budget", "3")
    assert code == 2 and "pruner: Input should be 'none' or 'median' (got 'medain')" in err
    code, _, err = run(capsys, "search", "--table", "--pruner", "medain")
    assert code == 2 and "invalid choice: 'medain'" in err
    code, _, err = run(capsys, "search", "--table", "--budget", "0")
    assert code == 2 and "--budget: must be an integer greater than or equal to 1; got '0'" in err
    assert not list(tmp_path.glob("runs/*.db"))  # nothing was written

"""A search over a user-defined space, killed with SIGKILL, resumes from the command line with its
`--space` path and continues the same search."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nasforge import StudyView
from nasforge.workflows.config import load_config
from nasforge.workflows.search import open_search
from tests.execution.test_resume_kill import KILLER

pytestmark = pytest.mark.slow  # searches in subprocesses killed with SIGKILL

ROOT = str(Path(__file__).resolve().parents[2])
CONFIG = """
budget = 60
seed = 7
final_epochs = 0
[space]
name = "user"
function = "tests.spaces.user_spaces:knobs_only"
[strategy]
name = "evolution"
population_size = 8
[evaluator]
name = "function"
function = "tests.spaces.user_spaces:score_call"
metrics = { score = "maximize" }
"""


def test_a_killed_user_space_search_resumes_the_same_search(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text(CONFIG)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))}
    argv = ["search", "--config", "c.toml", "--study", "u.db", "--no-progress"]
    killed = subprocess.run(
        [sys.executable, "-c", KILLER, "25", *argv], cwd=tmp_path, env=env, capture_output=True
    )
    assert killed.returncode == -9, killed.stderr.decode()
    with StudyView(tmp_path / "u.db") as view:
        assert view.n_finished == 25
    resume = ["search", "--space", "tests.spaces.user_spaces:knobs_only", "--study", "u.db", "--budget", "60"]
    resumed = subprocess.run([sys.executable, "-m", "nasforge.cli.main", *resume, "--no-progress"],
                             cwd=tmp_path, env=env, capture_output=True, text=True)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    assert "changed since" not in resumed.stderr
    opened = open_search(load_config(tmp_path / "c.toml", {"study": ":memory:"}))
    reference = opened.study
    reference.optimize(opened.evaluator, 60)  # the same search, never interrupted
    with StudyView(tmp_path / "u.db") as view:
        assert [t.key for t in view.trials] == [t.key for t in reference.trials]  # the same search
        assert view.n_finished == 60

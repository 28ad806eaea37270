from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import run


def test_search_stores_a_study_and_resumes_it(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    code, out, _ = run(capsys, "search", "--table", "--study", db, "--budget", "12", "--json")
    assert code == 0
    first = json.loads(out)
    assert first["finished"] == 12 and first["best"]["valid"] > 80
    code, out, _ = run(capsys, "search", "--table", "--study", db, "--budget", "20", "--json")
    second = json.loads(out)
    assert second["finished"] == 20
    assert second["best"]["valid"] >= first["best"]["valid"]
    code, out, _ = run(capsys, "search", "--table", "--study", db, "--budget", "20")
    assert code == 0 and "leaderboard" in out and "best architecture" in out


def test_a_metric_is_optimised_its_own_way_unless_a_direction_is_given(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from nasforge import Study

    for given, expected in (([], "minimize"), (["--direction", "maximize"], "maximize")):
        db = tmp_path / f"{expected}.db"
        code, out, _ = run(capsys, "search", "--table", "--study", str(db), "--metric", "params",
                           "--budget", "8", *given, "--json")  # fmt: skip
        assert code == 0 and Study.load(db).direction == expected
        params = [t.metrics["params"] for t in Study.load(db).trials]
        best = min(params) if expected == "minimize" else max(params)
        assert json.loads(out)["best"]["params"] == best


def test_leaderboard_and_trial_export(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    run(capsys, "search", "--table", "--study", db, "--budget", "8", "--strategy", "random", "--json")
    code, out, _ = run(capsys, "leaderboard", "--study", db, "--top", "3", "--json")
    board = json.loads(out)["leaderboard"]
    assert code == 0 and len(board) == 3
    assert board[0]["valid"] >= board[1]["valid"] >= board[2]["valid"]
    code, out, _ = run(capsys, "trials", "--study", db)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 8 and {"number", "state", "arch", "valid", "started", "ended"} <= set(rows[0])
    assert "test" not in rows[0]  # the test split is for the final pick only
    target = tmp_path / "trials.json"
    run(capsys, "trials", "--study", db, "--format", "json", "--output", str(target))
    assert [r["number"] for r in json.loads(target.read_text())] == list(range(8))


def test_bench_json_has_the_documented_fields(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "bench", "nb201", "--strategy", "local", "--budget", "30", "--runs", "4", "--json"
    )
    both = json.loads(out)
    assert code == 0 and set(both) == {"noiseless", "noisy"}
    assert both["noisy"]["mean_test"] != both["noiseless"]["mean_test"]
    data = both["noiseless"]
    assert data["strategy"] == "local" and data["budget"] == 30 and data["runs"] == 4
    assert 90 < data["mean_test"] <= 94.38 and data["std_test"] >= 0
    assert 0 <= data["found_best"] <= 1 and data["mean_cost_s"] > 0


def test_bench_noisy_and_low_fidelity(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "bench", "nb201", "--budget", "20", "--runs", "3", "--noisy", "--json")
    noisy = json.loads(out)
    assert list(noisy) == ["noisy"]
    _, out, err = run(
        capsys, "bench", "nb201", "--budget", "20", "--runs", "3", "--metric", "valid_12", "--json"
    )
    low = json.loads(out)
    assert list(low) == ["noiseless"] and "noiseless only" in err
    assert low["noiseless"]["mean_cost_s"] < noisy["noisy"]["mean_cost_s"] / 5
    _, out, _ = run(capsys, "bench", "nb201", "--budget", "20", "--runs", "3")
    assert "(noiseless)" in out and "(noisy)" in out
    assert out.count("test of the picked architecture") == 2


@pytest.mark.parametrize("command", ["spaces", "strategies"])
def test_catalog_lists_names_and_parameters(capsys: pytest.CaptureFixture[str], command: str) -> None:
    code, out, _ = run(capsys, command, "--json")
    entries = json.loads(out)
    assert code == 0 and all("name" in e and "parameters" in e for e in entries)
    assert run(capsys, command)[0] == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bench", "nb201", "--strategy", "nope"], "strategy must be one of"),
        (["bench", "nb201", "--param", "population_size"], "NAME=VALUE"),
        (["bench", "nb201", "--param", "population_size=1"], "population_size"),
        (["bench", "nb201", "--table", "/nonexistent/t.csv"], "does not exist"),
        (["leaderboard", "--study", "/nonexistent/s.db"], "no study"),
        (["search", "--space", "cifar"], "space must be one of"),
        (["bench", "nb201", "--mode", "noisy", "--metric", "valid_12"], "--mode noisy needs --metric valid"),
        (["bench", "nb201", "--strategy", "asha", "--param", "fidelities=[3,1]"], "fidelities must be"),
        (
            ["search", "--table", "--gpus-per-trial", "1", "--study", ":memory:"],
            "gpus_per_trial needs the ray",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["bench", "nb201", "--budget", "0"],
        ["bench", "nb201", "--runs", "x"],
        ["search", "--workers", "0"],
        ["search", "--trial-timeout", "0"],
        ["search", "--executor", "threads"],
        ["search", "--retries", "-1"],
        ["fly"],
    ],
)
def test_argument_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2 and "error" in err and "Traceback" not in err


def test_changed_configuration_on_resume_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = str(tmp_path / "s.db")
    run(capsys, "search", "--table", "--study", db, "--budget", "5", "--json")
    code, _, err = run(capsys, "search", "--table", "--study", db, "--strategy", "random")
    assert code == 2 and "strategy.name = 'random' contradicts the stored study" in err
    assert "has strategy.name = 'local'" in err


def test_bare_study_path_resumes_with_the_stored_settings(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = str(tmp_path / "s.db")
    run(capsys, "search", "--table", "--study", db, "--budget", "6", "--strategy", "local", "--json")
    code, out, _ = run(capsys, "search", "--study", db, "--json")
    assert code == 0 and json.loads(out)["finished"] == 6  # the stored budget, not the default 100
    code, out, _ = run(capsys, "search", "--study", db, "--budget", "9", "--json")
    assert code == 0 and json.loads(out)["finished"] == 9
    code, _, err = run(capsys, "search", "--study", db, "--warmup", "20")
    assert code == 2 and "--warmup cannot apply to the stored study" in err


def test_bad_custom_table_in_search(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("arch,valid\nx,1\n")
    code, _, err = run(capsys, "search", "--study", str(tmp_path / "s.db"), "--table", str(table))
    assert code == 2 and "lacks column" in err
    assert not (tmp_path / "s.db").exists(), "a rejected table must not leave an empty study behind"


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--help"], ["search", "--help"], ["bench", "nb201", "--help"], ["trials", "--help"]):
        code, out, _ = run(capsys, *argv)
        assert code == 0 and "usage" in out


def test_console_script_entry_point(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "nasforge.cli.main", "strategies", "--json"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert {"random", "annealing", "genetic", "evolution", "local"} <= {
        e["name"] for e in json.loads(result.stdout)
    }

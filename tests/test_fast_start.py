"""`import nasforge`, `--help`, `spaces` and `leaderboard` load no torch, scikit-learn or SciPy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("torch", "sklearn", "scipy")
PROBE = """
import sys
from nasforge.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
loaded = [m for m in {heavy!r} if m in sys.modules]
print("LOADED", ",".join(loaded))
"""


def loaded_after(*argv: str, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *argv], capture_output=True, text=True, cwd=cwd
    )
    return done.stdout.rsplit("LOADED", 1)[1].strip()


def test_import_is_light() -> None:
    code = f"import sys, nasforge; print([m for m in {HEAVY!r} if m in sys.modules])"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "[]"


@pytest.mark.parametrize("argv", [["--help"], ["search", "--help"], ["spaces"], ["strategies", "--json"]])
def test_listing_commands_are_light(argv: list[str]) -> None:
    assert loaded_after(*argv) == ""


@pytest.mark.slow
def test_reading_a_study_is_light(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "nasforge.cli.main", "search", "--table", "--budget", "3", "--study", "s.db"],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    assert loaded_after("leaderboard", "--study", "s.db", cwd=tmp_path) == ""
    assert loaded_after("trials", "--study", "s.db", cwd=tmp_path) == ""


def test_proxy_names_listed_for_help_match_the_registry() -> None:
    from nasforge.cli.proxies import PROXY_NAMES
    from nasforge.evaluators.proxies import ENSEMBLES, PROXIES

    assert list(PROXY_NAMES) == [*PROXIES, *ENSEMBLES]

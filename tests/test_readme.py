"""Every code block of the README runs as written (Python, TOML and the `nasforge` commands)."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest

from nasforge.cli.main import main
from nasforge.strategies import make_strategy
from nasforge.workflows.config import load_config
from nasforge.workflows.search import new_study_parts

README = (Path(__file__).parent.parent / "README.md").read_text()
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, flags=re.DOTALL)


def blocks(kind: str) -> list[str]:
    return [code for lang, code in BLOCKS if lang == kind]


def test_the_readme_has_examples_of_each_kind() -> None:
    assert len(blocks("python")) >= 2 and len(blocks("toml")) >= 1 and len(blocks("bash")) >= 2


@pytest.mark.parametrize("code", blocks("python"))
def test_python_blocks_run_and_print_what_they_promise(code: str, capsys: pytest.CaptureFixture[str]) -> None:
    exec(compile(code, "README.md", "exec"), {"__name__": "readme"})
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) >= code.count("print("), printed


@pytest.mark.parametrize("code", blocks("toml"))
def test_toml_blocks_make_the_search_they_describe(code: str, tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text(code)
    written = tomllib.loads(code)
    config = load_config(tmp_path / "c.toml", {})
    space, evaluator = new_study_parts(config)
    params = {k: v for k, v in config.strategy.items() if k != "name"}
    strategy = make_strategy(config.strategy["name"], space, seed=config.seed, **params)
    assert (space.name, strategy.name, evaluator.name) == tuple(
        config.model_dump()[s]["name"] for s in ("space", "strategy", "evaluator")
    )
    for key, value in written.items():  # every key of the block reached the configuration
        stored = getattr(config, key)
        if isinstance(value, dict):
            assert {k: stored[k] for k in value} == value
        else:
            assert stored == value


@pytest.mark.parametrize("code", blocks("bash"))
def test_nasforge_commands_in_bash_blocks_succeed(code: str, capsys: pytest.CaptureFixture[str]) -> None:
    for line in code.splitlines():
        words = shlex.split(line, comments=True)
        if not words or words[0] != "nasforge":
            continue  # `make demo` and `make test` are what CI itself runs
        assert main(words[1:]) == 0, (line, capsys.readouterr().err)

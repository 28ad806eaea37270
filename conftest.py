"""The documentation's examples run as tests (Sybil): Python blocks (doctests check what they
print), `console` blocks of `nasforge` commands (each command runs in-process; the lines shown
below it must appear in its output in order, `...` matching anything) and TOML blocks (each
builds the search it describes). Each page runs in a fresh folder of its own."""

from __future__ import annotations

import contextlib
import doctest
import io
import os
import re
import shlex
import shutil
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sybil import Sybil
from sybil.parsers.markdown import CodeBlockParser, PythonCodeBlockParser

CONSOLE_PROMPT = "$ "
ERROR = re.compile(r"nasforge( [a-z-]+)?: error:")  # how a command's one-line error starts
EXAMPLES = Path(__file__).parent / "docs" / "examples"


@pytest.fixture(scope="module")
def docs_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh working folder for one page's examples."""
    folder = tmp_path_factory.mktemp("docs")
    for example in EXAMPLES.iterdir():  # the files the pages' examples name (family.py, ...)
        if example.is_file():
            shutil.copy(example, folder / example.name)
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield folder
    finally:
        os.chdir(before)


def run_console(example: Any) -> None:
    """Run every `$ nasforge …` line of a console block and match the lines shown below it."""
    for command, expected in _commands(example.parsed):
        code, output = _run(command)
        failing = any(ERROR.match(line) for line in expected)
        assert code == (2 if failing else 0), f"{command!r} exited {code}:\n{output}"
        _match(command, expected, output.splitlines())


def _commands(block: str) -> list[tuple[str, list[str]]]:
    commands: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith(CONSOLE_PROMPT):
            commands.append((line[len(CONSOLE_PROMPT) :], []))
        elif commands and line.strip():
            commands[-1][1].append(line.rstrip())
    assert commands, f"a console block without a `$ ` command:\n{block}"
    return commands


def _run(command: str) -> tuple[int, str]:
    from nasforge.cli.main import main

    words = shlex.split(command)
    assert words[0] == "nasforge", f"console blocks run nasforge commands only, got {command!r}"
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        try:
            code = main(words[1:])
        except SystemExit as exit_:  # --help, argparse errors
            code = int(exit_.code or 0)
    return code, buffer.getvalue()


def _match(command: str, expected: list[str], output: list[str]) -> None:
    """Each expected line (`...` matching anything) must appear in `output`, in order."""
    at = 0
    for line in expected:
        if line.strip() == "...":
            continue
        pattern = re.compile(".*".join(re.escape(part) for part in line.strip().split("...")))
        found = next((i for i in range(at, len(output)) if pattern.search(output[i])), None)
        assert found is not None, (
            f"{command!r} printed no line like {line!r} (after line {at}):\n" + "\n".join(output)
        )
        at = found + 1


def check_toml(example: Any) -> None:
    """A TOML block builds the search it describes, every key reaching the configuration."""
    from nasforge.workflows.config import load_config

    named = re.match(r"# (\S+\.toml):", example.parsed)  # a file the page's commands use
    path = Path(named.group(1) if named else "example.toml")
    path.write_text(example.parsed)
    written = tomllib.loads(example.parsed)
    config = load_config(path, {})
    for key, value in written.items():
        stored = getattr(config, key)
        if isinstance(value, dict):
            assert {k: stored[k] for k in value} == value, key
        elif key != "space":  # a space by path becomes its section
            assert stored == value, key


pytest_collect_file = Sybil(
    parsers=[
        PythonCodeBlockParser(doctest_optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE),
        CodeBlockParser("console", run_console),
        CodeBlockParser("toml", check_toml),
    ],
    patterns=["README.md", "docs/*.md"],
    fixtures=["docs_folder"],
).pytest()

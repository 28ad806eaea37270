"""Argument helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from rich.console import Console

from nasforge.errors import InvalidArgumentError

stdout = Console(highlight=False)
stderr = Console(stderr=True, highlight=False)


def parse_params(items: list[str] | None) -> dict[str, Any]:
    """`["population_size=20", "crossover=uniform"]` → `{"population_size": 20, "crossover": "uniform"}`."""
    params: dict[str, Any] = {}
    for item in items or []:
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise InvalidArgumentError(f"--param must look like NAME=VALUE, got {item!r}")
        try:
            params[name] = json.loads(text)
        except json.JSONDecodeError:
            params[name] = text
    return params


def add_param_option(parser: argparse.ArgumentParser) -> None:
    """`--param NAME=VALUE`, repeatable: a strategy hyperparameter."""
    parser.add_argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="strategy hyperparameter, repeatable (see `nasforge strategies`)",
    )


def int_at_least(minimum: int) -> Callable[[str], int]:
    """argparse type: an integer >= `minimum`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {text!r}")
        return value

    return parse


def print_json(data: Any) -> None:
    """Machine-readable output on stdout."""
    print(json.dumps(data, indent=2, default=str))

"""`nasforge spaces` and `nasforge strategies`: what is available, with parameters."""

from __future__ import annotations

import argparse
from typing import Any

from rich.table import Table

from nasforge._registry import Registry
from nasforge.cli.common import print_json, stdout
from nasforge.spaces import SPACES
from nasforge.strategies import STRATEGIES


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    for name, registry in (("spaces", SPACES), ("strategies", STRATEGIES)):
        parser = sub.add_parser(name, help=f"list the available {name} and their parameters")
        parser.add_argument("--json", action="store_true", help="print a JSON list")
        parser.set_defaults(run=_lister(name, registry))


def _lister(title: str, registry: Registry[Any]) -> Any:
    def run(args: argparse.Namespace) -> int:
        entries = [registry.describe(name) for name in registry.names()]
        if args.json:
            print_json(entries)
            return 0
        table = Table(title=title)
        for column in ("name", "summary", "parameters (default)"):
            table.add_column(column)
        for entry in entries:
            params = ", ".join(f"{k}={v!r}" for k, v in entry["parameters"].items())
            table.add_row(entry["name"], entry["summary"], params)
        stdout.print(table)
        return 0

    return run

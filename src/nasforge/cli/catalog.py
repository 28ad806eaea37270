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
        if name == "spaces":
            parser.add_argument(
                "--space",
                metavar="FILE.py:FUNCTION",
                help="list only your own space, with its knobs (package.module:function works too)",
            )
        parser.set_defaults(run=_lister(name, registry))


def _lister(title: str, registry: Registry[Any]) -> Any:
    def run(args: argparse.Namespace) -> int:
        if getattr(args, "space", None):
            entries = [_user_entry(args.space)]
        else:
            entries = [_entry(title, registry, name) for name in registry.names()]
        if args.json:
            print_json(entries)
            return 0
        table = Table(title=title, show_lines=True)
        for column in (
            "name",
            "summary",
            "parameters (default)",
            *(["knobs (values)"] * (title == "spaces")),
        ):
            table.add_column(column)
        for entry in entries:
            params = ", ".join(f"{k}={v!r}" for k, v in entry["parameters"].items())
            knobs = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in entry.get("knobs", {}).items())
            table.add_row(entry["name"], entry["summary"], params, *([knobs] * (title == "spaces")))
        stdout.print(table)
        return 0

    return run


def _entry(title: str, registry: Registry[Any], name: str) -> dict[str, Any]:
    """A registry entry; a space's also lists its knobs with every value they may take (what
    `--choice KNOB=V1,V2` and the `choices` parameter may narrow them to)."""
    entry = registry.describe(name)
    if title == "spaces":
        knobs = {} if name == "user" else registry.create(name).knob_values()
        entry["knobs"] = {k: list(v) for k, v in knobs.items()}
    return entry


def _user_entry(path: str) -> dict[str, Any]:
    """A user's define-by-run space, by import path: its knobs as traced."""
    from nasforge.spaces import make_space

    space = make_space({"name": "user", "function": path})
    doc = (getattr(space, "fn", None).__doc__ or "").strip()
    return {
        "name": path,
        "summary": " ".join(doc.split("\n\n")[0].split()) or "your own space",
        "parameters": {},
        "knobs": {k: list(v) for k, v in space.knob_values().items()},
    }

"""MkDocs hook: the command-line reference page is generated from nasforge's own argparse parser,
so it cannot drift from the code (`<!-- cli-reference -->` in cli.md is replaced)."""

from __future__ import annotations

import argparse
from typing import Any

MARKER = "<!-- cli-reference -->"


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, cli_reference())


def cli_reference() -> str:
    """Every `nasforge` command: its description, usage and options, as Markdown."""
    from nasforge.cli.main import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    sections = []
    for name, command in sub.choices.items():
        text = [f"## nasforge {name}", "", command.description or _help(sub, name), ""]
        usage = command.format_usage().removeprefix("usage: ").strip()
        text += ["```text", usage, "```", "", "| option | what it does |", "|---|---|"]
        for action in command._actions:
            if action.help == argparse.SUPPRESS or isinstance(action, argparse._HelpAction):
                continue
            flags = ", ".join(f"`{f}`" for f in action.option_strings) or f"`{action.dest}`"
            default = (
                "" if action.default in (None, False, argparse.SUPPRESS) else f" (default: {action.default})"
            )
            text.append(f"| {flags} | {(action.help or '').replace('|', '/')}{default} |")
        sections.append("\n".join(text))
    return "\n\n".join(sections) + "\n"


def _help(sub: argparse._SubParsersAction, name: str) -> str:  # type: ignore[type-arg]
    return next((a.help or "" for a in sub._choices_actions if a.dest == name), "")

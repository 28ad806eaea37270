"""How long work shows itself: a live bar on a terminal, a line per step when stderr is a pipe or
a file, nothing with --json or --no-progress."""

from __future__ import annotations

import argparse

from rich.progress import Progress, ProgressColumn

from nasforge.cli.common import stderr


class Display:
    """The progress display chosen by the command's flags and where stderr goes."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.quiet = bool(getattr(args, "json", False) or getattr(args, "no_progress", False))
        self.bar = not self.quiet and stderr.is_terminal
        self.lines = not self.quiet and not self.bar  # a log line per step where no bar is shown

    def progress(self, *columns: str | ProgressColumn, transient: bool = False) -> Progress:
        """A rich progress bar, drawn only on a terminal."""
        return Progress(*columns, console=stderr, transient=transient, disable=not self.bar)

    def note(self, text: str) -> None:
        """A message for a person (never with --json or --no-progress)."""
        if not self.quiet:
            stderr.print(text)

    def line(self, text: str) -> None:
        """A progress line where no bar is drawn (a pipe or a file)."""
        if self.lines:
            stderr.print(text)

    def every(self, done: int, total: int, text: str, parts: int = 5) -> None:
        """A progress line at every `total / parts` steps, where no bar is drawn."""
        if done % max(1, total // parts) == 0:
            self.line(text)

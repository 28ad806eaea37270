"""Entry point: `nasforge COMMAND …`. User mistakes print one line and exit 2."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from typing import NoReturn

from nasforge import __version__
from nasforge.cli import analyze, bench, catalog, deploy, improve, proxies, report, results, search, tracking
from nasforge.errors import NasforgeError


class OneLineParser(argparse.ArgumentParser):
    """Mistakes in the arguments print one line (and where to find help), then exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see: {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The full command-line parser."""
    parser = OneLineParser(
        prog="nasforge",
        description="Neural architecture search with persistent studies.",
    )
    parser.add_argument("--version", action="version", version=f"nasforge {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (search, bench, proxies, analyze, improve, report, results, deploy, tracking, catalog):
        module.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    # Ctrl-C must reach the search even when the process that started this one left SIGINT
    # blocked (a blocked mask is inherited across exec): Ctrl-C is how a search is stopped.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except NasforgeError as exc:
        print(f"nasforge: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "nasforge: interrupted; finished trials are stored, run the same command to resume",
            file=sys.stderr,
        )
        return 130


def console() -> None:
    """Console-script entry point. Output piped into a program that stops reading early (`| head`)
    ends the command quietly, as it does for other command-line tools."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        code = 0
    sys.exit(code)


if __name__ == "__main__":
    console()

"""Run one piece of benchmark code under each source tree given (PYTHONPATH), e.g. the code
before a change and after it, each in a process of its own, and print what each printed."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys


def run_in_each(code: str, description: str) -> None:
    """Parse `--src DIR ...` and run `code` with each tree first on the path."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--src", nargs="+", required=True, help="source trees to compare (PYTHONPATH)")
    args = parser.parse_args()
    for src in args.src:
        argv = [sys.executable, "-c", code]
        out = subprocess.run(
            argv, env={**os.environ, "PYTHONPATH": src}, capture_output=True, text=True, check=True
        )
        print(f"{src}:\n{out.stdout}")

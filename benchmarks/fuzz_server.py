"""Schemathesis against `nasforge serve`, with and without a token: requests sent, status codes
the inference route answered, failures (target: none, and no 5xx), the server still answering
and its resident memory before and after (target: flat).

    python benchmarks/fuzz_server.py [--model FOLDER] [--max-examples 500]

Without --model, a quick model (digits, 1 epoch) is searched and exported first.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from serve_load import rss_mb, start_server

TOKEN = "fuzz-token"


def quick_model(scratch: Path) -> Path:
    search = ["search", "--data", "digits", "--space", "macro", "--epochs", "1", "--budget", "2"]
    subprocess.run(
        ["nasforge", *search, "--final-epochs", "1", "--study", str(scratch / "s.db"), "--no-progress"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        ["nasforge", "export", str(scratch / "s.db"), "--out", str(scratch / "model")],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return scratch / "model"


def get(url: str, token: str | None) -> str:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


def fuzz(folder: Path, token: str | None, max_examples: int) -> None:
    server, port = start_server(folder, ["--token", token] if token else [])
    url = f"http://127.0.0.1:{port}"
    try:
        get(f"{url}/v2/models/{folder.name}", token)
        before = rss_mb(server.pid)
        argv = [
            "schemathesis",
            "run",
            f"{url}/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            str(max_examples),
        ]
        argv += ["--exclude-checks", "positive_data_acceptance", "--seed", "1"]
        argv += ["-H", f"Authorization: Bearer {token}"] if token else []
        run = subprocess.run(argv, capture_output=True, text=True)
        summary = run.stdout.split("SUMMARY")[-1]
        cases = re.search(r"(\d+) generated.*", summary)
        metrics = get(f"{url}/metrics", token)
        statuses = dict(re.findall(r'nasforge_requests_total\{outcome="(\d+)"\} (\S+)', metrics))
        live = get(f"{url}/v2/health/live", None)
        after = rss_mb(server.pid)
        print(
            f"{'token' if token else 'open':5} | exit {run.returncode} | {cases.group(0) if cases else '?'}",
            end="",
        )
        print(f" | infer statuses {statuses} | still live: {live} | RSS {before:.1f} -> {after:.1f} MB")
        if run.returncode:
            print(summary)
    finally:
        server.kill()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, help="an exported model folder")
    parser.add_argument("--max-examples", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.model or quick_model(Path(scratch))
        for token in (None, TOKEN):
            fuzz(folder, token, args.max_examples)


if __name__ == "__main__":
    sys.exit(main())

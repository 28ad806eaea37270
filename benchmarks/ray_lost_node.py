"""A lost Ray node: a real two-node cluster on this machine (`ray start --head`, then a second
`ray start --address`, both with Ray's default token authentication), a training search on it
through `--ray-address`, and the second node's processes killed with SIGKILL mid-search.

Prints the trials per state, whether the budget was reached, trials lost (left RUNNING),
duplicated (one ask stored twice) and failed without a retry, and how long after the kill the
first trial was failed. Targets: budget reached, 0 lost, 0 duplicated, every failure retried.
tests/execution/test_ray_cluster.py runs it and checks those targets.

    python benchmarks/ray_lost_node.py [--budget 16] [--kill-after 4]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

HEAD_PORT, SECOND_NODE_PORT = 6390, 6400


def ray(*argv: str) -> None:
    env = {**os.environ, "RAY_AUTH_MODE": "token"}  # what Ray needs to join a token-authenticated head
    subprocess.run(["ray", *argv], check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def second_node_processes() -> list[int]:
    """The second node's raylet and every process under it (its workers)."""
    parent: dict[int, int] = {}
    raylets = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            parent[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if f"--node_manager_port={SECOND_NODE_PORT}".encode() in (entry / "cmdline").read_bytes():
                raylets.append(int(entry.name))
    found, changed = set(raylets), True
    while changed:
        children = {pid for pid, ppid in parent.items() if ppid in found} - found
        found |= children
        changed = bool(children)
    return sorted(found)


def rows(path: Path) -> list[tuple[int, str, str, float | None, str | None, str | None]]:
    if not path.exists():
        return []
    with contextlib.closing(sqlite3.connect(path)) as db, contextlib.suppress(sqlite3.OperationalError):
        return list(db.execute("SELECT number, key, state, finished, origin, reason FROM trials"))
    return []


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--budget", type=int, default=16)
    parser.add_argument("--kill-after", type=int, default=4, help="finished trials before the kill")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    host = socket.gethostbyname(socket.gethostname())
    subprocess.run(["ray", "stop", "--force"], capture_output=True)
    ray(
        "start",
        "--head",
        "--port",
        str(HEAD_PORT),
        "--num-cpus",
        "1",
        "--include-dashboard=false",
        "--disable-usage-stats",
    )
    ray(
        "start",
        f"--address={host}:{HEAD_PORT}",
        "--num-cpus",
        "1",
        f"--node-manager-port={SECOND_NODE_PORT}",
        "--disable-usage-stats",
    )
    try:
        with tempfile.TemporaryDirectory() as scratch:
            study = Path(scratch) / "lost.db"
            argv = [
                "nasforge",
                "search",
                "--data",
                "digits",
                "--space",
                "macro",
                "--epochs",
                "3",
                "--budget",
                str(args.budget),
                "--executor",
                "ray",
                "--ray-address",
                f"127.0.0.1:{HEAD_PORT}",
                "--retries",
                "2",
                "--final-epochs",
                "0",
                "--study",
                str(study),
                "--no-progress",
                "--json",
            ]
            start = time.monotonic()
            search = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            while sum(r[2] != "RUNNING" for r in rows(study)) < args.kill_after and search.poll() is None:
                time.sleep(0.5)
            victims = second_node_processes()
            killed_at = time.time()
            for pid in victims:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            _, err = search.communicate(timeout=1800)
            stored = rows(study)
            states = collections.Counter(r[2] for r in stored)
            failed = [r for r in stored if r[2] == "FAILED"]
            retried = [
                r for r in failed if any(o[1] == r[1] and o[4] == "retry" and o[0] > r[0] for o in stored)
            ]
            asked = [r[0] for r in stored if r[4] is None]
            figures = {
                "processes_killed": len(victims),
                "exit_code": search.returncode,
                "wall_s": round(time.monotonic() - start, 1),
                "states": dict(states),
                "finished": sum(states.values()) - states["RUNNING"],
                "budget": args.budget,
                "lost": states["RUNNING"],
                "duplicated": len(asked) - len(set(asked)),
                "contiguous": sorted(r[0] for r in stored) == list(range(len(stored))),
                "failed_not_retried": len(failed) - len(retried),
                "first_failure_after_kill_s": min(
                    (round(r[3] - killed_at, 1) for r in failed if r[3] and r[3] >= killed_at), default=None
                ),
                "reasons": sorted({(r[5] or "")[:80] for r in failed}),
            }
            if args.json:
                print(json.dumps(figures))
            else:
                print("\n".join(f"{k}: {v}" for k, v in figures.items()))
            if search.returncode:
                print(err[-2000:])
    finally:
        subprocess.run(["ray", "stop", "--force"], capture_output=True)


if __name__ == "__main__":
    main()

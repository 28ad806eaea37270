"""A real two-node Ray cluster with token authentication, on this machine: a search through
`--ray-address` survives the second node's processes killed mid-search (benchmarks/ray_lost_node.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a real two-node Ray cluster

ROOT = Path(__file__).resolve().parents[2]


def test_a_search_loses_nothing_when_a_ray_node_dies_mid_search() -> None:
    bin_dir = str(Path(sys.executable).parent)
    if shutil.which("ray", path=bin_dir) is None:
        pytest.skip("Ray is not installed")
    import ray

    if ray.is_initialized():  # the benchmark's `ray stop` would take this process's instance with it
        ray.shutdown()
    env = {**os.environ, "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")])}
    env.pop("RAY_AUTH_MODE", None)  # the default: the head turns token authentication on
    done = subprocess.run(
        [sys.executable, "benchmarks/ray_lost_node.py", "--budget", "12", "--kill-after", "3", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["exit_code"] == 0 and figures["processes_killed"] >= 1, figures
    assert figures["finished"] == figures["budget"] == 12, figures
    assert figures["lost"] == 0 and figures["duplicated"] == 0 and figures["contiguous"], figures
    assert figures["failed_not_retried"] == 0, figures  # (the kill can land between two of its tasks)

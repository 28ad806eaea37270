"""Shared test helpers: the CLI run in-process, a model server on 127.0.0.1, and evaluators
(real table lookups) with injected failures, hangs and worker deaths."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nasforge import EvalOptions, Genotype, Result, SearchSpace, Study, TabularEvaluator, TrialState
from nasforge.cli.main import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`nasforge ARGV…` in this process: exit code, stdout and stderr."""
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse errors and --help
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


TOKEN = "s3cret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(folder: Path, *options: str) -> Iterator[str]:
    """`nasforge serve FOLDER OPTIONS…` in its own process on a free port, until ready; its URL."""
    port = free_port()
    argv = [sys.executable, "-m", "nasforge.cli.main", "serve", str(folder), "--port", str(port), *options]
    root = str(Path(__file__).resolve().parent.parent)  # user spaces of the tests import from here
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/v2/health/ready", timeout=1)
            break
        except OSError:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            time.sleep(0.2)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def call(url: str, body: Any = None, token: str | None = TOKEN, raw: bytes | None = None) -> tuple[int, Any]:
    """A request to the server: (status, JSON answer or text)."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
            return response.status, json.loads(text) if text.startswith("{") else text
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read().decode())


def tensor(x: np.ndarray) -> dict[str, Any]:
    """The Open Inference Protocol body for the batch `x`."""
    return {
        "inputs": [{"name": "input", "datatype": "FP32", "shape": list(x.shape), "data": x.ravel().tolist()}]
    }


class FailingEvaluator(TabularEvaluator):
    """Raises for every cell whose first edge is `avg_pool_3x3`; returns NaN when it is `none`."""

    def evaluate(
        self,
        genotype: Genotype,
        space: SearchSpace,
        fidelity: float | None = None,
        options: EvalOptions | None = None,
    ) -> Result:
        if genotype.spec[0] == "avg_pool_3x3":
            raise RuntimeError("injected failure")
        result = super().evaluate(genotype, space, fidelity, options)
        if genotype.spec[0] == "none":
            result.metrics["valid"] = float("nan")
        return result


class DoomedEvaluator(TabularEvaluator):
    """A table lookup, except for cells whose first edge is `avg_pool_3x3`: for those, `doom` runs
    first (it hangs, blocks, stops or kills the process it runs in)."""

    def doom(self) -> None:
        raise NotImplementedError

    def evaluate(
        self,
        genotype: Genotype,
        space: SearchSpace,
        fidelity: float | None = None,
        options: EvalOptions | None = None,
    ) -> Result:
        if first_edge_is_pool(genotype.spec):
            self.doom()
        return super().evaluate(genotype, space, fidelity, options)


class HangingEvaluator(DoomedEvaluator):
    """Sleeps far beyond any time limit."""

    def doom(self) -> None:
        time.sleep(60)


class StuckEvaluator(DoomedEvaluator):
    """Blocks in C code (libc `sleep`) with the time limit's signal blocked, as a call into a
    library that never returns to Python would."""

    def doom(self) -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        ctypes.CDLL(None).sleep(60)


class FreezingEvaluator(DoomedEvaluator):
    """Stops its own process (SIGSTOP: alive, but silent)."""

    def doom(self) -> None:
        os.kill(os.getpid(), signal.SIGSTOP)


class DyingEvaluator(DoomedEvaluator):
    """Kills the process it runs in."""

    def doom(self) -> None:
        os._exit(3)


def processes_using(path: Path) -> list[int]:
    """Live processes whose command line names the study file (the driver and its pool workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(path).encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def first_edge_is_pool(trial_spec: tuple[str, ...]) -> bool:
    return trial_spec[0] == "avg_pool_3x3"


def check_retried_failures(study: Study, reason: str, retries: int = 1) -> None:
    """Every doomed architecture failed `retries + 1` times with `reason`; everything else completed."""
    doomed = [t for t in study.trials if first_edge_is_pool(t.genotype.spec)]
    assert doomed, "the seed drew no doomed architecture"
    assert all(t.state is TrialState.FAILED and reason in (t.reason or "") for t in doomed)
    by_key: dict[str, list[str | None]] = {}
    for trial in doomed:
        by_key.setdefault(trial.key, []).append(trial.origin)
    assert all(origins == [None] + ["retry"] * retries for origins in by_key.values())
    others = [t for t in study.trials if not first_edge_is_pool(t.genotype.spec)]
    assert others and all(t.state is TrialState.COMPLETE for t in others)


def committed(path: Path) -> dict[int, tuple[str, str, float | None]]:
    """The finished trials stored in `path` (none while the file is being created)."""
    if not path.exists():
        return {}
    with contextlib.closing(sqlite3.connect(path)) as db:
        try:
            rows = db.execute("SELECT number, genotype, state, score FROM trials WHERE state != 'RUNNING'")
            return {number: (genotype, state, score) for number, genotype, state, score in rows}
        except sqlite3.OperationalError:  # the schema is not written yet
            return {}

"""Schemathesis against a real `nasforge serve`: generated requests (valid and not) from the
server's own OpenAPI schema find no 5xx and no response that disagrees with the schema, and the
server answers afterwards with its resident memory flat. A longer run: benchmarks/fuzz_server.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import TOKEN, call, processes_using, serving, tensor

pytestmark = pytest.mark.slow  # Schemathesis against a server subprocess

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")


def resident_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return int(next(line for line in status if line.startswith("VmRSS:")).split()[1])


@pytest.mark.parametrize("token", [None, TOKEN], ids=["open", "token"])
def test_fuzzing_finds_no_5xx_no_schema_mismatch_and_leaves_the_server_well(
    exported: Path, token: str | None
) -> None:
    with serving(exported, *(["--token", token] if token else [])) as url:
        (pid,) = processes_using(exported)
        infer, good = f"{url}/v2/models/{exported.name}/infer", tensor(np.zeros((2, 1, 8, 8), np.float32))
        for _ in range(200):  # warm up, so that memory measured afterwards is not first-use growth
            assert call(infer, good, token=token)[0] == 200
        before = resident_kib(pid)
        argv = [SCHEMATHESIS, "run", f"{url}/openapi.json", "--checks", "all", "--max-examples", "30"]
        # A schema-valid body can still hold the wrong count of numbers for its shape, which JSON
        # Schema cannot say; such requests are rightly refused, so that one check is left out.
        argv += ["--exclude-checks", "positive_data_acceptance", "--seed", "1"]
        argv += ["-H", f"Authorization: Bearer {token}"] if token else []
        fuzz = subprocess.run(argv, capture_output=True, text=True, timeout=300)
        assert fuzz.returncode == 0, fuzz.stdout[-3000:]
        assert "passed" in fuzz.stdout and "failures" not in fuzz.stdout.split("SUMMARY")[-1]
        assert call(infer, good, token=token)[0] == 200
        _, metrics = call(f"{url}/metrics", token=token)
        assert 'outcome="500"' not in metrics
        assert resident_kib(pid) < before * 1.2 + 10_000, (before, resident_kib(pid))

"""Load on model servers with Locust: requests/s, p50/p99 latency, failures, generator CPU.

Two models: the main job's winner (`nasforge search` with no options: the best trial's single
network, so that the old server can load it too) and one whose forward pass dominates, the
Fashion-MNIST winner (`benchmarks/compress.py`'s, trained one epoch here: its weights do not
change its speed). Each is exported, then served by:

  - baseline: `nasforge serve` as it was before the speed work (commit BASELINE, copied out of
    git into a scratch folder), onnxruntime, in its own environment (no httptools or uvloop,
    which nasforge did not depend on then), and with them (+httptools) for comparison;
  - nasforge: today's `nasforge serve`, onnxruntime, 1 and 2 workers, and PyTorch;
  - nasforge batching: `--max-batch 64` (micro-batching), to compare with per-request inference;
  - kserve: KServe's own Python model server on the same ONNX file (`kserve_server.py`, in a
    virtual environment of its own, made on first use).

Locust (`locust_client.py`, a process of its own: FastHttpUser, no wait) loads each at
concurrency 1, 8, 32 and 128 for `--seconds` after a warm-up. Every row gives the generator's
own CPU use in cores: on a 2-core machine, a generator near 1 core is a bottleneck too.
Targets (main job's model): nasforge >= 2x the baseline's requests/s at concurrency 32 with 0
failures; micro-batching >= 0.95x per-request inference at concurrency 1.

    python benchmarks/serve_load.py [--study runs/mnist1d-macro.db] [--seconds 10] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
from compress import fashion_model

from nasforge.deploy.export import export_model
from nasforge.evaluators.model_card import read_card
from nasforge.study.record import StudyView

HERE = Path(__file__).resolve().parent
BASELINE = "3eed2c6"  # the last commit before the server's speed work
CONCURRENCY = (1, 8, 32, 128)
KSERVE_VENV = Path.home() / ".cache" / "nasforge" / "kserve-venv"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def baseline_source(scratch: Path) -> Path:
    """The package as of BASELINE, copied out of git (the server there is what is compared)."""
    out = scratch / "baseline"
    out.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(HERE.parent), "archive", BASELINE, "src"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(out)], input=archive, check=True)
    return out / "src"


def kserve_python(path: Path) -> Path:
    """A Python with kserve, onnxruntime and numpy (a venv of its own: kserve pins its own deps)."""
    python = path / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "kserve", "onnxruntime", "numpy"], check=True
        )
    return python


def start(
    argv: list[str], port: int, log: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """The server, its output to `log` (a pipe nobody reads would fill and stop a chatty server)."""
    with log.open("wb") as out:
        server = subprocess.Popen(argv, stdout=out, stderr=out, env={**os.environ, **(env or {})})
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited: {' '.join(argv)}\n{log.read_text()[-2000:]}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/health/ready", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"the server did not start: {' '.join(argv)}")


def without_fast_parsers(scratch: Path) -> Path:
    """A folder whose `httptools` and `uvloop` fail to import: uvicorn then falls back to h11 and
    asyncio's loop, as it did for the baseline, whose dependencies did not include them."""
    folder = scratch / "no-fast-parsers"
    folder.mkdir(exist_ok=True)
    for name in ("httptools", "uvloop"):
        (folder / f"{name}.py").write_text(f"raise ImportError('{name} left out: the baseline had none')\n")
    return folder


def servers(folder: Path, baseline: Path, kserve: Path) -> dict[str, tuple[list[str], dict[str, str]]]:
    """Name -> (argv with PORT to fill in, environment) for each server compared."""
    nasforge = [sys.executable, "-m", "nasforge.cli.main", "serve", str(folder), "--port", "PORT"]
    slow = without_fast_parsers(baseline.parent)
    return {
        "baseline onnx": ([*nasforge, "--runtime", "onnx"], {"PYTHONPATH": f"{slow}:{baseline}"}),
        "baseline onnx+httptools": ([*nasforge, "--runtime", "onnx"], {"PYTHONPATH": str(baseline)}),
        "nasforge onnx": ([*nasforge, "--runtime", "onnx"], {}),
        "nasforge onnx 2 workers": ([*nasforge, "--runtime", "onnx", "--workers", "2"], {}),
        "nasforge torch": (nasforge, {}),
        "nasforge onnx batching": (
            [*nasforge, "--runtime", "onnx", "--max-batch", "64", "--max-delay-ms", "2"],
            {},
        ),
        "kserve onnx": (
            [str(kserve), str(HERE / "kserve_server.py"), "--http_port", "PORT"],
            {"KSERVE_MODEL": str(folder), "KSERVE_THREADS": "1"},
        ),
    }


def locust(url: str, body: Path, concurrency: int, seconds: float) -> dict[str, Any]:
    argv = [sys.executable, str(HERE / "locust_client.py"), "--url", url, "--body", str(body)]
    argv += ["--concurrency", str(concurrency), "--seconds", str(seconds)]
    done = subprocess.run(argv, check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def measure(
    model: str, folder: Path, baseline: Path, kserve: Path, seconds: float, scratch: Path
) -> list[dict[str, Any]]:
    shape = read_card(folder)["task"]["input_shape"]
    x = np.random.default_rng(0).normal(size=(1, *shape)).astype(np.float32)
    body = scratch / f"{model}-body.json"
    tensor = {"name": "input", "datatype": "FP32", "shape": [1, *shape], "data": x.ravel().tolist()}
    body.write_text(json.dumps({"inputs": [tensor]}))
    rows = []
    for name, (argv, env) in servers(folder, baseline, kserve).items():
        port = free_port()
        log = scratch / f"{model}-{name.replace(' ', '-')}.log"
        server = start([str(port) if a == "PORT" else a for a in argv], port, log, env)
        url = f"http://127.0.0.1:{port}/v2/models/{folder.name}/infer"
        try:
            for concurrency in CONCURRENCY:
                row = {"model": model, "server": name, **locust(url, body, concurrency, seconds)}
                rows.append(row)
                print(
                    f"{model:<8} {name:<24} {concurrency:>5} {row['rps']:>8.0f} {row['p50_ms']:>7.0f} "
                    f"{row['p99_ms']:>7.0f} {row['failures']:>8} {row['generator_cpu_cores']:>9.2f}",
                    flush=True,
                )
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:  # kserve waits out a 30 s grace period
                server.kill()
                server.wait()
    return rows


def best_trial(study: str) -> int:
    """The best trial's number: its single network (the final pick may be an ensemble)."""
    with StudyView(study) as view:
        assert view.best_trial is not None, "the main job finished no trial"
        return view.best_trial.number


def ratio(rows: list[dict[str, Any]], model: str, a: str, b: str, concurrency: int) -> float:
    rps = {(r["server"], r["concurrency"]): r["rps"] for r in rows if r["model"] == model}
    return rps[(a, concurrency)] / rps[(b, concurrency)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", help="a finished main-job study (default: run the main job here)")
    parser.add_argument("--seconds", type=float, default=10.0, help="load per concurrency level")
    parser.add_argument("--kserve-venv", type=Path, default=KSERVE_VENV, help="kserve's own virtual env")
    parser.add_argument("--json", type=Path, help="also write every row to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        study = args.study
        if study is None:
            study = str(scratch / "main.db")
            search = [sys.executable, "-m", "nasforge.cli.main", "search", "--study", study, "--no-progress"]
            subprocess.run(search, check=True, stdout=subprocess.DEVNULL)
        models = {
            "mnist1d": export_model(study, scratch / "mnist1d", trial=best_trial(study)),
            "fashion": fashion_model(1, scratch),
        }
        baseline, kserve = baseline_source(scratch), kserve_python(args.kserve_venv)
        print("model    server                    conc    req/s     p50     p99 failures  gen CPU")
        rows = [
            r
            for name, folder in models.items()
            for r in measure(name, folder, baseline, kserve, args.seconds, scratch)
        ]
    for model in models:
        new = "nasforge onnx"
        print(
            f"{model}: at concurrency 32 nasforge onnx serves "
            f"{ratio(rows, model, new, 'baseline onnx', 32):.2f}x the baseline's req/s (target >= 2), "
            f"{ratio(rows, model, new, 'kserve onnx', 32):.2f}x kserve's; 2 workers "
            f"{ratio(rows, model, 'nasforge onnx 2 workers', new, 32):.2f}x 1 worker; micro-batching "
            f"at concurrency 1: {ratio(rows, model, 'nasforge onnx batching', new, 1):.2f}x (target >= 0.95)"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()

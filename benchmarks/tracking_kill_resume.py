"""The main job's search (`--budget 20`) logged to MLflow and TensorBoard, killed with kill -9
once `--kill-after` trials have finished, then resumed: the study's trials and MLflow's nested
runs counted after the kill and after the resume (one nested run per trial is the goal).

    python benchmarks/tracking_kill_resume.py /tmp/tracking-run --kill-after 8
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from pathlib import Path

from mlflow.tracking import MlflowClient

from nasforge.study.record import StudyView
from nasforge.tracking.mlflow_tracking import PARENT, TRIAL, default_uri

STUDY = "mnist1d-macro.db"


def counts(folder: Path) -> str:
    with StudyView(folder / STUDY) as view:
        finished, stored = view.n_finished, len(view.trials)
    client = MlflowClient(default_uri(folder / STUDY))
    found = client.search_runs(
        [client.get_experiment_by_name("mnist1d-macro").experiment_id], max_results=1000
    )
    parents = [r for r in found if r.data.tags.get(TRIAL) == "study"]
    nested = [r for r in found if parents and r.data.tags.get(PARENT) == parents[0].info.run_id]
    return (
        f"study: {finished} finished, {stored} stored; "
        f"MLflow: {len(parents)} parent run, {len(nested)} nested runs"
    )


def finished(folder: Path) -> int:
    try:
        with StudyView(folder / STUDY) as view:
            return view.n_finished
    except Exception:  # not written yet
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--kill-after", type=int, default=8)
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "nasforge.cli.main", "search", "--budget", "20", "--study", STUDY]
    command += ["--mlflow", "--tensorboard", "--no-progress"]
    search = subprocess.Popen(command, cwd=args.folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while finished(args.folder) < args.kill_after:
        time.sleep(0.5)
    search.send_signal(signal.SIGKILL)
    search.wait()
    print(f"after kill -9: {counts(args.folder)}")
    start = time.perf_counter()
    resumed = subprocess.run(command, cwd=args.folder, capture_output=True, text=True)
    print(f"resumed search: exit {resumed.returncode} in {time.perf_counter() - start:.0f} s")
    print(
        "\n".join(
            line for line in resumed.stderr.splitlines() if line.startswith(("MLflow:", "TensorBoard:"))
        )
    )
    print(f"after the resume: {counts(args.folder)}")


if __name__ == "__main__":
    main()

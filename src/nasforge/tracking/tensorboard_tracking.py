"""A study in TensorBoard: one run per trial (`trial-0007/`) with its curves as scalars over
steps, and the HParams plugin's record (knob values against final metrics), so TensorBoard's
HParams table and parallel-coordinates view compare the trials.

Logging is idempotent: a trial's folder is written once (a `.complete` file marks it whole; one
left half-written by a kill is written again).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from nasforge.extras import require_extra
from nasforge.study.record import StudyRecord
from nasforge.tracking import facts
from nasforge.trial import Trial

COMPLETE = ".complete"
FINAL = "final/"  # the HParams plugin's metrics: final values, apart from the curves' names


def default_logdir(study_file: str | Path) -> Path:
    """The folder next to a study: `runs/x.db` logs to `runs/x.tensorboard/`."""
    path = Path(study_file)
    return path.with_name(path.stem + ".tensorboard")


class TensorBoardCallback:
    """Writes a study's trials for TensorBoard as they finish:
    `Study.optimize(..., callback=TensorBoardCallback("runs/tb"))`, then
    `tensorboard --logdir runs/tb`. Trials finished before it was attached are written on its
    first call, or by `sync(study)`."""

    def __init__(self, logdir: str | Path | None = None) -> None:
        require_extra("tensorboard", "logging to TensorBoard")
        self.logdir = None if logdir is None else Path(logdir)
        self.enabled = True

    def __call__(self, study: StudyRecord, trial: Trial) -> None:
        self.sync(study)

    def sync(self, study: StudyRecord) -> int:
        """Write every finished trial of `study` not written yet; the number written now."""
        if not self.enabled:
            return 0
        if self.logdir is None:
            if study.file is None:
                self._fail(ValueError("a study kept in memory needs a logdir"))
                return 0
            self.logdir = default_logdir(study.file)
        written = 0
        try:
            for trial in facts.finished(study):
                folder = self.logdir / f"trial-{trial.number:04d}"
                if not (folder / COMPLETE).exists():
                    self._write(study, trial, folder)
                    written += 1
        except OSError as exc:
            self._fail(exc)
        return written

    def end(self, study: StudyRecord) -> None:
        """The search has ended: write any trial not written yet (each folder is whole once
        written; nothing else waits for the end)."""
        self.sync(study)

    def where(self) -> str:
        """Where the study is logged, and how to look at it."""
        return f"TensorBoard: {self.logdir} (look: tensorboard --logdir {self.logdir})"

    def _write(self, study: StudyRecord, trial: Trial, folder: Path) -> None:
        from torch.utils.tensorboard import SummaryWriter
        from torch.utils.tensorboard.summary import hparams

        shutil.rmtree(folder, ignore_errors=True)  # half-written by a kill: again, whole
        with SummaryWriter(log_dir=str(folder)) as writer:
            for name, points in study.curve_points(trial.number).items():
                for step, value in points.items():
                    writer.add_scalar(name, value, step)
            knobs = {name: facts.plain(value) for name, value in facts.knobs(study, trial).items()}
            knobs.update({f"nasforge/{k}": v for k, v in facts.tags(study, trial).items() if k != "reason"})
            metrics = {FINAL + name: value for name, value in facts.final_metrics(trial).items()}
            for summary in hparams(knobs, metrics):  # type: ignore[no-untyped-call]
                writer.file_writer.add_summary(summary)
            for name, value in metrics.items():
                writer.add_scalar(name, value, 0)
        (folder / COMPLETE).touch()

    def _fail(self, exc: BaseException) -> None:
        if self.enabled:
            print(
                f"nasforge: warning: TensorBoard logging stopped ({self.logdir}: {exc}); "
                "the search goes on and the study file stays the record",
                file=sys.stderr,
                flush=True,
            )
        self.enabled = False

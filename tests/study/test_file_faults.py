"""Disk and file faults: each is one clear line and loses nothing already committed. The file
systems are real (a small tmpfs, remounted read-only or filled up), so these need root."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nasforge import NB201Space, Study, StudyError, TabularEvaluator
from tests.helpers import committed, run

pytestmark = pytest.mark.slow  # root-only faults (a tmpfs mounted, filled, remounted read-only)


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """An 8 MiB tmpfs of its own, unmounted afterwards."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def remount(folder: Path, mode: str) -> None:
    done = subprocess.run(["mount", "-o", f"remount,{mode}", str(folder)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def fill(filler: Path) -> None:
    """Write `filler` until its file system has no free block left."""
    with open(filler, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError:
            pass


def search(capsys: pytest.CaptureFixture[str], study: Path, budget: int) -> tuple[int, str, str]:
    return run(capsys, "search", "--table", "--budget", str(budget), "--study", str(study), "--no-progress")


def test_a_read_only_study_folder_is_one_line_and_the_study_resumes_after(
    disk: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = disk / "s.db"
    assert search(capsys, study, 5)[0] == 0
    before = committed(study)
    remount(disk, "ro")
    code, _, err = search(capsys, study, 10)
    assert code == 2 and err.count("\n") == 1 and "its file system is mounted read-only" in err, err
    assert "what was stored before is intact" in err
    assert run(capsys, "leaderboard", "--study", str(study))[0] == 0  # still readable as it is
    remount(disk, "rw")
    assert committed(study) == before
    assert search(capsys, study, 10)[0] == 0 and len(committed(study)) == 10


def test_a_disk_that_fills_mid_search_is_one_line_and_loses_nothing_committed(disk: Path) -> None:
    path = disk / "s.db"
    filler = disk / "filler"

    def fill_after_five(study: Study, trial: object) -> None:
        if study.n_finished == 5 and not filler.exists():
            fill(filler)

    study = Study.create(NB201Space(), "random", seed=0, path=path)
    with pytest.raises(StudyError, match="the disk is full") as full:
        study.optimize(TabularEvaluator(), 2000, callback=fill_after_five)
    study.close()
    finished = study.n_finished
    assert "\n" not in str(full.value) and finished >= 5
    filler.unlink()
    stored = committed(path)
    assert len(stored) == finished  # every trial told before the failure, none half-written
    resumed = Study.load(path)
    resumed.optimize(TabularEvaluator(), finished + 5)
    resumed.close()
    after = committed(path)
    assert len(after) == finished + 5 and all(after[n] == row for n, row in stored.items())


def test_a_study_locked_by_another_program_is_one_line_and_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = tmp_path / "s.db"
    assert search(capsys, study, 5)[0] == 0
    before = committed(study)
    hold = f"import sqlite3, time; db = sqlite3.connect({str(study)!r}, isolation_level=None)\n"
    hold += "db.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(60)"
    holder = subprocess.Popen([sys.executable, "-c", hold], stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"locked\n"
        started = time.monotonic()
        code, _, err = search(capsys, study, 10)
        assert code == 2 and err.count("\n") == 1 and "another program holds a lock on it" in err, err
        assert time.monotonic() - started < 30
    finally:
        holder.kill()
        holder.wait()
    assert committed(study) == before
    assert search(capsys, study, 10)[0] == 0 and len(committed(study)) == 10


def test_a_study_folder_that_cannot_be_created_is_one_line(
    disk: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    remount(disk, "ro")
    code, _, err = search(capsys, disk / "new" / "s.db", 3)
    assert code == 2 and err.count("\n") == 1 and "cannot create the folder of study" in err, err
    assert shutil.disk_usage(disk).used == 0


def test_a_study_that_cannot_be_created_leaves_no_half_made_file(
    disk: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A new study is created whole or not at all: a file without its tables or configuration
    would otherwise make every later command refuse it."""
    fill(disk / "filler")
    code, _, err = search(capsys, disk / "s.db", 3)
    assert code == 2 and err.count("\n") == 1 and "the disk is full" in err, err
    assert sorted(p.name for p in disk.iterdir()) == ["filler"]
    (disk / "filler").unlink()
    assert search(capsys, disk / "s.db", 3)[0] == 0 and len(committed(disk / "s.db")) == 3

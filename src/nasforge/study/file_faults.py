"""Why SQLite could not read or write a study file, in words a user can act on."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

LOW_SPACE_BYTES = 64 * 1024  # below this much free space, a failed write is put down to a full disk


def read_only_filesystem(folder: Path) -> bool:
    """True when `folder` is on a file system mounted read-only."""
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def explain(path: Path | None, exc: sqlite3.OperationalError, doing: str = "write") -> str:
    """One line: what failed, the likely cause, and that what was stored is intact."""
    text = str(exc)
    return (
        f"cannot {doing} study {path}: {_cause(path, text)} (SQLite: {text}); what was stored before is "
        "intact: fix that and run the same command to resume"
    )


def _cause(path: Path | None, text: str) -> str:
    if path is None:
        return "SQLite failed"
    folder = path.parent
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        free = None
    if read_only_filesystem(folder):
        return "its file system is mounted read-only"
    if "readonly" in text or not os.access(path if path.exists() else folder, os.W_OK):
        return "the file or its folder is read-only"
    if "full" in text or (free is not None and free < LOW_SPACE_BYTES):
        return "the disk is full"
    if "locked" in text:
        return "another program holds a lock on it (a database browser, a backup, a copy in progress)"
    return "SQLite failed"

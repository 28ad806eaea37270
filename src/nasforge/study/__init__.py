"""The study layer: `Study` (ask/tell, optimize), its read-only `StudyView`, SQLite storage,
replay on resume, stored configuration, typed settings and early stopping.

Imports only the layers below it (execution, strategies, evaluators, spaces, data, shared types).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nasforge._registry import lazy_getattr

if TYPE_CHECKING:
    from nasforge.study.record import StudyRecord, StudyView
    from nasforge.study.settings import StudySettings
    from nasforge.study.storage import Storage
    from nasforge.study.study import Study

__getattr__ = lazy_getattr(
    __name__,
    {
        "Study": "nasforge.study.study:Study",
        "StudyRecord": "nasforge.study.record:StudyRecord",
        "StudyView": "nasforge.study.record:StudyView",
        "StudySettings": "nasforge.study.settings:StudySettings",
        "Storage": "nasforge.study.storage:Storage",
    },
)
__all__ = ["Storage", "Study", "StudyRecord", "StudySettings", "StudyView"]

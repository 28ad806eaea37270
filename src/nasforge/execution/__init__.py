"""Where trials run: in-process, in a process pool or on Ray, each under an optional time limit.

Imports only strategies/evaluators and below; never the study.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nasforge._registry import lazy_getattr

if TYPE_CHECKING:
    from nasforge.execution.executors import Executor, SerialExecutor, make_executor
    from nasforge.execution.ray_executor import RayExecutor
    from nasforge.execution.worker_pool import ProcessExecutor

__getattr__ = lazy_getattr(
    __name__,
    {
        "Executor": "nasforge.execution.executors:Executor",
        "ProcessExecutor": "nasforge.execution.worker_pool:ProcessExecutor",
        "SerialExecutor": "nasforge.execution.executors:SerialExecutor",
        "make_executor": "nasforge.execution.executors:make_executor",
        "RayExecutor": "nasforge.execution.ray_executor:RayExecutor",
    },
)
__all__ = ["Executor", "ProcessExecutor", "RayExecutor", "SerialExecutor", "make_executor"]

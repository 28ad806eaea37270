"""Optional parts of nasforge and the extra that installs each: a command that needs a missing
one says, in one line, which `pip install 'nasforge[...]'` to run."""

from __future__ import annotations

import importlib

from nasforge.errors import MissingExtraError

# extra -> the modules it installs (import names)
EXTRAS: dict[str, tuple[str, ...]] = {
    "mnist1d": ("mnist1d",),
    "onnx": ("onnx", "onnxruntime"),
    "serve": ("fastapi", "uvicorn", "prometheus_client", "orjson"),
    "compress": ("torch_pruning", "onnx", "onnxruntime"),
    "report": ("plotly",),
    "ray": ("ray",),
    "mlflow": ("mlflow",),
    "tensorboard": ("tensorboard",),
    "optuna-dashboard": ("optuna_dashboard",),
}


def require_extra(extra: str, what: str) -> None:
    """Import the modules of `extra`, or raise one line naming the install command.

    Raises:
        MissingExtraError: one of them is not installed.

    Example:
        >>> require_extra("mnist1d", "the MNIST-1D data")
    """
    for module in EXTRAS[extra]:
        try:
            importlib.import_module(module)
        except ImportError:
            raise missing_extra(extra, what, module) from None


def missing_extra(extra: str, what: str, module: str | None) -> MissingExtraError:
    """The error for `what` missing `module` of `extra`."""
    return MissingExtraError(
        f"{what} needs {module}, which is not installed: pip install 'nasforge[{extra}]'"
    )

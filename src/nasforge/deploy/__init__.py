"""Shipping a trained model: load (integrity-checked), export, compress, serve."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nasforge._registry import lazy_getattr

if TYPE_CHECKING:
    from nasforge.deploy.compress import compress
    from nasforge.deploy.export import export_model
    from nasforge.deploy.load import load_model
    from nasforge.deploy.serve import serve

__getattr__ = lazy_getattr(
    __name__,
    {
        "compress": "nasforge.deploy.compress.run:compress",
        "export_model": "nasforge.deploy.export:export_model",
        "load_model": "nasforge.deploy.load:load_model",
        "serve": "nasforge.deploy.serve:serve",
    },
)
__all__ = ["compress", "export_model", "load_model", "serve"]

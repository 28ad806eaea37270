"""Compression of a model folder: channel pruning, BatchNorm folding, int8 quantisation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nasforge._registry import lazy_getattr

if TYPE_CHECKING:
    from nasforge.deploy.compress.run import compress

__getattr__ = lazy_getattr(__name__, {"compress": "nasforge.deploy.compress.run:compress"})
__all__ = ["compress"]

"""A define-by-run function by import path (`package.module:function` or `path/file.py:function`),
and the hash of its source that a study stores to notice when it changed."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import linecache
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nasforge.errors import InvalidArgumentError


def import_function(path: str) -> Callable[..., Any]:
    """The function at `path`: `package.module:name` or `file.py:name` (a file is loaded as a
    module named after it, again when it was edited).

    Raises:
        InvalidArgumentError: the path is malformed, the module or file cannot be imported, or it
            has no such function.
    """
    where, sep, name = path.rpartition(":")
    if not sep or not where or not name.isidentifier():
        raise InvalidArgumentError(
            f"space must look like package.module:function or file.py:function, got {path!r}"
        )
    module = _module(where, path)
    function = getattr(module, name, None)
    if function is None:
        raise InvalidArgumentError(f"space {path!r}: {where} has no {name!r}")
    return getattr(function, "fn", function)  # a decorated space (`@nasforge.space`): its function


def _module(where: str, path: str) -> Any:
    if where.endswith(".py"):
        file = Path(where).resolve()
        if not file.is_file():
            raise InvalidArgumentError(f"space {path!r}: no file {where}")
        main = sys.modules.get("__main__")
        if getattr(main, "__file__", None) and Path(main.__file__).resolve() == file:  # type: ignore[union-attr,arg-type]
            return main  # the running script (or a forked worker of it): never executed twice
        name = f"nasforge_user_{hashlib.sha256(str(file).encode()).hexdigest()[:12]}_{file.stem}"
        version = (file.stat().st_mtime_ns, file.stat().st_size)
        if getattr(sys.modules.get(name), "__nasforge_version__", None) != version:  # new, or edited
            spec = importlib.util.spec_from_file_location(name, file)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            module.__nasforge_version__ = version  # type: ignore[attr-defined]
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)
            except Exception as exc:
                del sys.modules[name]
                raise InvalidArgumentError(
                    f"space {path!r}: importing {where} failed: {type(exc).__name__}: {exc}"
                ) from None
        return sys.modules[name]
    try:
        return importlib.import_module(where)
    except ImportError as exc:
        raise InvalidArgumentError(f"space {path!r}: cannot import {where} ({exc})") from None


def absolute_path(path: str) -> str:
    """`path` with a `file.py` part made absolute (a study resumes from any folder).

    Example:
        >>> absolute_path("pkg.module:fn")
        'pkg.module:fn'
    """
    where, sep, name = path.rpartition(":")
    if sep and where.endswith(".py"):
        return f"{Path(where).resolve()}:{name}"
    return path


def import_path(function: Callable[..., Any]) -> str:
    """How to import `function` again: `module:name`, or `file.py:name` for a script's function."""
    name = getattr(function, "__module__", None) or ""
    module = sys.modules.get(name)
    file = getattr(module, "__file__", None)
    if not name or name == "__main__" or name.startswith("nasforge_user_"):
        if file is None:
            raise InvalidArgumentError(
                f"space function {function.__qualname__!r} must live in a file or an importable module"
            )
        return f"{Path(file).resolve()}:{function.__qualname__}"
    if "<locals>" in function.__qualname__:
        raise InvalidArgumentError(
            f"space function {function.__qualname__!r} must be defined at module level "
            "(it is imported again by name)"
        )
    return f"{function.__module__}:{function.__qualname__}"


def source_sha256(function: Callable[..., Any]) -> str:
    """The sha256 of the function's source text ("" where the source cannot be read)."""
    try:
        linecache.checkcache(inspect.getsourcefile(function))  # an edited file is read anew
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return ""
    return hashlib.sha256(source.encode()).hexdigest()

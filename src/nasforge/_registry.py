"""A name → class registry with clear errors and parameter listings (for the CLI and storage)."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from nasforge.errors import InvalidArgumentError

T = TypeVar("T")


def lazy_getattr(module: str, paths: dict[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` that imports `paths[name]` ("package.module:Attr") on first use,
    so that importing the module itself stays cheap."""

    def getattr_(name: str) -> Any:
        if name not in paths:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        where, _, attr = paths[name].partition(":")
        return getattr(importlib.import_module(where), attr or name)

    return getattr_


def init_params(obj: object) -> dict[str, Any]:
    """The keyword-only constructor parameters of `obj` with the values it keeps under the same
    names (the contract of registered classes; one that keeps a parameter otherwise overrides
    `config()`).

    Raises:
        TypeError: `obj` keeps no attribute named after one of its parameters.
    """
    signature = inspect.signature(type(obj).__init__)
    names = [p.name for p in signature.parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY]
    missing = [name for name in names if name not in vars(obj) and not hasattr(type(obj), name)]
    if missing:
        raise TypeError(
            f"{type(obj).__name__} keeps no attribute for its parameter(s) {', '.join(missing)}: "
            "store each under its own name, or override config()"
        )
    return {name: getattr(obj, name) for name in names}


def _signature_defaults(cls: type[Any]) -> dict[str, Any]:
    """A class's keyword-only constructor parameters and defaults ("(required)" where none), or
    what its `parameter_defaults()` says where its constructor takes grouped settings (built by
    its `from_params`)."""
    if hasattr(cls, "parameter_defaults"):
        return dict(cls.parameter_defaults())
    return {
        p.name: "(required)" if p.default is p.empty else p.default
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }


class Registry(Generic[T]):
    """Maps names to classes whose constructors take keyword-only hyperparameters.

    Example:
        >>> reg: Registry[object] = Registry("thing")
        >>> reg.names()
        []
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._classes: dict[str, type[T] | str] = {}

    @classmethod
    def lazy(cls, kind: str, classes: dict[str, str]) -> Registry[T]:
        """A registry of `{name: "module:Class"}` entries, each imported when first used."""
        registry: Registry[T] = cls(kind)
        for name, path in classes.items():
            registry.register(name, path)
        return registry

    def class_paths(self) -> dict[str, str]:
        """`{"Class": "module:Class"}` of the entries not imported yet (for a module `__getattr__`)."""
        return {path.rpartition(":")[2]: path for path in self._classes.values() if isinstance(path, str)}

    def register(self, name: str, cls: type[T] | str) -> None:
        """Add `cls` under `name`; `cls` may be `"module:Class"`, imported when first used."""
        self._classes[name] = cls

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._classes)

    def get(self, name: str) -> type[T]:
        """The class registered as `name`, or a clear error listing the known names."""
        if name not in self._classes:
            raise InvalidArgumentError(f"{self.kind} must be one of {', '.join(self.names())}; got {name!r}")
        entry = self._classes[name]
        if isinstance(entry, str):
            module, _, attr = entry.partition(":")
            entry = self._classes[name] = getattr(importlib.import_module(module), attr)
        return entry

    def create(self, name: str, *args: Any, **params: Any) -> T:
        """Instantiate `name`, rejecting unknown hyperparameters by name."""
        cls = self.get(name)
        allowed = list(self.parameters(name))
        takes_seed = "seed" in _signature_defaults(cls)
        unknown = sorted(set(params) - set(allowed) - ({"seed"} if takes_seed else set()))
        if unknown:
            raise InvalidArgumentError(
                f"{self.kind} {name!r} has no parameter {', '.join(unknown)}; "
                f"allowed: {', '.join(allowed) or 'none'}"
            )
        grouped = hasattr(cls, "parameter_defaults")  # lists its settings itself: may build flat
        factory: Callable[..., T] = getattr(cls, "from_params", cls) if grouped else cls
        return factory(*args, **params)

    def parameters(self, name: str) -> dict[str, Any]:
        """Keyword-only hyperparameters of `name` and their defaults (`seed` is set on its own); a
        None default that the class resolves through a `default_<parameter>` attribute shows that,
        and a required one shows as "(required)"."""
        cls = self.get(name)
        return {
            key: getattr(cls, f"default_{key}", default) if default is None else default
            for key, default in _signature_defaults(cls).items()
            if key != "seed"
        }

    def describe(self, name: str) -> dict[str, Any]:
        """Name, summary (the docstring's first paragraph) and parameters with defaults, JSON-ready."""
        doc = inspect.getdoc(self.get(name)) or ""
        return {
            "name": name,
            "summary": " ".join(doc.split("\n\n")[0].split()),
            "parameters": self.parameters(name),
        }

"""Argument helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError
from rich.console import Console

from nasforge.errors import InvalidArgumentError

# Piped or redirected output is not cut to 80 columns: tables keep their full width there.
stdout = Console(highlight=False, width=None if sys.stdout.isatty() else 1000)
stderr = Console(stderr=True, highlight=False)


def parse_params(items: list[str] | None) -> dict[str, Any]:
    """`["population_size=20", "crossover=uniform"]` → `{"population_size": 20, "crossover": "uniform"}`."""
    params: dict[str, Any] = {}
    for item in items or []:
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise InvalidArgumentError(f"--param must look like NAME=VALUE, got {item!r}")
        try:
            params[name] = json.loads(text)
        except json.JSONDecodeError:
            params[name] = text
    return params


def add_param_option(parser: argparse.ArgumentParser) -> None:
    """`--param NAME=VALUE`, repeatable: a strategy hyperparameter."""
    parser.add_argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="strategy hyperparameter, repeatable (see `nasforge strategies`)",
    )


def int_at_least(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """argparse type: an integer >= `minimum` (and <= `maximum`, if given)."""
    allowed = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"must be an integer {allowed}, got {text!r}")
        return value

    return parse


def positive_float(text: str) -> float:
    """argparse type: a number > 0."""
    return _float_above(text, 0.0, strict=True)


def non_negative_float(text: str) -> float:
    """argparse type: a number >= 0."""
    return _float_above(text, 0.0, strict=False)


def _float_above(text: str, bound: float, *, strict: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (value > bound if strict else value >= bound):
        relation = ">" if strict else ">="
        raise argparse.ArgumentTypeError(f"must be a number {relation} {bound:g}, got {text!r}")
    return value


def ratio(text: str) -> float:
    """argparse type: a number strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be a number between 0 and 1 (exclusive), got {text!r}")
    return value


def print_json(data: Any) -> None:
    """Machine-readable output on stdout: strict JSON (a NaN or infinity is written as null)."""
    print(json.dumps(finite(data), indent=2, default=str, allow_nan=False))


def finite(data: Any) -> Any:
    """`data` with every NaN or infinite float replaced by None (JSON has no such numbers).

    Example:
        >>> finite({"r2": float("nan"), "xs": [1.0, float("inf")]})
        {'r2': None, 'xs': [1.0, None]}
    """
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [finite(v) for v in data]
    return data


def write_output(text: str, output: str | None) -> None:
    """Write to the file `output`, or print when None; a clear error for a path that cannot be written."""
    if output is None:
        print(text, end="")
        return
    path = Path(output)
    if path.is_dir():
        raise InvalidArgumentError(f"--output must be a file path, got the folder {output!r}")
    if not path.parent.is_dir():
        raise InvalidArgumentError(f"--output {output!r}: folder {str(path.parent)!r} does not exist")
    try:
        path.write_text(text)
    except OSError as exc:
        raise InvalidArgumentError(f"--output {output!r} cannot be written: {exc.strerror}") from None


def field_argument(model: type[BaseModel], name: str) -> dict[str, Any]:
    """argparse keywords for the option of `model`'s field `name`, so that its choices and bounds
    are declared once, on the model: `choices` for a Literal, else a `type` that validates the
    text as the field does (an integer >= 1, a number > 0, …), plus the default in the help."""
    field = model.model_fields[name]
    annotation = field.annotation
    choices = get_args(annotation) if get_origin(annotation) is Literal else ()
    if choices:
        return {"choices": choices, "metavar": "|".join(map(str, choices))}
    adapter: TypeAdapter[Any] = TypeAdapter(Annotated[annotation, *field.metadata])  # type: ignore[arg-type]
    kind = "an integer" if annotation in (int, int | None) else "a number"

    def parse(text: str) -> Any:
        try:
            return adapter.validate_python(text)
        except ValidationError as exc:
            error = exc.errors()[0]
            bound = "" if "parsing" in error["type"] else " " + error["msg"].removeprefix("Input should be ")
            raise argparse.ArgumentTypeError(f"must be {kind}{bound}; got {text!r}") from None

    parse.__name__ = kind  # argparse names the type in its "invalid … value" message
    return {"type": parse}

"""`UserSpace`: a search space from one define-by-run function. nasforge traces the knobs the
function asks for and derives everything else from them: sampling, neighbours, mutation,
crossover (conditional knobs repaired by tracing again), encodings, key, features, text form
and validation. A genotype is the active knobs' values, in the order the function asked for them.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
import json
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from nasforge.errors import InvalidArgumentError, InvalidGenotypeError
from nasforge.genotype import Genotype
from nasforge.spaces.base import SearchSpace
from nasforge.spaces.define_by_run.domains import Choice, Domain
from nasforge.spaces.define_by_run.knobs import NAME, Knobs
from nasforge.spaces.define_by_run.loading import absolute_path, import_function, import_path, source_sha256
from nasforge.spaces.define_by_run.optuna_trial import KnobTrial, TraceDone
from nasforge.task import Task
from nasforge.validation import check_choice

if TYPE_CHECKING:
    from torch import nn

PLACEHOLDER_TASK = Task((1, 28, 28), 10)  # traced with where no task is bound (`bind_task`)
EXPLORE_TRACES = 5000  # at most this many traces to find every knob (conditional branches included)


class _Inactive:
    """The feature value of a knob its genotype does not ask for (never a knob's value)."""

    def __repr__(self) -> str:
        return "INACTIVE"

    def __reduce__(self) -> str:
        return "INACTIVE"


INACTIVE = _Inactive()


class UserSpace(SearchSpace):
    """A space defined by a function that asks for knobs where it needs them.

    A function with a parameter named `task` (`function(k, task)`) builds a `torch.nn.Module`
    for that task; `function(k)` only asks for knobs (a space for an evaluator that needs just the
    choices). `k` is a `Knobs`: `k.choice`, `k.int`, `k.float`, `k.bool`, `k.range`. The knobs a
    function may ask for must not depend on the task. Its knobs are traced with the study's task
    (`bind_task`, done by a study given its evaluator), else with a 1x28x28 placeholder.

    Args:
        function: the function, or its import path (`package.module:name`, `file.py:name`).
        source_sha256: the hash stored with a study (to say when the source changed).
        knobs: the knobs stored with a study (to say which changed).
        task: the task to trace the function with (None: the one bound later, or the placeholder).
        interface: "knobs" (`function(k)` or `function(k, task)`), or "optuna": an Optuna
            objective `function(trial)` whose `trial.suggest_*` calls are the knobs.

    Example:
        >>> def widths(k):
        ...     return [k.choice(f"layer{i}", [16, 32, 64]) for i in k.range("depth", 1, 3)]
        >>> space = UserSpace(function=widths)
        >>> space.format(space.sample(np.random.default_rng(0)))
        'depth=3, layer0=32, layer1=32, layer2=16'
    """

    name = "user"

    def __init__(
        self,
        *,
        function: str | Callable[..., Any],
        source_sha256: str | None = None,
        knobs: dict[str, str] | None = None,
        task: Task | dict[str, Any] | None = None,
        interface: str = "knobs",
    ) -> None:
        if isinstance(function, UserSpace):  # a decorated function (`@nasforge.space`)
            function = function.fn
        self.function = absolute_path(function) if isinstance(function, str) else _path_or_name(function)
        self.fn = import_function(function) if isinstance(function, str) else function
        self.interface = check_choice("interface", interface, ("knobs", "optuna"))
        self.builds_model = interface == "knobs" and _builds_model(self.fn, self.function)
        self.stored_sha256, self.stored_knobs = source_sha256, knobs
        self.task = Task(tuple(task["input_shape"]), task["num_classes"]) if isinstance(task, dict) else task
        self._discovering = False

    def bind_task(self, task: Task | None) -> None:
        """Trace the function with `task` from now on (the data a study's evaluator trains on)."""
        if task is not None:
            self.task = task

    @functools.cached_property
    def domains(self) -> dict[str, Domain]:
        """Every knob the function may ask for, with its values (found by tracing, on first use)."""
        return _discover(self)

    # -- identity ------------------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "function": self.function,
            "source_sha256": source_sha256(self.fn),
            "knobs": {name: domain.describe() for name, domain in self.domains.items()},
            **({"interface": self.interface} if self.interface != "knobs" else {}),
            **(
                {"task": {"input_shape": list(t.input_shape), "num_classes": t.num_classes}}
                if (t := self.task)
                else {}
            ),
        }

    def changes(self) -> list[str]:
        """What changed in the function since the stored configuration was written (empty: nothing)."""
        if self.stored_sha256 is None:  # not from a stored study
            return []
        now = {name: domain.describe() for name, domain in self.domains.items()}
        before = self.stored_knobs if self.stored_knobs is not None else now
        changed = [f"knob {n} added ({now[n]})" for n in now if n not in before]
        changed += [f"knob {n} removed" for n in before if n not in now]
        changed += [f"knob {n}: {before[n]} -> {now[n]}" for n in now if n in before and before[n] != now[n]]
        if not changed and self.stored_sha256 != source_sha256(self.fn):
            changed = ["the function's source changed; its knobs did not"]
        return changed

    def __getstate__(self) -> dict[str, Any]:  # pickled by import path (process pools, Ray)
        state = dict(self.__dict__)
        state["fn"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.fn = import_function(self.function)

    # -- tracing -------------------------------------------------------------------------------

    def trace(
        self,
        assigned: dict[str, Any],
        rng: np.random.Generator | None,
        draw: Callable[[str, Domain], Any] | None = None,
    ) -> Knobs:
        """Run the function once with these knob values (drawing the missing ones with `rng`, or
        asking `draw(name, domain)`).

        Raises:
            InvalidArgumentError: the function failed, or asked for a knob that discovery did not
                find (it sits behind a value discovery did not try).
        """
        knobs = Knobs(assigned, rng=rng, draw=draw, tracing=True)
        with _cheap_modules():
            self._call(knobs, self.task or PLACEHOLDER_TASK)
        if not self._discovering:
            unknown = [name for name in knobs.domains if name not in self.domains]
            if unknown:
                raise InvalidArgumentError(
                    f"knob {unknown[0]!r} of {self.function} was not found when its knobs were discovered "
                    f"(it is asked for only behind {_branch(knobs.values, unknown[0])}, a value discovery "
                    "did not try); ask for it on a branch every value of the knobs before it reaches, "
                    "or give those knobs fewer values"
                )
        return knobs

    def _call(self, knobs: Knobs, task: Task) -> Any:
        try:
            if self.interface == "optuna":
                return self.fn(KnobTrial(knobs))
            return self.fn(knobs, task) if self.builds_model else self.fn(knobs)
        except TraceDone:
            return None
        except (InvalidArgumentError, InvalidGenotypeError):
            raise
        except Exception as exc:
            where = _user_line(exc, self.fn)
            placeholder = (
                f" (traced with a placeholder task, input {PLACEHOLDER_TASK.input_shape}: create the study "
                "with its evaluator, or give the space its task)"
                if knobs.tracing and self.task is None and self.builds_model
                else ""
            )
            raise InvalidArgumentError(
                f"space function {self.function} failed{where}: {type(exc).__name__}: {exc}{placeholder}"
            ) from None

    def _make(
        self,
        assigned: dict[str, Any],
        rng: np.random.Generator | None,
        draw: Callable[[str, Domain], Any] | None = None,
    ) -> Genotype:
        return Genotype(self.name, tuple(self.trace(assigned, rng, draw).values.items()))

    def values(self, genotype: Genotype) -> dict[str, Any]:
        """The genotype's knob values by name."""
        self._check_space(genotype)
        spec = genotype.spec
        if not isinstance(spec, tuple) or not all(
            isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in spec
        ):
            raise InvalidGenotypeError(
                f"a user-space genotype is a list of [knob, value] pairs, got {spec!r}"
            )
        return dict(spec)

    def _repaired(self, assigned: dict[str, Any], seed_from: str) -> Genotype:
        """Trace with `assigned`, drawing knobs of newly opened branches reproducibly."""
        seed = int.from_bytes(hashlib.sha256(seed_from.encode()).digest()[:8], "little")
        return self._make(assigned, np.random.default_rng(seed))

    # -- the SearchSpace operations ------------------------------------------------------------

    def sample(self, rng: np.random.Generator) -> Genotype:
        return self._make({}, rng)

    def _moves(self, genotype: Genotype) -> list[Genotype]:
        values, key = self.values(genotype), self.key(genotype)
        out: dict[str, Genotype] = {}
        for name, value in values.items():
            for other in self.domains[name].neighbors(value):
                neighbor = self._repaired({**values, name: other}, f"{key}|{name}|{other!r}")
                out.setdefault(self.key(neighbor), neighbor)
        out.pop(key, None)
        return list(out.values())

    def mutate(self, genotype: Genotype, rng: np.random.Generator) -> Genotype:
        """One of `neighbors` at random, traced alone (a predictor's pool asks for many)."""
        values, key = self.values(genotype), self.key(genotype)
        moves = [(n, v) for n in values for v in self.domains[n].neighbors(values[n])]
        if not moves:
            return self.sample(rng)
        name, value = moves[int(rng.integers(len(moves)))]
        return self._repaired({**values, name: value}, f"{key}|{name}|{value!r}")

    def crossover(self, a: Genotype, b: Genotype, rng: np.random.Generator) -> Genotype:
        first, second = self.values(a), self.values(b)
        child = {}
        for name in dict.fromkeys([*first, *second]):
            if name in first and name in second:
                child[name] = first[name] if rng.random() < 0.5 else second[name]
            else:
                child[name] = first.get(name, second.get(name))
        return self._make(child, rng)

    def encode(self, genotype: Genotype) -> np.ndarray:
        """Per knob, whether it is active, then its value's numbers (zeros where inactive)."""
        values = self.values(genotype)
        out: list[float] = []
        for name, domain in self.domains.items():
            out += [1.0, *domain.encode(values[name])] if name in values else [0.0] * (1 + domain.width)
        return np.array(out, dtype=np.float64)

    @property
    def bit_length(self) -> int:
        return sum(d.bits for d in self.domains.values())

    def to_bits(self, genotype: Genotype) -> np.ndarray:
        values = self.values(genotype)
        bits: list[bool] = []
        for name, domain in self.domains.items():
            index = domain.index(values[name]) if name in values else 0
            bits += [bool(index >> i & 1) for i in range(domain.bits)]
        return np.array(bits, dtype=bool)

    def from_bits(self, bits: np.ndarray, rng: np.random.Generator) -> Genotype:
        assigned, at = {}, 0
        for name, domain in self.domains.items():
            index = sum(int(bits[at + i]) << i for i in range(domain.bits))
            assigned[name] = domain.from_index(index)
            at += domain.bits
        return self._make(assigned, rng)

    def key(self, genotype: Genotype) -> str:
        return json.dumps(sorted(self.values(genotype).items()), separators=(",", ":"))

    def validate(self, genotype: Genotype) -> None:
        values = self.values(genotype)
        asked = self.trace(values, None).values
        extra = [n for n in values if n not in asked]
        if extra:
            raise InvalidGenotypeError(
                f"knob(s) {', '.join(map(repr, extra))} are not asked for on this genotype's branch"
            )

    def format(self, genotype: Genotype) -> str:
        return ", ".join(f"{n}={json.dumps(v)}" for n, v in self.values(genotype).items())

    def parse(self, text: str) -> Genotype:
        assigned = parse_assignments(text)
        genotype = self._make(assigned, None)
        self.validate(Genotype(self.name, tuple(assigned.items())))
        return genotype

    def features(self, genotype: Genotype) -> dict[str, Any]:
        """Every knob's value, `INACTIVE` where this genotype does not ask for it."""
        values = self.values(genotype)
        return {name: values.get(name, INACTIVE) for name in self.domains}

    def feature_choices(self, allowed: bool = False) -> dict[str, tuple[Any, ...]]:
        return {name: domain.grid() for name, domain in self.domains.items()}

    def from_features(self, features: dict[str, Any]) -> Genotype:
        assigned = {n: v for n, v in features.items() if v is not INACTIVE and n in self.domains}
        return self._repaired(assigned, json.dumps(sorted(assigned.items()), default=str))

    def suggest(self, trial: Any) -> Genotype:
        """The genotype an Optuna trial chooses: each knob the function asks for is suggested from
        its distribution, knobs on branches not taken are never asked (as in an Optuna objective)."""
        return self._make({}, None, lambda name, domain: domain.suggest(trial, name))

    def params(self, genotype: Genotype) -> dict[str, Any]:
        return self.values(genotype)

    def from_params(self, params: dict[str, Any]) -> Genotype:
        """The genotype with these knob values; knobs not given are drawn (reproducibly)."""
        unknown = [name for name in params if name not in self.domains]
        if unknown:
            raise InvalidGenotypeError(
                f"{self.function} has no knob {unknown[0]!r}; its knobs: {', '.join(self.domains)}"
            )
        genotype = self._repaired(dict(params), json.dumps(sorted(params.items()), default=str))
        self.validate(
            Genotype(self.name, tuple((n, v) for n, v in params.items() if n in self.values(genotype)))
        )
        return genotype

    def suggested(self, genotype: Genotype) -> tuple[dict[str, Any], dict[str, Any]]:
        """The knobs the genotype asks for, with their Optuna distributions (no inactive knob)."""
        values = self.values(genotype)
        return values, {name: self.domains[name].distribution() for name in values}

    def knob_values(self) -> dict[str, tuple[Any, ...]]:
        return {
            name: d.values if isinstance(d, Choice) else (d.describe(),) for name, d in self.domains.items()
        }

    def build(self, genotype: Genotype, task: Task) -> nn.Module:
        from torch import nn

        if not self.builds_model:
            raise InvalidArgumentError(
                f"space {self.function} only asks for knobs (function(k)); it builds no model: "
                "use an evaluator that needs the choices only, such as a function evaluator"
            )
        knobs = Knobs(self.values(genotype))
        model = self._call(knobs, task)
        if not isinstance(model, nn.Module):
            raise InvalidArgumentError(
                f"space function {self.function}{_defined_at(self.fn)} must return a torch.nn.Module, "
                f"got {type(model).__name__}"
            )
        return model


def _task_json(task: Task) -> dict[str, Any]:
    return {"input_shape": list(task.input_shape), "num_classes": task.num_classes}


def _path_or_name(function: Callable[..., Any]) -> str:
    """The import path of a function, or its name where it has none (a study then cannot be
    resumed in another process, and says so when it is asked to)."""
    try:
        return import_path(function)
    except InvalidArgumentError:
        return f"<unimportable>:{function.__qualname__}"


def _discover(space: UserSpace) -> dict[str, Domain]:
    """Every knob the function may ask for, with its domain: traces that force each grid value of
    each knob found (every choice, up to `GRID` levels of a range), so that conditional branches
    and the deepest repeats are opened too; in the order first asked for.

    Raises:
        InvalidArgumentError: a knob asked for with two domains, or more than `EXPLORE_TRACES`
            traces needed (too many branches to find every knob).
    """
    domains: dict[str, Domain] = {}
    queue: deque[dict[str, Any]] = deque([{}])
    tried: set[str] = set()
    rng = np.random.default_rng(0)
    space._discovering = True
    try:
        for _ in range(EXPLORE_TRACES):
            if not queue:
                return domains
            forced = queue.popleft()
            for name, domain in space.trace(forced, rng).domains.items():
                if name in domains:
                    if domains[name] != domain:
                        raise InvalidArgumentError(
                            f"knob {name!r} is asked for with two different ranges "
                            f"({domains[name].describe()} and {domain.describe()}); give each its own name"
                        )
                    continue
                domains[name] = domain
                for value in domain.grid():
                    option = {**forced, name: value}
                    marker = json.dumps(sorted(option.items()), default=str)
                    if marker not in tried:
                        tried.add(marker)
                        queue.append(option)
    finally:
        space._discovering = False
    if not queue:
        return domains
    raise InvalidArgumentError(
        f"space {space.function}: {EXPLORE_TRACES} traces found {len(domains)} knobs and had more branches "
        "to open; give its knobs fewer values, or ask for fewer knobs behind conditions"
    )


def _builds_model(fn: Callable[..., Any], function: str) -> bool:
    """Whether `fn` builds a model: it has a parameter named `task` (`fn(k, task)`)."""
    parameters = list(inspect.signature(fn).parameters.values())
    required = [
        p
        for p in parameters
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if any(p.name == "task" for p in parameters):
        return True
    if len(required) != 1:
        raise InvalidArgumentError(
            f"space function {function} must take the knobs, and a parameter named 'task' if it builds a "
            f"model: f(k) or f(k, task); got ({', '.join(p.name for p in parameters)})"
        )
    return False


def _user_line(exc: BaseException, fn: Callable[..., Any]) -> str:
    """` at file.py:LINE`: the deepest line of the user's function file in the traceback."""
    try:
        source = inspect.getsourcefile(fn)
    except TypeError:
        return ""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == source]
    return f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""


def _defined_at(fn: Callable[..., Any]) -> str:
    """` (file.py:LINE)`: where the function is defined."""
    try:
        return f" ({inspect.getsourcefile(fn)}:{fn.__code__.co_firstlineno})"
    except (TypeError, AttributeError):
        return ""


def _branch(values: dict[str, Any], name: str) -> str:
    """The knob values asked for before `name` in one trace (the branch it sits behind)."""
    before = list(values)[: list(values).index(name)] if name in values else list(values)
    return ", ".join(f"{n}={json.dumps(values[n])}" for n in before) or "no other knob"


def parse_assignments(text: str) -> dict[str, Any]:
    """`name=JSON, name=JSON` (the text form of a user-space genotype) as a dict; a JSON value may
    hold ", " itself.

    Example:
        >>> parse_assignments('a=1, b="x, y", c=null')
        {'a': 1, 'b': 'x, y', 'c': None}
    """
    decoder, assigned, at = json.JSONDecoder(), {}, 0
    while text[at:].strip():
        name, sep, rest = text[at:].partition("=")
        start = len(text) - len(rest.lstrip())
        try:
            if not sep or not NAME.match(name.strip()):
                raise ValueError
            assigned[name.strip()], at = decoder.raw_decode(text, start)
        except ValueError:
            raise InvalidGenotypeError(f"knob values read name=JSON, name=JSON, got {text!r}") from None
        after = text[at:].lstrip()
        if after and not after.startswith(","):
            raise InvalidGenotypeError(f"knob values read name=JSON, name=JSON, got {text!r}")
        at = len(text) - len(after) + 1
    return assigned


@contextlib.contextmanager
def _cheap_modules() -> Iterator[None]:
    """Modules built while tracing allocate no memory (torch's meta device), where torch is loaded."""
    import sys

    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    with torch.device("meta"):
        yield

"""Loading and checking NAS-Bench-201-style tables (CSV or CSV.gz), shipped or user-supplied."""

from __future__ import annotations

import csv
import functools
import gzip
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nasforge.errors import InvalidGenotypeError, TableError
from nasforge.spaces.nb201.space import NB201Space

TABLES = Path(__file__).parent / "tables"
DEFAULT_TABLE = TABLES / "nb201_cifar10.csv.gz"
DEFAULT_SEED_TABLE = TABLES / "nb201_c10_per_seed.csv.gz"
# Zero-cost scores of every cell of the shipped table, computed by nasforge's own proxies on the
# benchmark's network (C=16, N=5, 3x32x32, 10 classes, weights seeded 0): `benchmarks/proxies_nb201.py`.
SHIPPED_PROXY_SCORES = {"synflow": TABLES / "nb201_cifar10_synflow.csv.gz"}
REQUIRED = ("arch", "valid", "test")


@dataclass(frozen=True)
class BenchmarkTable:
    """One row per architecture: `arch` strings and numeric columns."""

    path: Path
    archs: tuple[str, ...]
    columns: dict[str, np.ndarray]
    row_of: dict[str, int]

    def row(self, arch: str) -> dict[str, float]:
        """All numeric values of `arch`, or a clear error when the table lacks it."""
        index = self.row_of.get(arch)
        if index is None:
            raise TableError(f"architecture {arch} is not in table {self.path}")
        return {name: float(values[index]) for name, values in self.columns.items()}


def _read_rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise TableError(f"table {path} does not exist (expected a CSV or CSV.gz file)")
    try:
        raw = path.read_bytes()
        text = gzip.decompress(raw).decode() if raw[:2] == b"\x1f\x8b" else raw.decode()
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise TableError(f"table {path} cannot be read as CSV text: {exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise TableError(
            f"table {path} lacks column(s) {', '.join(missing)}; needs {', '.join(REQUIRED)} "
            f"(found: {', '.join(reader.fieldnames or []) or 'no header'})"
        )
    rows = list(reader)
    if not rows:
        raise TableError(f"table {path} has a header but no rows")
    return rows


@functools.lru_cache(maxsize=8)
def load_table(path: str | Path = DEFAULT_TABLE) -> BenchmarkTable:
    """Read and validate a table (cached per process).

    Every `arch` must be a valid NB201 arch string and appear once; every column but
    `arch` must be numeric.
    """
    path = Path(path)
    rows = _read_rows(path)
    space = NB201Space()
    archs: list[str] = []
    for line, row in enumerate(rows, start=2):
        try:
            archs.append(space.format(space.parse(row["arch"] or "")))
        except InvalidGenotypeError as exc:
            raise TableError(f"table {path} line {line}: bad arch: {exc}") from None
    row_of = {arch: i for i, arch in enumerate(archs)}
    if len(row_of) != len(archs):
        raise TableError(f"table {path} lists some architectures more than once")
    names = [n for n in rows[0] if n != "arch"]
    columns = {}
    for name in names:
        try:
            columns[name] = np.array([float(r[name]) for r in rows])
        except (TypeError, ValueError):
            bad = next(i for i, r in enumerate(rows) if not _is_number(r[name]))
            raise TableError(
                f"table {path} line {bad + 2}: column {name!r} must be numeric, got {rows[bad][name]!r}"
            ) from None
    return BenchmarkTable(path, tuple(archs), columns, row_of)


@functools.lru_cache(maxsize=4)
def load_seed_table(path: str | Path, main: str | Path = DEFAULT_TABLE) -> dict[str, np.ndarray]:
    """Per-seed validation accuracies by arch string, from rows of (`index`, `accuracy`)."""
    path = Path(path)
    if not path.is_file():
        raise TableError(f"per-seed table {path} does not exist")
    table = load_table(main)
    index_to_arch = (
        dict(zip(table.columns["index"].astype(int), table.archs, strict=True))
        if "index" in table.columns
        else {}
    )
    with gzip.open(path, "rt") if str(path).endswith(".gz") else open(path) as handle:
        reader = csv.DictReader(handle)
        if not {"index", "accuracy"} <= set(reader.fieldnames or []):
            raise TableError(f"per-seed table {path} needs columns index and accuracy")
        runs: dict[str, list[float]] = {}
        for row in reader:
            arch = index_to_arch.get(int(row["index"]))
            if arch is not None:
                runs.setdefault(arch, []).append(float(row["accuracy"]))
    return {arch: np.array(values) for arch, values in runs.items()}


@functools.lru_cache(maxsize=4)
def load_proxy_scores(proxy: str) -> dict[str, float] | None:
    """A shipped proxy's score of every cell of the shipped table by arch string (None: not shipped).

    Example:
        >>> scores = load_proxy_scores("synflow")
        >>> len(scores), load_proxy_scores("snip")
        (15625, None)
    """
    path = SHIPPED_PROXY_SCORES.get(proxy)
    if path is None:
        return None
    with gzip.open(path, "rt") as handle:
        return {row["arch"]: float(row[proxy]) for row in csv.DictReader(handle)}


def _is_number(text: str | None) -> bool:
    try:
        float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True

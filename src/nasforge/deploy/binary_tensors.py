"""The KServe/Triton binary tensor data extension: a JSON header of `Inference-Header-Content-Length`
bytes, then each binary tensor's raw bytes (`binary_data_size` in its parameters) in order.

FP32 tensors are little-endian float32, row-major; BYTES tensors are each element's length as a
4-byte little-endian integer followed by its bytes.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

HEADER = "inference-header-content-length"


def split_body(raw: bytes, header_length: str | None) -> tuple[str | None, bytes, bytes]:
    """(problem, JSON part, binary part) of a request body."""
    if header_length is None:
        return None, raw, b""
    if not header_length.isdigit() or int(header_length) > len(raw):
        return f"{HEADER} must be the JSON header's size, at most the body's {len(raw)} bytes", b"", b""
    size = int(header_length)
    return None, raw[:size], raw[size:]


def parameters(item: dict[str, Any]) -> dict[str, Any]:
    """An item's `parameters` object (empty when it has none or it is not an object)."""
    found = item.get("parameters")
    return found if isinstance(found, dict) else {}


def binary_size(tensor: dict[str, Any]) -> int | None:
    """The tensor's `binary_data_size` parameter (None when its data is in the JSON)."""
    size = parameters(tensor).get("binary_data_size")
    return size if isinstance(size, int) and not isinstance(size, bool) else None


def fp32(blob: bytes) -> np.ndarray:
    """A flat float32 array from little-endian bytes."""
    return np.frombuffer(blob, dtype="<f4").astype(np.float32)


def encode(array: np.ndarray, datatype: str) -> bytes:
    """The raw bytes of an output tensor."""
    if datatype == "BYTES":
        return b"".join(struct.pack("<I", len(b)) + b for b in (str(x).encode() for x in array.ravel()))
    return np.ascontiguousarray(array, dtype="<f4").tobytes()


def wanted_binary(body: dict[str, Any]) -> tuple[set[str] | None, set[str]]:
    """(the outputs asked for, None for all; those asked for as binary data) of a request body."""
    every = bool(parameters(body).get("binary_data_output"))
    requested = body.get("outputs")
    if not isinstance(requested, list):
        return None, {"*"} if every else set()
    names, binary = set(), set()
    for output in requested:
        if isinstance(output, dict) and isinstance(output.get("name"), str):
            names.add(output["name"])
            if parameters(output).get("binary_data", every):
                binary.add(output["name"])
    return names, binary

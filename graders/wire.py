"""Plain data across the sandbox boundary: JSON plus raw array bytes, dtype and shape. Nothing is pickled.

A frame is `u32 header length | JSON header | blob bytes...`. The header holds the body (a JSON tree) and
the length of each blob. Arrays in the tree are `{"$array": i, "dtype": "float64", "shape": [..]}`;
tuples are `{"$tuple": [...]}`; values the child names from its fixed table (a feature map, a generator)
are `{"$named": name, "params": {...}}`; anything else the child could not encode is
`{"$unsupported": type name}`. The grader's side decodes strictly: only the base `numpy.ndarray`, a
whitelist of numeric dtypes, the exact byte count for the shape, and bounded sizes.

This module is copied into the sandbox and imported by the child, so it imports only the standard
library and numpy.
"""
from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np

__all__ = ["Named", "Unsupported", "WireError", "encode_frame", "decode_frame", "read_frame", "write_frame",
           "ALLOWED_DTYPES", "COST_COUNTERS", "MAX_FRAME_BYTES"]

ALLOWED_DTYPES = frozenset({"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                            "float16", "float32", "float64"})
MAX_FRAME_BYTES = 512 * 2**20        # no honest answer to a grader's call is this big
COST_COUNTERS = "cost counters"      # preloaded like a module: the counters' first use imports ~800 modules
MAX_DEPTH = 32
MAX_STRING = 100_000


class WireError(ValueError):
    """A frame that is not valid plain data. On the grader's side this makes a result `invalid`."""


@dataclass(frozen=True)
class Named:
    """A value the child builds from its own fixed table, e.g. Named("feature_map", {"name": "elu_plus_one"})."""
    kind: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Unsupported:
    """Stands for a returned value the child could not express as plain data (its type name only)."""
    type_name: str


def _encode(value: Any, blobs: list[bytes], depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)) and type(value) in (int, float):
        return value
    if isinstance(value, np.generic):
        return _encode(value.item(), blobs, depth + 1) if value.dtype.name in ALLOWED_DTYPES else \
            {"$unsupported": f"numpy.{value.dtype.name}"}
    if isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value).view(np.ndarray)
        if array.dtype.name not in ALLOWED_DTYPES:
            return {"$unsupported": f"array of dtype {array.dtype.name}"}
        blobs.append(array.tobytes())
        return {"$array": len(blobs) - 1, "dtype": array.dtype.name, "shape": list(array.shape)}
    if isinstance(value, Named):
        return {"$named": value.kind, "params": _encode(value.params, blobs, depth + 1)}
    if isinstance(value, Unsupported):
        return {"$unsupported": value.type_name}
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v, blobs, depth + 1) for v in value]}
    if isinstance(value, list):
        return [_encode(v, blobs, depth + 1) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _encode(v, blobs, depth + 1) for k, v in value.items() if not k.startswith("$")}
    return {"$unsupported": type(value).__name__}


def encode_frame(body: Any) -> bytes:
    blobs: list[bytes] = []
    tree = _encode(body, blobs)
    header = json.dumps({"body": tree, "blobs": [len(b) for b in blobs]}).encode()
    return struct.pack(">I", len(header)) + header + b"".join(blobs)


MAX_DIMS = 32
MAX_BLOBS = 100_000
_TAGS = {"$array": {"$array", "dtype", "shape"}, "$tuple": {"$tuple"}, "$named": {"$named", "params"},
         "$unsupported": {"$unsupported"}}


def _decode_array(node: dict, blobs: list[bytes]) -> np.ndarray:
    dtype, shape, index = node.get("dtype"), node.get("shape"), node.get("$array")
    if type(dtype) is not str or dtype not in ALLOWED_DTYPES:
        raise WireError(f"array dtype {str(dtype)[:40]!r} is not a plain numeric dtype")
    if not (type(shape) is list and len(shape) <= MAX_DIMS and all(type(n) is int and n >= 0 for n in shape)):
        raise WireError("array shape is not a list of sizes")
    if not (type(index) is int and 0 <= index < len(blobs)):
        raise WireError("array refers to a missing blob")
    expected = np.dtype(dtype).itemsize
    for n in shape:                                  # Python ints: a crafted shape cannot overflow
        expected *= n
    if len(blobs[index]) != expected:
        raise WireError(f"array bytes ({len(blobs[index])}) do not match shape {tuple(shape)} and dtype {dtype}")
    return np.frombuffer(blobs[index], dtype=dtype).reshape(shape).copy()


def _decode_tagged(tag: str, node: dict, blobs: list[bytes], depth: int) -> Any:
    if set(node) - _TAGS[tag]:
        raise WireError(f"unexpected keys beside {tag}")
    if tag == "$array":
        return _decode_array(node, blobs)
    if tag == "$tuple":
        if type(node["$tuple"]) is not list:
            raise WireError("$tuple does not hold a list")
        return tuple(_decode(v, blobs, depth + 1) for v in node["$tuple"])
    if tag == "$named":
        params = node.get("params", {})
        if type(node["$named"]) is not str or type(params) is not dict:
            raise WireError("$named needs a name and a mapping of parameters")
        return Named(node["$named"][:200], _decode(params, blobs, depth + 1))
    if type(node["$unsupported"]) is not str:
        raise WireError("$unsupported does not hold a type name")
    return Unsupported(node["$unsupported"][:200])


def _decode(node: Any, blobs: list[bytes], depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if node is None or type(node) in (bool, int, float):
        return node
    if type(node) is str:
        if len(node) > MAX_STRING:
            raise WireError("string too long")
        return node.encode("utf-8", "replace").decode("utf-8")      # a lone surrogate cannot reach a report
    if type(node) is list:
        return [_decode(v, blobs, depth + 1) for v in node]
    if type(node) is not dict:
        raise WireError(f"unexpected JSON value {type(node).__name__}")
    tags = [k for k in node if k.startswith("$")]
    if tags:
        if len(tags) != 1 or tags[0] not in _TAGS:
            raise WireError(f"unknown tagged form {str(tags)[:80]}")
        return _decode_tagged(tags[0], node, blobs, depth)
    return {k: _decode(v, blobs, depth + 1) for k, v in node.items()}


def decode_frame(frame: bytes) -> Any:
    """Frame bytes -> plain data (numpy arrays, numbers, str, lists, tuples, dicts). Strict: whatever the bytes,
    the only exception is `WireError`."""
    try:
        return _decode_frame(frame)
    except WireError:
        raise
    except (ValueError, TypeError, RecursionError, OverflowError, MemoryError, UnicodeError, struct.error) as e:
        raise WireError(f"frame is not valid plain data ({type(e).__name__})") from None


def _decode_frame(frame: bytes) -> Any:
    if len(frame) < 4:
        raise WireError("truncated frame")
    (n,) = struct.unpack(">I", frame[:4])
    if 4 + n > len(frame):
        raise WireError("truncated frame header")
    header = json.loads(frame[4:4 + n])              # RecursionError, ValueError: turned into WireError above
    sizes = header.get("blobs") if type(header) is dict else None
    if not (type(sizes) is list and len(sizes) <= MAX_BLOBS and all(type(s) is int and s >= 0 for s in sizes)):
        raise WireError("frame header has no blob sizes")
    if 4 + n + sum(sizes) != len(frame):
        raise WireError("frame length does not match its blobs")
    blobs, offset = [], 4 + n
    for size in sizes:
        blobs.append(frame[offset:offset + size])
        offset += size
    return _decode(header.get("body"), blobs)


def _read_exactly(stream: BinaryIO, n: int) -> bytes:
    chunks, remaining = [], n
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            raise EOFError("stream closed mid-frame" if chunks or n == 4 else "stream closed")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(stream: BinaryIO, limit: int = MAX_FRAME_BYTES) -> Any:
    """Read one frame whose first 4 bytes give the total length that follows (see write_frame)."""
    (total,) = struct.unpack(">I", _read_exactly(stream, 4))
    if total > limit:
        raise WireError(f"frame of {total} bytes exceeds the limit")
    return decode_frame(_read_exactly(stream, total))


def write_frame(stream: BinaryIO, body: Any) -> None:
    frame = encode_frame(body)
    stream.write(struct.pack(">I", len(frame)) + frame)
    stream.flush()

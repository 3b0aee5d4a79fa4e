"""`SubmissionResult` <-> results.json (schema 1, interfaces.md). The single source of truth for reports."""
from __future__ import annotations

import json
import math
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from ..model import SubmissionResult

__all__ = ["result_to_json", "write_results", "read_results", "SCHEMA"]

SCHEMA = 1


def _plain(value: Any) -> Any:
    """Evidence may hold numpy scalars or non-finite floats: JSON gets plain numbers or null."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "value") and hasattr(value, "name"):          # enums
        return value.value
    return value


def result_to_json(result: SubmissionResult) -> dict:
    data = _plain(asdict(result))
    return {"schema": SCHEMA, **data}


def write_results(result: SubmissionResult | dict, path: Path) -> dict:
    """Written atomically: a crash never leaves half a results.json behind."""
    data = result if isinstance(result, dict) else result_to_json(result)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(data, indent=1, ensure_ascii=False))
    os.replace(partial, path)
    return data


def read_results(path: Path) -> dict:
    data = json.loads(path.read_text())
    if data.get("schema") != SCHEMA:
        raise ValueError(f"{path}: unknown results schema {data.get('schema')!r}")
    return data

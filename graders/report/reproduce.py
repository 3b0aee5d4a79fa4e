"""A copy-paste snippet that rebuilds a failing call from the plain inputs in a check's evidence.

The grader keeps the inputs of a failing call when they are small (`graders.checks.call_inputs`); here they
become Python a student pastes under their own module: the arrays inline (exact, as float64 or float32),
seeded generators and feature maps as the sandbox builds them, and the same seed before the call.
"""
from __future__ import annotations

from typing import Any

__all__ = ["snippet"]

_NAMES = "QKV"                                          # the homework's names for up to three array arguments


def _array(value: dict) -> str:
    dtype = value.get("dtype") or "float64"
    return f"torch.tensor({value['array']!r}, dtype=torch.{dtype})"


def _named(value: dict) -> str | None:
    kind = value.get("named")
    if kind == "generator":
        return f"torch.Generator().manual_seed({int(value.get('seed', 0))})"
    if kind == "feature_map" and value.get("name") == "elu_plus_one":
        return "lambda X: torch.nn.functional.elu(X) + 1"
    if kind == "feature_map" and value.get("name") == "exp_linear" and isinstance(value.get("A"), dict):
        return f"(lambda A: lambda X: torch.exp(X @ A) / A.shape[1] ** 0.5)({_array(value['A'])})"
    return None


def _literal(value: Any) -> str | None:
    if isinstance(value, dict) and "array" in value:
        return _array(value)
    if isinstance(value, dict) and "named" in value:
        return _named(value)
    if isinstance(value, (int, float, str, bool)) or value is None:
        return repr(value)
    return None


def snippet(inputs: Any, module: str) -> str | None:
    """Python that repeats the call, or None when some argument cannot be written out."""
    if not isinstance(inputs, dict) or not isinstance(inputs.get("function"), str):
        return None
    lines = ["import torch", f"from {module} import {inputs['function']}", ""]
    names, arrays = [], 0
    for value in inputs.get("args") or []:
        text = _literal(value)
        if text is None:
            return None
        if isinstance(value, dict) and "array" in value:
            name = _NAMES[arrays] if arrays < len(_NAMES) else f"X{arrays}"
            arrays += 1
            lines.append(f"{name} = {text}")
            names.append(name)
        else:
            names.append(text)
    for key, value in (inputs.get("kwargs") or {}).items():
        text = _literal(value)
        if text is None:
            return None
        names.append(f"{key}={text}")
    if inputs.get("seed"):
        seed = int(inputs["seed"])
        lines[0] = "import random\nimport numpy as np\nimport torch"
        lines.append(f"random.seed({seed}); np.random.seed({seed}); torch.manual_seed({seed})")
    lines.append(f"print({inputs['function']}({', '.join(names)}))")
    return "\n".join(lines) + "\n"

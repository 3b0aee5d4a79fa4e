"""A copy-paste snippet that rebuilds a failing call from the plain inputs in a check's evidence.

The grader keeps the argument values of a failing call when they are small (evidence `inputs`, beside the
call as `describe_call` wrote it in `call`); here they become Python a student pastes beside their own
module: the arrays inline (exact), keyword arguments and the feature map the sandbox builds, and the same
seed before the call. Calls with arguments that cannot be written out get no snippet.
"""
from __future__ import annotations

import ast
import re
from typing import Any

__all__ = ["snippet"]

_NAMES = "QKV"                                          # the homework's names for up to three array arguments


def _array(value: dict) -> str:
    dtype = value.get("dtype") or "float64"
    return f"torch.tensor({value['array']!r}, dtype=torch.{dtype})"


def _named(value: dict) -> str | None:
    if value.get("named") == "feature_map" and value.get("name") == "elu_plus_one":
        return "lambda X: torch.nn.functional.elu(X) + 1"
    return None


def _literal(value: Any) -> str | None:
    if isinstance(value, dict) and "array" in value:
        return _array(value)
    if isinstance(value, dict) and "named" in value:
        return _named(value)
    if isinstance(value, (int, float, str, bool)) or value is None:
        return repr(value)
    return None


_CALL = re.compile(r"^(?P<function>[A-Za-z_]\w*)\((?P<inside>.*)\)(?:, seed (?P<seed>\d+))?$", re.S)
_KEYWORD = re.compile(r"(?:^|, )(?P<key>[A-Za-z_]\w*)=(?P<value>[^,()]+)(?=, |$)")
_LITERAL = re.compile(r"True|False|None|-?\d+(?:\.\d+)?(?:e-?\d+)?|'[^']*'")
_NAMED = {"elu_plus_one": {"named": "feature_map", "name": "elu_plus_one"}}


def _leaves(value: Any):
    if isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def _dtype(values: list) -> str:
    leaves = list(_leaves(values))
    if leaves and all(isinstance(v, bool) for v in leaves):
        return "bool"
    return "int64" if leaves and all(isinstance(v, int) for v in leaves) else "float64"


def _from_call(arguments: list, call: Any) -> dict | None:
    """The engine's form (argument values, plus the call as `describe_call` wrote it) as this module's dict."""
    match = _CALL.match(call) if isinstance(call, str) else None
    if not match:
        return None
    kwargs = {}
    for keyword in _KEYWORD.finditer(match.group("inside")):
        value = keyword.group("value").strip()
        if value in _NAMED:
            kwargs[keyword.group("key")] = _NAMED[value]
        elif _LITERAL.fullmatch(value):
            kwargs[keyword.group("key")] = ast.literal_eval(value)
        elif not value.startswith("array"):
            return None
    args = [{"array": a, "dtype": _dtype(a)} if isinstance(a, list) else a for a in arguments]
    return {"function": match.group("function"), "args": args, "kwargs": kwargs, "seed": int(match.group("seed") or 0)}


def snippet(inputs: Any, module: str, call: Any = None) -> str | None:
    """Python that repeats the call, or None when some argument cannot be written out. `inputs` is a dict
    (function, args, kwargs, seed), or the list of argument values with the call's description in `call`."""
    if isinstance(inputs, list):
        inputs = _from_call(inputs, call)
    if not isinstance(inputs, dict) or not isinstance(inputs.get("function"), str):
        return None
    lines = ["import torch", f"from {module} import {inputs['function']}", ""]
    names, arrays = [], 0
    for value in inputs.get("args") or []:
        text = _literal(value)
        if text is None:
            return None
        if isinstance(value, dict) and "array" in value:
            name = _NAMES[arrays] if "attention" in inputs["function"] and arrays < len(_NAMES) else f"x{arrays + 1}"
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

"""How a call is made, the same on both sides: plain data resolved to torch objects, then the call.

Arrays become tensors and `Named` values become objects from a fixed table of argument kinds: seeded
generators here, and the kinds each assignment declares in graders/kinds/<assignment>.py (feature maps,
probe models), loaded on both sides. The child uses `invoke` to call a student function, and the grader uses it to call the
reference on exactly the same arguments, gradients included. Nothing here is a solution.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

try:
    from graders.wire import Named
except ImportError:                                  # inside the sandbox `wire` is a top-level module
    from wire import Named

__all__ = ["resolve", "invoke", "argument_kind", "KINDS", "NoGradient"]


# kind -> build(params) -> the object both sides use. Assignments declare their own kinds in graders/kinds/.
KINDS: dict[str, Callable[[dict[str, Any]], Any]] = {}


def argument_kind(kind: str):
    """Declares how to build a `Named(kind, params)` argument: `@argument_kind("feature_map") def build(params)`."""
    def register(build: Callable[[dict[str, Any]], Any]):
        known = KINDS.get(kind)
        if known is not None and (known.__module__, known.__qualname__) != (build.__module__, build.__qualname__):
            raise ValueError(f"argument kind {kind!r} is declared twice: {known.__module__} and {build.__module__}")
        KINDS[kind] = build
        return build
    return register


@argument_kind("generator")
def _generator(params: dict[str, Any]) -> torch.Generator:
    return torch.Generator().manual_seed(int(params["seed"]))


def resolve(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value.copy())
    if isinstance(value, Named):
        if value.kind not in KINDS:
            raise ValueError(f"unknown named value {value.kind!r}")
        return KINDS[value.kind](value.params)
    if isinstance(value, list):
        return [resolve(v) for v in value]
    if isinstance(value, tuple):
        return tuple(resolve(v) for v in value)
    if isinstance(value, dict):
        return {k: resolve(v) for k, v in value.items()}
    return value


class NoGradient(Exception):
    """A gradient call returned something autograd cannot flow back through: the student's result is wrong, not a
    crash. The sandbox reports it as its own status ("no-gradient"); the grader's check decides what it costs."""


def _reports(argument: Any) -> bool:
    """An argument built from a kind that can tell what the student's code did to it (a probe model)."""
    return not isinstance(argument, torch.Tensor) and callable(getattr(argument, "grader_report", None))


def invoke(function, args, kwargs, grad_wrt: int | None = None, cotangent: Any = None, report: bool = False):
    """function(*args, **kwargs). With `grad_wrt`, returns (output, gradient of sum(cotangent * output) with
    respect to args[grad_wrt]), where output means the first item when the function returns a tuple. With
    `report`, returns (output, [what each argument that can tell saw: hooks left, modes, batches])."""
    args, kwargs = resolve(list(args)), resolve(dict(kwargs))
    if report:
        output = function(*args, **kwargs)
        return output, [a.grader_report(output) for a in [*args, *kwargs.values()] if _reports(a)]
    if grad_wrt is None:
        return function(*args, **kwargs)
    x = args[grad_wrt] = args[grad_wrt].clone().requires_grad_(True)
    output = function(*args, **kwargs)
    first = output[0] if isinstance(output, (tuple, list)) else output
    if not isinstance(first, torch.Tensor) or not first.requires_grad:
        name = getattr(function, "__name__", "the function")
        what = "a tensor with no autograd graph" if isinstance(first, torch.Tensor) else type(first).__name__
        raise NoGradient(f"{name} returned {what}, so no gradient can flow back to its input. Was the result built "
                         "with math.sqrt, .item(), float(...), numpy, or torch.tensor(...) of Python numbers? Compute it "
                         "from the input tensor with torch operations throughout.")
    weight = torch.ones_like(first) if cotangent is None else resolve(cotangent).to(first.dtype)
    (gradient,) = torch.autograd.grad((first * weight).sum(), x, allow_unused=True)
    return output, (torch.zeros_like(x) if gradient is None else gradient)


def _load_declared_kinds() -> None:
    """Every module of the `kinds` package: graders/kinds/ in the grader, the bundle's copy in the sandbox."""
    import importlib
    import importlib.util
    import pkgutil
    name = "graders.kinds" if __name__.startswith("graders.") else "kinds"
    if importlib.util.find_spec(name) is None:
        return
    package = importlib.import_module(name)
    for module in sorted(m.name for m in pkgutil.iter_modules(package.__path__)):
        importlib.import_module(f"{name}.{module}")


_load_declared_kinds()

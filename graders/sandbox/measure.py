"""Cost measurement inside the sandbox: what one call of a student function cost.

Runs in the worker (the student's process), so a determined student can lie to it: a teaching check, not a
security boundary. Only plain numbers leave this module.
"""
import tracemalloc

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode          # slow to import: done once, in the zygote

__all__ = ["run_measured", "warm_up"]


class _ElementCounter(TorchDispatchMode):
    """Adds up the elements of every aten op's outputs: sees broadcasting, which FLOP counters miss."""
    def __init__(self):
        super().__init__()
        self.elements = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in (out if isinstance(out, (tuple, list)) else (out,)):
            if isinstance(t, torch.Tensor):
                self.elements += t.numel()
        return out


def run_measured(run):
    """Run once while counting torch FLOPs, elements produced and numpy's peak traced bytes."""
    counter = _ElementCounter()
    tracemalloc.start()
    with FlopCounterMode(display=False) as flops, counter:
        value = run()
    numpy_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return value, {"flops": float(flops.get_total_flops()), "elements": float(counter.elements),
                   "numpy_peak_bytes": float(numpy_peak)}


def warm_up():
    """The first op under a dispatch mode imports ~800 modules (torch._dynamo, sympy): done once, before any
    fork."""
    with FlopCounterMode(display=False), _ElementCounter():
        torch.ones(2, 2) @ torch.ones(2, 2)

"""Cost measurement inside the sandbox: how much work one call of a student function did, counted.

Work is counted, not timed, wherever it can be, so that a verdict never depends on the machine's load:
- torch: one dispatch mode adds up the elements every aten op produces (views produce nothing; an in-place
  op produces what it writes) and the FLOPs of matmul-like ops (torch's own formulas);
- numpy: arrays made from the student's tensors (`.numpy()`, `np.asarray`, `np.array`) are a counting
  subclass while the call runs, so every ufunc, reduction, matmul and array function on them adds the
  elements it reads and writes (a matmul adds m n k);
- Python: lines executed in the student's own files (a loop's body counts once per pass).
CPU seconds (repeated while short) are kept too, for work none of the counters sees.

Counting costs more per operation than running, so a series of calls of one function (sizes in increasing
order) is counted in full only while that stays cheap: after the first, timed run fixes the ratio of
counted to plain time, op-heavy code (a token-by-token loop) is counted at the smallest sizes only and just
run and timed at the larger ones. The counts are exact, so the small sizes suffice to fit their growth.

This runs in the student's process, so a determined student can lie to it: a teaching check, not a
security boundary. Only plain numbers leave this module.
"""
import gc
import sys
import time

import numpy as np
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry            # slow to import: done once, in the zygote

__all__ = ["measure", "warm_up"]

COUNTED_SIZES = 3              # the smallest sizes of a series are always counted: enough points for a growth
CHEAP_RATIO = 3.0              # counting that costs at most this many plain runs is done at every size
SHORT_S = 0.005                # a plain run shorter than this is repeated ...
REPEAT_S = 0.02                # ... until this much CPU time was spent, and the fastest run is kept


# ------------------------------------------------------------------------------------------------ torch
def _op_kind(func):
    """(flop formula or None, 'view' | 'inplace' | 'out'): looked up once per aten op."""
    schema = func._schema
    kind = "view" if func.is_view else "inplace" if schema.is_mutable else "out"
    return flop_registry.get(func._overloadpacket), kind


def _numel(value):
    if isinstance(value, torch.Tensor):
        return value.numel()
    if isinstance(value, (tuple, list)):
        return sum(_numel(v) for v in value)
    return 0


_KINDS = {}                    # aten op -> _op_kind(op), filled as ops are first seen


class _TorchCounter(TorchDispatchMode):
    """Elements produced by every aten op and FLOPs of matmul-like ones, in one mode."""
    def __init__(self):
        super().__init__()
        self.elements, self.flops = 0, 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        known = _KINDS.get(func)
        if known is None:
            known = _KINDS[func] = _op_kind(func)
        formula, kind = known
        if formula is not None:
            self.flops += formula(*args, **kwargs, out_val=out)
        if kind == "out":
            self.elements += out.numel() if type(out) is torch.Tensor else _numel(out)
        elif kind == "inplace":                     # what it writes: the source, not the whole target
            self.elements += _numel(args[1:]) or _numel(args[:1])
        return out


# ------------------------------------------------------------------------------------------------ numpy
class _NumpyWork:
    elements = 0


class _Counted(np.ndarray):
    """An ndarray that counts the work of every operation it takes part in (while a call is measured)."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = tuple(_plain(x) for x in inputs)
        if "out" in kwargs:
            kwargs["out"] = tuple(_plain(x) for x in kwargs["out"])
        result = getattr(ufunc, method)(*plain, **kwargs)
        _NumpyWork.elements += _ufunc_work(ufunc, plain, result)
        return _counted(result)

    def __array_function__(self, func, types, args, kwargs):
        plain_args = tuple(_plain_nested(a) for a in args)
        plain_kwargs = {k: _plain_nested(v) for k, v in kwargs.items()}
        result = getattr(func, "_implementation", func)(*plain_args, **plain_kwargs)
        _NumpyWork.elements += _sizes(plain_args) + _sizes(tuple(plain_kwargs.values())) + _sizes((result,))
        return _counted(result)


def _plain(x):
    return x.view(np.ndarray) if isinstance(x, _Counted) else x


def _plain_nested(x):
    if isinstance(x, (list, tuple)):
        return type(x)(_plain(v) for v in x)
    return _plain(x)


def _counted(result):
    if type(result) is np.ndarray:
        return result.view(_Counted)
    if isinstance(result, tuple):
        return tuple(_counted(r) for r in result)
    return result


def _sizes(values):
    total = 0
    for v in values:
        if isinstance(v, np.ndarray):
            total += v.size
        elif isinstance(v, (list, tuple)):
            total += sum(x.size for x in v if isinstance(x, np.ndarray))
    return total


def _ufunc_work(ufunc, inputs, result):
    if ufunc is np.matmul and len(inputs) == 2:
        a, b = (np.asarray(x) for x in inputs)
        if a.ndim and b.ndim:
            inner = a.shape[-1]
            return max(int(np.size(result)), 1) * inner
    return _sizes(inputs) + _sizes((result,))


class _NumpyCounter:
    """While active, arrays the student makes from tensors or data are `_Counted`."""
    PATCHED = ("array", "asarray", "asanyarray", "ascontiguousarray")

    def __enter__(self):
        _NumpyWork.elements = 0
        self.saved = {name: getattr(np, name) for name in self.PATCHED}
        self.saved_numpy = torch.Tensor.numpy
        for name, original in self.saved.items():
            setattr(np, name, _wrapping(original))
        torch.Tensor.numpy = _wrapping(self.saved_numpy)
        return self

    def __exit__(self, *exc):
        for name, original in self.saved.items():
            setattr(np, name, original)
        torch.Tensor.numpy = self.saved_numpy

    @property
    def elements(self):
        return _NumpyWork.elements


def _wrapping(make):
    def wrapped(*args, **kwargs):
        result = make(*args, **kwargs)
        return result.view(_Counted) if type(result) is np.ndarray else result
    return wrapped


# ------------------------------------------------------------------------------------------------ Python lines
class _LineCounter:
    """Lines executed in files under the student's folder (sys.settrace, local tracing only there)."""

    def __init__(self, root):
        self.root, self.lines = root, 0

    def _local(self, frame, event, arg):
        if event == "line":
            self.lines += 1
        return self._local

    def _global(self, frame, event, arg):
        return self._local if frame.f_code.co_filename.startswith(self.root) else None

    def __enter__(self):
        self.saved = sys.gettrace()
        sys.settrace(self._global)
        return self

    def __exit__(self, *exc):
        sys.settrace(self.saved)


# ------------------------------------------------------------------------------------------------ one call
def _timed(run):
    """(value, wall seconds, CPU seconds) of one run, without the garbage collector's pauses."""
    gc.disable()
    try:
        wall, cpu = time.perf_counter(), time.thread_time()
        value = run()
        return value, time.perf_counter() - wall, time.thread_time() - cpu
    finally:
        gc.enable()


def _plain_run(run, repeat):
    """Run plainly. With `repeat`, a short call is run again until REPEAT_S of CPU time was spent and its
    fastest run is kept: when no counter sees the work, its CPU time must mean something."""
    value, wall, cpu = _timed(run)
    spent, runs = cpu, 1
    while repeat and cpu < SHORT_S and spent < REPEAT_S and runs < 50:
        _, _, again = _timed(run)
        cpu, spent, runs = min(cpu, again), spent + again, runs + 1
    return value, {"seconds": wall, "cpu_seconds": cpu}


def _counted_run(run, root):
    torch_counter, numpy_counter, lines = _TorchCounter(), _NumpyCounter(), _LineCounter(root)
    with numpy_counter, torch_counter, lines:
        value, wall, cpu = _timed(run)
    return value, {"elements": float(torch_counter.elements), "flops": float(torch_counter.flops),
                   "numpy_elements": float(numpy_counter.elements), "python_lines": float(lines.lines),
                   "counted_seconds": cpu}


class _Series:
    """What the earlier calls of one function's series showed: how many were counted, at what cost ratio,
    and whether the counters saw enough work for the time not to matter."""
    def __init__(self):
        self.counted, self.ratio, self.seen = 0, None, 0.0


_SERIES = {}
_SEEN_ENOUGH = 1_000            # counted units at one size above which CPU time is never needed


def _series_key(call):
    scalars = tuple(sorted((k, v) for k, v in call.get("kwargs", {}).items() if type(v) in (bool, int, float, str)))
    return call["function"], scalars


def measure(run, call, root):
    """Run a cost call: (value, cost). The first of a series is counted, then run plainly (that fixes the
    ratio of counted to plain time); later ones are counted while the series is short or counting is cheap,
    and otherwise only run and timed."""
    series = _SERIES.setdefault(_series_key(call), _Series())
    if series.ratio is None:
        value, cost = _counted_run(run, root)
        _, plain = _plain_run(run, repeat=_units(cost) < _SEEN_ENOUGH)
        series.ratio = cost["counted_seconds"] / max(plain["cpu_seconds"], 1e-6)
        cost.update(plain)
    elif series.counted < COUNTED_SIZES or series.ratio <= CHEAP_RATIO:
        value, cost = _counted_run(run, root)
        cost.update(seconds=cost["counted_seconds"], cpu_seconds=cost["counted_seconds"] / max(series.ratio, 1.0))
    else:
        value, cost = _plain_run(run, repeat=series.seen < _SEEN_ENOUGH)
    if "elements" in cost:
        series.counted, series.seen = series.counted + 1, _units(cost)
    return value, cost


def _units(cost):
    return sum(cost.get(k, 0.0) for k in ("elements", "flops", "numpy_elements", "python_lines"))


def warm_up():
    """The first op under a dispatch mode imports ~800 modules (torch._dynamo, sympy): done once, before any
    fork."""
    with _TorchCounter():
        torch.ones(2, 2) @ torch.ones(2, 2)

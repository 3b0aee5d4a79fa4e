"""The worker: the forked process that imports a student's module and runs the calls (started by child.py).

It gets a fresh IPC namespace and /dev/shm, drops privileges (the slot's user, rlimits), imports the student's
module from its folder and answers each call with one frame: the value as plain data, or the student's
exception with the student's own frames only. Limits the student runs into are said in plain words.
"""
import gc
import os
import sys
import time

import numpy as np
import torch

import measure
import wire
from named import NoGradient, invoke

__all__ = ["run_worker", "frame", "LIMITS"]

MAX_INT_BITS = 3_400                               # about 1,000 digits: larger integers are not data
LIMITS = {"stream_bytes": 8 * 2**20, "memory_bytes": 3 * 2**30}   # the request's limits, set in each worker


def _plain(value, depth=0):
    """A student's return value -> plain data. Anything else is sent as Unsupported(type name)."""
    if depth > 8:
        return wire.Unsupported("deeply nested value")
    if isinstance(value, torch.Tensor):
        tensor = value.as_subclass(torch.Tensor).detach()
        if tensor.is_complex() or tensor.layout != torch.strided or tensor.device.type != "cpu":
            return wire.Unsupported(f"tensor ({tensor.dtype}, {tensor.layout}, {tensor.device})")
        return tensor.contiguous().numpy().copy()
    if isinstance(value, np.ndarray):
        return np.asarray(value).view(np.ndarray).copy()
    if type(value) is int and value.bit_length() > MAX_INT_BITS:
        return wire.Unsupported("integer with more than 1,000 digits")
    if type(value) is str and len(value) > wire.MAX_STRING:
        return wire.Unsupported(f"text longer than {wire.MAX_STRING} characters")
    if type(value) in (bool, int, float, str) or value is None or isinstance(value, np.generic):
        return value
    if type(value) in (list, tuple):
        return type(value)(_plain(v, depth + 1) for v in value)
    if type(value) is dict:
        return {str(k): _plain(v, depth + 1) for k, v in value.items()}
    return wire.Unsupported(type(value).__name__)


def _bytes_of(value, depth=0):
    """About how many bytes `value` would take on the wire (arrays, tensors and text; nested up to 8 levels)."""
    if depth > 8:
        return 0
    if isinstance(value, torch.Tensor):
        return value.numel() * value.element_size()
    if isinstance(value, np.ndarray):
        return value.nbytes
    if type(value) is str:
        return len(value)
    if type(value) in (list, tuple):
        return sum(_bytes_of(v, depth + 1) for v in value)
    if type(value) is dict:
        return sum(_bytes_of(v, depth + 1) for v in value.values())
    return 8


def _student_traceback(error: BaseException, root: str) -> str:
    """The exception with the student's own frames only."""
    import traceback
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.startswith(root)]
    lines = [f'  File "{os.path.relpath(f.filename, root)}", line {f.lineno}, in {f.name}\n    {f.line}'
             for f in frames[-5:]]
    message = _resource_message(error) or f"{type(error).__name__}: {error}"[:2000]
    return "\n".join(lines + [message]) if lines else message


def _resource_message(error: BaseException):
    """Plain words for running into one of the sandbox's limits."""
    import errno
    if isinstance(error, OSError) and error.errno == errno.EFBIG:
        return (f"OSError: your program printed (or wrote to one file) more than {LIMITS['stream_bytes'] // 2**20} MiB, "
                "the limit: print less")
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return "OSError: your program's files filled the sandbox's scratch space: write less"
    if isinstance(error, MemoryError):
        return (f"MemoryError: your program ran out of memory (the limit is {LIMITS['memory_bytes'] / 2**30:g} GiB): "
                "an array far larger than the inputs?")
    return None


def _run_call(module, call, root):
    name = call["function"]
    function = getattr(module, name, None)
    if not callable(function):
        return {"status": "missing", "error": f"no function named {name}"}
    seed = int(call.get("seed", 0))
    torch.manual_seed(seed)
    np.random.seed(seed)
    import random
    random.seed(seed)
    run = lambda: invoke(function, call.get("args", ()), call.get("kwargs", {}), call.get("grad_wrt"),
                         call.get("cotangent"), bool(call.get("report")))
    start = time.perf_counter()
    try:
        value, cost = measure.measure(run, call, root) if call.get("measure_cost") else (run(), {})
        cost["seconds"] = time.perf_counter() - start
    except NoGradient as error:                     # a result without a gradient: wrong, not a crash
        return {"status": "no-gradient", "error": str(error)[:1000], "seconds": time.perf_counter() - start}
    except BaseException as error:                  # noqa: B902 - SystemExit included: it is the student's
        return {"status": "error", "error": _student_traceback(error, root),
                "seconds": time.perf_counter() - start, "out_of_memory": isinstance(error, MemoryError)}
    try:
        size, limit = _bytes_of(value), int(call.get("max_bytes", wire.MAX_FRAME_BYTES))
        if size > limit:                            # said at once, before any copy (the zygote checks again)
            return {"status": "error", "seconds": cost["seconds"],
                    "error": f"the returned value holds {size / 2**20:.1f} MiB, more than this call's limit of "
                             f"{limit / 2**20:.1f} MiB (a value far larger than the inputs?)"}
        value = _plain(value)
    except BaseException as error:                  # noqa: B902 - a returned object's methods are the student's
        return {"status": "error", "seconds": cost["seconds"],
                "error": f"the returned value could not be read as data: {type(error).__name__}: {error}"[:1000]}
    return {"status": "returned", "value": value, "cost": cost, "seconds": cost["seconds"]}


def _fresh_namespaces():
    """A fresh IPC namespace and a private /dev/shm for this worker: shared memory a student leaves behind
    dies with the worker's processes instead of staying charged to the slot. Needs root; skipped without."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x08000000 | 0x00020000) != 0:                 # CLONE_NEWIPC | CLONE_NEWNS
        return
    libc.mount(b"none", b"/", None, 0x4000 | 0x40000, None)        # MS_REC | MS_PRIVATE: nothing leaks out
    if os.path.isdir("/dev/shm"):
        libc.mount(b"tmpfs", b"/dev/shm", b"tmpfs", 0x2 | 0x4, b"size=256m,mode=1777")   # MS_NOSUID | MS_NODEV


def _drop_privileges(limits):
    import resource
    LIMITS.update(limits)
    if os.getuid() == 0:
        _fresh_namespaces()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["stream_bytes"],) * 2)
    resource.setrlimit(resource.RLIMIT_AS, (limits["address_space"],) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    uid = limits.get("uid")
    if uid is not None and os.getuid() == 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        resource.setrlimit(resource.RLIMIT_NPROC, (limits["processes"],) * 2)


def _private_scratch(folder):
    """Temporary files, caches and HOME inside the submission's own folder, which is deleted after it:
    nothing one student writes can reach the next."""
    scratch = os.path.join(folder, ".scratch")
    os.makedirs(scratch, exist_ok=True)
    os.environ.update(TMPDIR=scratch, HOME=folder, MPLCONFIGDIR=scratch, JOBLIB_TEMP_FOLDER=scratch)
    import tempfile
    tempfile.tempdir = None                              # re-read TMPDIR


def _import_student(request, send):
    """Import the student's module from its folder: a .py file, or a notebook's cells (see notebook.py), each
    cell's start sent as a frame. Returns the module and, for a notebook, a report per cell."""
    import importlib.util
    import types
    root = request["dir"]
    path = os.path.join(root, request["module"])
    sys.path.insert(0, root)
    name = os.path.splitext(request["module"])[0]
    if path.endswith(".ipynb"):
        import notebook
        module = types.ModuleType(name)
        sys.modules[name] = module
        return module, notebook.run_notebook(module.__dict__, path, request.get("notebook_mode", "full"), root,
                                             started=lambda number: send({"event": "cell", "cell": number}))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module, None


class NotRun(Exception):
    """Raised by a function that hung or ran out of memory earlier, when another of the student's calls it."""


def _stub_failed(module, failed):
    """The student's other functions that call a failed one fail at once instead of hanging again."""
    for name, (_, message) in failed.items():
        if module is not None and callable(getattr(module, name, None)):
            def stub(*args, _message=message, **kwargs):
                raise NotRun(_message)
            setattr(module, name, stub)


def run_worker(request, start, out_fd):
    """In the forked child: never returns."""
    write = os.write                                   # bound before student code can patch anything

    def send(body):
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:                      # noqa: B902 - a student may have broken it
                pass
        data = memoryview(body if isinstance(body, bytes) else frame(body))
        while data:
            data = data[write(out_fd, data):]
    try:
        os.closerange(3, out_fd)                       # the zygote's own channel stays out of reach
        os.closerange(out_fd + 1, 4096)
        os.setsid()
        for fd, name in ((1, "stdout"), (2, "stderr")):
            os.dup2(os.open(os.path.join(request["capture"], name), os.O_WRONLY | os.O_APPEND), fd)
        _drop_privileges(request["limits"])
        os.chdir(request["dir"])
        _private_scratch(request["dir"])
        started = time.perf_counter()
        try:
            module, cells = _import_student(request, send) if request["module"] else (None, None)
        except BaseException as error:                 # noqa: B902
            send({"event": "import-error", "error": _student_traceback(error, request["dir"])})
            os._exit(0)
        imported = {"event": "ready", "cells": cells, "import_s": time.perf_counter() - started}
        answers = getattr(module, "ANSWERS", None)
        try:
            ready = frame(dict(imported, answers=_plain(answers) if isinstance(answers, dict) else None))
        except BaseException as error:                 # noqa: B902 - ANSWERS may hold anything
            ready = frame(dict(imported, answers=wire.Unsupported(f"ANSWERS ({type(error).__name__})")))
        send(ready)
        gc.freeze()                                    # the collector never walks the zygote's heap mid-call
        failed = dict(request.get("failed") or {})     # function -> (status, message): not run again
        _stub_failed(module, failed)
        for index in range(start, len(request["calls"])):
            name = request["calls"][index]["function"]
            if name in failed:
                send({"call": index, "status": failed[name][0], "error": failed[name][1]})
                continue
            result = _run_call(module, request["calls"][index], request["dir"])
            if result.get("out_of_memory"):
                failed[name] = ("error", f"not run: {name} ran out of memory on an earlier check")
                _stub_failed(module, failed)
            send(dict(result, call=index))
    except BaseException as error:                     # noqa: B902 - report, never raise in a fork
        try:
            send({"event": "worker-error", "error": f"{type(error).__name__}: {error}"[:500]})
        except BaseException:                          # noqa: B902
            pass
    os._exit(0)


def frame(body) -> bytes:
    """A length-prefixed wire frame."""
    data = wire.encode_frame(body)
    return len(data).to_bytes(4, "big") + data

"""The sandbox's zygote: with worker.py, the only code that imports student code. It runs inside the sandbox
and speaks `wire` on its stdin/stdout.

Started once per grading slot as `python -I -S child.py WORK SITE_PACKAGES...`, it imports numpy and torch
(one thread, no op run, so forking stays safe), then serves requests: for each submission it writes the
submission's files into a fresh folder under WORK (inside bubblewrap, a size-capped tmpfs) and forks a worker
(worker.py) that gets fresh IPC and /dev/shm, drops privileges, imports the student module and runs the
requested calls, sending one frame per call. This process (the zygote) enforces each call's wall-clock limit and reply size
and the submission's time budget; when a worker hangs or dies, the call is reported and a fresh worker
resumes at the next call, so one bad call costs one check. After the submission, every process of the
slot's user is killed until none is left and the folder is removed; if that fails, the zygote says so and
the grader replaces it.

Of the grader's code only `wire` is importable here; the reference, the suites and the hidden expected
values never are.
"""
import os
import select
import signal
import sys
import time

WORK = sys.argv[1]                                 # submissions' folders are made here
sys.path.extend(sys.argv[2:])                      # site-packages: numpy, torch, ...
sys.path.append(os.path.dirname(os.path.abspath(__file__)))

import torch                                        # noqa: E402
import wire                                         # noqa: E402
import measure                                      # noqa: E402  (cost counters: slow to import, done once here)
from worker import LIMITS, run_worker               # noqa: E402

torch.set_num_threads(1)
STREAM_SHOWN = 20_000                              # bytes of stdout/stderr sent back for the report


class _Pipe:
    """Reads length-prefixed frames from a worker with a deadline."""
    def __init__(self, fd, pid=None):
        self.fd, self.buffer, self.pid = fd, bytearray(), pid

    def _fill(self, n, deadline):
        while len(self.buffer) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            if not select.select([self.fd], [], [], min(remaining, 0.25))[0]:
                if self.pid is not None and _exited(self.pid):
                    raise EOFError                 # the worker died; its children may still hold the pipe open
                continue
            chunk = os.read(self.fd, 1 << 20)
            if not chunk:
                raise EOFError
            self.buffer += chunk

    def read(self, deadline, limit=wire.MAX_FRAME_BYTES):
        self._fill(4, deadline)
        total = int.from_bytes(self.buffer[:4], "big")
        if total > limit:
            raise _TooLarge(total, limit)
        self._fill(4 + total, deadline)
        frame = bytes(self.buffer[4:4 + total])
        del self.buffer[:4 + total]
        return wire.decode_frame(frame)


class _TooLarge(wire.WireError):
    def __init__(self, size, limit):
        super().__init__(f"the reply is {size / 2**20:.1f} MiB, more than this call's limit of {limit / 2**20:.1f} MiB "
                         "(a value far larger than the inputs?)")


def _kill_pass(uid):
    """One kill(-1) from inside the slot's user: every process it owns at that instant, at once."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            os.kill(-1, signal.SIGKILL)                # never the caller itself, never the zygote (root)
        except BaseException:                          # noqa: B902 - nothing to signal
            pass
        os._exit(0)
    os.waitpid(pid, 0)


def _owned_by(uid):
    """Processes (zombies included) of the slot's user still in /proc."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and os.stat(f"/proc/{entry}").st_uid == uid:
                found.append(int(entry))
        except OSError:
            pass
    return found


def _kill_slot(uid, rounds=500):
    """Kill every process of the slot's user until none is left (a process that keeps forking is caught in a
    later round); killed orphans come back to the zygote (a subreaper) and are reaped between rounds.
    Returns False if some survived."""
    _reap_all()
    if uid is None:
        return True
    for _ in range(rounds):
        if not _owned_by(uid):
            return True
        _kill_pass(uid)
        time.sleep(0.001)
        _reap_all()
    return not _owned_by(uid)


def _reap(pid, grace_s=1.0):
    """Wait briefly for a worker to end on its own, then kill it. Returns how it ended, in words."""
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.01)
    else:
        for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
            try:
                kill()
            except ProcessLookupError:
                pass
        _, status = os.waitpid(pid, 0)
        return "the process closed the grader's channel"
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        if name == "SIGKILL":
            return (f"the process was killed (SIGKILL), most likely because it ran out of memory (the limit is "
                    f"{LIMITS['memory_bytes'] / 2**30:g} GiB)")
        return f"the process was killed by {name}"
    return f"the process exited with code {os.WEXITSTATUS(status)}"


def _start_worker(request, first_call):
    r, w = os.pipe()
    try:
        import fcntl
        fcntl.fcntl(r, 1031, 1 << 20)                  # F_SETPIPE_SZ: arrays cross in few reads
    except (ImportError, OSError):
        pass
    pid = os.fork()
    if pid == 0:
        os.close(r)
        run_worker(request, first_call, w)
    os.close(w)
    return pid, _Pipe(r, pid)


def _exited(pid):
    """Whether the worker has ended, without reaping it (`_reap` reads how it ended)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


# What a worker may say. Its frames are rebuilt from these keys only: whatever the student's code writes to
# the worker's channel can never pose as the zygote (an "event": "done", say) or reach another submission.
_WORKER_EVENTS = {"ready": ("answers", "cells", "import_s"), "import-error": ("error",), "worker-error": ("error",),
                  "cell": ("cell",)}
_CALL_KEYS = ("status", "value", "error", "cost", "seconds")


def _first_frame(message):
    event = message.get("event") if isinstance(message, dict) else None
    if event not in _WORKER_EVENTS:
        raise wire.WireError("the worker's first frame is not an event")
    return {"event": event, **{k: message.get(k) for k in _WORKER_EVENTS[event]}}


def _call_frame(message, index):
    if not isinstance(message, dict) or message.get("call") != index or "event" in message:
        raise wire.WireError("the worker sent a frame out of order")
    return {"call": index, **{k: message.get(k) for k in _CALL_KEYS}}


def _ended(pid, problem):
    """How the worker's channel ended, in words: it died, or it sent something that is not a valid frame."""
    if isinstance(problem, EOFError):
        return _reap(pid)
    _reap(pid, grace_s=0)
    return f"the process wrote invalid data to the grader's channel ({problem}) and was stopped"


def _out_of_budget(request):
    return {"event": "time-budget", "error": f"this submission's time budget ({request['budget_s']:g} s, its import "
            "included) ran out; the calls after it were not run"}


def _relay(pipe, pid, request, ready, reply):
    """Forward one worker's frames. Returns the index of the call it stopped at (None if the import failed or
    the submission's time budget ran out)."""
    calls, first, limit = request["calls"], request["first_call"], float(request["limits"]["import_timeout_s"])
    budget = request["deadline"]
    deadline, cell = min(time.monotonic() + limit, budget), None
    try:
        message = _first_frame(pipe.read(deadline, 4 * 2**20))
        while message["event"] == "cell":              # a notebook's cell started: the last one is the slow one
            cell = message["cell"] if type(message["cell"]) is int else None
            message = _first_frame(pipe.read(deadline, 4 * 2**20))
    except TimeoutError:
        over = time.monotonic() >= budget
        reply(_out_of_budget(request) if over else
              {"event": "import-timeout", "error": f"importing took longer than {limit:g} s", "cell": cell})
        return None
    except (EOFError, wire.WireError) as problem:
        reply({"event": "import-error", "error": f"while importing, {_ended(pid, problem)}"})
        return None
    if message["event"] != "ready":
        reply(message)
        return None
    if not ready:
        reply(message)
    for index in range(first, len(calls)):
        limit = float(calls[index].get("timeout_s", 10))
        try:
            message = _call_frame(pipe.read(min(time.monotonic() + limit, budget),
                                            int(calls[index].get("max_bytes", wire.MAX_FRAME_BYTES))), index)
        except TimeoutError:
            over = time.monotonic() >= budget
            reply({"call": index, "status": "timeout",
                   "error": _out_of_budget(request)["error"] if over else f"did not return within {limit:g} s"})
            _fail_fast(request, index, "timeout", "timed out")
            if over:
                reply(_out_of_budget(request))
                return None
            return index
        except _TooLarge as problem:
            _reap(pid, grace_s=0)
            reply({"call": index, "status": "crashed", "error": str(problem)})
            return index
        except (EOFError, wire.WireError) as problem:
            how = _ended(pid, problem)
            reply({"call": index, "status": "crashed", "error": f"during this call, {how}"})
            if "SIGKILL" in how:
                _fail_fast(request, index, "error", "was killed (out of memory?)")
            return index
        reply(message)
    return len(calls)


def _fail_fast(request, index, status, what):
    """A function that hung or was killed is not run again in this submission: its later calls fail at once."""
    name = request["calls"][index]["function"]
    request["failed"][name] = (status, f"not run: {name} {what} on an earlier check")


def _serve(request, reply):
    """Run all calls of one request; after a call that hangs or dies, a fresh worker resumes at the next,
    while the submission's time budget lasts."""
    first, ready = 0, False
    request = dict(request, failed={}, deadline=time.monotonic() + float(request["budget_s"]))
    while first is not None and (not ready or first < len(request["calls"])):
        if time.monotonic() >= request["deadline"]:
            reply(_out_of_budget(request))
            return
        pid, pipe = _start_worker(request, first)
        try:
            stopped = _relay(pipe, pid, dict(request, first_call=first), ready, reply)
        finally:
            os.close(pipe.fd)
            _signal_group(pid)
            _await_exit(pid)
        ready = stopped is not None
        first = None if stopped is None else stopped + 1


def _signal_group(pid):
    """SIGKILL a worker and its process group; reaped after the reply, so the grader need not wait."""
    for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            kill()
        except ProcessLookupError:
            pass


def _await_exit(pid, wait_s=0.5):
    """Reap a killed worker once it has exited (a few ms for a large one): with it gone, clearing the slot
    usually finds no process of the slot's user left, and needs no kill pass."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                break
        except ChildProcessError:
            break
        time.sleep(0.001)
    _reap_all()


def _reap_all():
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG) == (0, 0):
                return
        except ChildProcessError:
            return


def _warm_up():
    """Slow first-time work, done once before any fork: matplotlib builds a font cache on first import
    (students' notebooks import it). One thread, so no OpenMP pool exists for a forked worker to deadlock on."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot  # noqa: F401
    except ImportError:
        pass


def _preload(modules):
    """Import what the grader asks for, once, before any worker forks (see Sandbox.prepare). wire.COST_COUNTERS
    runs the counters once: their first op under a dispatch mode imports ~800 modules (torch._dynamo, sympy).
    Torch stays at one thread whatever was imported, so forking stays safe."""
    import importlib
    failed = []
    for name in modules:
        try:
            measure.warm_up() if name == wire.COST_COUNTERS else importlib.import_module(name)
        except Exception:                              # noqa: BLE001 - the submissions will meet it themselves
            failed.append(name)
    torch.set_num_threads(1)
    return {"event": "preloaded", "failed": failed}


def _stage(request, count):
    """Write the submission's files into a fresh folder the slot's user owns; its output goes to a capture
    folder beside it that stays root's (the worker opens it before dropping privileges)."""
    folder, uid = os.path.join(WORK, f"s{count}"), request["limits"].get("uid")
    os.makedirs(folder)
    for name, content in request["files"].items():
        target = os.path.normpath(os.path.join(folder, name))
        if not target.startswith(folder + os.sep):
            continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as stream:
            stream.write(content.tobytes())
    capture = folder + ".capture"
    os.makedirs(capture)
    for name in ("stdout", "stderr"):
        open(os.path.join(capture, name), "wb").close()
    if uid is not None:
        for top, folders, files in os.walk(folder):
            for path in [top, *(os.path.join(top, f) for f in files)]:
                os.chown(path, uid, uid)
    return dict(request, dir=folder, capture=capture, files=None)


def _streams(capture, cap):
    """What the student printed: the first bytes of each stream, and whether it hit the limit."""
    found = {}
    for name in ("stdout", "stderr"):
        path = os.path.join(capture, name)
        try:
            with open(path, "rb") as stream:
                data = stream.read(STREAM_SHOWN + 1)
            size = os.path.getsize(path)
        except OSError:
            data, size = b"", 0
        text = data[:STREAM_SHOWN].decode("utf-8", errors="replace")
        if size >= cap:
            text += f"\n[... your program printed more than {cap // 2**20} MiB, the limit; the rest was not kept ...]"
        elif len(data) > STREAM_SHOWN:
            text += "\n[... output cut ...]"
        found[name] = text
    return found


def _finish(request):
    """After a submission: kill every process of the slot's user, read the output, remove the folders.
    Returns the "done" frame; `clean` is False when something could not be cleared (the grader then
    replaces this zygote)."""
    import shutil
    clean = _kill_slot(request["limits"].get("uid"))
    found = _streams(request["capture"], request["limits"]["stream_bytes"])
    for path in (request["dir"], request["capture"]):
        try:
            shutil.rmtree(path)
        except BaseException:                          # noqa: B902 - a student's folder may be odd (very deep)
            clean = False
    return {"event": "done", "clean": clean, **found}


def main():
    import ctypes
    ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)            # PR_SET_CHILD_SUBREAPER: orphans come back to be reaped
    os.makedirs(WORK, mode=0o755, exist_ok=True)
    _warm_up()
    # The protocol moves off fds 0/1 so that nothing printed can be mistaken for a frame.
    requests, replies = os.fdopen(os.dup(0), "rb"), os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    try:
        import fcntl
        fcntl.fcntl(replies.fileno(), 1031, 1 << 20)    # F_SETPIPE_SZ on the channel to the grader
    except (ImportError, OSError):
        pass
    reply = lambda body: wire.write_frame(replies, body)
    wire.write_frame(replies, {"event": "started", "torch": torch.__version__})
    count = 0
    while True:
        try:
            request = wire.read_frame(requests)
        except EOFError:
            return
        if "preload" in request:
            reply(_preload(request["preload"]))
            continue
        count += 1
        try:
            request = _stage(request, count)
        except OSError as error:
            reply({"event": "worker-error", "error": f"the submission could not be copied into the sandbox "
                   f"({os.strerror(error.errno) if error.errno else type(error).__name__})"})
            reply({"event": "done", "clean": False, "stdout": "", "stderr": ""})
            return
        LIMITS.update(request["limits"])
        _serve(request, reply)
        done = _finish(request)
        reply(done)
        if not done["clean"]:
            return


if __name__ == "__main__":
    main()

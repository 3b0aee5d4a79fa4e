"""Starting, feeding and stopping sandboxed children. The grader's side of the sandbox.

A `Sandbox` owns one long-lived zygote (see child.py) for one grading slot. `run` sends a submission's files
and calls, and turns the child's frames into `Outcome`s. Whatever the student's code does, `run` returns:
a dead or stuck zygote is killed and restarted, and the calls it could not answer come back as errors.

The grader's own budgets live here too: each call's reply may hold at most a size derived from its inputs
(checked by the zygote before it reads the reply, and again here), and the values of one submission kept
for judging have a total; the submission's wall clock (import included) is bounded. After each submission
the slot must be as it was: no process of the slot's user, no memory still charged; otherwise the zygote is
replaced before the next student.
"""
from __future__ import annotations

import dataclasses
import itertools
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .. import wire
from ..model import Call, Outcome, Status, Submission, SubmissionError
from ..plain_answers import plain_answers
from .layers import CGROUP_ROOT, Limits, available_layers, child_command, lease_uid

__all__ = ["Sandbox", "RunResult"]

_KINDS = Path(__file__).resolve().parents[1] / "kinds"           # assignments' argument kinds (graders/kinds/)
_CHILD_FILES = (*(Path(__file__).with_name(f) for f in ("child.py", "worker.py", "named.py", "notebook.py", "measure.py")), Path(wire.__file__))
START_TIMEOUT_S = 60.0
PIPE_BYTES = 1 << 20
LEFTOVER_BYTES = 128 * 2**20             # memory still charged to the slot after a submission: restart it
DRAIN_S = 5.0                            # the kernel frees a dead IPC namespace's memory over a second or two


def widen_pipe(fd: int) -> None:
    """Arrays cross in frames of megabytes: a 1 MiB pipe (Linux, F_SETPIPE_SZ) takes them in few reads."""
    try:
        import fcntl
        fcntl.fcntl(fd, 1031, PIPE_BYTES)                          # F_SETPIPE_SZ
    except (ImportError, OSError):
        pass


@dataclass(frozen=True)
class RunResult:
    """Everything that came back from one submission's run: plain data only."""
    outcomes: tuple[Outcome, ...]
    answers: dict[str, Any] | None
    errors: tuple[SubmissionError, ...]
    stdout: str
    stderr: str
    student_s: float
    cells: tuple[dict, ...] | None = None        # a notebook's per-cell report: {"cell", "status", "error"}
    slow_cell: int | None = None                 # a notebook's code cell still running when the import budget ran out
    peak_memory_mib: float | None = None         # the slot's peak while it ran (cgroup), the zygote included
    import_s: float = 0.0                        # importing the student's module (running a notebook's cells)


class _Cgroups:
    """The slot's cgroups (v1): memory and process-count caps for the zygote and all its workers."""

    _instances = itertools.count()               # two sandboxes of one slot in one process never share a cgroup

    def __init__(self, slot: int, limits: Limits, layers: tuple[str, ...]):
        _remove_stale_cgroups()
        self.paths, self.instance = {}, next(self._instances)
        for controller, setting, value in (("memory", "memory.limit_in_bytes", limits.memory_bytes),
                                           ("pids", "pids.max", limits.processes * 4)):
            if f"cgroup-{controller}" in layers:
                path = CGROUP_ROOT / controller / "autograde" / f"{os.getpid()}-slot{slot}-{self.instance}"
                path.mkdir(parents=True, exist_ok=True)
                (path / setting).write_text(str(value))
                self.paths[controller] = path

    def enter(self) -> None:
        """Runs in the forked child before exec, so the zygote starts inside the cgroups."""
        for path in self.paths.values():
            (path / "cgroup.procs").write_text(str(os.getpid()))

    def memory_failures(self) -> int:
        """How often the slot hit its memory limit so far (a counter that only grows)."""
        path = self.paths.get("memory")
        return int((path / "memory.failcnt").read_text() or 0) if path else 0

    def charged(self) -> int:
        """Resident and shared memory still charged to the slot (page cache of libraries not counted)."""
        path = self.paths.get("memory")
        if not path:
            return 0
        stats = dict(line.split() for line in (path / "memory.stat").read_text().splitlines())
        return int(stats.get("total_rss", 0)) + int(stats.get("total_shmem", 0))

    def reset_peak(self) -> None:
        path = self.paths.get("memory")
        if path:
            (path / "memory.max_usage_in_bytes").write_text("0")

    def peak(self) -> int | None:
        """The most memory charged to the slot (zygote, workers, their files) since `reset_peak`."""
        path = self.paths.get("memory")
        return int((path / "memory.max_usage_in_bytes").read_text()) if path else None

    def processes(self) -> int:
        path = self.paths.get("pids")
        return len((path / "cgroup.procs").read_text().split()) if path else 0

    def remove(self) -> None:
        for path in self.paths.values():
            _remove_cgroup(path)


def _remove_cgroup(path: Path, wait_s: float = 2.0) -> None:
    """Kill what is left in a cgroup and remove it (processes take a moment to leave after SIGKILL)."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            pids = [int(p) for p in (path / "cgroup.procs").read_text().split()]
        except OSError:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            path.rmdir()
            return
        except OSError:
            if time.monotonic() > deadline:
                return
            time.sleep(0.02)


def _remove_stale_cgroups() -> None:
    """Cgroups of grader processes that no longer run (a crash, a kill -9) are removed."""
    for controller in ("memory", "pids"):
        for path in (CGROUP_ROOT / controller / "autograde").glob("*-slot*"):
            owner = path.name.split("-", 1)[0]
            if owner.isdigit() and not Path(f"/proc/{owner}").exists():
                _remove_cgroup(path, wait_s=0.5)


class Sandbox:
    """One isolated grading slot. Use as a context manager; not thread-safe (one slot, one submission).
    `hidden` is no longer needed: the sandbox sees only its allow-list (see layers.py); it is accepted for
    callers that still pass it."""

    def __init__(self, *, slot: int = 0, limits: Limits = Limits(), hidden: Sequence[Path] = ()):
        self.slot, self.limits, self.layers = slot, limits, available_layers()
        self._uid, self._lease = lease_uid(slot) if "uid-drop" in self.layers else (None, None)
        self._scratch = Path(tempfile.mkdtemp(prefix=f"autograde-slot{slot}-"))
        bundle, work = self._scratch / "grader", self._scratch / "work"
        bundle.mkdir()
        work.mkdir(mode=0o755)                         # used without bubblewrap; inside it, a tmpfs instead
        for file in _CHILD_FILES:
            shutil.copy(file, bundle / file.name)
        shutil.copytree(_KINDS, bundle / "kinds", ignore=shutil.ignore_patterns("__pycache__"))   # named.py loads them
        self._argv, self._options = child_command(bundle, work, self.layers, limits)
        self._cgroups = _Cgroups(slot, limits, self.layers)
        self._process: subprocess.Popen | None = None
        self._buffer = bytearray()
        self._baseline = (0, 0)
        self._preloaded: set[str] = set()

    # -------------------------------------------------------------------------------- zygote life cycle
    def _start(self) -> None:
        env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp", "PYTHONHASHSEED": "0",
               "LANG": "C.UTF-8", "JOBLIB_MULTIPROCESSING": "0", "PYTHONDONTWRITEBYTECODE": "1"}
        env.update({k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_CORE") or k == "OPENBLAS_L2_SIZE"})
        options, keep = self._argv, ()
        if self._options:                              # bubblewrap's options through a pipe, not its command line
            read_end, write_end = os.pipe()
            os.write(write_end, self._options)
            os.close(write_end)
            options, keep = [a if a != "3" else str(read_end) for a in self._argv[:3]] + self._argv[3:], (read_end,)
        try:
            self._process = subprocess.Popen(options, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                             stderr=subprocess.DEVNULL, env=env, cwd=self._scratch, pass_fds=keep,
                                             preexec_fn=self._cgroups.enter, start_new_session=True)
        finally:
            for fd in keep:
                os.close(fd)
        self._buffer = bytearray()
        widen_pipe(self._process.stdout.fileno())
        started = self._read(time.monotonic() + START_TIMEOUT_S, 2**20)
        if started.get("event") != "started":
            raise RuntimeError(f"the sandbox did not start: {started}")
        self._baseline = (self._cgroups.charged(), self._cgroups.processes())
        self._preloaded = set()

    def prepare(self, preload: Sequence[str] = (), cost_counters: bool = False) -> None:
        """Start the zygote if it is not running, and have it import what this assignment's submissions import
        (and warm the cost counters when a call counts work) once, before any worker forks: each submission
        then forks with them loaded instead of paying the import itself. A module that fails to import is left
        to the submissions. `run` does this too; called first, none of it is timed as a submission's."""
        if self._process is None or self._process.poll() is not None:
            self._start()
        wanted = [*preload, *([wire.COST_COUNTERS] if cost_counters else [])]
        missing = [m for m in wanted if m not in self._preloaded]
        if not missing:
            return
        wire.write_frame(self._process.stdin, {"preload": missing})
        if self._read(time.monotonic() + START_TIMEOUT_S, 2**20).get("event") != "preloaded":
            raise RuntimeError("the sandbox did not preload")
        self._preloaded.update(missing)
        self._baseline = (self._cgroups.charged(), self._cgroups.processes())

    def _stop(self) -> None:
        if self._process is not None:
            try:
                os.killpg(self._process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._process.wait()
            self._process = None

    def close(self) -> None:
        self._stop()
        self._cgroups.remove()
        shutil.rmtree(self._scratch, ignore_errors=True)
        if self._lease is not None:
            os.close(self._lease)
            self._lease = None

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _slot_is_clear(self, done: dict) -> bool:
        """After a submission: the zygote cleared the slot, nothing of the student still holds memory, and no
        process beyond the zygote's own is left (given a moment to be reaped)."""
        if done.get("clean") is not True:
            return False
        memory, processes = self._baseline
        deadline = time.monotonic() + DRAIN_S
        while True:
            if self._cgroups.charged() <= memory + LEFTOVER_BYTES and self._cgroups.processes() <= processes:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)

    # -------------------------------------------------------------------------------- frames
    def _read(self, deadline: float, limit: int) -> Any:
        fd = self._process.stdout.fileno()
        while True:
            if len(self._buffer) >= 4:
                total = int.from_bytes(self._buffer[:4], "big")
                if total > limit:
                    raise wire.WireError("oversized frame from the sandbox")
                if len(self._buffer) >= 4 + total:
                    frame = bytes(self._buffer[4:4 + total])
                    del self._buffer[:4 + total]
                    return wire.decode_frame(frame)
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError
            chunk = os.read(fd, PIPE_BYTES)
            if not chunk:
                raise EOFError
            self._buffer += chunk

    # -------------------------------------------------------------------------------- one submission
    def run(self, submission: Submission, calls: Sequence[Call], module: str | None, *,
            notebook_mode: str = "full", preload: Sequence[str] = ()) -> RunResult:
        """Import `module` (a file of the submission) in a fresh worker and run `calls`. Never raises for
        anything the student's code does. A notebook's second run (definitions only) has what is left of the
        time budget after the full run's import budget. `preload`: modules the zygote imports first (once)."""
        self.prepare(preload, any(c.measure_cost for c in calls))
        budget = self.limits.submission_s - (self.limits.import_timeout_s if notebook_mode == "definitions" else 0)
        request = {"files": {name: np.frombuffer(content, dtype=np.uint8) for name, content in submission.files.items()},
                   "module": module, "notebook_mode": notebook_mode, "budget_s": budget,
                   "limits": self.limits.for_worker(self._uid),
                   "calls": [_call_message(c, self.limits) for c in calls]}
        self._cgroups.reset_peak()
        replies, done = self._exchange(request, budget)
        peak = self._cgroups.peak()
        if not self._slot_is_clear(done):
            self._restart()                             # the next student gets a fresh zygote
        result = _collect(replies, calls, done)
        return result if peak is None else dataclasses.replace(result, peak_memory_mib=round(peak / 2**20, 1))

    def _restart(self) -> None:
        """Replace the zygote now, so the submission that left the slot dirty pays for it, not the next one."""
        self._stop()
        try:
            self._start()
        except (RuntimeError, OSError, TimeoutError, EOFError, wire.WireError):
            self._stop()                                # the next run tries again

    def _exchange(self, request: dict, budget: float) -> tuple[list[dict], dict]:
        """Send one request and gather replies until "done"; a zygote that dies or stalls is replaced. Values
        beyond the submission's reply budget are dropped as they arrive."""
        limit = max([c["max_bytes"] for c in request["calls"]] + [4 * 2**20]) + 2**20
        deadline, replies, kept = time.monotonic() + budget + 30.0, [], 0
        failures = self._cgroups.memory_failures()
        try:
            wire.write_frame(self._process.stdin, request)
            while True:
                reply = self._read(deadline, limit)
                if reply.get("event") == "done":
                    return replies, reply
                kept += _size(reply.get("value"))
                if kept > self.limits.reply_bytes and "value" in reply:
                    reply = dict(reply, status="error", value=None, error=f"not kept: this submission's results "
                                 f"together exceed {self.limits.reply_bytes // 2**20} MiB")
                replies.append(reply)
        except (TimeoutError, EOFError, wire.WireError, BrokenPipeError) as problem:
            killed_for_memory = self._cgroups.memory_failures() > failures
            self._stop()
            why = "ran out of memory" if killed_for_memory else f"stopped responding ({type(problem).__name__})"
            replies.append({"event": "sandbox-lost", "error": f"the sandbox {why}; remaining calls were not run"})
            return replies, {}


def _size(value: Any) -> int:
    """Bytes a decoded value holds (arrays and strings; the rest is small and bounded by the frame)."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, (list, tuple)):
        return sum(_size(v) for v in value)
    if isinstance(value, dict):
        return sum(_size(v) for v in value.values())
    return len(value) if isinstance(value, str) else 8


def _call_message(call: Call, limits: Limits) -> dict:
    inputs = _size(list(call.args)) + _size(dict(call.kwargs)) + _size(call.cotangent)
    max_bytes = min(max(limits.call_bytes, limits.call_bytes_factor * inputs), wire.MAX_FRAME_BYTES)
    return {"function": call.function, "args": list(call.args), "kwargs": dict(call.kwargs),
            "measure_cost": call.measure_cost, "timeout_s": call.timeout_s, "seed": call.seed,
            "grad_wrt": call.grad_wrt, "cotangent": call.cotangent, "report": call.report, "max_bytes": max_bytes}


_SUBMISSION_ERRORS = {"import-error": "import-crash", "import-timeout": "import-timeout",
                      "worker-error": "worker-error", "sandbox-lost": "killed", "time-budget": "time-budget"}
_CALL_STATUS = {"returned": Status.PASSED, "error": Status.ERROR, "missing": Status.MISSING,
                "timeout": Status.TIMEOUT, "crashed": Status.ERROR, "no-gradient": Status.FAILED}


def _collect(replies: list[dict], calls: Sequence[Call], done: dict) -> RunResult:
    """Frames -> Outcomes, one per call; calls with no reply get the submission's error as theirs. Answers
    from `ANSWERS` pass the same gate as answers.yaml."""
    outcomes: dict[int, Outcome] = {}
    errors: list[SubmissionError] = []
    answers, import_s, student_s, cells, slow_cell = None, 0.0, 0.0, None, None
    for reply in replies:
        event = reply.get("event")
        if event == "ready":
            import_s = max(0.0, _number(reply.get("import_s")))
            if reply.get("answers") is not None:
                answers, problems = plain_answers(reply["answers"], source="ANSWERS")
                errors += [SubmissionError("bad-answers", p) for p in problems]
            cells = tuple(c for c in reply["cells"] if isinstance(c, dict)) if isinstance(reply.get("cells"), list) else None
        elif event in _SUBMISSION_ERRORS:
            kind = _SUBMISSION_ERRORS[event]
            errors.append(SubmissionError(kind, str(reply.get("error", ""))[:4000]))
            slow_cell = reply.get("cell") if event == "import-timeout" and type(reply.get("cell")) is int else slow_cell
        elif type(reply.get("call")) is int and 0 <= reply["call"] < len(calls):
            outcomes[reply["call"]] = _outcome(reply)
            student_s += _number(reply.get("seconds"))
    failures = [e for e in errors if e.kind != "bad-answers"]
    reason = failures[-1].message.splitlines()[-1] if failures else "no result came back"
    filled = tuple(outcomes.get(i, Outcome(Status.ERROR, error=f"not run: {reason}")) for i in range(len(calls)))
    stdout, stderr = (str(done.get(name, ""))[:30_000] for name in ("stdout", "stderr"))
    return RunResult(filled, answers, tuple(errors), stdout, stderr, import_s + student_s, cells, slow_cell,
                     import_s=import_s)


def _outcome(reply: dict) -> Outcome:
    status = _CALL_STATUS.get(reply.get("status"), Status.INVALID)
    cost = reply.get("cost") if isinstance(reply.get("cost"), dict) else {}
    cost = {str(k): _number(v) for k, v in cost.items() if type(v) in (int, float)}
    return Outcome(status, value=reply.get("value"), error=str(reply.get("error") or "")[:4000], cost=cost)


def _number(value: Any) -> float:
    """A count or a duration the zygote reported; anything odd counts as 0."""
    try:
        number = float(value) if type(value) in (int, float) else 0.0
    except OverflowError:
        return 0.0
    return number if np.isfinite(number) else 0.0

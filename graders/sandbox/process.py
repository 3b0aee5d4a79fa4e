"""Starting, feeding and stopping sandboxed children. The grader's side of the sandbox.

A `Sandbox` owns one long-lived zygote (see child.py) for one grading slot. `run` copies a submission into
the slot's work folder, sends the calls, and turns the child's frames into `Outcome`s. Whatever the
student's code does, `run` returns: a dead or stuck zygote is killed and restarted, and the calls it
could not answer come back as errors.
"""
from __future__ import annotations

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

from .. import wire
from ..model import Call, Outcome, Status, Submission, SubmissionError
from .layers import CGROUP_ROOT, Limits, available_layers, child_command

__all__ = ["Sandbox", "RunResult"]

_CHILD_FILES = (*(Path(__file__).with_name(f) for f in ("child.py", "named.py", "notebook.py", "measure.py")), Path(wire.__file__))
START_TIMEOUT_S = 60.0
STREAM_SHOWN = 20_000                    # characters of stdout/stderr kept for the report
PIPE_BYTES = 1 << 20


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


class _Cgroups:
    """The slot's cgroups (v1): memory and process-count caps for the zygote and all its workers."""

    def __init__(self, slot: int, limits: Limits, layers: tuple[str, ...]):
        self.paths = {}
        for controller, setting, value in (("memory", "memory.limit_in_bytes", limits.memory_bytes),
                                           ("pids", "pids.max", limits.processes * 4)):
            if f"cgroup-{controller}" in layers:
                path = CGROUP_ROOT / controller / "autograde" / f"{os.getpid()}-slot{slot}"
                path.mkdir(parents=True, exist_ok=True)
                (path / setting).write_text(str(value))
                self.paths[controller] = path

    def enter(self) -> None:
        """Runs in the forked child before exec, so the zygote starts inside the cgroups."""
        for path in self.paths.values():
            (path / "cgroup.procs").write_text(str(os.getpid()))

    def was_oom_killed(self) -> bool:
        path = self.paths.get("memory")
        return bool(path and int((path / "memory.failcnt").read_text() or 0))

    def remove(self) -> None:
        for path in self.paths.values():
            try:
                path.rmdir()
            except OSError:
                pass


class Sandbox:
    """One isolated grading slot. Use as a context manager; not thread-safe (one slot, one submission)."""

    def __init__(self, *, slot: int = 0, hidden: Sequence[Path] = (), limits: Limits = Limits()):
        self.slot, self.limits, self.layers = slot, limits, available_layers()
        self._scratch = Path(tempfile.mkdtemp(prefix=f"autograde-slot{slot}-"))
        self._bundle, self._work = self._scratch / "grader", self._scratch / "work"
        self._bundle.mkdir()
        self._work.mkdir(mode=0o755)
        for file in _CHILD_FILES:
            shutil.copy(file, self._bundle / file.name)
        # a file cannot be hidden behind a tmpfs: hide the folder it is in
        hidden_paths = {p if p.is_dir() else p.parent for p in (Path(h).resolve() for h in hidden)}
        hidden_paths.add(Path(__file__).resolve().parents[2])
        self._argv, _, self._inside_work = child_command(self._bundle, self._work, tuple(hidden_paths), self.layers)
        self._cgroups = _Cgroups(slot, limits, self.layers)
        self._process: subprocess.Popen | None = None
        self._buffer = bytearray()
        self._count = 0

    # -------------------------------------------------------------------------------- zygote life cycle
    def _start(self) -> None:
        env = {"PATH": "/usr/bin:/bin", "HOME": self._inside_work, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp", "PYTHONHASHSEED": "0",
               "LANG": "C.UTF-8"}
        env.update({k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_CORE") or k == "OPENBLAS_L2_SIZE"})
        self._process = subprocess.Popen(self._argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, env=env, cwd=self._work,
                                         preexec_fn=self._cgroups.enter, start_new_session=True)
        self._buffer = bytearray()
        widen_pipe(self._process.stdout.fileno())
        started = self._read(time.monotonic() + START_TIMEOUT_S)
        if started.get("event") != "started":
            raise RuntimeError(f"the sandbox did not start: {started}")

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

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -------------------------------------------------------------------------------- frames
    def _read(self, deadline: float) -> Any:
        fd = self._process.stdout.fileno()
        while True:
            if len(self._buffer) >= 4:
                total = int.from_bytes(self._buffer[:4], "big")
                if total > wire.MAX_FRAME_BYTES:
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
    def _stage(self, submission: Submission) -> tuple[Path, str]:
        """Copy the submission's files into a fresh folder the slot's user owns."""
        self._count += 1
        folder = self._work / f"s{self._count}"
        uid = self.limits.for_slot(self.slot, self.layers)["uid"]
        for relative, content in submission.files.items():
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        folder.mkdir(exist_ok=True)
        capture = self._work / f"s{self._count}.capture"
        capture.mkdir()
        for name in ("stdout", "stderr"):
            (capture / name).touch()
        if uid is not None:
            for path in [folder, *folder.rglob("*")]:
                os.chown(path, uid, uid)
        return folder, f"{self._inside_work}/{folder.name}"

    def run(self, submission: Submission, calls: Sequence[Call], module: str | None, *,
            notebook_mode: str = "full") -> RunResult:
        """Import `module` (a file of the submission) in a fresh worker and run `calls`. Never raises for
        anything the student's code does."""
        if self._process is None or self._process.poll() is not None:
            self._start()
        folder, inside = self._stage(submission)
        request = {"dir": inside, "module": module, "capture": f"{inside}.capture", "notebook_mode": notebook_mode,
                   "limits": self.limits.for_slot(self.slot, self.layers),
                   "calls": [_call_message(c) for c in calls]}
        try:
            replies = self._exchange(request, calls)
        finally:
            stdout, stderr = (_read_capped(folder.with_name(folder.name + ".capture") / n) for n in ("stdout", "stderr"))
            shutil.rmtree(folder, ignore_errors=True)
            shutil.rmtree(folder.with_name(folder.name + ".capture"), ignore_errors=True)
        return _collect(replies, calls, stdout, stderr)

    def _exchange(self, request: dict, calls: Sequence[Call]) -> list[dict]:
        """Send one request and gather replies until "done"; a zygote that dies or stalls is replaced."""
        wire.write_frame(self._process.stdin, request)
        restart = self.limits.import_timeout_s + 5.0                   # every call may hang and re-import
        budget = 30.0 + restart + sum(c.timeout_s + restart for c in calls)
        deadline, replies = time.monotonic() + budget, []
        try:
            while True:
                reply = self._read(deadline)
                if reply.get("event") == "done":
                    return replies
                replies.append(reply)
        except (TimeoutError, EOFError, wire.WireError, BrokenPipeError) as problem:
            killed_for_memory = self._cgroups.was_oom_killed()
            self._stop()
            why = "ran out of memory" if killed_for_memory else f"stopped responding ({type(problem).__name__})"
            replies.append({"event": "sandbox-lost", "error": f"the sandbox {why}; remaining calls were not run"})
            return replies


def _call_message(call: Call) -> dict:
    return {"function": call.function, "args": list(call.args), "kwargs": dict(call.kwargs),
            "measure_cost": call.measure_cost, "timeout_s": call.timeout_s, "seed": call.seed,
            "grad_wrt": call.grad_wrt, "cotangent": call.cotangent, "report": call.report}


def _read_capped(path: Path) -> str:
    try:
        with open(path, "rb") as stream:
            data = stream.read(STREAM_SHOWN + 1)
    except OSError:
        return ""
    text = data[:STREAM_SHOWN].decode("utf-8", errors="replace")
    return text + ("\n[... output cut ...]" if len(data) > STREAM_SHOWN else "")


_SUBMISSION_ERRORS = {"import-error": "import-crash", "import-timeout": "import-timeout",
                      "worker-error": "worker-error", "sandbox-lost": "killed"}
_CALL_STATUS = {"returned": Status.PASSED, "error": Status.ERROR, "missing": Status.MISSING,
                "timeout": Status.TIMEOUT, "crashed": Status.ERROR}


def _collect(replies: list[dict], calls: Sequence[Call], stdout: str, stderr: str) -> RunResult:
    """Frames -> Outcomes, one per call; calls with no reply get the submission's error as theirs."""
    outcomes: dict[int, Outcome] = {}
    errors: list[SubmissionError] = []
    answers, student_s, cells = None, 0.0, None
    for reply in replies:
        event = reply.get("event")
        if event == "ready":
            answers = reply.get("answers") if isinstance(reply.get("answers"), dict) else None
            cells = tuple(c for c in reply["cells"] if isinstance(c, dict)) if isinstance(reply.get("cells"), list) else None
        elif event in _SUBMISSION_ERRORS:
            kind = _SUBMISSION_ERRORS[event]
            errors.append(SubmissionError(kind, str(reply.get("error", ""))[:4000]))
        elif type(reply.get("call")) is int and 0 <= reply["call"] < len(calls):
            outcomes[reply["call"]] = _outcome(reply)
            student_s += float(reply.get("seconds", 0) or 0)
    reason = errors[0].message.splitlines()[-1] if errors else "no result came back"
    filled = tuple(outcomes.get(i, Outcome(Status.ERROR, error=f"not run: {reason}")) for i in range(len(calls)))
    return RunResult(filled, answers, tuple(errors), stdout, stderr, student_s, cells)


def _outcome(reply: dict) -> Outcome:
    status = _CALL_STATUS.get(reply.get("status"), Status.INVALID)
    cost = reply.get("cost") if isinstance(reply.get("cost"), dict) else {}
    cost = {k: float(v) for k, v in cost.items() if type(v) in (int, float)}
    return Outcome(status, value=reply.get("value"), error=str(reply.get("error", ""))[:4000], cost=cost)

"""A warm checker for `autograde check`: answers in well under 2 s after the first run.

The first `autograde check` in a terminal starts a small server in the background (saying so), which keeps
what is slow to make: the grader's imports, each assignment's checks with their expected values, and a
sandbox zygote with torch imported. Later checks send the submission's path over a Unix socket and get the
report back. The server grades exactly as `autograde check` does (same sandbox, same checks), serves one
check at a time, and exits after IDLE_S without a request or when the grader's files change.

The socket lives in a 0700 folder of the user's own, and the server answers only its own user (SO_PEERCRED):
it is the trusted grader, like the CLI. Used when stdout is a terminal, or with AUTOGRADE_WARM=1; anything
that goes wrong falls back to the ordinary, cold check.
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["check_warm", "serve"]

IDLE_S = 300.0
START_S = 120.0
ROOT = Path(__file__).resolve().parents[1]
_WATCHED = ("graders", "reference", "assignments", "templates")


def _folder() -> Path:
    base = Path(os.environ.get("XDG_RUNTIME_DIR") or "/tmp")
    folder = base / f"autograde-check-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    info = folder.stat()
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise OSError(f"{folder} is not private to this user")
    return folder


def code_version() -> str:
    """Changes when any of the grader's files change (sizes and modification times: cheap to read)."""
    digest = hashlib.sha256()
    for name in _WATCHED:
        for path in sorted((ROOT / name).rglob("*")):
            if path.suffix in (".py", ".yaml", ".j2", ".css", ".js") and "__pycache__" not in path.parts:
                info = path.stat()
                digest.update(f"{path}\0{info.st_mtime_ns}\0{info.st_size}\n".encode())
    return digest.hexdigest()[:16]


# ------------------------------------------------------------------------------------------------ client
def _send(sock: socket.socket, body: dict) -> None:
    data = json.dumps(body).encode()
    sock.sendall(struct.pack(">I", len(data)) + data)


def _receive(sock: socket.socket) -> dict:
    def exactly(n: int) -> bytes:
        chunks = bytearray()
        while len(chunks) < n:
            chunk = sock.recv(n - len(chunks))
            if not chunk:
                raise ConnectionError("the checker closed the connection")
            chunks += chunk
        return bytes(chunks)
    return json.loads(exactly(struct.unpack(">I", exactly(4))[0]))


def _connect(path: Path, timeout_s: float) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout_s)
    sock.connect(str(path))
    return sock


def _start_server(folder: Path) -> subprocess.Popen:
    print("starting the checker in the background (torch and the checks load once, ~10 s; "
          f"checks in the next {IDLE_S / 60:g} minutes answer in about a second) ...", file=sys.stderr, flush=True)
    log = open(folder / "server.log", "ab")
    return subprocess.Popen([sys.executable, "-m", "graders.warm_check"], cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log,
                     stderr=log, start_new_session=True)


def _ask(folder: Path, request: dict, wait_s: float, server: subprocess.Popen | None = None) -> dict | None:
    """The server's answer; None when there is none, or it is starting and ends (or takes too long) first."""
    deadline = time.monotonic() + wait_s
    while server is None or server.poll() is None:
        try:
            with _connect(folder / "check.sock", timeout_s=max(wait_s, 60.0)) as sock:
                _send(sock, request)
                return _receive(sock)
        except (FileNotFoundError, ConnectionRefusedError):
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.1)
    return None


def check_warm(assignment: str, path: Path, question: str | None, as_json: bool, color: bool) -> dict | None:
    """{"output": text} or {"usage_error": message} from the warm checker; None to check the ordinary way."""
    wanted = os.environ.get("AUTOGRADE_WARM")
    if wanted == "0" or (wanted != "1" and not sys.stdout.isatty()):
        return None
    try:
        folder = _folder()
        request = {"assignment": assignment, "path": str(path.resolve()), "question": question, "json": as_json,
                   "color": color, "version": code_version()}
        answer = _ask(folder, request, wait_s=0)
        if answer is None or answer.get("stale"):
            if answer is not None:
                time.sleep(0.2)                                 # the stale server is on its way out
            answer = _ask(folder, request, wait_s=START_S, server=_start_server(folder))
        return answer if answer and not answer.get("stale") else None
    except (OSError, ValueError, ConnectionError):
        return None


# ------------------------------------------------------------------------------------------------ server
def _check(request: dict, sandbox) -> dict:
    from .cli import UsageError, _submissions, _suite
    from .grade import grade_submission, hidden_points
    from .report import render_terminal, result_to_json
    try:
        suite = _suite(request["assignment"])
        if request.get("question") and request["question"] not in [q.id for q in suite.questions]:
            raise UsageError(f"unknown question {request['question']!r}; {request['assignment']} has: "
                             f"{', '.join(q.id for q in suite.questions)}")
        submission = _submissions(request["assignment"], [Path(request["path"])])[0]
    except UsageError as error:
        return {"usage_error": str(error)}
    result = result_to_json(grade_submission(suite, submission, sandbox, public_only=True,
                                             question=request.get("question")))
    if request.get("json"):
        return {"output": json.dumps(result, indent=1, ensure_ascii=False) + "\n"}
    return {"output": render_terminal(result, color=bool(request.get("color")),
                                      hidden_points=hidden_points(suite, request.get("question")))}


def _same_user(connection: socket.socket) -> bool:
    credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", credentials)[1] == os.getuid()


def serve() -> None:
    from .sandbox import Sandbox
    from .suite import ASSIGNMENTS, load_suite
    version, folder = code_version(), _folder()
    for assignment in ASSIGNMENTS:                              # expected values computed once, now
        try:
            load_suite(assignment)
        except Exception as error:                              # noqa: BLE001 - the check will say it
            print(f"{assignment}: {type(error).__name__}: {error}", file=sys.stderr)
    path = folder / "check.sock"
    path.unlink(missing_ok=True)
    (folder / "server.pid").write_text(str(os.getpid()))
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    os.chmod(path, 0o600)
    listener.listen(4)
    listener.settimeout(IDLE_S)
    with Sandbox() as sandbox:
        try:
            while True:
                try:
                    connection, _ = listener.accept()
                except socket.timeout:
                    return
                with connection:
                    connection.settimeout(60.0)
                    try:
                        if not _same_user(connection):
                            continue
                        request = _receive(connection)
                        if request.get("version") != version:
                            _send(connection, {"stale": True})
                            return
                        _send(connection, _check(request, sandbox))
                    except Exception as error:                  # noqa: BLE001 - one bad request, not the server
                        print(f"request failed: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
                        continue
        finally:
            path.unlink(missing_ok=True)
            listener.close()


if __name__ == "__main__":
    serve()

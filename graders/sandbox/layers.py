"""Which isolation layers this machine offers, the limits they enforce, and the command that starts a
sandboxed child with them.

Layers, each used when the machine has it (and named in every result, so staff know what was on):
- `bubblewrap`: mount, pid, network, ipc and uts namespaces, and a file system built from an allow-list:
  the Python install (interpreter and standard library), the system libraries, the venv's site-packages
  (read-only, at a neutral path), the grader's child files, and a size-capped tmpfs for the submissions'
  copies. Nothing else of the machine exists inside: not the repository, not the class folder, not a copy
  of the reference elsewhere on disk. bubblewrap's options reach it through a pipe (`--args`), so its
  command line (`/proc/1/cmdline`) names no path. No network at all.
- `uid-drop`: each worker runs as an unprivileged user leased for the slot (61000 + n, one grader process
  at a time per user, `flock`); it cannot signal the grader or read root's files, RLIMIT_NPROC applies,
  and all its processes are killed (from inside that user, until none is left) after every submission.
- `worker-namespaces`: each worker gets a fresh IPC namespace and its own /dev/shm, so shared memory a
  student leaves behind dies with the worker.
- `cgroup-memory`, `cgroup-pids`: a per-slot cgroup (v1) caps resident memory (the tmpfs included) and
  process count; the kernel kills the biggest process (the student's) when memory runs out.
- `rlimits`: address space, file size (caps stdout/stderr), open files, no core dumps. Always on.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["Limits", "available_layers", "child_command", "lease_uid", "CGROUP_ROOT", "INSIDE"]

CGROUP_ROOT = Path("/sys/fs/cgroup")
SLOT_UID_BASE = 61000
UID_CHOICES = 512                        # users 61000 .. 61511 may be leased
INSIDE = {"site": "/sandbox/site-packages", "grader": "/sandbox/grader", "tmp": "/tmp", "work": "/tmp/work"}
_LOCKS = Path("/run/lock") if Path("/run/lock").is_dir() else Path("/tmp")


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 3 * 2**30        # resident memory of one slot (cgroup), its tmpfs included
    address_space: int = 8 * 2**30       # per worker (RLIMIT_AS); a backstop, torch maps a lot
    processes: int = 64
    import_timeout_s: float = 20.0       # importing the student's module (a notebook may take longer)
    submission_s: float = 45.0           # wall clock for one submission's run: import and every call
    scratch_bytes: int = 512 * 2**20     # the sandbox's tmpfs: a submission's copy, its files and output
    stream_bytes: int = 8 * 2**20        # what a worker may print (stdout, stderr) or write to one file
    reply_bytes: int = 128 * 2**20       # all values of one submission the grader keeps
    call_bytes: int = 8 * 2**20          # one call's reply: at least this,
    call_bytes_factor: int = 32          # or this many times the bytes of the call's inputs

    def for_worker(self, uid: int | None) -> dict:
        return {"uid": uid, "address_space": self.address_space, "processes": self.processes,
                "import_timeout_s": self.import_timeout_s, "stream_bytes": self.stream_bytes,
                "memory_bytes": self.memory_bytes}


def _bubblewrap_works() -> bool:
    bwrap = shutil.which("bwrap")
    if not bwrap or os.geteuid() != 0:
        return False
    probe = [bwrap, "--ro-bind", "/", "/", "--unshare-net", "--unshare-pid", "--die-with-parent", "true"]
    return subprocess.run(probe, capture_output=True).returncode == 0


def _cgroup_writable(controller: str) -> bool:
    path = CGROUP_ROOT / controller
    return path.is_dir() and os.access(path, os.W_OK) and (path / "cgroup.procs").exists()


@lru_cache(maxsize=1)
def available_layers() -> tuple[str, ...]:
    layers = ["rlimits"]
    if os.geteuid() == 0:
        layers += ["uid-drop", "worker-namespaces"]
    if _bubblewrap_works():
        layers.append("bubblewrap")
    layers += [f"cgroup-{c}" for c in ("memory", "pids") if _cgroup_writable(c)]
    return tuple(layers)


def lease_uid(slot: int) -> tuple[int, int]:
    """A slot user no other grader process on this machine is using: (uid, lock fd, kept open for the lease).
    Two instructors grading at once, or parallel test runs, never share a user, so never kill each other's
    workers."""
    for n in range(UID_CHOICES):
        uid = SLOT_UID_BASE + (slot + n) % UID_CHOICES
        fd = os.open(_LOCKS / f"autograde-uid-{uid}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return uid, fd
        except OSError:
            os.close(fd)
    raise RuntimeError(f"all {UID_CHOICES} sandbox users are in use")


def _python_install() -> list[Path]:
    """The interpreter, its standard library and the system libraries it and the packages load."""
    paths = {Path(os.path.realpath(sys.executable))}
    base = {"base": sys.base_prefix, "platbase": sys.base_exec_prefix, "installed_base": sys.base_prefix,
            "installed_platbase": sys.base_exec_prefix}
    paths |= {Path(sysconfig.get_paths("posix_prefix", vars=base)[key]) for key in ("stdlib", "platstdlib")}
    for name in ("LIBDIR", "DESTSHARED"):
        if sysconfig.get_config_var(name):
            paths.add(Path(sysconfig.get_config_var(name)))
    arch = sysconfig.get_config_var("MULTIARCH") or ""
    for candidate in (f"/usr/lib/{arch}", f"/lib/{arch}", "/usr/lib64", "/lib64", "/usr/lib/locale",
                      "/etc/ld.so.cache"):
        if arch or not candidate.endswith("/"):
            paths.add(Path(candidate))
    real = {Path(os.path.realpath(p)) for p in paths if p.exists()}
    return sorted(p for p in real if not any(p != q and p.is_relative_to(q) for q in real))


def _top_symlinks() -> list[str]:
    """Merged-/usr systems reach /lib, /lib64 and /bin through symlinks: the same links inside."""
    options = []
    for top in ("/lib", "/lib64", "/lib32", "/bin", "/sbin"):
        if os.path.islink(top):
            options += ["--symlink", os.readlink(top), top]
    return options


def _sites() -> list[str]:
    purelib, platlib = sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]
    return [purelib] if os.path.realpath(purelib) == os.path.realpath(platlib) else [purelib, platlib]


def child_command(bundle: Path, work: Path, layers: tuple[str, ...], limits: Limits) -> tuple[list[str], bytes]:
    """The argv that starts the zygote, and the NUL-separated bubblewrap options to feed it on fd 3 (empty
    without bubblewrap). The zygote's own arguments: its site-packages folders, then its work folder."""
    if "bubblewrap" not in layers:
        return [sys.executable, "-I", "-S", str(bundle / "child.py"), str(work), *_sites()], b""
    options = ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
               "--die-with-parent", "--new-session", "--dev", "/dev", "--proc", "/proc",
               "--size", str(limits.scratch_bytes), "--perms", "0755", "--tmpfs", INSIDE["tmp"]]
    binds = [(str(path), str(path)) for path in _python_install()]
    sites = [INSIDE["site"] + (f"-{index}" if index else "") for index in range(len(_sites()))]
    binds += list(zip(_sites(), sites)) + [(str(bundle), INSIDE["grader"])]
    made: set[str] = set()
    for source, target in binds:
        # folders bwrap makes on the way to a mount point are 0700: the slot's user must pass through them
        for folder in reversed(Path(target).parents[:-1]):
            if str(folder) not in made:
                made.add(str(folder))
                options += ["--perms", "0755", "--dir", str(folder)]
        options += ["--ro-bind", source, target]
    options += _top_symlinks() + ["--chdir", INSIDE["tmp"]]
    python = os.path.realpath(sys.executable)
    argv = [shutil.which("bwrap"), "--args", "3", python, "-I", "-S", f"{INSIDE['grader']}/child.py", INSIDE["work"],
            *sites]
    return argv, b"\0".join(o.encode() for o in options) + b"\0"

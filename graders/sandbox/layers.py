"""Which isolation layers this machine offers, and the command that starts a sandboxed child with them.

Layers, each used when the machine has it (and named in every result, so staff know what was on):
- `bubblewrap`: mount, pid, network, ipc and uts namespaces. The repository, the output folder, the
  class folder and home directories are hidden behind empty tmpfs mounts; only the venv comes back,
  read-only. No network at all.
- `uid-drop`: each worker runs as an unprivileged per-slot user; it cannot signal the grader, read
  root's files or keep processes past its submission, and RLIMIT_NPROC applies.
- `cgroup-memory`, `cgroup-pids`: a per-slot cgroup (v1) caps resident memory and process count; the
  kernel kills the biggest process (the student's) when memory runs out.
- `rlimits`: address space, file size (caps stdout/stderr), open files, no core dumps. Always on.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["Limits", "available_layers", "child_command", "CGROUP_ROOT", "SANDBOX_TMP"]

CGROUP_ROOT = Path("/sys/fs/cgroup")
SANDBOX_TMP = "/tmp"                     # inside bubblewrap this is a fresh tmpfs
SLOT_UID_BASE = 61000


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 3 * 2**30        # resident memory of one slot (cgroup)
    address_space: int = 8 * 2**30       # per worker (RLIMIT_AS); a backstop, torch maps a lot
    processes: int = 64
    import_timeout_s: float = 20.0       # importing the student's module (a notebook may take longer)

    def for_slot(self, slot: int, layers: tuple[str, ...]) -> dict:
        uid = SLOT_UID_BASE + slot if "uid-drop" in layers else None
        return {"uid": uid, "address_space": self.address_space, "processes": self.processes,
                "import_timeout_s": self.import_timeout_s}


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
        layers.append("uid-drop")
    if _bubblewrap_works():
        layers.append("bubblewrap")
    layers += [f"cgroup-{c}" for c in ("memory", "pids") if _cgroup_writable(c)]
    return tuple(layers)


def child_command(bundle: Path, work: Path, hidden: tuple[Path, ...], layers: tuple[str, ...]) -> tuple[list[str], str, str]:
    """The argv that starts the zygote, and the bundle and work folders as the child will see them."""
    site = sysconfig.get_paths()["purelib"]
    python = [sys.executable, "-I", "-S"]
    if "bubblewrap" not in layers:
        return python + [str(bundle / "child.py"), site], str(bundle), str(work)
    inside_bundle, inside_work = f"{SANDBOX_TMP}/grader", f"{SANDBOX_TMP}/work"
    argv = [shutil.which("bwrap"), "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
            "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
            "--die-with-parent", "--new-session",
            "--tmpfs", SANDBOX_TMP]                      # first: whatever lives in /tmp (a clone, say) is gone
    for path in sorted({Path("/root"), Path("/home"), *hidden}):
        if path.exists() and not path.is_relative_to(SANDBOX_TMP):
            argv += ["--tmpfs", str(path)]
    covered = [Path(SANDBOX_TMP), *(p for p in hidden if not p.is_relative_to(SANDBOX_TMP))]
    for prefix in sorted({Path(sys.prefix), Path(sys.base_prefix)}):   # the interpreter comes back, read-only
        # folders bwrap makes on the way to a mount point are 0700: make them 0755, or the slot's user
        # could not reach the interpreter's lazily imported modules
        for folder in reversed(prefix.parents):
            if any(folder != top and folder.is_relative_to(top) for top in covered):
                argv += ["--perms", "0755", "--dir", str(folder)]
        argv += ["--ro-bind", str(prefix), str(prefix)]
    argv += ["--ro-bind", str(bundle), inside_bundle, "--bind", str(work), inside_work, "--chdir", inside_work]
    return argv + python + [f"{inside_bundle}/child.py", site], inside_bundle, inside_work

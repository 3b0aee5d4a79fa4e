# [staff] attack example `attack-read-reference`: at import, looks for the staff solution and the grader:
# reads likely paths, imports `reference` and `graders`, searches a few folders for kernel_attention*.py,
# lists /proc for other processes, opens sockets to 127.0.0.1 and 1.1.1.1, and prints all it found (the
# report shows it in stdout). Returns zeros. Expected: 0 on every code question, nothing of the grader
# visible, no network, the batch goes on.
import glob
import importlib
import os
import socket
import sys

import torch

FOUND = []


def note(what, detail):
    FOUND.append(f"{what}: {detail}")


def try_read(path):
    try:
        with open(path, "rb") as f:
            note("READ", f"{path} ({len(f.read())} bytes)")
    except OSError as e:
        note("no", f"{path}: {type(e).__name__}")


note("whoami", f"uid={os.getuid()} gid={os.getgid()} cwd={os.getcwd()} HOME={os.environ.get('HOME')}")
note("env", sorted(os.environ))
note("sys.path", sys.path)
# wherever a grader's checkout might be: any folder up to three levels below / that holds reference/ or graders/
CHECKOUTS = sorted({os.path.dirname(os.path.dirname(hit)) for depth in ("*", "*/*", "*/*/*")
                    for hit in glob.glob(f"/{depth}/reference/kernel_attention.py") +
                    glob.glob(f"/{depth}/graders/suites/kernel_attention.py")})
for path in [*(os.path.join(c, f) for c in CHECKOUTS for f in (
                 "reference/kernel_attention.py", "reference/kernel_attention_mistakes.py",
                 "graders/suites/kernel_attention.py", "examples/kernel_attention/expected.yaml")),
             "../reference/kernel_attention.py", "../../reference/kernel_attention.py", "/etc/shadow",
             "/root/.bash_history", "/tmp/grader/child.py"]:
    try_read(path)
for folder in ["/", "/tmp", "..", "/tmp/grader", "/home", "/root", "/proc/1/root", *CHECKOUTS]:
    try:
        note("ls", f"{folder}: {sorted(os.listdir(folder))[:40]}")
    except OSError as e:
        note("no ls", f"{folder}: {type(e).__name__}")
for root in ["/tmp", "/opt", "/srv", "/var/tmp", "/mnt", "/home", *CHECKOUTS]:
    hits = glob.glob(f"{root}/**/kernel_attention*.py", recursive=True)[:20]
    note("glob", f"{root}: {hits}")
for name in ["reference", "reference.kernel_attention", "graders", "graders.suites.kernel_attention"]:
    try:
        module = importlib.import_module(name)
        note("IMPORTED", f"{name} from {getattr(module, '__file__', '?')}")
    except BaseException as e:                        # noqa: B902
        note("no import", f"{name}: {type(e).__name__}: {e}")
processes = []
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                processes.append((pid, f.read().replace(b"\0", b" ")[:120].decode(errors="replace")))
        except OSError:
            pass
note("processes", processes)
for host, port in [("127.0.0.1", 22), ("127.0.0.1", 80), ("1.1.1.1", 53), ("1.1.1.1", 443)]:
    try:
        with socket.create_connection((host, port), timeout=2):
            note("CONNECTED", f"{host}:{port}")
    except OSError as e:
        note("no socket", f"{host}:{port}: {type(e).__name__}: {e}")
print("\n".join(str(line) for line in FOUND), flush=True)


def softmax_attention(Q, K, V, causal=False):
    return torch.zeros(Q.shape[0], V.shape[1], dtype=torch.float64)


def sample_frequencies(D, D_random, sigma_sq, generator=None):
    return torch.zeros(D_random, D, dtype=torch.float64)


def random_features(X, W):
    return torch.zeros(X.shape[0], 2 * W.shape[0], dtype=torch.float64)


def kernel_attention(Q, K, V, feature_map, causal=False):
    return torch.zeros(Q.shape[0], V.shape[1], dtype=torch.float64)


def random_feature_attention(Q, K, V, W, causal=False):
    return torch.zeros(Q.shape[0], V.shape[1], dtype=torch.float64)

"""The attack corpus: hostile or merely unusual kernel_attention submissions, each written into a class folder.

`CASES` maps a submission's folder name to (builder, expectation). A builder writes the submission under the
class folder; the expectation is `"zero"` (no credit at all), `"honest"` (graded exactly like the honest
student: an unusual but correct hand-in) or, for the bundled examples, `"example"` (the questions its
expected.yaml names lose points). Most attacks define no grading function, so their checks end fast as
`missing`; the harm they try happens at import or in the one function they define.

`SECRET` and `STAFF_TOKEN` are planted by the test (in the grader's environment and in a staff copy of the
reference on disk); no output may contain them.
"""
from __future__ import annotations

import json
import os
import shutil
import textwrap
import zipfile
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "kernel_attention"
SECRET = "AUTOGRADE-ENV-SECRET-7f3a9c"
STAFF_TOKEN = "STAFF-COPY-SECRET-51d2e8"
CODE = "kernel_attention.py"


def _code(source: str) -> Callable[[Path, str], None]:
    def build(folder: Path, name: str) -> None:
        (folder / name).mkdir()
        (folder / name / CODE).write_text(textwrap.dedent(source))
    return build


def _files(files: dict[str, bytes | str]) -> Callable[[Path, str], None]:
    def build(folder: Path, name: str) -> None:
        for relative, content in files.items():
            path = folder / name / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content.encode() if isinstance(content, str) else content)
    return build


def _zip(members: dict[str, bytes], *, encrypted: bool = False) -> Callable[[Path, str], None]:
    def build(folder: Path, name: str) -> None:
        path = folder / f"{name}.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for member, content in members.items():
                archive.writestr(member, content)
        if encrypted:                                         # zipfile cannot write encrypted members: flag them
            data = bytearray(path.read_bytes())
            for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
                start = 0
                while (start := data.find(signature, start)) >= 0:
                    data[start + offset] |= 1
                    start += 4
            path.write_bytes(bytes(data))
    return build


def _example(example: str) -> Callable[[Path, str], None]:
    def build(folder: Path, name: str) -> None:
        shutil.copytree(EXAMPLES / example, folder / name)
    return build


def _honest_copy(rename: Callable[[Path], None] | None = None) -> Callable[[Path, str], None]:
    def build(folder: Path, name: str) -> None:
        shutil.copytree(EXAMPLES / "reference", folder / name)
        if rename:
            rename(folder / name)
    return build


def _raw_name(folder: Path, name: str) -> None:
    """An honest submission in a folder whose name is not UTF-8 (its id becomes safe text)."""
    raw = os.path.join(os.fsencode(folder), b"honest-raw-\xff\xfe")
    shutil.copytree(EXAMPLES / "reference", os.fsdecode(raw))


def _notebook_with_big_outputs(folder: Path, name: str) -> None:
    """The reference as a notebook whose cells carry 8 MiB of plot outputs: honest, only large."""
    source = (EXAMPLES / "reference" / CODE).read_text()
    image = "iVBORw0KGgo" * (800 * 1024)
    cell = {"cell_type": "code", "execution_count": 1, "metadata": {}, "source": source,
            "outputs": [{"output_type": "display_data", "metadata": {}, "data": {"image/png": image}}]}
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (folder / name).mkdir()
    (folder / name / "kernel_attention.ipynb").write_text(json.dumps(notebook))
    shutil.copy(EXAMPLES / "reference" / "answers.yaml", folder / name / "answers.yaml")


def _yaml(text: str) -> Callable[[Path, str], None]:
    return _files({"answers.yaml": text, CODE: "import os\n"})


EXFILTRATE = f'''
import os, sys, glob
FOUND = []
def look(path):
    try:
        with open(path, "rb") as f:
            FOUND.append(f.read(4000).decode("utf-8", "replace"))
    except OSError as e:
        FOUND.append(f"{{path}}: {{e}}")
for path in ["/proc/1/cmdline", "/proc/self/cmdline", "/proc/1/environ", "/proc/self/environ", "/proc/self/mountinfo",
             "/proc/self/cgroup", "/etc/passwd", "/etc/shadow", "/root/.bash_history"]:
    look(path)
for pattern in ["/*", "/*/*", "/*/*/*", "/*/*/*/*/kernel_attention*.py", "/tmp/**/kernel_attention*.py"]:
    for hit in glob.glob(pattern, recursive=True)[:400]:
        if hit.endswith(".py") or "secret" in hit.lower():
            look(hit)
FOUND.append(repr(dict(os.environ)))
print("\\n".join(FOUND)[:200000])
print("\\n".join(FOUND)[:200000], file=sys.stderr)
'''

IMPORT_STAFF_COPY = '''
import glob, importlib.util, sys
for hit in [h for pattern in ("/*/reference*/", "/*/*/reference*/", "/*/*/*/reference*/", "/sandbox/**/", "/tmp/**/")
            for h in glob.glob(pattern + "kernel_attention.py", recursive=True)][:5]:
    spec = importlib.util.spec_from_file_location("stolen", hit)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    globals().update({k: v for k, v in vars(module).items() if not k.startswith("_")})
    print("stole", hit)
'''

SYSV_SHM = '''
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
for key in range(6):
    shmid = libc.shmget(0x5eed0 + key, 400 * 2**20, 0o1666)          # IPC_CREAT | 0666
    address = libc.shmat(shmid, None, 0)
    if address not in (None, ctypes.c_void_p(-1).value):
        ctypes.memset(address, 1, 400 * 2**20)                        # charged to the slot until removed
'''

POSIX_SHM = '''
import os
for n in range(4):
    try:
        with open(f"/dev/shm/leak{n}", "wb") as f:
            for _ in range(100):
                f.write(b"x" * 2**20)
    except OSError:
        break
'''

LINGER = '''
import os, time, signal, glob
# a family that keeps forking, waits for the next student, then kills and vandalises whatever it finds
work = os.path.dirname(os.getcwd())                                  # beside this submission's own folder
for _ in range(3):
    if os.fork() == 0:
        os.setsid()
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if os.fork() != 0:
                    os._exit(0)                                       # the parent leaves, the child goes on
            except OSError:
                pass
            for folder in glob.glob(os.path.join(work, "s*")):              # the other submissions' folders
                try:
                    with open(os.path.join(folder, "kernel_attention.py"), "w") as f:
                        f.write("raise SystemExit('vandalised')\\n")
                except OSError:
                    pass
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
            time.sleep(0.05)
        os._exit(0)
'''

DISK_FILL = '''
import os
os.makedirs("junk", exist_ok=True)
try:
    for n in range(40_000):
        with open(f"junk/{n}", "wb") as f:
            f.write(b"x" * 100_000)
except OSError:
    pass
'''

DEEP_FOLDERS = '''
import os
path = "d"
try:
    for _ in range(3000):
        os.mkdir(path)
        os.chdir(path)
except OSError:
    pass
'''


FUNCTIONS = ("softmax_attention", "random_features", "sample_frequencies", "kernel_attention", "random_feature_attention",
             "causal_kernel_attention")


def _returns(body: str) -> Callable[[Path, str], None]:
    """Every function the suite calls runs `body` (in the student's process)."""
    source = "import numpy as np, torch, time\n" + "".join(
        f"def {f}(*args, **kwargs):\n    {body}\n" for f in FUNCTIONS)
    return _files({CODE: source})


CASES: dict[str, tuple[Callable[[Path, str], None], str]] = {
    # ---- the bundled examples (examples/kernel_attention/attack-*)
    **{name: (_example(name), "example") for name in sorted(p.name for p in EXAMPLES.glob("attack-*"))},
    # ---- 1. one student's file must not stop the class
    "zip-dot-member": (_zip({".": b"", "kernel_attention.py": b"import os\n"}), "zero"),
    "zip-encrypted": (_zip({"kernel_attention.py": b"import os\n"}, encrypted=True), "zero"),
    "zip-slip": (_zip({"../../evil.py": b"x", "/etc/evil.py": b"x", "C:/evil.py": b"x",
                       "kernel_attention.py": b"import os\n"}), "zero"),
    "zip-damaged": (lambda folder, name: (folder / f"{name}.zip").write_bytes(b"PK\x03\x04" + b"\0" * 200), "zero"),
    "zip-many-members": (_zip({f"f{n}.txt": b"" for n in range(3000)}), "zero"),
    "yaml-huge-integer": (_yaml("causal_cost: " + "9" * 5000 + "\n"), "zero"),
    "yaml-deep-nesting": (_yaml("causal_cost: " + "[" * 3000 + "]" * 3000 + "\n"), "zero"),
    "non-utf8-file-name": (_files({CODE: "import os\n", "caf\udcff.py": "x = 1\n"}), "zero"),
    "honest-raw-name": (_raw_name, "honest"),
    "honest-uses-joblib": (_honest_copy(lambda folder: (folder / CODE).write_text(
        (folder / CODE).read_text() + "\nimport sklearn.neighbors\nfrom joblib import Parallel, delayed\n"
        "_ = Parallel(n_jobs=2)(delayed(abs)(i) for i in range(2))\n")), "honest"),
    # ---- 2. one student's answers must not crash the grader on their own submission
    "yaml-hex-integer": (_yaml("causal_cost: 0x" + "f" * 5000 + "\n"), "zero"),
    "yaml-date": (_yaml("causal_cost: 2020-01-01\nsigma_sq: 2020-01-01 10:00:00\n"), "zero"),
    "answers-numpy-array": (_code("import numpy as np, torch\nANSWERS = {'causal_cost': np.zeros(3), "
                                  "'sigma_sq': torch.tensor(1.0), 'attention_cost': 10 ** 2000}\n"), "zero"),
    "answers-hostile-objects": (_code("class S(str):\n    def __str__(self): raise RuntimeError\n"
                                      "import datetime\nANSWERS = {'causal_cost': S('O(N)'), "
                                      "'sigma_sq': datetime.date(2020, 1, 1), 'x': [[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}\n"),
                                "zero"),
    "answers-not-a-dict": (_code("ANSWERS = [1, 2, 3]\n"), "zero"),
    # ---- 3. no student may lower a classmate's grade
    "sysv-shared-memory": (_code(SYSV_SHM), "zero"),
    "posix-shared-memory": (_code(POSIX_SHM), "zero"),
    "lingering-forkers": (_code(LINGER), "zero"),
    "kill-everything": (_code("import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError:\n    pass\n"),
                        "zero"),
    "thread-bomb": (_code("import threading, time\nfor _ in range(5000):\n    try:\n"
                          "        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
                          "    except RuntimeError:\n        break\n"), "zero"),
    # ---- 4. no copier gets credit, nothing of the grader's machine is seen
    "exfiltrate": (_code(EXFILTRATE), "zero"),
    "import-staff-copy": (_code(IMPORT_STAFF_COPY), "zero"),
    "read-other-submissions": (_code("import glob\nprint(glob.glob('/tmp/**', recursive=True)[:2000])\n"
                                     "print(glob.glob('/tmp/autograde-*/**', recursive=True)[:2000])\n"), "zero"),
    "escalate": (_code("import os\nfor f in (lambda: os.setuid(0), lambda: os.chroot('/'), "
                       "lambda: os.mknod('/tmp/x')):\n    try:\n        f()\n    except OSError as e:\n"
                       "        print(type(e).__name__)\n"), "zero"),
    "ptrace-parent": (_code("import ctypes, os\nlibc = ctypes.CDLL(None)\nfor pid in (1, 2, os.getppid()):\n"
                            "    print(pid, libc.ptrace(16, pid, 0, 0))\n"), "zero"),
    "network": (_code("import socket\nfor host in (('127.0.0.1', 22), ('1.1.1.1', 53)):\n    try:\n"
                      "        socket.create_connection(host, timeout=1)\n        print('connected', host)\n"
                      "    except OSError as e:\n        print(e)\n"), "zero"),
    # ---- 5. the trusted grader's own memory and disk have budgets
    "zip-bomb": (_zip({"kernel_attention.py": b"import os\n", "data.bin": b"\0" * (300 * 2**20)}), "zero"),
    "yaml-alias-bomb": (_yaml("a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                              "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                              "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"),
                        "zero"),
    "yaml-too-large": (_yaml("causal_cost: '" + "x" * (2 * 2**20) + "'\n"), "zero"),
    "huge-return": (_returns("return np.zeros(70 * 2**20)"), "zero"),
    "many-medium-returns": (_returns("return np.ones(2**20 - 7)"), "zero"),
    "huge-text-return": (_returns("return 'x' * (50 * 2**20)"), "zero"),
    "huge-integer-return": (_returns("return 10 ** 5000"), "zero"),
    "deep-return": (_returns("x = []\n    for _ in range(5000): x = [x]\n    return x"), "zero"),
    "disk-fill": (_code(DISK_FILL), "zero"),
    "deep-folders": (_code(DEEP_FOLDERS), "zero"),
    "big-file-write": (_code("with open('big', 'wb') as f:\n    f.write(b'x' * (100 * 2**20))\n"), "zero"),
    "stderr-flood": (_code("import sys\nfor _ in range(200):\n    sys.stderr.write('y' * 2**20)\n"), "zero"),
    "large-source-file": (_files({CODE: "#" * (6 * 2**20) + "\n"}), "zero"),
    # ---- 6. no submission takes more than its time budget
    "slow-import-then-hang": (_files({CODE: "import time\ntime.sleep(15)\n" + "".join(
        f"def {f}(*a, **k):\n    time.sleep(1000)\n" for f in FUNCTIONS)}), "zero"),
    "hang-ignoring-signals": (_returns("import signal\n    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                                       "    while True: pass"), "zero"),
    # ---- 7. an honest notebook with large outputs is graded, not truncated
    "honest-notebook-big-outputs": (_notebook_with_big_outputs, "honest"),
    "notebook-broken-json": (_files({"kernel_attention.ipynb": '{"cells": [' * 50}), "zero"),
    "notebook-exits": (_files({"kernel_attention.ipynb": json.dumps({"cells": [
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": "import os\nos._exit(3)\n"}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5})}), "zero"),
    # ---- 8. forged frames and odd values on the wire
    "forged-frames": (_returns("import os\n    frame = b'{\"body\": {\"$tuple\": 5}, \"blobs\": []}'\n"
                               "    for fd in range(3, 64):\n        try: os.write(fd, len(frame).to_bytes(4, 'big') "
                               "+ frame)\n        except OSError: pass\n    return 0"), "zero"),
    "html-in-output": (_code("print('<script>alert(1)</script>\\x1b[31m' + '\\ud800'.encode('utf-8', 'surrogatepass')"
                             ".decode('utf-8', 'replace'))\nimport sys\nsys.stdout.buffer.write(b'\\xff\\xfe\\x00')\n"),
                       "zero"),
}

"""The sandbox against misbehaving student code: each costs that student, never the grader."""
import numpy as np
import pytest

from graders.model import Call, Status
from graders.sandbox import available_layers

from support import code_submission


def run(sandbox, source, *calls, answers=None):
    return sandbox.run(code_submission(source, answers=answers), list(calls), "kernel_attention.py")


def test_values_come_back_as_plain_arrays(sandbox):
    result = run(sandbox, "import torch\ndef f(x): return torch.as_tensor(x) * 2\n", Call("f", (np.arange(3.0),)))
    (outcome,) = result.outcomes
    assert outcome.status is Status.PASSED and type(outcome.value) is np.ndarray
    assert outcome.value.tolist() == [0.0, 2.0, 4.0]


def test_a_result_with_no_gradient_is_its_own_status_not_an_error(sandbox):
    """torch.tensor(...) of Python numbers (math.sqrt in loops) has no autograd graph: the sandbox says so as a
    distinct status (FAILED with the reason), not as a crash (stranger tl/loops-mathsqrt)."""
    source = ("import math, torch\ndef f(x): return torch.tensor([math.sqrt(float(v) ** 2) for v in x])\n"
              "def g(x): return x * 2\n")
    no_graph, fine = run(sandbox, source, Call("f", (np.arange(3.0),), grad_wrt=0),
                         Call("g", (np.arange(3.0),), grad_wrt=0)).outcomes
    assert no_graph.status is Status.FAILED and "no autograd graph" in no_graph.error and "math.sqrt" in no_graph.error
    assert "Traceback" not in no_graph.error and fine.status is Status.PASSED


def test_infinite_loop_costs_one_call_and_the_next_call_still_runs(sandbox):
    source = "def spin(x):\n    while True: pass\ndef f(x): return x\n"
    result = run(sandbox, source, Call("spin", (1,), timeout_s=0.5), Call("f", (5,)))
    assert [o.status for o in result.outcomes] == [Status.TIMEOUT, Status.PASSED]
    assert result.outcomes[1].value == 5


def test_memory_bomb_is_an_error_not_a_crash(sandbox):
    source = "import numpy as np\ndef bomb(x): return np.ones(10 * 2**30 // 8)\ndef f(x): return x\n"
    result = run(sandbox, source, Call("bomb", (1,)), Call("f", (1,)))
    assert result.outcomes[0].status is Status.ERROR and "MemoryError" in result.outcomes[0].error
    assert result.outcomes[1].status is Status.PASSED


def test_exit_at_import_is_reported_as_an_import_error(sandbox):
    result = run(sandbox, "import os\nos._exit(0)\ndef f(x): return x\n", Call("f", (1,)))
    assert result.outcomes[0].status is Status.ERROR
    assert [e.kind for e in result.errors] == ["import-crash"] and "exited with code 0" in result.errors[0].message


def test_hanging_import_is_reported(sandbox, monkeypatch):
    result = run(sandbox, "import time\ntime.sleep(1000)\n", Call("f", (1,)))
    assert [e.kind for e in result.errors] == ["import-timeout"] and "importing took longer" in result.errors[0].message


def test_syntax_error_names_the_line(sandbox):
    result = run(sandbox, "def f(x):\n    return x +\n", Call("f", (1,)))
    assert result.errors[0].kind == "import-crash" and "SyntaxError" in result.errors[0].message


def test_missing_function_is_missing(sandbox):
    result = run(sandbox, "def g(x): return x\n", Call("f", (1,)))
    assert result.outcomes[0].status is Status.MISSING


def test_exception_shows_only_the_students_frames(sandbox):
    result = run(sandbox, "def f(x):\n    return 1 / 0\n", Call("f", (1,)))
    error = result.outcomes[0].error
    assert "ZeroDivisionError" in error and "kernel_attention.py" in error and "child.py" not in error


def test_objects_with_lying_dunders_arrive_as_unsupported(sandbox):
    source = ("class Liar:\n    def __eq__(self, o): return True\n    def __bool__(self): return True\n"
              "def f(x): return Liar()\n")
    (outcome,) = run(sandbox, source, Call("f", (1,))).outcomes
    assert outcome.status is Status.PASSED and type(outcome.value).__name__ == "Unsupported"


def test_print_flood_is_capped(sandbox):
    source = "def f(x):\n    for _ in range(200_000): print('x' * 100)\n    return x\n"
    result = run(sandbox, source, Call("f", (1,), timeout_s=20))
    assert len(result.stdout) < 50_000
    assert result.outcomes[0].status in (Status.ERROR, Status.PASSED)       # the file-size limit may stop it


def test_answers_dict_in_code_is_read(sandbox):
    result = run(sandbox, "ANSWERS = {'causal_cost': 'O(N)'}\n")
    assert result.answers == {"causal_cost": "O(N)"}


def test_seeded_calls_are_reproducible(sandbox):
    source = "import torch\ndef f(n): return torch.randn(n)\n"
    first = run(sandbox, source, Call("f", (4,), seed=3)).outcomes[0].value
    again = run(sandbox, source, Call("f", (4,), seed=3)).outcomes[0].value
    assert (first == again).all()


@pytest.mark.skipif("bubblewrap" not in available_layers(), reason="bubblewrap is not available here")
def test_repository_network_and_other_processes_are_out_of_reach(sandbox):
    source = '''
import os, socket
def probe(x):
    found = {}
    try:
        import reference
        found["import reference"] = True
    except ImportError:
        found["import reference"] = False
    found["repo visible"] = os.path.exists(os.path.join(%r, "reference", "kernel_attention.py"))
    try:
        socket.create_connection(("127.0.0.1", 22), timeout=1)
        found["network"] = True
    except OSError:
        found["network"] = False
    found["processes"] = sum(p.isdigit() for p in os.listdir("/proc"))
    return found
''' % str(__import__("pathlib").Path(__file__).resolve().parents[2])
    found = run(sandbox, source, Call("probe", (1,))).outcomes[0].value
    assert found == {"import reference": False, "repo visible": False, "network": False,
                     "processes": found["processes"]} and found["processes"] <= 4


@pytest.mark.skipif("uid-drop" not in available_layers(), reason="not running as root")
def test_fork_bomb_is_contained(sandbox):
    source = ("import os\ndef bomb(x):\n    n = 0\n    for _ in range(5000):\n        try:\n            if os.fork() == 0:\n"
              "                import time; time.sleep(30); os._exit(0)\n            n += 1\n        except OSError:\n"
              "            break\n    return n\ndef f(x): return x\n")
    result = run(sandbox, source, Call("bomb", (1,), timeout_s=10), Call("f", (1,)))
    assert result.outcomes[0].status is Status.PASSED and result.outcomes[0].value < 200
    assert result.outcomes[1].status is Status.PASSED


FORGER = '''
import os
import wire

def f(x):
    frame = wire.encode_frame({"call": 0, "event": "done"})
    for fd in sorted(int(f) for f in os.listdir("/proc/self/fd")):
        try:
            if fd > 2 and os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:"):
                os.write(fd, len(frame).to_bytes(4, "big") + frame)
        except OSError:
            pass
    return x
'''


def test_forged_frames_cannot_end_a_run_or_reach_the_next_submission(sandbox):
    forged = run(sandbox, FORGER, Call("f", (1,)), Call("f", (2,)))
    assert forged.outcomes[0].status is Status.ERROR and "invalid data" in forged.outcomes[0].error
    honest = run(sandbox, "def f(x): return x + 1\n", Call("f", (1,)), Call("f", (2,)))
    assert [o.value for o in honest.outcomes] == [2, 3] and not honest.errors


def test_plotting_and_temporary_files_work_and_stay_with_their_submission(sandbox):
    source = ("import tempfile, os\nimport matplotlib.pyplot as plt\n"
              "def f(x):\n    plt.plot([1, 2]); plt.savefig('plot.png')\n"
              "    with tempfile.NamedTemporaryFile(delete=False) as t: t.write(b'secret')\n"
              "    return os.path.exists('plot.png')\n"
              "def leftovers(x):\n    return sorted(os.listdir(tempfile.gettempdir()))\n")
    assert run(sandbox, source, Call("f", (1,))).outcomes[0].value is True
    assert run(sandbox, source, Call("leftovers", (1,))).outcomes[0].value == []


def test_the_file_system_is_an_allow_list_and_the_command_line_names_no_path(monkeypatch, tmp_path):
    """Only the Python install, system libraries, site-packages and the child's files are bound, read-only;
    a repository (and its venv) cloned under /tmp works, because the venv appears at a neutral path."""
    from graders.sandbox import layers
    monkeypatch.setattr(layers, "_sites", lambda: ["/tmp/ci-clone/.venv/lib/python3.11/site-packages"])
    argv, options = layers.child_command(tmp_path / "b", tmp_path / "w", ("bubblewrap",), layers.Limits())
    assert argv[1:3] == ["--args", "3"] and not any("ci-clone" in a or str(tmp_path) in a for a in argv)
    options = options.decode().split("\0")
    binds = [(options[i + 1], options[i + 2]) for i, o in enumerate(options) if o == "--ro-bind"]
    assert ("/tmp/ci-clone/.venv/lib/python3.11/site-packages", "/sandbox/site-packages") in binds
    assert not any(o in ("--bind", "--dev-bind") for o in options)
    assert all(source == target or target.startswith("/sandbox/") for source, target in binds)
    assert "/" not in [source for source, _ in binds]
    assert not any(target.startswith(("/home", "/root", "/work", "/tmp")) for _, target in binds)
    made = [options[i + 3] for i, o in enumerate(options) if o == "--perms" and options[i + 2] == "--dir"]
    assert "/sandbox" in made and options.index("/tmp") < options.index("--ro-bind")


# ------------------------------------------------------------------------------ budgets and leftovers
def test_a_call_returning_far_more_than_its_inputs_is_stopped_at_its_limit(sandbox):
    source = "import numpy as np\ndef f(x): return np.zeros(3 * 2**20)\ndef g(x): return x\n"
    result = run(sandbox, source, Call("f", (1,)), Call("g", (2,)))
    assert result.outcomes[0].status is Status.ERROR and "more than this call's limit of 8.0 MiB" in result.outcomes[0].error
    assert result.outcomes[1].value == 2


def test_the_time_budget_bounds_a_whole_submission(sandbox, monkeypatch):
    from dataclasses import replace
    monkeypatch.setattr(sandbox, "limits", replace(sandbox.limits, submission_s=2.5))
    source = "import time\n" + "".join(f"def f{i}(x):\n    time.sleep(100)\n" for i in range(6))
    result = run(sandbox, source, *[Call(f"f{i}", (i,), timeout_s=1.0) for i in range(6)])
    assert [e.kind for e in result.errors] == ["time-budget"] and "time budget (2.5 s" in result.errors[0].message
    statuses = [o.status for o in result.outcomes]
    assert statuses[:2] == [Status.TIMEOUT, Status.TIMEOUT] and statuses[-1] is Status.ERROR
    assert "time budget" in result.outcomes[-1].error


def test_printing_too_much_is_said_in_plain_words(sandbox):
    source = "import sys\ndef f(x):\n    for _ in range(20): sys.stdout.write('x' * 2**20)\n    return x\n"
    result = run(sandbox, source, Call("f", (1,)))
    assert "printed (or wrote to one file) more than 8 MiB" in result.outcomes[0].error
    assert "printed more than 8 MiB" in result.stdout and "Errno" not in result.outcomes[0].error


@pytest.mark.skipif("uid-drop" not in available_layers(), reason="not running as root")
def test_nothing_a_student_leaves_running_meets_the_next_student(sandbox):
    linger = ("import os, time\nfor _ in range(3):\n    if os.fork() == 0:\n        os.setsid()\n"
              "        while True:\n            try:\n                os.fork() and os._exit(0)\n"
              "            except OSError:\n                time.sleep(0.01)\n")
    run(sandbox, linger)
    probe = ("import os\ndef f(x):\n    me = os.getpid()\n    return sorted(int(p) for p in os.listdir('/proc') "
             "if p.isdigit() and int(p) != me and os.stat(f'/proc/{p}').st_uid == os.getuid())\n")
    assert run(sandbox, probe, Call("f", (1,))).outcomes[0].value == []


@pytest.mark.skipif("worker-namespaces" not in available_layers(), reason="not running as root")
def test_shared_memory_left_behind_is_gone_for_the_next_student(sandbox):
    leak = ("import ctypes\nlibc = ctypes.CDLL(None)\nlibc.shmat.restype = ctypes.c_void_p\n"
            "shmid = libc.shmget(0x5eed, 64 * 2**20, 0o1666)\nctypes.memset(libc.shmat(shmid, None, 0), 1, 64 * 2**20)\n"
            "open('/dev/shm/leak', 'wb').write(b'x' * 2**20)\n")
    run(sandbox, leak)
    probe = "import os\ndef f(x):\n    return [open('/proc/sysvipc/shm').read().count('\\n'), os.listdir('/dev/shm')]\n"
    assert run(sandbox, probe, Call("f", (1,))).outcomes[0].value == [1, []]


@pytest.mark.skipif("uid-drop" not in available_layers(), reason="not running as root")
def test_two_sandboxes_of_one_slot_never_share_a_user_and_leave_no_cgroup_behind():
    from graders.sandbox import Sandbox
    from graders.sandbox.layers import lease_uid
    first_uid, first_lock = lease_uid(5)
    second_uid, second_lock = lease_uid(5)
    assert first_uid != second_uid
    import os
    os.close(first_lock)
    os.close(second_lock)
    box = Sandbox(slot=5)
    folders = list(box._cgroups.paths.values())
    box.close()
    assert folders is not None and not any(f.exists() for f in folders)


def test_closing_one_sandbox_of_a_slot_leaves_another_of_the_same_slot_running(sandbox):
    """The conftest sandbox is slot 7; a second slot-7 sandbox (a test, a warm checker) gets its own cgroups, and
    closing it neither removes the first one's nor kills its zygote."""
    from graders.sandbox import Sandbox
    other = Sandbox(slot=7)
    assert not set(other._cgroups.paths.values()) & set(sandbox._cgroups.paths.values())
    run(other, "def f(x): return x\n", Call("f", (1,)))
    other.close()
    assert run(sandbox, "def f(x): return x\n", Call("f", (2,))).outcomes[0].value == 2
    assert all(path.exists() for path in sandbox._cgroups.paths.values())


@pytest.mark.skipif("bubblewrap" not in available_layers(), reason="bubblewrap is not available here")
def test_only_the_allow_list_is_visible_not_the_class_folder_nor_a_staff_copy(sandbox, tmp_path):
    """What `--json` and `check` used to leave visible: the submission's class folder, and any file on disk."""
    (tmp_path / "classmate").mkdir()
    (tmp_path / "classmate" / "kernel_attention.py").write_text("SECRET = 1\n")
    source = ("import os\ndef f(x):\n    return [os.path.exists(p) for p in (%r, %r, '/etc/passwd', '/home', '/root', "
              "'/usr/share')] + [b'bind' not in open('/proc/1/cmdline', 'rb').read()]\n"
              % (str(tmp_path / "classmate" / "kernel_attention.py"), str(tmp_path)))
    assert run(sandbox, source, Call("f", (1,))).outcomes[0].value == [False] * 6 + [True]


def test_preloaded_modules_are_loaded_once_before_any_student_and_keep_the_slot(sandbox):
    """A suite's preload is imported by the zygote (a worker forks with it loaded); one that fails to import is
    left to the submissions; neither makes the slot look dirty (the zygote is not replaced)."""
    source = "import sys\ndef f():\n    return 'tabnanny' in sys.modules\n"
    zygote = None
    for _ in range(2):
        result = sandbox.run(code_submission(source), [Call("f")], "kernel_attention.py",
                             preload=["tabnanny", "no_such_module_for_preload"])
        assert result.outcomes[0].value is True and not result.errors
        zygote = zygote or sandbox._process.pid
        assert sandbox._process.pid == zygote
    without = run(sandbox, source, Call("f"))                    # what is loaded stays loaded for the slot
    assert without.outcomes[0].value is True


def test_each_submission_reports_the_slots_peak_memory(sandbox):
    if "cgroup-memory" not in available_layers():
        pytest.skip("no memory cgroup here")
    small = run(sandbox, "def f():\n    return 1\n", Call("f"))
    large = run(sandbox, "import numpy as np\ndef f():\n    a = np.ones(300 * 2**20 // 8)\n    return float(a.sum())\n",
                Call("f"))
    assert small.peak_memory_mib is not None and large.peak_memory_mib > small.peak_memory_mib + 250

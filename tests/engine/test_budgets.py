"""Per-call limits from the reference's own time, and fail-fast: a function that hung or was killed is not
run again in the same submission, while the others are still graded."""
import time

import numpy as np

from graders.budgets import FACTOR, FLOOR_S, MEASURED_FLOOR_S, limit_for, with_limits
from graders.model import Call, Status
from graders.suite import load_suite

from support import code_submission


def test_limit_is_the_reference_time_times_a_factor_between_a_floor_and_the_declared_limit():
    plain, measured = Call("f", timeout_s=10), Call("f", measure_cost=True, timeout_s=20)
    assert limit_for(plain, 1e-4) == FLOOR_S
    assert limit_for(measured, 1e-4) == MEASURED_FLOOR_S
    assert limit_for(plain, 0.03) == FACTOR * 0.03
    assert limit_for(plain, 5.0) == 10                       # never above what the suite declared
    assert limit_for(plain, None) == 10                      # no reference: the declared limit


def test_every_call_of_a_suite_gets_a_limit_within_its_declared_one():
    suite = load_suite("kernel_attention")
    calls = [c for q in suite.questions for check in q.checks for c in check.calls + check.support_calls]
    limited = with_limits("kernel_attention", calls)
    assert [c.function for c in limited] == [c.function for c in calls]
    assert all(FLOOR_S <= new.timeout_s <= old.timeout_s for new, old in zip(limited, calls))
    assert any(new.timeout_s < old.timeout_s for new, old in zip(limited, calls))


def test_a_call_without_a_reference_keeps_its_declared_limit():
    (call,) = with_limits("kernel_attention", [Call("no_such_function", timeout_s=7)])
    assert call.timeout_s == 7


def run(sandbox, source, *calls):
    return sandbox.run(code_submission(source), list(calls), "kernel_attention.py")


HANGS = "import os\ndef spin(x):\n    while True: pass\ndef f(x): return x\n"


def test_after_a_timeout_later_calls_of_that_function_fail_at_once_and_others_still_run(sandbox):
    start = time.monotonic()
    # later spin calls get a limit of 10 minutes: waiting for them would show, whatever the machine's load
    result = run(sandbox, HANGS, Call("spin", (1,), timeout_s=1.0), Call("f", (2,)), Call("spin", (3,), timeout_s=600),
                 Call("spin", (4,), timeout_s=600), Call("f", (5,)))
    spent = time.monotonic() - start
    statuses = [o.status for o in result.outcomes]
    assert statuses == [Status.TIMEOUT, Status.PASSED, Status.TIMEOUT, Status.TIMEOUT, Status.PASSED]
    assert [o.value for o in result.outcomes if o.returned] == [2, 5]
    assert all(o.error == "not run: spin timed out on an earlier check" for o in result.outcomes[2:4])
    assert spent < 300, spent               # one wait of 1 s, not two more of 600 s


def test_after_a_memory_kill_later_calls_of_that_function_are_not_run(sandbox):
    source = "import os, signal\ndef grab(x):\n    os.kill(os.getpid(), signal.SIGKILL)\ndef f(x): return x\n"
    result = run(sandbox, source, Call("grab", (1,)), Call("grab", (2,)), Call("f", (3,)))
    assert [o.status for o in result.outcomes] == [Status.ERROR, Status.ERROR, Status.PASSED]
    assert "SIGKILL" in result.outcomes[0].error
    assert result.outcomes[1].error == "not run: grab was killed (out of memory?) on an earlier check"


def test_after_a_memory_error_later_calls_of_that_function_are_not_run(sandbox):
    source = "def grab(x):\n    raise MemoryError\ndef f(x): return x\n"
    result = run(sandbox, source, Call("grab", (1,)), Call("f", (np.ones(2),)), Call("grab", (2,)))
    assert [o.status for o in result.outcomes] == [Status.ERROR, Status.PASSED, Status.ERROR]
    assert result.outcomes[2].error == "not run: grab ran out of memory on an earlier check"


def test_a_function_that_calls_one_that_hung_fails_at_once_naming_it(sandbox):
    source = ("def distances(x):\n    while True: pass\n"
              "def loss(x):\n    return distances(x) + 1\n"
              "def f(x): return x\n")
    result = run(sandbox, source, Call("distances", (1,), timeout_s=1.0), Call("loss", (2,), timeout_s=600),
                 Call("f", (3,)))
    assert [o.status for o in result.outcomes] == [Status.TIMEOUT, Status.ERROR, Status.PASSED]
    assert "not run: distances timed out on an earlier check" in result.outcomes[1].error

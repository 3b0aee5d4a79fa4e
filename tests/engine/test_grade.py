"""grade_submission: the calls a suite's checks need, run in the sandbox, each outcome to its checks."""
import time

from graders.checks import answer, satisfies
from graders.grade import grade_submission
from graders.load import load_submission
from graders.model import Call, Verdict
from graders.sandbox import Sandbox
from graders.suite import Question, Suite

from support import code_submission

COUNTING = "_calls = []\ndef f(x):\n    _calls.append(x)\n    return len(_calls)\n"


def _suite(*checks) -> Suite:
    question = Question("q", "Q", "code", sum(c.points for c in checks), tuple(checks))
    return Suite("kernel_attention", "test", "kernel_attention.py", (question,))


def _seen(into: list):
    def judge(values):
        into.append(values[0])
        return Verdict.passed()
    return judge


def test_checks_sharing_a_call_share_one_run_and_equal_calls_still_run_each(sandbox):
    shared, seen = Call("f", (1,)), []
    suite = _suite(satisfies("a", 1.0, [shared], _seen(seen)), satisfies("b", 1.0, [shared], _seen(seen)),
                   satisfies("c", 1.0, [Call("f", (1,))], _seen(seen)))
    result = grade_submission(suite, code_submission(COUNTING), sandbox)
    assert result.score == 3.0 and seen == [1, 1, 2]       # the shared call ran once; an equal one on its own


def test_a_slots_start_is_not_the_first_students_time_and_the_import_is_theirs():
    """The first submission of a fresh slot is timed from its own run on (the zygote's start, ~2-5 s, is the
    grader's); a module that works at import time shows it as import_s, counted in student_s."""
    suite = _suite(satisfies("a", 1.0, [Call("f", (1,))], _seen([])))
    with Sandbox(slot=31) as fresh:
        start = time.perf_counter()
        result = grade_submission(suite, code_submission("import time\ntime.sleep(1.0)\n" + COUNTING), fresh)
        wall = time.perf_counter() - start
    assert result.import_s >= 1.0 and result.student_s >= result.import_s
    assert wall - result.elapsed_s > 1.0                   # torch alone takes over a second to import


def test_an_answer_the_sheet_could_not_read_is_invalid_not_missing(sandbox, tmp_path):
    suite = _suite(answer("cost", 1.0, ("causal_cost",), lambda value: Verdict.passed()),
                   answer("other", 1.0, ("attention_cost",), lambda value: Verdict.passed()))
    (tmp_path / "answers.yaml").write_text("causal_cost: O(N L M) where L: 2 D_r\n")
    unreadable, missing = grade_submission(suite, load_submission(tmp_path, "kernel_attention"), sandbox).questions[0].checks
    assert unreadable.status.value == "invalid" and "single quotes" in unreadable.feedback
    assert missing.status.value == "missing"

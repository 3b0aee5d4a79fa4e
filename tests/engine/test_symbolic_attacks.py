"""Hostile answers: each is INVALID, decided quickly, and nothing is evaluated or executed on the way."""
from __future__ import annotations

import builtins
import subprocess
import time

import pytest

from graders.model import Status
from graders.symbolic import big_o, equation, expression, inequality, number
from graders.suites.kernel_attention import KERNEL_ATTENTION
from graders.suites.triplet_loss_answers import TRIPLET_LOSS

ATTACKS = [
    "__import__('os')",
    "__import__('os').system('touch /tmp/pwned')",
    "().__class__",
    "().__class__.__bases__[0].__subclasses__()",
    "N.__class__",
    "x" * 10_000,
    "N+" * 5_000 + "N",
    "(" * 500 + "N" + ")" * 500,
    "(" * 200 + "N" + ")" * 200,
    "{" * 200 + "N" + "}" * 200,
    r"\frac{" * 60 + "N" + "}{2}" * 60,
    "lambda: 0",
    "exec('x')",
    "eval('1')",
    "import os",
    "open('/etc/passwd').read()",
    "sympify('N')",
    "Symbol('x')",
    "N; import os",
    "N # comment",
    r"\input{/etc/passwd}",
    r"\def\x{N}",
    r"\write18{ls}",
    r"\operatorname{__import__}(N)",
    "9^9^9^9",
    "2^(10^100)",
    "exp(10^5000 * log(2))",
    "exp(10^300 * log(2 N))",
    "(2 N)^(10^20)",
    "(10^999+7)^(1/3)",
    "1/0",
    "N\x00",
    "%s%s%n",
    "N" + "^N" * 240,
]

JUDGES = {
    "expression": expression("exp(q_sq/(2 sqrt(D)))", KERNEL_ATTENTION, substitutions=["sigma^2 = sqrt(D)"]),
    "equation": equation("sqrt(D)", "sigma^2", KERNEL_ATTENTION),
    "big_o": big_o("N D D_random + N D_random M", KERNEL_ATTENTION, substitutions=["L = 2 D_random"]),
    "inequality": inequality("d_ap < d_an < d_ap + alpha", TRIPLET_LOSS,
                             {"d_ap": (0, 2), "d_an": (0, 2), "alpha": (0, 1)}),
    "number": number(1.6e9, rel_tol=0.05),
}


@pytest.fixture(scope="module")
def warmed_up():
    """Run every judge once, so lazy imports (which execute module code) happen before recording."""
    for judge in JUDGES.values():
        judge(r"\sqrt{D} < N")
        judge("N")
    JUDGES["big_o"]("N D")


@pytest.fixture
def forbidden(monkeypatch, warmed_up):
    """Record any call of eval, exec, SymPy's string parser or a subprocess while answers are judged."""
    calls = []
    import sympy.parsing.sympy_parser as sympy_parser
    monkeypatch.setattr(builtins, "eval", lambda *a, **k: calls.append(("eval", a)))
    monkeypatch.setattr(builtins, "exec", lambda *a, **k: calls.append(("exec", a)))
    monkeypatch.setattr(sympy_parser, "parse_expr", lambda *a, **k: calls.append(("parse_expr", a)))
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: calls.append(("Popen", a)))
    return calls


@pytest.mark.parametrize("kind", sorted(JUDGES))
@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: repr(a[:30]))
def test_hostile_answers_are_invalid_quickly_and_run_nothing(attack, kind, forbidden):
    start = time.perf_counter()
    verdict = JUDGES[kind](attack)
    elapsed = time.perf_counter() - start
    assert verdict.status is Status.INVALID, (verdict.status, verdict.feedback)
    assert verdict.fraction == 0.0
    assert elapsed < 1.0
    assert forbidden == []


def test_the_answer_shown_in_evidence_is_capped():
    verdict = JUDGES["expression"]("x" * 10_000)
    assert len(verdict.evidence["answer"]) < 300


def test_right_answers_also_run_nothing(forbidden):
    assert JUDGES["expression"](r"\exp\left(\frac{\|q\|^2}{2\sigma^2}\right)").status is Status.PASSED
    assert JUDGES["equation"]("sigma = D^(1/4)").status is Status.PASSED
    assert JUDGES["big_o"](r"\mathcal{O}(N D_{random}(D+M))").status is Status.PASSED
    assert JUDGES["inequality"](r"d_{ap} < d_{an} < d_{ap} + \alpha").status is Status.PASSED
    assert forbidden == []


@pytest.mark.parametrize("answer", [12, 1.5, ["N"], {"a": "N"}, True, b"N"])
def test_wrong_types_are_invalid_or_read_as_numbers(answer):
    verdict = JUDGES["expression"](answer)
    expected = Status.FAILED if isinstance(answer, (int, float)) and not isinstance(answer, bool) else Status.INVALID
    assert verdict.status is expected

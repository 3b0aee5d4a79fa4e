"""answers.yaml as students write it: LaTeX in double quotes, one broken entry, alias bombs (issue 11)."""
from __future__ import annotations

import yaml

from graders.answer_sheet import MAX_SHEET_BYTES, read_answer_sheet, recover_tex_escapes
from graders.model import Status
from graders.suites.kernel_attention import decomposition_checks


def test_one_invalid_escape_no_longer_drops_the_whole_sheet():
    sheet = ('gaussian_decomposition:\n  sigma_sq: "\\sqrt{D}"\n  query_factor: "\\exp(\\|q\\|^2/(2\\sigma^2))"\n'
             "attention_cost: 'O(N D D_random + N D_random M)'\n")
    answers, problems, notices, _ = read_answer_sheet(sheet)
    assert answers["gaussian_decomposition"] == {"sigma_sq": r"\sqrt{D}", "query_factor": r"\exp(\|q\|^2/(2\sigma^2))"}
    assert answers["attention_cost"] == "O(N D D_random + N D_random M)"
    assert problems == () and any("line 3" in n and r"\|" in n for n in notices)


def test_a_form_feed_from_frac_is_recovered_and_said():
    answers, problems, notices, _ = read_answer_sheet('gaussian_decomposition:\n  key_factor: "e^{\\frac{k_sq}{2 sigma^2}}"\n')
    key_factor = answers["gaussian_decomposition"]["key_factor"]
    assert key_factor == r"e^{\frac{k_sq}{2 sigma^2}}" and "\f" not in key_factor
    assert problems == () and notices == (notices[0],) and "line 2" in notices[0] and r"\frac" in notices[0]
    judge = decomposition_checks[2].judge
    assert judge(key_factor).status is Status.PASSED


def test_every_tex_command_that_starts_with_a_yaml_escape_is_kept():
    for command in ("frac", "text", "beta", "nabla", "exp", "right", "alpha", "vec", "times", "top", "Lambda"):
        answers, problems, notices, _ = read_answer_sheet(f'a: "\\{command}"\n')
        assert answers == {"a": "\\" + command}, command
        assert notices and not problems


def test_real_yaml_escapes_and_other_quotes_are_left_alone():
    sheet = ("plain: \"line1\\nline2\\ttab \\\\ \\\"q\\\"\"\n"
             "single: '\\frac{1}{2} and it''s fine'\n"
             "block: |\n  a \"quoted \\frac\" line\n  and \\n stays\n"
             "# a comment with \"\\frac\n"
             "after: 'kept'\n")
    answers, problems, notices, _ = read_answer_sheet(sheet)
    assert answers["plain"] == 'line1\nline2\ttab \\ "q"'
    assert answers["single"] == r"\frac{1}{2} and it's fine"
    assert answers["block"] == 'a "quoted \\frac" line\nand \\n stays\n'
    assert answers["after"] == "kept"
    assert problems == ()


def test_a_syntax_error_costs_only_its_own_entry():
    sheet = "a: 1\nb: [unclosed\nc: 'ok'\nd:\n  x: 2\n"
    answers, problems, notices, _ = read_answer_sheet(sheet)
    assert answers == {"a": 1, "c": "ok", "d": {"x": 2}}
    assert len(problems) == 1 and "line 2" in problems[0] and "'b'" in problems[0]


def test_anchors_and_aliases_are_refused_before_anything_is_composed(monkeypatch):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b]\nd: 'ok'\n"
    composed = []
    original = yaml.composer.Composer.compose_node

    def spy(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            composed.append("alias")
        return original(self, parent, index)

    monkeypatch.setattr(yaml.composer.Composer, "compose_node", spy)
    answers, problems, notices, _ = read_answer_sheet(bomb)
    assert answers == {"d": "ok"}
    assert composed == []
    assert len(problems) == 3 and all("aliases" in p for p in problems)


def test_oversized_sheets_are_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(yaml, "load", lambda *a, **k: (_ for _ in ()).throw(AssertionError("parsed")))
    answers, problems, notices, _ = read_answer_sheet("a: '" + "x" * MAX_SHEET_BYTES + "'\n")
    assert answers == {} and "too large" in problems[0]


def test_what_was_read_passes_the_plain_answers_gate():
    answers, problems, notices, _ = read_answer_sheet("a: " + "9" * 500 + "\nb: 'fine'\nc: 2020-01-01\n")
    assert answers == {"b": "fine", "c": "2020-01-01"}
    assert any("'a'" in p and "digits" in p for p in problems)


def test_recovery_reports_lines():
    text, recovered = recover_tex_escapes('x: 1\ny: "\\sigma^2 = \\sqrt{D}"\n')
    assert yaml.safe_load(text) == {"x": 1, "y": r"\sigma^2 = \sqrt{D}"}
    assert recovered == [(2, "sigma"), (2, "sqrt")]


def test_an_entry_yaml_cannot_read_is_named_with_its_own_fix():
    sheet = read_answer_sheet("attention_cost: O(N D)\ncausal_cost: O(N c_phi + N L M) where L: 2 D_r\n")
    assert sheet.answers == {"attention_cost": "O(N D)"} and list(sheet.unreadable) == ["causal_cost"]
    assert "line 2" in sheet.unreadable["causal_cost"] and "single quotes" in sheet.unreadable["causal_cost"]
    assert "': '" in sheet.unreadable["causal_cost"] and sheet.problems == tuple(sheet.unreadable.values())

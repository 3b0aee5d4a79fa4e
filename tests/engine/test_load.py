import json
import os
import zipfile

import pytest

from graders.load import LoadError, load_submission, load_submissions


def test_single_file_folder_zip_and_class_folder(tmp_path):
    (tmp_path / "class" / "alice").mkdir(parents=True)
    (tmp_path / "class" / "alice" / "kernel_attention.py").write_text("x = 1\n")
    (tmp_path / "class" / "alice" / "answers.yaml").write_text("causal_cost: O(N)\n")
    (tmp_path / "class" / "bob.py").write_text("y = 2\n")
    (tmp_path / "class" / "README.md").write_text("# Homework 3 hand-ins, downloaded on Monday\n")
    (tmp_path / "class" / "dave.md").write_text("My write-up\n```python\nx = 1\n```\n")
    (tmp_path / "class" / "erin.md").write_text("Another write-up\n")
    with zipfile.ZipFile(tmp_path / "class" / "carol.zip", "w") as archive:
        archive.writestr("carol/kernel_attention.py", "z = 3\n")
        archive.writestr("../evil.py", "boom\n")
    found = {s.id: s for s in load_submissions([tmp_path / "class"], "kernel_attention")}
    assert sorted(found) == ["alice", "bob", "carol", "dave", "erin"]          # the class's own README is not a hand-in
    assert found["alice"].answers == {"causal_cost": "O(N)"} and found["alice"].code_file == "kernel_attention.py"
    assert found["bob"].code_file == "bob.py"
    assert found["carol"].files == {"kernel_attention.py": b"z = 3\n"}


def test_bad_yaml_is_a_problem_that_says_how_to_fix_it(tmp_path):
    (tmp_path / "kernel_attention.py").write_text("")
    (tmp_path / "answers.yaml").write_text("sigma_sq: \\sqrt{D}: x\n")
    submission = load_submission(tmp_path, "kernel_attention")
    assert submission.answers == {} and "not valid YAML" in submission.problems[0].message and "line 1" in submission.problems[0].message
    assert submission.problems[0].kind == "bad-answers-file"


def test_latex_recovered_from_double_quotes_is_a_notice_not_an_error(tmp_path):
    """A recovery cost nothing: said once per line, never counted as an error (stranger ka2/yaml-doublequoted)."""
    from graders.grade import _submission_errors
    from graders.sandbox import RunResult
    from graders.suite import load_suite
    (tmp_path / "kernel_attention.py").write_text("x = 1\n")
    (tmp_path / "answers.yaml").write_text('a: "e^{\\frac{1}{2}}"\nb: "\\sigma^2"\n')
    submission = load_submission(tmp_path, "kernel_attention")
    assert submission.answers == {"a": r"e^{\frac{1}{2}}", "b": r"\sigma^2"}
    assert submission.problems == () and len(submission.notices) == 2 and "line 1" in submission.notices[0]
    run = RunResult((), None, (), "", "", 0.0)
    assert _submission_errors(load_suite("kernel_attention"), submission, run) == []


def test_missing_path_is_a_usage_error(tmp_path):
    with pytest.raises(LoadError):
        list(load_submissions([tmp_path / "nope"], "kernel_attention"))


# ------------------------------------------------------------------------------ hostile or merely unusual input
def _zip(path, members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _encrypt_flag(path):
    """Mark every member as encrypted (zipfile cannot write encrypted members)."""
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            data[start + offset] |= 1
            start += 4
    path.write_bytes(bytes(data))


def test_zip_with_dot_member_and_absolute_names_is_read_without_them(tmp_path):
    archive = _zip(tmp_path / "s.zip", {".": b"", "/etc/x.py": b"", "./kernel_attention.py": b"x = 1\n"})
    submission = load_submission(archive, "kernel_attention")
    assert submission.files == {"kernel_attention.py": b"x = 1\n"} and "unsafe name" in " ".join(p.message for p in submission.problems)


def test_encrypted_zip_member_is_a_problem_not_a_crash(tmp_path):
    archive = _zip(tmp_path / "s.zip", {"kernel_attention.py": b"x = 1\n"})
    _encrypt_flag(archive)
    submission = load_submission(archive, "kernel_attention")
    assert submission.files == {} and "encrypted" in submission.problems[0].message
    assert submission.problems[0].kind == "zip-member-left-out"


def test_zip_bomb_member_is_refused_before_it_is_inflated(tmp_path):
    archive = _zip(tmp_path / "s.zip", {"kernel_attention.py": b"x = 1\n", "data.bin": b"\0" * (64 * 2**20)})
    assert archive.stat().st_size < 2**20
    submission = load_submission(archive, "kernel_attention")
    assert "data.bin" not in submission.files and "too large (64.0 MiB): limit 5.0 MiB" in submission.problems[0].message


def test_damaged_zip_is_a_problem(tmp_path):
    (tmp_path / "s.zip").write_bytes(b"PK\x03\x04 not really a zip")
    problem = load_submission(tmp_path / "s.zip", "kernel_attention").problems[0]
    assert "damaged" in problem.message and problem.kind == "bad-zip"


def test_large_file_is_left_out_and_said_not_truncated(tmp_path):
    (tmp_path / "kernel_attention.py").write_bytes(b"#" * (6 * 2**20))
    submission = load_submission(tmp_path, "kernel_attention")
    assert submission.files == {} and "too large" in submission.problems[0].message and "limit 5.0 MiB" in submission.problems[0].message
    assert submission.problems[0].kind == "file-not-read"


def test_notebook_outputs_are_stripped_before_the_size_cap(tmp_path):
    image = "A" * (8 * 2**20)
    cell = {"cell_type": "code", "source": "def f(x):\n    return x\n", "metadata": {}, "execution_count": 3,
            "outputs": [{"output_type": "display_data", "data": {"image/png": image}, "metadata": {}}]}
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "kernel_attention.ipynb").write_text(json.dumps(notebook))
    submission = load_submission(tmp_path / "kernel_attention.ipynb", "kernel_attention")
    kept = json.loads(submission.files["kernel_attention.ipynb"])
    assert not submission.problems and kept["cells"][0]["outputs"] == [] and "def f" in kept["cells"][0]["source"]


def test_non_utf8_names_become_safe_unique_ids(tmp_path):
    root = os.fsencode(tmp_path / "class")
    os.makedirs(root)
    for raw in (b"caf\xe9", b"caf\xef\xbf\xbd", b"CAF\xe9"):
        os.makedirs(os.path.join(root, raw))
        with open(os.path.join(root, raw, b"kernel_attention.py"), "wb") as f:
            f.write(b"x = 1\n")
        with open(os.path.join(root, raw, b"not-utf8-\xff.py"), "wb") as f:
            f.write(b"y = 2\n")
    found = list(load_submissions([tmp_path / "class"], "kernel_attention"))
    ids = [s.id for s in found]
    assert len(ids) == 3 and len({i.casefold() for i in ids}) == 3
    for submission in found:
        submission.id.encode("utf-8")
        assert all(n.encode("utf-8") for n in submission.files)
    assert ids == [s.id for s in load_submissions([tmp_path / "class"], "kernel_attention")]      # stable


def test_fifos_and_symlinks_in_a_folder_are_not_read(tmp_path):
    (tmp_path / "kernel_attention.py").write_text("x = 1\n")
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "secret.py").symlink_to("/etc/passwd")
    assert set(load_submission(tmp_path, "kernel_attention").files) == {"kernel_attention.py"}


@pytest.mark.parametrize("text, problem", [
    ("causal_cost: " + "9" * 5000 + "\n", "could not be read"),
    ("causal_cost: 0x" + "f" * 5000 + "\n", "more than 100 digits"),
    ("causal_cost: " + "[" * 3000 + "]" * 3000 + "\n", "could not be read"),
    ("causal_cost: " + "[" * 40 + "]" * 40 + "\n", "nested too deeply"),
    ("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n", "aliases"),
    ("causal_cost: .inf\n", "finite"),
    ("causal_cost: " + "x" * 30_000 + "\n", "too long"),
])
def test_hostile_answers_yaml_is_a_problem_never_an_exception(tmp_path, text, problem):
    (tmp_path / "answers.yaml").write_text(text)
    submission = load_submission(tmp_path, "kernel_attention")
    assert problem in " ".join(p.message for p in submission.problems)
    json.dumps(submission.answers)


def test_dates_in_answers_yaml_stay_text(tmp_path):
    (tmp_path / "answers.yaml").write_text("causal_cost: 2020-01-01\nsigma_sq: 2\n")
    submission = load_submission(tmp_path, "kernel_attention")
    assert submission.answers == {"causal_cost": "2020-01-01", "sigma_sq": 2} and not submission.problems


def test_one_bad_answer_costs_only_that_answer(tmp_path):
    (tmp_path / "answers.yaml").write_text("causal_cost: O(N)\nsigma_sq: 0x" + "f" * 5000 + "\n")
    submission = load_submission(tmp_path, "kernel_attention")
    assert submission.answers == {"causal_cost": "O(N)"} and "'sigma_sq'" in submission.problems[0].message


def test_the_answers_gate_takes_plain_data_and_names_what_is_not():
    import numpy as np

    from graders.plain_answers import plain_answers
    from graders.wire import Unsupported
    answers, problems = plain_answers({"a": np.float32(0.5), "b": np.array(2.0), "c": np.zeros(3),
                                       "d": Unsupported("datetime"), "e": ("x", 1), 7: True, "f": "\ud800"},
                                      source="ANSWERS")
    assert answers == {"a": 0.5, "b": 2.0, "e": ["x", 1], "7": True, "f": "?"}
    assert len(problems) == 2 and "'c' is an array" in problems[0] and "datetime" in problems[1]
    json.dumps(answers)

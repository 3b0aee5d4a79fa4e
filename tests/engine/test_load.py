import zipfile

import pytest

from graders.load import LoadError, load_submission, load_submissions


def test_single_file_folder_zip_and_class_folder(tmp_path):
    (tmp_path / "class" / "alice").mkdir(parents=True)
    (tmp_path / "class" / "alice" / "kernel_attention.py").write_text("x = 1\n")
    (tmp_path / "class" / "alice" / "answers.yaml").write_text("causal_cost: O(N)\n")
    (tmp_path / "class" / "bob.py").write_text("y = 2\n")
    with zipfile.ZipFile(tmp_path / "class" / "carol.zip", "w") as archive:
        archive.writestr("carol/kernel_attention.py", "z = 3\n")
        archive.writestr("../evil.py", "boom\n")
    found = {s.id: s for s in load_submissions([tmp_path / "class"], "kernel_attention")}
    assert sorted(found) == ["alice", "bob", "carol"]
    assert found["alice"].answers == {"causal_cost": "O(N)"} and found["alice"].code_file == "kernel_attention.py"
    assert found["bob"].code_file == "bob.py"
    assert found["carol"].files == {"kernel_attention.py": b"z = 3\n"}


def test_bad_yaml_is_a_problem_that_says_how_to_fix_it(tmp_path):
    (tmp_path / "kernel_attention.py").write_text("")
    (tmp_path / "answers.yaml").write_text("sigma_sq: \\sqrt{D}: x\n")
    submission = load_submission(tmp_path, "kernel_attention")
    assert submission.answers == {} and "not valid YAML" in submission.problems[0] and "line 1" in submission.problems[0]


def test_missing_path_is_a_usage_error(tmp_path):
    with pytest.raises(LoadError):
        list(load_submissions([tmp_path / "nope"], "kernel_attention"))

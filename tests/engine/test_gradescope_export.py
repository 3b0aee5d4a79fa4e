"""Reading a Gradescope "Export Submissions" folder (graders/gradescope_export.py), built here to Gradescope's
documented layout: submission_metadata.yml beside submission_<id>/ folders, Ruby-symbol keys."""
from __future__ import annotations

from pathlib import Path

import pytest

from graders.gradescope_export import METADATA, ExportError, find_export, read_export
from graders.model import Student

METADATA_TEXT = """\
submission_101:
  :submitters:
  - :name: Ada Lovelace
    :sid: '1815'
    :email: ada@example.edu
  :created_at: 2026-03-06 23:40:11.123456789 -08:00
  :score: !ruby/object:BigDecimal 18:0.0
  :status: processed
  :history: []
submission_202:
  :submitters:
  - :name: Charles Babbage
    :sid: '1791'
    :email: charles@example.edu
  - :name: Mary Somerville
    :sid: '1780'
    :email: mary@example.edu
  :created_at: 2026-03-08 04:12:00.000000000 -0700
  :history:
  - :created_at: 2026-03-05 10:00:00.000000000 -08:00
    :score: 0.0
submission_303:
  :submitters:
  - :name: Nobody Here
    :sid: '1'
  :created_at: 2026-03-06 10:00:00.000000000 -08:00
"""


def write_export(root: Path, metadata: str = METADATA_TEXT, folders=("submission_101", "submission_202")) -> Path:
    export = root / "assignment_4242_export"
    export.mkdir(parents=True)
    (export / METADATA).write_text(metadata)
    for name in folders:
        (export / name).mkdir()
        (export / name / "kernel_attention.py").write_text("# hand-in\n")
    return export


def test_an_export_is_found_at_its_folder_or_as_the_only_folder_of_the_unzipped_download(tmp_path):
    export = write_export(tmp_path)
    assert find_export(export) == export
    assert find_export(tmp_path) == export
    assert find_export(export / "submission_101") is None
    (tmp_path / "notes.txt").write_text("x")
    assert find_export(tmp_path) is None                # a folder with other things is an ordinary class


def test_every_exported_folder_is_one_submission_with_students_and_time(tmp_path):
    found = read_export(write_export(tmp_path))
    assert [s.id for s in found] == ["submission_101", "submission_202"]   # 303 has no folder: not graded
    ada, group = found
    assert ada.students == (Student("Ada Lovelace", "ada@example.edu", "1815"),)
    assert ada.submitted_at == "2026-03-06T23:40:11.123456-08:00"
    assert [s.name for s in group.students] == ["Charles Babbage", "Mary Somerville"]
    assert group.submitted_at == "2026-03-08T04:12:00-07:00"
    assert ada.folder.name == "submission_101" and (ada.folder / "kernel_attention.py").is_file()


def test_plain_keys_and_missing_times_are_read_too(tmp_path):
    found = read_export(write_export(tmp_path, "submission_101:\n  submitters:\n  - name: Ada\n    sid: 7\n",
                                     folders=("submission_101",)))
    assert found[0].students == (Student("Ada", "", "7"),) and found[0].submitted_at is None


@pytest.mark.parametrize("text, message", [("- just\n- a list\n", "does not map"), ("a: [unclosed\n", "not valid YAML"),
                                           ("submission_101:\n  :created_at: yesterday evening\n", "submission time")])
def test_a_broken_metadata_file_is_a_usage_error_naming_the_file(tmp_path, text, message):
    with pytest.raises(ExportError, match=message):
        read_export(write_export(tmp_path, text, folders=("submission_101",)))


def test_loading_an_export_gives_one_submission_per_folder_with_its_students(tmp_path):
    from graders.load import load_submissions
    write_export(tmp_path)
    submissions = list(load_submissions([tmp_path], "kernel_attention"))
    assert [s.id for s in submissions] == ["submission_101", "submission_202"]
    assert submissions[0].code_file == "kernel_attention.py" and "kernel_attention.py" in submissions[0].files
    assert [s.sid for s in submissions[1].students] == ["1791", "1780"]
    assert submissions[1].submitted_at == "2026-03-08T04:12:00-07:00"
    assert "submission_metadata.yml" not in submissions[0].files

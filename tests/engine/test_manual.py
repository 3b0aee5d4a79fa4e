import pytest

from graders.manual import ManualScoreError, apply_manual_scores, read_manual_scores


def result(submission="alice"):
    return {"submission": submission, "assignment": "triplet_loss", "score": 3.0, "max_score": 7.0, "questions": [
        {"id": "batch_all", "score": 3.0, "max_score": 3.0, "manual": False,
         "checks": [{"name": "values", "status": "passed", "score": 3.0, "max_score": 3.0}]},
        {"id": "triplet_mining", "score": None, "max_score": 2.0, "manual": True,
         "checks": [{"name": "answer", "status": "manual", "score": None, "max_score": 2.0}]},
        {"id": "semi_hard_definition", "score": None, "max_score": 2.0, "manual": False,
         "checks": [{"name": "inequality", "status": "manual", "score": None, "max_score": 2.0}]},
    ]}


def write(tmp_path, text):
    path = tmp_path / "scores.csv"
    path.write_text(text)
    return path


def test_scores_merge_into_questions_and_total_and_merging_twice_changes_nothing(tmp_path):
    path = write(tmp_path, "submission,question,score,comment\nalice,triplet_mining,1.5,good\n"
                           "alice,semi_hard_definition,2,undecided by the checker; right\n")
    scores = read_manual_scores(path, {"alice": result()})
    once = apply_manual_scores(result(), scores)
    twice = apply_manual_scores(once, read_manual_scores(path, {"alice": once}))
    assert once == twice
    assert once["score"] == 6.5 and once["questions"][1]["score"] == 1.5
    assert once["questions"][1]["checks"][0]["manual_comment"] == "good"


@pytest.mark.parametrize("row, message", [
    ("alice,triplet_mining,2.5,", "outside 0..2"),
    ("alice,nope,1,", "unknown question 'nope'"),
    ("bob,triplet_mining,1,", "unknown submission 'bob'"),
    ("alice,batch_all,1,", "no check waiting"),
    ("alice,triplet_mining,lots,", "not a number"),
])
def test_bad_rows_are_rejected_with_their_line(tmp_path, row, message):
    path = write(tmp_path, f"submission,question,score,comment\n{row}\n")
    with pytest.raises(ManualScoreError, match=message) as error:
        read_manual_scores(path, {"alice": result()})
    assert "line 2" in str(error.value) and "nothing merged" in str(error.value)


def test_a_header_without_the_needed_columns_is_rejected(tmp_path):
    with pytest.raises(ManualScoreError, match="missing score"):
        read_manual_scores(write(tmp_path, "submission,question\nalice,x\n"), {"alice": result()})

"""The late policy (graders/late.py): deadlines in a time zone, grace, penalty per day or hour, cut-off,
extensions; applied to results, outside grading."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from graders.late import LatePolicyError, apply_late_policy, describe_delay, graded_content, read_policy

POLICY = {"deadline": "2026-03-06 23:59", "time_zone": "America/Los_Angeles", "grace_minutes": 15,
          "penalty_percent": 10, "per": "day", "cutoff_days": 3}


def policy(tmp_path: Path, **changes):
    return read_policy({"late": {**POLICY, **changes}}, tmp_path)


def late(data_time: str, the_policy, score=20.0, **more) -> dict:
    return apply_late_policy({"submission": "s1", "score": score, "submitted_at": data_time, **more}, the_policy)


@pytest.mark.parametrize("submitted, text, percent", [
    ("2026-03-06T23:59:00-08:00", "submitted on time", 0),
    ("2026-03-07T00:10:00-08:00", "submitted 11 minutes late, within the grace period: no penalty", 0),
    ("2026-03-07T09:00:00-08:00", "submitted 9 hours 1 minute late: -10%", 10),
    ("2026-03-08T03:59:00-07:00", "submitted 1 day 3 hours late: -20%", 20),      # clocks went forward on Mar 8
    ("2026-03-10T08:00:00-07:00", "submitted 3 days 7 hours late, after the cut-off: -100%", 100),
    ("2026-03-07T07:59:00Z", "submitted on time", 0),                              # the same instant in UTC
])
def test_penalty_per_started_day_after_the_deadline_in_its_time_zone(tmp_path, submitted, text, percent):
    block = late(submitted, policy(tmp_path))["late"]
    assert block["text"] == text and block["penalty_percent"] == percent
    assert block["raw_score"] == 20 and block["final_score"] == pytest.approx(20 * (1 - percent / 100))
    assert block["penalty_points"] == pytest.approx(20 * percent / 100)


def test_per_hour_penalties_count_started_hours(tmp_path):
    block = late("2026-03-07T02:30:00-08:00", policy(tmp_path, per="hour", penalty_percent=5, grace_minutes=0))["late"]
    assert block["text"] == "submitted 2 hours 31 minutes late: -15%" and block["final_score"] == 17


def test_an_extension_moves_the_deadline_for_every_member_of_the_group(tmp_path):
    (tmp_path / "extensions.csv").write_text("student,days\n1780,2\nada@example.edu,0.5\n")
    the_policy = policy(tmp_path, extensions="extensions.csv")
    group = [{"name": "Charles", "sid": "1791", "email": ""}, {"name": "Mary", "sid": "1780", "email": ""}]
    block = late("2026-03-08T20:00:00-07:00", the_policy, students=group)["late"]
    assert block["penalty_percent"] == 0 and block["extension_days"] == 2
    assert block["text"] == "submitted on time (extension of 2 days)"
    alone = late("2026-03-08T20:00:00-07:00", the_policy, students=group[:1])["late"]
    assert alone["penalty_percent"] == 20


def test_changing_the_policy_reapplies_to_the_same_results(tmp_path):
    graded = late("2026-03-07T09:00:00-08:00", policy(tmp_path))
    assert graded["late"]["final_score"] == 18
    again = apply_late_policy(graded, policy(tmp_path, penalty_percent=25))
    assert again["late"]["final_score"] == 15 and again["score"] == 20
    assert "late" not in apply_late_policy(graded, None)
    assert "late" not in apply_late_policy({"submission": "s", "score": 3}, policy(tmp_path))


@pytest.mark.parametrize("changes, message", [({"time_zone": None}, "needs a time zone"),
                                              ({"time_zone": "Mars/Olympus"}, "unknown time zone"),
                                              ({"per": "week"}, "per must be"), ({"deadline": "soon"}, "not a date"),
                                              ({"late_by": 1}, "unknown fields"),
                                              ({"penalty_percent": "ten"}, "must be a number"),
                                              ({"grace_minutes": -5}, ">= 0"),
                                              ({"extensions": "missing.csv"}, "does not exist")])
def test_a_wrong_policy_names_what_to_fix(tmp_path, changes, message):
    with pytest.raises(LatePolicyError, match=message):
        policy(tmp_path, **changes)


def test_a_bad_extensions_line_is_named(tmp_path):
    (tmp_path / "extensions.csv").write_text("student,days\n1780,two\n")
    with pytest.raises(LatePolicyError, match="line 2"):
        policy(tmp_path, extensions="extensions.csv")


def test_the_regrade_fingerprint_ignores_the_late_policy(tmp_path):
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(yaml.safe_dump({"assignment": "a", "questions": [], "late": {**POLICY, "extensions": "e.csv"}}))
    before = graded_content(manifest)
    manifest.write_text(yaml.safe_dump({"assignment": "a", "questions": [], "late": {**POLICY, "penalty_percent": 50}}))
    assert graded_content(manifest) == before
    (tmp_path / "e.csv").write_text("student,days\n")
    manifest.write_text(yaml.safe_dump({"assignment": "a", "questions": [], "late": {**POLICY, "extensions": "e.csv"}}))
    assert graded_content(tmp_path / "e.csv") == b""
    manifest.write_text(yaml.safe_dump({"assignment": "b", "questions": []}))
    assert graded_content(manifest) != before


def test_delays_read_as_days_and_hours():
    assert describe_delay(dt.timedelta(days=1, hours=3, minutes=5)) == "1 day 3 hours"
    assert describe_delay(dt.timedelta(hours=2, minutes=1)) == "2 hours 1 minute"
    assert describe_delay(dt.timedelta(seconds=12)) == "12 seconds"

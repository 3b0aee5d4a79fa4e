"""The late policy: applied to graded results, never part of grading, so changing it never regrades.

An assignment's manifest may hold

    late:
      deadline: "2026-03-06 23:59"       # local time in time_zone (or ISO 8601 with an offset)
      time_zone: America/Los_Angeles     # an IANA zone: daylight saving is handled
      grace_minutes: 15                  # submitted up to this long after the deadline: on time
      penalty_percent: 10                # of the score, per started `per` after the deadline
      per: day                           # day | hour
      cutoff_days: 3                     # later than this after the deadline: the score is 0 (optional)
      extensions: extensions.csv         # beside the manifest (optional): columns student,days

`student` in the extensions file is a SID, an email or a submission id; `days` may be fractional. A group
gets the longest extension any member has; an extension moves the deadline (and the cut-off) for them.

`apply_late_policy(results)` adds `late` to a results.json dict that knows its submission time:
{"submitted_at", "deadline", "extension_days", "late_s", "penalty_percent", "raw_score", "penalty_points",
"final_score", "text"}, e.g. text "submitted 1 day 3 hours late: -20%". `score` stays the raw score (the sum
of the questions); reports show raw score, penalty and final score. Without a policy, or without a
submission time, there is no `late` block.
"""
from __future__ import annotations

import csv
import datetime as dt
import math
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

import yaml

__all__ = ["LatePolicy", "LatePolicyError", "read_policy", "late_policy", "apply_late_policy", "stamp_late_policy",
           "late_changed", "graded_content", "describe_delay"]

_UNITS = {"day": dt.timedelta(days=1), "hour": dt.timedelta(hours=1)}


class LatePolicyError(ValueError):
    """A late policy or extensions file staff must fix; names the file and the field."""


@dataclass(frozen=True)
class LatePolicy:
    deadline: dt.datetime                            # aware
    grace: dt.timedelta = dt.timedelta(0)
    penalty_percent: float = 0.0
    per: str = "day"
    cutoff: dt.timedelta | None = None
    extensions: dict[str, float] = field(default_factory=dict)      # SID, email or submission id -> days

    def extension_days(self, data: dict) -> float:
        keys = {data["submission"].lower()}
        for student in data.get("students") or []:
            keys |= {str(student.get("sid", "")).lower(), str(student.get("email", "")).lower()}
        return max([self.extensions[k] for k in keys - {""} if k in self.extensions], default=0.0)


def _aware(text: str, zone: str | None, where: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(str(text).strip())
    except ValueError:
        raise LatePolicyError(f"{where}: deadline {text!r} is not a date and time like '2026-03-06 23:59'") from None
    if moment.tzinfo is not None:
        return moment
    if not zone:
        raise LatePolicyError(f"{where}: the deadline needs a time zone: add time_zone (e.g. Europe/Berlin)")
    try:
        return moment.replace(tzinfo=zoneinfo.ZoneInfo(zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise LatePolicyError(f"{where}: unknown time zone {zone!r}") from None


def _read_extensions(path: Path) -> dict[str, float]:
    if not path.is_file():
        raise LatePolicyError(f"extensions file {path} does not exist")
    extensions = {}
    with path.open(newline="", encoding="utf-8") as stream:
        for line, row in enumerate(csv.DictReader(stream), start=2):
            student, days = (row.get("student") or "").strip(), (row.get("days") or "").strip()
            try:
                value = float(days)
            except ValueError:
                raise LatePolicyError(f"{path}, line {line}: days must be a number, not {days!r}") from None
            if not student or value < 0 or not math.isfinite(value):
                raise LatePolicyError(f"{path}, line {line}: needs a student and a number of days >= 0")
            extensions[student.lower()] = max(value, extensions.get(student.lower(), 0.0))
    return extensions


def _number(spec: dict, key: str, default: float | None, where: str) -> float | None:
    value = spec.get(key)
    if value is None:
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise LatePolicyError(f"{where}: {key} must be a number, not {value!r}") from None
    if number < 0 or not math.isfinite(number):
        raise LatePolicyError(f"{where}: {key} must be a number >= 0, not {value!r}")
    return number


def read_policy(manifest: dict, folder: Path) -> LatePolicy | None:
    """The `late:` block of a manifest (its extensions file is read from `folder`), or None."""
    spec = manifest.get("late")
    if not spec:
        return None
    where = f"{folder / 'manifest.yaml'}, late"
    unknown = set(spec) - {"deadline", "time_zone", "grace_minutes", "penalty_percent", "per", "cutoff_days",
                           "extensions"}
    if unknown:
        raise LatePolicyError(f"{where}: unknown fields {sorted(unknown)}")
    if spec.get("per", "day") not in _UNITS:
        raise LatePolicyError(f"{where}: per must be 'day' or 'hour', not {spec.get('per')!r}")
    cutoff = _number(spec, "cutoff_days", None, where)
    return LatePolicy(
        deadline=_aware(spec.get("deadline", ""), spec.get("time_zone"), where),
        grace=dt.timedelta(minutes=_number(spec, "grace_minutes", 0.0, where)),
        penalty_percent=_number(spec, "penalty_percent", 0.0, where),
        per=spec.get("per", "day"),
        cutoff=None if cutoff is None else dt.timedelta(days=cutoff),
        extensions=_read_extensions(folder / spec["extensions"]) if spec.get("extensions") else {})


def late_policy(assignment: str) -> LatePolicy | None:
    """The assignment's late policy as its manifest says now (read afresh: staff may just have changed it)."""
    from .suite import assignment_folder, read_manifest
    return read_policy(read_manifest(assignment), assignment_folder(assignment))


def describe_delay(delay: dt.timedelta) -> str:
    """1 day 3 hours; 2 hours 5 minutes; 40 minutes; 12 seconds."""
    seconds = int(delay.total_seconds())
    days, hours, minutes = seconds // 86400, seconds % 86400 // 3600, seconds % 3600 // 60
    parts = [(days, "day"), (hours, "hour")] if days else [(hours, "hour"), (minutes, "minute")]
    words = [f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n]
    return " ".join(words) or f"{seconds} second{'s' if seconds != 1 else ''}"


def _penalty(late: dt.timedelta, policy: LatePolicy) -> tuple[float, str]:
    """Percent taken off, and the sentence a student reads."""
    if late <= policy.grace:
        return 0.0, "submitted on time" if late <= dt.timedelta(0) else \
            f"submitted {describe_delay(late)} late, within the grace period: no penalty"
    if policy.cutoff is not None and late > policy.cutoff:
        return 100.0, f"submitted {describe_delay(late)} late, after the cut-off: -100%"
    started = math.ceil(late / _UNITS[policy.per] - 1e-9)
    percent = min(100.0, started * policy.penalty_percent)
    return percent, f"submitted {describe_delay(late)} late: -{percent:g}%"


def apply_late_policy(data: dict, policy: LatePolicy | None) -> dict:
    """results.json with its `late` block as `policy` says (none without a policy or a submission time)."""
    data = {k: v for k, v in data.items() if k != "late"}
    if policy is None or not data.get("submitted_at"):
        return data
    submitted = dt.datetime.fromisoformat(data["submitted_at"])
    if submitted.tzinfo is None:
        submitted = submitted.replace(tzinfo=policy.deadline.tzinfo)
    extension = policy.extension_days(data)
    deadline = policy.deadline + dt.timedelta(days=extension)
    late = submitted - deadline
    percent, text = _penalty(late, policy)
    raw = float(data.get("score") or 0.0)
    penalty = round(raw * percent / 100, 6)
    if extension:
        text += f" (extension of {extension:g} day{'s' if extension != 1 else ''})"
    data["late"] = {"submitted_at": data["submitted_at"], "deadline": deadline.isoformat(), "extension_days": extension,
                    "late_s": max(0.0, late.total_seconds()), "penalty_percent": percent, "raw_score": raw,
                    "penalty_points": penalty, "final_score": round(raw - penalty, 6), "text": text}
    return data


def stamp_late_policy(data: dict) -> None:
    """results.json data, in place: its `late` block as the assignment's policy says now."""
    stamped = apply_late_policy(data, late_policy(data["assignment"]))
    data.pop("late", None)
    data.update(stamped)


def late_changed(data: dict) -> bool:
    """Whether the current policy gives `data` another `late` block than it has (the policy was changed)."""
    return apply_late_policy(data, late_policy(data["assignment"])).get("late") != data.get("late")


def graded_content(path: Path) -> bytes:
    """What of an assignment's file grading depends on, for the regrade fingerprint: the manifest without its
    late policy, nothing of the extensions file; other files whole."""
    if path.name == "manifest.yaml":
        manifest = yaml.safe_load(path.read_bytes()) or {}
        if isinstance(manifest, dict) and "late" in manifest:
            return yaml.safe_dump({k: v for k, v in manifest.items() if k != "late"}, sort_keys=True).encode()
        return path.read_bytes()
    if _is_extensions_file(path):
        return b""
    return path.read_bytes()


def _is_extensions_file(path: Path) -> bool:
    manifest = path.parent / "manifest.yaml"
    if path.suffix != ".csv" or not manifest.is_file():
        return False
    spec = (yaml.safe_load(manifest.read_text()) or {}).get("late") or {}
    return spec.get("extensions") == path.name

"""The plain data that flows through the grader: frozen dataclasses and the Status enum.

Nothing here runs student code or knows HTML. Every stage takes and returns these types, so each stage can
be tested with hand-made values.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Status", "Verdict", "Series", "Chart", "Student", "Submission", "Call", "Outcome", "CheckResult",
           "QuestionResult", "SubmissionResult", "SubmissionError"]


class Status(str, enum.Enum):
    """A check's status, as written to results.json (see interfaces.md)."""
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"          # the student's code raised
    TIMEOUT = "timeout"      # the student's code ran past its wall-clock limit (or was killed)
    INVALID = "invalid"      # an answer that could not be parsed, or has the wrong type or shape
    MISSING = "missing"      # not provided at all
    MANUAL = "manual"        # a person decides: free text, or a math answer the checker could not decide


@dataclass(frozen=True)
class Verdict:
    """What one check concludes. `fraction` of the check's points is awarded (None for MANUAL)."""
    status: Status
    fraction: float | None
    feedback: str = ""
    note: str | None = None                  # stable kebab-case code of a known mistake, counted per class
    evidence: dict[str, Any] = field(default_factory=dict)   # plain data for reports (plots, inputs)

    @classmethod
    def passed(cls, feedback: str = "", note: str | None = None, **evidence: Any) -> "Verdict":
        return cls(Status.PASSED, 1.0, feedback, note, evidence)

    @classmethod
    def failed(cls, feedback: str, note: str | None = None, fraction: float = 0.0, **evidence: Any) -> "Verdict":
        return cls(Status.FAILED, fraction, feedback, note, evidence)

    @classmethod
    def invalid(cls, feedback: str, **evidence: Any) -> "Verdict":
        return cls(Status.INVALID, 0.0, feedback, None, evidence)

    @classmethod
    def manual(cls, feedback: str, **evidence: Any) -> "Verdict":
        return cls(Status.MANUAL, None, feedback, None, evidence)


@dataclass(frozen=True)
class Series:
    """One line, or one set of bars, of a chart: a label and one value per x (None where there is none)."""
    label: str
    values: tuple[float | None, ...]
    reference: bool = False                  # what the homework predicts: a dashed line, or the reference's bars


@dataclass(frozen=True)
class Chart:
    """Evidence any report can draw without knowing the assignment: a check's verdict carries
    `charts=[Chart(...)]`. kind "lines": series over numeric x on log-log axes (costs against N, errors
    against a sample size); kind "bars": grouped bars, one group per x label (a histogram beside the
    reference's). `alt` says in words what the chart shows (screen readers, text reports)."""
    kind: str                                # "lines" | "bars"
    title: str
    x_label: str
    y_label: str
    x: tuple[float | str, ...]
    series: tuple[Series, ...]
    alt: str


@dataclass(frozen=True)
class Student:
    """Who handed a submission in, as a course platform knows them (a Gradescope export's metadata)."""
    name: str
    email: str = ""
    sid: str = ""


@dataclass(frozen=True)
class Submission:
    """One student's hand-in, as found on disk. Loading reads files; it never imports them."""
    id: str
    assignment: str
    files: dict[str, bytes]                  # relative path -> content, copied into the sandbox as is
    code_file: str | None                    # the module to import, e.g. "kernel_attention.py"
    answers: dict[str, Any]                  # from answers.yaml (ANSWERS in code is read in the sandbox)
    source: Path | None = None
    problems: tuple["SubmissionError", ...] = ()   # real problems found while loading, each with its kind
    notices: tuple[str, ...] = ()            # what loading fixed at no cost (a recovered \f in answers.yaml)
    written: dict[str, Any] = field(default_factory=dict)   # answer path -> where a written solution's answer is
    students: tuple[Student, ...] = ()       # every member of a group submission; () when not known
    submitted_at: str | None = None          # ISO 8601 with its UTC offset, when the platform says
    unreadable: dict[str, str] = field(default_factory=dict)   # answers.yaml key there but unreadable -> why


@dataclass(frozen=True)
class Call:
    """One call of a student function on inputs the grader chose. Arguments are plain data:
    numpy arrays (sent as raw bytes), numbers, strings, lists/dicts of these, or a `Named` value the
    child resolves from a fixed table (a feature map, a seeded generator)."""
    function: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    measure_cost: bool = False               # count FLOPs / elements / numpy bytes while it runs
    timeout_s: float = 10.0
    seed: int = 0                            # torch, numpy and random are seeded with it before the call
    grad_wrt: int | None = None              # also return d(sum(cotangent * output)) / d(args[grad_wrt])
    cotangent: Any = None                    # an array shaped like the output (or its first item); None: ones
    report: bool = False                     # also return what model arguments saw (hooks left, modes, batches)


@dataclass(frozen=True)
class Outcome:
    """What came back from one Call, decoded strictly. Exactly one of value/error is meaningful."""
    status: Status                           # PASSED here means "returned"; ERROR, TIMEOUT, MISSING, INVALID;
                                             # FAILED: returned, but with no gradient where the call asked for one
    value: Any = None                        # numpy arrays, floats, ints, bools, str, lists, dicts
    error: str = ""                          # a message a student can act on
    cost: dict[str, float] = field(default_factory=dict)   # flops, elements, numpy_peak_bytes, seconds

    @property
    def returned(self) -> bool:
        return self.status is Status.PASSED


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: Status
    score: float | None
    max_score: float
    visibility: str
    feedback: str
    note: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class QuestionResult:
    id: str
    title: str
    kind: str
    score: float | None
    max_score: float
    manual: bool
    checks: tuple[CheckResult, ...]
    answer: Any = None                       # the student's answer as written (math, free text), for reports
    prompt: str | None = None                # the question as the course asks it (manifest), shown beside the answer


@dataclass(frozen=True)
class SubmissionError:
    kind: str                                # import-crash, import-timeout, killed, missing-code, bad-answers-file,
                                             # file-not-read, bad-zip, zip-member-left-out, unreadable-submission,
                                             # bad-written-code, grader-fault
    message: str


@dataclass(frozen=True)
class SubmissionResult:
    assignment: str
    submission: str
    score: float
    max_score: float
    questions: tuple[QuestionResult, ...]
    errors: tuple[SubmissionError, ...]
    elapsed_s: float
    student_s: float = 0.0                   # time spent inside student code, its import included
    import_s: float = 0.0                    # of which importing the module (running a notebook's cells)
    peak_memory_mib: float | None = None     # the sandbox slot's peak memory while it ran (None: not measured)
    stdout: str = ""
    stderr: str = ""
    sandbox_layers: tuple[str, ...] = ()
    notebook: dict[str, Any] | None = None   # for a notebook: {"mode", "cells": [{"cell", "status", "error"}], "why"}
    assignment_title: str = ""
    students: tuple[Student, ...] = ()
    submitted_at: str | None = None
    notices: tuple[str, ...] = ()            # said in the report, never counted as errors (results.json: optional)

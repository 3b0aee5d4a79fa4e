"""Judges for short named choices (recognised by keywords, order free) and for answers with parts."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from graders.model import Status, Verdict

from .verdicts import guarded, invalid, missing, shown

__all__ = ["Option", "choice", "mapping"]

Judge = Callable[[Any], Verdict]
MAX_ENTRY_CHARS = 200


@dataclass(frozen=True)
class Option:
    """One expected entry: a label for feedback and case-insensitive keyword patterns that recognise it."""
    label: str
    keywords: tuple[str, ...]

    def matches(self, text: str) -> bool:
        return any(re.search(keyword, text, re.IGNORECASE) for keyword in self.keywords)


def choice(options: Sequence[Option]) -> Judge:
    """A judge for a list naming every option once, in any order, e.g. ["Zeiler & Fergus", "Inception"].
    A single string naming all options also counts. Credit is the fraction of options named; entries that
    name no option are reported and lower the credit."""
    options = tuple(options)

    def judge(raw: Any) -> Verdict:
        if raw is None or (isinstance(raw, (str, list, tuple)) and not raw):
            return missing()
        entries = [raw] if isinstance(raw, str) else raw
        if not isinstance(entries, (list, tuple)) or not all(isinstance(e, str) for e in entries):
            return invalid(f"Expected a list of {len(options)} short strings.", raw)
        entries = [e[:MAX_ENTRY_CHARS] for e in entries]
        named = {o.label for o in options for e in entries if o.matches(e)}
        unknown = [e for e in entries if not any(o.matches(e) for o in options)]
        evidence = {"answer": shown(raw), "recognised": sorted(named)}
        if len(named) == len(options) and not unknown:
            return Verdict.passed(**evidence)
        fraction = len(named) / (len(options) + len(unknown))
        parts = [f"{len(named)} of {len(options)} expected entries recognised"]
        if unknown:
            parts.append("not recognised: " + ", ".join(repr(e[:40]) for e in unknown[:3]))
        note = "unrecognised-entry" if unknown else "missing-entry"
        return Verdict.failed("; ".join(parts) + ".", note, fraction, **evidence)

    return guarded(judge)


def mapping(parts: Mapping[str, Judge]) -> Judge:
    """A judge for an answer with named parts ({part: value}): each part judged by its own judge, the
    fraction averaged. Any undecided part makes the whole undecided (MANUAL) rather than wrong."""
    parts = dict(parts)

    def judge(raw: Any) -> Verdict:
        if raw is None:
            return missing()
        if not isinstance(raw, Mapping):
            return invalid(f"Expected a mapping with the keys {', '.join(parts)}.", raw)
        verdicts = {name: part(raw.get(name)) for name, part in parts.items()}
        evidence = {"parts": {name: {"status": v.status.value, "fraction": v.fraction, "note": v.note,
                                     "feedback": v.feedback, **v.evidence} for name, v in verdicts.items()}}
        extra = sorted(str(k) for k in raw if k not in parts)
        if extra:
            evidence["unexpected_keys"] = extra[:10]
        if all(v.status is Status.PASSED for v in verdicts.values()):
            return Verdict.passed(**evidence)
        feedback = " ".join(f"{name}: {v.feedback.splitlines()[0] if v.feedback else v.status.value}"
                            for name, v in verdicts.items() if v.status is not Status.PASSED)
        if any(v.status is Status.MANUAL for v in verdicts.values()):
            return Verdict(Status.MANUAL, None, feedback, "undecided", evidence)
        fraction = sum(v.fraction or 0.0 for v in verdicts.values()) / len(verdicts)
        note = next((v.note for v in verdicts.values() if v.note), None)
        return Verdict.failed(feedback, note, fraction, **evidence)

    return guarded(judge)

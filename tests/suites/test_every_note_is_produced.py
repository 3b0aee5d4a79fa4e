"""Every mistake note a suite can give is produced by at least one test or pinned example (issue 9, item 5):
a note no test produces is a claim nobody checked."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUITES = sorted((ROOT / "graders" / "suites").glob("*.py"))
NOTE = re.compile(r'(?:note=|Mistake\(|Distractor\()\s*"([a-z0-9]+(?:-[a-z0-9]+)+)"')


def _notes() -> list[str]:
    return sorted({n for path in SUITES for n in NOTE.findall(path.read_text())})


def _evidence() -> str:
    texts = [p.read_text() for p in (ROOT / "tests").rglob("*.py") if p.name != Path(__file__).name]
    texts += [p.read_text() for p in (ROOT / "tests").rglob("*.yaml")]
    texts += [p.read_text() for p in (ROOT / "examples").glob("*/expected.yaml")]
    return "\n".join(texts)


@pytest.mark.parametrize("note", _notes())
def test_the_note_is_produced_somewhere(note):
    assert note in _evidence(), f"no test or expected.yaml produces the note {note!r}"

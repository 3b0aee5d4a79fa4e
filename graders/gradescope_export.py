"""A Gradescope "Export Submissions" download, read as a class: which folder is whose, and when it came in.

Gradescope's export (Assignment -> Review Grades -> Export Submissions) unzips to a folder, usually
`assignment_<id>_export/`, holding `submission_metadata.yml` and one folder `submission_<id>/` per active
submission with the files as the student uploaded them. The metadata maps each folder name to its record;
keys are Ruby symbols, written with a leading colon:

    submission_123456:
      :submitters:                       # every member of a group submission
      - :name: Ada Lovelace
        :sid: '1815'
        :email: ada@example.edu
      :created_at: 2026-03-02 23:59:01.123456000 -08:00
      :score: 0.0
      :history: [...]                    # earlier submissions: not exported as folders, not graded

Each folder named in the metadata is one submission, graded once, with its students and submission time.
Reading is plain YAML (unknown `!ruby/...` tags are read as plain values); nothing is imported or run.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml

from .model import Student

__all__ = ["METADATA", "ExportedSubmission", "find_export", "read_export", "ExportError"]

METADATA = "submission_metadata.yml"


class ExportError(ValueError):
    """A metadata file that cannot be read as Gradescope's: a usage error, named with the file."""


@dataclass(frozen=True)
class ExportedSubmission:
    folder: Path
    id: str                                   # the folder's name, e.g. submission_123456
    students: tuple[Student, ...]
    submitted_at: str | None                  # ISO 8601 with the UTC offset Gradescope wrote


class _Loader(yaml.SafeLoader):
    """Safe YAML that reads Ruby-tagged values (`!ruby/object:BigDecimal 18:0.1e2`) as plain data."""


def _untagged(loader: _Loader, suffix: str, node: yaml.Node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_Loader.add_multi_constructor("!", _untagged)


def find_export(path: Path) -> Path | None:
    """The export folder at `path`: `path` itself, or its only subfolder (the zip's top folder), when it holds
    submission_metadata.yml; else None."""
    if not path.is_dir():
        return None
    if (path / METADATA).is_file():
        return path
    folders = [p for p in path.iterdir() if p.is_dir() and not p.name.startswith((".", "__"))]
    files = [p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")]
    if len(folders) == 1 and not files and (folders[0] / METADATA).is_file():
        return folders[0]
    return None


def _field(record: dict, name: str):
    """A record's field, whether written as a Ruby symbol (`:name`) or plainly (`name`)."""
    return record.get(f":{name}", record.get(name))


def _timestamp(value) -> str | None:
    """Gradescope's `2026-03-02 23:59:01.123456000 -08:00` (a YAML timestamp, or a string) -> ISO 8601."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time()).isoformat()
    text = str(value).strip()
    date, _, rest = text.partition(" ")
    clock, _, offset = rest.partition(" ")
    whole, _, fraction = clock.partition(".")
    offset = offset.replace(" ", "")
    if len(offset) == 5 and offset[0] in "+-" and ":" not in offset:           # -0800 -> -08:00
        offset = offset[:3] + ":" + offset[3:]
    try:
        return dt.datetime.fromisoformat(f"{date}T{whole}{'.' + fraction[:6] if fraction else ''}{offset}").isoformat()
    except ValueError:
        try:
            return dt.datetime.fromisoformat(text).isoformat()
        except ValueError:
            raise ExportError(f"unreadable submission time {text!r}") from None


def _students(record: dict) -> tuple[Student, ...]:
    return tuple(Student(name=str(_field(s, "name") or ""), email=str(_field(s, "email") or ""),
                         sid=str(_field(s, "sid") or ""))
                 for s in (_field(record, "submitters") or []) if isinstance(s, dict))


def read_export(folder: Path) -> list[ExportedSubmission]:
    """Every submission folder named in the export's metadata, in folder-name order. A record without its
    folder (Gradescope exports no folder for an empty submission) is left out."""
    path = folder / METADATA
    try:
        metadata = yaml.load(path.read_text(encoding="utf-8", errors="replace"), Loader=_Loader)   # noqa: S506
    except yaml.YAMLError as error:
        raise ExportError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(metadata, dict):
        raise ExportError(f"{path} does not map submission folders to their records")
    found = []
    for name, record in sorted(metadata.items(), key=lambda item: str(item[0])):
        name = str(name)
        if "/" in name or name in ("", ".", "..") or not (folder / name).is_dir() or not isinstance(record, dict):
            continue
        try:
            submitted_at = _timestamp(_field(record, "created_at"))
        except ExportError as error:
            raise ExportError(f"{path}, {name}: {error}") from None
        found.append(ExportedSubmission(folder / name, name, _students(record), submitted_at))
    return found

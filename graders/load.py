"""Paths on disk -> `Submission`s. Reads bytes and YAML; never imports or runs anything.

A PATH is one submission when it is a `.py`, `.ipynb` or `.zip` file, or a folder that directly holds
`<assignment>.py`, `<assignment>.ipynb` or `answers.yaml`; any other folder is a class, each entry of which
is one submission named after the entry (interfaces.md).

Everything is read under budgets, before anything is interpreted: a file's size is checked before it is
read (a zip member's declared size, then at most one byte more than the limit), notebooks lose their outputs
before the size cap applies, and a submission's files together have a budget. Nothing is cut silently: a
file over its limit is left out and the submission says so ("too large: limit 5 MiB"). A submission that
cannot be read at all becomes a submission with that problem, never an exception for the class.
"""
from __future__ import annotations

import json
import os
import stat
import zipfile
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterator

from .gradescope_export import find_export, read_export
from .model import Submission, SubmissionError
from .answer_sheet import AnswerSheet, read_answer_sheet
from .written import WRITTEN_SUFFIXES, find_written, is_readme, written_submission

__all__ = ["load_submissions", "load_submission", "is_single_submission", "LoadError", "safe_text"]

MAX_FILE_BYTES = 5 * 2**20            # one file as the sandbox gets it (a notebook: without its outputs)
MAX_NOTEBOOK_BYTES = 50 * 2**20       # a notebook as handed in, outputs included
MAX_SUBMISSION_BYTES = 20 * 2**20     # all files of one submission, as the sandbox gets them
MAX_READ_BYTES = 80 * 2**20           # bytes read or inflated for one submission
MAX_ZIP_BYTES = 100 * 2**20           # a zip on disk
MAX_FILES = 200
MAX_ZIP_MEMBERS = 2_000
_IGNORED_PARTS = {"__pycache__", "__MACOSX", ".ipynb_checkpoints", ".git"}
_SUBMISSION_SUFFIXES = (".py", ".ipynb", ".zip") + WRITTEN_SUFFIXES


class LoadError(ValueError):
    """A path that is not a submission at all (a usage error, not a student's mistake)."""


def safe_text(name: str) -> str:
    """Any file name (bytes the file system gave as surrogates, control characters) -> printable UTF-8."""
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return "".join("_" if ord(c) < 32 or ord(c) == 127 else c for c in text)


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 2**10:.0f} KiB"


def is_single_submission(path: Path, assignment: str) -> bool:
    if path.is_file():
        return path.suffix in _SUBMISSION_SUFFIXES
    return any((path / name).is_file() for name in (f"{assignment}.py", f"{assignment}.ipynb", "answers.yaml")) or \
        find_written({p.name: b"" for p in path.iterdir() if p.is_file()}, assignment) is not None


def load_submissions(paths: list[Path], assignment: str) -> Iterator[Submission]:
    """Every submission under the given paths, in a stable order, with unique ids."""
    seen: set[str] = set()
    for path in paths:
        if not path.exists():
            raise LoadError(f"{path} does not exist")
        export = find_export(path)                   # a Gradescope export: its metadata says whose and when
        if export is not None:
            for exported in read_export(export):
                yield _unique(replace(load_submission(exported.folder, assignment), id=exported.id,
                                      students=exported.students, submitted_at=exported.submitted_at), seen)
            continue
        if is_single_submission(path, assignment):
            entries = [path]
        else:
            entries = sorted(p for p in path.iterdir() if not p.name.startswith(".") and p.name not in _IGNORED_PARTS
                             and not p.is_symlink() and (p.is_dir() or p.suffix in _SUBMISSION_SUFFIXES)
                             and not (p.is_file() and is_readme(p.name)))
        for entry in entries:
            submission = load_submission(entry, assignment)
            yield _unique(submission, seen)


def _unique(submission: Submission, seen: set[str]) -> Submission:
    base, n, name = submission.id, 1, submission.id
    while name.casefold() in seen:
        n += 1
        name = f"{base}-{n}"
    seen.add(name.casefold())
    return submission if name == base else replace(submission, id=name)


def _submission_id(path: Path) -> str:
    name = path.name[:-len(path.suffix)] if path.is_file() and path.suffix else path.name
    return safe_text(name).strip()[:120] or "submission"


class _Files:
    """A submission's files, gathered under its budgets; what does not fit becomes a problem."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.problems: list[SubmissionError] = []
        self.read = self.kept = 0

    def skip(self, message: str, kind: str = "file-not-read") -> None:
        self.problems.append(SubmissionError(kind, message))

    def add(self, name: str, size: int, read: Callable[[int], bytes]) -> None:
        limit = MAX_NOTEBOOK_BYTES if name.endswith(".ipynb") else MAX_FILE_BYTES
        if len(self.files) >= MAX_FILES:
            self.skip(f"{name}: too many files: limit {MAX_FILES}; it was not read.")
        elif size > limit:
            self.skip(f"{name} is too large ({_mib(size)}): limit {_mib(limit)}; it was not read.")
        elif self.read + size > MAX_READ_BYTES:
            self.skip(f"{name}: the files together are too large: limit {_mib(MAX_READ_BYTES)}; "
                                 "it was not read.")
        else:
            try:
                data = read(limit + 1)                        # never more, whatever size was declared
            except Exception as error:                        # noqa: BLE001 - damaged member, odd method, CRC
                self.skip(f"{name} could not be read ({type(error).__name__}).")
                return
            self.read += len(data)
            if len(data) > limit:
                self.skip(f"{name} is too large: limit {_mib(limit)}; it was not read.")
                return
            self._keep(name, _without_outputs(data) if name.endswith(".ipynb") else data)

    def _keep(self, name: str, data: bytes) -> None:
        if len(data) > MAX_FILE_BYTES:
            self.skip(f"{name} is too large even without its outputs ({_mib(len(data))}): "
                                 f"limit {_mib(MAX_FILE_BYTES)}; it was not read.")
        elif self.kept + len(data) > MAX_SUBMISSION_BYTES:
            self.skip(f"{name}: the files together are too large: limit {_mib(MAX_SUBMISSION_BYTES)}; "
                                 "it was not read.")
        else:
            self.kept += len(data)
            self.files[name] = data


def _without_outputs(data: bytes) -> bytes:
    """A notebook without cell outputs and attachments (images, long logs): only its code and text are graded.
    A notebook that is not valid JSON is kept as it is: the sandbox reports what is wrong with it."""
    try:
        notebook = json.loads(data)
    except (ValueError, RecursionError):
        return data
    if not (isinstance(notebook, dict) and isinstance(notebook.get("cells"), list)):
        return data
    for cell in notebook["cells"]:
        if isinstance(cell, dict):
            cell.pop("attachments", None)
            if cell.get("cell_type") == "code":
                cell["outputs"], cell["execution_count"] = [], None
    return json.dumps(notebook, ensure_ascii=False).encode("utf-8", "replace")


def _read_prefix(path: str) -> Callable[[int], bytes]:
    def read(n: int) -> bytes:
        with open(path, "rb") as stream:
            return stream.read(n)
    return read


def _read_folder(folder: Path, found: _Files) -> None:
    """Regular files only (no symlinks, fifos or devices), in a stable order."""
    for top, folders, names in os.walk(folder, followlinks=False):
        folders[:] = sorted(f for f in folders if f not in _IGNORED_PARTS)
        for name in sorted(names):
            path = os.path.join(top, name)
            info = os.lstat(path)
            if stat.S_ISREG(info.st_mode):
                found.add(safe_text(os.path.relpath(path, folder).replace(os.sep, "/")), info.st_size,
                          _read_prefix(path))


def _member_name(raw: str) -> str | None:
    """A zip member's name as a safe relative path, or None for an unsafe or empty one."""
    parts = [p for p in raw.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or raw.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
        return None
    return safe_text("/".join(parts))


def _read_zip(path: Path, found: _Files) -> None:
    """Members read one by one, each size checked before reading; a single top folder is flattened."""
    if path.stat().st_size > MAX_ZIP_BYTES:
        found.skip(f"{path.name} is too large ({_mib(path.stat().st_size)}): limit {_mib(MAX_ZIP_BYTES)}.", "bad-zip")
        return
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            found.skip(f"the zip holds {len(members)} entries: limit {MAX_ZIP_MEMBERS}; none was read.", "bad-zip")
            return
        for info in members:
            name = _member_name(info.filename)
            if info.is_dir() or (name and _IGNORED_PARTS & set(name.split("/"))):
                continue
            shown = safe_text(info.filename)[:100]
            if name is None:
                found.skip(f"zip entry {shown!r} has an unsafe name; it was not read.", "zip-member-left-out")
            elif info.flag_bits & 0x1:
                found.skip(f"{name} is encrypted: hand it in without a password; it was not read.", "zip-member-left-out")
            elif name in found.files:
                found.skip(f"{name} appears twice in the zip; the first copy was used.", "zip-member-left-out")
            else:
                found.add(name, info.file_size, _member_reader(archive, info))
    _flatten_top_folder(found)


def _member_reader(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[int], bytes]:
    def read(n: int) -> bytes:
        with archive.open(info) as stream:
            return stream.read(n)
    return read


def _flatten_top_folder(found: _Files) -> None:
    paths = [PurePosixPath(n) for n in found.files]
    if paths and len({p.parts[0] for p in paths}) == 1 and all(len(p.parts) > 1 for p in paths):
        found.files = {PurePosixPath(*PurePosixPath(n).parts[1:]).as_posix(): c for n, c in found.files.items()}


def _code_file(files: dict[str, bytes], assignment: str) -> str | None:
    """`<assignment>.py` (or .ipynb) first; else a lone top-level .py (or notebook) of any name."""
    for name in (f"{assignment}.py", f"{assignment}.ipynb"):
        if name in files:
            return name
    for suffix in (".py", ".ipynb"):
        candidates = [n for n in files if "/" not in n and n.endswith(suffix)]
        if len(candidates) == 1:
            return candidates[0]
    return None


def _read_answers(files: dict[str, bytes]) -> AnswerSheet:
    """Per key, TeX escapes recovered (a notice), no aliases, plain_answers."""
    raw = files.get("answers.yaml", files.get("answers.yml"))
    return AnswerSheet({}, (), (), {}) if raw is None else read_answer_sheet(raw)


def load_submission(path: Path, assignment: str) -> Submission:
    """Never raises for what is inside the submission: whatever cannot be read becomes a problem."""
    found = _Files()
    try:
        if path.is_dir():
            _read_folder(path, found)
        elif path.suffix == ".zip":
            _read_zip(path, found)
        else:
            found.add(safe_text(path.name), path.stat().st_size, _read_prefix(str(path)))
    except zipfile.BadZipFile:
        found.skip("the .zip file is damaged", "bad-zip")
    except Exception as error:                                      # noqa: BLE001 - one student, not the class
        found.skip(f"the submission could not be read completely ({type(error).__name__}).", "unreadable-submission")
    sheet = _read_answers(found.files)
    files, answers, written, more = written_submission(found.files, assignment, sheet.answers)
    problems = (*(SubmissionError("bad-answers-file", p) for p in sheet.problems),
                *(SubmissionError("bad-written-code", p) for p in more))
    return Submission(_submission_id(path), assignment, files, _code_file(files, assignment), answers,
                      path, tuple(found.problems) + problems, sheet.notices, written=written,
                      unreadable=sheet.unreadable)

"""Paths on disk -> `Submission`s. Reads bytes and YAML; never imports or runs anything.

A PATH is one submission when it is a `.py`, `.ipynb` or `.zip` file, or a folder that directly holds
`<assignment>.py`, `<assignment>.ipynb` or `answers.yaml`; any other folder is a class, each entry of which
is one submission named after the entry (interfaces.md).
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any, Iterator

import yaml

from .model import Submission

__all__ = ["load_submissions", "load_submission", "is_single_submission", "LoadError"]

MAX_FILE_BYTES = 5 * 2**20
MAX_FILES = 200
_IGNORED_PARTS = {"__pycache__", "__MACOSX", ".ipynb_checkpoints", ".git"}


class LoadError(ValueError):
    """A path that is not a submission at all (a usage error, not a student's mistake)."""


def is_single_submission(path: Path, assignment: str) -> bool:
    if path.is_file():
        return path.suffix in (".py", ".ipynb", ".zip")
    return any((path / name).is_file() for name in (f"{assignment}.py", f"{assignment}.ipynb", "answers.yaml"))


def load_submissions(paths: list[Path], assignment: str) -> Iterator[Submission]:
    """Every submission under the given paths, in a stable order."""
    for path in paths:
        if not path.exists():
            raise LoadError(f"{path} does not exist")
        if is_single_submission(path, assignment):
            yield load_submission(path, assignment)
            continue
        entries = sorted(p for p in path.iterdir() if not p.name.startswith(".") and p.name not in _IGNORED_PARTS)
        for entry in entries:
            if entry.is_dir() or entry.suffix in (".py", ".ipynb", ".zip"):
                yield load_submission(entry, assignment)


def _submission_id(path: Path) -> str:
    return path.stem if path.is_file() else path.name


def _read_folder(folder: Path) -> dict[str, bytes]:
    files = {}
    for file in sorted(folder.rglob("*")):
        relative = file.relative_to(folder)
        if file.is_file() and not file.is_symlink() and not (_IGNORED_PARTS & set(relative.parts)):
            files[relative.as_posix()] = file.read_bytes()[:MAX_FILE_BYTES]
    return files


def _read_zip(path: Path) -> dict[str, bytes]:
    """Members of a zip, flattened out of a single top folder; unsafe names are skipped."""
    files = {}
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        for info in archive.infolist()[:MAX_FILES]:
            name = PurePosixPath(info.filename)
            if info.is_dir() or name.is_absolute() or ".." in name.parts or _IGNORED_PARTS & set(name.parts):
                continue
            files[name.as_posix()] = archive.read(info)[:MAX_FILE_BYTES]
    tops = {PurePosixPath(n).parts[0] for n in files}
    if len(tops) == 1 and all(len(PurePosixPath(n).parts) > 1 for n in files):
        files = {PurePosixPath(*PurePosixPath(n).parts[1:]).as_posix(): c for n, c in files.items()}
    return files


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


def _read_answers(files: dict[str, bytes]) -> tuple[dict[str, Any], tuple[str, ...]]:
    raw = files.get("answers.yaml", files.get("answers.yml"))
    if raw is None:
        return {}, ()
    try:
        answers = yaml.safe_load(raw.decode("utf-8", errors="replace"))
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        return {}, (f"answers.yaml is not valid YAML{line}: {getattr(error, 'problem', error)}. "
                    "Quote answers that contain ':' or start with '\\' or '{', e.g. sigma_sq: '\\sqrt{D}'.",)
    if answers is None:
        return {}, ()
    if not isinstance(answers, dict):
        return {}, ("answers.yaml must be a mapping from question id to answer.",)
    return {str(k): v for k, v in answers.items()}, ()


def load_submission(path: Path, assignment: str) -> Submission:
    if path.is_dir():
        files = _read_folder(path)
    elif path.suffix == ".zip":
        try:
            files = _read_zip(path)
        except zipfile.BadZipFile:
            return Submission(_submission_id(path), assignment, {}, None, {}, path, ("the .zip file is damaged",))
    else:
        files = {path.name: path.read_bytes()[:MAX_FILE_BYTES]}
    answers, problems = _read_answers(files)
    code_file = _code_file(files, assignment)
    return Submission(_submission_id(path), assignment, files, code_file, answers, path, problems)

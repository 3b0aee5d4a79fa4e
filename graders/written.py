"""Written solutions (`.md`, `.tex`, `.txt`: prose with LaTeX math and fenced code, as students and chat models
write them) -> the code file and the answers a normal submission has, plus where each answer came from.

Plain text in, plain data out; nothing is run. `ast` only *parses* code blocks (to keep their definitions).
- Code: fenced ```python blocks (`lstlisting`/`minted` in LaTeX) are assembled in order into the
  assignment's code file; only imports, definitions and assignments of what is already defined are kept (usage
  examples and prints are dropped), so later definitions win, as in a notebook. A block that does not parse
  is left out and said so.
- Answers: per answer part, inside the sections whose heading matches the question's labels (manifest:
  `written: {labels, sides, parts}`), the first rule that finds something wins: a `\\boxed{}`; a "final
  answer" line; the last equation whose left side is the part's quantity (`\\sigma^2 =`, `O(`, `d_{ap} <`)
  or the last line that names the part (`Query factor: $...$`); a table cell (row, column). Two different
  boxed or final answers for one part are a conflict: MANUAL, never a guess. Nothing found: MISSING with a
  hint. An `answers.yaml` beside the document overrides per part.
- Free-text questions get their section's text, for staff.
Each extracted answer carries its source (`{"line": n, "text": the line}`) into the check's evidence.
Finding the answers is `written_answers.py`.
"""
from __future__ import annotations

import ast
import builtins
import dataclasses
import re
from dataclasses import dataclass
from typing import Any, Mapping

from .model import Status, Verdict
from .written_answers import find_answer, find_free_text, find_list

__all__ = ["WRITTEN_SUFFIXES", "find_written", "read_written", "written_submission", "attach_source", "Written"]

WRITTEN_SUFFIXES = (".md", ".tex", ".txt")
_NAMES = ("solution", "solutions", "writeup", "written", "answers")
MAX_WRITTEN_CHARS = 400_000
_FENCE = re.compile(r"^\s*(```+|~~~+)\s*([\w+-]*)")
_TEX_CODE = re.compile(r"\\begin\{(lstlisting|minted|verbatim|Verbatim)\}(?:\[[^\]]*\])?(?:\{(\w+)\})?")
_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_BOLD_HEADING = re.compile(r"^\s*\*\*([^*]{1,120}?)\*\*\s*:?\s*$")
_TEX_HEADING = re.compile(r"^\s*\\(section|subsection|subsubsection|paragraph)\*?\{(.*)\}")
_TEX_LEVEL = {"section": 1, "subsection": 2, "subsubsection": 3, "paragraph": 4}


@dataclass(frozen=True)
class Written:
    """What a written solution gives: the assembled code (or None), answers shaped like answers.yaml, the
    source of each answer path ("question" or "question.part"), and problems a student can act on."""
    code: str | None
    answers: dict[str, Any]
    sources: dict[str, dict]
    problems: tuple[str, ...]


# ------------------------------------------------------------------------------------------------ files
def is_readme(name: str) -> bool:
    """README.md, readme.txt, ...: notes that come with a folder, never a student's write-up."""
    return name.rsplit(".", 1)[0].casefold() == "readme"


def find_written(files: Mapping[str, bytes], assignment: str) -> str | None:
    """The written document of a submission: `<assignment>.md`, `solution.md`, ... or a lone top-level one."""
    top = [n for n in files if "/" not in n and n.endswith(WRITTEN_SUFFIXES) and not is_readme(n)]
    for stem in (assignment, *_NAMES):
        for suffix in WRITTEN_SUFFIXES:
            if f"{stem}{suffix}" in top:
                return f"{stem}{suffix}"
    return top[0] if len(top) == 1 else None


def written_submission(files: dict[str, bytes], assignment: str, answers: dict[str, Any]):
    """-> (files with the assembled code file, answers (answers.yaml wins per part), sources, problems)."""
    name = find_written(files, assignment)
    if name is None:
        return files, answers, {}, ()
    from .suite import SuiteError, read_manifest                # the manifest declares labels and left sides
    try:
        manifest = read_manifest(assignment)
    except SuiteError:
        manifest = {}
    written = read_written(files[name].decode("utf-8", "replace"), manifest, suffix=name[name.rfind("."):])
    files = dict(files)
    code_file = manifest.get("code_file", f"{assignment}.py")
    if written.code and not any(n.endswith((".py", ".ipynb")) for n in files):
        files[code_file] = written.code.encode("utf-8")
    merged, sources = dict(written.answers), dict(written.sources)
    for key, value in answers.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
            sources.update({f"{key}.{part}": {"how": "answers.yaml"} for part in value})
        else:
            merged[key] = value
            sources = {k: v for k, v in sources.items() if k.split(".")[0] != key}
            sources[key] = {"how": "answers.yaml"}
    return files, merged, sources, tuple(f"{name}: {p}" for p in written.problems)


# ------------------------------------------------------------------------------------------------ reading
def read_written(text: str, manifest: dict, *, suffix: str = ".md") -> Written:
    text = text[:MAX_WRITTEN_CHARS].replace("\r\n", "\n")
    lines = text.split("\n")
    code_lines, blocks = _code_blocks(lines, suffix)
    code, problems = _assemble(blocks)
    prose = [("" if i in code_lines else line) for i, line in enumerate(lines)]
    headings = _headings(prose, suffix)
    answers: dict[str, Any] = {}
    sources: dict[str, dict] = {}
    for question in manifest.get("questions", []):
        spec = question.get("written")
        if not spec or question.get("kind") == "code":
            continue
        labels = [*spec.get("labels", ()), _id_label(question["id"]), re.escape(question.get("title", question["id"]))]
        span = _sections(headings, len(prose), labels)
        if question.get("kind") == "free-text":
            find_free_text(question, spec, prose, span, answers, sources)
            continue
        if question.get("kind") == "choice":
            find_list(question, spec, prose, span, answers, sources)
            continue
        parts = spec.get("parts")
        if parts:
            values = {}
            for part, part_spec in parts.items():
                part_spec = dict(part_spec, labels=[*part_spec.get("labels", ()), _id_label(str(part)) + r"\W*[:=]"])
                found = find_answer(prose, span, part_spec, question, several=True)
                sources[f"{question['id']}.{part}"] = found
                if found["how"] not in ("missing", "conflict"):
                    values[str(part)] = found["value"]
            if values:
                answers[question["id"]] = values
        else:
            found = find_answer(prose, span, spec, question, several=False)
            sources[question["id"]] = found
            if found["how"] not in ("missing", "conflict"):
                answers[question["id"]] = found["value"]
    return Written(code, answers, sources, tuple(problems))


def _id_label(name: str) -> str:
    """An id as people write it in a heading or a label: `attention_cost`, `attention cost`, `attention-cost`."""
    return r"\b" + r"[ _\-]".join(re.escape(word) for word in name.split("_")) + r"\b"


def _code_blocks(lines: list[str], suffix: str) -> tuple[set[int], list[tuple[int, str]]]:
    """Indices of lines inside code blocks, and the Python blocks as (first line, source)."""
    inside, blocks, i = set(), [], 0
    while i < len(lines):
        fence = _FENCE.match(lines[i]) if suffix != ".tex" else None
        tex = _TEX_CODE.search(lines[i]) if suffix == ".tex" else None
        if not fence and not tex:
            i += 1
            continue
        language = (fence.group(2) if fence else (tex.group(2) or _listing_language(lines[i]))).lower()
        end_marker = (lambda line: line.strip().startswith(fence.group(1))) if fence else \
            (lambda line: f"\\end{{{tex.group(1)}}}" in line)
        j = i + 1
        while j < len(lines) and not end_marker(lines[j]):
            j += 1
        inside.update(range(i, min(j + 1, len(lines))))
        body = "\n".join(lines[i + 1:j])
        if language in ("python", "py", "python3", "ipython") or (not language and re.search(r"^def \w+\(", body, re.M)):
            blocks.append((i + 2, body))
        i = j + 1
    return inside, blocks


def _listing_language(line: str) -> str:
    found = re.search(r"language\s*=\s*(\w+)", line)
    return found.group(1) if found else ""


def _assemble(blocks: list[tuple[int, str]]) -> tuple[str | None, list[str]]:
    """Definitions of every block, in order (later ones win). Usage examples and prints are left out."""
    kept, problems, defined = [], [], set()
    for line, source in blocks:
        try:
            tree = ast.parse(source)
        except SyntaxError as error:
            problems.append(f"the code block at line {line} is not valid Python (line {line + (error.lineno or 1) - 1}: "
                            f"{error.msg}); it was left out.")
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                defined.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defined.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)) and _uses_only(node, defined):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                defined.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
            else:
                continue
            kept.append(ast.get_source_segment(source, node, padded=False))
    return ("\n\n".join(kept) + "\n") if kept else None, problems


def _uses_only(node: ast.AST, defined: set[str]) -> bool:
    """An assignment of constants, or of expressions of imported modules, that calls none of the document's
    own functions (so `Q = torch.randn(4, 3)` stays and `out = softmax_attention(Q, K, V)` goes)."""
    value = node.value
    if value is None:
        return True
    names = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
    called = {n.func.id for n in ast.walk(value) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    lambdas = {a.arg for n in ast.walk(value) if isinstance(n, ast.Lambda) for a in n.args.args}
    return names - lambdas <= defined | set(dir(builtins)) and not called & defined


def _headings(lines: list[str], suffix: str) -> list[tuple[int, int, str]]:
    """(line index, level, title) of every heading; bold-only lines are the lowest level."""
    found = []
    for i, line in enumerate(lines):
        if suffix == ".tex":
            match = _TEX_HEADING.match(line)
            if match:
                found.append((i, _TEX_LEVEL[match.group(1)], match.group(2)))
            continue
        match = _MD_HEADING.match(line)
        if match:
            found.append((i, len(match.group(1)), match.group(2)))
        elif _BOLD_HEADING.match(line):
            found.append((i, 7, _BOLD_HEADING.match(line).group(1)))
    return found


def _sections(headings, total: int, labels) -> list[tuple[int, int]]:
    """Line ranges (heading line, end) of the sections whose title matches one of `labels`."""
    spans = []
    for k, (i, level, title) in enumerate(headings):
        if not any(re.search(label, title, re.I) for label in labels):
            continue
        end = next((j for j, lv, _ in headings[k + 1:] if lv <= level), total)
        spans.append((i, end))
    return [a for a in spans if not any(b != a and a[0] <= b[0] and b[1] <= a[1] for b in spans)]   # innermost


# ------------------------------------------------------------------------------------------------ verdicts
def attach_source(path, verdict: Verdict, sources: Mapping[str, dict]) -> Verdict:
    """The check's verdict with where its answer came from: evidence["source"] = {"how", "line", "text"} for one
    answer, evidence["sources"] = {part: {...}} for a check that reads a whole mapping. A missing answer gets
    the hint; conflicting candidates make it MANUAL (never a guess)."""
    if not sources or path is None:
        return verdict
    key = ".".join(path)
    record = sources.get(key) or (sources.get(path[0]) if len(path) > 1 else None)
    parts = {} if record else {k[len(key) + 1:]: v for k, v in sources.items() if k.startswith(key + ".")}
    if record is None and not parts:
        return verdict
    shown = lambda r: {k: v for k, v in r.items() if k != "value"}
    evidence = {**verdict.evidence, **({"source": shown(record)} if record else
                                      {"sources": {part: shown(r) for part, r in parts.items()}})}
    records = [record] if record else list(parts.values())
    conflicts = [r for r in records if r["how"] == "conflict"]
    if conflicts:
        return Verdict(Status.MANUAL, None, f"Different final answers were found ({conflicts[0]['hint']}); course "
                       "staff will decide which one counts.", "conflicting-answers", evidence)
    hints = [r["hint"] for r in records if r["how"] == "missing"]
    if hints and verdict.status is not Status.PASSED:
        return dataclasses.replace(verdict, feedback=f"{verdict.feedback} Not found in the written solution: "
                                   f"{hints[0]}", evidence=evidence)
    return dataclasses.replace(verdict, evidence=evidence)

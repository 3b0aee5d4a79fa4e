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
"""
from __future__ import annotations

import ast
import dataclasses
import re
from dataclasses import dataclass
from typing import Any, Mapping

from .model import Status, Verdict

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
_DISPLAY = re.compile(r"\$\$(.+?)\$\$|\\\[(.+?)\\\]|\\begin\{(equation|align|gather|displaymath)\*?\}(.+?)\\end\{\3\*?\}", re.S)
_INLINE = re.compile(r"(?<![\\$])\$(?!\$)(.+?)(?<![\\$])\$|\\\((.+?)\\\)|`([^`\n]+)`")
_FINAL = re.compile(r"(?i)\bfinal\s+answers?\b|^\W*answer\W*:")
_RELATION = re.compile(r"=|<|>|\\le|\\ge|\\lt|\\gt|\\in\b")


@dataclass(frozen=True)
class Written:
    """What a written solution gives: the assembled code (or None), answers shaped like answers.yaml, the
    source of each answer path ("question" or "question.part"), and problems a student can act on."""
    code: str | None
    answers: dict[str, Any]
    sources: dict[str, dict]
    problems: tuple[str, ...]


@dataclass(frozen=True)
class _Segment:
    line: int                  # 1-based line where the math starts
    text: str                  # the math (or code span) inside its delimiters


# ------------------------------------------------------------------------------------------------ files
def find_written(files: Mapping[str, bytes], assignment: str) -> str | None:
    """The written document of a submission: `<assignment>.md`, `solution.md`, ... or a lone top-level one."""
    top = [n for n in files if "/" not in n and n.endswith(WRITTEN_SUFFIXES) and n != "README.md"]
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
        span = _sections(headings, len(prose), spec.get("labels", ()))
        if question.get("kind") == "free-text":
            _free_text(question, spec, prose, span, answers, sources)
            continue
        if question.get("kind") == "choice":
            _bullets(question, spec, prose, span, answers, sources)
            continue
        parts = spec.get("parts")
        if parts:
            values = {}
            for part, part_spec in parts.items():
                found = _find(prose, span, part_spec, question, several=True)
                sources[f"{question['id']}.{part}"] = found
                if found["how"] not in ("missing", "conflict"):
                    values[str(part)] = found["value"]
            if values:
                answers[question["id"]] = values
        else:
            found = _find(prose, span, spec, question, several=False)
            sources[question["id"]] = found
            if found["how"] not in ("missing", "conflict"):
                answers[question["id"]] = found["value"]
    return Written(code, answers, sources, tuple(problems))


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
    return names - lambdas <= defined | set(dir(__builtins__)) and not called & defined


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


# ------------------------------------------------------------------------------------------------ answers
def _segments(lines: list[str], start: int, end: int) -> list[_Segment]:
    """Math in lines[start:end] in reading order: display math, inline math, code spans."""
    text = "\n".join(lines[start:end])
    found = []
    for match in _DISPLAY.finditer(text):
        group = next(k for k in (1, 2, 4) if match.group(k) is not None)
        for offset, piece in _equations(match.group(group), match.start(group)):
            where = offset + len(piece) - len(piece.lstrip())
            found.append((where, _Segment(start + text.count("\n", 0, where) + 1, piece.strip())))
    masked = _DISPLAY.sub(lambda m: " " * len(m.group(0)), text)
    for match in _INLINE.finditer(masked):
        body = next(g for g in match.groups() if g is not None)
        found.append((match.start(), _Segment(start + text.count("\n", 0, match.start()) + 1, body.strip())))
    return [segment for _, segment in sorted(found, key=lambda item: item[0])]


def _equations(body: str, offset: int):
    """(offset, text) of each equation of a display: split at `\\\\` (align), and at `\\quad`/`\\qquad` between
    two equations (`f(q) = ..., \\qquad f(k) = ...`), never inside one condition."""
    pieces, position = [], offset
    for piece in re.split(r"(\\\\)", body):
        if piece != "\\\\" and piece.strip():
            parts = re.split(r"(\\q?quad)", piece)
            if not all("=" in part for part in parts[::2]):
                parts = [piece]
            inner = position
            for part in parts:
                if part.strip() and not re.fullmatch(r"\\q?quad", part):
                    pieces.append((inner, part))
                inner += len(part)
        position += len(piece)
    return pieces


def _boxed(text: str) -> list[str]:
    out, i = [], text.find("\\boxed{")
    while i >= 0:
        depth, j = 0, i + len("\\boxed")
        for j in range(i + len("\\boxed"), len(text)):
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            if depth == 0:
                break
        out.append(text[i + len("\\boxed{"):j].strip())
        i = text.find("\\boxed{", j)
    return out


def _starts_with(text: str, sides) -> bool:
    return any(re.match(rf"\s*{side}", text) for side in sides)


def _find(lines: list[str], spans, spec: dict, question: dict, *, several: bool) -> dict:
    """The source record of one answer part: how it was found, its value, line and line text."""
    sides = [re.escape(s) if not s.startswith("re:") else s[3:] for s in spec.get("sides", ())]
    labels = spec.get("labels", ())
    numeric = question.get("kind") == "numeric"
    if not spans:
        return _missing(question, spec, "no section heading matches this question")
    segments = [s for start, end in spans for s in _segments(lines, start, end)]
    named = lambda s: not several or _starts_with(s.text, sides) or any(
        re.search(label, lines[s.line - 1], re.I) for label in labels)
    boxed = [_Segment(s.line, b) for s in segments for b in _boxed(s.text)]
    boxed = [s for s in boxed if not several or _starts_with(s.text, sides) or any(
        re.search(label, lines[s.line - 1], re.I) for label in labels)]
    finals = [s for s in segments if _FINAL.search(lines[s.line - 1]) and named(s) and "\\boxed" not in s.text]
    for how, found in (("boxed", boxed), ("final answer", finals)):
        distinct = {re.sub(r"[\s.,;]+$|\s+", "", s.text) for s in found}
        if len(distinct) > 1:
            return {"how": "conflict", "candidates": [_record(lines, s) for s in found][:5],
                    "hint": f"{len(distinct)} different {how} answers: keep one, or state it in answers.yaml."}
        if found:
            return {"how": how, "value": _value(found[-1].text, numeric), **_record(lines, found[-1])}
    needs_relation = (several and not numeric) or question.get("kind") == "inequality"
    last = [s for s in segments if sides and _starts_with(s.text, sides) and (not needs_relation or _RELATION.search(s.text))]
    labelled = _labelled(lines, spans, labels, numeric)
    tabled = _table_cell(lines, spans, spec.get("table"))
    order = {id(s): k for k, s in enumerate(segments)}
    candidates = sorted([(s.line, order[id(s)], s.text, "last equation") for s in last]
                        + [(line, -1, value, how) for line, value, how in labelled + tabled])
    if not candidates:
        return _missing(question, spec, "no answer found in its section")
    line, _, value, how = candidates[-1]
    return {"how": how, "value": _value(value, numeric), "line": line, "text": lines[line - 1].strip()[:300]}


def _labelled(lines, spans, labels, numeric: bool) -> list[tuple[int, str, str]]:
    """Lines naming the part (`**Query factor:** $...$`, `- NN1 parameters: 140M`): the math after the label,
    or for numbers the rest of the line."""
    found = []
    for start, end in spans:
        for i in range(start + 1, end):
            for label in labels:
                match = re.search(label, lines[i], re.I)
                if not match:
                    continue
                rest = lines[i][match.end():]
                math = _segments([rest], 0, 1)
                if numeric:
                    value = re.sub(r"^[\s*:=\-–]+|\*\*|\$", "", rest).strip()
                    value = re.split(r"[;]", value)[0].strip()
                elif math:
                    value = math[0].text
                else:
                    continue
                if value:
                    found.append((i + 1, value, "labelled line"))
                break
    return found


def _table_cell(lines, spans, where) -> list[tuple[int, str, str]]:
    """The cell of a Markdown table at the row matching where[0] and the column whose header matches where[1]."""
    if not where:
        return []
    row_label, column_label = where
    found = []
    for start, end in spans:
        header = None
        for i in range(start + 1, end):
            cells = [c.strip() for c in lines[i].strip().strip("|").split("|")] if lines[i].strip().startswith("|") else None
            if cells is None:
                header = None
                continue
            if header is None:
                header = cells
                continue
            if all(re.fullmatch(r":?-+:?", c) for c in cells if c):
                continue
            column = next((k for k, h in enumerate(header) if re.search(column_label, h, re.I)), None)
            if column is not None and column < len(cells) and re.search(row_label, cells[0], re.I):
                found.append((i + 1, re.sub(r"\*\*|\$|\\text\{([^}]*)\}", r"\1", cells[column]).strip(), "table cell"))
    return found


def _value(text: str, numeric: bool) -> str:
    text = text.strip()
    if numeric:
        text = re.sub(r"\\(?:text|mathrm)\{([^}]*)\}", r"\1", text).replace("\\,", "").replace("$", "").strip()
        text = re.sub(r"(?<=\S)\s*\(.*$", "", text) if re.match(r"[^(]*\d", text) else text   # "87.9% (remark)"
    return text


def _record(lines: list[str], segment: _Segment) -> dict:
    return {"line": segment.line, "text": lines[segment.line - 1].strip()[:300]}


def _missing(question: dict, spec: dict, why: str) -> dict:
    labels = ", ".join(spec.get("labels", ())[:1]) or question["id"]
    sides = spec.get("sides", ())
    mark = f"\\boxed{{{sides[0]} = ...}}" if sides and not sides[0].startswith("re:") else "\\boxed{...}"
    return {"how": "missing", "hint": f"{why}. Put it under a heading naming the question (e.g. '## {question['title']}', "
                                      f"matching '{labels}') and mark the final answer, e.g. {mark}."}


def _free_text(question, spec, lines, spans, answers, sources) -> None:
    """The section's text (split per part at lines starting with a part's label) for staff to grade."""
    parts = spec.get("parts")
    body = [(i, lines[i]) for start, end in spans for i in range(start + 1, end)]
    if not parts:
        text = "\n".join(line for _, line in body).strip()
        if text:
            answers[question["id"]] = text
            sources[question["id"]] = {"how": "section", "line": spans[0][0] + 1, "text": lines[spans[0][0]].strip()}
        else:
            sources[question["id"]] = _missing(question, spec, "no section heading matches this question")
        return
    chunks: dict[str, list[tuple[int, str]]] = {}
    current = None
    for i, line in body:
        match = next((p for p, s in parts.items() if any(re.match(rf"\W*{label}", line, re.I) for label in s["labels"])), None)
        if match is not None:
            current = match
        if current is not None:
            chunks.setdefault(current, []).append((i, line))
    values = {}
    for part in parts:
        if part in chunks:
            values[str(part)] = "\n".join(line for _, line in chunks[part]).strip()
            first = chunks[part][0][0]
            sources[f"{question['id']}.{part}"] = {"how": "section", "line": first + 1, "text": lines[first].strip()[:300]}
        else:
            sources[f"{question['id']}.{part}"] = _missing(question, spec, f"no paragraph starts with ({part})")
    if values:
        answers[question["id"]] = values


def _bullets(question, spec, lines, spans, answers, sources) -> None:
    """A choice question: the items of the first list in its section, as short strings."""
    for start, end in spans:
        items = [(i, re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+|\*\*", "", lines[i]).strip()) for i in range(start + 1, end)
                 if re.match(r"^\s*(?:[-*+]|\d+[.)])\s+", lines[i])]
        if items:
            answers[question["id"]] = [text[:200] for _, text in items]
            sources[question["id"]] = {"how": "list", "line": items[0][0] + 1, "text": lines[items[0][0]].strip()[:300]}
            return
    sources[question["id"]] = _missing(question, spec, "no list found in its section")


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

"""Finding the answers of a written solution (`graders/written.py`): per answer part, in the sections that match
the question, a `\\boxed{}`, a "final answer" line, the last equation whose left side is the part's quantity, a
labelled line or a table cell; the source of each (`{"how", "line", "text"}`), a hint when nothing is found,
the candidates when two final answers differ. Free-text questions get their section's text, choices its list.
Plain text in, plain data out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["find_answer", "find_free_text", "find_list"]

_DISPLAY = re.compile(r"\$\$(.+?)\$\$|\\\[(.+?)\\\]|\\begin\{(equation|align|gather|displaymath)\*?\}(.+?)\\end\{\3\*?\}", re.S)
_INLINE = re.compile(r"(?<![\\$])\$(?!\$)(.+?)(?<![\\$])\$|\\\((.+?)\\\)|`([^`\n]+)`")
_FINAL = re.compile(r"(?i)\bfinal\s+answers?\b|^\W*answer\W*:")
_RELATION = re.compile(r"=|<|>|\\le|\\ge|\\lt|\\gt|\\in\b")


@dataclass(frozen=True)
class _Segment:
    line: int                  # 1-based line where the math starts
    text: str                  # the math (or code span) inside its delimiters


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


def find_answer(lines: list[str], spans, spec: dict, question: dict, *, several: bool) -> dict:
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


def find_free_text(question, spec, lines, spans, answers, sources) -> None:
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


def find_list(question, spec, lines, spans, answers, sources) -> None:
    """A choice question: the items of the first list in its section, as short strings."""
    for start, end in spans:
        items = [(i, re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+|\*\*", "", lines[i]).strip()) for i in range(start + 1, end)
                 if re.match(r"^\s*(?:[-*+]|\d+[.)])\s+", lines[i])]
        if items:
            answers[question["id"]] = [text[:200] for _, text in items]
            sources[question["id"]] = {"how": "list", "line": items[0][0] + 1, "text": lines[items[0][0]].strip()[:300]}
            return
    sources[question["id"]] = _missing(question, spec, "no list found in its section")



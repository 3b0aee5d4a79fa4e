"""answers.yaml text -> answers (plain data), problems a student can act on, and notices of what was recovered at no
cost. Reads bytes; runs nothing.

Students write LaTeX in YAML, and YAML's double quotes have escapes of their own: `"\\|q\\|^2"` is a syntax
error (which used to drop the whole sheet) and `"e^{\\frac{k_sq}{2 sigma^2}}"` silently turns `\\f` into a
form feed. So, in order:
1. oversized input is refused before anything is parsed;
2. inside double-quoted strings, a backslash that starts a TeX command (`\\frac`, `\\text`, `\\|`, `\\sigma`)
   is kept as a backslash rather than read as a YAML escape (`\\f`, `\\t`, `\\b`, `\\n`, `\\e`, `\\r`, `\\a`,
   `\\v`, or an invalid one), and each such recovery is a notice (it cost nothing), with its line;
3. anchors and aliases (`&a`, `*a`: an alias bomb expands a 1 KB file into gigabytes) are refused: the tokens
   are scanned before anything is composed;
4. the sheet is parsed whole; if that fails, it is parsed per top-level key, so one bad entry costs that
   entry only (reported with its line);
5. what was read passes `plain_answers`, the gate into plain JSON types within budgets.
"""
from __future__ import annotations

import re
from typing import Any, NamedTuple

import yaml

from .plain_answers import plain_answers

__all__ = ["AnswerSheet", "read_answer_sheet", "recover_tex_escapes", "MAX_SHEET_BYTES"]

MAX_SHEET_BYTES = 256 * 2**10
_YAML_ESCAPES = set("0abt\tnvfre \"/\\N_LPxuU")
_TEX_COMMANDS = set("""alpha approx ast beta bar big bigl bigr bigg Big Bigl Bigr bm boldsymbol boxed binom
bmod cdot cdots cap cup circ dfrac displaystyle delta Delta dots ell epsilon eta exp equiv forall frac gamma geq
ge gt hat infty in int iota kappa lambda Lambda land langle ldots le leq left lfloor lceil ln log lor lt lVert
mathbf mathcal mathit mathrm mathsf max min mid mu nabla ne neq not nu operatorname omega Omega partial phi Phi
pi Pi pm prod psi qquad quad rangle rceil rfloor rho right Rightarrow rightarrow rVert sigma Sigma sim sqrt sum
tau tfrac text textbf textit textrm textnormal theta Theta tilde times to top intercal upsilon varepsilon
varphi vartheta vec Vert vert wedge xi zeta mathbb implies coloneqq lvert rvert""".split())
_KEY_LINE = re.compile(r"^(?:'[^']*'|\"[^\"]*\"|[^\s#\-:'\"][^:#]*?)\s*:(?:\s|$)")


class _NoAliases(yaml.SafeLoader):
    """Safe YAML without dates (`2020-01-01` stays text). Aliases are refused before this ever composes."""


_NoAliases.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


class AnswerSheet(NamedTuple):
    answers: dict[str, Any]
    problems: tuple[str, ...]                # what a student can act on, each with its line
    notices: tuple[str, ...]                 # what was recovered at no cost
    unreadable: dict[str, str]               # an entry that is there but could not be read -> that problem


def read_answer_sheet(raw: bytes | str, *, source: str = "answers.yaml") -> AnswerSheet:
    """Never raises for what a student wrote."""
    if len(raw) > MAX_SHEET_BYTES:
        return AnswerSheet({}, (f"{source} is too large ({len(raw) // 1024} KiB): limit {MAX_SHEET_BYTES // 1024} KiB.",),
                           (), {})
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    text, recovered = recover_tex_escapes(text)
    notices = tuple(_recovery_note(source, line, commands) for line, commands in _by_line(recovered)[:10])
    answers, unreadable = _parse_whole(text), {}
    if answers is None:
        answers, unreadable = _parse_per_key(text, source)
    plain, gate = plain_answers(answers, source=source)
    return AnswerSheet(plain, tuple(unreadable.values()) + gate, notices, unreadable)


def _by_line(recovered: list[tuple[int, str]]) -> list[tuple[int, list[str]]]:
    lines: dict[int, list[str]] = {}
    for line, command in recovered:
        if command not in lines.setdefault(line, []):
            lines[line].append(command)
    return sorted(lines.items())


def _recovery_note(source: str, line: int, commands: list[str]) -> str:
    shown = ", ".join("\\" + c for c in commands[:4])
    return (f"{source}, line {line}: in double quotes YAML reads a backslash as an escape (\\f is a form feed, "
            f"\\t a tab, \\| an error); {shown} was read as LaTeX instead. Single quotes ('...') keep "
            "backslashes as they are.")


def recover_tex_escapes(text: str) -> tuple[str, list[tuple[int, str]]]:
    """Double every backslash inside double-quoted scalars that starts a TeX command rather than a YAML
    escape; block scalars (`|`, `>`), single quotes and comments are left as they are.
    -> (text, [(line, command), ...])."""
    out, recovered, state = [], [], _ScanState()
    block_indent = None
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        indent = len(line) - len(line.lstrip(" "))
        if block_indent is not None and (not line.strip() or indent > block_indent):
            out.append(line)
            continue
        block_indent = None
        out.append(state.scan(line, number, recovered))
        if state.quote is None and _BLOCK_START.search(line):
            block_indent = indent
    return "".join(out), recovered


_BLOCK_START = re.compile(r"(?:^|[:\s-])\s*[|>][+-]?[0-9]?\s*(?:#.*)?$")


class _ScanState:
    """Where a character-by-character scan of YAML is: inside which quotes, at a token boundary or not."""

    def __init__(self) -> None:
        self.quote: str | None = None
        self.boundary = True

    def scan(self, line: str, number: int, recovered: list) -> str:
        out, i = [], 0
        self.boundary = True if self.quote is None else self.boundary
        while i < len(line):
            ch = line[i]
            if self.quote == '"' and ch == "\\":
                command = _tex_command_at(line, i + 1)
                if command is not None:
                    out.append("\\\\")
                    recovered.append((number, command))
                    i += 1
                else:
                    out.append(line[i:i + 2])
                    i += 2
                continue
            if self.quote == "'" and line.startswith("''", i):
                out.append("''")
                i += 2
                continue
            if self.quote is not None and ch == self.quote:
                self.quote = None
            elif self.quote is None and ch == "#" and (i == 0 or line[i - 1] in " \t"):
                out.append(line[i:])
                break
            elif self.quote is None and ch in "\"'" and self.boundary:
                self.quote = ch
            if self.quote is None:
                self.boundary = ch in " \t\n:[{,-"
            out.append(ch)
            i += 1
        return "".join(out)


def _tex_command_at(text: str, i: int) -> str | None:
    """The TeX command after a backslash at i-1, when it is one (and not a YAML escape such as \\n, \\\\)."""
    if i >= len(text):
        return None
    letters = re.match(r"[A-Za-z]+", text[i:])
    if letters and letters.group(0) in _TEX_COMMANDS:
        return letters.group(0)
    first = text[i]
    if first in "xuU":
        digits = {"x": 2, "u": 4, "U": 8}[first]
        if not re.fullmatch(r"[0-9A-Fa-f]{%d}" % digits, text[i + 1:i + 1 + digits]):
            return letters.group(0) if letters else first
        return None
    if first in _YAML_ESCAPES or first == "\n":
        return None
    return letters.group(0) if letters else first          # \|, \,, \;, \{, \sqrt... : invalid in YAML


def _has_aliases(text: str) -> bool:
    for token in yaml.scan(text, Loader=_NoAliases):
        if isinstance(token, (yaml.AliasToken, yaml.AnchorToken)):
            return True
    return False


def _load(text: str) -> Any:
    if _has_aliases(text):
        raise yaml.YAMLError("anchors and aliases (&name, *name) are not allowed in answers")
    return yaml.load(text, Loader=_NoAliases)


def _parse_whole(text: str) -> Any:
    try:
        return _load(text)
    except (yaml.YAMLError, ValueError, RecursionError, OverflowError, MemoryError):
        return None


def _parse_per_key(text: str, source: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Each top-level `key: ...` entry on its own: a bad entry is reported (key -> problem), the others are kept."""
    lines = text.splitlines(keepends=True)
    starts = [n for n, line in enumerate(lines) if _KEY_LINE.match(line)]
    answers: dict[str, Any] = {}
    unreadable: dict[str, str] = {}
    if not starts:
        return {}, {"": f"{source} is not valid YAML: write one 'question_id: answer' per line."}
    for k, start in enumerate(starts):
        chunk = "".join(lines[start:starts[k + 1] if k + 1 < len(starts) else len(lines)])
        key = _KEY_LINE.match(lines[start]).group(0).rstrip().rstrip(":").strip().strip("'\"")
        try:
            value = _load(chunk)
        except yaml.YAMLError as error:
            unreadable[key] = (f"{source}, line {start + 1}: the answer '{key[:60]}' is not valid YAML "
                               f"({_reason(error)}); the other answers were kept.{_fix(error)}")
            continue
        except (ValueError, RecursionError, OverflowError, MemoryError) as error:
            unreadable[key] = (f"{source}, line {start + 1}: the answer '{key[:60]}' could not be read "
                               f"({type(error).__name__}); the other answers were kept.")
            continue
        if isinstance(value, dict):
            answers.update(value)
    return answers, unreadable


def _fix(error: yaml.YAMLError) -> str:
    """What to change, for the YAML errors students make."""
    reason = _reason(error)
    if "alias" in reason:
        return ""
    if "mapping values" in reason:
        return (" The answer holds ': ', which YAML reads as a new key: put the whole answer in single quotes, "
                "e.g. causal_cost: 'O(N L M) where L: 2 D_r'.")
    return " Quote LaTeX in single quotes, e.g. sigma_sq: '\\sqrt{D}'."


def _reason(error: yaml.YAMLError) -> str:
    problem = getattr(error, "problem", None) or str(error)
    return str(problem).splitlines()[0][:120]

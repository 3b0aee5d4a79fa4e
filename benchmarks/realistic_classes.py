"""Grading speed on classes that look like real ones, side by side with `otter run` (`make benchmark`).

For each assignment it builds a class from the bundled examples: about 60% correct or nearly correct
solutions in the styles people write (loops, numpy, library calls: the `right-*` examples and the reference),
about 30% typical mistakes (`wrong-*`), one function that hangs, one that allocates until the memory limit,
and a couple of notebooks. It grades the class with --jobs 1 and --jobs 2 and prints, per assignment:
submissions per second, median and p95 time per submission, the share of time inside student code, the peak
memory of a sandbox slot (its cgroup's peak while a submission ran: the zygote and the worker, the
memory-hungry submission left out), and the time of the hanging and memory-hungry submissions. It then times
`otter run` (otter-grader 7.0.0, no Docker) on a sample of the same submissions with Otter tests for the same
functions, and prints the ratio.

    .venv/bin/python benchmarks/realistic_classes.py [--size 100] [--otter 5] [--assignment ID]

A script, not a test: timings depend on the machine and its load (printed first). Record runs in BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graders.batch import grade_class                     # noqa: E402
from graders.load import load_submissions                 # noqa: E402
from graders.suite import ASSIGNMENTS, load_suite         # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from otter_tests import OTTER_TESTS                        # noqa: E402

# The function each assignment's hanging and memory-hungry submissions break (the first one graded).
BROKEN = {"kernel_attention": "softmax_attention", "triplet_loss": "pairwise_distances",
          "example_difficulty": "prediction_depth"}
HANG = "while True:\n    pass"
HOG = "_hog = []\nwhile True:\n    _hog.append(bytearray(2**26))"     # 64 MiB at a time, touched


# ------------------------------------------------------------------------------------------------ the class
def _code_file(folder: Path, assignment: str) -> Path | None:
    for name in (f"{assignment}.py", f"{assignment}.ipynb"):
        if (folder / name).is_file():
            return folder / name
    return None


def _examples(assignment: str, prefix: str) -> list[Path]:
    found = sorted(p for p in (ROOT / "examples" / assignment).iterdir() if p.is_dir() and p.name.startswith(prefix))
    return [p for p in found if _code_file(p, assignment) is not None]


def _inject(source: str, function: str, statement: str) -> str:
    """`statement` as the first line of `function`'s body."""
    match = re.search(rf"^def {function}\(.*?:[ \t]*(#.*)?\n", source, flags=re.M | re.S)
    if match is None:
        raise ValueError(f"no def {function}")
    body = "".join(f"    {line}\n" for line in statement.splitlines())
    return source[:match.end()] + body + source[match.end():]


def _notebook(source: str) -> str:
    """A .py file as a notebook: one code cell per top-level block."""
    blocks = re.split(r"\n(?=(?:def |class |[A-Za-z_]+ ?=))", source)
    cells = [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
              "source": block.strip("\n").splitlines(keepends=True)} for block in blocks if block.strip()]
    return json.dumps({"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# My homework"]}, *cells],
                       "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
                       "nbformat": 4, "nbformat_minor": 5})


def build_class(assignment: str, size: int, folder: Path, seed: int = 0) -> dict[str, str]:
    """Write `size` submissions into `folder`; returns submission id -> kind."""
    rng = random.Random(seed)
    right = _examples(assignment, "right-") + _examples(assignment, "reference")
    wrong = [p for p in _examples(assignment, "wrong-") if "slow" not in p.name]
    py_right = [p for p in right if _code_file(p, assignment).suffix == ".py"]
    kinds: dict[str, str] = {}
    n_broken, n_notebooks = 2, 2
    n_wrong = round(0.3 * size)
    n_right = size - n_wrong - n_broken - n_notebooks
    plan = ([("right", right[i % len(right)]) for i in range(n_right)]
            + [("wrong", wrong[i % len(wrong)]) for i in range(n_wrong)]
            + [("notebook", rng.choice(py_right)) for _ in range(n_notebooks)]
            + [("hangs", rng.choice(py_right)), ("memory", rng.choice(py_right))])
    for index, (kind, source_folder) in enumerate(plan):
        name = f"s{index:03d}-{kind}-{source_folder.name}"
        target = folder / name
        shutil.copytree(source_folder, target)
        code = _code_file(target, assignment)
        if code.suffix == ".py":
            text = f"# submission {index}\n" + code.read_text()
            if kind in ("hangs", "memory"):
                text = _inject(text, BROKEN[assignment], HANG if kind == "hangs" else HOG)
            if kind == "notebook":
                code.unlink()
                (target / f"{assignment}.ipynb").write_text(_notebook(text))
            else:
                code.write_text(text)
        kinds[name] = kind
    return kinds


# ------------------------------------------------------------------------------------------------ grading
def grade(assignment: str, folder: Path, jobs: int) -> dict:
    suite = load_suite(assignment)
    submissions = list(load_submissions([folder], assignment))
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        results = grade_class(suite, submissions, Path(out), jobs=jobs, force=True, progress=False)
        wall = time.perf_counter() - start
    return {"wall": wall, "n": len(results),
            "elapsed": {r["submission"]: r["elapsed_s"] for r in results},
            "memory": {r["submission"]: r.get("peak_memory_mib") or float("nan") for r in results},
            "student": {r["submission"]: r["student_s"] for r in results},
            "score": {r["submission"]: (r["score"], r["max_score"]) for r in results}}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


# ------------------------------------------------------------------------------------------------ otter
def otter_autograder(assignment: str, work: Path) -> Path:
    """`otter generate` on Otter tests for the same functions (benchmarks/otter_tests.py)."""
    tests = work / "tests"
    tests.mkdir(parents=True)
    for name, source in OTTER_TESTS[assignment].items():
        (tests / f"{name}.py").write_text(source.replace("ROOT", repr(str(ROOT))))
    subprocess.run([str(ROOT / ".venv/bin/otter"), "generate", "-t", "tests"], cwd=work, check=True,
                   capture_output=True)
    return work / "autograder.zip"


def otter_times(assignment: str, folder: Path, names: list[str]) -> list[float]:
    times = []
    with tempfile.TemporaryDirectory() as work:
        zip_path = otter_autograder(assignment, Path(work) / "gen")
        for name in names:
            code = _code_file(folder / name, assignment)
            out = Path(work) / "out" / name
            out.mkdir(parents=True)
            start = time.perf_counter()
            done = subprocess.run([str(ROOT / ".venv/bin/otter"), "run", "-a", str(zip_path), "-o", str(out),
                                   str(code)], capture_output=True, timeout=600)
            times.append(time.perf_counter() - start)
            if done.returncode != 0 or not (out / "results.json").is_file():
                print(f"    otter run failed on {name}: {done.stderr.decode()[-300:]}")
    return times


# ------------------------------------------------------------------------------------------------ report
def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def summary(r: dict, kinds: dict[str, str]) -> dict:
    """One row of the table from one graded class."""
    elapsed = list(r["elapsed"].values())                # from each submission's own run on: no sandbox start
    broken = {kinds[n]: r["elapsed"][n] for n in r["elapsed"] if kinds[n] in ("hangs", "memory")}
    return {"wall": r["wall"], "rate": r["n"] / r["wall"], "median": statistics.median(elapsed),
            "p95": percentile(elapsed, 0.95), "max": max(elapsed),
            "student": sum(r["student"].values()) / max(sum(elapsed), 1e-9),
            "memory_mib": max(m for n, m in r["memory"].items() if kinds[n] != "memory"),
            "hangs": broken.get("hangs", float("nan")), "hog": broken.get("memory", float("nan")),
            "slowest_styles": _slowest_styles(r["elapsed"], kinds)}


def _slowest_styles(elapsed: dict[str, float], kinds: dict[str, str], most: int = 3) -> list[tuple[str, float]]:
    """The example styles whose copies took longest (median): what a class made mostly of them would cost."""
    by_style: dict[str, list[float]] = {}
    for name, seconds in elapsed.items():
        if kinds[name] in ("right", "wrong"):
            by_style.setdefault(name.split("-", 2)[2], []).append(seconds)
    medians = sorted(((statistics.median(t), style) for style, t in by_style.items()), reverse=True)
    return [(style, m) for m, style in medians[:most]]


def table(rows: list[tuple[str, int, dict, float | None]]) -> str:
    """The rows as BENCHMARKS.md's table: (assignment, jobs, summary, otter run's median or None)."""
    lines = ["| assignment | --jobs | wall | submissions/s | median | p95 | in student code | peak memory per slot "
             "| hangs | memory hog | `otter run` median | ratio |", "|" + "---|" * 12]
    for assignment, jobs, s, otter in rows:
        ratio = f"{otter / s['median']:.0f}x" if otter else ""
        lines.append(f"| {assignment} | {jobs} | {s['wall']:.1f} s | {s['rate']:.2f} | {s['median']:.3f} s | "
                     f"{s['p95']:.2f} s | {100 * s['student']:.0f}% | {s['memory_mib']:.0f} MiB | {s['hangs']:.1f} s | "
                     f"{s['hog']:.1f} s | {f'{otter:.2f} s' if otter else ''} | {ratio} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100, help="submissions per assignment")
    parser.add_argument("--otter", type=int, default=5, help="submissions per assignment timed with otter run")
    parser.add_argument("--assignment", choices=ASSIGNMENTS)
    parser.add_argument("--jobs", type=int, nargs="+", default=[2, 1])
    args = parser.parse_args()
    print(f"{time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} cores, load average {load_average()}\n")
    totals, rows = {jobs: 0.0 for jobs in args.jobs}, []
    for assignment in [args.assignment] if args.assignment else ASSIGNMENTS:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / assignment
            folder.mkdir()
            kinds = build_class(assignment, args.size, folder)
            counts = {k: list(kinds.values()).count(k) for k in ("right", "wrong", "notebook", "hangs", "memory")}
            print(f"{assignment}: {len(kinds)} submissions " + ", ".join(f"{n} {k}" for k, n in counts.items()))
            done = []
            for jobs in args.jobs:
                s = summary(grade(assignment, folder, jobs), kinds)
                totals[jobs] += s["wall"]
                done.append((assignment, jobs, s))
                print(f"  --jobs {jobs}: {s['wall']:.1f} s wall; median {s['median']:.3f} s, p95 {s['p95']:.3f} s, "
                      f"max {s['max']:.2f} s; slowest styles (median): "
                      + ", ".join(f"{style} {m:.2f} s" for style, m in s["slowest_styles"]))
            otter = None
            if args.otter:
                sample = [n for n in sorted(kinds) if kinds[n] in ("right", "wrong")][:: max(1, len(kinds) // args.otter)]
                otter = statistics.median(otter_times(assignment, folder, sample[:args.otter]))
                print(f"  otter run on {min(len(sample), args.otter)} of the same submissions: median {otter:.2f} s")
            rows += [(a, j, s, otter if j == max(args.jobs) else None) for a, j, s in done]
        print()
    print(table(rows) + "\n")
    print("Per submission: the time it held a slot (a slot's start counts in the wall time, in no submission's); "
          "ratio: otter run's median over ours with the most slots. Peak memory: the slot's cgroup peak while a "
          "submission ran, the memory hog left out.")
    for jobs, wall in totals.items():
        print(f"all assignments, --jobs {jobs}: {wall:.1f} s")
    print(f"load average at the end: {load_average()}")


if __name__ == "__main__":
    main()

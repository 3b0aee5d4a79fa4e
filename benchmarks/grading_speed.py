"""How fast is grading? Prints, for each example class: the time per submission in a batch, the share spent
inside student code, and ratios to a bare `python -c 'import torch'` and to Otter-Grader's measured start-up.

    .venv/bin/python benchmarks/grading_speed.py [--jobs 2] [--repeat 3]

A script, not a test: timings depend on the machine. Figures from a run are recorded in BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
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

OTTER_RUN_S = 3.1          # otter-grader 7.0.0 `otter run`, minimum wall per submission (shared/notes/otter.md)


def bare_torch_import_s(repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import torch"], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_class(assignment: str, jobs: int, attacks: bool) -> dict:
    """Attack submissions (`attack-*`) sit out their timeouts on purpose: they are timed only with --attacks."""
    suite = load_suite(assignment)
    submissions = [s for s in load_submissions([ROOT / "examples" / assignment], assignment)
                   if attacks or not s.id.startswith("attack-")]
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        results = grade_class(suite, submissions, Path(out), jobs=jobs, force=True, progress=False)
        wall = time.perf_counter() - start
    return {"assignment": assignment, "n": len(results), "wall": wall, "per_submission": wall / len(results),
            "elapsed": [r["elapsed_s"] for r in results], "student": [r["student_s"] for r in results],
            "names": [r["submission"] for r in results]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--assignment", choices=ASSIGNMENTS)
    parser.add_argument("--verbose", action="store_true", help="print every submission")
    parser.add_argument("--attacks", action="store_true", help="include the attack submissions (they hit timeouts)")
    args = parser.parse_args()
    torch_s = bare_torch_import_s(args.repeat)
    print(f"bare `python -c 'import torch'`: {torch_s:.2f} s (median of {args.repeat})")
    print(f"otter run (from shared/notes/otter.md): {OTTER_RUN_S:.2f} s per submission\n")
    for assignment in [args.assignment] if args.assignment else ASSIGNMENTS:
        if not (ROOT / "examples" / assignment).is_dir():
            continue
        r = bench_class(assignment, args.jobs, args.attacks)
        # a slot's first submission also pays the sandbox start (once per batch and slot, ~import torch)
        steady = sorted(r["elapsed"])[: max(1, len(r["elapsed"]) - args.jobs)]
        share = sum(r["student"]) / max(sum(r["elapsed"]), 1e-9)
        per = sum(steady) / len(steady) / args.jobs                   # throughput once the slots are up
        print(f"{assignment}: {r['n']} submissions, {args.jobs} slots, {r['wall']:.2f} s wall including the "
              f"sandbox start ({r['per_submission']:.3f} s per submission)")
        print(f"  per submission in the batch, slots up: {per:.3f} s   -> {torch_s / per:.1f}x less than "
              f"`import torch`, {OTTER_RUN_S / per:.1f}x less than otter run")
        print(f"  grading one submission (median): {statistics.median(steady):.3f} s; "
              f"time inside student code: {100 * share:.0f}%")
        if args.verbose:
            for name, elapsed, student in sorted(zip(r["names"], r["elapsed"], r["student"]), key=lambda t: -t[1]):
                print(f"    {name:40s} {elapsed:7.3f} s  student {student:6.3f} s")
        print()


if __name__ == "__main__":
    main()

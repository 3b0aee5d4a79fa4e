"""Decision time of graders.symbolic over the regression table (tests/engine/symbolic_cases.yaml).

Run: .venv/bin/python benchmarks/symbolic.py [--repeat 3]
Prints the import time, the cold pass (lazy imports of the LaTeX parser and SciPy included) and, for warm
passes, the median, 90th percentile and worst decision time, overall and per judge, plus the slowest rows.
"""
from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLE_MODULE = ROOT / "tests" / "engine" / "test_symbolic.py"


def import_seconds() -> float:
    code = "import time; t = time.perf_counter(); import graders.symbolic; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def load_table():
    sys.path.insert(0, str(ROOT))
    spec = importlib.util.spec_from_file_location("symbolic_table", TABLE_MODULE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.JUDGES, module.CASES


def time_pass(judges, cases) -> list[tuple[float, dict]]:
    timings = []
    for case in cases:
        start = time.perf_counter()
        judges[case["judge"]](case["answer"])
        timings.append((time.perf_counter() - start, case))
    return timings


def summary(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return (f"median {statistics.median(ordered) * 1e3:7.2f} ms   p90 {p90 * 1e3:7.2f} ms   "
            f"worst {ordered[-1] * 1e3:8.2f} ms   (n={len(ordered)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="warm passes over the table")
    args = parser.parse_args()

    print(f"import graders.symbolic: {import_seconds():.2f} s (fresh interpreter)")
    start = time.perf_counter()
    judges, cases = load_table()
    print(f"building the homework judges: {time.perf_counter() - start:.2f} s")

    cold = time_pass(judges, cases)
    print(f"cold pass:  {summary([t for t, _ in cold])}")
    warm = [entry for _ in range(args.repeat) for entry in time_pass(judges, cases)]
    print(f"warm passes: {summary([t for t, _ in warm])}")

    print("\nper judge (warm):")
    for name in sorted({c["judge"] for c in cases}):
        print(f"  {name:22} {summary([t for t, c in warm if c['judge'] == name])}")

    print("\nslowest rows (warm, worst of the passes):")
    worst: dict[str, float] = {}
    for seconds, case in warm:
        key = f"{case['judge']}: {str(case['answer'])[:60]}"
        worst[key] = max(worst.get(key, 0.0), seconds)
    for key, seconds in sorted(worst.items(), key=lambda item: -item[1])[:8]:
        print(f"  {seconds * 1e3:8.1f} ms  {key}")


if __name__ == "__main__":
    main()

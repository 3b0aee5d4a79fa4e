"""`autograde`: the command-line front end. Parses arguments, calls the pipeline, maps exit codes.

Exit codes (interfaces.md): 0 when grading ran, whatever the scores; 2 for a usage error or an unknown
assignment; 1 for a grader fault, which a student's code can never cause.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

__all__ = ["main"]

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


class UsageError(Exception):
    pass


def _suite(assignment: str):
    """The assignment's suite, its late policy checked too: a staff mistake is a usage error before grading."""
    from .late import LatePolicyError, late_policy
    from .suite import assignment_ids, load_suite
    if assignment not in assignment_ids():
        raise UsageError(f"unknown assignment {assignment!r}; choose one of: {', '.join(assignment_ids())}")
    try:
        late_policy(assignment)
    except LatePolicyError as error:
        raise UsageError(str(error)) from None
    return load_suite(assignment)


def _submissions(assignment: str, paths: list[Path]):
    from .gradescope_export import ExportError
    from .load import LoadError, load_submissions
    try:
        found = list(load_submissions(paths, assignment))
    except (LoadError, ExportError) as error:
        raise UsageError(str(error)) from None
    if not found:
        raise UsageError(f"no submissions found in {', '.join(map(str, paths))}")
    return found


def cmd_grade(args) -> int:
    suite = _suite(args.assignment)
    if args.json:
        return _grade_one_json(suite, args)
    from .batch import grade_class
    results = grade_class(suite, _submissions(args.assignment, args.paths), args.out, jobs=args.jobs, force=args.force,
                          scheduler=args.scheduler)
    mean = sum(r["score"] for r in results) / len(results)
    print(f"graded {len(results)} submissions of {args.assignment}: mean {mean:.2f}/{suite.max_score:g}; "
          f"reports in {args.out}/index.html", file=sys.stderr)
    return 0


def _grade_one_json(suite, args) -> int:
    from .grade import grade_submission
    from .report import result_to_json
    from .sandbox import Sandbox
    submissions = _submissions(args.assignment, args.paths)
    if len(submissions) != 1:
        raise UsageError(f"--json grades exactly one submission; {len(submissions)} found")
    with Sandbox(hidden=[p.resolve() for p in args.paths]) as sandbox:
        result = grade_submission(suite, submissions[0], sandbox)
    json.dump(result_to_json(result), sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


def cmd_check(args) -> int:
    from .warm_check import check_warm                  # a warm checker answers in about a second
    warm = check_warm(args.assignment, args.path, args.question, args.json, sys.stdout.isatty())
    if warm is not None:
        if "usage_error" in warm:
            raise UsageError(warm["usage_error"])
        sys.stdout.write(warm["output"])
        return 0
    from .grade import grade_submission, hidden_points
    from .report import render_terminal, result_to_json
    from .sandbox import Sandbox
    suite = _suite(args.assignment)
    if args.question and args.question not in [q.id for q in suite.questions]:
        raise UsageError(f"unknown question {args.question!r}; {args.assignment} has: "
                         f"{', '.join(q.id for q in suite.questions)}")
    submissions = _submissions(args.assignment, [args.path])
    with Sandbox(hidden=[args.path.resolve()]) as sandbox:
        result = grade_submission(suite, submissions[0], sandbox, public_only=True, question=args.question)
    if args.json:
        json.dump(result_to_json(result), sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    sys.stdout.write(render_terminal(result_to_json(result), color=sys.stdout.isatty(),
                                     hidden_points=hidden_points(suite, args.question)))
    return 0


def cmd_list(args) -> int:
    from .suite import assignment_ids, load_suite
    if args.assignment:
        suite = _suite(args.assignment)
        print(f"{suite.assignment}  ({suite.max_score:g} points)  {suite.title}")
        for q in suite.questions:
            print(f"\n  {q.id}  ({q.points:g} points, {q.kind})  {q.title}")
            for c in q.checks:
                print(f"    {c.points:>5g}  {c.visibility:8s} {c.name}")
        return 0
    for assignment in assignment_ids():
        try:
            suite = load_suite(assignment)
        except ModuleNotFoundError:
            print(f"{assignment}: (suite not available yet)\n")
            continue
        print(f"{assignment}  ({suite.max_score:g} points)  {suite.title}")
        for q in suite.questions:
            hidden = sum(c.visibility == "hidden" for c in q.checks)
            print(f"  {q.id:28s} {q.points:>4g}  {q.kind:10s} {len(q.checks)} checks" + (f", {hidden} hidden" if hidden else ""))
        print()
    return 0


def cmd_demo(args) -> int:
    from .batch import grade_class
    from .suite import assignment_ids
    from .report import render_overview
    classes = []
    for assignment in assignment_ids():
        folder = EXAMPLES / assignment
        if not folder.is_dir():
            continue
        suite = _suite(assignment)
        results = grade_class(suite, _submissions(assignment, [folder]), args.out / assignment, jobs=args.jobs,
                              force=args.force)
        classes.append({"folder": assignment, "title": suite.title, "n": len(results), "max_score": suite.max_score,
                        "mean": sum(r["score"] for r in results) / len(results)})
        print(f"{assignment}: {len(results)} submissions -> {args.out / assignment / 'index.html'}", file=sys.stderr)
    if not classes:
        raise UsageError(f"no example classes under {EXAMPLES}")
    (args.out / "index.html").write_text(render_overview(classes))
    print(f"all classes: {args.out / 'index.html'}", file=sys.stderr)
    return 0


def cmd_merge(args) -> int:
    from .batch import merge_manual_scores
    from .manual import ManualScoreError
    _suite(args.assignment)
    try:
        merged = merge_manual_scores(args.out, args.scores, args.assignment)
    except (ManualScoreError, FileNotFoundError) as error:
        raise UsageError(str(error)) from None
    print(f"merged manual scores into {len(merged)} submissions in {args.out}", file=sys.stderr)
    return 0


def cmd_report(args) -> int:
    from .batch import rebuild_reports
    _suite(args.assignment)
    try:
        results = rebuild_reports(args.out, args.assignment, released=args.released)
    except FileNotFoundError as error:
        raise UsageError(str(error)) from None
    state = "released (hidden feedback and reference answers shown)" if args.released else "before release"
    print(f"rewrote {len(results)} reports in {args.out}, {state}", file=sys.stderr)
    return 0


def cmd_export(args) -> int:
    from .export import export_gradescope, export_otter
    suite = _suite(args.assignment)
    written = export_gradescope(suite, args.out) if args.target == "gradescope" else export_otter(suite, args.out)
    for path in written if isinstance(written, list) else [written]:
        print(path)
    return 0


def cmd_prepare(args) -> int:
    import importlib
    _suite(args.assignment)
    module = importlib.import_module(f"graders.suites.{args.assignment}")
    prepare = getattr(module, "prepare", None)
    if prepare is None:
        print(f"{args.assignment} needs no preparation.", file=sys.stderr)
        return 0
    prepare(progress=True)
    return 0


def cmd_new(args) -> int:
    from .scaffold import SkeletonError, write_skeleton
    try:
        written = write_skeleton(args.assignment)
    except SkeletonError as error:
        raise UsageError(str(error)) from None
    for path in written:
        print(path)
    print(f"wrote a working skeleton of {args.assignment}: try `autograde grade {args.assignment} "
          f"examples/{args.assignment}`, then replace the softmax with your homework (README: Adding an assignment)",
          file=sys.stderr)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autograde", description="Grade deep-learning homework: student code runs "
                                     "isolated, only plain data comes back, and every check explains itself.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    grade = commands.add_parser("grade", help="grade one or many submissions",
                                description="Grade submissions: .py/.ipynb/.zip files, folders, or a folder of them.")
    grade.add_argument("assignment")
    grade.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    grade.add_argument("--out", type=Path, default=Path("out"), help="output folder (default: out)")
    grade.add_argument("--jobs", type=int, default=2, help="parallel sandbox slots (default: 2)")
    grade.add_argument("--force", action="store_true", help="regrade submissions that are already graded")
    grade.add_argument("--json", action="store_true", help="grade one submission and print its results.json")
    grade.add_argument("--scheduler", metavar="ADDRESS", help="grade on a dask.distributed cluster: a scheduler "
                       "address (tcp://host:8786), or 'local' for a LocalCluster of --jobs workers")
    grade.set_defaults(run=cmd_grade)

    check = commands.add_parser("check", help="a student's self-check: public checks only")
    check.add_argument("assignment")
    check.add_argument("path", type=Path)
    check.add_argument("-q", "--question", help="check one question only")
    check.add_argument("--json", action="store_true", help="print the public checks' results JSON instead (for tools)")
    check.set_defaults(run=cmd_check)

    listing = commands.add_parser("list", help="assignments, questions and points; with an assignment, every check")
    listing.add_argument("assignment", nargs="?", help="show this assignment's checks with points and visibility")
    listing.set_defaults(run=cmd_list)

    demo = commands.add_parser("demo", help="grade the bundled example classes and write their reports")
    demo.add_argument("--out", type=Path, default=Path("out/demo"), help="output folder (default: out/demo)")
    demo.add_argument("--jobs", type=int, default=2)
    demo.add_argument("--force", action="store_true")
    demo.set_defaults(run=cmd_demo)

    merge = commands.add_parser("merge", help="merge manual scores (CSV: submission,question,score,comment)",
                                description="Merge staff scores for free-text (and undecided) answers into a graded "
                                "class; every report is rewritten. Merging the same file twice changes nothing.")
    merge.add_argument("assignment")
    merge.add_argument("scores", type=Path, help="CSV with columns submission, question, score, comment")
    merge.add_argument("--out", type=Path, default=Path("out"), help="the graded class folder (default: out)")
    merge.set_defaults(run=cmd_merge)

    report = commands.add_parser("report", help="rebuild every report from results.json, e.g. after release",
                                 description="Rewrite feedback.html, gradescope.json, gradebook.csv and index.html "
                                 "from the results.json files in OUT, without grading again.")
    report.add_argument("assignment")
    report.add_argument("--out", type=Path, default=Path("out"), help="the graded class folder (default: out)")
    report.add_argument("--released", action="store_true",
                        help="show hidden checks' feedback and the reference answers (after the deadline)")
    report.set_defaults(run=cmd_report)

    export = commands.add_parser("export", help="package the grader for Gradescope or Otter-Grader")
    export.add_argument("target", choices=("gradescope", "otter"))
    export.add_argument("assignment")
    export.add_argument("--out", type=Path, required=True, help="folder to write into")
    export.set_defaults(run=cmd_export)

    new = commands.add_parser("new", help="write a working skeleton of a new assignment",
                              description="Write assignments/ID/, reference/ID.py, graders/suites/ID.py and an example "
                              "class examples/ID/ (one right and one wrong submission): a small complete assignment to "
                              "replace with your homework.")
    new.add_argument("assignment", metavar="ASSIGNMENT_ID")
    new.set_defaults(run=cmd_new)

    prepare = commands.add_parser("prepare", help="build data sets and models an assignment needs (cached)")
    prepare.add_argument("assignment")
    prepare.set_defaults(run=cmd_prepare)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except UsageError as error:
        print(f"autograde: {error}", file=sys.stderr)
        return 2
    except Exception as error:                                          # noqa: BLE001
        from .batch import GraderFault
        kind = "grader fault" if isinstance(error, GraderFault) else f"grader fault ({type(error).__name__})"
        print(f"autograde: {kind}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

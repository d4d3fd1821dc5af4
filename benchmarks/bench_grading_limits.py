"""What an honest submission costs the grader, and the default limits that follow (Limits in sandbox.py).

    .venv/bin/python -m benchmarks.bench_grading_limits [--runs 3] [--factor 5]     (from the repository root)

Grades every solution notebook of the course (all right answers) RUNS times in the sandbox, one at a
time, and measures each cell's and each check's time in the worker, each notebook's total, and the
largest reply the worker sent (bytes, JSON lists and objects, nesting). Prints them, and the limits
FACTOR times the worst seen (a loaded machine, a slower laptop), next to the defaults of Limits.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--factor", type=float, default=5.0)
    args = parser.parse_args(argv)
    from tools.grading import cli, grader, transport
    from tools.grading.sandbox import Limits, make_sandbox
    from tools.grading.submission import Submission, json_shape

    from mlp.exercises import contract
    import nbformat
    solutions = [nbformat.read(ROOT / "solutions" / f"{name}.ipynb", as_version=4) for name in cli.course_names()]
    answers = {c.source for nb in solutions for c in nb.cells if contract.ANY_MARKER.search(c.source)}
    seen = {"answer": 0.0, "cell": 0.0, "call": 0.0, "bytes": 0, "containers": 0, "depth": 0}
    ask = transport.Worker.ask

    def measured(self, message, seconds, budget=True):
        started = time.perf_counter()
        reply = ask(self, message, seconds, budget)
        op = message.get("op")
        if op in ("cell", "call"):
            op = "answer" if message.get("source") in answers else op
            seen[op] = max(seen[op], time.perf_counter() - started)
            line = json.dumps(reply).encode()
            containers, depth = json_shape(line, 10**9)
            seen.update(bytes=max(seen["bytes"], len(line)), containers=max(seen["containers"], containers),
                        depth=max(seen["depth"], depth))
        return reply
    transport.Worker.ask = measured
    sandbox = make_sandbox(ROOT, [], require=False)
    limits = Limits()
    totals = {}
    for name in cli.course_names():
        lecture = cli.pristine_lecture(name)
        for run in range(args.runs):
            started = time.perf_counter()
            graded = grader.grade_submission(Submission("solution", name, ROOT / "solutions" / f"{name}.ipynb"),
                                             lecture, sandbox, limits, 0, run)
            totals[name] = max(totals.get(name, 0.0), time.perf_counter() - started)
            wrong = [m for m in graded.marks if m.status not in ("passed", "manual")]
            if wrong:
                print(f"{name}: not all passed: {wrong}", file=sys.stderr)
                return 1
    f = args.factor
    print(f"sandbox {sandbox.kind}, {args.runs} runs of every solution notebook")
    print(f"{'':34} {'worst seen':>12} {'x' + format(f, 'g'):>10} {'default':>10}")
    rows = [("one answer cell (s)", seen["answer"], limits.answer_seconds),
            ("one check's request (s)", seen["call"], limits.call_seconds),
            ("one lecture cell (s)", seen["cell"], limits.cell_seconds),
            ("one notebook, worker start incl. (s)", max(totals.values()), limits.notebook_seconds),
            ("all notebooks of a student (s)", sum(totals.values()), limits.student_seconds),
            ("reply bytes", seen["bytes"], limits.answer_bytes),
            ("reply lists and objects", seen["containers"], limits.answer_containers),
            ("reply nesting", seen["depth"], limits.answer_depth)]
    for what, worst, default in rows:
        print(f"{what:<34} {worst:>12.3g} {worst * f:>10.3g} {default:>10.3g}")
    for name, seconds in totals.items():
        print(f"  {name}: {seconds:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

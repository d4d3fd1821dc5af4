"""Grading throughput: `course.py grade` against `nbgrader autograde`, on the same submissions, in one run.

    .venv/bin/python -m benchmarks.bench_grading [--count 24] [--jobs N]     (from the repository root)

Both grade the same COUNT honest submissions of notebook 01 (right, empty and partial in turn),
laid out as nbgrader wants them (submitted/<student>/ps01/), from the same course folder, one after
the other: first nbgrader (after its generate_assignment, which is not timed), then ours with one
sandboxed worker per core. Prints wall-clock seconds and submissions per second, checks that both
gave the same total to every student, and says whether ours reaches 2x nbgrader's throughput.
Needs the nbgrader extra (pip install -e ".[nbgrader]").
"""
from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
from tests import grading_corpus as corpus


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=24, help="submissions (at least 20 for the issue's figure)")
    parser.add_argument("--jobs", type=int, default=None, help="our parallel workers (default: one per core)")
    args = parser.parse_args(argv)
    try:
        import nbgrader  # noqa: F401
    except ImportError:
        print('nbgrader is not installed: .venv/bin/python -m pip install -e ".[nbgrader]"', file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        folder = Path(tmp) / "course"
        folder.mkdir()
        students = corpus.honest(args.count)
        corpus.nbgrader_course(folder, students)

        started = time.perf_counter()
        autograde = corpus.nbgrader_autograde(folder)
        theirs_seconds = time.perf_counter() - started
        if autograde.returncode != 0:
            print(autograde.stderr[-3000:], file=sys.stderr)
            return 1
        theirs = corpus.nbgrader_scores(folder)

        out = Path(tmp) / "results"
        command = [sys.executable, "-m", "tools.grading", "grade", str(folder), "--out", str(out), "--quiet"]
        if args.jobs:
            command += ["--jobs", str(args.jobs)]
        started = time.perf_counter()
        ours_run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        ours_seconds = time.perf_counter() - started
        if ours_run.returncode != 0:
            print(ours_run.stderr[-3000:], file=sys.stderr)
            return 1
        with open(out / "grades.csv", newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))

    ours_totals = {s: sum(float(r["points"]) for r in rows if r["student"] == s) for s in students}
    theirs_totals = {s: sum(v for (who, _), v in theirs.items() if who == s) for s in students}
    n = len(students)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{n} submissions of notebook 01, {os.cpu_count()} cores, load average {load:.1f} before the run")
    print(f"{'grader':<32} {'seconds':>8} {'per second':>11}")
    print(f"{'nbgrader autograde (1 process)':<32} {theirs_seconds:>8.1f} {n / theirs_seconds:>11.2f}")
    jobs = args.jobs or os.cpu_count()
    print(f"{f'course.py grade ({jobs} workers)':<32} {ours_seconds:>8.1f} {n / ours_seconds:>11.2f}")
    ratio = theirs_seconds / ours_seconds
    same = ours_totals == theirs_totals
    print(f"throughput ratio {ratio:.1f}x (target at least 2x: {'met' if ratio >= 2 else 'missed'}); "
          f"same totals for every student: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The two commands: `grade` (a teacher, a class) and `check` (a student, their own notebooks).

    python3 course.py grade SUBMISSIONS --out RESULTS   |   python3 course.py check [NOTEBOOK ...]

grade: every <student>/<notebook>.ipynb in SUBMISSIONS (or nbgrader's submitted/<student>/<assignment>/
layout) runs in its own sandboxed kernel, one per core; writes RESULTS/grades.csv and
RESULTS/feedback/<student>/<notebook>.html, prints a table of students x notebooks. Exit 0 when
every submission was graded, whatever its marks. SUBMISSIONS may also be the zip Moodle's "Download all
submissions" or Canvas's "Download Submissions" gives: it is unpacked into RESULTS/submissions/ (with the
participants' platform ids) and the files to upload back are written beside grades.csv (tools/grading/lms.py).

check: for a student: runs your lectures/NN_topic.ipynb (default: all of them) the way the grader
does, in a fresh kernel, and prints each exercise's verdict and points. It changes no file.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import nbformat

from . import lms, reports
from .grader import Graded, grade_all
from .sandbox import Limits, make_sandbox
from .submission import Lecture, Submission, find_submissions, lecture_from_notebook

ROOT = Path(__file__).resolve().parents[2]
LECTURES, SOLUTIONS = ROOT / "lectures", ROOT / "solutions"


def pristine_lecture(name: str) -> Lecture:
    """The lecture as generated: lectures/NAME.ipynb if nobody edited it, else generated afresh from solutions/."""
    from tools import make_lectures
    path = LECTURES / f"{name}.ipynb"
    if path.exists() and not make_lectures.edited(path):
        notebook = nbformat.read(path, as_version=4)
    else:
        notebook = make_lectures.make_lecture(nbformat.read(SOLUTIONS / f"{name}.ipynb", as_version=4), f"{name}.ipynb")
    return lecture_from_notebook(notebook, name)


def course_names() -> list[str]:
    return sorted(p.stem for p in SOLUTIONS.glob("[0-9][0-9]_*.ipynb"))


def _limits(args) -> Limits:
    return Limits(answer_seconds=args.answer_seconds, call_seconds=args.call_seconds,
                  cell_seconds=args.cell_seconds, notebook_seconds=args.notebook_seconds,
                  student_seconds=args.student_seconds, memory_bytes=int(args.memory_mb * 2**20))


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--answer-seconds", type=float, default=Limits.answer_seconds,
                        help="time limit of one answer cell")
    parser.add_argument("--call-seconds", type=float, default=Limits.call_seconds,
                        help="time limit of one call of the student's code by a check")
    parser.add_argument("--cell-seconds", type=float, default=Limits.cell_seconds, help="time limit of one lecture cell")
    parser.add_argument("--notebook-seconds", type=float, default=Limits.notebook_seconds, help="time limit of a notebook")
    parser.add_argument("--student-seconds", type=float, default=Limits.student_seconds,
                        help="time limit of all of one student's notebooks together")
    parser.add_argument("--memory-mb", type=float, default=Limits.memory_bytes / 2**20, help="memory limit (address space)")
    parser.add_argument("--seed", type=int, default=None, help="reproducible check inputs (default: fresh every run)")


def grade(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python3 course.py grade", description="Grade a class's notebooks.")
    parser.add_argument("submissions", type=Path, help="folder of <student>/<notebook>.ipynb (or nbgrader's submitted/), "
                                                       "or Moodle's or Canvas's zip of an assignment's submissions")
    parser.add_argument("--out", type=Path, required=True, help="folder for grades.csv and feedback/")
    parser.add_argument("--notebook", help="with a zip: the course's notebook it holds (default: the one its files are "
                                           "named after)")
    parser.add_argument("--canvas-assignment", metavar="ID", type=int,
                        help="with a Canvas zip: the assignment's id, so that the import fills its column")
    parser.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: one per core)")
    parser.add_argument("--hide", type=Path, action="append", default=[], help="another folder the submissions must not read")
    parser.add_argument("--no-sandbox", action="store_true", help="grade without bubblewrap on Linux (trusted work only)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no table")
    _common(parser)
    args = parser.parse_args(argv)
    names = course_names()
    platform = None
    if args.submissions.is_file() and zipfile.is_zipfile(args.submissions):
        try:
            platform, notebook, people = unpack_download(args.submissions, args.notebook, names, args.out)
        except (lms.LmsError, zipfile.BadZipFile, OSError) as error:
            print(f"error: {reports.printable(str(error))}", file=sys.stderr)
            return 2
        args.submissions = args.out / "submissions"
    elif not args.submissions.is_dir():
        print(f"error: {args.submissions} is neither a folder of notebooks nor a Moodle or Canvas zip", file=sys.stderr)
        return 2
    elif args.notebook or args.canvas_assignment:
        print("error: --notebook and --canvas-assignment go with a Moodle or Canvas zip; a folder's notebooks are "
              "named <student>/<notebook>.ipynb", file=sys.stderr)
        return 2
    if platform == "moodle" and args.canvas_assignment:
        print("note: --canvas-assignment is for a Canvas zip; this is Moodle's: it is not used", file=sys.stderr)
    submissions, ignored = find_submissions(args.submissions, set(names))
    for line in ignored:
        print(f"ignored {reports.printable(line)}", file=sys.stderr)
    if not submissions:
        print(f"error: no submissions in {args.submissions} (expected <student>/<notebook>.ipynb with the names of "
              f"lectures/, e.g. alice/{names[0]}.ipynb)", file=sys.stderr)
        return 2
    lectures = {name: pristine_lecture(name) for name in sorted({s.notebook for s in submissions})}
    for lecture in lectures.values():
        if lecture.skipped:
            print(f"note: {lecture.name}: {', '.join(lecture.skipped)} not graded (these checks are not written with "
                  "mlp.exercises' toolkit yet)", file=sys.stderr)
    out = args.out.resolve()
    hide = [args.submissions.resolve(), out, *[h.resolve() for h in args.hide]]
    try:
        sandbox = make_sandbox(ROOT, hide, require=not args.no_sandbox)
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(sandbox.describe(), file=sys.stderr)
    limits = _limits(args)
    progress = reports.Progress(len(submissions)) if not args.quiet else None
    writer = reports.FeedbackWriter(out / "feedback")
    if not writer.mathjax:
        print("note: MathJax is not installed (python3 tools/system_deps.py npm): the feedback pages show formulas "
              "as TeX", file=sys.stderr)
    started = time.monotonic()

    def done(graded: Graded) -> None:
        writer.write(graded, lectures[graded.submission.notebook])
        if progress:
            progress.step(f"{graded.submission.student}/{graded.submission.notebook}")

    faults: list[str] = []
    results = grade_all([(s, lectures[s.notebook]) for s in submissions], sandbox, limits, args.jobs, args.seed, done,
                        faults)
    marks = [m for s in sorted(results, key=lambda s: (s.student, s.notebook)) for m in results[s]]
    reports.write_csv(out / "grades.csv", marks)
    seconds = time.monotonic() - started
    if not args.quiet:
        print(reports.summary_table(marks))
        print(f"{len(submissions)} submissions of {len({s.student for s in submissions})} students graded in "
              f"{seconds:.1f} s ({len(submissions) / seconds:.2f} per second); wrote {out / 'grades.csv'} and "
              f"{out / 'feedback'}/")
    if platform == "moodle":
        lines, left_out = lms.write_moodle(out, notebook, people)
    elif platform == "canvas":
        ids = {notebook: str(args.canvas_assignment)} if args.canvas_assignment else {}
        lines, left_out = lms.write_canvas(out, people, ids)
    if platform:
        print("\n".join(reports.printable(line) for line in lines))
        for student in left_out:
            print(f"left out of the upload (no {platform} id): {reports.printable(student)}", file=sys.stderr)
    for fault in faults:
        print(f"error: not graded: {reports.printable(fault)}", file=sys.stderr)
    return 1 if faults else 0


def unpack_download(archive: Path, notebook: str | None, names: list[str], out: Path) -> tuple[str, str, dict]:
    """A platform's submissions zip unpacked into OUT/submissions/ (a folder of that name from before is kept,
    renamed): (platform, notebook, participants by folder name). Raises LmsError when it is no such zip."""
    platform = lms.platform_of(archive)
    notebook = notebook or lms.notebook_of(archive, names)
    if notebook not in names:
        raise lms.LmsError(f"--notebook {notebook}: not a notebook of this course ({', '.join(names)})")
    out.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=".unpacking-", dir=out))
    try:
        people, missing = lms.unpack(platform, archive, notebook, fresh)
        if (out / "submissions").exists():
            kept, number = out / f"submissions-before-{time.strftime('%Y%m%dT%H%M%S')}", 1
            while kept.exists():
                kept, number = kept.with_name(f"{kept.name.split('.')[0]}.{number}"), number + 1
            os.replace(out / "submissions", kept)
            print(f"note: the earlier {out / 'submissions'} is now {kept}", file=sys.stderr)
        os.replace(fresh, out / "submissions")
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
    print(f"{platform} zip: {len(people) - len(missing)} notebooks ({notebook}) of {len(people)} participants, "
          f"unpacked into {out / 'submissions'}", file=sys.stderr)
    for line in missing:
        print(f"no notebook: {reports.printable(line)}", file=sys.stderr)
    return platform, notebook, {p.student: p for p in people}


def check(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python3 course.py check",
                                     description="Grade your own notebooks as your teacher's grader will; changes nothing.")
    parser.add_argument("notebooks", nargs="*", help="e.g. 01_linear_regression or lectures/01_linear_regression.ipynb "
                                                     "(default: every lecture notebook)")
    _common(parser)
    args = parser.parse_args(argv)
    names = course_names()
    paths = []
    for given in args.notebooks or [str(LECTURES / f"{n}.ipynb") for n in names if (LECTURES / f"{n}.ipynb").exists()]:
        path = Path(given)
        if not path.suffix:
            path = LECTURES / f"{given}.ipynb"
        if not path.exists() and (LECTURES / path.name).exists():
            path = LECTURES / path.name
        if path.stem not in names or not path.exists():
            print(f"error: {given} is not a notebook of this course ({', '.join(names)})", file=sys.stderr)
            return 2
        paths.append(path)
    sandbox = make_sandbox(ROOT, [], require=False)
    if sandbox.kind != "bubblewrap":
        print(f"note: {sandbox.reason}: your notebook runs without a sandbox here (the teacher's grader uses one).",
              file=sys.stderr)
    work = [(Submission("you", p.stem, p.resolve()), pristine_lecture(p.stem)) for p in paths]
    results = grade_all(work, sandbox, _limits(args), None, args.seed)
    for submission, lecture in work:
        marks = results[submission]
        total, most = sum(m.points for m in marks), sum(m.max_points for m in marks)
        print(f"{submission.path.relative_to(ROOT) if submission.path.is_relative_to(ROOT) else submission.path}: "
              f"{reports.points(total)} of {reports.points(most)} points")
        for m in marks:
            print(f"  {reports.SYMBOL.get(m.status, '✘')} {m.exercise:<9} {reports.points(m.points)}/"
                  f"{reports.points(m.max_points)}  {m.status}: {reports.printable(m.message)}")
        if lecture.skipped:
            print(f"  (not graded here yet: {', '.join(lecture.skipped)})")
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("grade", "check"):
        print(__doc__)
        return 2
    return grade(argv[1:]) if argv[0] == "grade" else check(argv[1:])

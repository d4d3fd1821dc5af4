"""Moodle and Canvas, both ways: read what they give a teacher to download (all submissions as a zip), write
what they take back (grades with feedback comments, feedback files).

    python3 course.py grade ZIP --out RESULTS        # all of it in one step: unpack, grade, write the uploads

    python -m tools.grading.lms unpack moodle|canvas ZIP --notebook 01_linear_regression --into SUBMISSIONS
    python3 course.py grade SUBMISSIONS --out RESULTS
    python -m tools.grading.lms moodle RESULTS --notebook 01_linear_regression --roster SUBMISSIONS/.lms-roster.csv
    python -m tools.grading.lms canvas RESULTS --roster SUBMISSIONS/.lms-roster.csv [--assignment 01_linear_regression=4321]

`unpack` puts each participant's notebook at SUBMISSIONS/<participant>/<notebook>.ipynb (the layout `grade`
reads) and the participants' platform identities in SUBMISSIONS/.lms-roster.csv; `moodle` and `canvas` turn
RESULTS/grades.csv (and RESULTS/feedback/) into the files to upload. The hub service's gradebook writes the
same files with the same functions.

The formats, as documented (checked before relying on them):
- Moodle, assignment "Download all submissions": a zip with one folder per participant named
  "Full Name_<participant id>_assignsubmission_file_" holding the submitted files (or, without folders, files
  with that prefix). MoodleDocs "Assignment settings" / "Using Assignment" (docs.moodle.org/en/Using_Assignment,
  "Download all submissions"); nbgrader users' scripts rely on the same names (johnhw/moodle_nbgrader,
  update_gradesheet.py).
- Moodle, "Offline grading worksheet" (assignfeedback_offline): a CSV whose rows are matched by the column
  "Identifier" ("Participant <id>") and whose "Grade" and "Feedback comments" columns are imported; "Full name",
  "Email address" and "Maximum Grade" are for people. Moodle's mod/assign/feedback/offline/importgradeslib.php
  finds the columns by these header names. "Upload multiple feedback files in a zip" takes files in folders
  named as in the download above.
- Canvas, Gradebook "Export"/"Import": a CSV starting with the columns Student, ID, SIS User ID, SIS Login ID,
  Section, then one column per assignment named "Assignment name (assignment id)" (a column without an id
  creates a new assignment), and a second row "Points Possible". Canvas Instructor Guide, "How do I import
  grades in the Gradebook?" and "How do I export grades in the Gradebook?" (community.canvaslms.com).
- Canvas, "Download Submissions": a zip of files named "<lastfirst>_<user id>_<submission id>_<file name>",
  with "_LATE" after the name for late work. Canvas Instructor Guide, "How do I download all student
  submissions for an assignment?".
"""
from __future__ import annotations

import argparse
import csv
import html
import io
import re
import sys
import zipfile
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path, PurePosixPath

from .reports import folder_name, inert, points
from .submission import MAX_NOTEBOOK_BYTES, clean

MOODLE_COLUMNS = ["Identifier", "Full name", "Email address", "Grade", "Maximum Grade", "Feedback comments"]
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_POINTS_ROW = "    Points Possible"   # as Canvas writes it in its own export
ROSTER = ".lms-roster.csv"                  # beside the unpacked submissions (grade skips names with a dot)
MOODLE_ENTRY = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_(?:file|onlinetext)_(?P<rest>.*)$", re.S)
CANVAS_ENTRY = re.compile(r"^(?P<name>[^_/]+?)(?P<late>_late)?_(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)$",
                          re.S | re.I)
MOST_ENTRIES = 10_000


@dataclass(frozen=True)
class Participant:
    """A student as the platforms know them; `student` is the name the grader uses (their folder)."""

    student: str
    name: str = ""
    email: str = ""
    moodle_id: str = ""
    canvas_id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    late: str = ""


@dataclass(frozen=True)
class Grade:
    """One student's mark for one notebook, and the feedback comment that goes with it."""

    student: str
    notebook: str
    points: float
    max_points: float
    comment: str = ""


class LmsError(ValueError):
    """The file is not what the platform gives; the message names the file and what was expected."""


# --- reading the platforms' downloads ---------------------------------------------------------------

def _members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    infos = [i for i in archive.infolist() if not i.is_dir()]
    if len(infos) > MOST_ENTRIES:
        raise LmsError(f"the zip holds {len(infos):,} files, more than any class's submissions ({MOST_ENTRIES:,})")
    return infos


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes, at most MAX_NOTEBOOK_BYTES whatever its header claims (no zip bomb)."""
    with archive.open(info) as member:
        data = member.read(MAX_NOTEBOOK_BYTES + 1)
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise LmsError(f"{clean(info.filename)}: larger than a notebook of this course can be")
    return data


def _pick(files: dict[str, bytes], notebook: str) -> bytes | None:
    """Of a participant's files, the notebook: the one named like it, else the only .ipynb."""
    notebooks = {n: d for n, d in files.items() if n.lower().endswith(".ipynb")}
    named = [d for n, d in notebooks.items() if PurePosixPath(n).stem.startswith(notebook)]
    if named:
        return named[0]
    return next(iter(notebooks.values())) if len(notebooks) == 1 else None


def read_moodle(zip_path: Path, notebook: str) -> list[tuple[Participant, bytes | None]]:
    """Moodle's "Download all submissions" zip: each participant and their notebook (None: none found)."""
    found: dict[str, tuple[Participant, dict[str, bytes]]] = {}
    with zipfile.ZipFile(zip_path) as archive:
        for info in _members(archive):
            top = info.filename.split("/", 1)
            match = MOODLE_ENTRY.match(top[0]) or MOODLE_ENTRY.match(info.filename)
            if not match:
                continue
            name, number = clean(match["name"]), match["id"]
            inner = top[1] if len(top) > 1 and MOODLE_ENTRY.match(top[0]) else match["rest"]
            person = Participant(student=folder_name(f"{name}_{number}"), name=name, moodle_id=number)
            found.setdefault(number, (person, {}))[1][inner] = _read(archive, info)
    if not found:
        raise LmsError(f"{zip_path}: no entry named like Moodle's \"Full Name_12345_assignsubmission_file_...\": is "
                       "this the zip of the assignment's \"Download all submissions\"?")
    return [(person, _pick(files, notebook)) for person, files in found.values()]


def read_canvas(zip_path: Path, notebook: str) -> list[tuple[Participant, bytes | None]]:
    """Canvas's "Download Submissions" zip: each student and their notebook (late work flagged)."""
    found: dict[str, tuple[Participant, dict[str, bytes]]] = {}
    with zipfile.ZipFile(zip_path) as archive:
        for info in _members(archive):
            match = CANVAS_ENTRY.match(PurePosixPath(info.filename).name)
            if not match:
                continue
            user = match["user"]
            person = Participant(student=folder_name(f"{clean(match['name'])}_{user}"), name=clean(match["name"]),
                                 canvas_id=user, late="late" if match["late"] else "")
            before, files = found.get(user, (person, {}))
            files[match["file"]] = _read(archive, info)
            found[user] = (replace(before, late=before.late or person.late), files)
    if not found:
        raise LmsError(f"{zip_path}: no file named like Canvas's \"lastfirst_12345_67890_name.ipynb\": is this the zip "
                       "of the assignment's \"Download Submissions\"?")
    return [(person, _pick(files, notebook)) for person, files in found.values()]


def _entry_names(zip_path: Path) -> list[str]:
    with zipfile.ZipFile(zip_path) as archive:
        return [info.filename for info in _members(archive)]


def platform_of(zip_path: Path) -> str:
    """"moodle" or "canvas": whose submissions download `zip_path` is, by the names of its entries."""
    names = _entry_names(zip_path)
    moodle = sum(bool(MOODLE_ENTRY.match(n.split("/", 1)[0])) for n in names)
    canvas = sum(bool(CANVAS_ENTRY.match(PurePosixPath(n).name)) for n in names)
    if not moodle and not canvas:
        raise LmsError(f"{zip_path}: neither Moodle's \"Download all submissions\" zip (Full Name_12345_assignsubmission_"
                       "file_/...) nor Canvas's \"Download Submissions\" zip (lastfirst_12345_67890_name.ipynb)")
    return "moodle" if moodle >= canvas else "canvas"


def notebook_of(zip_path: Path, notebooks: list[str]) -> str:
    """The one notebook of the course (of `notebooks`) that the zip's .ipynb files are named after."""
    files = [PurePosixPath(n).name for n in _entry_names(zip_path) if n.lower().endswith(".ipynb")]
    named = sorted({n for n in notebooks for f in files if n in f})
    if len(named) != 1:
        found = f"its notebooks are named after {', '.join(named)}" if named else "no notebook in it is named after one of the course"
        raise LmsError(f"{zip_path}: {found}: say which notebook this assignment is with --notebook (e.g. --notebook {notebooks[0]})")
    return named[0]


def unpack(platform: str, zip_path: Path, notebook: str, into: Path) -> tuple[list[Participant], list[str]]:
    """Write INTO/<participant>/<notebook>.ipynb for each participant and INTO/.lms-roster.csv; returns
    (participants, one line per participant without a notebook)."""
    read = {"moodle": read_moodle, "canvas": read_canvas}[platform]
    people, missing = [], []
    for person, data in read(zip_path, notebook):
        people.append(person)
        if data is None:
            missing.append(f"{person.name or person.student}: no single notebook among the files handed in")
            continue
        folder = into / person.student
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{notebook}.ipynb").write_bytes(data)
    write_roster(into / ROSTER, people)
    return people, missing


def write_roster(path: Path, people: list[Participant]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, [f.name for f in fields(Participant)])
        writer.writeheader()
        writer.writerows(asdict(p) for p in people)


def read_roster(path: Path) -> dict[str, Participant]:
    with open(path, newline="", encoding="utf-8") as file:
        names = {f.name for f in fields(Participant)}
        return {row["student"]: Participant(**{k: v for k, v in row.items() if k in names}) for row in csv.DictReader(file)}


# --- writing what the platforms take back ------------------------------------------------------------

def comment(points_: float, max_points: float, marks: list[tuple[str, str, str]], late: bool = False) -> str:
    """The feedback comment: points, then one line per exercise (exercise, status, message), HTML-escaped
    (Moodle shows feedback comments as HTML: a student's text in a message stays text)."""
    lines = [f"{points(points_)} of {points(max_points)} points{' (submitted late)' if late else ''}."]
    lines += [f"{exercise}: {status}" + (f": {message}" if message else "") for exercise, status, message in marks]
    return html.escape("\n".join(lines), quote=False)


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def moodle_worksheet(grades: list[Grade], people: dict[str, Participant]) -> tuple[str, list[str]]:
    """Moodle's offline grading worksheet (CSV text) for one assignment, and the students left out (no
    participant number known: Moodle matches rows by it)."""
    rows, left_out = [MOODLE_COLUMNS], []
    for grade in sorted(grades, key=lambda g: g.student):
        person = people.get(grade.student)
        if person is None or not person.moodle_id:
            left_out.append(grade.student)
            continue
        rows.append([f"Participant {person.moodle_id}", inert(person.name or grade.student), inert(person.email),
                     points(grade.points), points(grade.max_points), inert(grade.comment)])
    return _csv(rows), left_out


def moodle_folder(person: Participant) -> str:
    """The folder Moodle names a participant's files in (its download's, which its feedback upload reads)."""
    name = re.sub(r'[\x00-\x1f/\\:*?"<>|]', "_", person.name or person.student)
    return f"{name}_{person.moodle_id}_assignsubmission_file_"


def moodle_feedback_zip(pages: list[tuple[Participant, str, bytes]]) -> bytes:
    """Moodle's "Upload multiple feedback files in a zip": (participant, file name, bytes) in their folders."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for person, name, data in pages:
            if person.moodle_id:
                archive.writestr(f"{moodle_folder(person)}/{name}", data)
    return out.getvalue()


def canvas_column(title: str, assignment_id: int | str | None) -> str:
    return f"{title} ({assignment_id})" if assignment_id else title


def canvas_titles(grades: list[Grade], ids: dict[str, int | str]) -> dict[str, str]:
    """Each graded notebook's column in Canvas's import (`ids`: notebook -> Canvas's assignment id, if known)."""
    return {n: canvas_column(n, ids.get(n)) for n in sorted({g.notebook for g in grades})}


def canvas_gradebook(grades: list[Grade], people: dict[str, Participant], titles: dict[str, str]) -> tuple[str, list[str]]:
    """Canvas's gradebook import CSV: one row per student, one column per notebook (`titles`: notebook ->
    its column, "Name (id)"), the Points Possible row second; and the students left out (no Canvas ID)."""
    notebooks = sorted(titles)
    most = {n: max((g.max_points for g in grades if g.notebook == n), default=0.0) for n in notebooks}
    rows = [CANVAS_COLUMNS + [titles[n] for n in notebooks],
            [CANVAS_POINTS_ROW, "", "", "", ""] + [points(most[n]) for n in notebooks]]
    by_student: dict[str, dict[str, Grade]] = {}
    for grade in grades:
        by_student.setdefault(grade.student, {})[grade.notebook] = grade
    left_out = []
    for student in sorted(by_student):
        person = people.get(student)
        if person is None or not person.canvas_id:
            left_out.append(student)
            continue
        marks = by_student[student]
        rows.append([inert(person.name or student), person.canvas_id, inert(person.sis_user_id),
                     inert(person.sis_login_id), inert(person.section)]
                    + [points(marks[n].points) if n in marks else "" for n in notebooks])
    return _csv(rows), left_out


# --- from the grader's results -------------------------------------------------------------------------

def grades_from_csv(path: Path) -> list[Grade]:
    """RESULTS/grades.csv (one row per exercise) as one Grade per student and notebook, with its comment."""
    marks: dict[tuple[str, str], list[dict]] = {}
    with open(path, newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            marks.setdefault((row["student"].removeprefix("'"), row["notebook"]), []).append(row)
    grades = []
    for (student, notebook), rows in marks.items():
        got, most = sum(float(r["points"]) for r in rows), sum(float(r["max_points"]) for r in rows)
        grades.append(Grade(student, notebook, got, most,
                            comment(got, most, [(r["exercise"], r["status"], r["message"].removeprefix("'")) for r in rows])))
    return grades


def write_moodle(results: Path, notebook: str, people: dict[str, Participant]) -> tuple[list[str], list[str]]:
    """RESULTS/grades.csv and RESULTS/feedback/ -> Moodle's grading worksheet and feedback-files zip in RESULTS;
    (what was written, for the teacher; the students left out)."""
    grades = [g for g in grades_from_csv(results / "grades.csv") if g.notebook == notebook]
    text, left_out = moodle_worksheet(grades, people)
    target = results / f"moodle-{notebook}-worksheet.csv"
    target.write_text(text, encoding="utf-8")
    pages = []
    for grade in grades:
        page = results / "feedback" / folder_name(grade.student) / f"{notebook}.html"
        if grade.student in people and page.is_file():
            pages.append((people[grade.student], f"{notebook}-feedback.html", page.read_bytes()))
    archive = results / f"moodle-{notebook}-feedback.zip"
    archive.write_bytes(moodle_feedback_zip(pages))
    return [f"wrote {target} (in Moodle: the assignment's Grading action > Upload grading worksheet)",
            f"wrote {archive} (Grading action > Upload multiple feedback files in a zip)"], left_out


def write_canvas(results: Path, people: dict[str, Participant], ids: dict[str, int | str]) -> tuple[list[str], list[str]]:
    """RESULTS/grades.csv -> Canvas's gradebook import CSV in RESULTS (`ids`: notebook -> Canvas's assignment id);
    (what was written; the students left out)."""
    grades = grades_from_csv(results / "grades.csv")
    text, left_out = canvas_gradebook(grades, people, canvas_titles(grades, ids))
    target = results / "canvas-gradebook.csv"
    target.write_text(text, encoding="utf-8")
    return [f"wrote {target} (in Canvas: Grades > Import)"], left_out


def _assignment(text: str) -> tuple[str, str]:
    notebook, _, number = text.partition("=")
    if not number.strip().isdigit():
        raise argparse.ArgumentTypeError(f"{text!r}: write NOTEBOOK=ID, e.g. 01_linear_regression=4321 (Canvas's assignment id)")
    return notebook.strip(), number.strip()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.grading.lms", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("unpack", help="a platform's submissions zip -> SUBMISSIONS/<participant>/<notebook>.ipynb")
    one.add_argument("platform", choices=["moodle", "canvas"])
    one.add_argument("zip", type=Path)
    one.add_argument("--notebook", required=True, help="the course's notebook these are, e.g. 01_linear_regression")
    one.add_argument("--into", type=Path, required=True)
    moodle = commands.add_parser("moodle", help="RESULTS -> Moodle's grading worksheet and feedback-files zip")
    canvas = commands.add_parser("canvas", help="RESULTS -> Canvas's gradebook import CSV")
    for sub in (moodle, canvas):
        sub.add_argument("results", type=Path, help="the folder `course.py grade --out` wrote")
        sub.add_argument("--roster", type=Path, required=True, help=f"the {ROSTER} that unpack wrote")
    moodle.add_argument("--notebook", required=True)
    canvas.add_argument("--assignment", action="append", default=[], metavar="NOTEBOOK=ID", type=_assignment,
                        help="Canvas's assignment id of a notebook (else the import creates a new assignment)")
    args = parser.parse_args(argv)
    try:
        if args.command == "unpack":
            people, missing = unpack(args.platform, args.zip, args.notebook, args.into)
            print(f"{len(people) - len(missing)} notebooks of {len(people)} participants in {args.into}; "
                  f"roster {args.into / ROSTER}")
            for line in missing:
                print(f"no notebook: {line}", file=sys.stderr)
            return 0
        people = read_roster(args.roster)
        if args.command == "moodle":
            lines, left_out = write_moodle(args.results, args.notebook, people)
        else:
            lines, left_out = write_canvas(args.results, people, dict(args.assignment))
        print("\n".join(lines))
        for student in left_out:
            print(f"left out (not in the roster with a platform id): {student}", file=sys.stderr)
        return 0
    except (LmsError, zipfile.BadZipFile, OSError, KeyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

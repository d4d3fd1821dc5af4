"""The grader: `course.py grade` on a corpus of honest and hostile submissions of notebook 01 gives
the exact marks; nothing a submission does gains a point, reaches outside its sandbox, or stops the
others. (The corpus is tests/grading_corpus.py; the comparison with nbgrader is test_grading_nbgrader.py.)

The whole corpus (about 5 minutes on a loaded 2-core machine: it is graded twice, with and without review)
carries the marker `grading`: `python3 course.py test` leaves it out and grades two of its submissions
instead (test_a_few_submissions_get_exactly_their_marks); .ci/run grades all of them after it
(`python3 course.py test -m grading`)."""
from __future__ import annotations

import csv
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
import grading_corpus as corpus  # (tests/ is on the path under pytest)
from tools.grading import sandbox as sandboxes
from tools.grading.submission import find_submissions, load_lecture, plan, read_cells

COURSE = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
OTHERS = [p for p in COURSE if p.stem != corpus.NAME]  # notebook 01 has the corpus
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox tests need Linux")


class Oracle(threading.Thread):
    """A server on the host's 127.0.0.1 that would answer design_matrix(X) for a submission that reached it."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.connections = 0

    def run(self) -> None:
        import json

        import numpy as np
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            with connection:
                X = np.array(json.loads(connection.makefile().readline()))
                connection.sendall(json.dumps(np.hstack([X, np.ones((len(X), 1))]).tolist()).encode() + b"\n")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade the whole corpus once with `python -m tools.grading grade` (as course.py grade runs it)."""
    folder = tmp_path_factory.mktemp("grading")
    submissions, results = folder / "submissions", folder / "results"
    oracle = Oracle()
    oracle.start()
    outside = [str(ROOT / "mlp" / "written-by-a-submission.txt"), str(folder / "outside.txt"),
               str(submissions / "right" / f"{corpus.NAME}.ipynb")]
    students = corpus.corpus(oracle.port, outside)
    corpus.write(submissions, students)
    cheat, _ = corpus.backprop_cheat()  # a scenario-based check (notebook 05), mlp patched to pass it
    (submissions / "patch_mlp_method").mkdir()
    nbformat.write(cheat, submissions / "patch_mlp_method" / f"{corpus.BACKPROP}.ipynb")
    for student, (notebook, _, _) in corpus.DELEGATING.items():
        (submissions / student).mkdir()
        nbformat.write(corpus.delegating(student), submissions / student / f"{notebook}.ipynb")
    for folder in ("solutions", "lectures"):  # every notebook of the course: all right, and all untouched
        (submissions / f"every-{folder}").mkdir()
        for path in OTHERS:
            shutil.copy(ROOT / folder / path.name, submissions / f"every-{folder}")
    special = hostile_files(submissions)
    before = (submissions / "right" / f"{corpus.NAME}.ipynb").read_text()
    run = subprocess.run([sys.executable, "-m", "tools.grading", "grade", str(submissions), "--out", str(results),
                          "--seed", "7", "--cell-seconds", "10", "--notebook-seconds", "90"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    oracle.server.close()
    with open(results / "grades.csv", newline="", encoding="utf-8") if (results / "grades.csv").exists() else open(os.devnull) as file:
        rows = list(csv.DictReader(file))
    yield {"run": run, "rows": rows, "students": students, "results": results, "oracle": oracle,
           "outside": outside, "right_before": before, "submissions": submissions, "special": special}
    for path in outside[:1]:
        Path(path).unlink(missing_ok=True)


LATIN1 = os.fsdecode(b"M\xfcller")   # a folder named in Latin-1, as a Windows zip unpacks


def hostile_files(submissions: Path) -> dict[str, str | None]:
    """Entries of the submissions folder that are not plain notebooks: {student as shown: the status of every row,
    or None for no row at all}."""
    name = f"{corpus.NAME}.ipynb"
    links = {"mallory": ROOT / "solutions" / name, "copycat": submissions / "right" / name, "zero": Path("/dev/zero")}
    for student, target in links.items():
        (submissions / student).mkdir()
        (submissions / student / name).symlink_to(target)
    (submissions / "fifo").mkdir()
    os.mkfifo(submissions / "fifo" / name)
    (submissions / "folder" / name).mkdir(parents=True)
    (submissions / "linked_folder").symlink_to(submissions / "right")
    (submissions / LATIN1).mkdir()
    shutil.copy(ROOT / "solutions" / name, submissions / LATIN1 / name)
    for odd in ("=HYPERLINK(\"x\")", "@SUM(1+1)", "\x1b[31mred", "new\nline"):
        (submissions / odd).mkdir()
        shutil.copy(ROOT / "lectures" / name, submissions / odd / name)
    return {"mallory": "refused", "copycat": "refused", "zero": "refused", "fifo": "refused", "folder": "refused",
            "linked_folder": None, "Müller": "passed"}


def _statuses(rows, student):
    return {r["exercise"]: r["status"] for r in rows if r["student"] == student and r["exercise"] in corpus.EXERCISES}


@pytest.mark.grading
def test_grading_the_corpus_exits_0_and_prints_a_table(graded):
    run = graded["run"]
    assert run.returncode == 0, run.stderr[-3000:]
    assert "sandbox: bubblewrap" in run.stderr
    table = run.stdout.splitlines()
    assert table[0].split() == ["student", *[p.name[:2] for p in COURSE], "total"]
    most = len(corpus.EXERCISES) + corpus.written_answers()
    assert any(line.split()[:2] == ["right", f"5/{most}"] and line.split()[-1] == f"5/{most}" for line in table)
    pairs = {(r["student"], r["notebook"]) for r in graded["rows"]}
    assert f"{len(pairs)} submissions of {len({s for s, _ in pairs})} students graded" in run.stdout


@pytest.mark.grading
@pytest.mark.parametrize("notebook", [p.stem for p in OTHERS])
def test_every_notebook_of_the_course_is_graded_solutions_pass_and_lectures_are_not_attempted(graded, notebook):
    rows = [r for r in graded["rows"] if r["notebook"] == notebook]
    solved = {r["exercise"]: r["status"] for r in rows if r["student"] == "every-solutions" and r["status"] != "manual"}
    untouched = {r["exercise"]: r["status"] for r in rows if r["student"] == "every-lectures" and r["status"] != "manual"}
    assert solved and set(solved.values()) == {"passed"}, {r["exercise"]: r["message"] for r in rows}
    assert untouched.keys() == solved.keys() and set(untouched.values()) == {"not attempted"}


@pytest.mark.grading
@pytest.mark.parametrize("student", list(corpus.corpus(0, []).keys()))
def test_each_submission_gets_exactly_its_marks(graded, student):
    expected = graded["students"][student][1]
    rows = [r for r in graded["rows"] if r["student"] == student]
    assert _statuses(rows, student) == expected, {r["exercise"]: r["message"] for r in rows}
    for row in rows:
        if row["exercise"] in corpus.EXERCISES:
            assert row["points"] == ("1" if row["status"] == "passed" else "0") and row["max_points"] == "1"


@pytest.mark.grading
def test_files_that_are_not_notebooks_are_refused_and_names_in_any_encoding_are_graded(graded):
    for student, status in graded["special"].items():
        rows = [r for r in graded["rows"] if r["student"] == student]
        if status is None:
            assert not rows
            continue
        wanted = {"manual"} if status == "passed" else set()
        assert rows and {r["status"] for r in rows} - wanted == {status}, rows
        if status == "refused":
            assert all(r["points"] == "0" and "only regular files" in r["message"] for r in rows)
    assert "linked_folder: a symbolic link" in graded["run"].stderr
    page = graded["results"] / "feedback" / "mallory" / f"{corpus.NAME}.html"
    assert "BEGIN SOLUTION" not in page.read_text() and "np.hstack" not in page.read_text()


@pytest.mark.grading
def test_outputs_a_teacher_opens_are_inert(graded):
    students = {r["student"] for r in graded["rows"]}
    assert "'=HYPERLINK(\"x\")" in students and "'@SUM(1+1)" in students
    assert not any(s[:1] in "=+-@\t\r" for s in students)
    table = graded["run"].stdout
    assert "\x1b" not in table and "\\x1b[31mred" in table and "new\\nline" in table
    from tools.grading.reports import folder_name
    assert (graded["results"] / "feedback" / folder_name("=HYPERLINK(\"x\")") / f"{corpus.NAME}.html").exists()


@pytest.mark.grading
def test_answers_reaching_outside_go_to_review_with_their_reasons(graded):
    for student in [*corpus.RED_TEAM, "patch_numpy", "hard_coded"]:
        row = next(r for r in graded["rows"] if r["student"] == student and r["exercise"] == corpus.NUMBER["design_matrix"])
        assert row["status"] == "review" and row["points"] == "0" and row["message"].startswith("not run: your teacher")
        assert len(row["message"]) > len("not run: your teacher reviews this answer, 0 points until then: ")
    page = (graded["results"] / "feedback" / "json_patch" / f"{corpus.NAME}.html").read_text()
    assert "For the teacher" in page and "imports json" in page


@pytest.mark.grading
def test_the_csv_has_the_columns_and_the_hand_graded_answer(graded):
    rows = graded["rows"]
    assert list(rows[0]) == ["student", "notebook", "exercise", "points", "max_points", "status", "message"]
    manual = [r for r in rows if r["student"] == "right" and r["status"] == "manual"]
    assert len(manual) == corpus.written_answers() >= 1
    assert all(m["points"] == "0" and m["max_points"] == "1" and m["message"] == "graded by hand" for m in manual)
    assert {r["message"] for r in rows if r["student"] == "empty" and r["status"] == "manual"} == {
        "graded by hand; no answer written"}


@pytest.mark.grading
def test_messages_say_what_happened(graded):
    rows = {(r["student"], r["exercise"]): r["message"] for r in graded["rows"]}
    number = corpus.NUMBER
    assert "Write your code in place of" in rows["empty", number["design_matrix"]]
    assert "cost(A, y, theta)" in rows["partial", number["cost"]] and "mean" in rows["partial", number["cost"]]
    assert "ran longer than 3 s" in rows["infinite_loop", number["design_matrix"]]
    assert "too large to check" in rows["output_flood", number["solve_normal_equations"]]
    assert "too large to check" in rows["long_list", number["solve_normal_equations"]]
    assert "\ufffd" in rows["surrogate_error", number["cost"]]
    assert "lists and objects" in rows["tiny_outputs", number["design_matrix"]]
    assert "not valid JSON" in rows["not_json", number["design_matrix"]]


@pytest.mark.grading
def test_nothing_leaves_the_sandbox(graded):
    assert graded["oracle"].connections == 0, "a submission reached a port on the host"
    for path in graded["outside"][:2]:
        assert not Path(path).exists(), f"a submission wrote {path}"
    assert (graded["submissions"] / "right" / f"{corpus.NAME}.ipynb").read_text() == graded["right_before"]


@pytest.mark.grading
def test_every_submission_has_a_feedback_page_with_its_verdicts(graded):
    pages = sorted(p.parent.name for p in (graded["results"] / "feedback").glob(f"*/{corpus.NAME}.html"))
    assert set(graded["students"]) <= set(pages)
    for student in ("brackets", "surrogates"):
        assert "Feedback on" in (graded["results"] / "feedback" / student / f"{corpus.NAME}.html").read_text()
    page = (graded["results"] / "feedback" / "partial" / f"{corpus.NAME}.html").read_text()
    assert f"2 of {len(corpus.EXERCISES)} points from the checks" in page and "answer1_1" not in page
    dm, cost, normal = (corpus.NUMBER[n] for n in ("design_matrix", "cost", "solve_normal_equations"))
    assert f"✔ Exercise {dm}: passed, 1 of 1 point" in page and f"✘ Exercise {cost}: failed, 0 of 1 point" in page
    assert f"✔ Exercise {normal}: passed" in page
    assert page.index(f"Exercise {dm}: passed") < page.index(f"Exercise {cost}: failed")


@pytest.mark.grading
def test_patching_mlp_for_a_scenario_check_earns_nothing_from_the_grader(graded):
    rows = [r for r in graded["rows"] if r["student"] == "patch_mlp_method" and r["status"] != "manual"]
    assert rows and {r["points"] for r in rows} == {"0"}, rows
    patched = next(r for r in rows if r["exercise"] == "5.2")
    assert patched["status"] == "review" and "mlp.graph" in patched["message"], patched
    assert {r["status"] for r in rows if r["exercise"] != "5.2"} == {"not attempted"}


@pytest.mark.grading
@pytest.mark.parametrize("student", list(corpus.DELEGATING))
def test_handing_the_work_to_mlp_through_the_checks_objects_fails(graded, student):
    _, _, expected = corpus.DELEGATING[student]
    rows = {r["exercise"]: r for r in graded["rows"] if r["student"] == student and r["status"] != "manual"}
    for number, status in expected.items():
        assert rows[number]["status"] == status and rows[number]["points"] == "0", rows[number]
        assert "uses mlp" in rows[number]["message"] or "Node.backward" in rows[number]["message"], rows[number]


def test_a_reply_that_ran_the_answer_code_is_delegation():
    from mlp.exercises.core import Delegated
    from tools.grading.transport import SandboxTransport

    class Replying:
        def ask(self, message, seconds):
            assert message["exercise"] == "2.1"
            return {"answer": {"ok": 1, "used": "mlp.layers.Linear._forward"}}
    with pytest.raises(Delegated, match="Linear._forward"):
        SandboxTransport(Replying(), 1.0, "2.1").answer({"op": "call"})


def test_a_few_submissions_get_exactly_their_marks(tmp_path):
    """The corpus in small, for every run of the suite: a right submission and one that patches numpy (review),
    graded in the sandbox through the command line (one round of two workers)."""
    students = {name: case for name, case in corpus.corpus(0, []).items() if name in ("right", "patch_numpy")}
    corpus.write(tmp_path / "submissions", students)
    run = subprocess.run([sys.executable, "-m", "tools.grading", "grade", str(tmp_path / "submissions"),
                          "--out", str(tmp_path / "results"), "--seed", "3"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    with open(tmp_path / "results" / "grades.csv", newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    for student, (_, expected) in students.items():
        assert _statuses(rows, student) == expected, student


def _graded_zip(tmp_path, entries: dict[str, str], *options: str) -> tuple[subprocess.CompletedProcess, dict]:
    """`course.py grade ZIP` on a zip of these entries (name -> the cost() answer in it), as its teacher runs it."""
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for name, cost in entries.items():
            zipped.writestr(name, nbformat.writes(corpus.submission({**corpus.RIGHT, "cost": cost})))
        zipped.writestr("index.html", "<p>not a submission</p>")
    run = subprocess.run([sys.executable, "-m", "tools.grading", "grade", str(archive), "--out", str(tmp_path / "results"),
                          "--seed", "3", *options], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    with open(tmp_path / "results" / "grades.csv", newline="", encoding="utf-8") as file:
        points: dict = {}
        for row in csv.DictReader(file):
            points[row["student"]] = points.get(row["student"], 0) + float(row["points"])
    return run, points


def test_a_moodle_download_is_graded_and_its_uploads_written_in_one_command(tmp_path):
    run, points = _graded_zip(tmp_path, {
        f"Ada Lovelace_123456_assignsubmission_file_/{corpus.NAME}.ipynb": corpus.RIGHT["cost"],
        f"Bob Byron_222_assignsubmission_file_/{corpus.NAME} (1).ipynb": corpus.WRONG_COST})
    assert points == {"Ada Lovelace_123456": 5, "Bob Byron_222": 4}
    results = tmp_path / "results"
    assert (results / "submissions" / "Ada Lovelace_123456" / f"{corpus.NAME}.ipynb").is_file(), "the work is kept"
    sheet = list(csv.reader((results / f"moodle-{corpus.NAME}-worksheet.csv").open(newline="", encoding="utf-8")))
    assert sheet[0][:4] == ["Identifier", "Full name", "Email address", "Grade"]
    assert [row[:5] for row in sheet[1:]] == [["Participant 123456", "Ada Lovelace", "", "5", "7"],
                                              ["Participant 222", "Bob Byron", "", "4", "7"]]
    names = zipfile.ZipFile(results / f"moodle-{corpus.NAME}-feedback.zip").namelist()
    assert f"Bob Byron_222_assignsubmission_file_/{corpus.NAME}-feedback.html" in names
    assert "Upload grading worksheet" in run.stdout


@pytest.mark.grading
def test_a_canvas_download_is_graded_into_its_gradebook_import(tmp_path):
    run, points = _graded_zip(tmp_path, {f"lovelaceada_12345_678_{corpus.NAME}.ipynb": corpus.WRONG_COST,
                                         f"byronbob_late_222_679_{corpus.NAME}-1.ipynb": corpus.RIGHT["cost"]},
                              "--canvas-assignment", "4321")
    assert points == {"lovelaceada_12345": 4, "byronbob_222": 5}
    table = list(csv.reader((tmp_path / "results" / "canvas-gradebook.csv").open(newline="", encoding="utf-8")))
    column = table[0].index(f"{corpus.NAME} (4321)")
    assert table[1][column] == "7" and {row[1]: row[column] for row in table[2:]} == {"12345": "4", "222": "5"}


def test_unpacking_again_keeps_what_was_unpacked_before(tmp_path):
    from tools.grading.cli import course_names, unpack_download
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(f"Ada Lovelace_123456_assignsubmission_file_/{corpus.NAME}.ipynb", "{}")
    (tmp_path / "out" / "submissions" / "alice").mkdir(parents=True)
    (tmp_path / "out" / "submissions" / "alice" / f"{corpus.NAME}.ipynb").write_text("alice's work")
    platform, notebook, people = unpack_download(archive, None, course_names(), tmp_path / "out")
    assert (platform, notebook, list(people)) == ("moodle", corpus.NAME, ["Ada Lovelace_123456"])
    (kept,) = (tmp_path / "out").glob("submissions-before-*")
    assert (kept / "alice" / f"{corpus.NAME}.ipynb").read_text() == "alice's work"
    assert (tmp_path / "out" / "submissions" / "Ada Lovelace_123456" / f"{corpus.NAME}.ipynb").read_text() == "{}"


def test_a_zips_options_with_a_folder_are_refused(tmp_path, capsys):
    from tools.grading.cli import grade
    assert grade([str(tmp_path), "--out", str(tmp_path / "r"), "--notebook", corpus.NAME]) == 2
    assert "go with a Moodle or Canvas zip" in capsys.readouterr().err


def test_a_zip_of_neither_platform_is_refused_with_what_it_should_be(tmp_path):
    archive = tmp_path / "x.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("alice.ipynb", "{}")
    run = subprocess.run([sys.executable, "-m", "tools.grading", "grade", str(archive), "--out", str(tmp_path / "r")],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "neither Moodle's" in run.stderr and "Traceback" not in run.stderr


def test_the_hard_coded_answer_passes_in_the_notebook_but_not_for_the_grader():
    from mlp.exercises.core import InProcess
    from mlp.exercises.linear_regression import check_design_matrix
    namespace = {}
    exec(corpus.hard_coded_design_matrix(), namespace)
    objects = {"design_matrix": namespace["design_matrix"]}
    assert check_design_matrix.check(InProcess(objects)).passed
    assert not check_design_matrix.check(InProcess(objects), seed=12345).passed


# --- reading submissions (no sandbox needed) ------------------------------------------------------

def test_nbgraders_submitted_layout_is_read(tmp_path):
    path = tmp_path / "submitted" / "alice" / "ps01" / f"{corpus.NAME}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(corpus.lecture(), path)
    (path.parent / "notes.ipynb").write_text("{}")
    found, ignored = find_submissions(tmp_path, {corpus.NAME})
    assert [(s.student, s.notebook) for s in found] == [("alice", corpus.NAME)]
    assert len(ignored) == 1 and "notes.ipynb" in ignored[0]


def test_only_the_students_answer_cells_are_taken_and_checks_come_from_the_lecture():
    lecture = load_lecture(corpus.LECTURE)
    nb = corpus.submission({"design_matrix": corpus.RIGHT["design_matrix"]}, corpus._edit_checks)
    nb.cells.insert(3, nbformat.v4.new_code_cell("print('a cell the student added')"))
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"grading-plan-{os.getpid()}.ipynb"
    nbformat.write(nb, path)
    try:
        steps = plan(lecture, read_cells(path))
    finally:
        path.unlink()
    sources = [s.source for s in steps if s.kind == "run"]
    assert corpus.RIGHT["design_matrix"] in sources and "print('a cell the student added')" not in sources
    assert not any("✔" in s for s in sources)
    assert [s.name for s in steps if s.kind == "check"] == corpus.EXERCISES


def test_without_a_sandbox_the_grader_says_so_loudly():
    none = sandboxes.Sandbox("none", reason="darwin has no bubblewrap")
    assert none.describe().startswith("WARNING: NO SANDBOX") and "darwin has no bubblewrap" in none.describe()
    assert none.command(["python", "worker.py"], 0) == ["python", "worker.py"]


def test_the_sandbox_shows_neither_the_solutions_nor_the_git_history_nor_the_given_folders(tmp_path):
    inside_the_venv = Path(sys.prefix) / "hidden-by-the-grader"
    args = sandboxes.mounts(ROOT, [tmp_path, inside_the_venv])
    bound = [Path(args[i + 1]) for i, a in enumerate(args) if a == "--ro-bind"]
    hidden = {Path(args[i + 1]) for i, a in enumerate(args) if a == "--tmpfs"}
    secrets = [ROOT / "solutions", *sandboxes._git_dirs(ROOT), tmp_path.resolve(), Path.home()]
    for secret in secrets:
        assert not any(secret.resolve().is_relative_to(b) for b in bound), f"{secret} is visible in the sandbox"
    assert ROOT / "mlp" in bound
    assert inside_the_venv.resolve() not in hidden  # it does not exist: nothing to hide
    inside_the_venv.mkdir(exist_ok=True)
    try:
        args = sandboxes.mounts(ROOT, [inside_the_venv])
        assert str(inside_the_venv.resolve()) in {args[i + 1] for i, a in enumerate(args) if a == "--tmpfs"}
    finally:
        inside_the_venv.rmdir()


def test_check_prints_each_verdict_and_changes_nothing(tmp_path):
    path = tmp_path / f"{corpus.NAME}.ipynb"
    nbformat.write(corpus.submission({"design_matrix": corpus.RIGHT["design_matrix"], "cost": corpus.WRONG_COST}), path)
    before = path.read_bytes(), path.stat().st_mtime_ns
    run = subprocess.run([sys.executable, "-m", "tools.grading", "check", str(path)], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == f"{path}: 1 of {len(corpus.EXERCISES) + corpus.written_answers()} points"
    by_exercise = {line.split()[1]: line for line in lines[1:]}
    dm, cost, gradient = (corpus.NUMBER[n] for n in ("design_matrix", "cost", "gradient"))
    assert by_exercise[dm].split()[:4] == ["✔", dm, "1/1", "passed:"]
    assert by_exercise[gradient].split()[:4] == ["·", gradient, "0/1", "not"]
    assert by_exercise[cost].split()[:4] == ["✘", cost, "0/1", "failed:"] and "mean" in by_exercise[cost]
    assert by_exercise["answer1_1"].split()[:4] == ["✍", "answer1_1", "0/1", "manual:"]
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


@pytest.mark.grading
def test_a_feedback_page_runs_no_script_of_the_submission(graded):
    page = (graded["results"] / "feedback" / "right" / f"{corpus.NAME}.html").read_text()
    head = page[:page.index("<script")] if "<script" in page else page
    assert "Content-Security-Policy" in head and "default-src 'none'" in head


def test_the_feedback_keeps_no_html_or_script_of_the_submission(tmp_path):
    import json

    from tools.grading.grader import Graded, Mark
    from tools.grading.reports import feedback_notebook
    from tools.grading.submission import Submission
    nb = corpus.submission({})
    markdown = next(c for c in nb.cells if c.cell_type == "markdown")
    code = next(c for c in nb.cells if c.cell_type == "code" and not c.source.startswith("check_"))
    markdown.source += "\n<script>alert(1)</script><meta http-equiv='refresh' content='0;url=x'>"
    code.outputs = [nbformat.v4.new_output("display_data", data={
        "text/html": "<script>alert(2)</script>", "application/javascript": "alert(3)", "text/plain": "ok"})]
    path = tmp_path / f"{corpus.NAME}.ipynb"
    lecture = load_lecture(corpus.LECTURE)
    marks = [Mark("s", corpus.NAME, "1.1", 0, 1, "failed", "<b>bold</b> $x$")]
    data = json.loads(nbformat.writes(nb))
    shown = feedback_notebook(Graded(Submission("s", corpus.NAME, path), marks, data), lecture)
    text = nbformat.writes(shown)
    assert "<script" not in text and "<meta" not in text and "alert(2)" not in text and "alert(3)" not in text
    verdict = next(c.source for c in shown.cells if c.metadata.get("grading"))
    assert "\\<b\\>bold\\</b\\> \\$x\\$" in verdict


def test_a_kernel_that_cannot_start_is_the_graders_fault_not_the_students(tmp_path, monkeypatch):
    from tools.grading import grader, transport
    from tools.grading.submission import Submission
    monkeypatch.setattr(transport, "WORKER", tmp_path / "no-such-worker.py")
    path = tmp_path / f"{corpus.NAME}.ipynb"
    nbformat.write(corpus.lecture(), path)
    faults = []
    results = grader.grade_all([(Submission("s", corpus.NAME, path), load_lecture(corpus.LECTURE))],
                               sandboxes.Sandbox("none", reason="test"), sandboxes.Limits(), 1, 1, faults=faults)
    marks = next(iter(results.values()))
    assert len(faults) == 1 and "no kernel could be started" in faults[0]
    assert {m.status for m in marks} == {"crashed"} and all(m.message.startswith("not graded:") for m in marks)


@pytest.mark.grading
def test_the_sandbox_holds_on_its_own_when_answers_are_not_reviewed(tmp_path, monkeypatch):
    """The attacks on the sandbox, graded with review switched off: they still earn nothing and reach nothing."""
    from tools.grading import grader, submission
    from tools.grading.submission import Submission
    monkeypatch.setattr(submission, "review_answer", lambda *args: [])
    oracle = Oracle()
    oracle.start()
    outside = [str(ROOT / "mlp" / "written-by-a-submission.txt"), str(tmp_path / "outside.txt")]
    expected = corpus.unreviewed()
    students = {name: case for name, case in corpus.corpus(oracle.port, outside).items() if name in expected}
    corpus.write(tmp_path / "submissions", students)
    lecture = load_lecture(corpus.LECTURE)
    work = [(Submission(name, corpus.NAME, tmp_path / "submissions" / name / f"{corpus.NAME}.ipynb"), lecture)
            for name in students]
    sandbox = sandboxes.make_sandbox(ROOT, [tmp_path])
    try:
        results = grader.grade_all(work, sandbox, sandboxes.Limits(cell_seconds=10, notebook_seconds=90), seed=7)
    finally:
        oracle.server.close()
        Path(outside[0]).unlink(missing_ok=True)
    for sub, marks in results.items():
        assert {m.exercise: m.status for m in marks if m.status != "manual"} == expected[sub.student], (
            sub.student, [m.message for m in marks])
    assert oracle.connections == 0 and not (tmp_path / "outside.txt").exists()
    rows = {(s.student, m.exercise): m.message for s, ms in results.items() for m in ms}
    assert "MemoryError" in rows["memory_bomb", corpus.NUMBER["design_matrix"]]
    assert "could not read the solutions" in rows["read_solutions", corpus.NUMBER["design_matrix"]]
    died = rows["exit_early", corpus.NUMBER[corpus.SECOND]]
    assert "the kernel stopped" in died and f"your code for Exercise {corpus.NUMBER[corpus.SECOND]}" in died


# --- the grader's own limits (no sandbox needed) -----------------------------------------------------

def test_csv_cells_and_terminal_names_are_inert(tmp_path):
    from tools.grading import reports
    from tools.grading.grader import Mark
    odd = ["=1+1", "+1", "-1", "@SUM(1)", "\tx", "\rx", "M\udcfcller", "\x1b[2Jclear"]
    reports.write_csv(tmp_path / "grades.csv", [Mark(name, "01_x", "1.1", 0, 1, "failed", name) for name in odd])
    with open(tmp_path / "grades.csv", newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert [r["student"] for r in rows][:6] == ["'" + name for name in odd[:6]]
    assert rows[6]["student"] == "M\ufffdller" and rows[0]["message"] == "'=1+1"
    table = reports.summary_table([Mark(name, "01_x", "1.1", 0, 1, "failed", "") for name in odd])
    assert "\x1b" not in table and "\r" not in table and "\\x1b[2Jclear" in table
    assert reports.folder_name("../..") == "_.._.." and reports.folder_name("a/b") == "a_b"


def test_only_regular_files_are_read(tmp_path):
    from tools.grading.submission import Refused, read_notebook
    name = f"{corpus.NAME}.ipynb"
    (tmp_path / "link").symlink_to(ROOT / "lectures" / name)
    (tmp_path / "zero").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "folder").mkdir()
    for entry, what in (("link", "a symbolic link"), ("zero", "a symbolic link"), ("fifo", "a FIFO"),
                        ("folder", "a folder")):
        with pytest.raises(Refused, match=what):
            read_notebook(tmp_path / entry)
    (tmp_path / "s" / LATIN1).mkdir(parents=True)
    (tmp_path / "s" / LATIN1 / name).symlink_to(ROOT / "lectures" / name)
    (tmp_path / "s" / "alias").symlink_to(tmp_path / "s" / LATIN1)
    found, ignored = find_submissions(tmp_path / "s", {corpus.NAME})
    assert [(s.student, s.path.name) for s in found] == [("Müller", name)]
    assert ignored == ["alias: a symbolic link, not a folder (refused: links are not followed)"]


def test_an_answer_that_reaches_outside_is_not_run_and_keeps_the_stub():
    import json
    nb = corpus.submission({"design_matrix": corpus.JSON_PATCH, "cost": corpus.WRONG_COST})
    lecture = load_lecture(corpus.LECTURE)
    from tools.grading.submission import cells_of
    steps = plan(lecture, cells_of(json.loads(nbformat.writes(nb))))
    reviewed = [s for s in steps if s.review]
    assert [s.answers for s in reviewed] == [f"Exercise {corpus.NUMBER['design_matrix']}"]
    step = reviewed[0]
    assert not step.from_student and "NotImplementedError" in step.source and "json" in step.code
    assert any("json" in reason for reason in step.review)
    assert corpus.WRONG_COST in [s.source for s in steps if s.from_student]


def test_a_forged_reply_is_refused_before_it_is_read(tmp_path, monkeypatch):
    """A worker that answers with 66 MB of empty lists, or 200,000 of them in 1 MB, or a deep nest: the grader
    stops reading at Limits.answer_bytes, counts brackets before decoding, and the student's check is "crashed"."""
    from tools.grading import transport
    fake = tmp_path / "forger.py"
    fake.write_text("import sys\nsys.stdin.readline()\nsys.stdout.write('{\"ready\": true}\\n'); sys.stdout.flush()\n"
                    "kind = sys.argv[-1]\nsys.stdin.readline()\n"
                    "line = {'huge': '[' + '[],' * 22_000_000 + '[]]', 'many': '[' + '[],' * 200_000 + '[]]',"
                    " 'deep': '[' * 5000 + ']' * 5000}[kind]\n"
                    "sys.stdout.write('{\"answer\": ' + line + '}\\n'); sys.stdout.flush(); sys.stdin.readline()\n")
    none = sandboxes.Sandbox("none", reason="test")
    for kind, message in (("huge", "more than [12] MB"), ("many", "lists and objects"), ("deep", "nested")):
        monkeypatch.setattr(transport, "WORKER", fake)
        monkeypatch.setattr(none, "command", lambda argv, slot, kind=kind: [*argv, kind])
        worker = transport.Worker(none, sandboxes.Limits(), 0, "linear_regression")
        try:
            with pytest.raises(transport.WorkerLost, match=message) as lost:
                worker.ask({"op": "call", "request": {}}, 30)
            assert lost.value.status == "crashed" and "refused unread" in lost.value.message
        finally:
            worker.close()


def test_a_page_shows_the_graders_verdict_not_the_students_saved_one_and_names_written_answers(tmp_path):
    import json

    from tools.grading.grader import Graded, Mark
    from tools.grading.reports import feedback_notebook
    from tools.grading.submission import Submission
    nb = corpus.submission({})
    checks = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("check_")]
    checks[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="✔ Exercise 1.1: right (saved)")]
    lecture = load_lecture(corpus.LECTURE)
    marks = [Mark("s", corpus.NAME, s.name, 0, 1, "manual" if s.kind == "manual" else "failed", "no")
             for s in lecture.exercises]
    shown = feedback_notebook(Graded(Submission("s", corpus.NAME, tmp_path), marks, json.loads(nbformat.writes(nb))),
                              lecture)
    text = nbformat.writes(shown)
    assert "right (saved)" not in text and "answer1_1" not in shown.cells[0].source
    assert "Written answer 1" in shown.cells[0].source
    assert f"0 of {len(corpus.EXERCISES)} points from the checks" in shown.cells[0].source


def test_a_page_runs_only_the_local_mathjax_and_a_slow_page_is_stopped(tmp_path, monkeypatch):
    from tools.grading import render
    from tools.grading.reports import POLICY
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("$E(\\theta)$ <script>alert(1)</script>")]
    page = render.page(nb, "t", True)
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts == ['<script src="../.mathjax/config.js">', '<script src="../.mathjax/tex-svg.js">']
    assert POLICY in page and re.findall(r'(?:src|href)="[^"]*"', page) == [
        'src="../.mathjax/config.js"', 'src="../.mathjax/tex-svg.js"']
    monkeypatch.setattr(render, "PAGE_SECONDS", 0.5)
    nb.cells = [nbformat.v4.new_markdown_cell("[" * 20_000 + "]" * 20_000)]
    with pytest.raises(render.PageFailed, match="longer than"):
        render.page(nb, "t", True)
    monkeypatch.setattr(render, "PAGE_SECONDS", 30)
    monkeypatch.setattr(render, "PAGE_MEMORY", 2**20)
    nb.cells = [nbformat.v4.new_markdown_cell("a page " * 200_000)]
    with pytest.raises(render.PageFailed, match="memory|could not be rendered"):  # (an import may hit the limit)
        render.page(nb, "t", True)


def test_students_are_graded_in_turn():
    from tools.grading.grader import in_turn
    from tools.grading.submission import Submission
    work = [(Submission(student, notebook, Path(".")), None) for student in ("a", "b") for notebook in ("01", "02", "03")]
    work.append((Submission("c", "01", Path(".")), None))
    assert [(s.student, s.notebook) for s, _ in in_turn(work)] == [
        ("a", "01"), ("b", "01"), ("c", "01"), ("a", "02"), ("b", "02"), ("a", "03"), ("b", "03")]

"""The grader: `course.py grade` on a corpus of honest and hostile submissions of notebook 01 gives
the exact marks; nothing a submission does gains a point, reaches outside its sandbox, or stops the
others. (The corpus is tests/grading_corpus.py; the comparison with nbgrader is test_grading_nbgrader.py.)

The whole corpus (about 40 s) carries the marker `grading`: `python3 course.py test` leaves it out and
grades four of its submissions instead (test_a_few_submissions_get_exactly_their_marks); .ci/run grades
all of them after it (`python3 course.py test -m grading`)."""
from __future__ import annotations

import csv
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import grading_corpus as corpus  # noqa: E402
from tools.grading import sandbox as sandboxes  # noqa: E402
from tools.grading.submission import find_submissions, load_lecture, plan, read_cells  # noqa: E402

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
    for folder in ("solutions", "lectures"):  # every notebook of the course: all right, and all untouched
        (submissions / f"every-{folder}").mkdir()
        for path in OTHERS:
            shutil.copy(ROOT / folder / path.name, submissions / f"every-{folder}")
    before = (submissions / "right" / f"{corpus.NAME}.ipynb").read_text()
    run = subprocess.run([sys.executable, "-m", "tools.grading", "grade", str(submissions), "--out", str(results),
                          "--seed", "7", "--cell-seconds", "3", "--notebook-seconds", "90"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    oracle.server.close()
    with open(results / "grades.csv", newline="", encoding="utf-8") if (results / "grades.csv").exists() else open(os.devnull) as file:
        rows = list(csv.DictReader(file))
    yield {"run": run, "rows": rows, "students": students, "results": results, "oracle": oracle,
           "outside": outside, "right_before": before, "submissions": submissions}
    for path in outside[:1]:
        Path(path).unlink(missing_ok=True)


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
    count = len(graded["students"]) + 2 * len(OTHERS) + 1
    assert f"{count} submissions of {len(graded['students']) + 3} students graded" in run.stdout


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
    assert "MemoryError" in rows["memory_bomb", number["design_matrix"]]
    died = rows["exit_early", number[corpus.SECOND]]
    assert "the kernel stopped" in died and f"your code for Exercise {number[corpus.SECOND]}" in died
    assert "too large to check" in rows["output_flood", number["solve_normal_equations"]]
    assert "not valid JSON" in rows["not_json", number["design_matrix"]]
    assert "could not read the solutions" in rows["read_solutions", number["design_matrix"]]


@pytest.mark.grading
def test_nothing_leaves_the_sandbox(graded):
    assert graded["oracle"].connections == 0, "a submission reached a port on the host"
    for path in graded["outside"][:2]:
        assert not Path(path).exists(), f"a submission wrote {path}"
    assert (graded["submissions"] / "right" / f"{corpus.NAME}.ipynb").read_text() == graded["right_before"]


@pytest.mark.grading
def test_every_submission_has_a_feedback_page_with_its_verdicts(graded):
    pages = sorted(p.parent.name for p in (graded["results"] / "feedback").glob(f"*/{corpus.NAME}.html"))
    assert pages == sorted(graded["students"])
    page = (graded["results"] / "feedback" / "partial" / f"{corpus.NAME}.html").read_text()
    assert f"2 of {len(corpus.EXERCISES) + corpus.written_answers()} points" in page
    dm, cost, normal = (corpus.NUMBER[n] for n in ("design_matrix", "cost", "solve_normal_equations"))
    assert f"✔ Exercise {dm}: passed, 1 of 1 point" in page and f"✘ Exercise {cost}: failed, 0 of 1 point" in page
    assert f"✔ Exercise {normal}: passed" in page
    assert page.index(f"Exercise {dm}: passed") < page.index(f"Exercise {cost}: failed")


@pytest.mark.grading
def test_patching_mlp_passes_a_scenario_check_in_the_notebook_but_not_for_the_grader(graded):
    import mlp.graph
    from mlp.exercises.backpropagation import check_multiply_backward
    from mlp.exercises.core import InProcess
    _, source = corpus.backprop_cheat()
    backward, namespace = mlp.graph.Graph.backward, {"Node": mlp.graph.Node}
    try:
        exec(source, namespace)
        assert check_multiply_backward.check(InProcess({"MultiplyNode": namespace["MultiplyNode"]})).passed
    finally:
        mlp.graph.Graph.backward = backward
    rows = [r for r in graded["rows"] if r["student"] == "patch_mlp_method" and r["status"] != "manual"]
    assert rows and {r["points"] for r in rows} == {"0"}, rows
    assert {r["status"] for r in rows} == {"not attempted"}


def test_a_few_submissions_get_exactly_their_marks(tmp_path):
    """The corpus in small, for every run of the suite: a right, an empty, a numpy-patching and a hard-coded
    submission, graded in the sandbox through the command line."""
    students = {name: case for name, case in corpus.corpus(0, []).items()
                if name in ("right", "empty", "patch_numpy", "hard_coded")}
    corpus.write(tmp_path / "submissions", students)
    run = subprocess.run([sys.executable, "-m", "tools.grading", "grade", str(tmp_path / "submissions"),
                          "--out", str(tmp_path / "results"), "--seed", "3"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    with open(tmp_path / "results" / "grades.csv", newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    for student, (_, expected) in students.items():
        assert _statuses(rows, student) == expected, student


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
    from tools.grading.grader import Mark
    from tools.grading.reports import feedback_notebook
    from tools.grading.submission import Submission
    nb = corpus.submission({})
    nb.cells[0].source += "\n<script>alert(1)</script><meta http-equiv='refresh' content='0;url=x'>"
    nb.cells[1].outputs = [nbformat.v4.new_output("display_data", data={
        "text/html": "<script>alert(2)</script>", "application/javascript": "alert(3)", "text/plain": "ok"})]
    path = tmp_path / f"{corpus.NAME}.ipynb"
    nbformat.write(nb, path)
    lecture = load_lecture(corpus.LECTURE)
    marks = [Mark("s", corpus.NAME, "1.1", 0, 1, "failed", "<b>bold</b> $x$")]
    shown = feedback_notebook(Submission("s", corpus.NAME, path), lecture, marks)
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

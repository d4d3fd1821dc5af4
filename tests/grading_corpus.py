"""A corpus of submissions of notebook 01 for the grader's tests and benchmark: honest ones (right,
empty, partial) and one per way of cheating or breaking things, each with the exact marks it must get.

Every submission is built the way a student makes one: the lecture, with the code of some
solution cells replaced (and, for some cheats, other cells edited or deleted).
"""
from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import nbformat
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
NAME = "01_linear_regression"
LECTURE = ROOT / "lectures" / f"{NAME}.ipynb"
SOLUTION = ROOT / "solutions" / f"{NAME}.ipynb"
EXERCISES = ["1.1", "1.2", "1.3", "1.4", "1.5"]
MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION.*\n?", re.M)


def solution_code() -> dict[str, str]:
    """{"1.1": the solution cell of Exercise 1.1 without its markers, ...}."""
    found = {}
    for cell in nbformat.read(SOLUTION, as_version=4).cells:
        label = re.search(r"### BEGIN SOLUTION Exercise (\d+\.\d+)", cell.source)
        if cell.cell_type == "code" and label:
            found[label.group(1)] = MARKER.sub("", cell.source)
    return found


RIGHT = solution_code()
WRONG_COST = "def cost(A, y, theta):\n    r = A @ theta - y\n    return float(r @ r) / len(y)\n"
WRONG_DESIGN = "def design_matrix(X):\n    return X\n"


def lecture() -> nbformat.NotebookNode:
    return nbformat.read(LECTURE, as_version=4)


def _stub_cell(nb, number: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if f'"Exercise {number}: write your code here"' in c.source)


def _check_cells(nb) -> list[int]:
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.startswith("check_")]


def submission(answers: dict[str, str], edit=None) -> nbformat.NotebookNode:
    """The lecture with the code cells of `answers` ({"1.1": source}) replaced, then `edit(nb)` applied."""
    nb = lecture()
    for number, source in answers.items():
        nb.cells[_stub_cell(nb, number)].source = source
    if edit:
        edit(nb)
    return nb


def _answer_question(nb):
    cell = next(c for c in nb.cells if c.cell_type == "markdown" and "*Your answer here.*" in c.source)
    cell.source = cell.source.replace("*Your answer here.*", "The other features share the credit.")


def _edit_checks(nb):
    for i in _check_cells(nb):
        number = EXERCISES[_check_cells(nb).index(i)]
        nb.cells[i].source = f'print("✔ Exercise {number}: A = [X, 1] is right.")'


def _delete_checks(nb):
    for i in reversed(_check_cells(nb)):
        del nb.cells[i]


def _catching_checks(nb):
    for i in _check_cells(nb):
        nb.cells[i].source = f"try:\n    {nb.cells[i].source}\nexcept BaseException:\n    print('✔')"


PATCH_CHECKS = '''import mlp.exercises.linear_regression as checks
import mlp.exercises.core as core
for name in dir(checks):
    if name.startswith("check_"):
        setattr(checks, name, lambda *args, **kwargs: print("✔ passed"))
core.Exercise.check = lambda self, *a, **k: core.Verdict(self.label, "passed", "✔")
core.Exercise.__call__ = lambda self, *a: print("✔")
import mlp.regression
mlp.regression.add_bias_column = lambda X: X
''' + WRONG_DESIGN

PATCH_NUMPY = '''import numpy as np
np.allclose = lambda *a, **k: True
np.isclose = lambda *a, **k: True
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
np.linalg.norm = lambda *a, **k: 0.0
''' + WRONG_DESIGN

FAKE_PRINT = '''def design_matrix(X):
    print("✔ Exercise 1.1: A = [X, 1] has shape (N, d + 1).")
'''

SWALLOW = '''get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: print("✔"))
import sys
sys.excepthook = lambda *args: None
''' + WRONG_DESIGN


def hard_coded_design_matrix() -> str:
    """design_matrix answering from a table of the inputs the notebook's own check uses (its default seed)."""
    from mlp.exercises.core import InProcess
    from mlp.exercises.linear_regression import check_design_matrix
    from mlp.regression import add_bias_column
    table = {}

    def record(X):
        table[base64.b64encode(np.ascontiguousarray(X).tobytes()).decode()] = add_bias_column(X).tolist()
        return add_bias_column(X)
    assert check_design_matrix.check(InProcess({"design_matrix": record})).passed
    return (f"import base64\nimport numpy as np\nTABLE = {json.dumps(table)}\n"
            "def design_matrix(X):\n"
            "    key = base64.b64encode(np.ascontiguousarray(X).tobytes()).decode()\n"
            "    return np.array(TABLE[key]) if key in TABLE else np.zeros((len(X), X.shape[1] + 1))\n")


EXIT_EARLY = RIGHT["1.2"] + "\nimport os\nos._exit(0)\n"
KILL_GRADER = RIGHT["1.2"] + '''
import os, signal
for action in (lambda: os.kill(os.getppid(), signal.SIGKILL), lambda: os.killpg(os.getpgid(0), signal.SIGKILL),
               lambda: os.kill(-1, signal.SIGKILL)):
    try:
        action()
    except Exception:
        pass
'''


def read_solutions() -> str:
    return f'''import json, subprocess
def design_matrix(X):
    code = ""
    try:
        cells = json.load(open({str(SOLUTION)!r}))["cells"]
        code = "".join(next(c["source"] for c in cells if "BEGIN SOLUTION Exercise 1.1" in "".join(c["source"])))
    except Exception:
        try:
            code = subprocess.run(["git", "-C", {str(ROOT)!r}, "show", "HEAD:solutions/{NAME}.ipynb"],
                                  capture_output=True, text=True).stdout
            code = "".join(next(c["source"] for c in json.loads(code)["cells"]
                                if "BEGIN SOLUTION Exercise 1.1" in "".join(c["source"])))
        except Exception:
            raise RuntimeError("could not read the solutions")
    namespace = {{"np": np}}
    exec(code, namespace)
    return namespace["design_matrix"](X)
'''


def write_outside(targets: list[str]) -> str:
    return RIGHT["1.1"] + f'''
for target in {targets!r}:
    try:
        with open(target, "w") as file:
            file.write("written by a submission")
    except OSError:
        pass
'''


def network(port: int) -> str:
    return f'''import socket, json
def design_matrix(X):
    with socket.create_connection(("127.0.0.1", {port}), timeout=2) as connection:
        connection.sendall(json.dumps(X.tolist()).encode() + b"\\n")
        return np.array(json.loads(connection.makefile().readline()))
'''


FORK_BOMB = '''import os, time
children = 0
try:
    while True:
        if os.fork() == 0:
            time.sleep(600)
            os._exit(0)
        children += 1
except OSError:
    pass
''' + RIGHT["1.1"]

MEMORY_BOMB = '''try:
    hog = bytearray(3 * 2**30)
except MemoryError:
    pass
def design_matrix(X):
    hog = np.ones((2**17, 2**17))
    return hog[:len(X), :X.shape[1] + 1]
'''

LOOP = "def design_matrix(X):\n    while True:\n        pass\n"
STUBBORN_LOOP = '''def predicted_change(theta, i, delta):
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass
'''

FLOOD = '''import sys, os
for _ in range(200):
    print("x" * 100_000)
    sys.stderr.write("y" * 100_000)
    os.write(1, b"z" * 100_000)
''' + RIGHT["1.1"]
HUGE_ANSWER = "def solve_normal_equations(A, y):\n    return np.zeros(20_000_000)\n"


def crafted(kind: str) -> str:
    """Notebook files no editor would write."""
    if kind == "not_json":
        return '{"cells": [{"cell_type": "code", "source": "def design_matrix(X):'
    if kind == "json_list":
        return json.dumps([1, 2, 3])
    if kind == "deep":
        return "[" * 100_000 + "]" * 100_000
    if kind == "weird_cells":
        nb = json.loads(nbformat.writes(submission({"1.1": RIGHT["1.1"]})))
        nb["cells"] = [42, "text", {"cell_type": 7, "source": None}, {"cell_type": "code", "source": [1, 2]},
                       {"cell_type": "code", "metadata": "nbgrader", "source": "x = 1"}, *nb["cells"]]
        return json.dumps(nb)
    raise ValueError(kind)


ALL_RIGHT = {n: RIGHT[n] for n in EXERCISES}


def corpus(port: int, outside: list[str]) -> dict[str, tuple[object, dict[str, str]]]:
    """{student: (notebook or file text, {exercise: status expected})}; points are 1 for each "passed"."""
    P, F, N, T, C = "passed", "failed", "not attempted", "timeout", "crashed"

    def expect(*statuses):
        return dict(zip(EXERCISES, statuses))
    return {
        "right": (submission(ALL_RIGHT, _answer_question), expect(P, P, P, P, P)),
        "empty": (lecture(), expect(N, N, N, N, N)),
        "partial": (submission({"1.1": RIGHT["1.1"], "1.3": RIGHT["1.3"], "1.4": WRONG_COST}), expect(P, N, P, F, N)),
        "edit_checks": (submission({}, _edit_checks), expect(N, N, N, N, N)),
        "delete_checks": (submission({}, _delete_checks), expect(N, N, N, N, N)),
        "catch_checks": (submission({"1.1": WRONG_DESIGN}, _catching_checks), expect(F, N, N, N, N)),
        "patch_checks": (submission({"1.1": PATCH_CHECKS}), expect(F, N, N, N, N)),
        "patch_numpy": (submission({"1.1": PATCH_NUMPY}), expect(F, N, N, N, N)),
        "fake_print": (submission({"1.1": FAKE_PRINT}), expect(F, N, N, N, N)),
        "swallow_errors": (submission({"1.1": SWALLOW}), expect(F, N, N, N, N)),
        "hard_coded": (submission({"1.1": hard_coded_design_matrix()}), expect(F, N, N, N, N)),
        "exit_early": (submission({"1.1": RIGHT["1.1"], "1.2": EXIT_EARLY, "1.3": RIGHT["1.3"]}), expect(P, C, C, C, C)),
        "kill_grader": (submission({"1.1": RIGHT["1.1"], "1.2": KILL_GRADER, "1.3": RIGHT["1.3"]}), expect(P, P, P, N, N)),
        "read_solutions": (submission({"1.1": read_solutions()}), expect(F, N, N, N, N)),
        "write_outside": (submission({"1.1": write_outside(outside)}), expect(P, N, N, N, N)),
        "network": (submission({"1.1": network(port)}), expect(F, N, N, N, N)),
        "fork_bomb": (submission({**ALL_RIGHT, "1.1": FORK_BOMB}), expect(P, P, P, P, P)),
        "memory_bomb": (submission({**ALL_RIGHT, "1.1": MEMORY_BOMB}), expect(F, P, P, P, P)),
        "infinite_loop": (submission({**ALL_RIGHT, "1.1": LOOP}), expect(T, P, P, P, P)),
        "stubborn_loop": (submission({**ALL_RIGHT, "1.2": STUBBORN_LOOP}), expect(P, T, T, T, T)),
        "output_flood": (submission({**ALL_RIGHT, "1.1": FLOOD, "1.3": HUGE_ANSWER}), expect(P, P, F, P, P)),
        "not_json": (crafted("not_json"), {n: "unreadable" for n in EXERCISES}),
        "json_list": (crafted("json_list"), {n: "unreadable" for n in EXERCISES}),
        "deep_json": (crafted("deep"), {n: "unreadable" for n in EXERCISES}),
        "weird_cells": (crafted("weird_cells"), expect(P, N, N, N, N)),
    }


def write(folder: Path, students: dict[str, tuple[object, dict[str, str]]]) -> None:
    """Write each submission as folder/<student>/01_linear_regression.ipynb."""
    for student, (content, _) in students.items():
        path = folder / student / f"{NAME}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else nbformat.writes(content))


def honest(count: int) -> dict[str, nbformat.NotebookNode]:
    """`count` honest submissions (right, empty, partial in turn), for the benchmark."""
    kinds = [submission(ALL_RIGHT, _answer_question), lecture(),
             submission({"1.1": RIGHT["1.1"], "1.3": RIGHT["1.3"], "1.4": WRONG_COST})]
    return {f"student{k:03d}": kinds[k % 3] for k in range(count)}


# --- the same submissions for nbgrader ------------------------------------------------------------

ASSIGNMENT = "ps01"


def nbgrader_env() -> dict[str, str]:
    """nbgrader runs `alembic` by name: the venv's bin folder must come first on PATH."""
    import os
    import sys
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    return env


def nbgrader_course(folder: Path, students: dict[str, nbformat.NotebookNode], sources: list[Path] | None = None) -> None:
    """An nbgrader course in `folder`: the solutions as source/ps01/, `generate_assignment`, the students
    added, and each submission as submitted/<student>/ps01/<notebook>.ipynb (ready for `nbgrader autograde`)."""
    import shutil
    import subprocess
    import sys
    (folder / "source" / ASSIGNMENT).mkdir(parents=True)
    for source in sources or [SOLUTION]:
        shutil.copy(source, folder / "source" / ASSIGNMENT)
    (folder / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(folder)!r}\n"
        f"c.CourseDirectory.db_url = 'sqlite:///{folder}/gradebook.db'\n"
        "c.ExecutePreprocessor.timeout = 120\n")
    nbgrader = [sys.executable, "-m", "nbgrader"]
    env = nbgrader_env()
    subprocess.run(nbgrader + ["generate_assignment", ASSIGNMENT, "--create", "--force"], cwd=folder, env=env,
                   check=True, capture_output=True, text=True)
    if students:
        (folder / "students.csv").write_text("id\n" + "".join(f"{student}\n" for student in students))
        subprocess.run(nbgrader + ["db", "student", "import", "students.csv"], cwd=folder, env=env, check=True,
                       capture_output=True, text=True)
    for student, notebook in students.items():
        path = folder / "submitted" / student / ASSIGNMENT / f"{NAME}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(notebook, path)


def nbgrader_autograde(folder: Path) -> "subprocess.CompletedProcess":
    import subprocess
    import sys
    return subprocess.run([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--force"], cwd=folder,
                          env=nbgrader_env(), capture_output=True, text=True)


def nbgrader_scores(folder: Path) -> dict[tuple[str, str], float]:
    """{(student, grade_id): score} from nbgrader's gradebook after autograde."""
    from nbgrader.api import Gradebook
    scores = {}
    with Gradebook(f"sqlite:///{folder}/gradebook.db") as gradebook:
        for student in gradebook.students:
            submission = gradebook.find_submission_notebook(NAME, ASSIGNMENT, student.id)
            for grade in submission.grades:
                scores[student.id, grade.name] = float(grade.score)
    return scores


HONEST = {"right": lambda: submission(ALL_RIGHT, _answer_question), "empty": lecture,
          "partial": lambda: submission({"1.1": RIGHT["1.1"], "1.3": RIGHT["1.3"], "1.4": WRONG_COST})}

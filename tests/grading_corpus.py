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
MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION.*\n?", re.M)
DEFINES = re.compile(r"^(?:def|class) (\w+)", re.M)


def _exercises() -> tuple[list[str], dict[str, str]]:
    """The students' functions in the lecture's order, and the exercise number of each ("design_matrix": "1.1")."""
    order, number = [], {}
    for cell in nbformat.read(LECTURE, as_version=4).cells:
        label = re.search(r'NotImplementedError\("Exercise (\d+\.\d+): write your code here', cell.source)
        if cell.cell_type == "code" and label:
            name = DEFINES.search(cell.source).group(1)
            order.append(name)
            number[name] = label.group(1)
    return order, number


ORDER, NUMBER = _exercises()
EXERCISES = [NUMBER[name] for name in ORDER]
FIRST, SECOND = ORDER[0], ORDER[1]   # the checks' order matters for a kernel that dies or hangs


def solution_code() -> dict[str, str]:
    """{"design_matrix": its solution cell without the markers, ...}."""
    found = {}
    for cell in nbformat.read(SOLUTION, as_version=4).cells:
        if cell.cell_type == "code" and "### BEGIN SOLUTION Exercise" in cell.source:
            found[DEFINES.search(cell.source).group(1)] = MARKER.sub("", cell.source)
    return found


RIGHT = solution_code()
WRONG_COST = "def cost(A, y, theta):\n    r = A @ theta - y\n    return float(r @ r) / len(y)\n"
WRONG_DESIGN = "def design_matrix(X):\n    return X\n"


def lecture() -> nbformat.NotebookNode:
    return nbformat.read(LECTURE, as_version=4)


def _stub_cell(nb, name: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if f'"Exercise {NUMBER[name]}: write your code here"' in c.source)


def _check_cells(nb) -> list[int]:
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.startswith("check_")]


def submission(answers: dict[str, str], edit=None) -> nbformat.NotebookNode:
    """The lecture with the answer cells of `answers` ({"design_matrix": source}) replaced, then `edit(nb)`."""
    nb = lecture()
    for name, source in answers.items():
        nb.cells[_stub_cell(nb, name)].source = source
    if edit:
        edit(nb)
    return nb


def _answer_question(nb):
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "*Your answer here.*" in cell.source:
            cell.source = cell.source.replace("*Your answer here.*", "An answer in the student's own words.")


def written_answers() -> int:
    """How many answers the lecture asks for in words (graded by hand, 1 point each)."""
    return sum(c.cell_type == "markdown" and "*Your answer here.*" in c.source for c in lecture().cells)


def _edit_checks(nb):
    for k, i in enumerate(_check_cells(nb)):
        nb.cells[i].source = f'print("✔ Exercise {EXERCISES[k]}: right.")'


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


EXIT_EARLY = RIGHT[SECOND] + "\nimport os\nos._exit(0)\n"
KILL_GRADER = RIGHT[SECOND] + '''
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
    return RIGHT["design_matrix"] + f'''
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
''' + RIGHT["design_matrix"]

MEMORY_BOMB = '''try:
    hog = bytearray(3 * 2**30)
except MemoryError:
    pass
def design_matrix(X):
    hog = np.ones((2**17, 2**17))
    return hog[:len(X), :X.shape[1] + 1]
'''

LOOP = "def design_matrix(X):\n    while True:\n        pass\n"
STUBBORN_LOOP = f'''def {SECOND}(*args):
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
''' + RIGHT["design_matrix"]
HUGE_ANSWER = "def solve_normal_equations(A, y):\n    return np.zeros(9_000_000)\n"  # 96 MB of JSON


# --- the red team's submissions of issue 19: each reaches outside what an answer needs (status "review") ---

RIGHT_DM = RIGHT["design_matrix"]
JSON_PATCH = """import json, mlp.regression
_dumps = json.dumps
def _forged(value, *args, **kwargs):
    return _dumps(value, *args, **kwargs)
json.dumps = _forged
""" + RIGHT_DM.replace("np.hstack", "np.hstack")
ISSUBCLASS_PATCH = """import builtins
builtins.issubclass = lambda *args: False
def design_matrix(X):
    return mlp.regression.add_bias_column(X)
"""
CODE_SWAP = """def design_matrix(X):
    raise NotImplementedError
design_matrix.__code__ = mlp.regression.add_bias_column.__code__
"""
DEL_REPATCH = """class Again:
    def __del__(self):
        mlp.regression.add_bias_column.__globals__["np"] = np
        Again()
Again()
def design_matrix(X):
    return mlp.regression.add_bias_column(X)
"""
SETPROFILE = """import sys
sys.setprofile(lambda frame, event, arg: None)
""" + WRONG_DESIGN
FRAME_WALK = """def design_matrix(X):
    try:
        raise ValueError
    except ValueError as error:
        frame = error.__traceback__.tb_frame.f_back
    return frame.f_locals["request"]
"""
# a builtin "bound" where the binding never runs: at run time the name is the builtin exec, and any code runs
DEAD_BINDING = '''if False:
    exec = None
def design_matrix(X):
    found = {}
    exec("import mlp.regression as r", found)
    return found["r"].add_bias_column(X)
'''
RED_TEAM = {"json_patch": JSON_PATCH, "issubclass_patch": ISSUBCLASS_PATCH, "code_swap": CODE_SWAP,
            "del_repatch": DEL_REPATCH, "setprofile": SETPROFILE, "frame_walk": FRAME_WALK, "dead_binding": DEAD_BINDING}

# answers that pass review and hand the work to mlp through the objects a check passes in or an allowed function
# builds: {student: (notebook, {exercise: answer cell}, {exercise: the status it must get})}; the grader's worker
# watches the exercise's answer code while it runs the student's (a reply that used it fails)
DELEGATING = {
    "collapse_by_forward": ("02_linear_collapse", {"2.1": "def collapse_stack(stack):\n"
                                                          "    n = stack.layers[0].params['weight'].shape[1]\n"
                                                          "    b = stack.forward(np.zeros((1, n)))[0]\n"
                                                          "    return (stack.forward(np.eye(n)) - b).T, b\n"},
                            {"2.1": "failed"}),
    "sigmoid_from_network": ("05_backpropagation", {"5.3": """class MySigmoid:
    def __init__(self):
        self.params, self.grads = {}, {}
        self.inner = mlp.fully_connected([1, 1, 1], activation="sigmoid").layers[1]

    def forward(self, x):
        return self.inner.forward(x)

    def backward(self, dz):
        return self.inner.backward(dz)
""", "5.2": """class MultiplyNode(Node):
    "a · b"
    symbol = "·"

    def forward(self):
        return self.inputs[0].value * self.inputs[1].value

    def local_gradients(self):
        return (self.inputs[1].value, self.inputs[0].value)

    def backward(self):  # the check's watch on local_gradients replaced, then Node's loop does the +=
        self.local_gradients = lambda: (self.inputs[1].value, self.inputs[0].value)
        super().backward()
"""}, {"5.2": "failed", "5.3": "failed"}),
}


def delegating(name: str) -> nbformat.NotebookNode:
    """The lecture of DELEGATING[name] with its answers in place of the stubs."""
    notebook, answers, _ = DELEGATING[name]
    nb = nbformat.read(ROOT / "lectures" / f"{notebook}.ipynb", as_version=4)
    for label, source in answers.items():
        cell = next(c for c in nb.cells if f'"Exercise {label}: write your code here"' in c.source)
        cell.source = source
    return nb

# honest-looking answers whose value has too many lists to check: the worker says it is too large (the grader would
# refuse it unread); the issue's [[]] * 16_000_000 (64 MB of JSON) is in benchmarks/bench_grading_hostile.py
HUGE_LIST = "def solve_normal_equations(A, y):\n    return [[]] * 16_000_000\n"
LONG_LIST = "def solve_normal_equations(A, y):\n    return [[]] * 100_000\n"
# every answer cell right, then stalling (no import needed): each is stopped at Limits.answer_seconds
SLEEPING = {name: RIGHT[name] + "\nfor _ in range(10**12):\n    pass\n" for name in ORDER}
# text no encoder can write as it is: a lone surrogate in an exception's message (and in markdown: see crafted)
SURROGATE_ERROR = 'def cost(A, y, theta):\n    raise ValueError("bad \\ud800 value")\n'


def crafted(kind: str) -> str:
    """Notebook files no editor would write."""
    if kind == "not_json":
        return '{"cells": [{"cell_type": "code", "source": "def design_matrix(X):'
    if kind == "json_list":
        return json.dumps([1, 2, 3])
    if kind == "deep":
        return "[" * 100_000 + "]" * 100_000
    if kind == "surrogates":  # a markdown cell and a grade_id with lone surrogates (valid JSON, not UTF-8-encodable)
        nb = json.loads(nbformat.writes(submission({"design_matrix": RIGHT["design_matrix"]}, _answer_question)))
        nb["cells"].insert(0, {"cell_type": "markdown", "metadata": {"nbgrader": {"grade_id": "x\udcfc"}},
                               "source": "M\udcfcller \ud800 wrote this"})
        return json.dumps(nb)
    if kind == "brackets":  # 160 KB of nested brackets in markdown cells (quadratic in nbconvert's markdown)
        nb = json.loads(nbformat.writes(submission({"design_matrix": RIGHT["design_matrix"]})))
        nb["cells"][:0] = [{"cell_type": "markdown", "metadata": {}, "source": "[" * 5_000 + "]" * 5_000}] * 8
        return json.dumps(nb)
    if kind == "tiny_outputs":  # 250,000 outputs
        nb = json.loads(nbformat.writes(submission({"design_matrix": RIGHT["design_matrix"]})))
        nb["cells"][0]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x"}] * 250_000
        nb["cells"][0]["cell_type"] = "code"
        return json.dumps(nb)
    if kind == "many_cells":  # 450 cells of 3 KB that define the exercises' functions: each parsed once at most
        nb = json.loads(nbformat.writes(submission({"design_matrix": RIGHT["design_matrix"]})))
        filler = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                   "source": f"def {ORDER[k % len(ORDER)]}_{k}(x):\n" + "    x = x + 1\n" * 250} for k in range(450)]
        nb["cells"] = filler + nb["cells"]
        return json.dumps(nb)
    if kind == "weird_cells":
        nb = json.loads(nbformat.writes(submission({"design_matrix": RIGHT["design_matrix"]})))
        nb["cells"] = [42, "text", {"cell_type": 7, "source": None}, {"cell_type": "code", "source": [1, 2]},
                       {"cell_type": "code", "metadata": "nbgrader", "source": "x = 1"}, *nb["cells"]]
        return json.dumps(nb)
    raise ValueError(kind)


ALL_RIGHT = {name: RIGHT[name] for name in ORDER}
PARTIAL = {"design_matrix": RIGHT["design_matrix"], "solve_normal_equations": RIGHT["solve_normal_equations"],
           "cost": WRONG_COST}


def corpus(port: int, outside: list[str]) -> dict[str, tuple[object, dict[str, str]]]:
    """{student: (notebook or file text, {exercise: status expected})}; points are 1 for each "passed"."""
    P, F, N, T, C = "passed", "failed", "not attempted", "timeout", "crashed"

    def expect(default=N, **statuses):
        """{exercise number: status}: `statuses` by function name, `default` for the others."""
        return {NUMBER[name]: statuses.get(name, default) for name in ORDER}
    R, U = "review", "unreadable"
    cheat = dict(design_matrix=F)
    review = dict(design_matrix=R)
    return {
        "right": (submission(ALL_RIGHT, _answer_question), expect(P)),
        "empty": (lecture(), expect(N)),
        "partial": (submission(PARTIAL), expect(N, design_matrix=P, solve_normal_equations=P, cost=F)),
        "edit_checks": (submission({}, _edit_checks), expect(N)),
        "delete_checks": (submission({}, _delete_checks), expect(N)),
        "catch_checks": (submission({"design_matrix": WRONG_DESIGN}, _catching_checks), expect(N, **cheat)),
        "patch_checks": (submission({"design_matrix": PATCH_CHECKS}), expect(N, **review)),
        "patch_numpy": (submission({"design_matrix": PATCH_NUMPY}), expect(N, **review)),
        "fake_print": (submission({"design_matrix": FAKE_PRINT}), expect(N, **cheat)),
        "swallow_errors": (submission({"design_matrix": SWALLOW}), expect(N, **review)),
        "hard_coded": (submission({"design_matrix": hard_coded_design_matrix()}), expect(N, **review)),
        # the kernel dies in the second exercise's cell: the first keeps its point, the rest are "crashed"
        "exit_early": (submission({**ALL_RIGHT, SECOND: EXIT_EARLY}), expect(P, **{SECOND: R})),
        # the kills reach nothing outside the sandbox, and not even the worker: its honest answers count
        "kill_grader": (submission({FIRST: RIGHT[FIRST], SECOND: KILL_GRADER}), expect(N, **{FIRST: P, SECOND: R})),
        "read_solutions": (submission({"design_matrix": read_solutions()}), expect(N, **review)),
        "write_outside": (submission({"design_matrix": write_outside(outside)}), expect(N, **review)),
        "network": (submission({"design_matrix": network(port)}), expect(N, **review)),
        "fork_bomb": (submission({**ALL_RIGHT, "design_matrix": FORK_BOMB}), expect(P, **review)),
        "memory_bomb": (submission({**ALL_RIGHT, "design_matrix": MEMORY_BOMB}), expect(P, **review)),
        "infinite_loop": (submission({**ALL_RIGHT, "design_matrix": LOOP}), expect(P, design_matrix=T)),
        # a loop that swallows the interrupt: the kernel is killed, the checks after it cannot run
        "stubborn_loop": (submission({**ALL_RIGHT, SECOND: STUBBORN_LOOP}), expect(T, **{FIRST: P})),
        "output_flood": (submission({**ALL_RIGHT, "design_matrix": FLOOD, "solve_normal_equations": HUGE_ANSWER}),
                         expect(P, solve_normal_equations=F, **review)),
        "not_json": (crafted("not_json"), expect("unreadable")),
        "json_list": (crafted("json_list"), expect("unreadable")),
        "deep_json": (crafted("deep"), expect("unreadable")),
        "weird_cells": (crafted("weird_cells"), expect(N, design_matrix=P)),
        **{name: (submission({"design_matrix": source}), expect(N, **review)) for name, source in RED_TEAM.items()},
        "long_list": (submission({**ALL_RIGHT, "solve_normal_equations": LONG_LIST}), expect(P, solve_normal_equations=F)),
        "sleeping": (submission(SLEEPING), expect(P)),
        "surrogate_error": (submission({**ALL_RIGHT, "cost": SURROGATE_ERROR}), expect(P, cost=F)),
        "surrogates": (crafted("surrogates"), expect(N, design_matrix=P)),
        "brackets": (crafted("brackets"), expect(N, design_matrix=P)),
        "tiny_outputs": (crafted("tiny_outputs"), expect(U)),
        "many_cells": (crafted("many_cells"), expect(N, design_matrix=P)),
    }


# what the sandbox alone makes of the submissions that attack it, when their answers are not reviewed first
# (the grader's tests switch review off for them: the sandbox must hold on its own)
def unreviewed() -> dict[str, dict[str, str]]:
    P, F, N, T, C = "passed", "failed", "not attempted", "timeout", "crashed"

    def expect(default=N, **statuses):
        return {NUMBER[name]: statuses.get(name, default) for name in ORDER}
    cheat = dict(design_matrix=F)
    return {
        "patch_checks": expect(N, **cheat), "patch_numpy": expect(N, **cheat), "swallow_errors": expect(N, **cheat),
        "hard_coded": expect(N, **cheat), "exit_early": expect(C, **{FIRST: P}),
        "kill_grader": expect(N, **{FIRST: P, SECOND: P}), "read_solutions": expect(N, **cheat),
        "write_outside": expect(N, design_matrix=P), "network": expect(N, **cheat), "fork_bomb": expect(P),
        "memory_bomb": expect(P, design_matrix=F), "output_flood": expect(P, solve_normal_equations=F),
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
             submission(PARTIAL)]
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
          "partial": lambda: submission(PARTIAL)}


# --- a cheat on a scenario-based check (notebook 05): patch mlp's graph so that the course's own node works --

BACKPROP = "05_backpropagation"
PATCH_MLP_METHOD = '''
import mlp.graph
_backward = mlp.graph.Graph.backward
def _cheating_backward(self, *args, **kwargs):
    for node in self.nodes:  # the student's unsolved node becomes the course's own Multiply
        if type(node).__name__ == "MultiplyNode":
            node.__class__ = mlp.graph.Multiply
    return _backward(self, *args, **kwargs)
mlp.graph.Graph.backward = _cheating_backward
'''


def backprop_cheat() -> tuple[nbformat.NotebookNode, str]:
    """Lecture 05 with the stub of MultiplyNode left as it is and mlp.graph.Graph.backward patched below it;
    also the cell's source, to show that in the notebook's own kernel this passes the check."""
    nb = nbformat.read(ROOT / "lectures" / f"{BACKPROP}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith("class MultiplyNode"))
    cell.source += "\n" + PATCH_MLP_METHOD
    return nb, cell.source

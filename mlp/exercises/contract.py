"""The notebook contract: what the generator, the grader, the site, the checks and the tests agree on.

Standard library only, so that every tool can import it. Change a fact here and every side follows.

In a solution (solutions/NN_topic.ipynb):
    def design_matrix(X):
        ### BEGIN SOLUTION Exercise 1.1           <- SOLUTION_BEGIN (the label names the exercise)
        return np.hstack(...)
        ### END SOLUTION                          <- SOLUTION_END
    ### BEGIN HIDDEN TESTS ... ### END HIDDEN TESTS   (dropped from the lecture)
    <!-- BEGIN SOLUTION --> ... <!-- END SOLUTION -->  (markdown; becomes MARKDOWN_STUB)

In the lecture (lectures/NN_topic.ipynb) the region becomes `# YOUR CODE HERE` and `stub_line(label)`;
a check cell is one call `check_x(name, ...)` of an Exercise of the notebook's check module
(`check_module(notebook)`), an answer cell a code cell with nbgrader `solution: true` or a stub.
"""
from __future__ import annotations

import ast
import re
import zlib

# --- notebooks and their check modules ----------------------------------------------------------

NOTEBOOK_NAME = re.compile(r"^(\d\d)_([a-z][a-z0-9_]*)$")   # "01_linear_regression"


def topic_of(notebook: str) -> str:
    """"01_linear_regression" -> "linear_regression"."""
    return notebook.split("_", 1)[1] if "_" in notebook else notebook


def check_module(notebook: str) -> str:
    """The module holding a notebook's checks: "01_linear_regression" -> "mlp.exercises.linear_regression"."""
    return f"mlp.exercises.{topic_of(notebook)}"


# --- where the course lives, and the lectures' first cell ------------------------------------------

REPOSITORY = "mlp-course/how-neural-networks-learn"  # on GitHub (owner/name): Colab installs the course from it
BRANCH = "main"                                      # and the website's "Open in Colab" links open its lectures
COLAB_TAG = "colab-setup"  # the tag of the lectures' first cell, which the generator writes
COLAB_CELL = f"""\
# In Google Colab only: install the course and let Colab show its explorers. Elsewhere this does nothing.
import sys

if "google.colab" in sys.modules:
    import subprocess
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "mlp-course @ git+https://github.com/{REPOSITORY}@{BRANCH}"], check=True)
    from google.colab import output
    output.enable_custom_widget_manager()"""


# --- markers in the solutions ---------------------------------------------------------------------

SOLUTION_BEGIN = re.compile(r"^(?P<indent>\s*)### BEGIN SOLUTION\s*(?P<label>.*?)\s*$")
SOLUTION_END = re.compile(r"^\s*### END SOLUTION\s*$")
HIDDEN_BEGIN = re.compile(r"^\s*### BEGIN HIDDEN TESTS")
HIDDEN_END = re.compile(r"^\s*### END HIDDEN TESTS")
MARKDOWN_BEGIN = re.compile(r"^\s*<!-- BEGIN SOLUTION -->\s*$")
MARKDOWN_END = re.compile(r"^\s*<!-- END SOLUTION -->\s*$")
ANY_MARKER = re.compile(r"BEGIN SOLUTION|END SOLUTION|BEGIN HIDDEN TESTS|END HIDDEN TESTS")
DERIVATION_TAG = "derivation"  # a solution's markdown cell that works an exercise out (see the generator's --derivations)

# --- stubs in the lectures ------------------------------------------------------------------------

STUB = "{label}: write your code here"  # the message of an exercise stub's NotImplementedError


def stub_patterns(stub: str) -> tuple[re.Pattern, re.Pattern]:
    """(the stub's message, its raise line in a cell) as patterns that capture the label, for a STUB sentence."""
    message = re.escape(stub).replace(re.escape("{label}"), r"(Exercise \d+\.\d+)")
    return re.compile(f"^{message}$"), re.compile(r'raise NotImplementedError\("' + message + r'"\)')


STUB_PATTERN, STUB_IN_SOURCE = stub_patterns(STUB)
STUB_COMMENT = "# YOUR CODE HERE"
MARKDOWN_STUB = "*Your answer here.*"


def label(number: str) -> str:
    """"1.2" -> "Exercise 1.2"."""
    return f"Exercise {number}"


def stub_line(label: str) -> str:
    """The line that replaces a solution in a lecture: raise NotImplementedError("Exercise 1.2: write your code here")."""
    return f'raise NotImplementedError("{STUB.format(label=label)}")'


def stub_label(error: BaseException) -> str | None:
    """"Exercise 1.2" if `error` is an exercise stub's NotImplementedError, else None."""
    if isinstance(error, NotImplementedError) and len(error.args) == 1 and isinstance(error.args[0], str):
        match = STUB_PATTERN.match(error.args[0])
        return match.group(1) if match else None
    return None


def stubs_in(source: str) -> list[str]:
    """The exercises whose stubs a cell's source holds, in order: ["Exercise 3.1", ...]."""
    return list(dict.fromkeys(STUB_IN_SOURCE.findall(source)))


def is_markdown_stub(source: str) -> bool:
    """Whether a markdown answer is still the lecture's stub (nothing written)."""
    return MARKDOWN_STUB in source or not source.strip()


# --- recognising cells ------------------------------------------------------------------------------

def check_call(source: str) -> str | None:
    """The name of the check function if the cell is a check cell `check_x(name, ...)`, else None."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr) or not isinstance(tree.body[0].value, ast.Call):
        return None
    func = tree.body[0].value.func
    return func.id if isinstance(func, ast.Name) and func.id.startswith("check_") else None


SCOREBOARD_CELL = "scoreboard()"


def is_answer_cell(cell_type: str, source: str, nbgrader: dict) -> bool:
    """A code cell the student writes in: marked as a solution for nbgrader, or holding a stub."""
    return cell_type == "code" and (bool(nbgrader.get("solution")) or bool(stubs_in(source)))


# --- grade ids (nbgrader's cell metadata) ----------------------------------------------------------

def answer_id(number: str) -> str:
    """The grade_id of an exercise's answer cell: "1.2" -> "ex1_2"."""
    return "ex" + number.replace(".", "_")


def check_id(number: str) -> str:
    """The grade_id of an exercise's check cell: "1.2" -> "ex1_2_check"."""
    return answer_id(number) + "_check"


def written_id(notebook_number: int, k: int) -> str:
    """The grade_id of the k-th written (markdown) answer of a notebook, from 1: (1, 2) -> "answer1_2"."""
    return f"answer{notebook_number}_{k}"


# --- statuses of a mark ------------------------------------------------------------------------------

STATUSES = {
    "passed": "the check passed",
    "failed": "the check ran and the answer is not right yet",
    "not attempted": "the answer is still the lecture's stub",
    "review": "the answer uses code it should not need; a teacher looks at it (0 points until then)",
    "timeout": "the code ran longer than the grader allows",
    "crashed": "the code stopped the kernel",
    "unreadable": "the file is not a notebook the grader can read",
    "refused": "the file is not a regular file inside the submissions folder",
    "manual": "a written answer, graded by hand",
}
PASSED, FAILED, NOT_ATTEMPTED, REVIEW = "passed", "failed", "not attempted", "review"
TIMEOUT, CRASHED, UNREADABLE, REFUSED, MANUAL = "timeout", "crashed", "unreadable", "refused", "manual"

# --- seeds: the notebook's inputs, and the grader's own ----------------------------------------------


def notebook_seed(number: str) -> int:
    """The seed of an exercise's inputs when its check cell runs in a notebook (the same every run)."""
    return zlib.crc32(label(number).encode())


def grader_seed(base: int, *parts: str) -> int:
    """The grader's seed for one check, from its base seed and (student, notebook, number): never the notebook's."""
    seed = zlib.crc32(":".join([str(base), *parts]).encode())
    return seed if seed != notebook_seed(parts[-1]) else seed ^ 0x5EED

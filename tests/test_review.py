"""The grader's reading of answers (mlp.exercises.review): honest answers run, hostile ones go to review."""
import textwrap
from pathlib import Path

import nbformat
import pytest

from mlp.exercises import contract
from mlp.exercises.core import EXERCISES
from mlp.exercises.review import MAX_SOURCE, defined_names, review_answer

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(p.stem for p in (ROOT / "lectures").glob("[0-9][0-9]_*.ipynb"))


def answer_cells(name):
    """(exercise, solution source, the notebook's answer names) for every answer cell of a notebook."""
    import importlib
    importlib.import_module(contract.check_module(name))
    lecture = nbformat.read(ROOT / "lectures" / f"{name}.ipynb", as_version=4)
    solution = nbformat.read(ROOT / "solutions" / f"{name}.ipynb", as_version=4)
    cells = [c for c in lecture.cells if contract.COLAB_TAG not in c.metadata.get("tags", [])]
    assert len(cells) == len(solution.cells)
    names = set().union(*(defined_names(c.source) for c in cells if contract.stubs_in(c.source)))
    for lecture_cell, solution_cell in zip(cells, solution.cells):
        for label in contract.stubs_in(lecture_cell.source):
            yield EXERCISES[label.split()[-1]], solution_cell.source, names


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_solution_may_run(name):
    cells = list(answer_cells(name))
    assert cells, f"{name} has no answer cells"
    for exercise, source, names in cells:
        assert review_answer(source, exercise, names) == [], f"{exercise.label}'s solution was sent to review"


def exercise(number):
    import mlp.exercises.activations, mlp.exercises.backpropagation, mlp.exercises.capstone  # noqa: E401,F401
    import mlp.exercises.gradient_descent, mlp.exercises.linear_collapse, mlp.exercises.linear_regression  # noqa: E401,F401
    return EXERCISES[number]


# right answers written otherwise than the solutions: none may be sent to review
VARIED = {
    "1.1": ["import numpy as np\ndef design_matrix(X):\n    return np.concatenate((X, np.ones((X.shape[0], 1))), axis=1)",
            "def design_matrix(X):\n    A = np.ones((len(X), X.shape[1] + 1))\n    A[:, :-1] = X\n    return A",
            "def design_matrix(X):\n    return np.c_[X, np.ones(len(X))]"],
    "1.2": ["def cost(A, y, theta):\n    total = 0.0\n    for j in range(len(y)):\n        total += (A[j] @ theta - y[j]) ** 2\n"
            "    return total",
            "import math\ndef cost(A, y, theta):\n    return math.fsum((A @ theta - y) ** 2)"],
    "1.4": ["def solve_normal_equations(A, y):\n    return np.linalg.lstsq(A.T @ A, A.T @ y, rcond=None)[0]"],
    "3.1": ["def sigmoid(z):\n    return np.exp(z) / (np.exp(z) + 1)\n\n\ndef sigmoid_prime(z):\n    s = sigmoid(z)\n"
            "    return s - s ** 2"],
    "3.2": ["def relu(z):\n    return np.where(z > 0, z, 0.0)\n\n\ndef relu_prime(z):\n    return np.heaviside(z, 0.0)"],
    "3.4": ["def count_parameters(sizes):\n    total = 0\n    for i in range(1, len(sizes)):\n"
            "        total += sizes[i] * sizes[i - 1] + sizes[i]\n    return total"],
    "4.5": ["import math\ndef steps_needed(X, tau, shrink):\n    return math.ceil(math.log(shrink) / math.log(factor_per_step(X, tau)))"],
    "5.1": ["def hand_gradients(x, y, z):\n    values = {}\n    values['d'] = d = x + y\n    values['e'] = e = d * z\n"
            "    values['L'] = (e - 1) ** 2\n    g = 2 * (e - 1)\n    values.update(dL_de=g, dL_dd=g * z, dL_dz=g * d,"
            " dL_dx=g * z, dL_dy=g * z)\n    return values"],
    "5.3": ["class MySigmoid:\n    def __init__(self):\n        super().__init__()\n        self.params = {}\n"
            "        self.grads = {}\n\n    def forward(self, x):\n        self._out = 1.0 / (1.0 + np.exp(-x))\n"
            "        return self._out\n\n    def backward(self, dz):\n        return dz * self._out * (1.0 - self._out)",
            # names bound in loops, branches, closures, comprehensions, class bodies and later helpers
            "class MySigmoid:\n    kind = 'sigmoid'\n    name = kind.upper()\n\n    def __init__(self):\n"
            "        self.params, self.grads = {}, {}\n\n    def forward(self, x):\n        self.s = logistic(x)\n"
            "        return self.s\n\n    def backward(self, dz):\n        return dz * self.s * (1 - self.s)\n\n\n"
            "def logistic(x):\n    return 1 / (1 + np.exp(-x))"],
    "2.3": ["def max_rank(sizes):\n    smallest = sizes[0]\n    for n in sizes:\n        if n < smallest:\n"
            "            smallest = n\n    return smallest",
            "def max_rank(sizes):\n    if len(sizes) > 0:\n        low = min(sizes)\n    return low\n\n\nfor k in range(2):\n"
            "    print(k, max_rank([k + 1, 3]))\nif True:\n    shown = [n * 2 for n in [1, 2]]\n    print(shown)",
            "def max_rank(sizes):\n    best = None\n\n    def keep(n):\n        nonlocal best\n"
            "        best = n if best is None else min(best, n)\n    for n in sizes:\n        keep(n)\n    return best"],
}


@pytest.mark.parametrize("number, source", [(n, s) for n, sources in VARIED.items() for s in sources])
def test_varied_right_answers_may_run(number, source):
    names = {"sigmoid", "sigmoid_prime", "factor_per_step", "gradient", "cost", "design_matrix"}
    assert review_answer(source, exercise(number), names) == []


# what someone who has read our source might hand in: each is sent to review, with a reason that names it
HOSTILE = {
    "the exercise's own oracle": ("1.1", "def design_matrix(X):\n    return mlp.regression.add_bias_column(X)",
                                  "mlp.regression.add_bias_column"),
    "the oracle through importlib": ("2.3", "import importlib\ndef max_rank(sizes):\n"
                                            "    return importlib.import_module('mlp.collapse').rank_bound(sizes)", "importlib"),
    "the oracle, imported by name": ("4.5", "from mlp.convergence import steps_needed", "mlp.convergence"),
    "a network's own count": ("3.4", "def count_parameters(sizes):\n    return mlp.fully_connected(sizes).n_params",
                              "mlp.fully_connected"),
    "subclassing mlp's layer": ("5.3", "class MySigmoid(mlp.Sigmoid):\n    pass", "mlp.Sigmoid"),
    "wrapping mlp's layer": ("5.4", "class MyLinear:\n    def __init__(self, weight, bias):\n"
                                    "        self.inner = mlp.Linear(weight.shape[1], weight.shape[0])", "mlp.Linear"),
    "the worker's codec patched": ("1.1", "import json\n_dumps = json.dumps\njson.dumps = lambda value, **k: _dumps(value)",
                                   "json"),
    "issubclass patched": ("5.3", "import builtins\nbuiltins.issubclass = lambda *a: False", "builtins"),
    "a method's code swapped": ("5.2", "def f():\n    pass\nNode.backward.__code__ = f.__code__", "__code__"),
    "a finalizer that patches again": ("5.3", "class Again:\n    def __del__(self):\n        pass\nkeep = Again()",
                                       "__del__"),
    "a profile function": ("6.1", "import sys\nsys.setprofile(lambda *a: None)", "sys"),
    "the caller's frame": ("6.1", "def train_loop(model, X, y, tau, num_steps):\n    try:\n        raise ValueError\n"
                                  "    except ValueError as e:\n        return e.__traceback__.tb_frame.f_back.f_locals",
                           "tb_frame"),
    "numpy patched": ("1.2", "np.allclose = lambda *a, **k: True", "numpy.allclose"),
    "numpy through a local": ("1.2", "def cost(A, y, theta):\n    n = np\n    n.isclose = None", "np"),
    "numpy's way out": ("1.1", "def design_matrix(X):\n    return np.ctypeslib.as_array(X)", "numpy.ctypeslib"),
    "a pickle": ("1.1", "def design_matrix(X):\n    return np.load('answer.npy', allow_pickle=True)", "numpy.load"),
    "a record array read from a file": ("1.1", "def design_matrix(X):\n    return np.rec.fromfile('/tmp/a')",
                                        "numpy.rec"),
    "an array written to a file": ("1.1", "def design_matrix(X):\n    X.tofile('/tmp/x')\n    return X", ".tofile"),
    "an array pickled to a file": ("1.2", "def cost(A, y, theta):\n    (A @ theta).dump('/tmp/p')\n    return 0.0",
                                   ".dump"),
    "a computed attribute": ("1.3", "def gradient(A, y, theta):\n    return getattr(A, '__cl' + 'ass__')", "getattr"),
    "eval": ("1.3", "def gradient(A, y, theta):\n    return eval('2 * A.T @ (A @ theta - y)')", "eval"),
    "the notebook's globals": ("1.3", "def gradient(A, y, theta):\n    return globals()['theta_hat']", "globals"),
    "a shell escape": ("1.1", "!cp ../solutions/*.ipynb .\ndef design_matrix(X):\n    return X", "get_ipython"),
    "a check rebound": ("1.1", "def check_design_matrix(f):\n    print('✔ Exercise 1.1')", "check_design_matrix"),
    "mlp's class patched through the notebook's name": ("5.2", "Node.forward = lambda self: 0", "Node.forward"),
    "the training loop, aliased": ("6.1", "run = mlp.optim.train\ndef train_loop(model, X, y, tau, num_steps):\n"
                                          "    return run(model, mlp.SquaredError('mean'), X, y, tau, num_steps).costs",
                                   "mlp.optim.train"),
    # a name the cell binds where the binding never runs falls back to the notebook's names and the builtins
    "a builtin bound in a branch that never runs": ("1.1", "if False:\n    exec = None\ndef design_matrix(X):\n"
                                                        "    ns = {}\n    exec('import mlp.regression as r', ns)\n"
                                                        "    return ns['r'].add_bias_column(X)", "uses exec where"),
    "a builtin bound in a loop that never runs": ("1.1", "for open in []:\n    pass\nopen('/etc/passwd')", "uses open where"),
    "a builtin bound after a call that uses it": ("1.1", "def f():\n    return exec('1')\nf()\nexec = None", "uses exec where"),
    "a builtin bound, then deleted": ("1.1", "open = None\ndel open\nopen('x')", "uses open where"),
    "a builtin bound in a class body": ("5.3", "class MySigmoid:\n    if False:\n        open = None\n"
                                               "    data = open('x')", "uses open where"),
    "a class's name read in its method": ("5.3", "class MySigmoid:\n    exec = None\n    def forward(self, x):\n"
                                                 "        return exec('x')", "uses exec where"),
    "a default evaluated outside the function": ("1.1", "def design_matrix(X, run=exec('1')):\n    exec = None",
                                                 "uses exec where"),
    "an annotation evaluated outside the function": ("1.1", "def design_matrix(X: exec('1')):\n    exec = None",
                                                     "uses exec where"),
    "a walrus after its use": ("1.1", "y = [(exec('1'), (exec := None)) for _ in [0]]", "uses exec where"),
    "a parameter named self": ("2.1", "def collapse_stack(self):\n    return self._layers", "_layers"),
    "a method's second parameter named self": ("5.3", "class MySigmoid:\n    def forward(this, self):\n"
                                                      "        return self._cache", "_cache"),
    "an exception's name after its handler": ("1.1", "try:\n    pass\nexcept Exception as open:\n    pass\n"
                                                     "open('x')", "uses open where"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_answers_go_to_review(case):
    number, source, named = HOSTILE[case]
    names = {"Node", "sigmoid", "factor_per_step"}
    reasons = review_answer(source, exercise(number), names)
    assert reasons, f"{case} was admitted"
    assert any(named in reason for reason in reasons), reasons


def test_what_is_too_large_or_too_deep_is_not_read():
    assert "more than any answer needs" in review_answer("x = 1\n" * (MAX_SOURCE // 6 + 1), exercise("1.1"))[0]
    deep = "def f(x):\n    return " + "[" * 90 + "x" + "]" * 90
    assert "nested deeper" in review_answer(deep, exercise("1.1"))[0]


def test_code_that_does_not_parse_is_left_to_fail_when_it_runs():
    assert review_answer("def design_matrix(X)\n    return X", exercise("1.1")) == []


def test_a_reason_names_its_line():
    reasons = review_answer(textwrap.dedent("""\
        def design_matrix(X):
            A = np.hstack([X, np.ones((len(X), 1))])
            return mlp.regression.add_bias_column(X)"""), exercise("1.1"))
    assert reasons and reasons[0].startswith("line 3:")

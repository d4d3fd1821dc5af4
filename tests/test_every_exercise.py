"""What every exercise of every notebook must satisfy: it declares its answer, uses and task and each
name resolves; no check runs its answer while the notebook's solution runs; the solution read from the
notebook passes on many seeds; several students at once get the verdicts they get alone; a stub is not
attempted; and an answer hard-coded for the notebook's inputs fails with the grader's seed. What is particular to one exercise
(its slips, its messages) is tested in tests/test_exercises_<topic>.py."""
import importlib
import inspect

import numpy as np
import pytest

from mlp.exercises import contract, core, watch
from mlp.graph import Node
from solution_sweep import ROOT, Watching, failures, solution_answers, verdicts_at_once

NOTEBOOKS = sorted(path.stem for path in (ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
BOUND = {"05_backpropagation": {"Node": Node}}  # the names a notebook binds for the student
GRADER_SEED = 12345  # the grader's seeds differ from the notebook's

NO_ANSWER = {  # exercises that declare no answer, and why
    "1.5": "nothing in mlp computes the change of one prediction",
    "2.2": "it is meant to use notebook 01's least squares",
}
ANSWER_NEVER_RUN = {"01_linear_regression", "02_linear_collapse"}  # checks that compute every expected value
#                   with numpy: not even their own body runs the answer
SEEDS = {"4.4": 10}  # 50 seeds in the main suite, 10 of 4.4 (it runs mlp.train up to twelve times per seed)
GRADING_SEEDS = {"4.4": 300, "6.2": 300}  # 1,000 under -m grading, 300 of these (a dozen trainings per seed)

for _notebook in NOTEBOOKS:
    importlib.import_module(contract.check_module(_notebook))
NOTEBOOK_OF = {check.number: notebook for notebook in NOTEBOOKS
               for check in core.exercises_of(contract.check_module(notebook))}
CHECKS = [core.EXERCISES[number] for number in NOTEBOOK_OF]
SOLUTIONS = {notebook: solution_answers(notebook, **BOUND.get(notebook, {})) for notebook in NOTEBOOKS}


def solution(check) -> dict:
    """{target: the notebook's solution} for one check."""
    answers = SOLUTIONS[NOTEBOOK_OF[check.number]]
    return {name: answers[name] for name in check.targets}


def by_number(checks):
    return pytest.mark.parametrize("check", checks, ids=lambda check: check.number)


def test_every_notebook_has_checks():
    assert sorted(set(NOTEBOOK_OF.values())) == NOTEBOOKS


# --- declarations -------------------------------------------------------------------------------------

@by_number(CHECKS)
def test_every_exercise_declares_its_answer_uses_and_task(check):
    assert check.task
    assert bool(check.answer) != (check.number in NO_ANSWER)
    for name in check.answer + check.uses:
        assert watch.resolve(name) if "." in name else name in SOLUTIONS[NOTEBOOK_OF[check.number]], name


@by_number([check for check in CHECKS if check.answer])
def test_no_check_calls_its_answer_while_the_solution_runs(check):
    transport = Watching(solution(check), check.answer)
    assert transport.codes
    assert check.check(transport, 7).passed
    assert transport.seen == set()


@by_number([check for check in CHECKS if NOTEBOOK_OF[check.number] in ANSWER_NEVER_RUN])
def test_no_check_calls_its_answer_anywhere_in_the_kernel(check):
    """Not only the student's call: the check body and its scenarios never run the answer's code."""
    with watch.watching(check.answer) as used:
        assert check.check(core.InProcess(solution(check)), 7).passed
    assert used == []


def test_the_watching_transport_sees_a_call_into_an_answer():
    """The tests above can fail: an answer that hands its work to mlp is seen calling it."""
    check = core.EXERCISES["1.1"]
    transport = Watching({"design_matrix": lambda X: watch.resolve("mlp.regression.add_bias_column")(X)},
                         check.answer)
    assert check.check(transport, 7).passed        # the value is right: only the watcher can tell
    assert transport.seen == {"add_bias_column"}


# --- the notebook's solutions on many seeds -----------------------------------------------------------

@by_number(CHECKS)
def test_the_solution_passes_on_50_seeds(check):
    assert failures([check], SOLUTIONS[NOTEBOOK_OF[check.number]], range(SEEDS.get(check.number, 50))) == []


@pytest.mark.grading
@by_number(CHECKS)
def test_the_solution_passes_on_a_thousand_seeds(check):
    start = SEEDS.get(check.number, 50)
    seeds = range(start, start + GRADING_SEEDS.get(check.number, 1000))
    assert failures([check], SOLUTIONS[NOTEBOOK_OF[check.number]], seeds) == []


# --- several students at once -------------------------------------------------------------------------

def scaled(value):
    """A result made wrong: numbers (also inside lists, tuples and dicts) times 1.5."""
    if isinstance(value, (list, tuple)):
        return type(value)(scaled(v) for v in value)
    if isinstance(value, dict):
        return {k: scaled(v) for k, v in value.items()}
    return value if value is None else np.multiply(value, 1.5)


def wrong(answer):
    """The notebook's answer with its results (a function's, or a class's forward's) 1.5 times too large."""
    if inspect.isclass(answer):
        return type(answer.__name__, (answer,), {"forward": lambda self, *args: scaled(answer.forward(self, *args))})
    return lambda *args: scaled(answer(*args))


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_several_students_at_once_get_the_verdicts_they_get_alone(notebook):
    checks = core.exercises_of(contract.check_module(notebook))
    jobs = [(check, objects, seed) for seed in range(3) for check in checks
            for objects in (solution(check), {name: wrong(answer) for name, answer in solution(check).items()})]
    alone = [(v.status, v.message) for v in (check.check(core.InProcess(objects), seed) for check, objects, seed in jobs)]
    assert verdicts_at_once(jobs) == alone
    assert [status for status, _ in alone] == [contract.PASSED, contract.FAILED] * (len(jobs) // 2)


# --- stubs -----------------------------------------------------------------------------------------------

FUNCTIONS = [check for check in CHECKS if all(inspect.isfunction(answer) for answer in solution(check).values())]
# 5.2-5.4 are classes: their stubs (in a method) are tested in tests/test_exercises_backpropagation.py


@by_number(FUNCTIONS)
def test_a_stub_is_not_attempted_and_a_stub_of_another_exercise_is_named(check, verdict, stub):
    assert verdict(check, {name: stub(check.label) for name in check.targets}).status == contract.NOT_ATTEMPTED
    other = "Exercise 9.9"
    message = verdict(check, {name: stub(other) for name in check.targets}).message
    assert message == f"this exercise uses your answer to {other}, which is not solved yet: solve {other} first."


# --- answers hard-coded for the notebook's inputs (5.2-5.4, classes: in tests/test_exercises_backpropagation.py) ---


@by_number(FUNCTIONS)
def test_an_answer_hard_coded_for_the_notebooks_inputs_fails_with_the_graders_seed(check, verdict, hard_coded):
    replay = hard_coded(check, solution(check))
    assert verdict(check, replay).passed                     # the inputs a notebook's check shows
    assert not verdict(check, replay, GRADER_SEED).passed    # the grader draws its own

"""The exercise checks of the course, one module per notebook, all built from one toolkit.

    mlp.exercises.core      exercise(), Exercise, Trial, Verdict, the registry and the scoreboard
    mlp.exercises.expect    what an answer must be, said as a tutor would (raises Wrong)
    mlp.exercises.wire      the plain-data door to the student's code (the grader's sandbox uses it too)
    mlp.exercises.feedback  how a verdict looks in a notebook
    mlp.exercises.watch     the parts of mlp an exercise's answer must not call (feedback in the notebook)
    mlp.exercises.review    the grader's reading of an answer before it runs (what it may use)
    mlp.exercises.contract  the notebook contract: markers, stubs, cells, grade ids, statuses, seeds

A notebook imports its checks, e.g. `from mlp.exercises.linear_regression import check_design_matrix`;
a check cell `check_design_matrix(design_matrix)` prints "✔ Exercise 1.1: ..." or shows one
message saying what is off. Importing this package inside IPython also makes unsolved stubs say,
in any cell, which exercise they belong to (`feedback.install`).
"""
from . import feedback
from .core import EXERCISES, ExerciseError, NotAttempted, Verdict, Wrong, exercise, exercises_of, scoreboard_for
from .contract import stub_line
from .wire import scenario

feedback.install()

__all__ = ["EXERCISES", "ExerciseError", "NotAttempted", "Verdict", "Wrong", "exercise", "exercises_of",
           "scoreboard_for", "scenario", "stub_line"]

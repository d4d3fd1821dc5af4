"""Checks for the notebooks' exercises: each tells the student in a sentence what is right or off.

A check prints one line starting with "✔" when the answer is right and raises ExerciseError (an
AssertionError) saying what is off when it is not. One module per notebook holds its checks.
"""
from __future__ import annotations

import numpy as np


class ExerciseError(AssertionError):
    """The answer to an exercise is not right yet; the message says what is off."""


def passed(label: str, sentence: str) -> None:
    """Report a right answer: "✔ Exercise 1.2: <sentence>"."""
    print(f"✔ {label}: {sentence}")


def fail(label: str, sentence: str) -> None:
    """Report a wrong answer by raising ExerciseError("Exercise 1.2: <sentence>")."""
    raise ExerciseError(f"{label}: {sentence}")


def call(label: str, what: str, function, *args):
    """Run the student's `function(*args)`; if it fails, say so in their terms (ExerciseError naming `what`).

    An exercise stub's NotImplementedError passes through unchanged, so the lecture shows which
    exercise is still open.
    """
    try:
        return function(*args)
    except NotImplementedError:
        raise
    except Exception as error:
        fail(label, f"{what} raised {type(error).__name__}: {error}")


def check_array(label: str, got, expected: np.ndarray, what: str, rtol: float = 1e-6, atol: float = 1e-9,
                hint: str = "") -> None:
    """Fail with a sentence unless `got` is an array of expected's shape whose entries match it.

    `what` names the quantity in the messages, e.g. "design_matrix(X)"; `hint` is added to a
    message about wrong values.
    """
    if got is None:
        fail(label, f"{what} returned None: did you forget the return statement?")
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        fail(label, f"{what} should be an array of numbers, got {type(got).__name__}")
    expected = np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        fail(label, f"{what} has shape {got.shape}, but it should have shape {expected.shape}")
    if not np.all(np.isfinite(got)):
        fail(label, f"{what} contains NaN or infinity")
    if not np.allclose(got, expected, rtol=rtol, atol=atol):
        wrong = np.unravel_index(np.argmax(np.abs(got - expected)), got.shape) if got.ndim else ()
        where = f" at index {tuple(int(i) for i in wrong)}" if got.ndim else ""
        fail(label, f"{what} is off{where}: got {got[wrong]:.6g}, expected {expected[wrong]:.6g}. {hint}".rstrip())

"""TEMPORARY: the old check helpers, for check modules not yet moved to mlp.exercises.core (delete with the last one)."""
from __future__ import annotations

import numpy as np

from .core import ExerciseError, Verdict
from .wire import stub_label


def passed(label: str, sentence: str) -> None:
    print(f"✔ {label}: {sentence}")


def fail(label: str, sentence: str) -> None:
    raise ExerciseError(Verdict(label, "failed", sentence))


def call(label: str, what: str, function, *args):
    try:
        return function(*args)
    except NotImplementedError as error:
        if stub_label(error):
            raise
        fail(label, f"{what} raised NotImplementedError: {error}")
    except Exception as error:
        fail(label, f"{what} raised {type(error).__name__}: {error}")


def check_array(label: str, got, expected, what: str, rtol: float = 1e-6, atol: float = 1e-9, hint: str = "") -> None:
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

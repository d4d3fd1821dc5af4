"""What a check expects of an answer, said the way a tutor would: each helper returns the answer as
a clean value or raises `Wrong` with one sentence naming `what` (e.g. "cost(A, y, theta)").

    got = expect.array(got, expected, "gradient(A, y, theta)", hint="...")
    n = expect.number(got, "cost(A, y, theta)")
    if expect.close(got, expected / 2): raise Wrong("... is half of E(θ) ...")
"""
from __future__ import annotations

import numpy as np

from .._format import number as fmt
from .core import Wrong
from .wire import Opaque


def returned(got, what: str):
    """`got` unless it is None or not plain data (a function, a class, ...)."""
    if got is None:
        raise Wrong(f"{what} returned None: did you forget the return statement?")
    if isinstance(got, Opaque):
        raise Wrong(f"{what} returned {got.text}, not numbers")
    return got


def _floats(got, what: str, kind: str) -> np.ndarray:
    returned(got, what)
    if isinstance(got, str):
        raise Wrong(f"{what} returned the text {got[:40]!r}, not {kind}")
    try:
        array = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise Wrong(f"{what} should return {kind}, got {type(got).__name__} with entries that are not numbers") from None
    return array


def close(a, b, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """Same shape and equal up to rounding (for recognising a known slip)."""
    try:
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def shaped(got, shape: tuple, what: str) -> np.ndarray:
    """`got` as a finite float array of the given shape, or Wrong saying what is off."""
    got = _floats(got, what, f"an array of shape {shape}")
    if got.shape != tuple(shape):
        hint = ""
        if got.ndim == 2 and got.shape[::-1] == tuple(shape):
            hint = ": it looks transposed"
        elif got.size == int(np.prod(shape)):
            hint = ": the right number of entries in the wrong shape (check for an extra dimension)"
        raise Wrong(f"{what} has shape {got.shape}, but it should have shape {tuple(shape)}{hint}")
    if not np.all(np.isfinite(got)):
        raise Wrong(f"{what} contains NaN or infinity")
    return got


def slip(got, slips, rtol: float = 1e-6, atol: float = 1e-9) -> str | None:
    """The hint of the first known mistake whose value `got` equals up to rounding, or None.

    slips: [(the value that mistake gives, or None where it gives none here, its hint), ...]
    Call it only once `got` is known to be wrong: a slip that happens to give the right value here is
    then never named.
    """
    return next((why for wrong, why in slips if wrong is not None and close(got, wrong, rtol, atol)), None)


def miscounted(got: int, what: str, slips, otherwise: str) -> Wrong:
    """The Wrong for a count `got` known to be off: "<what> returned <got>, which <hint>" for the first known
    mistake it equals exactly (slips as for `slip`), else "<what> returned <got><otherwise>"."""
    hint = slip(got, slips, rtol=0, atol=0)
    return Wrong(f"{what} returned {got}, which {hint}" if hint else f"{what} returned {got}{otherwise}")


def array(got, expected, what: str, hint: str = "", rtol: float = 1e-6, atol: float = 1e-9,
          where=None) -> np.ndarray:
    """`got` as a float array equal to `expected` (shape, then values), or Wrong saying which entry is off.

    where(index) describes an entry in the student's terms (e.g. lambda i: f"at z = {z[i]:g}");
    by default the entry's index is named.
    """
    expected = np.asarray(expected, dtype=np.float64)
    got = shaped(got, expected.shape, what)
    if not np.allclose(got, expected, rtol=rtol, atol=atol):
        index = np.unravel_index(int(np.argmax(np.abs(got - expected))), got.shape) if got.ndim else ()
        place = (where(index) if where else f"at index {tuple(int(i) for i in index)}") if got.ndim else ""
        message = f"{what} is off{' ' + place if place else ''}: got {fmt(got[index])}, expected {fmt(expected[index])}."
        raise Wrong(f"{message} {hint}".strip())
    return got


def number(got, what: str) -> float:
    """`got` as one finite float (a 1-element array counts), or Wrong."""
    if isinstance(got, bool):
        raise Wrong(f"{what} should return a number, got {got}")
    got = _floats(got, what, "one number")
    if got.size != 1:
        raise Wrong(f"{what} should return one number, got an array of shape {got.shape}")
    value = float(got.reshape(-1)[0])
    if not np.isfinite(value):
        raise Wrong(f"{what} returned {value}")
    return value


def integer(got, what: str) -> int:
    """`got` as a whole number: an int, a numpy integer, or a float with a whole value (3.0, as np.min or
    np.ceil give); not a bool. Else Wrong."""
    if isinstance(got, (float, np.floating)) and np.isfinite(got) and float(got).is_integer():
        return int(got)
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, np.integer)):
        returned(got, what)
        raise Wrong(f"{what} should return a whole number (an int), got {got!r}")
    return int(got)


def flag(got, what: str) -> bool:
    """`got` as True or False, or Wrong."""
    if not isinstance(got, (bool, np.bool_)):
        returned(got, what)
        raise Wrong(f"{what} should return True or False, got {got!r}")
    return bool(got)


def flags(got, n: int, what: str) -> np.ndarray:
    """`got` as a boolean array of shape (n,), or Wrong."""
    returned(got, what)
    result = np.asarray(got)
    if result.shape != (n,):
        raise Wrong(f"{what} should give one True/False per entry, shape ({n},), got shape {result.shape}")
    if result.dtype != bool:
        raise Wrong(f"{what} should hold True/False values (a comparison such as a > b gives them), got dtype {result.dtype}")
    return result


def sequence(got, n: int, what: str, names: str) -> tuple:
    """`got` as a tuple or list of n entries (e.g. the pair (W, b)), or Wrong naming what is expected."""
    returned(got, what)
    if not isinstance(got, (tuple, list)) or len(got) != n:
        size = f"{len(got)} values" if isinstance(got, (tuple, list)) else f"a {type(got).__name__}"
        raise Wrong(f"{what} should return {n} values, {names}, got {size}")
    return tuple(got)


def unchanged(before: np.ndarray, after, name: str, what: str) -> None:
    """Wrong if the student's code changed its input `name` in place."""
    if not close(before, after, rtol=0, atol=0):
        raise Wrong(f"{what} changed its input {name}: build a new array instead of writing into {name}")

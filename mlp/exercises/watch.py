"""Watching the student's code for the parts of mlp that are an exercise's answer (feedback only).

While a check runs the student's code in the notebook, `watching(names)` records every call into
the code of those objects, however it is reached: by name, aliased, through a subclass or a
wrapping object, via importlib, or a function object copied earlier (what is watched is the code
object itself, with sys.setprofile). The grader never relies on this: it runs in the student's
process, where their code could switch it off; the grader reads the answer itself (review.py).
"""
from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import CodeType


def resolve(dotted: str):
    """The object a dotted name such as "mlp.layers.Sigmoid", "mlp.graph" or "numpy.linalg.solve" names
    (ImportError if none)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            value = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            try:
                value = getattr(value, part)
            except AttributeError:
                raise ImportError(f"{dotted!r} names nothing") from None
        return value
    raise ImportError(f"{dotted!r} names nothing")


def _functions(value) -> Iterator:
    """The plain functions that make up `value`: itself, a class's methods and properties, a module's own."""
    if inspect.ismodule(value):
        for member in vars(value).values():
            if getattr(member, "__module__", None) == value.__name__ and (inspect.isclass(member) or inspect.isfunction(member)):
                yield from _functions(member)
    elif inspect.isclass(value):
        for member in vars(value).values():
            if isinstance(member, (staticmethod, classmethod)):
                member = member.__func__
            if isinstance(member, property):
                yield from (f for f in (member.fget, member.fset, member.fdel) if f is not None)
            elif inspect.isfunction(member):
                yield member
    elif inspect.isfunction(value):
        yield value


def codes(names: tuple[str, ...]) -> dict[CodeType, str]:
    """code object -> the declared name it belongs to, for every function behind `names`."""
    found = {}
    for name in names:
        for function in _functions(resolve(name)):
            found.setdefault(function.__code__, name)
    return found


@contextmanager
def watching(names: tuple[str, ...]) -> Iterator[list[str]]:
    """Within the block, the names (of `names`) whose code ran, in the order first reached."""
    watched = codes(names) if names else {}
    hits: list[str] = []
    if not watched:
        yield hits
        return

    def profile(frame, event, arg):
        if event == "call":
            name = watched.get(frame.f_code)
            if name is not None and name not in hits:
                hits.append(name)

    before = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield hits
    finally:
        sys.setprofile(before)

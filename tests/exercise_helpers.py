"""Helpers the exercise tests share: an answer (a function, or a method of a class) hard-coded for the inputs one
run of a check showed."""
import copy
import inspect

import numpy as np

from mlp.exercises.core import InProcess


def _is_object(a) -> bool:
    """An object whose state is its attributes (a network, a loss), not a function or a class."""
    return hasattr(a, "__dict__") and not inspect.isroutine(a) and not inspect.isclass(a)


def key(args) -> str:
    """The inputs of one call, as a table's key: arrays by their bytes, at any depth (in tuples, lists, dicts
    and the attributes of objects such as a network), a random generator by its state, a function by its name."""
    def part(a):
        if isinstance(a, np.ndarray):
            return a.dtype.str, a.shape, a.tobytes()
        if isinstance(a, np.random.Generator):
            return a.bit_generator.state
        if isinstance(a, (list, tuple)):
            return tuple(part(b) for b in a)
        if isinstance(a, dict):
            return tuple((k, part(v)) for k, v in a.items())
        if _is_object(a):
            return type(a).__name__, part(vars(a))
        if inspect.isroutine(a):
            return a.__qualname__   # not its address, which differs from run to run
        return a
    return repr(part(args))


def _restore(live, recorded) -> None:
    """Write what a recorded call left in its inputs into the inputs of this call: arrays where the shapes
    allow, entries and attributes it added, and the numbers objects hold."""
    if isinstance(live, np.ndarray) and isinstance(recorded, np.ndarray):
        if live.shape == recorded.shape and live.flags.writeable:
            live[...] = recorded
    elif isinstance(live, (list, tuple)) and isinstance(recorded, (list, tuple)):
        for a, b in zip(live, recorded):
            _restore(a, b)
    elif isinstance(live, dict) and isinstance(recorded, dict):
        for k, value in recorded.items():
            if k in live:
                _restore(live[k], value)
            else:
                live[k] = copy.deepcopy(value)
    elif _is_object(live) and _is_object(recorded):
        for name, value in vars(recorded).items():
            if isinstance(value, (int, float, np.number)) or not hasattr(live, name):
                setattr(live, name, copy.deepcopy(value))  # a number it holds (a node's gradient), or a new attribute
            else:
                _restore(getattr(live, name), value)


def recorded(function):
    """(record, replay): `record` runs `function` and keeps what each call returned and left in its inputs
    (a method's inputs include its object); `replay()` then gives a function that does again what the call
    with the same inputs did, and else what the first call did, without running `function`."""
    table = {}

    def record(*args):
        seen = key(args)
        value = function(*args)
        table[seen] = value, copy.deepcopy(args)
        return value

    def replay():
        kept = dict(table)
        first = next(iter(kept.values()))

        def replaying(*args):
            value, after = kept.get(key(args), first)
            _restore(args, after)
            return value
        return replaying

    return record, replay


def hard_coded(check, right: dict) -> dict:
    """{name: function} replaying what the functions `right` ({name: function}) did on the inputs of the
    check's own seed (what each call returned, and what it left in its inputs, such as a trained model's
    parameters), and else what each did first: what a student gets by pasting a run's outputs into the
    functions."""
    runs = {name: recorded(function) for name, function in right.items()}
    assert check.check(InProcess({name: record for name, (record, _) in runs.items()})).passed
    return {name: replay() for name, (_, replay) in runs.items()}

"""Helpers the exercise tests share: an answer hard-coded for the inputs one run of a check showed."""
import copy
import inspect

import numpy as np

from mlp.exercises.core import InProcess


def _is_object(a) -> bool:
    """An object whose state is its attributes (a network, a loss), not a function or a class."""
    return hasattr(a, "__dict__") and not inspect.isroutine(a) and not inspect.isclass(a)


def key(args) -> str:
    """The inputs of one call, as a table's key: arrays by their bytes, at any depth (in tuples, lists, dicts
    and the attributes of objects such as a network), a random generator by its state."""
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
        return a
    return repr(part(args))


def _restore(live, recorded) -> None:
    """Write the arrays a recorded call left in its inputs into the inputs of this call, where the shapes allow."""
    if isinstance(live, np.ndarray) and isinstance(recorded, np.ndarray):
        if live.shape == recorded.shape and live.flags.writeable:
            live[...] = recorded
    elif isinstance(live, (list, tuple)) and isinstance(recorded, (list, tuple)):
        for a, b in zip(live, recorded):
            _restore(a, b)
    elif isinstance(live, dict) and isinstance(recorded, dict):
        for k in live.keys() & recorded.keys():
            _restore(live[k], recorded[k])
    elif _is_object(live) and type(live) is type(recorded):
        _restore(vars(live), vars(recorded))


def _recorder(function, table: dict):
    """`function`, keeping in `table` what each call returned and left in its inputs."""
    def record(*args):
        seen = key(args)
        value = function(*args)
        table[seen] = value, copy.deepcopy(args)
        return value
    return record


def _replayer(table: dict):
    """A function that does what the recorded call with the same inputs did, else what the first one did."""
    first = next(iter(table.values()))

    def replay(*args):
        value, after = table.get(key(args), first)
        _restore(args, after)
        return value
    return replay


def hard_coded(check, right: dict) -> dict:
    """{name: function} replaying what the functions `right` ({name: function}) did on the inputs of the
    check's own seed (what each call returned, and what it left in its inputs, such as a trained model's
    parameters), and else what each did first: what a student gets by pasting a run's outputs into the
    functions."""
    tables = {name: {} for name in right}
    assert check.check(InProcess({name: _recorder(right[name], tables[name]) for name in right})).passed
    return {name: _replayer(dict(tables[name])) for name in right}

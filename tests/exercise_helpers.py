"""Helpers the exercise tests share: an answer hard-coded for the inputs one run of a check showed."""
import numpy as np

from mlp.exercises.core import InProcess


def key(args) -> str:
    """The inputs of one call, as a table's key."""
    return repr([a.tobytes() if isinstance(a, np.ndarray) else a for a in args])


def hard_coded(check, name, right, key=key):
    """A function that replays what `right` returned on the inputs of the check's own seed, and else the
    first answer it recorded: what a student gets by pasting a run's outputs into the function.
    `key` turns a call's inputs into the table's key."""
    seen = {}

    def recording(*args):
        seen[key(args)] = value = right(*args)
        return value

    assert check.check(InProcess({name: recording})).passed
    table = dict(seen)
    first = next(iter(table.values()))
    return lambda *args: table.get(key(args), first)

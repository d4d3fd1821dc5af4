"""Fixtures the exercise tests share: a check's verdict on given objects, an unsolved stub, an answer
hard-coded from one run, and a scoreboard that starts empty in every test."""
import pytest

from mlp.exercises import contract, core

from exercise_helpers import hard_coded as _hard_coded


@pytest.fixture(autouse=True)
def fresh_scoreboard(monkeypatch):
    """Each test starts with no check run in this process (core.RESULTS), whatever ran before it."""
    monkeypatch.setattr(core, "RESULTS", {})


@pytest.fixture
def verdict():
    """verdict(check, {name: object, ...}, seed=None): the check's Verdict, run as in a notebook."""
    def run(check, objects: dict, seed=None):
        return check.check(core.InProcess(objects, check.answer), seed)
    return run


@pytest.fixture
def stub():
    """stub(label): a function that raises the lecture's stub for that exercise, as an unsolved answer does."""
    def make(label: str):
        def unsolved(*args, **kwargs):
            raise NotImplementedError(contract.STUB.format(label=label))
        return unsolved
    return make


@pytest.fixture
def hard_coded():
    """hard_coded(check, {name: function}): {name: answer} replaying what the functions gave on the notebook's
    inputs."""
    return _hard_coded

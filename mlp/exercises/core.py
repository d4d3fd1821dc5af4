"""Exercises: a check written once, run in the notebook or by the grader.

    @exercise("1.1", "design_matrix")
    def check_design_matrix(t, design_matrix):
        X = t.rng.uniform(2, 9, size=(5, 3))                     # fresh inputs no cell shows
        got = t.call(design_matrix, X, what="design_matrix(X) for X of shape (5, 3)")
        expect.array(got, regression.add_bias_column(X), "design_matrix(X)")
        return "A = [X, 1] has shape (N, d + 1)."                # the sentence for a right answer

The body gets a Trial `t` and one handle per student object (never the object itself): `t.call`
runs a student's function, `t.run` a registered scenario (see `wire.scenario`), and both return
plain data. Wrong answers raise `Wrong` (the helpers in `expect` do), and the body returns the
sentence for a right one. In a notebook, `check_design_matrix(design_matrix)` runs it at once and
prints "✔ Exercise 1.1: ..." or shows what is off; the grader runs the same body with a transport
into its sandbox and seeds of its own, so that an answer hard-coded for some inputs fails.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import contract, submit, watch, wire

class Wrong(Exception):
    """Raised inside a check body: the answer is off, and the message says how, for the student."""


class ExerciseError(AssertionError):
    """A check cell's verdict when the answer is not right yet: one short message, no checker frames."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(f"{verdict.label}: {verdict.message}")
        self.verdict = verdict

    def _render_traceback_(self) -> list[str]:  # IPython shows this instead of a traceback
        from .feedback import render_verdict
        return render_verdict(self.verdict)


class NotAttempted(ExerciseError, NotImplementedError):
    """A check cell's verdict when the exercise is still the lecture's stub."""


class TransportError(Exception):
    """The grader lost the student's code: it ran out of time (status "timeout") or died ("crashed")."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Verdict:
    """What a check decided: status (one of contract.STATUSES), the message for the student, and, when their own
    code raised, its traceback (their frames only)."""

    label: str
    status: str
    message: str
    details: str = ""
    headline: str = ""  # replaces "✘ Exercise 1.2 is not right yet" when set

    @property
    def passed(self) -> bool:
        return self.status == contract.PASSED


@dataclass(frozen=True)
class Handle:
    """One of the student's objects as a check sees it: a name (the one the lecture's stub defines)."""

    name: str


class Transport:
    """Where requests (see `wire`) are answered: `answer(request)` returns the answer dict."""

    def answer(self, request: dict) -> dict:
        raise NotImplementedError


class InProcess(Transport):
    """The notebook's transport: the student's objects live right here, requests still go through the wire.

    `answer_names` are the parts of mlp that are the exercise's answer: a reply whose computation reached
    one of them says so (`"used"`), for the check to tell the student (see watch.py)."""

    def __init__(self, objects: dict[str, object], answer_names: tuple[str, ...] = ()) -> None:
        self.objects, self.answer_names = objects, answer_names

    def answer(self, request: dict) -> dict:
        # encoded and decoded as the grader's transport does it: the check sees exactly what it would see there
        request = json.loads(json.dumps(request))
        with watch.watching(self.answer_names) as used:
            reply = wire.serve(request, self.objects.__getitem__)
        reply = json.loads(json.dumps(reply))
        if used:
            reply["used"] = used[0]
        return reply


class Trial:
    """What a check body works with: seeded random inputs, and the student's code behind a transport."""

    def __init__(self, exercise: Exercise, transport: Transport, seed: int) -> None:
        self.exercise, self.transport = exercise, transport
        self.rng = np.random.default_rng(seed)

    def call(self, function: Handle, *args, what: str, return_args: bool = False):
        """function(*args) in the student's code, on copies of args; returns the result as plain data
        (with return_args, the pair (result, args as the function left them), to see changes in place).

        `what` names the call in messages, e.g. "design_matrix(X) for X of shape (5, 3)".
        """
        request = {"op": "call", "target": wire.encode(wire.Ref(function.name)), "args": wire.encode(list(args)),
                   "return_args": return_args}
        return self._ask(request, what, return_args, function.name)

    def run(self, scenario: Callable, *args, what: str):
        """A registered scenario (wire.scenario) beside the student's objects; Handles in args become the objects."""
        args = [wire.Ref(a.name) if isinstance(a, Handle) else a for a in args]
        request = {"op": "run", "scenario": scenario.scenario_name, "args": wire.encode(args)}
        return self._ask(request, what, False)

    def _ask(self, request: dict, what: str, return_args: bool, name: str | None = None):
        answer = self.transport.answer(request)
        if "used" in answer and isinstance(self.transport, InProcess):  # only ever believed in the notebook
            raise Delegated(str(answer["used"]))
        if "error" in answer:
            raise StudentCodeFailed(what, answer["error"], name)
        try:
            value = wire.decode(answer["ok"])
            return (value, wire.decode(answer["args"])) if return_args else value
        except (KeyError, ValueError, TypeError) as error:
            raise TransportError("crashed", f"the answer to {what} could not be read ({error})") from None


class Delegated(Exception):
    """The student's code reached a part of mlp that is the exercise's answer (its dotted name)."""


class StudentCodeFailed(Exception):
    """The student's code raised while a check ran it; `error` is wire.describe_error's plain data."""

    def __init__(self, what: str, error: dict, name: str | None = None) -> None:
        super().__init__(what)
        self.what, self.error, self.name = what, error, name  # name: the student's function called, if one was


class Exercise:
    """One checked exercise: its number ("1.1"), the names of the student objects it checks, its body."""

    def __init__(self, number: str, targets: tuple[str, ...], body: Callable, module: str,
                 answer: tuple[str, ...] = (), uses: tuple[str, ...] = (), task: str = "") -> None:
        self.number, self.targets, self.body, self.module = number, targets, body, module
        self.answer, self.uses, self.task = tuple(answer), tuple(uses), task
        self.label = contract.label(number)
        self.__name__ = body.__name__
        self.__doc__ = body.__doc__

    def check(self, transport: Transport, seed: int | None = None) -> Verdict:
        """Run the body against `transport` with fresh inputs from `seed` (default: this exercise's own)."""
        seed = contract.notebook_seed(self.number) if seed is None else seed
        try:
            sentence = self.body(Trial(self, transport, seed), *(Handle(name) for name in self.targets))
        except Wrong as wrong:
            return Verdict(self.label, contract.FAILED, str(wrong))
        except Delegated as used:
            task = f"the point is to {self.task}" if self.task else "the point is to write it yourself"
            return Verdict(self.label, contract.FAILED, f"{self.label} uses {used}: {task}.",
                           headline=f"{self.label} uses {used}: {task}")
        except StudentCodeFailed as failed:
            return self._student_failed(failed)
        except TransportError as lost:
            return Verdict(self.label, lost.status, str(lost))
        except Exception as error:  # what the student's code returned confused the check itself
            return Verdict(self.label, contract.FAILED, "the check could not make sense of what your code returned "
                                                 f"({type(error).__name__}: {error})")
        return Verdict(self.label, contract.PASSED, str(sentence))

    def _student_failed(self, failed: StudentCodeFailed) -> Verdict:
        error = failed.error
        stub = error.get("stub")
        if stub == self.label:
            return Verdict(self.label, contract.NOT_ATTEMPTED,
                           f"Write your code in place of the line raise NotImplementedError(...) in "
                           f"{failed.name or self.targets[0]}, "
                           "run that cell, then this one.")
        if stub:
            return Verdict(self.label, contract.FAILED, f"this exercise uses your answer to {stub}, which is not solved yet: "
                                                 f"solve {stub} first.")
        return Verdict(self.label, contract.FAILED, f"{failed.what} raised {error['type']}: {error['message']}",
                       error.get("traceback", ""))

    def __call__(self, *objects) -> None:
        """The check cell: judge the student's objects now; print "✔ ..." or show what is off."""
        if len(objects) != len(self.targets):
            raise TypeError(f"{self.__name__} takes {len(self.targets)} argument(s): {', '.join(self.targets)}")
        verdict = self.check(InProcess(dict(zip(self.targets, objects)), self.answer))
        RESULTS[self.number] = verdict
        if verdict.passed:
            print(f"✔ {self.label}: {verdict.message}")
        elif verdict.status == contract.NOT_ATTEMPTED:
            raise NotAttempted(verdict)
        else:
            raise ExerciseError(verdict)

    def __repr__(self) -> str:
        return f"<{self.label}: {self.__name__}({', '.join(self.targets)})>"


EXERCISES: dict[str, Exercise] = {}  # every exercise of the course by number, "1.1" -> Exercise
RESULTS: dict[str, Verdict] = {}     # the last verdict of each check run in this kernel


def exercise(number: str, *targets: str, answer: tuple[str, ...] = (), uses: tuple[str, ...] = (),
             task: str = "") -> Callable[[Callable], Exercise]:
    """Make a check body an Exercise; `targets` are the names of the student objects the check cell passes.

    answer: the parts of mlp that implement what the exercise asks ("mlp.regression.add_bias_column",
        a class, or a whole module "mlp.graph"): a check that sees the student's code reach one says so.
    uses: what an answer is meant to use beyond numpy, math, plain builtins and the notebook's own
        answers ("mlp.train", or a name the notebook binds, such as "Node"); the grader sends an answer
        that reaches for anything else to review.
    task: what the student must do themselves, for the message: "write σ and σ′ yourself".
    """
    def register(body: Callable) -> Exercise:
        if number in EXERCISES:
            raise ValueError(f"Exercise {number} is defined twice")
        EXERCISES[number] = made = Exercise(number, targets, body, body.__module__, answer, uses, task)
        return made
    return register


def exercises_of(module: str) -> list[Exercise]:
    """The exercises a check module defines, in the order they were defined."""
    return [e for e in EXERCISES.values() if e.module == module]


def scoreboard_for(module: str) -> Callable[[], None]:
    """The `scoreboard()` of a notebook: which of its exercises passed their check in this kernel, and on a hub
    with the course's grader service the button that submits the notebook (mlp.exercises.submit)."""
    def scoreboard() -> None:
        marks = {contract.PASSED: "✔", contract.FAILED: "✘"}
        exercises = exercises_of(module)
        solved = sum(RESULTS.get(e.number) is not None and RESULTS[e.number].passed for e in exercises)
        cells = [f"{e.number} {marks.get(RESULTS[e.number].status, '·') if e.number in RESULTS else '·'}" for e in exercises]
        print(f"{solved} of {len(exercises)} solved: " + "  ".join(cells))
        if solved < len(exercises):
            print("✘ not right yet, · not solved or not checked yet: run the exercise's cell and its check cell.")
        submit.offer()  # on a hub with the course's grader: a Submit button (the mark is the grader's)
    return scoreboard

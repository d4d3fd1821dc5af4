"""The one door between a check and the student's code: requests and answers as plain data.

A check never touches the student's functions itself. It asks for them to be run, in a request
such as {"op": "call", "target": {"__ref__": "design_matrix"}, "args": [...]}, and gets back plain
data: numbers, strings, arrays, lists, tuples and dicts of them, encoded as JSON-able values
(arrays as base64 bytes with dtype and shape; nothing is unpickled). `serve` answers a request
where the student's code lives: in the notebook's kernel when a check cell runs, or in the
grader's sandbox, where the verdict is then computed outside, by the same check code.

    {"op": "call", "target": REF, "args": [...], "return_args": false}  -> call target(*args)
    {"op": "run", "scenario": "mlp.exercises.topic:name", "args": [...]} -> a registered scenario
    answer: {"ok": value, "args": [...]}  or  {"error": {"type", "message", "traceback", "stub"}}

REF is {"__ref__": name}: a name the resolver turns into the student's object.
"""
from __future__ import annotations

import base64
import importlib
import inspect
import os
import re
import sys
import sysconfig
import traceback
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .contract import stub_label

MAX_DEPTH = 32
MAX_BYTES = 64 * 2**20  # a single answer larger than this is not read
ARRAY_KINDS = "biufc"   # booleans, integers, unsigned, floats, complex: the arrays that travel


@dataclass(frozen=True)
class Opaque:
    """Something the student's code gave back that is not plain data (a function, a layer, ...)."""

    type_name: str
    text: str

    def __repr__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Ref:
    """A name for one of the student's objects; the side that holds the object resolves it."""

    name: str


# --- plain data <-> JSON-able values --------------------------------------------------------------

def encode(value, depth: int = 0):
    """`value` as JSON-able plain data; what is not plain data becomes an Opaque description."""
    if depth > MAX_DEPTH:
        return {"__opaque__": "nested", "text": "a value nested too deeply"}
    if isinstance(value, np.generic) and np.dtype(type(value)).kind in ARRAY_KINDS:  # before float: np.float64 is one
        return {"__scalar__": encode(np.asarray(value), depth + 1)}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value if abs(value) < 2**63 else {"__opaque__": "int", "text": "an integer too large to compare"}
    if isinstance(value, float):
        return {"__float__": repr(value)} if not np.isfinite(value) else value
    if isinstance(value, np.ndarray) and value.dtype.kind in ARRAY_KINDS:
        data = value if value.flags.c_contiguous else value.copy(order="C")  # (ascontiguousarray makes 0-d arrays 1-d)
        return {"__array__": base64.b64encode(data.tobytes()).decode("ascii"), "dtype": data.dtype.str,
                "shape": list(data.shape)}
    if isinstance(value, Ref):
        return {"__ref__": value.name}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, depth + 1) for v in value]}
    if isinstance(value, list):
        return [encode(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {"__dict__": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    if isinstance(value, Opaque):
        return {"__opaque__": value.type_name, "text": value.text}
    return {"__opaque__": type(value).__name__, "text": _describe(value)}


def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of {value.dtype} (not numbers)"
    if isinstance(value, type):
        return f"the class {value.__name__}"
    if inspect.isroutine(value):
        return f"the function {getattr(value, '__name__', type(value).__name__)}"
    return f"a {type(value).__name__}"


def decode(data, depth: int = 0):
    """The plain data that `encode` wrote; anything malformed raises ValueError (never trusted further)."""
    if depth > MAX_DEPTH + 2:
        raise ValueError("nested too deeply")
    if data is None or isinstance(data, (bool, str, int, float)):
        return data
    if isinstance(data, list):
        return [decode(v, depth + 1) for v in data]
    if not isinstance(data, dict) or len(data) not in (1, 2, 3):
        raise ValueError(f"not plain data: {type(data).__name__}")
    if "__array__" in data:
        dtype = np.dtype(str(data["dtype"]))
        shape = tuple(int(n) for n in data["shape"])
        if dtype.kind not in ARRAY_KINDS or any(n < 0 for n in shape):
            raise ValueError("bad array")
        raw = base64.b64decode(data["__array__"], validate=True)
        if len(raw) != dtype.itemsize * int(np.prod(shape, dtype=np.int64)):
            raise ValueError("array bytes do not match its shape")
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    if "__scalar__" in data:
        return decode(data["__scalar__"], depth + 1)[()]
    if "__float__" in data:
        return float(data["__float__"])
    if "__tuple__" in data:
        return tuple(decode(v, depth + 1) for v in data["__tuple__"])
    if "__dict__" in data:
        return {_key(decode(k, depth + 1)): decode(v, depth + 1) for k, v in data["__dict__"]}
    if "__ref__" in data:
        return Ref(str(data["__ref__"]))
    if "__opaque__" in data:
        return Opaque(str(data["__opaque__"])[:100], str(data.get("text", ""))[:300])
    raise ValueError("not plain data")


def _key(key):
    return key if isinstance(key, (str, int, float, bool, tuple, type(None))) else repr(key)


# --- running the student's code -------------------------------------------------------------------

SCENARIOS: dict[str, Callable] = {}


def scenario(function: Callable) -> Callable:
    """Register `function` as a scenario: code of a check that must run beside the student's objects
    (build a graph around their node class, train with their layer) and returns plain data."""
    SCENARIOS[f"{function.__module__}:{function.__qualname__}"] = function
    function.scenario_name = f"{function.__module__}:{function.__qualname__}"
    return function


def _scenario(name: str) -> Callable:
    module = name.split(":", 1)[0]
    if not module.startswith("mlp.exercises."):
        raise ValueError(f"not an exercise scenario: {name!r}")
    importlib.import_module(module)
    if name not in SCENARIOS:
        raise ValueError(f"no such scenario: {name!r}")
    return SCENARIOS[name]


def serve(request: dict, resolve: Callable[[str], object]) -> dict:
    """Answer one request (see the module docstring); the student's errors become the answer's "error"."""
    def unref(value):
        if isinstance(value, Ref):
            return resolve(value.name)
        if isinstance(value, (list, tuple)):
            return type(value)(unref(v) for v in value)
        return value

    if request.get("op") == "run":
        function = _scenario(str(request["scenario"]))
    elif request.get("op") != "call":
        raise ValueError(f"unknown request {request.get('op')!r}")
    try:
        args = [unref(a) for a in decode(request.get("args", []))]
        if request["op"] == "call":
            function = unref(decode(request["target"]))
    except KeyError as missing:  # the notebook defines no such name (renamed or deleted)
        return {"error": {"type": "NameError", "message": f"name {missing} is not defined: run the cell that defines it",
                          "traceback": "", "stub": None}}
    try:
        value = function(*args)
    except Exception as error:  # the student's code failed: tell the check what and where
        return {"error": describe_error(error)}
    answer = {"ok": encode(value)}
    if request.get("return_args"):
        answer["args"] = encode(args)
    return answer


def describe_error(error: BaseException) -> dict:
    """An error of the student's code as plain data: its type and message, and their own frames only."""
    return {"type": type(error).__name__, "message": str(error)[:2000], "traceback": student_traceback(error),
            "stub": stub_label(error)}


_LIBRARY = tuple(os.path.realpath(p) for p in {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"],
                                                sysconfig.get_paths()["platlib"],
                                                os.path.dirname(os.path.dirname(os.path.abspath(__file__)))})


def _is_students(filename: str) -> bool:
    """A frame in the student's cells, not in mlp, numpy or Python's own library."""
    path = os.path.realpath(filename) if not filename.startswith("<") else filename
    return not path.startswith(_LIBRARY) and "site-packages" not in path


def _cell_name(filename: str) -> str:
    """How JupyterLab names a cell ("Cell In[7]"), where the kernel can tell; else the file name."""
    shell = sys.modules.get("IPython") and getattr(sys.modules["IPython"], "get_ipython", lambda: None)()
    try:
        kind, name = shell.compile.format_code_name(filename)
        return f"{kind} {name}"
    except Exception:
        return filename


def student_traceback(error: BaseException) -> str:
    """The frames of `error`'s traceback that are the student's own, formatted, then the error line."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if _is_students(f.filename)]
    lines = []
    for frame in frames[-6:]:
        lines.append(f"  {_cell_name(frame.filename)}, line {frame.lineno}, in {frame.name}")
        if frame.line:
            lines.append(f"    {frame.line.strip()}")
    lines.append(f"{type(error).__name__}: {error}"[:2000])
    return "\n".join(lines)

"""The grader's reading of an answer cell before it runs: does it stay within what an honest answer needs?

    reasons = review_answer(source, exercise, notebook_names)    # [] when the cell may run

An answer may use numpy (np.…), math, plain builtins (len, range, zip, …), its own parameters,
locals, functions and classes, the notebook's own answers (`notebook_names`, e.g. `sigmoid` from
Exercise 3.1 inside 3.3) and what its exercise declares in `uses` (e.g. "mlp.train", "Node"). Anything
else is reported, one reason a line, and the grader then gives the exercise the status "review": no
points until a teacher has looked. Among what is reported: imports of other modules (sys, json,
builtins, gc, inspect, ctypes, importlib, …), parts of mlp the exercise does not need (its oracle),
dunder names and attributes (__code__, __class__, __globals__, __subclasses__, __del__), frames,
eval/exec/compile/globals/vars/open/getattr with a computed name, changing numpy's or mlp's
attributes, numpy's routes out (np.ctypeslib, np.lib, np.load, np.rec and the other file readers and
writers, an array's .tofile and .dump), a module passed around as a value.

The reading is ast only, in the grader's process, on text bounded in size and nesting: nothing of
the answer runs here. It errs on the side of review, never of points: a teacher sees the reasons and
the code, and can award the points by hand.
"""
from __future__ import annotations

import ast
import builtins
import inspect

from .watch import resolve

MAX_SOURCE = 100_000  # characters: an answer cell longer than this is not read
MAX_DEPTH = 60        # nesting of the syntax tree (an honest answer stays under 30)

SAFE_BUILTINS = frozenset({
    "abs", "all", "any", "bool", "complex", "dict", "divmod", "enumerate", "filter", "float", "frozenset",
    "hasattr", "getattr", "int", "isinstance", "issubclass", "iter", "len", "list", "map", "max", "min", "next",
    "object", "pow", "print", "property", "range", "repr", "reversed", "round", "set", "slice", "sorted",
    "staticmethod", "classmethod", "str", "sum", "super", "tuple", "zip", "format", "callable", "id", "hash",
    "True", "False", "None", "NotImplemented", "Ellipsis",
}) | frozenset(name for name, value in vars(builtins).items()
               if inspect.isclass(value) and issubclass(value, BaseException))
MODULES = {"numpy": "numpy", "np": "numpy", "math": "math", "mlp": "mlp"}  # names the notebook binds to modules
IMPORTABLE = ("numpy", "math", "mlp")
NUMPY_OUT = ("numpy.ctypeslib", "numpy.lib", "numpy.load", "numpy.save", "numpy.savez", "numpy.savez_compressed",
             "numpy.savetxt", "numpy.loadtxt", "numpy.genfromtxt", "numpy.fromfile", "numpy.memmap", "numpy.f2py",
             "numpy.distutils", "numpy.core", "numpy._core", "numpy.testing", "numpy.DataSource", "numpy.fromregex",
             "numpy.show_config", "numpy.show_runtime", "numpy.get_include", "numpy.from_dlpack", "numpy.rec")
FILE_METHODS = frozenset({"tofile", "dump"})  # array methods that write files (any object's, by their name)
FRAME_ATTRIBUTES = frozenset({
    "f_back", "f_globals", "f_locals", "f_builtins", "f_code", "f_trace", "gi_frame", "gi_code", "cr_frame",
    "cr_code", "ag_frame", "ag_code", "tb_frame", "tb_next", "co_code", "co_consts", "mro", "func_globals",
    "func_code", "im_func", "im_self",
})
DUNDER_METHODS = frozenset({"__init__", "__repr__", "__str__", "__call__", "__len__", "__getitem__", "__iter__"})
NO_ANSWER_NEEDS = frozenset({"getattr", "hasattr"})  # allowed only with a plain, constant attribute name


def review_answer(source: str, exercise, notebook_names: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Why the answer cell `source` of `exercise` (a core.Exercise, or None) must go to review; [] if it may run."""
    if len(source) > MAX_SOURCE:
        return [f"the cell is {len(source) // 1000} KB long, more than any answer needs"]
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        python = TransformerManager().transform_cell(source)
    except Exception:
        python = source
    try:
        tree = ast.parse(python)
    except (SyntaxError, ValueError):
        return []  # not Python: it fails when it runs, as it would in the notebook
    except (RecursionError, MemoryError):
        return ["the cell is nested deeper than any answer needs"]
    if _depth(tree) > MAX_DEPTH:
        return ["the cell is nested deeper than any answer needs"]
    uses = tuple(getattr(exercise, "uses", ()) or ())
    reader = _Reader(uses, set(notebook_names), python.splitlines())
    reader.visit(tree)
    return list(dict.fromkeys(reader.reasons))


def _depth(tree: ast.AST) -> int:
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__") and len(name) > 4


def _resolve(dotted: str):
    """The object a dotted name names, imported here, in the grader (None if it names nothing)."""
    try:
        return resolve(dotted)
    except Exception:  # ImportError, or a module that fails to import
        return None


class _Reader(ast.NodeVisitor):
    def __init__(self, uses: tuple[str, ...], notebook_names: set[str], lines: list[str]) -> None:
        self.reasons: list[str] = []
        self.modules = dict(MODULES)     # name -> dotted module it stands for, in this cell
        self.allowed_bare = {u for u in uses if "." not in u} | notebook_names
        self.allowed_dotted = [u for u in uses if "." in u]
        self.allowed_objects = [o for o in (_resolve(u) for u in self.allowed_dotted) if o is not None]
        self.bound: set[str] = set()
        self.unsure: set[int] = set()    # id() of the loads of bound names that may reach the notebook's names
        self.not_self: set[str] = set()  # self/cls as a parameter that is not a method's first one
        self.lines = lines

    def flag(self, node: ast.AST, why: str) -> None:
        line = getattr(node, "lineno", None)
        self.reasons.append(f"line {line}: {why}" if line else why)

    # --- what the cell binds -----------------------------------------------------------------------

    def visit_Module(self, node: ast.Module) -> None:
        for child in ast.walk(node):  # every name the cell binds, in any scope, is the student's own
            if isinstance(child, ast.Name) and isinstance(child.ctx, (ast.Store, ast.Del)):
                self.bound.add(child.id)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.bound.add(child.name)
            elif isinstance(child, ast.arg):
                self.bound.add(child.arg)
            elif isinstance(child, ast.ExceptHandler) and child.name:
                self.bound.add(child.name)
            elif isinstance(child, (ast.MatchAs, ast.MatchStar)) and child.name:
                self.bound.add(child.name)
        self.unsure = _Scopes(node).unsure()
        methods = {id(f) for c in ast.walk(node) if isinstance(c, ast.ClassDef) for f in c.body
                   if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
        self.not_self = {a.arg for f in ast.walk(node) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                         for a in [*f.args.posonlyargs, *f.args.args, *f.args.kwonlyargs][(id(f) in methods):]}
        for name in sorted(self.bound & (set(MODULES) | {"plt"})):
            self.flag(node, f"rebinds {name}, which the notebook's own cells rely on")
        for name in sorted(n for n in self.bound if n.startswith("check_") or n in ("scoreboard",)):
            self.flag(node, f"rebinds {name}, one of the notebook's checks")
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            root = alias.name.split(".")[0]
            if root not in IMPORTABLE:
                self.flag(node, f"imports {alias.name}, which no answer needs")
                continue
            self._check_dotted(node, alias.name)
            if alias.asname:
                self.modules[alias.asname] = alias.name
                self.bound.discard(alias.asname)
            else:
                self.modules[root] = root

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level or module.split(".")[0] not in IMPORTABLE:
            self.flag(node, f"imports from {'.' * node.level}{module}, which no answer needs")
            return
        for alias in node.names:
            if alias.name == "*":
                self.flag(node, f"imports * from {module}: name what the answer uses")
                continue
            dotted = f"{module}.{alias.name}"
            self._check_dotted(node, dotted)
            if inspect.ismodule(_resolve(dotted)):
                self.modules[alias.asname or alias.name] = dotted

    def visit_Global(self, node: ast.Global) -> None:
        self.flag(node, f"declares global {', '.join(node.names)}: an answer returns what it computes")

    def visit_AsyncFunctionDef(self, node) -> None:
        self.flag(node, "defines an async function, which no answer needs")

    visit_Await = visit_AsyncFor = visit_AsyncWith = visit_AsyncFunctionDef

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if _dunder(node.name) and node.name not in DUNDER_METHODS:
            self.flag(node, f"defines {node.name}, which no answer needs")
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for keyword in node.keywords:
            self.flag(node, f"gives the class {node.name} a {keyword.arg}, which no answer needs")
        self.generic_visit(node)

    # --- what the cell reads ------------------------------------------------------------------------

    def visit_Name(self, node: ast.Name) -> None:
        name = node.id
        if not isinstance(node.ctx, ast.Load):
            return
        if _dunder(name):
            self.flag(node, f"uses {name}, which no answer needs")
        elif name in self.modules and name not in self.bound:
            self.flag(node, f"passes the module {name} around as a value: use its functions, e.g. {name}.something(...)")
        elif name in self.allowed_bare or name in SAFE_BUILTINS:
            return
        elif name in self.bound:
            if id(node) in self.unsure:  # bound somewhere in the cell, but maybe not here: then the notebook's name
                self.flag(node, f"uses {name} where the cell may not have bound it yet (it binds {name} only in a "
                                "branch, a loop, after a call or not before this line): bind it first, unconditionally")
        elif hasattr(builtins, name):
            self.flag(node, f"uses the builtin {name}, which no answer needs")
        else:
            self.flag(node, f"uses {name}, a name this exercise does not need (not one of its parameters, "
                            "its own names, numpy or math)")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        chain = self._chain(node)
        if chain is not None:  # np.linalg.solve, mlp.regression.gradient, ...
            self._check_dotted(node, chain, stored=not isinstance(node.ctx, ast.Load), value_of=node)
            return
        if self._super_init(node):
            pass
        elif _dunder(node.attr):
            self.flag(node, f"uses the attribute {node.attr}, which no answer needs")
        elif node.attr in FRAME_ATTRIBUTES:
            self.flag(node, f"uses the attribute {node.attr} (the interpreter's internals), which no answer needs")
        elif node.attr in FILE_METHODS:
            self.flag(node, f"uses .{node.attr}, which writes a file: no answer needs it")
        elif node.attr.startswith("_") and not self._on_self(node):
            self.flag(node, f"uses {node.attr}, a private attribute of an object that is not the answer's own")
        elif (not isinstance(node.ctx, ast.Load) and isinstance(node.value, ast.Name)
              and node.value.id in self.allowed_bare and node.value.id not in self.bound):
            self.flag(node, f"changes {node.value.id}.{node.attr}: an answer leaves what the notebook gives it as it is")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id in NO_ANSWER_NEEDS and node.func.id not in self.bound:
            name = node.args[1] if len(node.args) > 1 else None
            if not (isinstance(name, ast.Constant) and isinstance(name.value, str) and not _dunder(name.value)
                    and not name.value.startswith("_") and name.value not in FRAME_ATTRIBUTES):
                self.flag(node, f"calls {node.func.id} with a name computed at run time: write the attribute out")
        self.generic_visit(node)

    # --- helpers --------------------------------------------------------------------------------------

    def _chain(self, node: ast.Attribute) -> str | None:
        """"numpy.linalg.solve" for np.linalg.solve (a module name at its root, not rebound here), else None."""
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name) and node.id in self.modules and node.id not in self.bound:
            return ".".join([self.modules[node.id], *reversed(parts)])
        return None

    def _check_dotted(self, node: ast.AST, dotted: str, stored: bool = False, value_of: ast.AST | None = None) -> None:
        parts = dotted.split(".")
        if any(_dunder(p) or p in FRAME_ATTRIBUTES for p in parts):
            self.flag(node, f"uses {dotted}, which no answer needs")
            return
        if stored:
            self.flag(node, f"changes {dotted}: an answer leaves numpy, math and mlp as they are")
            return
        root = parts[0]
        if root == "mlp":
            value = _resolve(dotted)
            if not self._allowed_mlp(dotted, value):
                self.flag(node, f"uses {dotted}, a part of mlp that this exercise does not need"
                                + (f" (it may use {', '.join(self.allowed_dotted)})" if self.allowed_dotted else ""))
            return
        if root == "numpy" and any(dotted == p or dotted.startswith(p + ".") for p in NUMPY_OUT):
            self.flag(node, f"uses {dotted}, which no answer needs")
            return
        if any(p.startswith("_") for p in parts[1:]):
            self.flag(node, f"uses {dotted}, a private part of {root}")
            return
        if value_of is not None and inspect.ismodule(_resolve(dotted)):  # the whole chain, and it is a module
            self.flag(node, f"passes the module {dotted} around as a value: use its functions")

    def _allowed_mlp(self, dotted: str, value) -> bool:
        """A declared use, a part of one (mlp.Linear.forward), or the same object by another name (mlp.train)."""
        if any(dotted == u or dotted.startswith(u + ".") for u in self.allowed_dotted):
            return True
        return value is not None and any(value is o for o in self.allowed_objects)

    def _super_init(self, node: ast.Attribute) -> bool:
        value = node.value
        return (node.attr == "__init__" and isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                and value.func.id == "super")

    def _on_self(self, node: ast.Attribute) -> bool:
        """An attribute of the answer's own object: the first parameter (self, cls) of a method of its class
        (a function's other parameter named self is what the check passed in: its private parts are not)."""
        return (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
                and node.value.id not in self.not_self)



# --- which loads of the cell's own names are surely its own -------------------------------------------

FUNCTION_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                   ast.GeneratorExp)


def _targets(target: ast.AST) -> set[str]:
    """The names an assignment target binds (x, (a, *b), [c, d]); none for x.attr or x[i]."""
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        return set().union(*(_targets(t) for t in target.elts)) if target.elts else set()
    if isinstance(target, ast.Starred):
        return _targets(target.value)
    return set()


def _surely_binds(statement: ast.stmt) -> set[str]:
    """The names a statement binds whenever it runs to its end (not those of a branch, a loop or a try)."""
    if isinstance(statement, ast.Assign):
        return set().union(*(_targets(t) for t in statement.targets))
    if isinstance(statement, ast.AnnAssign) and statement.value is not None:
        return _targets(statement.target)
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {statement.name}
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in statement.names}
    if isinstance(statement, ast.With):
        names = set().union(*(_targets(i.optional_vars) for i in statement.items if i.optional_vars))
        return names.union(*(_surely_binds(s) for s in statement.body))
    return set()


def _evaluated_outside(node: ast.AST) -> list[ast.AST]:
    """The parts of a function, lambda, class or comprehension that run in the scope around it."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        arguments = node.args
        every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                 *(a for a in (arguments.vararg, arguments.kwarg) if a is not None)]
        return [*getattr(node, "decorator_list", []), *(n for n in [getattr(node, "returns", None)] if n is not None),
                *arguments.defaults, *(d for d in arguments.kw_defaults if d is not None),
                *(a.annotation for a in every if a.annotation is not None)]
    if isinstance(node, ast.ClassDef):
        return [*node.decorator_list, *node.bases, *node.keywords]
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        return [node.generators[0].iter]
    return []


class _Scopes:
    """Python's scopes for a cell. A name the cell binds in a function is that function's own (a load before
    the binding fails, it never reaches anything else). At the cell's top level and in a class body a load
    falls back to the notebook's names and the builtins where the binding has not run: `if False: open = 1`
    binds `open` nowhere. Such a load is sure only where an unconditional binding comes first; a load in a
    function body (it runs later) where the top level binds the name unconditionally before anything is called."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.parent: dict[int, ast.AST] = {}
        self.scope: dict[int, ast.AST] = {}     # id(node) -> the scope it is evaluated in
        self.local: dict[int, set[str]] = {}    # id(function scope) -> the names it binds (its locals)
        self.deleted: dict[int, set[str]] = {}  # id(module or class scope) -> names deleted there
        self.loads: list[ast.Name] = []
        self._blocks: dict[int, tuple[dict[int, int], dict[str, int]]] = {}
        self._early: set[str] | None = None
        self._walk(tree, tree)

    def _walk(self, node: ast.AST, scope: ast.AST) -> None:
        """Note node's children: each is evaluated in `scope`, node's own scope, or (defaults, decorators,
        annotations, bases, a comprehension's first iterable) the scope around node."""
        opens = isinstance(node, (*FUNCTION_SCOPES, ast.ClassDef))
        outside = {id(n) for n in _evaluated_outside(node)} if opens else set()
        for child in ast.iter_child_nodes(node):
            inner = node if opens else scope
            self._place(child, node, scope if id(child) in outside else inner, outside, scope)

    def _place(self, child: ast.AST, parent: ast.AST, scope: ast.AST, outside: set[int], around: ast.AST) -> None:
        self.parent[id(child)] = parent
        self.scope[id(child)] = scope
        self._note(child, scope)
        if isinstance(child, (ast.arguments, ast.arg, ast.comprehension)):  # defaults, annotations, first iterable
            for grandchild in ast.iter_child_nodes(child):
                self._place(grandchild, child, around if id(grandchild) in outside else scope, outside, around)
        else:
            self._walk(child, scope)

    def _outer(self, scope: ast.AST) -> ast.AST:
        return self.scope.get(id(scope), self.tree)

    def _note(self, node: ast.AST, scope: ast.AST) -> None:
        names: set[str] = set()
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                self.loads.append(node)
                return
            names = {node.id}
            if isinstance(node.ctx, ast.Del) and not isinstance(scope, FUNCTION_SCOPES):
                self.deleted.setdefault(id(scope), set()).add(node.id)
            if isinstance(self.parent.get(id(node)), ast.NamedExpr):  # := binds in the enclosing function
                while isinstance(scope, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                    scope = self._outer(scope)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names, scope = {node.name}, self._outer(node)
        elif isinstance(node, ast.arg):
            names = {node.arg}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
            names = {node.name}
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names = {node.rest}
        elif isinstance(node, ast.Nonlocal):
            names = set(node.names)  # Python requires an enclosing function to bind them
        if isinstance(scope, FUNCTION_SCOPES):
            self.local.setdefault(id(scope), set()).update(names)

    def unsure(self) -> set[int]:
        """id() of every load of a name that may, when it runs, not be the cell's own binding of it."""
        return {id(load) for load in self.loads if not self._sure(load)}

    def _sure(self, load: ast.Name) -> bool:
        name, scope, node = load.id, self.scope.get(id(load), self.tree), load
        deferred = False
        while True:
            if isinstance(scope, FUNCTION_SCOPES):
                if name in self.local.get(id(scope), ()):
                    return True
                deferred = True
            elif not deferred and name not in self.deleted.get(id(scope), ()):
                if self._dominated(node, scope, name):
                    return True
            if scope is self.tree:
                return deferred and self._bound_before_any_call(name)
            node, scope = scope, self._outer(scope)
            while isinstance(scope, ast.ClassDef) and deferred:  # a function does not see a class's names
                node, scope = scope, self._outer(scope)

    def _dominated(self, node: ast.AST, scope: ast.AST, name: str) -> bool:
        """Whether, in the module or class `scope`, a binding of `name` surely runs before `node`."""
        while node is not scope and id(node) in self.parent:
            parent = self.parent[id(node)]
            if isinstance(parent, ast.For) and self._in(parent.body, node) and name in _targets(parent.target):
                return True
            if isinstance(parent, ast.With) and self._in(parent.body, node) and name in set().union(
                    *(_targets(i.optional_vars) for i in parent.items if i.optional_vars)):
                return True
            if isinstance(parent, ast.ExceptHandler) and parent.name == name:
                return True
            if isinstance(parent, ast.Try) and self._in(parent.orelse, node) and self._bound_earlier_in(
                    parent.body, None, name):
                return True
            for field in ("body", "orelse", "finalbody"):
                block = getattr(parent, field, None)
                if isinstance(block, list) and self._bound_earlier_in(block, node, name):
                    return True
            if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                return False
            node = parent
        return False

    def _block(self, block: list[ast.stmt]) -> tuple[dict[int, int], dict[str, int]]:
        """Per block, once: each statement's place, and where each name is first surely bound."""
        if id(block) not in self._blocks:
            first: dict[str, int] = {}
            for i, statement in enumerate(block):
                for bound in _surely_binds(statement):
                    first.setdefault(bound, i)
            self._blocks[id(block)] = ({id(s): i for i, s in enumerate(block)}, first)
        return self._blocks[id(block)]

    def _in(self, block: list[ast.stmt], node: ast.AST) -> bool:
        return id(node) in self._block(block)[0]

    def _bound_earlier_in(self, block: list[ast.stmt], node: ast.AST | None, name: str) -> bool:
        """Whether a statement of `block` before `node` (None: any statement of it) surely binds `name`."""
        place, first = self._block(block)
        if node is None:
            return name in first
        return id(node) in place and first.get(name, len(block)) < place[id(node)]

    def _bound_before_any_call(self, name: str) -> bool:
        """The top level binds `name` unconditionally before its first statement that may run the cell's code."""
        if self._early is None:
            own = {n for s in self.tree.body for n in _surely_binds(s)}
            self._early = set()
            for statement in self.tree.body:
                self._early |= _surely_binds(statement)
                if self._runs_code(statement, own):
                    break
        return name in self._early and name not in self.deleted.get(id(self.tree), ())

    @staticmethod
    def _runs_code(statement: ast.stmt, own: set[str]) -> bool:
        """A top-level statement that may run the cell's own code now: a decorator, or a call that names one of
        the cell's names (function and lambda bodies run later; their defaults, and class bodies, run now)."""
        pending = [statement]
        while pending:
            node = pending.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.decorator_list:
                return True
            if isinstance(node, ast.Call) and any(isinstance(n, ast.Name) and n.id in own for n in ast.walk(node)):
                return True
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                pending.extend(_evaluated_outside(node))
            else:
                pending.extend(ast.iter_child_nodes(node))
        return False


def defined_names(source: str) -> set[str]:
    """The functions and classes a cell defines at its top level (empty if it does not parse)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}

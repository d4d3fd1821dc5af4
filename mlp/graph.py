"""Scalar compute graphs and backpropagation through them, node by node.

Each node knows only its inputs, its value and its *local gradient* (the derivatives of its value
with respect to its inputs); backward multiplies those with the gradient backpropagated to it.
The lecture's example o = L(x, y, z) = ((x + y) z − 1)²:

    x, y, z = Input("x"), Input("y"), Input("z")
    d = Add(x, y, name="d")             # d = x + y        ∂d/∂x = 1, ∂d/∂y = 1
    e = Multiply(d, z, name="e")        # e = d z          ∂e/∂d = z, ∂e/∂z = d
    L = Square(e, offset=1, name="L")   # L = (e − 1)²     ∂L/∂e = 2 (e − 1)
    graph = Graph(L)
    graph.forward(x=-2, y=5, z=-4)      # 169.0
    graph.backward()                    # x.grad = 104, y.grad = 104, z.grad = -78
"""
from __future__ import annotations

import math
import numbers


class Node:
    """A scalar in the graph: `value` after forward, `grad` = ∂(output)/∂(this node) after backward."""

    symbol = "?"

    def __init__(self, *inputs: Node, name: str | None = None) -> None:
        for node in inputs:
            if not isinstance(node, Node):
                raise TypeError(f"inputs of {type(self).__name__} must be graph nodes, got {node!r}: wrap numbers in Input or Constant")
        self.inputs = inputs
        self.name = name or type(self).__name__.lower()
        self.value: float | None = None
        self.grad: float | None = None

    def forward(self) -> float:
        """Compute `value` from the inputs' values."""
        raise NotImplementedError

    def local_gradients(self) -> tuple[float, ...]:
        """∂value/∂input_i for each input, at the current values."""
        raise NotImplementedError

    def backward(self) -> None:
        """Pass the gradient on: input_i.grad += ∂value/∂input_i · self.grad (chain rule)."""
        for node, local in zip(self.inputs, self.local_gradients()):
            node.grad += local * self.grad

    def formula(self) -> str:
        """The node's operation written with its inputs' names, e.g. "d = x + y"."""
        return self.name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name}: value={self.value}, grad={self.grad})"


class Input(Node):
    """A leaf whose value is set from outside (a variable such as x, y or z)."""

    symbol = ""

    def __init__(self, name: str, value: float | None = None) -> None:
        super().__init__(name=name)
        self.value = value

    def forward(self) -> float:
        if self.value is None:
            raise ValueError(f"input {self.name!r} has no value: pass it to Graph.forward, e.g. forward({self.name}=1.0)")
        return self.value

    def local_gradients(self) -> tuple[float, ...]:
        return ()


class Constant(Input):
    """A leaf with a fixed value."""

    def __init__(self, value: float, name: str | None = None) -> None:
        super().__init__(name or f"{value:g}", float(value))


class Add(Node):
    """a + b, local gradients (1, 1)."""

    symbol = "+"

    def forward(self) -> float:
        return self.inputs[0].value + self.inputs[1].value

    def local_gradients(self) -> tuple[float, ...]:
        return (1.0, 1.0)

    def formula(self) -> str:
        return f"{self.name} = {self.inputs[0].name} + {self.inputs[1].name}"


class Subtract(Node):
    """a − b, local gradients (1, −1)."""

    symbol = "−"

    def forward(self) -> float:
        return self.inputs[0].value - self.inputs[1].value

    def local_gradients(self) -> tuple[float, ...]:
        return (1.0, -1.0)

    def formula(self) -> str:
        return f"{self.name} = {self.inputs[0].name} − {self.inputs[1].name}"


class Multiply(Node):
    """a · b, local gradients (b, a)."""

    symbol = "·"

    def forward(self) -> float:
        return self.inputs[0].value * self.inputs[1].value

    def local_gradients(self) -> tuple[float, ...]:
        a, b = self.inputs
        return (b.value, a.value)

    def formula(self) -> str:
        return f"{self.name} = {self.inputs[0].name} · {self.inputs[1].name}"


class Square(Node):
    """(a − offset)², local gradient 2 (a − offset)."""

    def __init__(self, a: Node, offset: float = 0.0, name: str | None = None) -> None:
        super().__init__(a, name=name)
        self.offset = float(offset)
        self.symbol = "(·)²" if self.offset == 0 else f"(·−{self.offset:g})²"

    def forward(self) -> float:
        return (self.inputs[0].value - self.offset) ** 2

    def local_gradients(self) -> tuple[float, ...]:
        return (2.0 * (self.inputs[0].value - self.offset),)

    def formula(self) -> str:
        a = self.inputs[0].name
        return f"{self.name} = ({a} − {self.offset:g})²" if self.offset else f"{self.name} = {a}²"


class Graph:
    """All nodes that `output` depends on, in an order where inputs come before their users.

    forward(**values) sets the named inputs and evaluates every node in that order.
    backward() sets output.grad = 1 and runs each node's backward in reverse order; gradients
    are reset to 0 first, so calling it twice gives the same result (nothing accumulates).
    """

    def __init__(self, output: Node) -> None:
        if not isinstance(output, Node):
            raise TypeError(f"Graph needs the output node, got {output!r}")
        self.output = output
        self.nodes: list[Node] = []
        seen: set[int] = set()

        def visit(node: Node) -> None:
            if id(node) in seen:
                return
            seen.add(id(node))
            for parent in node.inputs:
                visit(parent)
            self.nodes.append(node)

        visit(output)
        names = [node.name for node in self.nodes if type(node) is Input]
        if len(set(names)) < len(names):
            shared = sorted({name for name in names if names.count(name) > 1})
            raise ValueError(f"different Input nodes share names {shared}: give each its own name=..., or pass "
                             "one Input node wherever that variable is used (x · x is Multiply(x, x))")
        self.inputs = {node.name: node for node in self.nodes if type(node) is Input}

    def forward(self, **values: float) -> float:
        """Evaluate the graph at the given input values (by name) and return the output's value."""
        unknown = set(values) - set(self.inputs)
        if unknown:
            raise ValueError(f"unknown input(s) {sorted(unknown)}: this graph's inputs are {sorted(self.inputs)}")
        for name, value in values.items():
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
                raise TypeError(f"input {name} must be a finite number, got {value!r}")
            self.inputs[name].value = float(value)
        for node in self.nodes:
            node.value = node.forward()
            node.grad = None
        return self.output.value

    def backward(self) -> dict[str, float]:
        """Backpropagate from the output; return {input name: ∂output/∂input}."""
        if self.output.value is None:
            raise RuntimeError("Graph.backward was called before forward: evaluate the graph first")
        for node in self.nodes:
            node.grad = 0.0
        self.output.grad = 1.0
        for node in reversed(self.nodes):
            node.backward()
        return {name: node.grad for name, node in self.inputs.items()}

    def steps(self) -> list[tuple[str, Node]]:
        """The order of a full pass for a step-through: ("forward", node) for each node, then ("backward", node)."""
        return [("forward", n) for n in self.nodes] + [("backward", n) for n in reversed(self.nodes)]


def backprop_example() -> Graph:
    """The lecture's example L(x, y, z) = ((x + y) z − 1)² with nodes d = x + y, e = d z, L = (e − 1)²."""
    x, y, z = Input("x"), Input("y"), Input("z")
    d = Add(x, y, name="d")
    e = Multiply(d, z, name="e")
    return Graph(Square(e, offset=1.0, name="L"))

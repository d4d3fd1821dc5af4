"""Drawing a scalar compute graph (mlp.graph.Graph) with matplotlib, no graphviz needed.

Inputs are boxes, operations are circles with their symbol; above each node its formula, below it
its value (blue) and, once known, its gradient ∂(output)/∂(node) (red). An edge a → b carries the
forward value of a above it and, once a has its gradient, the share of it that b sends back to a below it:
∂b/∂a · ∂(output)/∂b, the local gradient times the gradient backpropagated to b.

    graph = mlp.graph.backprop_example()
    graph.forward(x=-2, y=5, z=-4); graph.backward()
    fig, ax = plt.subplots(figsize=(9, 4.6))
    draw_graph(ax, graph, local=True)

`draw_graph` returns a `GraphDrawing`, whose `show(...)` changes the numbers, colours and title in place
(the step-through explorer draws the graph once and calls it at every step).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ._format import number
from .plots import COLORS
from .graph import Graph

ROW_STEP = 1.3  # vertical distance between leaves, in the units of one column
# Okabe–Ito (mlp.plots.COLORS): blue values against red (vermillion) gradients, told apart with any colour vision
VALUE_COLOR, GRAD_COLOR, LOCAL_COLOR, HIGHLIGHT_COLOR = COLORS[0], COLORS[3], COLORS[4], COLORS[1]


def layout(graph: Graph) -> dict[str, tuple[float, float]]:
    """Positions {node name: (column, row)}: leaves in column 0, ROW_STEP apart in the graph's order, every other
    node one column right of its rightmost input, at the mean row of its inputs (rows grow downwards)."""
    names = [node.name for node in graph.nodes]
    if len(set(names)) != len(names):
        repeated = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"cannot draw a graph whose nodes share names {repeated}: give every node its own name=")
    position: dict[str, tuple[float, float]] = {}
    leaves = 0
    for node in graph.nodes:
        if not node.inputs:
            position[node.name] = (0.0, ROW_STEP * leaves)
            leaves += 1
            continue
        column = 1.0 + max(position[a.name][0] for a in node.inputs)
        row = sum(position[a.name][1] for a in node.inputs) / len(node.inputs)
        taken = [r for c, r in position.values() if c == column]
        while any(abs(row - r) < ROW_STEP / 2 for r in taken):  # keep nodes of one column apart
            row += ROW_STEP / 2
        position[node.name] = (column, row)
    return position


def frame(ax, position: dict[str, tuple[float, float]]) -> None:
    """Axes limits around the nodes at `position` (layout's), rows growing downwards, no ticks or frame."""
    columns = max(c for c, _ in position.values())
    rows = max(r for _, r in position.values())
    ax.set_xlim(-0.45, columns + 0.45)
    ax.set_ylim(rows + 0.75, -0.45)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def key(output: str, gradients: bool, local: bool) -> str:
    """The line(s) below the picture, naming the colours: gradients and local gradients only if shown."""
    text = "forward pass → values (blue)"
    if gradients:
        text += f"      ← backward pass: gradients ∂{output}/∂· (red)"
        if local:
            text += "\nlocal gradient of each edge a → b: ∂b/∂a (purple)"
    return text


def _check_names(graph: Graph, names, what: str) -> None:
    unknown = set(names) - {node.name for node in graph.nodes}
    if unknown:
        raise ValueError(f"{what} names {sorted(unknown)} that are not nodes of the graph: its nodes are "
                         f"{[node.name for node in graph.nodes]}")


def _label(ax, x, y, points_up, color, va, size, bold=False):
    """An empty text centred at (x, y) shifted `points_up` points vertically (independent of the axes' scale)."""
    return ax.annotate("", (x, y), xytext=(0, points_up), textcoords="offset points", ha="center", va=va,
                       color=color, fontsize=size, fontweight="bold" if bold else "normal", zorder=5)


@dataclass
class EdgeTexts:
    """The texts on the edge source → user (user.inputs[index] is source)."""
    user: object
    index: int
    source: object
    value: object      # the value of source, above the edge (blue)
    sent: object       # ∂user/∂source · ∂output/∂user, below it (red)
    local: object      # "∂user/∂source = ..." (purple)


@dataclass
class GraphDrawing:
    """What `draw_graph` drew: the axes, and every artist that `show` changes."""
    ax: object
    graph: Graph
    edges: list[EdgeTexts] = field(default_factory=list)
    markers: dict = field(default_factory=dict)    # node name -> its scatter marker
    values: dict = field(default_factory=dict)     # node name -> "d = 3" below the node
    grads: dict = field(default_factory=dict)      # node name -> "∂L/∂d = 104" below that

    def artists(self) -> list:
        """Every artist `show` changes (an explorer marks them as moving)."""
        edge_texts = [t for e in self.edges for t in (e.value, e.sent, e.local)]
        return [self.ax.title, *edge_texts, *self.markers.values(), *self.values.values(), *self.grads.values()]

    def show(self, values: dict[str, float] | None = None, grads: dict[str, float] | None = None,
             highlight: str | None = None, local: bool = False, title: str | None = None, sent=None) -> None:
        """Show these numbers (see `draw_graph`); values/grads None: every node's `.value`/`.grad` that is not None."""
        graph = self.graph
        if values is None:
            values = {n.name: n.value for n in graph.nodes if n.value is not None}
        if grads is None:
            grads = {n.name: n.grad for n in graph.nodes if n.grad is not None}
        _check_names(graph, values, "values")
        _check_names(graph, grads, "grads")
        sent = set(values if sent is None else sent)
        _check_names(graph, sent, "sent")
        if not sent <= set(values):
            raise ValueError(f"sent names {sorted(sent - set(values))} whose values are not given")
        if highlight is not None:
            _check_names(graph, [highlight], "highlight")
        output = graph.output.name
        for edge in self.edges:
            edge.value.set_text(number(values[edge.source.name]) if edge.source.name in sent else "")
            # the share arrives when the source's gradient is computed (it needs the user's, known before)
            arrived = edge.source.name in grads and edge.user.name in grads
            local_gradient = edge.user.local_gradients()[edge.index] if arrived else None
            edge.sent.set_text(number(local_gradient * grads[edge.user.name]) if arrived else "")
            edge.local.set_text(f"∂{edge.user.name}/∂{edge.source.name} = {number(local_gradient)}"
                                if arrived and local else "")
        for name, marker in self.markers.items():
            current = name == highlight
            marker.set_facecolor(HIGHLIGHT_COLOR if current else "white")
            marker.set_linewidth(2.5 if current else 1.2)
            marker.set_label("current node" if current else None)
            known = name in values
            self.values[name].set_text(f"{name} = {number(values[name])}" if known else f"{name} = ?")
            self.values[name].set_color(VALUE_COLOR if known else "0.5")
            self.grads[name].set_text(f"∂{output}/∂{name} = {number(grads[name])}" if name in grads else "")
        self.ax.set_title(title or f"Compute graph of {output}")


def draw_graph(ax, graph: Graph, values: dict[str, float] | None = None, grads: dict[str, float] | None = None,
               highlight: str | None = None, local: bool = False,
               title: str | None = None, key_for: tuple[bool, bool] | None = None, sent=None) -> GraphDrawing:
    """Draw `graph` into `ax`; returns a GraphDrawing (its `.ax` is `ax`; its `show` changes the numbers).

    values, grads: {node name: number} to show; by default every node's `.value` and `.grad`
        (None, i.e. not computed yet, is shown as "?" and left out). The step-through passes the
        ones known so far. An edge's gradient is shown once both its ends have their gradients.
    sent: the names whose values travel along their edges (their forward step is done); by default
        every name in values.
    highlight: name of a node to draw in orange (the node the current step works on).
    local: also write each edge's local gradient ∂b/∂a (purple) beside the gradient it sends back.
    title: defaults to "Compute graph of <output name>".
    key_for: (gradients, local) for the key below the picture; by default the colours this call shows
        (a picture whose numbers `show` changes later passes the colours it will show).
    Edge gradients need the nodes' values (they are read from the graph's nodes, as backward does).
    """
    if not isinstance(graph, Graph):
        raise TypeError(f"draw_graph needs an mlp.graph.Graph, got {type(graph).__name__}: wrap the output node, Graph(node)")
    position = layout(graph)
    drawing = GraphDrawing(ax, graph)
    for node in graph.nodes:  # edges first, so nodes are drawn over them
        x1, y1 = position[node.name]
        for i, source in enumerate(node.inputs):
            x0, y0 = position[source.name]
            ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                        arrowprops=dict(arrowstyle="-|>", color="0.45", lw=1.4, shrinkA=24, shrinkB=24))
            t = 0.4 if x1 - x0 < 1.5 else 0.5  # labels nearer the source, where converging edges are apart
            xm, ym = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
            drawing.edges.append(EdgeTexts(node, i, source, _label(ax, xm, ym, 3, VALUE_COLOR, "bottom", 11, True),
                                           _label(ax, xm, ym, -3, GRAD_COLOR, "top", 11, True),
                                           _label(ax, xm, ym, -19, LOCAL_COLOR, "top", 9)))
    for node in graph.nodes:
        x, y = position[node.name]
        leaf = not node.inputs
        drawing.markers[node.name] = ax.scatter([x], [y], s=1500 if leaf else 2200, marker="s" if leaf else "o",
                                                facecolor="white", edgecolor="black", linewidth=1.2, zorder=3)
        symbol = node.symbol.replace("·", "×") if len(node.symbol) == 1 else node.symbol
        ax.text(x, y, node.name if leaf else symbol, ha="center", va="center",
                fontsize=13 if leaf or len(symbol) == 1 else 10, zorder=4)
        if not leaf:
            _label(ax, x, y, 27, "black", "bottom", 10).set_text(node.formula())
        drawing.values[node.name] = _label(ax, x, y, -26, "0.5", "top", 10)
        drawing.grads[node.name] = _label(ax, x, y, -40, GRAD_COLOR, "top", 10)
    frame(ax, position)
    drawing.show(values, grads, highlight, local, title, sent)
    if key_for is None:
        key_for = (any(t.get_text() for t in drawing.grads.values()), local)
    ax.set_xlabel(key(graph.output.name, *key_for))
    return drawing

"""Drawing a scalar compute graph (mlp.graph.Graph) with matplotlib, no graphviz needed.

Inputs are boxes, operations are circles with their symbol; above each node its formula, below it
its value (green) and, once known, its gradient ∂(output)/∂(node) (red). An edge a → b carries the
forward value of a above it and, after backward, the gradient it sends back to a below it:
∂b/∂a · ∂(output)/∂b, the local gradient times the gradient backpropagated to b.

    graph = mlp.graph.backprop_example()
    graph.forward(x=-2, y=5, z=-4); graph.backward()
    fig, ax = plt.subplots(figsize=(9, 4.6))
    draw_graph(ax, graph, local=True)
"""
from __future__ import annotations

from ._format import number
from .graph import Graph

ROW_STEP = 1.3  # vertical distance between leaves, in the units of one column
VALUE_COLOR, GRAD_COLOR, LOCAL_COLOR, HIGHLIGHT_COLOR = "tab:green", "tab:red", "tab:purple", "tab:orange"


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


def _check_names(graph: Graph, names, what: str) -> None:
    unknown = set(names) - {node.name for node in graph.nodes}
    if unknown:
        raise ValueError(f"{what} names {sorted(unknown)} that are not nodes of the graph: its nodes are "
                         f"{[node.name for node in graph.nodes]}")


def _label(ax, x, y, points_up, text, color, va, size, bold=False):
    """Text centred at (x, y) shifted `points_up` points vertically (independent of the axes' scale)."""
    ax.annotate(text, (x, y), xytext=(0, points_up), textcoords="offset points", ha="center", va=va,
                color=color, fontsize=size, fontweight="bold" if bold else "normal", zorder=5)


def draw_graph(ax, graph: Graph, values: dict[str, float] | None = None, grads: dict[str, float] | None = None,
               highlight: str | None = None, local: bool = False,
               title: str | None = None):
    """Draw `graph` into `ax`; returns ax.

    values, grads: {node name: number} to show; by default every node's `.value` and `.grad`
        (None, i.e. not computed yet, is shown as "?" and left out). The step-through passes the
        ones known so far.
    highlight: name of a node to draw in orange (the node the current step works on).
    local: also write each edge's local gradient ∂b/∂a (purple) beside the gradient it sends back.
    title: defaults to "Compute graph of <output name>".
    Edge gradients need the nodes' values (they are read from the graph's nodes, as backward does).
    """
    if not isinstance(graph, Graph):
        raise TypeError(f"draw_graph needs an mlp.graph.Graph, got {type(graph).__name__}: wrap the output node, Graph(node)")
    if values is None:
        values = {n.name: n.value for n in graph.nodes if n.value is not None}
    if grads is None:
        grads = {n.name: n.grad for n in graph.nodes if n.grad is not None}
    _check_names(graph, values, "values")
    _check_names(graph, grads, "grads")
    if highlight is not None:
        _check_names(graph, [highlight], "highlight")
    position = layout(graph)
    output = graph.output.name

    for node in graph.nodes:  # edges first, so nodes are drawn over them
        x1, y1 = position[node.name]
        locals_ = node.local_gradients() if node.name in grads else ()
        for i, source in enumerate(node.inputs):
            x0, y0 = position[source.name]
            ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                        arrowprops=dict(arrowstyle="-|>", color="0.45", lw=1.4, shrinkA=24, shrinkB=24))
            t = 0.4 if x1 - x0 < 1.5 else 0.5  # labels nearer the source, where converging edges are apart
            xm, ym = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
            if source.name in values:
                _label(ax, xm, ym, 3, number(values[source.name]), VALUE_COLOR, "bottom", 11, bold=True)
            if locals_:
                sent = locals_[i] * grads[node.name]
                _label(ax, xm, ym, -3, number(sent), GRAD_COLOR, "top", 11, bold=True)
                if local:
                    _label(ax, xm, ym, -19, f"∂{node.name}/∂{source.name} = {number(locals_[i])}", LOCAL_COLOR, "top", 9)

    for node in graph.nodes:
        x, y = position[node.name]
        color = HIGHLIGHT_COLOR if node.name == highlight else "white"
        leaf = not node.inputs
        ax.scatter([x], [y], s=1500 if leaf else 2200, marker="s" if leaf else "o", facecolor=color,
                   edgecolor="black", linewidth=2.5 if node.name == highlight else 1.2, zorder=3,
                   label="current node" if node.name == highlight else None)
        symbol = node.symbol.replace("·", "×") if len(node.symbol) == 1 else node.symbol
        ax.text(x, y, node.name if leaf else symbol, ha="center", va="center", fontsize=13 if leaf or len(symbol) == 1 else 10,
                zorder=4)
        if not leaf:
            _label(ax, x, y, 27, node.formula(), "black", "bottom", 10)
        lines = []
        if node.name in values:
            lines.append((f"{node.name} = {number(values[node.name])}", VALUE_COLOR))
        else:
            lines.append((f"{node.name} = ?", "0.5"))
        if node.name in grads:
            lines.append((f"∂{output}/∂{node.name} = {number(grads[node.name])}", GRAD_COLOR))
        for k, (text, text_color) in enumerate(lines):
            _label(ax, x, y, -26 - 14 * k, text, text_color, "top", 10)

    frame(ax, position)
    ax.set_title(title or f"Compute graph of {output}")
    legend = "forward pass → values (green)"  # the key names only the colours the picture shows
    if grads:
        legend += f"      ← backward pass: gradients ∂{output}/∂· (red)"
    ax.set_xlabel(legend + ("\nlocal gradient of each edge a → b: ∂b/∂a (purple)" if local and grads else ""))
    return ax

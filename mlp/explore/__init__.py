"""Interactive explorers for the notebooks: ipywidgets controls and a figure redrawn when they move.

An explorer keeps its logic in `compute(**values)`, a plain function of the control values that
returns numbers and arrays (unit-tested without a browser), and its picture in `draw(fig, result)`.
The figure is rendered to PNG and shown in an `Image` widget, so no `Output` widget (and none of
its clear_output races) is involved. Each topic's explorer lives in its own module here.
"""
from __future__ import annotations

import base64
import io
import time

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


class Explorer:
    """Base class: subclasses set `title`, build `self.controls` (name -> widget) and implement
    `compute(**values) -> dict` and `draw(fig, result)`; `summary(result)` gives the status line.

    Display an explorer by making it the last expression of a cell. `update()` recomputes and
    redraws; it runs whenever a control changes. `last_compute_seconds` says how long compute took.
    """

    title = "Explorer"
    figsize = (8.0, 3.6)

    def __init__(self, controls: dict[str, widgets.Widget]) -> None:
        self.controls = controls
        self.image = widgets.Image(format="png")
        self.image.add_class("mlp-explorer-figure")
        self.status = widgets.HTML()
        self.status.add_class("mlp-explorer-status")
        for name, control in controls.items():
            control.add_class(f"mlp-control-{name.replace('_', '-')}")
            control.observe(self.update, names="value")
        self.widget = widgets.VBox([widgets.HBox(list(controls.values())), self.status, self.image])
        self.widget.add_class("mlp-explorer")
        self.last_compute_seconds = 0.0
        self.result: dict = {}
        self.update()

    def values(self) -> dict:
        """The current value of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def compute(self, **values) -> dict:
        raise NotImplementedError

    def draw(self, fig: Figure, result: dict) -> None:
        raise NotImplementedError

    def summary(self, result: dict) -> str:
        return ""

    def render(self, result: dict) -> bytes:
        """The figure for `result` as PNG bytes."""
        fig = Figure(figsize=self.figsize, dpi=90, layout="constrained")
        self.draw(fig, result)
        buffer = io.BytesIO()
        FigureCanvasAgg(fig).print_png(buffer)
        return buffer.getvalue()

    def update(self, change=None) -> None:
        """Recompute from the controls' values and redraw the figure and the status line."""
        start = time.perf_counter()
        self.result = self.compute(**self.values())
        self.last_compute_seconds = time.perf_counter() - start
        self.status.value = self.summary(self.result)
        self.image.value = self.render(self.result)

    def _repr_mimebundle_(self, **kwargs):
        """The widget for Jupyter; for a saved or static view (GitHub, nbviewer) the current figure
        as a PNG and one stable line of text."""
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        bundle["text/plain"] = f"{self.title} (interactive: run the notebook in Jupyter to use it)"
        return bundle

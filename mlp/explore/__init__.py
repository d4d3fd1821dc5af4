"""Interactive explorers for the notebooks: ipywidgets controls and a picture that follows them.

An explorer keeps its logic in `compute(**values)`, a plain function of the control values that
returns numbers and arrays (unit-tested without a browser), and its picture in a matplotlib figure
that lives as long as the explorer: `build(fig)` makes the axes and artists once, `draw(result)`
only changes their data (lines, colours, texts). `FigureView` renders it fast: the parts that never
change (axes, ticks, labels) are drawn once and kept as a bitmap, and each picture restores that
bitmap and draws only the artists marked as moving (matplotlib's blitting). The PNG goes into an
`Image` widget, so no `Output` widget (and none of its clear_output races) is involved, and no
library beyond matplotlib and ipywidgets is needed: it works offline in JupyterLab and Notebook 7.

Every explorer does its work (compute, draw, Play's frames) on the thread that made it, the kernel's main
thread, where cells run: see `HomeThread`.

Rendering is the cost that matters: a new figure with constrained layout took 70–240 ms to draw
here; a kept figure with fixed layout restores its bitmap and draws its moving artists in a few
milliseconds, and the PNG (zlib level 1) takes about 5–10 ms more.
Each topic's explorer lives in its own module here; the training playground in `playground`.
"""
from __future__ import annotations

import asyncio
import base64
import io
import threading
import time
from collections.abc import Callable

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox
from PIL import Image as _PILImage


class FigureView:
    """A matplotlib figure kept for good, rendered to PNG by restoring kept bitmaps and drawing only what moves.

    - `animate(*artists)` marks artists as moving: they are drawn anew in every `png()`.
    - Everything else is drawn once and kept as a bitmap (matplotlib's blitting). An axes whose
      unchanging parts come in a few versions (the contours of two data sets, a few axis ranges, a
      network's drawing for each architecture) gets `track(ax, key)` with a key naming the version
      shown: each version of that axes is drawn once, alone, and kept; switching back costs a copy.
      The same key must always mean the same limits, labels and unchanging artists.
    - `invalidate()` forgets every kept bitmap (after changing anything else).
    - `freeze_layout()` runs a layout engine once and then switches it off: no picture pays for layout.

    Tracked axes must not overlap each other (their labels included).
    """

    kept_regions = 64

    def __init__(self, figsize: tuple[float, float], dpi: float = 90) -> None:
        self.figure = Figure(figsize=figsize, dpi=dpi, facecolor="white")
        self.canvas = FigureCanvasAgg(self.figure)
        self.moving: list = []
        self._keys: dict = {}      # tracked axes -> the key of the version shown
        self._base = None          # the figure without moving artists and without tracked axes
        self._regions: dict = {}   # (axes, key) -> the bitmap of that axes in that version
        self.background_draws = 0  # how often the whole figure was drawn (for tests and benchmarks)
        self.region_draws = 0      # how often one tracked axes was drawn

    def animate(self, *artists):
        """Mark artists as moving (drawn in every picture, never kept); returns the first."""
        for artist in artists:
            artist.set_animated(True)
            if artist not in self.moving:
                self.moving.append(artist)
        return artists[0] if artists else None

    def forget(self, *artists) -> None:
        """Stop drawing these moving artists (call before removing them from the figure)."""
        self.moving = [a for a in self.moving if all(a is not b for b in artists)]

    def track(self, ax, key) -> None:
        """`ax` now shows its version `key` (drawn the first time, then restored from its bitmap)."""
        if ax not in self._keys:
            self.invalidate()  # the base must be drawn without this axes
        self._keys[ax] = key

    def invalidate(self) -> None:
        """Every kept bitmap is out of date: the next picture draws the whole figure."""
        self._base = None
        self._regions.clear()

    def freeze_layout(self, engine: str = "constrained") -> None:
        """Lay the figure out once with `engine`, then keep every axes where it is."""
        self.figure.set_layout_engine(engine)
        self.canvas.draw()
        self.figure.set_layout_engine("none")
        self.invalidate()

    def draw(self) -> None:
        """Bring the canvas up to date: the kept bitmaps (drawn when missing), then every moving artist."""
        renderer = self.canvas.get_renderer()
        if self._base is None:
            shown = {ax: ax.get_visible() for ax in self._keys}
            for ax in shown:
                ax.set_visible(False)
            try:
                self.canvas.draw()  # leaves out the animated artists
            finally:
                for ax, visible in shown.items():
                    ax.set_visible(visible)
            self._base = self.canvas.copy_from_bbox(self.figure.bbox)
            self.background_draws += 1
            renderer = self.canvas.get_renderer()
        else:
            self.canvas.restore_region(self._base)
        drawn = False
        for ax, key in self._keys.items():
            if not ax.get_visible():
                continue
            region = self._regions.get((ax, key))
            if region is None:
                ax.draw(renderer)  # onto the base, which is blank where this axes goes
                box = Bbox.intersection(ax.get_tightbbox(renderer).padded(3), self.figure.bbox)
                region = self.canvas.copy_from_bbox(box)
                if len(self._regions) >= self.kept_regions:
                    self._regions.pop(next(iter(self._regions)))
                self._regions[(ax, key)] = region
                self.region_draws += 1
                drawn = True
            else:
                self.canvas.restore_region(region)
                ax.apply_aspect()  # as drawing it would: an axes rebuilt since (ax.clear()) gets its shape back
        if drawn:  # compose again from the kept bitmaps only, so that this picture is pixel for pixel the later ones
            self.canvas.restore_region(self._base)
            for ax, key in self._keys.items():
                if ax.get_visible():
                    self.canvas.restore_region(self._regions[(ax, key)])
        for artist in sorted(self.moving, key=lambda a: a.get_zorder()):
            if artist.get_visible() and getattr(artist, "figure", None) is not None:
                self.figure.draw_artist(artist)

    def rgb(self) -> np.ndarray:
        """The current picture as an array (height, width, 3) of uint8 (after `draw`)."""
        return np.asarray(self.canvas.buffer_rgba())[..., :3]

    def png(self, compress_level: int = 1) -> bytes:
        """Draw and encode the picture as PNG (level 1: fast, about 10 % larger than the default 6)."""
        return self.encode("png", compress_level=compress_level)

    def encode(self, format: str = "png", **options) -> bytes:
        """Draw and encode the picture: "png" (sharp; about 10 ms here) or "jpeg" (quality 92, about 1.5 ms:
        for pictures that are replaced 20+ times a second)."""
        self.draw()
        width, height = self.canvas.get_width_height()
        image = _PILImage.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buffer = io.BytesIO()
        if format == "png":
            image.convert("RGB").save(buffer, format="png", compress_level=options.get("compress_level", 1))
        else:
            image.convert("RGB").save(buffer, format="jpeg", quality=options.get("quality", 92))
        return buffer.getvalue()


def stored_png(view: FigureView) -> str:
    """The current picture as a fully compressed PNG, base64 for a notebook's saved output."""
    return base64.b64encode(view.png(compress_level=6)).decode("ascii")


class HomeThread:
    """The thread that made an explorer, and its event loop: `run(work)` does the work there.

    JupyterLab (4.4 and later) sends widget messages over a kernel subshell, and ipykernel 7 runs a
    control's callback on the thread of the subshell that last spoke on that control, so callbacks come
    on more than one thread, beside the main thread that runs the cells (and an explorer's Play).
    matplotlib is not thread-safe: two explorers drawing text at once on two threads made FreeType fail
    (FT_Render_Glyph: raster overflow). So work that arrives on another thread is handed to the home
    thread's event loop (call_soon_threadsafe), where cells, frames of Play and every explorer's
    pictures take turns. Without a running loop (plain Python) the work runs at once, where it is.
    """

    def __init__(self) -> None:
        self.thread = threading.get_ident()
        try:
            self.loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self.loop = None

    def here(self) -> bool:
        """True if work runs at once: on the home thread, or when the home loop runs no more (or never did)."""
        return (threading.get_ident() == self.thread or self.loop is None or self.loop.is_closed()
                or not self.loop.is_running())

    def run(self, work: Callable[[], object]) -> None:
        """`work()` now if `here()`, else soon on the home thread (in the order of the calls)."""
        if self.here():
            work()
        else:
            self.loop.call_soon_threadsafe(work)


def control_class(name: str) -> str:
    """The CSS class of a control, e.g. "mlp-control-tau-times-lambda" (the browser tests find controls by it)."""
    return f"mlp-control-{name.replace('_', '-')}"


class Explorer:
    """Base class: subclasses set `title` and `figsize`, build `self.controls` (name -> widget) and implement
    `compute(**values) -> dict`, `build(fig)` (axes and artists, once) and `draw(result)` (change them);
    `summary(result)` gives the status line.

    Display an explorer by making it the last expression of a cell. `update(moved)` recomputes and
    redraws (`moved`: the names of the controls that changed); it runs on the explorer's home thread
    (`HomeThread`) whenever controls change, once for the moves that came while it waited. `last_compute_seconds` and `last_render_seconds`
    say how long the two took. The front end sends at most one change at a time and merges the moves
    made meanwhile, so after quick moves the last value is the one drawn.
    """

    title = "Explorer"
    figsize = (8.0, 3.6)
    dpi = 90

    def __init__(self, controls: dict[str, widgets.Widget], rows: list[list[str]] | None = None,
                 extra: list[widgets.Widget] | None = None) -> None:
        self.controls = controls
        self.home = HomeThread()
        self._moved: set[str] = set()
        self._moved_lock = threading.Lock()
        self.view = FigureView(self.figsize, self.dpi)
        self.build(self.view.figure)
        self.image = widgets.Image(format="png")
        self.image.add_class("mlp-explorer-figure")
        self.status = widgets.HTML()
        self.status.add_class("mlp-explorer-status")
        for name, control in controls.items():
            control.add_class(control_class(name))
            control.observe(lambda change, name=name: self._control_moved(name), names="value")
        rows = rows or [list(controls)]
        boxes = [widgets.HBox([controls[name] for name in row]) for row in rows]
        self.widget = widgets.VBox(boxes + list(extra or []) + [self.status, self.image])
        self.widget.add_class("mlp-explorer")
        self.last_compute_seconds = self.last_render_seconds = self.last_send_seconds = 0.0
        self.result: dict = {}
        self.update()

    def _control_moved(self, name: str) -> None:
        """A control's callback (on any thread): note the move; the first one since the last update asks for one."""
        with self._moved_lock:
            first = not self._moved
            self._moved.add(name)
        if first:
            self.home.run(self._apply_moves)

    def _apply_moves(self) -> None:
        with self._moved_lock:
            moved, self._moved = self._moved, set()
        if moved:
            self.update(frozenset(moved))

    def on_click(self, button: widgets.Button, action: Callable[[], object]) -> None:
        """Run `action()` on the home thread when `button` is clicked."""
        button.on_click(lambda _: self.home.run(action))

    def values(self) -> dict:
        """The current value of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def compute(self, **values) -> dict:
        raise NotImplementedError

    def build(self, fig: Figure) -> None:
        raise NotImplementedError

    def draw(self, result: dict) -> None:
        raise NotImplementedError

    def summary(self, result: dict) -> str:
        return ""

    def render(self, result: dict, format: str = "png") -> bytes:
        """The picture for `result` as PNG (or JPEG) bytes (the artists are changed in place)."""
        self.draw(result)
        return self.view.encode(format)

    def show(self, moving: bool = False, status: bool = True) -> None:
        """Send the picture of `self.result`, then (if `status`) its status line: the picture never lags the text.

        moving=True (a frame of live training) sends a JPEG, about ten times faster to encode than a PNG."""
        start = time.perf_counter()
        picture = self.render(self.result, "jpeg" if moving else "png")
        drawn = time.perf_counter()
        with self.image.hold_sync():
            self.image.format = "jpeg" if moving else "png"
            self.image.value = picture
        if status:
            self.status.value = self.summary(self.result)
        self.last_render_seconds, self.last_send_seconds = drawn - start, time.perf_counter() - drawn

    def update(self, moved: frozenset[str] = frozenset()) -> None:
        """Recompute from the controls' values and redraw the picture and the status line."""
        start = time.perf_counter()
        self.result = self.compute(**self.values())
        self.last_compute_seconds = time.perf_counter() - start
        self.show()

    def _repr_mimebundle_(self, **kwargs):
        """The widget for Jupyter; for a saved or static view (GitHub, nbviewer) the current picture
        as a PNG and one stable line of text."""
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["image/png"] = stored_png(self.view)
        bundle["text/plain"] = f"{self.title} (interactive: run the notebook in Jupyter to use it)"
        return bundle

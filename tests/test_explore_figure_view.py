"""FigureView: kept bitmaps plus moving artists give exactly the picture a full redraw gives."""
import io

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from mlp.explore import FigureView  # noqa: E402


def full_redraw(view: FigureView) -> np.ndarray:
    """The same figure drawn the ordinary way, every artist at once."""
    moving = [a for a in view.moving]
    for artist in moving:
        artist.set_animated(False)
    try:
        view.canvas.draw()
        return np.asarray(view.canvas.buffer_rgba())[..., :3].copy()
    finally:
        for artist in moving:
            artist.set_animated(True)
        view.invalidate()


@pytest.fixture
def view():
    view = FigureView((6, 3), dpi=60)
    left, right = view.figure.subplots(1, 2)
    view.figure.subplots_adjust(wspace=0.5)
    left.plot([0, 1], [0, 1], color="0.5")
    (view.line,) = left.plot([], [], color="tab:red")
    view.text = view.figure.text(0.5, 0.98, "", ha="center", va="top")
    view.animate(view.line, view.text)
    view.left, view.right = left, right
    return view


def test_moving_artists_are_drawn_over_the_kept_background_as_a_full_redraw_would(view):
    for k in range(3):
        view.line.set_data([0, 1], [k, 0])
        view.text.set_text(f"k = {k}")
        view.left.set_ylim(-1, 3)
        view.draw()
        np.testing.assert_array_equal(view.rgb(), full_redraw(view))
    assert view.background_draws >= 1


def test_each_version_of_a_tracked_axes_is_drawn_once_and_composes_like_a_full_redraw(view):
    pictures = {}
    for limit in (1, 10, 1, 10, 100, 1):
        view.right.set_ylim(0, limit)
        view.track(view.right, limit)
        view.draw()
        picture = view.rgb().copy()
        pictures.setdefault(limit, picture)
        np.testing.assert_array_equal(picture, pictures[limit])      # the same version: pixel for pixel
    assert view.region_draws == 3 and view.background_draws == 1
    view.right.set_ylim(0, 10)
    view.track(view.right, 10)
    view.draw()
    np.testing.assert_array_equal(view.rgb(), full_redraw(view))


def test_png_and_jpeg_encode_the_picture(view):
    png, jpeg = view.encode("png"), view.encode("jpeg")
    assert png.startswith(b"\x89PNG") and jpeg.startswith(b"\xff\xd8")
    assert Image.open(io.BytesIO(png)).size == view.canvas.get_width_height()
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(png)).convert("RGB")), view.rgb())

"""mlp.plots' look, given per figure: colours told apart with colour-vision deficiencies, line styles for
series that meet, titles at a fixed height, and no matplotlib setting changed by importing it."""
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402

from mlp import plots  # noqa: E402

# Machado, Oliveira & Fernandes (2009), severity 1: what a protanope, deuteranope, tritanope sees (linear RGB)
DEFICIENCIES = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}
APART = 12.0  # CIE76 ΔE: about 2.3 is just noticeable; 12 is plainly another colour


def _lab(color, deficiency=None):
    """CIELAB (D65) of `color` as seen with `deficiency` (None: normal vision)."""
    srgb = np.array(to_rgb(color))
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    if deficiency:
        linear = np.clip(np.array(DEFICIENCIES[deficiency]) @ linear, 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    xyz /= [0.95047, 1.0, 1.08883]
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _closest_pair(colors, deficiency):
    return min((np.linalg.norm(_lab(a, deficiency) - _lab(b, deficiency)), a, b)
               for i, a in enumerate(colors) for b in colors[i + 1:])


@pytest.mark.parametrize("deficiency", [None, *DEFICIENCIES])
def test_every_two_course_colours_stay_apart_with_each_colour_vision(deficiency):
    distance, a, b = _closest_pair(plots.COLORS, deficiency)
    assert distance >= APART, f"{a} and {b} look alike with {deficiency or 'normal vision'} (ΔE {distance:.1f})"


def test_the_measure_catches_red_against_green():
    # matplotlib's default tab:green and tab:red, which the course used before: a deuteranope barely tells them apart
    assert _closest_pair(["tab:green", "tab:red"], "deuteranopia")[0] < APART
    assert _closest_pair(["tab:green", "tab:red"], None)[0] >= APART


def test_importing_mlp_plots_changes_no_matplotlib_setting():
    probe = ("import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt; "
             "before = dict(matplotlib.rcParams); import mlp.plots; "
             "changed = sorted(k for k, v in matplotlib.rcParams.items() if before[k] != v); print(changed)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"importing mlp.plots changed rcParams: {done.stdout.strip()}"


def test_new_axes_gives_the_course_colours_to_its_own_figure_only():
    fig, (left, right) = plots.new_axes(2)
    lines = [left.plot([0, 1], [i, i + 1])[0] for i in range(3)]
    assert [matplotlib.colors.to_hex(line.get_color()) for line in lines] == [c.lower() for c in plots.COLORS[:3]]
    other, ax = plt.subplots()
    default = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"][0]
    assert matplotlib.colors.to_hex(ax.plot([0, 1])[0].get_color()) == matplotlib.colors.to_hex(default)
    plt.close(fig)
    plt.close(other)


def _title_height(ax) -> float:
    ax.xaxis.tick_top()  # a top-side axis: automatic placement would lift the title above its labels
    ax.figure.canvas.draw()
    return ax.title.get_position()[1]


def test_titles_stay_at_a_fixed_height_in_the_course_style_only():
    fig, ax = plots.new_axes()
    plots.label(ax, "a title", "x", "y")
    assert _title_height(ax) == 1.0
    plain, other = plt.subplots()
    other.set_title("a title")
    assert _title_height(other) > 1.0, "matplotlib's automatic title placement no longer lifts titles: rethink style()"
    plt.close(fig)
    plt.close(plain)


def test_style_accepts_a_figure_an_axes_and_an_array_of_axes():
    fig, axes = plt.subplots(2, 2)
    plots.style(axes)
    plots.style(axes[0, 0])
    assert plots.style(fig) is fig
    for ax in axes.ravel():
        assert matplotlib.colors.to_hex(ax.plot([0, 1])[0].get_color()) == plots.COLORS[0].lower()
    plt.close(fig)


def test_runs_that_share_axes_get_different_line_styles_and_colours():
    fig, ax = plots.new_axes()
    for run in range(3):
        plots.plot_costs(ax, np.geomspace(1, 1e-3, 20) * (run + 1), label_text=f"run {run}")
    lines = ax.get_lines()
    assert len({line.get_linestyle() for line in lines}) == 3
    assert len({line.get_color() for line in lines}) == 3
    plt.close(fig)


def test_training_and_test_costs_differ_by_line_style():
    fig, ax = plots.new_axes()
    plots.plot_train_test_costs(ax, np.geomspace(1, 0.1, 11), [0, 5, 10], [1.0, 0.5, 0.4], "net")
    train, test = ax.get_lines()
    assert train.get_color() == test.get_color() and train.get_linestyle() != test.get_linestyle()
    plt.close(fig)


def test_weight_signs_use_two_course_colours():
    assert {plots.POSITIVE, plots.NEGATIVE} <= set(plots.COLORS) and plots.POSITIVE != plots.NEGATIVE

"""plots.log_ticks: plain-text labels on a log axis (no mathtext), minor ticks thinned on wide axes."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from mlp import plots  # noqa: E402


def _labels(axis, minor=False):
    return [t.get_text() for t in axis.get_ticklabels(minor=minor) if t.get_text()]


def test_wide_axis_gets_unicode_decades_and_minor_ticks_at_2_and_5():
    fig, ax = plt.subplots()
    ax.semilogy(np.geomspace(36, 1e-7, 50))
    plots.log_ticks(ax)
    fig.canvas.draw()
    labels = _labels(ax.yaxis)
    assert "10⁻⁷" in labels and "10⁰" in labels and "10¹" in labels
    assert not any("$" in label for label in labels)
    minor = ax.yaxis.get_minorticklocs()
    assert set(np.round(minor / 10.0 ** np.floor(np.log10(minor)))) <= {2.0, 5.0}
    plt.close(fig)


def test_narrow_axis_labels_its_minor_ticks_in_plain_text():
    fig, ax = plt.subplots()
    ax.semilogy(np.geomspace(0.6, 0.3, 50))
    plots.log_ticks(ax)
    fig.canvas.draw()
    labels = _labels(ax.yaxis, minor=True)
    assert "3×10⁻¹" in labels and "6×10⁻¹" in labels
    assert not any("$" in label for label in labels)
    plt.close(fig)


def test_x_axis():
    fig, ax = plt.subplots()
    ax.loglog(np.geomspace(1e-3, 1e3, 20), np.arange(20) + 1.0)
    plots.log_ticks(ax, "x")
    fig.canvas.draw()
    assert "10³" in _labels(ax.xaxis) and "10⁻³" in _labels(ax.xaxis)
    plt.close(fig)

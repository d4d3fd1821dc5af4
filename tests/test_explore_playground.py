"""The training playground without a browser: its steps are mlp.train's, its controls change its picture."""
import asyncio
import html
from concurrent.futures import ThreadPoolExecutor

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import mlp  # noqa: E402
from mlp.explore.playground import DATASETS, Playground, load_dataset  # noqa: E402
from mlp.explore.training import Player, StepBudget, advance  # noqa: E402


def run_loop(scenario):
    """asyncio.run(scenario()) in a thread of its own: in one pytest run with the browser tests, Playwright keeps
    an event loop running in the main thread, where asyncio.run refuses to start another."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(scenario())).result()


def trained_by_mlp(dataset, sizes, activation, tau, steps, seed=0, batch_size=None, test_fraction=0.2, data_seed=0):
    data = load_dataset(dataset, test_fraction, 0.1, data_seed)
    model = mlp.fully_connected(sizes, activation, rng=seed, bias_std=1.0)
    history = mlp.train(model, mlp.SquaredError("mean"), data.X, data.y, tau, steps, progress=False,
                        batch_size=batch_size, rng=data_seed)
    return model, history


@pytest.mark.parametrize("dataset, sizes, activation", [("sine", [1, 8, 1], "tanh"), ("xor", [2, 6, 6, 1], "relu"),
                                                        ("wine", [2, 4, 1], "sigmoid"), ("abs", [1, 1], "relu")])
def test_the_state_after_n_steps_is_mlp_trains_theta_n(dataset, sizes, activation):
    playground = Playground(dataset=dataset, layers=len(sizes) - 2, width=sizes[1] if len(sizes) > 2 else 8,
                            activation=activation, tau=0.05)
    playground.step(7)
    playground.step(30)
    model, history = trained_by_mlp(dataset, sizes, activation, 0.05, 37)
    assert playground.run.k == 37
    for name, theta in model.params.items():
        np.testing.assert_array_equal(playground.run.model.params[name], theta)   # bit for bit: the same arithmetic
    np.testing.assert_array_equal(playground.run.descent.costs, history.costs)
    assert playground.frame()["k"] == 37 and playground.frame()["costs"][-1] == history.costs[-1]


@pytest.mark.parametrize("batch_size", [1, 16])
def test_minibatches_are_mlp_trains_own(batch_size):
    playground = Playground(dataset="xor", layers=1, width=6, tau=0.05, batch_size=batch_size, data_seed=3)
    playground.step(40)
    model, history = trained_by_mlp("xor", [2, 6, 1], "tanh", 0.05, 40, batch_size=batch_size, data_seed=3)
    for name, theta in model.params.items():
        np.testing.assert_array_equal(playground.run.model.params[name], theta)
    np.testing.assert_array_equal(playground.run.descent.costs, history.costs)
    playground.show()
    assert f"batches of {batch_size} of 240" in playground.status.value
    assert playground.header_numbers[3].get_text() == f"{batch_size} of 240"


def test_a_batch_as_large_as_the_data_is_full_batch_and_the_picture_says_which():
    pictures = {}
    for batch_size in (None, 128, 64):  # sine: 80 training samples
        playground = Playground(batch_size=batch_size)
        pictures[batch_size] = playground.image.value
        assert playground.header_numbers[3].get_text() == {None: "all 80", 128: "128 ≥ 80: all", 64: "64 of 80"}[batch_size]
    assert len(set(pictures.values())) == 3   # every position of the batch slider gives its own picture


def test_moving_a_control_away_and_back_gives_the_same_picture():
    playground = Playground()
    for name, other in [("dataset", "abs"), ("layers", 2), ("width", 9), ("batch_size", 16), ("edges", "gradients")]:
        first = playground.image.value
        old = playground.controls[name].value
        playground.controls[name].value = other
        assert playground.image.value != first, name
        playground.controls[name].value = old
        assert playground.image.value == first, f"{name}: moved back, the picture is not the first one"


def test_advance_stops_at_a_divergence_with_its_message():
    x, y = mlp.data.make_regression_1d(40, rng=3)
    descent = mlp.optim.Descent(mlp.fully_connected([1, 5, 1], rng=1), mlp.SquaredError("sum"), x, y, 5.0)
    message = advance(descent, 100)
    assert message == str(descent.error) and descent.k < 100
    assert advance(mlp.optim.Descent(mlp.fully_connected([1, 5, 1], rng=1), mlp.SquaredError("mean"), x, y, 1e-3), 5) is None


def test_reset_goes_back_to_theta_0_at_step_0():
    playground = Playground(tau=0.1)
    start = {name: p.copy() for name, p in playground.run.model.params.items()}
    first = playground.image.value
    playground.step(50)
    assert playground.image.value == first          # stepping alone draws nothing new
    playground.show()
    assert playground.image.value != first
    playground.reset()
    assert playground.run.k == 0 and len(playground.run.descent.costs) == 1
    for name, p in playground.run.model.params.items():
        np.testing.assert_array_equal(p, start[name])
    assert playground.image.value == first          # the very same picture as at the start


def test_divergence_stops_training_with_mlps_message():
    playground = Playground(dataset="wine", layers=1, width=8, tau=3.0)
    playground.step(5000)
    k = playground.run.k
    assert k < 5000 and playground.run.error is not None
    with pytest.raises(mlp.DivergenceError) as raised:
        trained_by_mlp("wine", [2, 8, 1], "tanh", 3.0, 5000)
    assert playground.message == str(raised.value)                   # the same words as mlp.train's
    assert f"diverged at step {k}" in playground.message
    playground.show()
    assert "DivergenceError" in playground.status.value and f"step k = {k:,}" in playground.status.value
    assert playground.buttons["play"].disabled and playground.buttons["step"].disabled
    playground.controls["tau"].value = 0.1                           # a smaller τ starts again from θ(0)
    assert playground.run.k == 0 and playground.run.error is None and not playground.buttons["step"].disabled


def test_step_takes_one_gradient_step_and_shows_it():
    playground = Playground()
    playground.buttons["step"].click()
    playground.buttons["step"].click()
    assert playground.run.k == 2
    assert playground.header_numbers[0].get_text() == "2" and "<b>step k = 2</b>" in playground.status.value


CHANGES = [("dataset", "xor"), ("layers", 2), ("width", 5), ("activation", "relu"), ("tau", 0.5), ("batch_size", 4),
           ("test_fraction", 0.4), ("noise", 0.5), ("show_test", True), ("edges", "gradients")]


@pytest.mark.parametrize("name, value", CHANGES, ids=[c[0] for c in CHANGES])
def test_every_control_changes_the_pictures_data_and_pixels(name, value):
    playground = Playground(dataset="sine", layers=1, width=8, activation="tanh", tau=0.1)
    playground.step(20)
    playground.show()
    before, pixels = playground.frame(), playground.view.rgb().copy()
    playground.controls[name].value = value
    after = playground.frame()
    changed = [key for key in before if not _same(before[key], after[key])]
    assert changed, f"moving {name} changed nothing in the picture's data"
    assert (playground.view.rgb() != pixels).any(), f"moving {name} changed no pixel"
    if name == "tau":
        assert after["k"] == 20 and after["tau"] == 0.5    # τ applies to the next steps; the run goes on
    elif name in ("show_test", "edges"):
        assert after["k"] == 20                             # only what is shown changes
    else:
        assert after["k"] == 0                              # a new network starts at step 0


def _same(a, b) -> bool:
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.shape(a) == np.shape(b) and np.array_equal(a, b, equal_nan=True)
    return a == b


def test_without_hidden_layers_width_and_activation_are_disabled():
    playground = Playground(layers=1)
    assert not playground.controls["width"].disabled
    playground.controls["layers"].value = 0
    assert playground.controls["width"].disabled and playground.controls["activation"].disabled
    assert playground.run.sizes == [1, 1]
    assert "linear regression" in playground.diagram.ax.get_title() or playground.diagram.sizes == [1, 1]


def test_every_data_set_trains_and_the_picture_shows_the_network_function():
    for key in DATASETS:
        playground = Playground(dataset=key, layers=1, width=4, tau=0.05)
        start = playground.run.descent.cost()
        playground.step(200)
        assert playground.run.descent.cost() < start, key
        playground.show()
        frame = playground.frame()
        data = playground.run.data
        if data.dims == 1:
            np.testing.assert_array_equal(playground.curve.get_ydata(), playground.result["outputs"])
            assert frame["outputs"].shape == frame["grid"].shape
        elif data.dims == 2:
            shape = (playground.grid_points, playground.grid_points)
            assert frame["outputs"].shape == shape
            # the heat map's corner is N at the corner of the plotted inputs
            corner = np.array([[data.extent[0][0], data.extent[1][0]]])
            assert frame["outputs"][0, 0] == pytest.approx(playground.run.model.forward(data.inputs(corner))[0, 0])
        else:  # concrete: the network's output at every training and test sample, against the target
            np.testing.assert_array_equal(playground.predicted.get_xdata(), data.y[:, 0])
            np.testing.assert_array_equal(playground.predicted.get_ydata(), frame["outputs"][0])


def test_an_unknown_data_set_is_named():
    with pytest.raises(ValueError, match="unknown data set"):
        Playground(dataset="spiral")


def test_the_steps_per_picture_grow_when_a_step_is_cheap():
    budget = StepBudget(seconds=0.012)
    assert budget.steps() == 1
    budget.measured(10, 0.001)          # 0.1 ms a step
    assert budget.steps() == 120
    budget.measured(10, 0.2)            # 20 ms a step: one per picture
    assert budget.steps() == 1


def test_play_trains_on_the_event_loop_and_pause_stops_it():
    async def scenario():
        playground = Playground(tau=0.1)
        playground.play()
        assert playground.player.running and playground.buttons["play"].disabled
        await asyncio.sleep(0.5)
        playground.pause()
        k, frames = playground.run.k, playground.player.frames
        await asyncio.sleep(0.2)
        return playground, k, frames

    playground, k, frames = run_loop(scenario)
    assert frames >= 3 and k > frames            # several pictures, several steps in each
    assert playground.run.k == k             # paused: no step after Pause
    assert playground.header_numbers[0].get_text() == f"{k:,}" and f"step k = {k:,}" in playground.status.value
    assert not playground.buttons["play"].disabled and playground.buttons["pause"].disabled


def test_one_playground_trains_at_a_time_and_play_pauses_by_itself_after_a_while():
    async def scenario():
        first, second = Playground(), Playground()
        first.play()
        await asyncio.sleep(0.2)
        second.play()                      # the kernel is shared: the other one pauses
        await asyncio.sleep(0.2)
        assert second.player.running and not first.player.running
        second.longest_play = 0.3
        await asyncio.sleep(0.8)
        return second

    second = run_loop(scenario)
    assert not second.player.running and "paused after" in second.status.value


def test_play_stops_by_itself_at_a_divergence():
    async def scenario():
        playground = Playground(dataset="wine", tau=3.0)
        playground.play()
        for _ in range(100):
            await asyncio.sleep(0.05)
            if not playground.player.running:
                break
        return playground

    playground = run_loop(scenario)
    assert not playground.player.running and playground.run.error is not None
    k = playground.run.k
    assert f"diverged at step {k}:" in playground.diverged_text.get_text()
    # the last frame sent its status line: the message, and the same step as the picture and mlp's message
    assert "DivergenceError" in playground.status.value and f"<b>step k = {k:,}</b>" in playground.status.value
    assert f"diverged at step {k} (" in playground.status.value and playground.header_numbers[0].get_text() == f"{k:,}"


def test_play_outside_a_kernel_says_what_to_do():
    def outside():  # a thread with no event loop, as a plain Python script has
        playground = Playground()
        playground.play()
        return playground

    with ThreadPoolExecutor(1) as pool:
        playground = pool.submit(outside).result()
    assert "Step works anywhere" in playground.status.value and not playground.player.running


def test_a_player_stops_when_its_frame_says_so():
    calls = []

    async def scenario():
        player = Player(lambda: calls.append(1) or len(calls) < 4, fps=200)
        assert player.start()
        while player.running:
            await asyncio.sleep(0.01)

    run_loop(scenario)
    assert len(calls) == 4


def test_a_saved_notebook_shows_the_first_picture():
    bundle = Playground()._repr_mimebundle_()
    assert bundle["text/plain"] == "Training playground (interactive: run the notebook in Jupyter to use it)"
    assert bundle["image/png"].startswith("iVBOR")   # base64 of a PNG


def test_a_head_start_is_the_same_network_as_stepping_after_the_first_picture():
    ahead = Playground(dataset="sine", layers=1, width=4, steps=50)
    later = Playground(dataset="sine", layers=1, width=4)
    later.step(50)
    assert ahead.run.k == later.run.k == 50
    for name, theta in ahead.run.model.params.items():
        np.testing.assert_array_equal(theta, later.run.model.params[name])


def test_the_line_of_code_makes_the_same_playground_at_the_same_step():
    playground = Playground(dataset="ring", layers=2, width=5, activation="relu", tau=0.2, batch_size=32,
                            test_fraction=0.3, noise=0.25, data_seed=2, seed=4)
    playground.step(37)
    playground.show()
    line = playground.frame()["code"]
    assert line in html.unescape(playground.code.value)
    again = eval(line, {"Playground": Playground})
    assert again.frame()["code"] == line and again.run.k == 37
    for name, theta in playground.run.model.params.items():
        np.testing.assert_array_equal(again.run.model.params[name], theta)
    playground.controls["tau"].value = 0.05   # τ changed during the run: the line says what it retraces
    assert "τ changed during the run" in playground.frame()["code"]


def test_test_data_are_held_out_and_have_their_own_cost():
    playground = Playground(dataset="sine", test_fraction=0.3)
    data = playground.run.data
    assert len(data.X) == 70 and len(data.X_test) == 30
    assert not set(map(float, data.X[:, 0])) & set(map(float, data.X_test[:, 0]))
    playground.step(100)
    k, training, test = playground.frame()["checkpoints"][-1]
    assert k == 100 and test == pytest.approx(float(np.mean((playground.run.model.forward(data.X_test) - data.y_test) ** 2)))
    assert playground.test_line.get_visible() and "on the test data" in playground.status.value
    playground.controls["test_fraction"].value = 0.0
    assert not playground.test_line.get_visible() and playground.controls["show_test"].disabled


def test_noise_and_new_data_change_the_data_and_noise_is_off_for_measured_data():
    playground = Playground(dataset="xor", noise=0.0)
    assert set(np.unique(playground.run.data.y)) <= {-1.0, 1.0}
    playground.controls["noise"].value = 0.5
    noisy = playground.run.data.y
    assert np.std(noisy - np.sign(noisy)) > 0.2
    playground.buttons["new_data"].click()
    assert playground.data_seed == 1 and not np.array_equal(playground.run.data.X, load_dataset("xor", 0.2, 0.5, 0).X)
    assert "data_seed=1" in playground.frame()["code"]
    playground.controls["dataset"].value = "wine"
    assert playground.controls["noise"].disabled


def test_paused_the_edges_show_the_gradient_the_next_step_uses():
    playground = Playground(dataset="xor", layers=1, width=4, steps=10)
    playground.controls["edges"].value = "gradients"
    gradient = playground.run.model.layers[0].grads["weight"]
    np.testing.assert_array_equal(playground.frame()["gradients"][0], gradient)
    before = playground.run.model.layers[0].params["weight"].copy()
    playground.step(1)                       # the step goes exactly against the gradient shown
    np.testing.assert_allclose(playground.run.model.layers[0].params["weight"], before - 0.1 * gradient)
    assert "gradients ∂(E/N)/∂θ_w" in playground.ax_net.get_title()
    widths = np.concatenate([np.atleast_1d(e.get_linewidth()) for e in playground.diagram.edges])
    assert widths.max() > widths.min()


@pytest.mark.parametrize("dataset", ["wine", "concrete"])
def test_the_diagram_keeps_every_label_inside_its_part_of_the_figure(dataset):
    playground = Playground(dataset=dataset, layers=3, width=9)
    renderer = playground.view.canvas.get_renderer()
    figure = playground.view.figure.bbox
    right = playground.ax_fun.get_tightbbox(renderer).x0
    texts = [t for t in playground.ax_net.texts if t.get_text()]
    names = {t.get_text() for t in texts}
    assert "N(x; θ)" in names and set(playground.run.data.input_names) <= names
    for text in texts:
        box = text.get_window_extent(renderer)
        assert box.x0 >= figure.x0 and box.x1 <= min(figure.x1, right) and box.y0 >= figure.y0, text.get_text()


def test_a_head_start_records_the_test_cost_often_enough_to_draw_a_curve():
    playground = Playground(dataset="sine", steps=700)
    steps = [k for k, _, _ in playground.frame()["checkpoints"]]
    assert steps[:201] == list(range(201))            # every step up to k = 200
    assert np.all(np.diff(steps) <= 5) and steps[-1] == 700
    x, _ = playground.test_line.get_data()
    assert len(x) == len(steps) > 300


@pytest.mark.parametrize("dataset, colours", [("wine", ["#0072B2", "#56B4E9", "#E69F00", "#D55E00"]),
                                              ("xor", ["black", "white"])])
def test_the_dots_of_2d_data_are_drawn_over_the_heat_map_in_their_own_colours(dataset, colours):
    playground = Playground(dataset=dataset, steps=20)
    dots = [line for line in playground.ax_fun.get_lines() if line.get_label().startswith(("quality", "target"))]
    assert [matplotlib.colors.to_hex(line.get_markerfacecolor()) for line in dots] == \
        [matplotlib.colors.to_hex(c) for c in colours]
    assert all(dot in playground.view.moving and dot.get_zorder() > playground.surface.get_zorder() for dot in dots)
    assert sum(len(dot.get_xdata()) for dot in dots) == len(playground.run.data.X)
    picture = playground.view.rgb().reshape(-1, 3)
    if dataset == "wine":  # the saved picture shows every class colour (the heat map is grey)
        for colour in colours:
            rgb = np.array(matplotlib.colors.to_rgb(colour)) * 255
            assert (np.abs(picture.astype(float) - rgb).max(axis=1) < 8).any(), colour
    legend = [t.get_text() for t in playground.ax_fun.get_legend().get_texts()]
    assert legend == [dot.get_label() for dot in dots]
    assert playground.ax_fun.get_legend().get_texts()[0].get_fontsize() >= 10

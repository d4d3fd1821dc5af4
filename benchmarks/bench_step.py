"""How fast is one gradient-descent step of `mlp`? Against the BLAS floor and PyTorch, in one run.

One full-batch step θ ← θ − τ ∇E(θ) of a ReLU `fully_connected` network with E = Σ_j ‖ŷ_j − y_j‖²
(forward, loss, backward, update) is timed three ways on the same data and initial weights:

  floor  only the matrix products that any implementation must do, in numpy, into preallocated
         arrays: per Linear layer X·Wᵀ (forward), dZᵀ·X (dE/dW) and dZ·W (dE/dX, not for the first
         layer). Everything else (bias, ReLU, loss, update, Python) is what the other two add.
  mlp    model.forward (each layer checks its input: shape, dtype, NaN), loss.forward,
         mlp.layers.backward_params(model, loss.backward()) (no dE/dx for the first layer),
         GradientDescent.step: what one step of mlp.train (mlp.optim.Descent) does, without the
         gradient's norm and the divergence test (the train() column has them).
  torch  PyTorch CPU autograd + torch.optim.SGD, same shapes, dtype, weights and thread count
         (skipped, and said so, when torch is not installed).

Before timing, the gradients of all three are compared (assert_allclose) from the same initial
weights. Timings are medians over repetitions taken round-robin (floor, mlp, torch, floor, ...),
so that load from other processes hits all three alike. Run it from the repository root:

    .venv/bin/python -m benchmarks.bench_step                 # 1 BLAS thread for numpy and torch
    .venv/bin/python -m benchmarks.bench_step --threads 2     # both on 2 threads
    .venv/bin/python -m benchmarks.bench_step --sizes tiny --dtypes float32 --repeats 50

The thread count must be fixed before numpy loads OpenBLAS, so this script sets
OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS itself before importing numpy.
"""
from __future__ import annotations

import argparse
import os
import platform
import time

SIZES = {  # name: (batch N, layer widths n_0 … n_L)
    "tiny": (1599, [11, 64, 64, 1]),          # the wine network of the capstone
    "medium": (256, [784, 256, 256, 10]),     # an MNIST-sized network
    "large": (1024, [1024, 1024, 1024, 1024]),
}
STEP_SIZE = 1e-7  # τ: tiny, so that hundreds of steps with E = Σ ‖ŷ − y‖² stay finite


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads for numpy and torch (default 1)")
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    parser.add_argument("--dtypes", nargs="+", choices=["float64", "float32"], default=["float64", "float32"])
    parser.add_argument("--repeats", type=int, default=0,
                        help="timed repetitions per implementation (default: as many as fit in ~2 s, 7 to 200)")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if it is installed")
    parser.add_argument("--clock", choices=["cpu", "wall"], default=None,
                        help="cpu: this process's CPU time, blind to other processes taking the core (default "
                             "with 1 thread); wall: elapsed time (default with more threads, where CPU time "
                             "would add up the threads)")
    return parser.parse_args(argv)


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None:
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402  (after the thread count is fixed)

import mlp  # noqa: E402


# --- the three implementations ----------------------------------------------------------------

class Floor:
    """Only the matrix products of one step, from activations and dE/dZ computed once in plain numpy.

    The products are the ones a step needs on real data; `gradients()` returns dE/dW from them (and
    dE/db from the same dZ), which is how the floor is checked against mlp and torch.
    """

    def __init__(self, weights: list[np.ndarray], biases: list[np.ndarray], X: np.ndarray, y: np.ndarray):
        self.weights = weights
        # Plain-numpy reference pass: a_0 = X, z_i = a_{i-1} W_iᵀ + b_i, a_i = max(z_i, 0) between layers.
        acts, zs = [X], []
        for i, (W, b) in enumerate(zip(weights, biases)):
            zs.append(acts[-1] @ W.T + b)
            if i < len(weights) - 1:
                acts.append(np.maximum(zs[-1], 0))
        dz = 2 * (zs[-1] - y)                                   # dE/dŷ for E = Σ ‖ŷ − y‖²
        dzs = [dz]
        for i in range(len(weights) - 1, 0, -1):
            dz = (dz @ weights[i]) * (zs[i - 1] > 0)             # back through W_i, then ReLU
            dzs.insert(0, dz)
        self.acts, self.dzs = acts, dzs
        self.bias_grads = [d.sum(axis=0) for d in dzs]
        # preallocated outputs, so that the timed products allocate nothing
        self.z = [np.empty_like(z) for z in zs]
        self.dw = [np.empty_like(W) for W in weights]
        self.dx = [np.empty_like(a) for a in acts]

    def step(self) -> None:
        """Forward X·Wᵀ per layer; backward dZᵀ·X per layer and dZ·W for every layer but the first."""
        for i, W in enumerate(self.weights):
            np.matmul(self.acts[i], W.T, out=self.z[i])
        for i in reversed(range(len(self.weights))):
            np.matmul(self.dzs[i].T, self.acts[i], out=self.dw[i])
            if i > 0:
                np.matmul(self.dzs[i], self.weights[i], out=self.dx[i])

    def gradients(self) -> list[np.ndarray]:
        self.step()
        return [g for pair in zip(self.dw, self.bias_grads) for g in pair]


class MlpStep:
    """One iteration of mlp.train: E = loss(model(X), y), backward, θ ← θ − τ ∇E."""

    def __init__(self, model: mlp.Sequential, X: np.ndarray, y: np.ndarray):
        self.model, self.X, self.y = model, X, y
        self.loss = mlp.SquaredError("sum")
        self.optimizer = mlp.GradientDescent(STEP_SIZE)

    def gradients(self) -> list[np.ndarray]:
        self.loss.forward(self.model.forward(self.X), self.y)
        mlp.layers.backward_params(self.model, self.loss.backward())
        return [g.copy() for g in self.model.grads.values()]

    def step(self) -> None:
        self.loss.forward(self.model.forward(self.X), self.y)
        mlp.layers.backward_params(self.model, self.loss.backward())
        self.optimizer.step(self.model)


class TorchStep:
    """The same step in PyTorch: autograd for the gradients, torch.optim.SGD for the update."""

    def __init__(self, torch, weights, biases, X, y):
        self.torch = torch
        layers = []
        for i, (W, b) in enumerate(zip(weights, biases)):
            linear = torch.nn.Linear(W.shape[1], W.shape[0], dtype=getattr(torch, str(W.dtype)))
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(W))
                linear.bias.copy_(torch.from_numpy(b))
            layers += [linear] if i == len(weights) - 1 else [linear, torch.nn.ReLU()]
        self.model = torch.nn.Sequential(*layers)
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(y)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=STEP_SIZE)

    def gradients(self) -> list[np.ndarray]:
        self.optimizer.zero_grad(set_to_none=True)
        self.torch.nn.functional.mse_loss(self.model(self.X), self.y, reduction="sum").backward()
        return [p.grad.numpy().copy() for p in self.model.parameters()]

    def step(self) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        self.torch.nn.functional.mse_loss(self.model(self.X), self.y, reduction="sum").backward()
        self.optimizer.step()


# --- the measurement ---------------------------------------------------------------------------

def problem(size: str, dtype: str, seed: int = 0):
    """Data and a mlp network for one size; the floor and torch copy the network's initial weights."""
    batch, widths = SIZES[size]
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((batch, widths[0])).astype(dtype)
    y = rng.standard_normal((batch, widths[-1])).astype(dtype)
    model = mlp.fully_connected(widths, activation="relu", rng=seed, dtype=np.dtype(dtype))
    linears = [layer for layer in model.layers if isinstance(layer, mlp.Linear)]
    weights = [layer.params["weight"].copy() for layer in linears]
    biases = [layer.params["bias"].copy() for layer in linears]
    return X, y, model, weights, biases


def check_same_gradients(reference: list[np.ndarray], other: list[np.ndarray], who: str, dtype: str) -> None:
    """assert_allclose on every dE/dθ, with a tolerance that fits the dtype's precision."""
    rtol = 1e-9 if dtype == "float64" else 2e-4
    assert len(reference) == len(other), f"{who}: {len(other)} gradients, expected {len(reference)}"
    for k, (a, b) in enumerate(zip(reference, other)):
        np.testing.assert_allclose(b, a, rtol=rtol, atol=rtol * float(np.abs(a).max()),
                                   err_msg=f"{who} disagrees with mlp on gradient {k}")


def time_round_robin(steps: dict, repeats: int, clock, warmup: int = 3) -> dict[str, np.ndarray]:
    """Seconds per call of each step function, calling them in turn `repeats` times (one row per round)."""
    for step in steps.values():
        for _ in range(warmup):
            step()
    times = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            start = clock()
            step()
            times[name].append(clock() - start)
    return {name: np.array(t) for name, t in times.items()}


def time_train(model, X, y, num_steps: int, clock) -> float:
    """Seconds per step inside mlp.train (which adds ‖∇E‖ and divergence checks to each step)."""
    loss = mlp.SquaredError("sum")
    mlp.train(model, loss, X, y, step_size=STEP_SIZE, num_steps=2, progress=False)  # warm-up
    start = clock()
    history = mlp.train(model, loss, X, y, step_size=STEP_SIZE, num_steps=num_steps, progress=False)
    assert np.isfinite(history.costs).all()
    return (clock() - start) / (num_steps + 1)  # num_steps + 1 forward/backward passes


def blas_facts() -> str:
    """Which OpenBLAS numpy uses, its kernel and thread count (read from the library itself)."""
    import ctypes
    try:
        with open("/proc/self/maps") as maps:
            paths = sorted({line.split()[-1] for line in maps if "openblas" in line.lower() and ".so" in line})
        lib = ctypes.CDLL(paths[0])
        for prefix, suffix in (("scipy_openblas_", "64_"), ("scipy_openblas_", ""), ("openblas_", "64_"), ("openblas_", "")):
            if hasattr(lib, f"{prefix}get_corename{suffix}"):
                core = getattr(lib, f"{prefix}get_corename{suffix}")
                threads = getattr(lib, f"{prefix}get_num_threads{suffix}")
                core.restype = ctypes.c_char_p
                return f"OpenBLAS kernel {core().decode()}, {threads()} thread(s)"
    except (OSError, IndexError):
        pass
    return "BLAS kernel unknown (not OpenBLAS, or not found)"


def main(args: argparse.Namespace) -> None:
    try:
        if args.no_torch:
            raise ImportError
        import torch
        torch.set_num_threads(args.threads)
        torch_note = f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)"
    except ImportError:
        torch = None
        torch_note = "torch not installed (or --no-torch): the torch columns are empty"
    clock_name = args.clock or ("cpu" if args.threads == 1 else "wall")
    clock = time.process_time if clock_name == "cpu" else time.perf_counter
    env = {v: os.environ.get(v, "unset") for v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    print(f"python {platform.python_version()}, numpy {np.__version__}, {blas_facts()}; {torch_note}")
    print(f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          + ", ".join(f"{k}={v}" for k, v in env.items()))
    print(f"median milliseconds ({clock_name} clock) per full-batch gradient-descent step; "
          "ratios < 1 mean mlp is faster\n")
    header = (f"{'size':<7}{'dtype':<9}{'floor':>9}{'mlp':>9}{'torch':>9}{'mlp/floor':>11}{'(q1-q3)':>12}"
              f"{'mlp/torch':>11}{'train()':>10}{'reps':>6}")
    print(header)
    print("-" * len(header))
    for size in args.sizes:
        for dtype in args.dtypes:
            X, y, model, weights, biases = problem(size, dtype)
            floor, step = Floor(weights, biases, X, y), MlpStep(model, X, y)
            reference = step.gradients()
            check_same_gradients(reference, floor.gradients(), "the floor", dtype)
            steps = {"floor": floor.step, "mlp": step.step}
            if torch is not None:
                torch_step = TorchStep(torch, weights, biases, X, y)
                check_same_gradients(reference, torch_step.gradients(), "torch", dtype)
                steps["torch"] = torch_step.step
            once = time_round_robin(steps, repeats=1, clock=clock, warmup=1)
            repeats = args.repeats or int(np.clip(2.0 / sum(t[0] for t in once.values()), 7, 200))
            rounds = time_round_robin(steps, repeats, clock)
            t = {name: float(np.median(r)) for name, r in rounds.items()}
            # spread: quartiles of mlp/floor taken round by round (both timed back to back)
            q1, q3 = np.percentile(rounds["mlp"] / rounds["floor"], [25, 75])
            assert all(np.isfinite(p).all() for p in model.params.values()), "the weights blew up while timing"
            per_train_step = time_train(model, X, y, max(repeats // 2, 3), clock)
            ms = {k: 1e3 * v for k, v in t.items()}
            torch_ms = f"{ms['torch']:9.2f}" if "torch" in ms else f"{'-':>9}"
            vs_torch = f"{t['mlp'] / t['torch']:11.2f}" if "torch" in t else f"{'-':>11}"
            print(f"{size:<7}{dtype:<9}{ms['floor']:9.2f}{ms['mlp']:9.2f}{torch_ms}"
                  f"{t['mlp'] / t['floor']:11.2f}{f'({q1:.2f}-{q3:.2f})':>12}{vs_torch}{1e3 * per_train_step:10.2f}"
                  f"{repeats:6d}", flush=True)
    print("\nreps: timed rounds after 3 warm-up steps, round-robin; ratios are of medians, (q1-q3) the "
          "quartiles of mlp/floor round by round.\nGradients of the floor" + (" and torch" if torch is not None else "")
          + " were checked against mlp (assert_allclose) before timing. train(): ms per step inside "
          "mlp.train, which adds ‖∇E‖ and the divergence checks.")


if __name__ == "__main__":
    main(ARGS)

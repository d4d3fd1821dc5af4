"""mlp: a small numpy engine for the course "How neural networks learn".

Modules, in the order of the lecture:
    mlp.data       the red-wine data, synthetic 1-D data, standardise and split
    mlp.linear     the linear regression network N(x; θ) = (x, 1)ᵀ θ and least squares
    mlp.layers     layers ℓ(x; θ) with forward/backward: Linear, ReLU, Sigmoid, Tanh, Identity
    mlp.network    Sequential and fully_connected: N(x; θ) = ℓ^L(… ℓ^1(x; θ^1) …; θ^L)
    mlp.losses     SquaredError: E(θ) = Σ_j ||N(x_j; θ) − y_j||²
    mlp.optim      gradient descent θ(k+1) = θ(k) − τ ∇E(θ(k)) and train()
    mlp.graph      scalar compute graphs: the lecture's backpropagation example
    mlp.gradcheck  finite-difference gradient checks
Topic modules the notebooks import by name: mlp.collapse (stacked affine layers as one map),
mlp.descent (curvature L, 2/L and trajectories of the linear-regression cost), mlp.experiments
(training and comparing configurations), and mlp.exercises.<topic> (the exercise checks).
Plots (mlp.plots, mlp.graph_plot) and interactive explorers (mlp.explore.<topic>) import
matplotlib / ipywidgets and are loaded only when used.
"""
from . import data, gradcheck, graph, layers, linear, losses, network, optim
from .layers import Identity, Linear, ReLU, Sigmoid, Tanh
from .losses import SquaredError
from .network import Sequential, fully_connected
from .optim import DivergenceError, GradientDescent, train

__all__ = [
    "data", "gradcheck", "graph", "layers", "linear", "losses", "network", "optim",
    "Identity", "Linear", "ReLU", "Sigmoid", "Tanh", "SquaredError", "Sequential", "fully_connected",
    "DivergenceError", "GradientDescent", "train",
]

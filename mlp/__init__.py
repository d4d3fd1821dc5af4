"""mlp: a small numpy engine for the course "How neural networks learn".

Modules, in the order of the lecture:
    mlp.data         the red-wine and concrete data, synthetic 1-D data, standardise and split
    mlp.regression   the linear regression network N(x; θ) = (x, 1)ᵀ θ and least squares
    mlp.collapse     stacked affine layers are one affine map
    mlp.layers       layers ℓ(x; θ) with forward/backward: Linear, ReLU, LeakyReLU, Sigmoid, Tanh, Identity
    mlp.kinks        ReLU networks are piecewise linear: where their kinks are
    mlp.network      Sequential and fully_connected: N(x; θ) = ℓ^L(… ℓ^1(x; θ^1) …; θ^L)
    mlp.losses       SquaredError: E(θ) = Σ_j ||N(x_j; θ) − y_j||² (or E/N)
    mlp.optim        gradient descent θ(k+1) = θ(k) − τ ∇E(θ(k)), minibatches and momentum: Descent, train()
    mlp.convergence  when gradient descent converges: λ_max, τ < 2/λ_max, trajectories on the regression cost
    mlp.graph        scalar compute graphs: the lecture's backpropagation example
    mlp.gradcheck    finite-difference gradient checks
    mlp.experiments  training and comparing configurations on a split (the capstone)
Figures (mlp.plots, mlp.graph_plot), the interactive explorers (mlp.explore.<topic>) and the
exercise checks (mlp.exercises.<notebook topic>) import matplotlib / ipywidgets and are loaded
only when used.
"""
from . import data, gradcheck, graph, layers, losses, network, optim, regression
from .layers import ACTIVATIONS, Identity, Layer, LeakyReLU, Linear, ReLU, Sigmoid, Tanh, make_activation
from .losses import SquaredError
from .network import Sequential, fully_connected
from .optim import Descent, DivergenceError, GradientDescent, train

__all__ = [
    "data", "gradcheck", "graph", "layers", "losses", "network", "optim", "regression",
    "ACTIVATIONS", "Identity", "Layer", "LeakyReLU", "Linear", "ReLU", "Sigmoid", "Tanh", "make_activation",
    "SquaredError", "Sequential", "fully_connected", "Descent", "DivergenceError", "GradientDescent", "train",
]

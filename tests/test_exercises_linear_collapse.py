"""The checks of notebook 02 accept right answers and explain typical wrong ones."""
import numpy as np
import pytest

import mlp
from mlp.collapse import collapse, rank_bound
from mlp.exercises import ExerciseError
from mlp.exercises.linear_collapse import check_best_stack_cost, check_collapse, check_rank_bound


def layers_of(stack):
    return [(layer.params["weight"], layer.params["bias"]) for layer in stack.layers]


def test_collapse_accepts_the_right_answer(capsys):
    check_collapse(collapse)
    assert capsys.readouterr().out.startswith("✔ Exercise 2.1")


def wrong_order(stack):
    (W, b), *rest = layers_of(stack)
    for W_i, b_i in rest:
        W, b = W @ W_i, W_i @ b + b_i
    return W, b


def summed_biases(stack):
    W, b = collapse(stack)
    return W, sum(b_i for _, b_i in layers_of(stack))


def last_bias_only(stack):
    W, _ = collapse(stack)
    return W, layers_of(stack)[-1][1]


def transposed(stack):
    W, b = collapse(stack)
    return W.T, b


@pytest.mark.parametrize("wrong, message", [
    (wrong_order, "wrong order|shape"),
    (summed_biases, "multiplied by the later weights"),
    (last_bias_only, "only the last layer's bias"),
    (transposed, "transposed"),
    (lambda stack: collapse(stack)[0], "pair"),
    (lambda stack: 1 / 0, "ZeroDivisionError"),
])
def test_collapse_explains_wrong_answers(wrong, message):
    with pytest.raises(ExerciseError, match=message):
        check_collapse(wrong)


def test_collapse_lets_the_stub_raise():
    def stub(stack):
        raise NotImplementedError("Exercise 2.1: write your code here")
    with pytest.raises(NotImplementedError):
        check_collapse(stub)


def test_rank_bound_accepts_min_and_explains_the_hidden_widths_mistake(capsys):
    check_rank_bound(rank_bound)
    assert "✔ Exercise 2.3" in capsys.readouterr().out
    with pytest.raises(ExerciseError, match="input and output"):
        check_rank_bound(lambda sizes: min(sizes[1:-1]) if len(sizes) > 2 else min(sizes))
    with pytest.raises(ExerciseError, match="can reach rank"):
        check_rank_bound(max)
    with pytest.raises(ExerciseError, match="whole number"):
        check_rank_bound(lambda sizes: float(min(sizes)))


def best_cost(X, y):
    return mlp.regression.cost(X, y, mlp.regression.fit_least_squares(X, y)) / len(X)


def test_best_stack_cost_accepts_least_squares_and_explains_mistakes(capsys):
    check_best_stack_cost(best_cost)
    assert "✔ Exercise 2.2" in capsys.readouterr().out
    with pytest.raises(ExerciseError, match="summed cost"):
        check_best_stack_cost(lambda X, y: best_cost(X, y) * len(X))

    def no_bias(X, y):
        theta, *_ = np.linalg.lstsq(X, y, rcond=None)
        return float(np.mean((X @ theta - y) ** 2))
    with pytest.raises(ExerciseError, match="no bias"):
        check_best_stack_cost(no_bias)
    with pytest.raises(ExerciseError, match="below what any affine map"):
        check_best_stack_cost(lambda X, y: 0.0)
    with pytest.raises(ExerciseError, match="can do better"):
        check_best_stack_cost(lambda X, y: float(np.var(y)))

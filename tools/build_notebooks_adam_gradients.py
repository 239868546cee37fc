"""Build the solved reference notebooks of the `adam` and `gradients` assignments and their
example uploads.

    python tools/build_notebooks_adam_gradients.py           # (re)write every file below
    python tools/build_notebooks_adam_gradients.py --check   # exit 1 if a file is out of date

Writes, without outputs and with fixed cell ids (so a rebuild is byte-identical):

* reference/notebooks/adam.ipynb, reference/notebooks/gradients.ipynb: the tutor's model
  solutions. Solutions sit between `### BEGIN SOLUTION` / `### END SOLUTION` lines (code) or
  `<!-- BEGIN SOLUTION -->` / `<!-- END SOLUTION -->` (markdown); `grade release` turns them
  into stubs. Instructions, data and plotting code stay outside the markers.
* submissions/adam/*.ipynb, submissions/gradients/*.ipynb: the bundled example uploads, made
  from the reference by string replacement (markers stripped, as a student's file would be).
  See UPLOADS below for what each one should score.

The notebooks import only numpy, matplotlib and torch (never `reference`: the grading kernel
cannot import it).
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import nbformat
from nbformat.notebooknode import NotebookNode

ROOT = Path(__file__).resolve().parent.parent
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
TEAM_TITLE = "# Group members\n"


def md(text: str) -> NotebookNode:
    return nbformat.v4.new_markdown_cell(textwrap.dedent(text).strip("\n"))


def code(text: str) -> NotebookNode:
    return nbformat.v4.new_code_cell(textwrap.dedent(text).strip("\n"))


def team_cell(names: list[str], solution: bool = True) -> NotebookNode:
    lines = "\n".join(f"- {n}" for n in names)
    if solution:
        return md(TEAM_TITLE + "<!-- BEGIN SOLUTION -->\n" + lines + "\n<!-- END SOLUTION -->")
    return md(TEAM_TITLE + lines)


def notebook(prefix: str, cells: list[NotebookNode]) -> NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    for i, cell in enumerate(cells, start=1):
        cell["id"] = f"{prefix}-{i:02d}"
    nb.cells = cells
    return nb


# ============================================================================= adam notebook
ADAM_INTRO = r"""
# Project 3: Adam for regression and classification

*Exercise sheet 4, Exercise 4.3 (5 points).*

In Project 2 we trained a one-variable and a two-variable linear regression with plain (full-batch)
gradient descent. Here we implement the **Adam** optimiser ourselves, in numpy, use it to update the
weights *and* the bias, add a classification problem (logistic regression), and compare training
and test losses of the two optimisers.

**What the grader calls.** Keep these names and signatures exactly; the grader calls them with
fresh random inputs and compares with a reference solution (rtol $10^{-6}$):

| name | what it does |
|---|---|
| `adam_step(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8)` | one Adam update, returns the new `(theta, m, v)`; arrays of any shape, `t` the 1-based step number |
| `gd_step(theta, grad, lr)` | one gradient-descent update, returns the new `theta` |
| `train(X, y, task, optimizer, lr, epochs)` | full-batch training from `theta = 0`, returns `(theta, losses)` |

**Submission.** Name the file `adam_regression_classification_solved_group_NN.ipynb` with your
two-digit group number `NN` (group 1 is `01`), list every group member in the first cell, and make
sure the notebook runs from top to bottom with **zero errors**: a notebook with an error in any
cell scores 0 for the project.
"""

ADAM_UPDATE_MD = r"""
## 1. The Adam update

With $g_t$ the gradient at step $t = 1, 2, \dots$ and $\alpha, \beta_1, \beta_2, \epsilon$ the
hyper-parameters, the sheet's update is

$$m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2, \qquad m_0 = v_0 = 0,$$

$$\hat m_t = \frac{m_t}{1-\beta_1^t}, \qquad \hat v_t = \frac{v_t}{1-\beta_2^t}, \qquad
\theta \leftarrow \theta - \alpha\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}.$$

All operations are element-wise, so one function serves weights and biases of any shape. Note
where $\epsilon$ goes (outside the square root) and that $t$ starts at 1: with $t = 0$ the bias
correction would divide by zero. Implement `adam_step` (return new arrays, do not rely on
modifying `m` and `v` in place) and, as the Project 2 baseline, `gd_step`.
"""

ADAM_STEP_CODE = r'''
def adam_step(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam update.

    theta, grad, m, v: arrays of the same shape (m = v = 0 before the first step).
    t: the 1-based number of this step.
    Returns the new (theta, m, v).
    """
    ### BEGIN SOLUTION
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    return theta, m, v
    ### END SOLUTION
'''

GD_STEP_CODE = r'''
def gd_step(theta, grad, lr):
    """One step of plain gradient descent; returns the new theta."""
    ### BEGIN SOLUTION
    return theta - lr * grad
    ### END SOLUTION
'''

ADAM_CHECK_MD = r"""
**Check your update.** Two quick tests. With a constant gradient $g$ the bias-corrected moments
are exactly $\hat m_t = g$ and $\hat v_t = g^2$, so every step is $-\alpha\, g/(|g| + \epsilon)$,
about $\alpha$ in size from the very first step (without the bias correction the first step
would be $(1-\beta_1)/\sqrt{1-\beta_2} \approx 3.16$ times larger). And 200 steps on a random
quadratic must follow `torch.optim.Adam` to rounding error.
"""

ADAM_CHECK_CODE = r"""
import torch

theta, m, v = np.zeros(3), np.zeros(3), np.zeros(3)
g = np.array([0.5, -2.0, 1e-3])
for t in range(1, 6):
    theta, m, v = adam_step(theta, g, m, v, t, lr=0.1)
print("after 5 steps with a constant gradient:", theta, "(expected", -5 * 0.1 * g / (np.abs(g) + 1e-8), ")")

rng = np.random.default_rng(0)
Q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
A = Q @ np.diag([0.5, 1.0, 2.0, 4.0, 8.0]) @ Q.T
b = rng.standard_normal(5)
theta0 = rng.standard_normal(5)

theta, m, v = theta0.copy(), np.zeros(5), np.zeros(5)
p = torch.tensor(theta0, requires_grad=True)
opt = torch.optim.Adam([p], lr=0.05, betas=(0.9, 0.999), eps=1e-8)
worst = 0.0
for t in range(1, 201):
    theta, m, v = adam_step(theta, A @ theta - b, m, v, t, lr=0.05)
    p.grad = torch.tensor(A @ p.detach().numpy() - b)
    opt.step()
    worst = max(worst, np.max(np.abs(theta - p.detach().numpy())))
print(f"largest difference to torch.optim.Adam over 200 steps: {worst:.1e}",
      "OK" if worst < 1e-10 else "MISMATCH: check your update")
"""

ADAM_DATA_MD = r"""
## 2. The three problems

Seeded synthetic data, so everyone sees the same numbers. Each problem has 200 samples: the first
150 are the training set, the last 50 the test set.

* **1-variable regression:** $y = 2x - 1 + \text{noise}$, $x \in [-2, 2]$.
* **2-variable regression:** $y = 1.5 x_1 - 2 x_2 + 0.5 + \text{noise}$.
* **Classification:** two overlapping Gaussian clouds with labels $y \in \{0, 1\}$, fitted by
  logistic regression.

The noise has standard deviation 0.3, so the best possible mean squared error of the regressions
is about $0.09$.
"""

ADAM_DATA_CODE = r"""
rng = np.random.default_rng(3)
n, n_train = 200, 150

x1 = rng.uniform(-2, 2, size=(n, 1))
y1 = 2.0 * x1[:, 0] - 1.0 + 0.3 * rng.standard_normal(n)

X2 = rng.uniform(-2, 2, size=(n, 2))
y2 = X2 @ np.array([1.5, -2.0]) + 0.5 + 0.3 * rng.standard_normal(n)

yc = (rng.uniform(size=n) < 0.5).astype(float)
Xc = rng.standard_normal((n, 2)) + np.where(yc[:, None] == 1, 1.0, -1.0) * np.array([1.0, 0.5])

# name -> (X_train, y_train, X_test, y_test, task)
problems = {
    "1-variable regression": (x1[:n_train], y1[:n_train], x1[n_train:], y1[n_train:], "linreg"),
    "2-variable regression": (X2[:n_train], y2[:n_train], X2[n_train:], y2[n_train:], "linreg"),
    "classification": (Xc[:n_train], yc[:n_train], Xc[n_train:], yc[n_train:], "logreg"),
}
for name, (X_train, y_train, X_test, y_test, task) in problems.items():
    print(f"{name:22s} X_train {X_train.shape}, X_test {X_test.shape}, task {task!r}")
"""

ADAM_TRAIN_MD = r"""
## 3. Training

All parameters live in one vector $\theta = [w_1, \dots, w_d, b]$, starting at $\theta = 0$.

* `task="linreg"`: prediction $\hat y = Xw + b$, loss $\frac1N \sum_i (\hat y_i - y_i)^2$, gradient
  $\frac2N [X, 1]^\top (\hat y - y)$.
* `task="logreg"`: $p = \sigma(Xw + b)$, loss $-\frac1N \sum_i \big(y_i \log p_i + (1-y_i)\log(1-p_i)\big)$,
  gradient $\frac1N [X, 1]^\top (p - y)$.

`train(X, y, task, optimizer, lr, epochs)` does `epochs` full-batch updates with `gd_step`
(`optimizer="gd"`) or with `adam_step` (`optimizer="adam"`, the given `lr`, default betas and
eps, $t = 1, 2, \dots$). It returns the final $\theta$ and the array `losses` of shape
`(epochs,)`, where `losses[i]` is the training loss **before** update $i+1$ (so `losses[0]` is the
loss at $\theta = 0$).
"""

ADAM_TRAIN_CODE = r'''
def sigmoid(z):
    """The logistic function, written with tanh so that it never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def loss_and_grad(theta, X, y, task):
    """The mean loss of `task` at theta = [w_1, ..., w_d, b] and its gradient (shape of theta)."""
    ### BEGIN SOLUTION
    z = X @ theta[:-1] + theta[-1]
    if task == "linreg":
        residual = z - y
        loss = np.mean(residual**2)
        dz = 2.0 * residual / len(y)
    elif task == "logreg":
        p = sigmoid(z)
        loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
        dz = (p - y) / len(y)
    else:
        raise ValueError(f"unknown task {task!r}")
    return loss, np.append(X.T @ dz, np.sum(dz))
    ### END SOLUTION


def train(X, y, task, optimizer, lr, epochs):
    """Full-batch training from theta = 0; returns (theta, losses), losses[i] before update i+1."""
    ### BEGIN SOLUTION
    theta = np.zeros(X.shape[1] + 1)
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    losses = np.zeros(epochs)
    for i in range(epochs):
        losses[i], grad = loss_and_grad(theta, X, y, task)
        if optimizer == "gd":
            theta = gd_step(theta, grad, lr)
        elif optimizer == "adam":
            theta, m, v = adam_step(theta, grad, m, v, i + 1, lr=lr)
        else:
            raise ValueError(f"unknown optimizer {optimizer!r}")
    return theta, losses
    ### END SOLUTION
'''

ADAM_RUN_MD = r"""
## 4. Gradient descent against Adam

Train every problem with both optimisers for 500 epochs, GD with learning rate 0.1 and Adam with
0.05, and report the training loss after 50 epochs, the final training and test losses and, for
the regressions, the least-squares optimum (`np.linalg.lstsq`), which both optimisers should reach.
"""

ADAM_RUN_CODE = r"""
learning_rates = {"gd": 0.1, "adam": 0.05}
epochs = 500
# Fill results[name, optimizer] = {"theta": ..., "losses": ..., "test_loss": ...} for every problem
# and both optimisers (the plots below read it) and print the comparison.
### BEGIN SOLUTION
results = {}
for name, (X_train, y_train, X_test, y_test, task) in problems.items():
    for optimizer, lr in learning_rates.items():
        theta, losses = train(X_train, y_train, task, optimizer, lr, epochs)
        test_loss, _ = loss_and_grad(theta, X_test, y_test, task)
        results[name, optimizer] = {"theta": theta, "losses": losses, "test_loss": test_loss}

print(f"{'problem':22s} {'optimiser':9s} {'loss@50':>9s} {'train':>9s} {'test':>9s}  theta")
for (name, optimizer), r in results.items():
    print(f"{name:22s} {optimizer:9s} {r['losses'][50]:9.5f} {r['losses'][-1]:9.5f} "
          f"{r['test_loss']:9.5f}  {np.round(r['theta'], 4)}")

for name, (X_train, y_train, _, _, task) in problems.items():
    if task == "linreg":
        design = np.hstack([X_train, np.ones((len(X_train), 1))])
        theta_ls = np.linalg.lstsq(design, y_train, rcond=None)[0]
        print(f"{name}: least squares theta {np.round(theta_ls, 4)}, "
              f"training loss {np.mean((design @ theta_ls - y_train) ** 2):.5f}")
Xc_test, yc_test = problems["classification"][2:4]
for optimizer in learning_rates:
    theta = results["classification", optimizer]["theta"]
    accuracy = np.mean((Xc_test @ theta[:-1] + theta[-1] > 0) == (yc_test == 1))
    print(f"classification, {optimizer}: test accuracy {accuracy:.2f}")
### END SOLUTION
"""

ADAM_PLOT_CODE = r"""
fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
for ax, name in zip(axes, problems):
    for optimizer, style in (("gd", "-"), ("adam", "--")):
        losses = results[name, optimizer]["losses"]
        ax.plot(np.arange(1, epochs + 1), losses, style, label=f"{optimizer} (lr {learning_rates[optimizer]})")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss")
    ax.set_title(name)
    ax.legend()
fig.tight_layout()
plt.show()
"""

ADAM_FIT_CODE = r"""
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
X_train, y_train = problems["1-variable regression"][:2]
grid = np.linspace(-2, 2, 50)
ax1.scatter(X_train[:, 0], y_train, s=8, color="gray", label="training data")
for optimizer, style in (("gd", "-"), ("adam", "--")):
    w, b = results["1-variable regression", optimizer]["theta"]
    ax1.plot(grid, w * grid + b, style, label=f"{optimizer}: y = {w:.3f} x {b:+.3f}")
ax1.set_title("1-variable regression")
ax1.legend()

X_train, y_train = problems["classification"][:2]
ax2.scatter(X_train[:, 0], X_train[:, 1], c=y_train, cmap="coolwarm", s=10)
for optimizer, style in (("gd", "-"), ("adam", "--")):
    w1, w2, b = results["classification", optimizer]["theta"]
    ax2.plot(grid, -(w1 * grid + b) / w2, style, color="k", label=f"{optimizer}: p = 0.5")
ax2.set_ylim(-4, 4)
ax2.set_title("classification: decision boundaries")
ax2.legend()
fig.tight_layout()
plt.show()
"""

ADAM_DISCUSSION = r"""
## 5. Comparison with Project 2

*Compare training and testing with plain gradient descent: which optimiser gets where, how fast,
and why?*

<!-- BEGIN SOLUTION -->
* **Both reach the same solution.** After 500 epochs GD and Adam agree with the least-squares
  solution of each regression to about four digits (training loss 0.0901 and 0.0937, the noise
  level $0.3^2$), and on the classification both reach a training cross-entropy of about 0.26.
  The test losses are therefore the same as well (0.076 and 0.091 for the regressions, about 0.284
  and 0.285 for the classification, test accuracy 0.90 for both): on these convex problems the
  optimiser changes the path, not the destination, and neither over-fits with 2 or 3 parameters.
* **Speed on the regressions: GD wins.** The regressions are well conditioned (centred inputs of
  similar scale), so GD with learning rate 0.1 contracts every direction quickly: its loss after 50
  epochs is already at the optimum (0.0901 and 0.0937), while Adam is still at 0.106 and 0.125. Adam moves
  each parameter by roughly its learning rate per step, whatever the size of the gradient, so it
  needs about $|\theta^*|/\alpha$ steps (here 40 to 50) to cover the distance, and its momentum
  then makes it overshoot and oscillate a little before settling (the bumps in the dashed curves).
* **Speed on the classification: Adam wins.** The cross-entropy's gradients become small as the
  fit improves, and GD's steps shrink with them (loss 0.331 after 50 epochs, 0.259 after 500);
  Adam divides by $\sqrt{\hat v_t}$ and keeps taking steps of size about $\alpha$ (0.276 after 50
  epochs, 0.258 after 500).
* **In general.** Adam's per-parameter normalisation pays off when gradient scales differ between
  parameters or change during training (badly scaled features, flat regions, sparse gradients) and
  makes the learning rate easier to choose; it is not automatically faster on a well-conditioned
  convex problem, where a well-tuned GD is hard to beat. The bias correction matters in the first
  steps: without it the first Adam step would be about 3.16 times too large.
<!-- END SOLUTION -->
"""


def adam_notebook(names: list[str]) -> NotebookNode:
    return notebook("adam", [
        team_cell(names),
        md(ADAM_INTRO),
        code("import numpy as np\nimport matplotlib.pyplot as plt"),
        md(ADAM_UPDATE_MD),
        code(ADAM_STEP_CODE),
        code(GD_STEP_CODE),
        md(ADAM_CHECK_MD),
        code(ADAM_CHECK_CODE),
        md(ADAM_DATA_MD),
        code(ADAM_DATA_CODE),
        md(ADAM_TRAIN_MD),
        code(ADAM_TRAIN_CODE),
        md(ADAM_RUN_MD),
        code(ADAM_RUN_CODE),
        md("The loss curves of both optimisers (log scale), then the fitted line and the decision "
           "boundaries."),
        code(ADAM_PLOT_CODE),
        code(ADAM_FIT_CODE),
        md(ADAM_DISCUSSION),
    ])


# ============================================================================= gradients notebook
GRAD_INTRO = r"""
# Gradient studies

Five short studies of gradients and step sizes, each from an exercise of the course:

1. vanishing and exploding gradients in deep networks (Exercise sheet 4, Ex 4.1, 5 points);
2. short-circuit connections (Assignment 2, Ex 1);
3. gradient descent and Adam on a ramp with a bump (Assignment 2, Ex 2);
4. gradient descent on a quadratic $J(w) = w^\top H w$ (homework 2, Q5);
5. exact line search with a Hessian-vector product (midterm, Problem 5).

**What the grader reads.** Keep these names and signatures exactly (rtol $10^{-6}$ unless stated):

| name | what it is |
|---|---|
| `backprop_weight_grads(Ws, bs, x, act, dE_dxL)` | the list $[\partial E/\partial W_1, \dots, \partial E/\partial W_L]$ |
| `chain_grads(x, w1, b1, w, b, act="sigmoid", shortcut=False)` | $(dy/dw_1, dy/db_1)$ of the scalar chain |
| `adam_1d(grad_fn, theta0, lr, beta1, beta2, eps, steps)` | Adam's trajectory $\theta_0, \dots, \theta_{steps}$, shape `(steps+1,)` |
| `h_max` | a number: the largest bump height Adam escapes (within $10^{-3}$) |
| `gd_quadratic(H, w0, lr, steps)` | GD iterates on $w^\top H w$, shape `(steps+1, n)` |
| `max_stable_lr(H)` | the supremum of the learning rates for which that GD converges for every $w_0$ |
| `exact_line_search_step(g, Hg)` | the step $\lambda^*$ that minimises $\ell(\Theta - \lambda g)$ |

and a figure of the first layer's gradient norm against depth.

**Submission.** Name the file `gradient_studies_group_NN.ipynb` with your two-digit group number,
list every group member in the first cell, and make sure the notebook runs from top to bottom with
**zero errors** (an error in any cell scores 0).
"""

GRAD_PART1_MD = r"""
## 1. Vanishing and exploding gradients

A deep feed-forward network with $L$ layers computes
$$z^{(l)} = W^{(l)} x^{(l-1)} + b^{(l)}, \qquad x^{(l)} = \sigma(z^{(l)}), \qquad l = 1, \dots, L,$$
with $\sigma$ applied element-wise (the output layer too), and a scalar loss $E$ of $x^{(L)}$.
*Analyse the gradient with respect to the weights of an early layer $W^{(k)}$, $k \ll L$, as the
depth grows. What problems can arise as $L$ becomes very large?*

Write $\delta^{(l)} = \partial E / \partial z^{(l)}$. The chain rule gives the backward pass

$$\delta^{(L)} = \sigma'(z^{(L)}) \odot \nabla_{x^{(L)}} E, \qquad
\delta^{(l)} = \sigma'(z^{(l)}) \odot \big(W^{(l+1)\top} \delta^{(l+1)}\big), \qquad
\frac{\partial E}{\partial W^{(l)}} = \delta^{(l)}\, x^{(l-1)\top}, \qquad
\frac{\partial E}{\partial b^{(l)}} = \delta^{(l)}.$$

Implement it as `backprop_weight_grads(Ws, bs, x, act, dE_dxL)`: `Ws[l-1]` is $W^{(l)}$ of shape
$(n_l, n_{l-1})$, `bs[l-1]` is $b^{(l)}$, `x` is $x^{(0)}$, `act` is `"sigmoid"`, `"tanh"` or
`"relu"`, and `dE_dxL` is $\nabla_{x^{(L)}} E$. Return the list of the $L$ weight gradients. The
activation and the forward pass are given; write the derivative of the activation (for ReLU take
$\sigma'(0) = 0$) and the backward pass.
"""

GRAD_FORWARD_CODE = r'''
import numpy as np
import matplotlib.pyplot as plt


def activation(act, z):
    """sigma(z) for act = "sigmoid", "tanh" or "relu" (the sigmoid written with tanh: no overflow)."""
    if act == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * z))
    if act == "tanh":
        return np.tanh(z)
    if act == "relu":
        return np.maximum(z, 0.0)
    raise ValueError(f"unknown activation {act!r}")


def forward(Ws, bs, x, act):
    """The forward pass: returns xs = [x0, x1, ..., xL] and zs = [z1, ..., zL]."""
    xs, zs = [x], []
    for W, b in zip(Ws, bs):
        zs.append(W @ xs[-1] + b)
        xs.append(activation(act, zs[-1]))
    return xs, zs
'''

GRAD_BACKPROP_CODE = r'''
def activation_prime(act, z):
    """sigma'(z), element-wise."""
    ### BEGIN SOLUTION
    if act == "sigmoid":
        s = activation("sigmoid", z)
        return s * (1.0 - s)
    if act == "tanh":
        return 1.0 - np.tanh(z) ** 2
    if act == "relu":
        return (z > 0).astype(float)
    raise ValueError(f"unknown activation {act!r}")
    ### END SOLUTION


def backprop_weight_grads(Ws, bs, x, act, dE_dxL):
    """[dE/dW1, ..., dE/dWL] by the delta recursion."""
    ### BEGIN SOLUTION
    xs, zs = forward(Ws, bs, x, act)
    L = len(Ws)
    grads = [None] * L
    delta = activation_prime(act, zs[-1]) * dE_dxL
    for l in reversed(range(L)):           # Ws[l] is W^(l+1)
        grads[l] = np.outer(delta, xs[l])
        if l > 0:
            delta = activation_prime(act, zs[l - 1]) * (Ws[l].T @ delta)
    return grads
    ### END SOLUTION
'''

GRAD_AUTOGRAD_CODE = r"""
# Check against torch.autograd on random networks (E = 1/2 ||x_L||^2, so dE/dx_L = x_L).
import torch

rng = np.random.default_rng(1)
torch_act = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}
for act in ("sigmoid", "tanh", "relu"):
    widths = [4, 6, 5, 3]
    Ws = [rng.standard_normal((widths[l + 1], widths[l])) for l in range(3)]
    bs = [rng.standard_normal(widths[l + 1]) for l in range(3)]
    x = rng.standard_normal(widths[0])
    xs, _ = forward(Ws, bs, x, act)
    ours = backprop_weight_grads(Ws, bs, x, act, xs[-1])

    tW = [torch.tensor(W, requires_grad=True) for W in Ws]
    h = torch.tensor(x)
    for W, b in zip(tW, bs):
        h = torch_act[act](W @ h + torch.tensor(b))
    (0.5 * (h**2).sum()).backward()
    err = max(np.max(np.abs(g - W.grad.numpy())) for g, W in zip(ours, tW))
    print(f"{act:8s} largest difference to autograd: {err:.1e}", "OK" if err < 1e-10 else "MISMATCH")
"""

GRAD_DEPTH_MD = r"""
### Gradient norm against depth

Take width 16 everywhere, zero biases, $x^{(0)} \sim N(0, I)$, weights
$W^{(l)}_{ij} \sim N(0, \text{gain}^2/16)$ and $E = \frac12 \|x^{(L)}\|^2$ (so
$\nabla_{x^{(L)}} E = x^{(L)}$). For depths $L = 1, \dots, 30$ compute
$\|\partial E/\partial W^{(1)}\|_F$ for sigmoid (gain 1), tanh (gain 1) and ReLU (gain 4), one
seeded draw per depth, and plot it against $L$ on a log scale.
"""

GRAD_DEPTH_CODE = r'''
settings = [("sigmoid", 1.0), ("tanh", 1.0), ("relu", 4.0)]
depths = np.arange(1, 31)


def first_layer_grad_norm(depth, act, gain, width=16, seed=0):
    """||dE/dW1||_F for one seeded random network of the given depth."""
    ### BEGIN SOLUTION
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(width)
    Ws = [rng.normal(0.0, gain / np.sqrt(width), (width, width)) for _ in range(depth)]
    bs = [np.zeros(width) for _ in range(depth)]
    xs, _ = forward(Ws, bs, x, act)
    return np.linalg.norm(backprop_weight_grads(Ws, bs, x, act, xs[-1])[0])
    ### END SOLUTION


# grad_norms[act, gain]: the array of ||dE/dW1|| for every depth in `depths` (the plot reads it).
### BEGIN SOLUTION
grad_norms = {(act, gain): np.array([first_layer_grad_norm(L, act, gain) for L in depths])
              for act, gain in settings}
for (act, gain), norms in grad_norms.items():
    slope = np.polyfit(depths, np.log10(norms), 1)[0]
    print(f"{act:8s} gain {gain}: ||dE/dW1|| from {norms[0]:.2e} (L=1) to {norms[-1]:.2e} (L=30), "
          f"about {slope:+.2f} decades per layer")
### END SOLUTION
'''

GRAD_DEPTH_PLOT = r"""
fig, ax = plt.subplots(figsize=(7, 4.5))
for (act, gain), norms in grad_norms.items():
    ax.semilogy(depths, norms, "o-", ms=3, label=f"{act}, gain {gain}")
ax.set_xlabel("depth L")
ax.set_ylabel(r"$\|\partial E / \partial W^{(1)}\|_F$")
ax.set_title("Gradient of the first layer against depth")
ax.legend()
ax.grid(True, which="major", alpha=0.3)
plt.show()
"""

GRAD_DEPTH_DISCUSSION = r"""
**Discussion.** *Why does the first layer's gradient vanish or explode, and what problems does
that cause?*

<!-- BEGIN SOLUTION -->
Unrolling the recursion, with $D_l = \operatorname{diag}\sigma'(z^{(l)})$,
$$\frac{\partial E}{\partial W^{(k)}} = \Big(D_k W^{(k+1)\top} D_{k+1} \cdots W^{(L)\top} D_L\, \nabla_{x^{(L)}}E\Big)\, x^{(k-1)\top},
\qquad
\Big\|\frac{\partial E}{\partial W^{(k)}}\Big\| \le \|x^{(k-1)}\|\, \|\nabla_{x^{(L)}}E\| \prod_{l=k}^{L} \max|\sigma'| \prod_{l=k+1}^{L} \|W^{(l)}\|_2 .$$
The gradient of an early layer is a product of $L-k$ Jacobians, so it behaves like
$c^{\,L-k}$ for a typical per-layer factor $c \approx \max|\sigma'|\,\|W\|_2$:

* **Vanishing** ($c < 1$). For the sigmoid $\sigma' \le 1/4$, so with $\|W\|_2 < 4$ the gradient
  shrinks geometrically: in the plot by about two thirds of a decade per layer, from about 2 at
  $L = 1$ to around $10^{-19}$ at $L = 30$. The early layers then barely learn (their updates are negligible against those of the
  last layers), training stalls or needs enormous numbers of steps, and in float32 the gradients
  underflow altogether. Saturated units ($\sigma' \approx 0$) make it worse.
* **Exploding** ($c > 1$). With non-saturating activations and large weights (ReLU with gain 4:
  each layer multiplies a vector's norm by about $4/\sqrt 2 \approx 2.8$) the gradient grows
  geometrically, here by about 0.9 decades per layer to around $10^{27}$ at $L = 30$ (the backward
  product grows by 2.8 per layer, and so does the forward signal, which enters through
  $\nabla_{x^{(L)}} E = x^{(L)}$ and $x^{(k-1)}$). A gradient step then overshoots wildly, the loss
  oscillates or diverges, and values overflow to inf/NaN.
* **Roughly preserved** ($c \approx 1$). tanh with gain 1 changes by less than two decades over 30
  layers (about $-0.06$ decades per layer): its Jacobians are close to norm-preserving near
  $z = 0$, and the slow decay comes from the units that leave the linear region.

The remedies all aim at $c \approx 1$ or at a path around the product: initialisations scaled to
the fan-in (Xavier/Glorot for tanh, He for ReLU), non-saturating activations, normalisation layers
(batch/layer norm), residual (short-circuit) connections, which add an identity term to every
Jacobian, gating in recurrent networks (LSTM/GRU), and gradient clipping against explosions.
<!-- END SOLUTION -->
"""

GRAD_PART2_MD = r"""
## 2. Short-circuit connections

Assignment 2 shows two networks with identical weights: a scalar chain, and the same chain with two
extra short-circuit connections of fixed weight $w_c = 1$. As printed (the bias $b_1$ enters
layers 1, 3 and 5, $b$ layers 2 and 4):
$$h_1 = \sigma(w_1 x + b_1),\; h_2 = \sigma(w h_1 + b),\; h_3 = \sigma(w h_2 + b_1),\; h_4 = \sigma(w h_3 + b),\; y = \sigma(w h_4 + b_1).$$
The figure is missing; we place the two short cuts so that each skips one layer: $h_1$ is added to
the pre-activation of layer 3 and $h_3$ to that of the output,
$h_3^* = \sigma(w h_2^* + b_1 + h_1)$ and $y^* = \sigma(w h_4^* + b_1 + h_3^*)$.
The exercise asks to *show that $|dy/dw_1| \le |dy^*/dw_1|$ and $|dy/db_1| \le |dy^*/db_1|$* for
any activation with $\sigma' > 0$.

Implement `chain_grads(x, w1, b1, w, b, act="sigmoid", shortcut=False)` returning
$(dy/dw_1, dy/db_1)$ for `act` `"sigmoid"` or `"tanh"`, with the short cuts when `shortcut=True`.
Then test the claim numerically.
"""

GRAD_CHAIN_CODE = r'''
def chain_grads(x, w1, b1, w, b, act="sigmoid", shortcut=False):
    """(dy/dw1, dy/db1) of the scalar chain, b1 in layers 1, 3, 5; optional short cuts."""
    ### BEGIN SOLUTION
    s = 1.0 if shortcut else 0.0
    z1 = w1 * x + b1
    h1 = activation(act, z1)
    z2 = w * h1 + b
    h2 = activation(act, z2)
    z3 = w * h2 + b1 + s * h1
    h3 = activation(act, z3)
    z4 = w * h3 + b
    h4 = activation(act, z4)
    z5 = w * h4 + b1 + s * h3
    d1, d2, d3, d4, d5 = (activation_prime(act, z) for z in (z1, z2, z3, z4, z5))

    # backward: dy/dh_l, then collect every place where w1 and b1 enter
    dy_dz5 = d5
    dy_dh4 = w * dy_dz5
    dy_dz4 = d4 * dy_dh4
    dy_dh3 = w * dy_dz4 + s * dy_dz5
    dy_dz3 = d3 * dy_dh3
    dy_dh2 = w * dy_dz3
    dy_dz2 = d2 * dy_dh2
    dy_dh1 = w * dy_dz2 + s * dy_dz3
    dy_dz1 = d1 * dy_dh1
    return float(dy_dz1 * x), float(dy_dz1 + dy_dz3 + dy_dz5)
    ### END SOLUTION
'''

GRAD_CHAIN_CHECK = r"""
# Check against autograd at a few random points.
import torch

def chain_torch(x, w1, b1, w, b, act, shortcut):
    f = torch.sigmoid if act == "sigmoid" else torch.tanh
    w1 = torch.tensor(w1, dtype=torch.float64, requires_grad=True)
    b1 = torch.tensor(b1, dtype=torch.float64, requires_grad=True)
    s = 1.0 if shortcut else 0.0
    h1 = f(w1 * x + b1)
    h2 = f(w * h1 + b)
    h3 = f(w * h2 + b1 + s * h1)
    h4 = f(w * h3 + b)
    f(w * h4 + b1 + s * h3).backward()
    return w1.grad.item(), b1.grad.item()

rng = np.random.default_rng(2)
err = 0.0
for _ in range(20):
    params = tuple(float(p) for p in rng.normal(0, 1.5, size=5))
    for act in ("sigmoid", "tanh"):
        for shortcut in (False, True):
            ours = chain_grads(*params, act=act, shortcut=shortcut)
            err = max(err, np.max(np.abs(np.subtract(ours, chain_torch(*params, act, shortcut)))))
print(f"largest difference to autograd: {err:.1e}", "OK" if err < 1e-12 else "MISMATCH")
"""

GRAD_CHAIN_EXPERIMENT = r"""
# Compare both networks at x=1, w1=1, b1=0, w=1, b=0, and count how often each inequality fails
# over random draws of the parameters, for sigmoid and tanh.
### BEGIN SOLUTION
plain_net = chain_grads(1.0, 1.0, 0.0, 1.0, 0.0)
shortcut_net = chain_grads(1.0, 1.0, 0.0, 1.0, 0.0, shortcut=True)
print("x=1, w1=1, b1=0, w=1, b=0 (sigmoid)")
print(f"  chain:    dy/dw1 = {plain_net[0]:.8f}, dy/db1 = {plain_net[1]:.8f}")
print(f"  shortcut: dy/dw1 = {shortcut_net[0]:.8f}, dy/db1 = {shortcut_net[1]:.8f}")

rng = np.random.default_rng(3)
draws = 2000
for act in ("sigmoid", "tanh"):
    bad_w1 = bad_b1 = 0
    for _ in range(draws):
        scale = rng.uniform(0.1, 4.0)
        x, w1, b1, w, b = rng.normal(0.0, scale, size=5)
        dw, db = chain_grads(x, w1, b1, w, b, act)
        dws, dbs = chain_grads(x, w1, b1, w, b, act, shortcut=True)
        bad_w1 += abs(dw) > abs(dws) + 1e-15
        bad_b1 += abs(db) > abs(dbs) + 1e-15
    print(f"{act:8s}: |dy/dw1| > |dy*/dw1| in {bad_w1} of {draws} draws, "
          f"|dy/db1| > |dy*/db1| in {bad_b1} of {draws}")
### END SOLUTION
"""

GRAD_CHAIN_DISCUSSION = r"""
**Is the claim true?**

<!-- BEGIN SOLUTION -->
**Not in general: the statement of the exercise is false as printed.** Already at $x = 1$,
$w_1 = 1$, $b_1 = 0$, $w = 1$, $b = 0$ with the sigmoid, $dy/db_1 = 0.23640472$ for the chain
against $dy^*/db_1 = 0.18535320$ with the short cuts, and the random draws above violate both
inequalities in a sizeable fraction of cases, for sigmoid and for tanh.

The intended argument is path counting. Write $s_l = \sigma'(z_l)$. In the chain the only path
from $w_1$ to $y$ gives $dy/dw_1 = x\, s_1 s_2 s_3 s_4 s_5\, w^4$. With the short cuts (and $b_1$
only in layer 1 for simplicity) there are four paths,
$$\frac{dy^*}{dw_1} = x\, s_1 s_3 s_5\, (w^2 s_2 + 1)(w^2 s_4 + 1),$$
and every skip replaces a factor $w \cdot w$ by 1, so all path products have the same sign and
the extra paths can only add: $|dy/dw_1| \le |dy^*/dw_1|$ **if the slopes $s_l$ are the same in
both networks**. They are not: with identical weights the short cuts change the pre-activations
$z_3$ and $z_5$, hence $\sigma'(z_3)$ and $\sigma'(z_5)$, and a saturating activation can lose
more there than the extra paths add. (With $b_1$ tied in layers 1, 3 and 5 the direct term
$\sigma'(z_5)$ of $dy/db_1$ shrinks because the short cut raises $z_5$: exactly the example above.)

The inequality does hold when the slopes are frozen (pure path counting) or for the identity
activation, where every skip that bypasses one layer keeps all path products of one sign. So the
exercise's conclusion, "short cuts help gradients flow", is right as a tendency, not as an
inequality for every weight setting.
<!-- END SOLUTION -->
"""

GRAD_PART3_MD = r"""
## 3. Gradient descent and Adam on a ramp with a bump

Assignment 2 plots a 1-D function: gradient descent starts at the point 'o', the function
decreases towards a bump a distance $L = 1$ away, whose foot is the local minimum 'x', and the
bump is $h$ high and $2h$ wide; the learning rate is $a = 0.3$ and $h > a$. The figure is
missing, so we fix the model: $f$ has slope $-1$ on $[0, L)$ (the ramp), $+1$ on $[L, L+h)$ and
$-1$ from the peak $L + h$ on, so crossing the peak means escaping.

1. *What happens with standard gradient descent?*
2. *With Adam ($\alpha = 0.3$, $\beta_1 = 0.9$, $\beta_2 = 0.999$, $\epsilon = 0$), what is the
   largest bump height $h$ that Adam escapes?*

Implement `adam_1d(grad_fn, theta0, lr, beta1, beta2, eps, steps)` (the trajectory including
$\theta_0$, shape `(steps+1,)`) and find the largest height by simulation; store it in `h_max`.
"""

GRAD_BUMP_CODE = r'''
L = 1.0


def ramp_bump_grad(theta, h):
    """f'(theta): -1 on the ramp, +1 up the bump [L, L+h), -1 beyond the peak."""
    if theta < L:
        return -1.0
    if theta < L + h:
        return 1.0
    return -1.0
'''

GRAD_GD_CODE = r"""
# (1) Gradient descent from theta = 0 with lr 0.3 on a bump of height h = 0.35: keep the iterates
# in the list gd_trajectory (plotted below).
### BEGIN SOLUTION
theta, gd_trajectory = 0.0, [0.0]
for _ in range(10):
    theta = theta - 0.3 * ramp_bump_grad(theta, h=0.35)
    gd_trajectory.append(theta)
print("GD, h = 0.35:", np.round(gd_trajectory, 3))
### END SOLUTION
"""

GRAD_ADAM1D_CODE = r'''
def adam_1d(grad_fn, theta0, lr, beta1, beta2, eps, steps):
    """Adam in one dimension; returns theta_0, ..., theta_steps as an array of shape (steps+1,)."""
    ### BEGIN SOLUTION
    theta, m, v = float(theta0), 0.0, 0.0
    trajectory = [theta]
    for t in range(1, steps + 1):
        g = grad_fn(theta)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        trajectory.append(theta)
    return np.array(trajectory)
    ### END SOLUTION
'''

GRAD_HMAX_CODE = r"""
# (2) Simulate adam_1d (lr 0.3, beta1 0.9, beta2 0.999, eps 0) from theta = 0, decide whether it
# crosses the peak, and bisect over h: store the largest height Adam escapes in h_max.
### BEGIN SOLUTION
def escapes(h, steps=300):
    trajectory = adam_1d(lambda th: ramp_bump_grad(th, h), 0.0, 0.3, 0.9, 0.999, 0.0, steps)
    return trajectory.max() > L + h          # crossed the peak


low, high = 0.3, 1.0                         # escapes at 0.3, stuck at 1.0
assert escapes(low) and not escapes(high)
while high - low > 1e-12:
    mid = 0.5 * (low + high)
    low, high = (mid, high) if escapes(mid) else (low, mid)
h_max = low
print(f"h_max = {h_max:.9f}")
### END SOLUTION
"""

GRAD_BUMP_PLOT = r"""
fig, ax = plt.subplots(figsize=(8, 4))
for h, style in ((0.40, "-"), (0.42, "--")):
    trajectory = adam_1d(lambda th: ramp_bump_grad(th, h), 0.0, 0.3, 0.9, 0.999, 0.0, 40)
    ax.plot(trajectory, style + ".", label=f"Adam, h = {h}")
ax.plot(gd_trajectory, ":.", label="GD, h = 0.35")
ax.axhline(L, color="gray", lw=0.8)
ax.axhline(L + h_max, color="red", lw=0.8, label=f"L + h_max = {L + h_max:.4f}")
ax.set_xlabel("step")
ax.set_ylabel(r"$\theta$")
ax.set_ylim(-0.1, 2.0)
ax.legend()
plt.show()
"""

GRAD_BUMP_DISCUSSION = r"""
**Answers.**

<!-- BEGIN SOLUTION -->
1. **GD gets stuck at 'x'.** Every step has length exactly $a = 0.3$: $0 \to 0.3 \to 0.6 \to 0.9
   \to 1.2$, which is $0.2$ up the bump, where the gradient $+1$ sends it back to $0.9$: a 2-cycle
   around the foot $x = 1$. Whatever the phase, one step from the foot climbs at most $a = 0.3 < h$,
   so GD can never reach the peak (the sheet's answer).
2. **Adam escapes iff $h < h_{\max} = 0.410184295$.** With $\epsilon = 0$ and every $|g| = 1$,
   $\hat v_t = 1$ exactly, so each step is $-a\,\hat m_t$. On the ramp $\hat m_t = -1$: the first
   four steps are exactly $+0.3$ and land at $1.2$, $0.2$ up the bump. After $n = 4$ ramp
   gradients and $k$ bump gradients, $m = 1 - 2\beta_1^k + \beta_1^{n+k}$ and $\hat m = m/(1-\beta_1^{n+k})$:
   * $k = 1$: $m_5 = -0.209510$, $\hat m_5 = -0.511611$, $\theta_5 = 1.3534834$;
   * $k = 2$: $m_6 = -0.088559$, $\hat m_6 = -0.189003$, $\theta_6 = 1.4101843$;
   * $k = 3$: $m_7 = +0.020297 > 0$: Adam turns back.

   So the momentum carries Adam up to $1 + 0.2 + 0.3 \cdot 0.511611 + 0.3 \cdot 0.189003 =
   1.410184295$, and it escapes exactly when the peak $L + h$ is below that point:
   $h_{\max} = 0.410184295$, which the bisection on the full simulation reproduces. Later
   excursions are smaller, so the first one decides. The answer depends on the assumed shape
   (slope of the ramp, $L$, the shape of the cap); it is consistent with the sheet's premise
   $h > a$, since $0.3 < h < 0.41$ is a non-empty window in which Adam escapes and GD does not.
<!-- END SOLUTION -->
"""

GRAD_PART4_MD = r"""
## 4. Gradient descent on $J(w) = w^\top H w$

Let $H$ be symmetric positive definite with eigendecomposition $H = Q \Lambda Q^\top$, and run
gradient descent $w \leftarrow w - \epsilon \nabla J(w)$ on $J(w) = w^\top H w$.

a. Write the update in terms of $Q$ and $\Lambda$. b. Give $w_t$ in closed form. c. For which
$\epsilon$ does it converge (for every $w_0$)? d. What does Newton's method do?

Implement `gd_quadratic(H, w0, lr, steps)` (the iterates $w_0, \dots, w_{steps}$ as rows, shape
`(steps+1, n)`) and `max_stable_lr(H)`, the supremum of the learning rates for which this
iteration converges for every $w_0$. Mind the factor 2 in the gradient of $w^\top H w$.
"""

GRAD_QUAD_CODE = r'''
def gd_quadratic(H, w0, lr, steps):
    """GD iterates on J(w) = w^T H w, shape (steps+1, n)."""
    ### BEGIN SOLUTION
    ws = [np.array(w0, dtype=float)]
    for _ in range(steps):
        ws.append(ws[-1] - lr * 2 * (H @ ws[-1]))
    return np.array(ws)
    ### END SOLUTION


def max_stable_lr(H):
    """Supremum of the learning rates for which GD on w^T H w converges for every w0."""
    ### BEGIN SOLUTION
    return 1.0 / np.linalg.eigvalsh(H).max()
    ### END SOLUTION
'''

GRAD_QUAD_DEMO = r"""
rng = np.random.default_rng(5)
Q, _ = np.linalg.qr(rng.standard_normal((6, 6)))
H = Q @ np.diag([0.1, 0.5, 1.0, 2.0, 3.0, 5.0]) @ Q.T
w0 = rng.standard_normal(6)
bound = max_stable_lr(H)
print(f"max_stable_lr(H) = {bound:.4f}")
fig, ax = plt.subplots(figsize=(7, 4))
for factor in (0.5, 0.99, 1.0, 1.01):
    norms = np.linalg.norm(gd_quadratic(H, w0, factor * bound, 200), axis=1)
    print(f"lr = {factor:4.2f} x bound: ||w_200|| = {norms[-1]:.3g}")
    ax.semilogy(norms, label=f"lr = {factor} x bound")
ax.set_xlabel("step t")
ax.set_ylabel(r"$\|w_t\|$")
ax.legend()
plt.show()
"""

GRAD_QUAD_DISCUSSION = r"""
**Answers.**

<!-- BEGIN SOLUTION -->
a. $\nabla J(w) = 2Hw$, so $w_{\text{new}} = w - 2\epsilon H w = Q(I - 2\epsilon\Lambda)Q^\top w$.

b. $w_t = Q (I - 2\epsilon \Lambda)^t Q^\top w_0$: in the eigenbasis each component is multiplied
   by $1 - 2\epsilon\lambda_i$ per step.

c. It converges for every $w_0$ iff $|1 - 2\epsilon\lambda_i| < 1$ for every eigenvalue, i.e.
   $0 < \epsilon < 1/\lambda_{\max}$, so `max_stable_lr(H)` $= 1/\lambda_{\max}$ (the homework's
   answer is right for $J = w^\top H w$). At exactly $1/\lambda_{\max}$ the top component flips
   sign forever (the flat curve above) and beyond it diverges. With the other common convention
   $J = \frac12 w^\top H w$ the gradient is $Hw$ and the bound doubles to $2/\lambda_{\max}$, a
   frequent source of a factor 2. The condition is element-wise on the eigenvalues (not a matrix
   inequality); the best constant step is $\epsilon^* = 1/(\lambda_{\min} + \lambda_{\max})$ with
   rate $(\kappa - 1)/(\kappa + 1)$.

d. The Hessian is $2H$, so Newton's step is $w - \eta (2H)^{-1} 2Hw = (1 - \eta) w$: with
   $\eta = 1$ it lands on the minimiser $w = 0$ in one step, whatever the conditioning, and it
   converges iff $0 < \eta < 2$. Its price: forming and solving with the Hessian ($O(n^2)$ memory,
   $O(n^3)$ time), attraction to saddle points when the Hessian is indefinite, and noisy Hessians
   with mini-batches.
<!-- END SOLUTION -->
"""

GRAD_PART5_MD = r"""
## 5. Exact line search with a Hessian-vector product

$\ell(\Theta)$ is quadratic, so its Hessian $H$ is constant. At $\Theta$ we know the gradient $g$
and, by complex-step differentiation, the Hessian-vector product $\dot g = Hg$. *For which
$\lambda$ is $\ell(\Theta - \lambda g)$ smallest?*

The exam's hint writes the second-order expansion as
$\ell(\Theta + \Delta\Theta) = \ell(\Theta) + g \cdot \Delta\Theta + \Delta\Theta^\top H \Delta\Theta$;
the factor $\frac12$ is missing there. The expansion, exact for a quadratic, is
$$\ell(\Theta + \Delta\Theta) = \ell(\Theta) + g \cdot \Delta\Theta + \tfrac12\, \Delta\Theta^\top H\, \Delta\Theta .$$
Taken literally, the misprint would give a step half as long. Implement
`exact_line_search_step(g, Hg)`; you may assume $g \cdot Hg > 0$.
"""

GRAD_LINE_CODE = r'''
def exact_line_search_step(g, Hg):
    """lambda* minimising l(Theta - lambda g) for quadratic l, given g and Hg (g.Hg > 0)."""
    ### BEGIN SOLUTION
    return float(g @ g) / float(g @ Hg)
    ### END SOLUTION
'''

GRAD_LINE_DEMO = r"""
# A random quadratic l(theta) = 1/2 theta^T A theta - c^T theta; Hg by complex-step differentiation.
rng = np.random.default_rng(6)
Q, _ = np.linalg.qr(rng.standard_normal((8, 8)))
A = Q @ np.diag(rng.uniform(0.5, 10.0, 8)) @ Q.T
c = rng.standard_normal(8)
loss = lambda th: 0.5 * th @ A @ th - c @ th
grad = lambda th: A @ th - c
theta = rng.standard_normal(8)
g = grad(theta)
Hg = np.imag(grad(theta + 1e-20j * g)) / 1e-20        # complex step: exact to rounding
lam = exact_line_search_step(g, Hg)
grid = np.linspace(0.0, 3 * lam, 3001)
best = grid[np.argmin([loss(theta - s * g) for s in grid])]
print(f"Hg by complex step vs A @ g: {np.max(np.abs(Hg - A @ g)):.1e}")
print(f"lambda* = {lam:.6f}; best of a grid of 3001 steps: {best:.6f}")
print(f"decrease {loss(theta - lam * g) - loss(theta):.6f} = -|g|^4 / (2 g.Hg) = {-(g @ g) ** 2 / (2 * g @ Hg):.6f}")
"""

GRAD_LINE_DISCUSSION = r"""
**Answer.**

<!-- BEGIN SOLUTION -->
With $\Delta\Theta = -\lambda g$,
$$\ell(\Theta - \lambda g) = \ell(\Theta) - \lambda \|g\|^2 + \tfrac12 \lambda^2\, g \cdot Hg,$$
a parabola in $\lambda$. If $g \cdot Hg > 0$ its derivative $-\|g\|^2 + \lambda\, g\cdot Hg$
vanishes at
$$\lambda^* = \frac{\|g\|^2}{g \cdot Hg},$$
the exam's final answer (its intermediate line already restores the $\frac12$), and the loss
decreases by $\|g\|^4 / (2\, g \cdot Hg)$. If $g \cdot Hg \le 0$ the loss is unbounded below along
$-g$ (or linear) and there is no minimising step. The Hessian is never formed: one
Hessian-vector product, e.g. by complex step $\operatorname{Im} \nabla\ell(\Theta + i h g)/h$ with
$h = 10^{-20}$, suffices.
<!-- END SOLUTION -->
"""


def gradients_notebook(names: list[str]) -> NotebookNode:
    return notebook("gradients", [
        team_cell(names),
        md(GRAD_INTRO),
        md(GRAD_PART1_MD),
        code(GRAD_FORWARD_CODE),
        code(GRAD_BACKPROP_CODE),
        code(GRAD_AUTOGRAD_CODE),
        md(GRAD_DEPTH_MD),
        code(GRAD_DEPTH_CODE),
        code(GRAD_DEPTH_PLOT),
        md(GRAD_DEPTH_DISCUSSION),
        md(GRAD_PART2_MD),
        code(GRAD_CHAIN_CODE),
        code(GRAD_CHAIN_CHECK),
        code(GRAD_CHAIN_EXPERIMENT),
        md(GRAD_CHAIN_DISCUSSION),
        md(GRAD_PART3_MD),
        code(GRAD_BUMP_CODE),
        code(GRAD_GD_CODE),
        code(GRAD_ADAM1D_CODE),
        code(GRAD_HMAX_CODE),
        code(GRAD_BUMP_PLOT),
        md(GRAD_BUMP_DISCUSSION),
        md(GRAD_PART4_MD),
        code(GRAD_QUAD_CODE),
        code(GRAD_QUAD_DEMO),
        md(GRAD_QUAD_DISCUSSION),
        md(GRAD_PART5_MD),
        code(GRAD_LINE_CODE),
        code(GRAD_LINE_DEMO),
        md(GRAD_LINE_DISCUSSION),
    ])


# ============================================================================= example uploads
TUTOR_NAMES = ["Ada Lovelace", "Alan Turing"]
CODE_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
MD_MARKERS = ("<!-- BEGIN SOLUTION -->", "<!-- END SOLUTION -->")


def as_student_upload(nb: NotebookNode, names: list[str]) -> NotebookNode:
    """A copy of a solved notebook as a student would upload it: markers gone, own names."""
    out = nbformat.reads(nbformat.writes(nb), as_version=4)
    for cell in out.cells:
        markers = CODE_MARKERS if cell.cell_type == "code" else MD_MARKERS
        cell.source = "\n".join(line for line in cell.source.split("\n")
                                if line.strip() not in markers)
    out.cells[0] = team_cell(names, solution=False)
    out.cells[0]["id"] = nb.cells[0]["id"]
    return out


def replace_once(nb: NotebookNode, old: str, new: str) -> NotebookNode:
    """Replace `old` (which must occur exactly once in the whole notebook) by `new`."""
    hits = [c for c in nb.cells if old in c.source]
    if len(hits) != 1 or hits[0].source.count(old) != 1:
        raise ValueError(f"{old!r} occurs {sum(c.source.count(old) for c in nb.cells)} times")
    hits[0].source = hits[0].source.replace(old, new)
    return nb


def append_code(nb: NotebookNode, source: str) -> NotebookNode:
    cell = code(source)
    cell["id"] = f"{nb.cells[-1]['id'].rsplit('-', 1)[0]}-{len(nb.cells) + 1:02d}"
    nb.cells.append(cell)
    return nb


@dataclass(frozen=True)
class Upload:
    """One example upload: where it goes, how it is made, and what it should get."""

    path: str
    make: Callable[[], NotebookNode]
    expected: str


def adam_no_bias_correction() -> NotebookNode:
    nb = as_student_upload(adam_notebook(TUTOR_NAMES), ["Grace Hopper", "Edsger Dijkstra", "Barbara Liskov"])
    return replace_once(nb, (
        "    m_hat = m / (1 - beta1**t)\n"
        "    v_hat = v / (1 - beta2**t)\n"
        "    theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)\n"),
        "    # the bias correction only matters for the first few steps, so we leave it out\n"
        "    theta = theta - lr * m / (np.sqrt(v) + eps)\n")


def adam_key_error() -> NotebookNode:
    nb = as_student_upload(adam_notebook(TUTOR_NAMES), ["Kurt Goedel", "Emmy Noether", "John von Neumann"])
    return append_code(nb, 'print("final GD loss:", results["1-variable regression", "sgd"]["losses"][-1])')


def adam_memory_blowup() -> NotebookNode:
    nb = as_student_upload(adam_notebook(TUTOR_NAMES), ["Ada Byron", "Charles Babbage"])
    return append_code(nb, (
        "# sanity check: the least-squares fit is the projection of y with the hat matrix\n"
        "X_big = np.random.default_rng(0).normal(size=(200_000, 3))\n"
        "hat = X_big @ np.linalg.pinv(X_big)   # 200000 x 200000 floats: 320 GB\n"
        "print(hat.shape)"))


def gradients_half_convention() -> NotebookNode:
    nb = as_student_upload(gradients_notebook(TUTOR_NAMES), ["Claude Shannon", "Sophie Germain"])
    nb = replace_once(nb, "ws.append(ws[-1] - lr * 2 * (H @ ws[-1]))", "ws.append(ws[-1] - lr * (H @ ws[-1]))")
    return replace_once(nb, "return 1.0 / np.linalg.eigvalsh(H).max()", "return 2.0 / np.linalg.eigvalsh(H).max()")


def gradients_type_error() -> NotebookNode:
    nb = as_student_upload(gradients_notebook(TUTOR_NAMES), ["Srinivasa Ramanujan", "Mary Somerville"])
    return replace_once(nb, "lam = exact_line_search_step(g, Hg)", "lam = exact_line_search_step(g, Hg, A)")


ADAM_UPLOAD = "submissions/adam/adam_regression_classification_solved_group_{}.ipynb"
GRAD_UPLOAD = "submissions/gradients/gradient_studies_group_{}.ipynb"
UPLOADS = (
    Upload(ADAM_UPLOAD.format("01"),
           lambda: as_student_upload(adam_notebook(TUTOR_NAMES), ["Katherine Johnson", "Dorothy Vaughan", "Mary Jackson"]),
           "graded, 5/5: every check passes"),
    Upload(ADAM_UPLOAD.format("02"), adam_no_bias_correction,
           "graded, 1/5: adam_step, adam_chain, train_linreg, train_logreg fail (no bias correction); "
           "gd_step and figure pass"),
    Upload(ADAM_UPLOAD.format("7"),
           lambda: as_student_upload(adam_notebook(TUTOR_NAMES), ["Hedy Lamarr", "Rosalind Franklin"]),
           "rejected, 0: the group number must have two digits (..._group_07.ipynb)"),
    Upload(ADAM_UPLOAD.format("03"), adam_key_error,
           "run-error, 0: cell 19: KeyError: ('1-variable regression', 'sgd')"),
    Upload(ADAM_UPLOAD.format("04"), adam_memory_blowup,
           "crashed, 0: the last cell asks for a 200000 x 200000 matrix (320 GB), past the "
           "4096 MB memory limit"),
    Upload(GRAD_UPLOAD.format("01"),
           lambda: as_student_upload(gradients_notebook(TUTOR_NAMES), ["Leonhard Euler", "Carl Friedrich Gauss"]),
           "graded, 10/10: every check passes"),
    Upload(GRAD_UPLOAD.format("02"), gradients_half_convention,
           "graded, 8/10: gd_quadratic and max_stable_lr fail (J = 1/2 w^T H w convention); "
           "the rest pass"),
    Upload(GRAD_UPLOAD.format("7"),
           lambda: as_student_upload(gradients_notebook(TUTOR_NAMES), ["Pierre de Fermat", "Blaise Pascal"]),
           "rejected, 0: the group number must have two digits (..._group_07.ipynb)"),
    Upload(GRAD_UPLOAD.format("03"), gradients_type_error,
           "run-error, 0: cell 29: TypeError: exact_line_search_step() takes 2 positional arguments "
           "but 3 were given"),
)


def outputs() -> dict[str, NotebookNode]:
    """Every file this script writes, path (relative to the repository) -> notebook."""
    files = {
        "reference/notebooks/adam.ipynb": adam_notebook(TUTOR_NAMES),
        "reference/notebooks/gradients.ipynb": gradients_notebook(TUTOR_NAMES),
    }
    files.update({u.path: u.make() for u in UPLOADS})
    return files


def render(nb: NotebookNode) -> str:
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a written file is out of date")
    args = parser.parse_args(argv)
    stale = []
    for rel, nb in outputs().items():
        path = ROOT / rel
        text = render(nb)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(rel)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {rel}")
    for rel in stale:
        print(f"out of date: {rel}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())

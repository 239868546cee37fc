"""Build the solved reference notebooks of the `xor` and `conv3d` assignments and their example
uploads.

    python tools/build_notebooks_xor_conv3d.py           # (re)write every file below
    python tools/build_notebooks_xor_conv3d.py --check   # exit 1 if a file is out of date

Writes, without outputs, with fixed cell ids and fixed zip timestamps (a rebuild is
byte-identical):

* reference/notebooks/xor.ipynb (seed 001, Ex 6.1 and 6.2) and reference/notebooks/conv3d.ipynb
  (seed 003, Problem 3): the tutor's model solutions. Solutions sit between `### BEGIN SOLUTION`
  / `### END SOLUTION` lines (code) or `<!-- BEGIN SOLUTION -->` / `<!-- END SOLUTION -->`
  (markdown); `grade release` turns them into stubs. Graded functions keep their `def` and
  docstring outside the markers, so the student version defines them and they raise only when
  called.
* submissions/xor/*.zip and submissions/conv3d/*.ipynb: the bundled example uploads, made from
  the reference by string replacement (markers stripped, as a student's file would be). UPLOADS
  below says what each one should get.

The notebooks import only torch, numpy, matplotlib and the standard library (never `reference`:
the grading kernel cannot import it). Self-checks in the notebooks print their result instead of
asserting, so a wrong function costs that function's points and not the whole notebook (conv3d
has the zero-error rule on).
"""

from __future__ import annotations

import argparse
import io
import sys
import textwrap
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import nbformat
from nbformat.notebooknode import NotebookNode

ROOT = Path(__file__).resolve().parent.parent
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
CODE_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
MD_MARKERS = ("<!-- BEGIN SOLUTION -->", "<!-- END SOLUTION -->")
ZIP_DATE = (2021, 1, 5, 21, 30, 0)   # fixed member timestamps: reproducible zip bytes


def md(text: str) -> NotebookNode:
    return nbformat.v4.new_markdown_cell(textwrap.dedent(text).strip("\n"))


def code(text: str) -> NotebookNode:
    return nbformat.v4.new_code_cell(textwrap.dedent(text).strip("\n"))


def notebook(prefix: str, cells: list[NotebookNode]) -> NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    for i, cell in enumerate(cells, start=1):
        cell["id"] = f"{prefix}-{i:02d}"
    nb.cells = cells
    return nb


@dataclass(frozen=True)
class Member:
    name: str
    student_id: str
    teams_user: str


TUTOR = Member("Ada Lovelace", "1234567", "ada.lovelace")


def team_table(members: list[Member]) -> str:
    rows = "\n".join(f"| {m.name} | {m.student_id} | {m.teams_user} |" for m in members)
    return "| name | student id | Teams user name |\n|---|---|---|\n" + rows


def team_cell(body: str, solution: bool = True) -> NotebookNode:
    if solution:
        return md(f"# Team\n{MD_MARKERS[0]}\n{body}\n{MD_MARKERS[1]}")
    return md(f"# Team\n{body}")


# ============================================================================= xor notebook
XOR_INTRO = r"""
# Sheet 6: computation graphs and gradient descent (the notebook part)

*NNTI, Exercise Sheet 6: Exercise 6.1 (1+1+1 points) and Exercise 6.2 (1+1+3 points).*

The theory answers (the proofs of 6.1, the drawn graph of 6.2a, the answers of 6.3) go into a PDF.
This notebook implements what the sheet asks you to compute: the sigmoid with its derivative and
its Taylor polynomial (6.1), and the computation graph of the XOR network with its hand-derived
gradients and an autograd training loop in PyTorch (6.2). Explain what you do in the markdown
cells: the sheet requires explanations there.

**What the grader calls.** Keep these names and signatures exactly. The grader calls each
function with fresh random float64 **torch tensors** (scalars as 0-d tensors) and compares the
result with a reference solution (rtol $10^{-6}$, atol $10^{-9}$); return torch tensors, with or
without gradient history.

| name | what it computes |
|---|---|
| `sigmoid(x)` | $\sigma(x) = 1/(1+e^{-x})$, element-wise |
| `sigmoid_prime(x)` | $\sigma'(x)$ in the form of 6.1a |
| `sigmoid_taylor(x)` | the first three non-zero terms of the Taylor series of $\sigma$ at 0 |
| `forward(X, Wi, ba, Wo, bo)` | $\hat y$ of Eq. (2) for a batch `X` of shape (N, 2), shape (N,) |
| `loss_fn(yhat, y)` | the loss of Eq. (3), a 0-d tensor |
| `manual_grads(X, y, Wi, ba, Wo, bo)` | the partial derivatives of 6.2b, a dict with keys `"Wi"`, `"ba"`, `"Wo"`, `"bo"` |

After your training loop, the variables `Wi, ba, Wo, bo` must hold trained parameters that solve
XOR: the grader runs the reference forward pass on them and thresholds at 0.5.

**Submission.** One zip `sheet06_<id>.zip`, with the 7-digit student ids of all team members
joined by `_` (for example `sheet06_1234567_7654321.zip`), holding exactly one PDF with the
theory answers and exactly this notebook, completed. Fill in the first cell: name, student id
and Teams user name of every member; every id in the file name must appear there.
"""

XOR_IMPORTS = r"""
import time

import matplotlib.pyplot as plt
import torch

DTYPE = torch.float64
"""

XOR_61A_MD = r"""
## Exercise 6.1: the sigmoid and its Taylor series

$$\sigma(x) = \frac{1}{1 + e^{-x}}$$

**a)** Prove that $\sigma'(x) = \sigma(x) - \sigma^2(x)$.

*Note:* the printed sheet lost the minus sign and reads "$\sigma(x)\,\sigma^2(x)$". The derivative
is the **difference** $\sigma - \sigma^2 = \sigma(1-\sigma)$, not the product $\sigma^3$: at
$x = 0$ the slope is $1/4$, while $\sigma(0)^3 = 1/8$.

Then implement `sigmoid` and `sigmoid_prime` for torch tensors. Make `sigmoid` safe for large
$|x|$: `torch.exp(-x)` overflows to `inf` for $x < -710$ in float64.

<!-- BEGIN SOLUTION -->
**Proof.** By the chain rule,

$$\sigma'(x) = \frac{d}{dx}\left(1 + e^{-x}\right)^{-1} = \frac{e^{-x}}{(1+e^{-x})^2}
= \frac{1}{1+e^{-x}} \cdot \frac{e^{-x}}{1+e^{-x}} = \sigma(x)\bigl(1 - \sigma(x)\bigr)
= \sigma(x) - \sigma^2(x),$$

because $\frac{e^{-x}}{1+e^{-x}} = \frac{(1+e^{-x}) - 1}{1+e^{-x}} = 1 - \sigma(x)$.

**Stable evaluation.** With $e = e^{-|x|} \le 1$ we have $\sigma(x) = 1/(1+e)$ for $x \ge 0$ and
$\sigma(x) = e/(1+e)$ for $x < 0$; neither branch can overflow, so `torch.where` never sees an
`inf` (and autograd never sees a `nan`).
<!-- END SOLUTION -->
"""

XOR_SIGMOID_CODE = r'''
def sigmoid(x):
    """The logistic function 1 / (1 + exp(-x)), element-wise.

    x: a torch tensor of any shape. Returns a tensor of the same shape.
    """
    ### BEGIN SOLUTION
    e = torch.exp(-torch.abs(x))          # in (0, 1]: never overflows
    return torch.where(x >= 0, 1 / (1 + e), e / (1 + e))
    ### END SOLUTION


def sigmoid_prime(x):
    """The derivative of the sigmoid in the form of 6.1a, element-wise, same shape as x."""
    ### BEGIN SOLUTION
    s = sigmoid(x)
    return s - s**2
    ### END SOLUTION
'''

XOR_SIGMOID_CHECK = r"""
# sigmoid_prime against autograd on a grid, and sigmoid far out in the tails
x = torch.linspace(-8, 8, 161, dtype=DTYPE, requires_grad=True)
sigmoid(x).sum().backward()
print("max |sigmoid_prime - autograd| on [-8, 8]:",
      f"{(sigmoid_prime(x.detach()) - x.grad).abs().max().item():.1e}")
print("sigmoid(-800), sigmoid(0), sigmoid(800):",
      sigmoid(torch.tensor([-800.0, 0.0, 800.0], dtype=DTYPE)).tolist())
"""

XOR_61B_MD = r"""
**b)** Find the first three terms of the Taylor series of $\sigma$ centred at 0, using the
derivative form of a) for the higher derivatives. "Terms" means **non-zero** terms here:
implement `sigmoid_taylor(x)`, the polynomial made of the first three non-zero terms.

<!-- BEGIN SOLUTION -->
With $s = \sigma(x)$ and $s' = s - s^2$ from a), every derivative is a polynomial in $s$:

$$\begin{aligned}
\sigma'   &= s - s^2, \\
\sigma''  &= (1 - 2s)\,s' = s - 3s^2 + 2s^3, \\
\sigma''' &= (1 - 6s + 6s^2)\,s' = s - 7s^2 + 12s^3 - 6s^4 .
\end{aligned}$$

At $x = 0$, $s = \tfrac12$: $\sigma(0) = \tfrac12$, $\sigma'(0) = \tfrac14$, $\sigma''(0) = 0$,
$\sigma'''(0) = \tfrac12 - \tfrac74 + \tfrac{12}{8} - \tfrac{6}{16} = -\tfrac18$. Hence

$$\sigma(x) = \frac12 + \frac{x}{4} - \frac{x^3}{48} + O(x^5)
\qquad\left(\text{the next term is } +\tfrac{x^5}{480}\right).$$

The $x^2$ term vanishes, as does every even term after the constant, because
$\sigma(x) - \tfrac12$ is an odd function. Reading "first three terms" as the terms up to $x^2$
would give only $\tfrac12 + \tfrac x4$, which is the first *two* non-zero terms. The series
converges for $|x| < \pi$ (the poles of $\sigma$ closest to 0 are at $\pm i\pi$); the plot below
shows the polynomial is excellent near 0 and useless beyond $|x| \approx 2$.
<!-- END SOLUTION -->
"""

XOR_TAYLOR_CODE = r'''
def sigmoid_taylor(x):
    """The first three non-zero Taylor terms of the sigmoid at 0, element-wise, same shape as x."""
    ### BEGIN SOLUTION
    return 0.5 + x / 4 - x**3 / 48
    ### END SOLUTION
'''

XOR_TAYLOR_PLOT = r"""
xs = torch.linspace(-4, 4, 201, dtype=DTYPE)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.5))
ax1.plot(xs, sigmoid(xs), label=r"$\sigma(x)$")
ax1.plot(xs, sigmoid_taylor(xs), "--", label="3-term Taylor polynomial")
ax1.set_ylim(-0.5, 1.5)
ax1.set_xlabel("x")
ax1.legend()
ax2.semilogy(xs, (sigmoid(xs) - sigmoid_taylor(xs)).abs() + 1e-17)
ax2.set_xlabel("x")
ax2.set_ylabel("|error|")
plt.tight_layout()
plt.show()
for v in (0.1, 0.5, 1.0, 2.0):
    t = torch.tensor(v, dtype=DTYPE)
    print(f"x = {v}: |sigmoid - taylor| = {(sigmoid(t) - sigmoid_taylor(t)).abs().item():.2e}")
"""

XOR_61C_MD = r"""
**c)** (PDF.) For the proof, note that the update rule is printed without its minus sign; gradient
descent is $w_{n+1} = w_n - \epsilon\, g(n)$. To first order,
$f(w_{n+1}) \approx f(w_n) - \epsilon \lVert g(n) \rVert_F^2 \le f(w_n)$, with the Frobenius inner
product because $w_n$ is a matrix.
"""

XOR_62A_MD = r"""
## Exercise 6.2: computation graph of the XOR network

The network of Eq. (2) and the loss of Eq. (3):

$$\hat y = \sigma\!\left(W_o^\top \sigma(W_i^\top x + b_a) + b_o\right), \qquad
L = \frac12 \sum_{n=1}^{N} \left(\hat y_n - y_n\right)^2 .$$

$W_i$ is $2 \times H$ and $W_o$ has $H$ entries ($H = 2$ on the sheet; 6.2c lets you use more
hidden units). $b_a$ is **one scalar shared by all hidden units**, and $b_o$ is a scalar, as the
sheet says ("$b_a$ and $b_o$ are single parameters"). In code a batch `X` has one sample per
**row**, shape (N, 2), so $W_i^\top x_n$ for every sample at once is the row-wise product
`X @ Wi`, shape (N, H).

**a)** The graph for one sample is drawn in the PDF; here are its nodes, with the intermediate
symbols used below.

<!-- BEGIN SOLUTION -->
| node | computes | shape |
|---|---|---|
| leaves | $x$, $W_i$, $b_a$, $W_o$, $b_o$, $y$ | (2), (2, H), (), (H), (), () |
| $a$ | $W_i^\top x + b_a$ ($b_a$ broadcast to every hidden unit) | (H) |
| $z$ | $\sigma(a)$ | (H) |
| $a_o$ | $W_o^\top z + b_o$ | () |
| $\hat y$ | $\sigma(a_o)$ | () |
| $d$ | $\hat y - y$ | () |
| $L$ | $\tfrac12 d^2$ (summed over the samples) | () |
<!-- END SOLUTION -->

Implement the graph as `forward` and the loss as `loss_fn`.
"""

XOR_FORWARD_CODE = r'''
def forward(X, Wi, ba, Wo, bo):
    """yhat of Eq. (2) for a batch.

    X: (N, 2) one sample per row; Wi: (2, H); ba: 0-d, shared by all hidden units;
    Wo: (H,); bo: 0-d. Returns yhat, shape (N,).
    """
    ### BEGIN SOLUTION
    a = X @ Wi + ba          # (N, H) pre-activations of the hidden units
    z = sigmoid(a)           # (N, H)
    a_o = z @ Wo + bo        # (N,)
    return sigmoid(a_o)
    ### END SOLUTION


def loss_fn(yhat, y):
    """The loss of Eq. (3), 1/2 * sum_n (yhat_n - y_n)**2, as a 0-d tensor."""
    ### BEGIN SOLUTION
    return 0.5 * ((yhat - y) ** 2).sum()
    ### END SOLUTION
'''

XOR_62B_MD = r"""
**b)** Write down the partial derivatives of $L$ with respect to the $4 + 2 + 1 + 1$ parameters
(for $H$ hidden units: $2H + H + 1 + 1$) and implement them in `manual_grads` **without autograd**.

<!-- BEGIN SOLUTION -->
Walking the graph backwards for sample $n$ (hidden unit $j$, input $k$), with
$\sigma'(u) = \sigma(u)(1 - \sigma(u))$ from 6.1a:

$$\begin{aligned}
\delta_{o,n} &= \frac{\partial L}{\partial a_{o,n}} = (\hat y_n - y_n)\, \hat y_n (1 - \hat y_n), \\
\frac{\partial L}{\partial W_o[j]} &= \sum_n \delta_{o,n}\, z_{nj}, \qquad
\frac{\partial L}{\partial b_o} = \sum_n \delta_{o,n}, \\
\delta_{a,nj} &= \frac{\partial L}{\partial a_{nj}} = \delta_{o,n}\, W_o[j]\, z_{nj} (1 - z_{nj}), \\
\frac{\partial L}{\partial W_i[k,j]} &= \sum_n x_{nk}\, \delta_{a,nj}, \qquad
\frac{\partial L}{\partial b_a} = \sum_n \sum_j \delta_{a,nj} .
\end{aligned}$$

Because $b_a$ is a single parameter that feeds **every** hidden unit, its derivative sums over the
hidden units as well as over the samples: it is a scalar. (Per-unit biases, as in `nn.Linear`,
would give the vector $\sum_n \delta_{a,nj}$ instead; that is a different model.) The factor
$\tfrac12$ of the loss cancels the 2 of the square, which is why $\delta_{o,n}$ starts with
$\hat y_n - y_n$.

In matrix form: $\delta_o$ is (N,), $\delta_a = (\delta_o W_o^\top) \odot z \odot (1-z)$ is (N, H),
$\partial L/\partial W_o = z^\top \delta_o$ and $\partial L/\partial W_i = X^\top \delta_a$.
<!-- END SOLUTION -->
"""

XOR_GRADS_CODE = r'''
def manual_grads(X, y, Wi, ba, Wo, bo):
    """The partial derivatives of 6.2b by hand (no autograd).

    Returns {"Wi": (2, H), "ba": 0-d, "Wo": (H,), "bo": 0-d}.
    """
    ### BEGIN SOLUTION
    with torch.no_grad():
        z = sigmoid(X @ Wi + ba)                                  # (N, H)
        yhat = sigmoid(z @ Wo + bo)                               # (N,)
        delta_o = (yhat - y) * yhat * (1 - yhat)                  # (N,)
        delta_a = delta_o[:, None] * Wo[None, :] * z * (1 - z)    # (N, H)
        return {
            "Wi": X.T @ delta_a,
            "ba": delta_a.sum(),          # one shared bias: sum over samples AND hidden units
            "Wo": z.T @ delta_o,
            "bo": delta_o.sum(),
        }
    ### END SOLUTION
'''

XOR_GRADS_CHECK_MD = r"""
The four XOR samples, and a check of `manual_grads` against autograd at random parameters
($H = 3$): autograd differentiates the same `forward` and `loss_fn`, so both must agree to rounding
error.
"""

XOR_GRADS_CHECK = r"""
X = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=DTYPE)
y = torch.tensor([0, 1, 1, 0], dtype=DTYPE)

gen = torch.Generator().manual_seed(1)
params = {
    "Wi": torch.randn(2, 3, generator=gen, dtype=DTYPE),
    "ba": torch.randn((), generator=gen, dtype=DTYPE),
    "Wo": torch.randn(3, generator=gen, dtype=DTYPE),
    "bo": torch.randn((), generator=gen, dtype=DTYPE),
}
leaves = {name: p.clone().requires_grad_() for name, p in params.items()}
loss_fn(forward(X, **leaves), y).backward()
manual = manual_grads(X, y, **params)
for name, leaf in leaves.items():
    diff = (manual[name] - leaf.grad).abs().max().item()
    print(f"d L / d {name}: shape {tuple(manual[name].shape)}, "
          f"max |manual - autograd| = {diff:.1e}")
"""

XOR_62C_MD = r"""
**c)** Train the network on XOR with autograd. Two hidden units can represent XOR (for example
$W_i = \begin{pmatrix} 20 & -20 \\ -20 & 20 \end{pmatrix}$, $b_a = -10$, $W_o = (20, 20)$,
$b_o = -10$), but gradient descent from a random start often gets stuck with $H = 2$, as the sheet
warns. We use $H = 4$ hidden units, weights drawn from $N(0, 1)$, zero biases, and full-batch
gradient descent with learning rate 2 for 1500 epochs; the seed makes the run reproducible.
"""

XOR_TRAIN_CODE = r"""
H = 4
torch.manual_seed(0)
Wi = torch.randn(2, H, dtype=DTYPE, requires_grad=True)
ba = torch.zeros((), dtype=DTYPE, requires_grad=True)
Wo = torch.randn(H, dtype=DTYPE, requires_grad=True)
bo = torch.zeros((), dtype=DTYPE, requires_grad=True)
optimizer = torch.optim.SGD([Wi, ba, Wo, bo], lr=2.0)

losses = []
start = time.perf_counter()
for epoch in range(1500):
    optimizer.zero_grad()
    loss = loss_fn(forward(X, Wi, ba, Wo, bo), y)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
print(f"{len(losses)} epochs in {time.perf_counter() - start:.1f} s, "
      f"loss {losses[0]:.3f} -> {losses[-1]:.2e}")
"""

XOR_PREDICT_CODE = r"""
with torch.no_grad():
    yhat = forward(X, Wi, ba, Wo, bo)
for x_n, y_n, p in zip(X.tolist(), y.tolist(), yhat.tolist()):
    print(f"x = {x_n}   target {y_n:.0f}   output {p:.4f}   prediction {int(p > 0.5)}")
"""

XOR_LOSS_PLOT = r"""
plt.figure(figsize=(5, 3.5))
plt.semilogy(losses)
plt.xlabel("epoch")
plt.ylabel("loss (3)")
plt.title(f"XOR, H = {H}, full-batch gradient descent")
plt.tight_layout()
plt.show()
"""

XOR_DISCUSSION = r"""
**What we observe.**

<!-- BEGIN SOLUTION -->
The loss starts near $0.5$ (every output near $\tfrac12$) and barely moves for a few dozen epochs,
then drops by two orders of magnitude within about 150 epochs once the hidden units have split the
input plane, and afterwards keeps decreasing slowly as the outputs creep towards 0 and 1. The
predictions thresholded at 0.5 are 0, 1, 1, 0. The linear model of the first assignment cannot do
this: its least-squares fit to XOR is $W = 0$, $b = \tfrac12$, an output of $\tfrac12$ for every
input. The hidden layer makes the problem separable: for instance, two hidden units can act like an
OR and a NAND of the inputs, and the output unit takes their AND.

The slow start is the typical behaviour near a saddle point of the loss (the topic of 6.3): the
gradient is small, so plain gradient descent moves slowly until it has picked up the direction of
negative curvature. With $H = 2$ the same training often ends on a plateau instead, for example
with loss $\approx 0.25$ where two of the four outputs sit at $\tfrac12$; more hidden units give
gradient descent more ways to reach a solution. The hand-derived gradients agree with autograd to
rounding error ($10^{-17}$), so autograd computes exactly the derivatives of 6.2b.
<!-- END SOLUTION -->
"""


def xor_notebook(team: str) -> NotebookNode:
    return notebook("xor", [
        team_cell(team),
        md(XOR_INTRO),
        code(XOR_IMPORTS),
        md(XOR_61A_MD),
        code(XOR_SIGMOID_CODE),
        code(XOR_SIGMOID_CHECK),
        md(XOR_61B_MD),
        code(XOR_TAYLOR_CODE),
        code(XOR_TAYLOR_PLOT),
        md(XOR_61C_MD),
        md(XOR_62A_MD),
        code(XOR_FORWARD_CODE),
        md(XOR_62B_MD),
        code(XOR_GRADS_CODE),
        md(XOR_GRADS_CHECK_MD),
        code(XOR_GRADS_CHECK),
        md(XOR_62C_MD),
        code(XOR_TRAIN_CODE),
        code(XOR_PREDICT_CODE),
        code(XOR_LOSS_PLOT),
        md(XOR_DISCUSSION),
    ])


# ============================================================================= conv3d notebook
CONV_INTRO = r"""
# Problem 3 (30 points): a 3-D convolution for video, forward and backward in numpy

*TTIC 31230 Fundamentals of Deep Learning, midterm exam, Problem 3.*

A three-dimensional convolution layer for video: batch $b$, two spatial positions $x, y$, time
$t$ and channels. We use the layout of the exam's `+=` expression, a cross-correlation with no
padding and stride 1 (indices from 0):

$$L_2[b, x, y, t, c] = \sum_{u, v, z, c'} F[u, v, z, c', c]\; L_1[b, x+u, y+v, t+z, c']$$

| array | shape |
|---|---|
| `L1` | (B, X, Y, T, C') |
| `F` | (U, V, Z, C', C) |
| `L2` | (B, X-U+1, Y-V+1, T-Z+1, C) |

*Corrections to the exam's statement.* The printed formula writes $F[u, v, c']$ and
$L_1[b, x+u, y+v, t+z, c', c]$: the indices $z$ and $c$ are in the wrong arrays (the filter has the
shape (U, V, Z, C', C) the exam itself gives). The exam also gives $L_2$ the same spatial size as
$L_1$; that only works if $L_1$ is padded, because $x + u$ runs past the last index. Here $L_1$ is
not padded and $L_2$ is smaller.

**What the grader calls.** Keep the names and signatures exactly: `conv3d_forward(L1, F)` returns
`L2`, and `conv3d_backward(L1, F, dL2)` returns the tuple `(dL1, dF)` of the gradients of a loss
with respect to `L1` and `F`, given `dL2` $= \partial \ell / \partial L_2$. The grader calls both
with fresh random float64 numpy arrays and compares with a reference (rtol $10^{-6}$); the forward
is also timed on a batch of shape (8, 16, 16, 16, 8) with a $3\times3\times3$ kernel to 16
channels, where it must finish within 10 s (the loop-plus-matmul version needs well under a
second).

**Submission.** Name the file `conv3d_<studentid>.ipynb` with your student id in lowercase letters
or digits (for example `conv3d_jdoe42.ipynb`), put your name in the first cell, and make sure the
notebook runs from top to bottom with **zero errors**: a notebook with an error in any cell scores
0.
"""

CONV_IMPORTS = r"""
import time

import numpy as np
"""

CONV_A_MD = r"""
**a.** Convert the convolution to a `+=` expression of the form
$\forall\, b, x, y, t, c, u, v, z, c'\quad$ `L2.value[...] += F.value[...] * L1.value[...]`.

<!-- BEGIN SOLUTION -->
$$\forall\, b, x, y, t, c, u, v, z, c': \qquad
L_2.\mathrm{value}[b, x, y, t, c] \mathrel{+}= F.\mathrm{value}[u, v, z, c', c]\;
L_1.\mathrm{value}[b,\, x+u,\, y+v,\, t+z,\, c']$$

(The exam's answer writes $L_1.\mathrm{value}[x+u, y+v, z+t, c']$ and drops the batch index $b$.)
<!-- END SOLUTION -->

**b.** Implement the forward pass with a Python loop over $x$, $y$ and $t$ and **one** `matmul`
per position on appropriate slices and reshapes.
"""

CONV_FORWARD_CODE = r'''
def conv3d_forward(L1, F):
    """L2[b,x,y,t,c] = sum_{u,v,z,c'} F[u,v,z,c',c] * L1[b,x+u,y+v,t+z,c'].

    L1: (B, X, Y, T, C'); F: (U, V, Z, C', C). Returns L2: (B, X-U+1, Y-V+1, T-Z+1, C).
    """
    ### BEGIN SOLUTION
    B, X, Y, T, C_in = L1.shape
    U, V, Z, _, C = F.shape
    L2 = np.zeros((B, X - U + 1, Y - V + 1, T - Z + 1, C))
    F_mat = F.reshape(-1, C)                        # (U*V*Z*C', C), rows in (u, v, z, c') order
    for x in range(X - U + 1):
        for y in range(Y - V + 1):
            for t in range(T - Z + 1):
                window = L1[:, x:x + U, y:y + V, t:t + Z, :]      # (B, U, V, Z, C')
                L2[:, x, y, t, :] = window.reshape(B, -1) @ F_mat
    return L2
    ### END SOLUTION
'''

CONV_C_MD = r"""
**c.** Write the `+=` expressions of the backpropagation to $F$ and $L_1$.

<!-- BEGIN SOLUTION -->
Every term of the forward sum contributes to one entry of each gradient:

$$\begin{aligned}
\forall\, b, x, y, t, c, u, v, z, c': \qquad
F.\mathrm{grad}[u, v, z, c', c] &\mathrel{+}= L_2.\mathrm{grad}[b, x, y, t, c]\;
L_1.\mathrm{value}[b,\, x+u,\, y+v,\, t+z,\, c'] \\
L_1.\mathrm{grad}[b,\, x+u,\, y+v,\, t+z,\, c'] &\mathrel{+}= L_2.\mathrm{grad}[b, x, y, t, c]\;
F.\mathrm{value}[u, v, z, c', c]
\end{aligned}$$

*Corrections to the exam's answer.* It writes $F.\mathrm{grad}[u, v, w, c', c]$ ($w$ for $z$)
and, more seriously, $L_1.\mathrm{grad}[b, x, y, t, c']$: the gradient of $L_1$ must be indexed at
the **shifted** position $[b, x+u, y+v, t+z, c']$, the entry of $L_1$ that was multiplied by
$F[u, v, z, c', c]$ in the forward pass. Without the shift every window's gradient lands on its
corner.
<!-- END SOLUTION -->

**d.** Implement the backward pass with vector operations in the body of a loop over $x$, $y$
and $t$. It returns `(dL1, dF)`, shaped like `L1` and `F`.
"""

CONV_BACKWARD_CODE = r'''
def conv3d_backward(L1, F, dL2):
    """Gradients of the loss with respect to L1 and F, given dL2 = d loss / d L2.

    L1: (B, X, Y, T, C'); F: (U, V, Z, C', C); dL2: (B, X-U+1, Y-V+1, T-Z+1, C).
    Returns (dL1, dF), shaped like L1 and F.
    """
    ### BEGIN SOLUTION
    B, X, Y, T, C_in = L1.shape
    U, V, Z, _, C = F.shape
    dL1 = np.zeros(L1.shape)
    dF = np.zeros(F.shape)
    for x in range(X - U + 1):
        for y in range(Y - V + 1):
            for t in range(T - Z + 1):
                g = dL2[:, x, y, t, :].reshape(B, 1, 1, 1, 1, C)
                window = L1[:, x:x + U, y:y + V, t:t + Z, :].reshape(B, U, V, Z, C_in, 1)
                dF += (g * window).sum(axis=0)
                # the slice is a view: += writes the shifted window of dL1 in place
                dL1[:, x:x + U, y:y + V, t:t + Z, :] += (g * F).sum(axis=5)
    return dL1, dF
    ### END SOLUTION
'''

CONV_CHECK_MD = r"""
### Checking against the definition

A naive implementation with one Python loop per index is a direct transcription of the `+=`
expressions above. On tiny shapes it is fast enough, and it must agree with the vectorised code to
rounding error, including a $1 \times 1 \times 1$ kernel and a kernel as large as the input.
"""

CONV_CHECK_CODE = r"""
def conv3d_naive(L1, F):
    B, X, Y, T, C_in = L1.shape
    U, V, Z, _, C = F.shape
    L2 = np.zeros((B, X - U + 1, Y - V + 1, T - Z + 1, C))
    for b in range(B):
        for x in range(X - U + 1):
            for y in range(Y - V + 1):
                for t in range(T - Z + 1):
                    for c in range(C):
                        for u in range(U):
                            for v in range(V):
                                for z in range(Z):
                                    for ci in range(C_in):
                                        L2[b, x, y, t, c] += F[u, v, z, ci, c] * L1[b, x + u, y + v, t + z, ci]
    return L2


def conv3d_backward_naive(L1, F, dL2):
    dL1, dF = np.zeros(L1.shape), np.zeros(F.shape)
    for b, x, y, t, c in np.ndindex(*dL2.shape):
        for u, v, z, ci in np.ndindex(*F.shape[:4]):
            dF[u, v, z, ci, c] += dL2[b, x, y, t, c] * L1[b, x + u, y + v, t + z, ci]
            dL1[b, x + u, y + v, t + z, ci] += dL2[b, x, y, t, c] * F[u, v, z, ci, c]
    return dL1, dF


rng = np.random.default_rng(0)
for L1_shape, F_shape in [((2, 5, 4, 6, 3), (2, 3, 2, 3, 2)),
                          ((1, 4, 3, 5, 2), (1, 1, 1, 2, 3)),
                          ((2, 3, 2, 3, 2), (3, 2, 3, 2, 1))]:
    L1 = rng.standard_normal(L1_shape)
    F = rng.standard_normal(F_shape)
    L2 = conv3d_forward(L1, F)
    dL2 = rng.standard_normal(L2.shape)
    dL1, dF = conv3d_backward(L1, F, dL2)
    dL1_naive, dF_naive = conv3d_backward_naive(L1, F, dL2)
    print(f"L1 {L1_shape}, F {F_shape} -> L2 {L2.shape}: "
          f"forward {np.abs(L2 - conv3d_naive(L1, F)).max():.1e}, "
          f"dL1 {np.abs(dL1 - dL1_naive).max():.1e}, dF {np.abs(dF - dF_naive).max():.1e}")
"""

CONV_TIMING_MD = r"""
### Timing

The size the grader times: a batch of 8 clips of $16 \times 16 \times 16$ with 8 channels, a
$3 \times 3 \times 3$ kernel to 16 channels.
"""

CONV_TIMING_CODE = r"""
rng = np.random.default_rng(1)
L1 = rng.standard_normal((8, 16, 16, 16, 8))
F = rng.standard_normal((3, 3, 3, 8, 16))

start = time.perf_counter()
L2 = conv3d_forward(L1, F)
forward_seconds = time.perf_counter() - start

start = time.perf_counter()
dL1, dF = conv3d_backward(L1, F, np.ones(L2.shape))
backward_seconds = time.perf_counter() - start

print(f"L2 {L2.shape}: forward {forward_seconds:.2f} s, backward {backward_seconds:.2f} s")
"""

CONV_DISCUSSION = r"""
**Why the loop over positions is fast enough.**

<!-- BEGIN SOLUTION -->
The forward pass costs $B \cdot X' Y' T' \cdot UVZ\,C' \cdot C$ multiply-adds
($8 \cdot 14^3 \cdot 216 \cdot 16 \approx 7.6 \cdot 10^7$ here). Nine nested Python loops pay the
interpreter's overhead for each of them, about a minute. Looping only over the
$14^3 = 2744$ output positions and doing the rest in one matmul of a $(B, UVZC') = (8, 216)$
window by the $(216, 16)$ reshaped filter leaves 2744 Python iterations, each a small BLAS call:
a fraction of a second. Flattening the window and the filter in the same row-major
$(u, v, z, c')$ order is what makes the matmul compute exactly the sum of the definition.

The backward pass has the same structure: $dF$ collects the outer products of each output
gradient with its input window, and $dL_1$ receives each output gradient spread back over the
window it came from, at the shifted positions $x{:}x{+}U$, $y{:}y{+}V$, $t{:}t{+}Z$ (the exam's
code writes `x:x_U`, a typo for `x:x+U`).
<!-- END SOLUTION -->
"""


def conv3d_notebook(team: str) -> NotebookNode:
    return notebook("conv3d", [
        team_cell(team),
        md(CONV_INTRO),
        code(CONV_IMPORTS),
        md(CONV_A_MD),
        code(CONV_FORWARD_CODE),
        md(CONV_C_MD),
        code(CONV_BACKWARD_CODE),
        md(CONV_CHECK_MD),
        code(CONV_CHECK_CODE),
        md(CONV_TIMING_MD),
        code(CONV_TIMING_CODE),
        md(CONV_DISCUSSION),
    ])


XOR_REFERENCE_TEAM = team_table([TUTOR])
CONV3D_REFERENCE_TEAM = "Ada Lovelace, student id `alovelace`"


# ============================================================================= example uploads
def as_student_upload(nb: NotebookNode, team: str) -> NotebookNode:
    """A copy of a solved notebook as a student would upload it: markers gone, own team."""
    out = nbformat.reads(nbformat.writes(nb), as_version=4)
    for cell in out.cells:
        markers = CODE_MARKERS if cell.cell_type == "code" else MD_MARKERS
        cell.source = "\n".join(line for line in cell.source.split("\n")
                                if line.strip() not in markers)
    team_id = out.cells[0]["id"]
    out.cells[0] = team_cell(team, solution=False)
    out.cells[0]["id"] = team_id
    return out


def replace_once(nb: NotebookNode, old: str, new: str) -> NotebookNode:
    """Replace `old` (which must occur exactly once in the whole notebook) by `new`."""
    hits = [c for c in nb.cells if old in c.source]
    if len(hits) != 1 or hits[0].source.count(old) != 1:
        raise ValueError(f"{old!r} occurs {sum(c.source.count(old) for c in nb.cells)} times")
    hits[0].source = hits[0].source.replace(old, new)
    return nb


def minimal_pdf(text: str) -> bytes:
    """A small, valid one-page PDF showing one line of `text` (ASCII)."""
    stream = f"BT /F1 14 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def make_zip(members: list[tuple[str, bytes]]) -> bytes:
    """A deflated zip of (name, bytes) members with fixed timestamps."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buffer.getvalue()


def render(nb: NotebookNode) -> str:
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


THEORY_PDF = minimal_pdf("Sheet 6: theory answers (6.1, 6.2a, 6.3)")


def xor_upload(members: list[Member], edit: Callable[[NotebookNode], NotebookNode] | None = None,
               *, folder: str = "", pdf: bool = True, extra_notebook: bool = False,
               team_members: list[Member] | None = None) -> bytes:
    """The zip a team uploads: their completed notebook and the theory PDF."""
    nb = as_student_upload(xor_notebook(XOR_REFERENCE_TEAM), team_table(team_members or members))
    if edit is not None:
        nb = edit(nb)
    text = render(nb).encode("utf-8")
    members_out = [(f"{folder}sheet06.ipynb", text)]
    if pdf:
        members_out.append((f"{folder}sheet06_theory.pdf", THEORY_PDF))
    if extra_notebook:
        members_out.append((f"{folder}sheet06_draft.ipynb", text))
    if folder:  # what macOS' "Compress" adds: ignored by the grader
        members_out.append((f"__MACOSX/{folder}._sheet06.ipynb", b"\x00\x05\x16\x07"))
    return make_zip(members_out)


def xor_ba_per_unit(nb: NotebookNode) -> NotebookNode:
    """6.2b with one bias per hidden unit: dL/dba summed over the samples only, shape (H,)."""
    return replace_once(nb, '"ba": delta_a.sum(),          # one shared bias: sum over samples AND hidden units',
                        '"ba": delta_a.sum(dim=0),     # one bias per hidden unit')


def xor_lost_minus(nb: NotebookNode) -> NotebookNode:
    """6.1a as printed on the sheet, the minus sign lost: sigma(x) * sigma(x)**2."""
    return replace_once(nb, "    s = sigmoid(x)\n    return s - s**2", "    s = sigmoid(x)\n    return s * s**2")


def xor_plot_typo(nb: NotebookNode) -> NotebookNode:
    """A typo in the loss plot: AttributeError in that cell (zero-error rule off for xor)."""
    return replace_once(nb, 'plt.xlabel("epoch")\nplt.ylabel("loss (3)")',
                        'plt.xlable("epoch")\nplt.ylabel("loss (3)")')


def conv3d_upload(team: str, edit: Callable[[NotebookNode], NotebookNode] | None = None) -> NotebookNode:
    nb = as_student_upload(conv3d_notebook(CONV3D_REFERENCE_TEAM), team)
    return edit(nb) if edit is not None else nb


def conv3d_no_shift(nb: NotebookNode) -> NotebookNode:
    """The exam's L1.grad[b, x, y, t, c'] taken literally: every window's gradient on its corner."""
    return replace_once(nb, "dL1[:, x:x + U, y:y + V, t:t + Z, :] += (g * F).sum(axis=5)",
                        "dL1[:, x, y, t, :] += (g * F).sum(axis=(1, 2, 3, 5))")


def conv3d_name_error(nb: NotebookNode) -> NotebookNode:
    """A typo in the timing cell: NameError, and the zero-error rule is on."""
    return replace_once(nb, "L2 = conv3d_forward(L1, F)\nforward_seconds",
                        "L2 = conv3d_foward(L1, F)\nforward_seconds")


NINE_LOOPS_FORWARD = r"""
    for b in range(B):
        for x in range(X - U + 1):
            for y in range(Y - V + 1):
                for t in range(T - Z + 1):
                    for c in range(C):
                        for u in range(U):
                            for v in range(V):
                                for z in range(Z):
                                    for ci in range(C_in):
                                        L2[b, x, y, t, c] += F[u, v, z, ci, c] * L1[b, x + u, y + v, t + z, ci]
    return L2"""


def conv3d_nine_loops_kept_timing(nb: NotebookNode) -> NotebookNode:
    """A correct forward with nine nested loops; the timing cell (about a minute) is kept."""
    forward = next(c for c in nb.cells if "def conv3d_forward" in c.source)
    start = forward.source.index("    F_mat = F.reshape(-1, C)")
    forward.source = forward.source[:start].rstrip("\n") + NINE_LOOPS_FORWARD
    return nb


def conv3d_nine_loops_timeit(nb: NotebookNode) -> NotebookNode:
    """The nine-loop forward, timed with `%timeit` on the large case: 7 runs of about a minute
    each, far past the 120 s cell limit."""
    nb = conv3d_nine_loops_kept_timing(nb)
    timing = next(c for c in nb.cells if "time.perf_counter()" in c.source)
    timing.source = timing.source.replace("start = time.perf_counter()\nL2 = conv3d_forward(L1, F)",
                                          "%timeit conv3d_forward(L1, F)\n"
                                          "start = time.perf_counter()\nL2 = conv3d_forward(L1, F)", 1)
    assert "%timeit" in timing.source
    return nb


def conv3d_nine_loops(nb: NotebookNode) -> NotebookNode:
    """A correct forward with nine nested loops (too slow for the timed case), timing cells deleted."""
    nb = conv3d_nine_loops_kept_timing(nb)
    nb.cells = [c for c in nb.cells if "time.perf_counter()" not in c.source and "### Timing" not in c.source]
    return nb


@dataclass(frozen=True)
class Upload:
    """One example upload: where it goes, how it is made, and what it should get."""

    path: str
    make: Callable[[], bytes]
    expected: str


TURING = Member("Alan Turing", "7654321", "alan.turing")
HOPPER = Member("Grace Hopper", "2345678", "grace.hopper")
NOETHER = Member("Emmy Noether", "3456789", "emmy.noether")
SHANNON = Member("Claude Shannon", "4567890", "claude.shannon")
GERMAIN = Member("Sophie Germain", "5678901", "sophie.germain")
EULER = Member("Leonhard Euler", "6789012", "leonhard.euler")
GAUSS = Member("Carl Friedrich Gauss", "8901234", "cf.gauss")
LAMARR = Member("Hedy Lamarr", "7777777", "hedy.lamarr")


def _nb_bytes(nb: NotebookNode) -> bytes:
    return render(nb).encode("utf-8")


UPLOADS = (
    Upload("submissions/xor/sheet06_1234567_7654321.zip",
           lambda: xor_upload([TUTOR, TURING]),
           "graded, 8/8: every check passes"),
    Upload("submissions/xor/sheet06_2345678.zip",
           lambda: xor_upload([HOPPER], xor_ba_per_unit),
           "graded, 6/8: manual_grads fails (ba treated as one bias per hidden unit: "
           "its gradient has shape (H,) instead of ()), the rest pass"),
    Upload("submissions/xor/sheet06_3456789.zip",
           lambda: xor_upload([NOETHER], xor_lost_minus),
           "graded, 7/8: sigmoid_prime fails (sigma * sigma**2, the sheet's lost minus sign)"),
    Upload("submissions/xor/sheet06_4567890.zip",
           lambda: xor_upload([SHANNON], pdf=False),
           "rejected, 0: the zip holds no PDF (exactly one is required)"),
    Upload("submissions/xor/sheet06_5678901_6789012.zip",
           lambda: xor_upload([GERMAIN, EULER], team_members=[GERMAIN]),
           "rejected, 0: student id 6789012 from the file name is missing from the team cell"),
    Upload("submissions/xor/sheet06_8901234.zip",
           lambda: xor_upload([GAUSS], extra_notebook=True),
           "rejected, 0: the zip holds two notebooks (exactly one is required)"),
    Upload("submissions/xor/sheet06_7777777.zip",
           lambda: xor_upload([LAMARR], xor_plot_typo, folder="sheet06_7777777/"),
           "graded, 8/8 with the message \"cell 20: AttributeError: module 'matplotlib.pyplot' "
           "has no attribute 'xlable'\" (zero-error rule off; notebook and PDF inside one folder, "
           "__MACOSX entry ignored)"),
    Upload("submissions/conv3d/conv3d_jdoe42.ipynb",
           lambda: _nb_bytes(conv3d_upload("Jane Doe, student id `jdoe42`")),
           "graded, 30/30: every check passes"),
    Upload("submissions/conv3d/conv3d_rroe7.ipynb",
           lambda: _nb_bytes(conv3d_upload("Richard Roe, student id `rroe7`", conv3d_no_shift)),
           "graded, 15/30: backward fails (dL1 indexed at [b, x, y, t] without the shift); "
           "forward and forward_speed pass"),
    Upload("submissions/conv3d/conv3d_slowp1.ipynb",
           lambda: _nb_bytes(conv3d_upload("Sam Slow, student id `slowp1`", conv3d_nine_loops)),
           "graded, 25/30: forward_speed errors (the nine-loop forward does not return within 10 s); "
           "forward and backward pass"),
    Upload("submissions/conv3d/conv3d_slowq2.ipynb",
           lambda: _nb_bytes(conv3d_upload("Quinn Slow, student id `slowq2`", conv3d_nine_loops_timeit)),
           "timeout, 0: cell 11 (the timing cell) runs `%timeit` on the nine-loop forward on the "
           "large case, 7 runs of about a minute, past the 120 s cell limit"),
    Upload("submissions/conv3d/conv3d_JDoe42.ipynb",
           lambda: _nb_bytes(conv3d_upload("Jane Doe, student id `JDoe42`")),
           "rejected, 0: no rubric matches the name (the student id must be lowercase: "
           "conv3d_jdoe42.ipynb)"),
    Upload("submissions/conv3d/conv3d_mmust3.ipynb",
           lambda: _nb_bytes(conv3d_upload("Max Mustermann, student id `mmust3`", conv3d_name_error)),
           "run-error, 0: cell 11: NameError: name 'conv3d_foward' is not defined"),
)


def outputs() -> dict[str, bytes]:
    """Every file this script writes, path (relative to the repository) -> bytes."""
    files = {
        "reference/notebooks/xor.ipynb": _nb_bytes(xor_notebook(XOR_REFERENCE_TEAM)),
        "reference/notebooks/conv3d.ipynb": _nb_bytes(conv3d_notebook(CONV3D_REFERENCE_TEAM)),
    }
    files.update({u.path: u.make() for u in UPLOADS})
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a written file is out of date")
    args = parser.parse_args(argv)
    stale = []
    for rel, data in outputs().items():
        path = ROOT / rel
        if args.check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(rel)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"wrote {rel}")
    for rel in stale:
        print(f"out of date: {rel}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())

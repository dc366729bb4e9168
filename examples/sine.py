"""Time-series regression: predict the next value of a noisy sine wave.

x_t = sin(0.3 t + phase) + noise (std 0.1). After reading a window of 20 values the
GRU predicts x_21. The naive forecast "the next value equals the last one" pays for
the wave's slope and twice the noise; the best possible MSE is the noise variance 0.01.
Run: python examples/sine.py [--quick]
"""

import argparse

import numpy as np

import minigrad
from minigrad import nn, optim
from minigrad.functional import mse_loss
from rnn.app.step import train_step
from rnn.layers import GRU

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="a tiny run for the test suite")
args = parser.parse_args()
minigrad.set_num_threads(1)  # small matrices: BLAS threads cost more than they gain
minigrad.manual_seed(0)
rng = np.random.default_rng(0)
W, NOISE, steps = 20, 0.1, (150 if args.quick else 600)


def batch(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Windows x (W, n, 1) and next values y (n, 1) at random phases."""
    t = np.arange(W + 1)[:, None] * 0.3 + rng.uniform(0, 2 * np.pi, n)
    series = (np.sin(t) + NOISE * rng.standard_normal(t.shape)).astype(np.float32)
    return series[:W, :, None], series[W:].T


gru = GRU(input_size=1, hidden_size=16)
head = nn.Linear(16, 1)  # prediction = W h_T + b
opt = optim.Adam(list(gru.parameters()) + list(head.parameters()), lr=0.01)
for step in range(1, steps + 1):
    x, y = batch(32)
    out, _ = gru(minigrad.tensor(x))
    loss = mse_loss(head(out[-1]), y)
    train_step(loss, opt)  # zero_grad, backward, step; refuses NaN or inf
    if step % 50 == 0:
        print(f"step {step:4d}  MSE {loss.item():.4f}")

x, y = batch(2000)
with minigrad.no_grad():
    model_mse = float(((head(gru(minigrad.tensor(x))[0][-1]).data - y) ** 2).mean())
naive_mse = float(((x[-1] - y) ** 2).mean())  # predict the last value seen
print(
    f"result: MSE {model_mse:.4f} vs naive last-value {naive_mse:.4f} "
    f"(noise floor {NOISE**2:.4f}) on 2000 fresh windows"
)

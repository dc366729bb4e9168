"""One-to-many: from a single input vector, generate a whole sequence.

The input is a digit d (one-hot); it sets the initial hidden state, h_0 = tanh(W d),
and the GRU then unrolls on its own (zero inputs), emitting one token per step: the
last digits of d's multiples, d*1, d*2, ..., d*6 (mod 10). The pattern of every digit
must be stored in h_0 and played back. Chance is 1/10 per token.
Run: python examples/generate.py [--quick]
"""

import argparse

import numpy as np

import minigrad
from minigrad import nn, optim
from minigrad.functional import cross_entropy
from rnn.app.step import train_step
from rnn.layers import GRU

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="a tiny run for the test suite")
args = parser.parse_args()
minigrad.set_num_threads(1)  # small matrices: BLAS threads cost more than they gain
minigrad.manual_seed(0)
L, H, steps = 6, 32, (150 if args.quick else 400)

digits = np.arange(10)
targets = (digits[None, :] * np.arange(1, L + 1)[:, None]) % 10  # (L, 10): column d
onehot = np.eye(10, dtype=np.float32)

encode = nn.Linear(10, H)  # the single input vector -> h_0
gru = GRU(input_size=1, hidden_size=H)
head = nn.Linear(H, 10)
params = list(encode.parameters()) + list(gru.parameters()) + list(head.parameters())
opt = optim.Adam(params, lr=0.01)


def generate(d: np.ndarray) -> minigrad.Tensor:
    """Logits (L, N, 10) for the digits d (N,)."""
    h0 = encode(minigrad.tensor(onehot[d])).tanh()[None]  # (1, N, H)
    out, _ = gru(minigrad.zeros(L, len(d), 1), h0)  # no input after the first vector
    return head(out.reshape(L * len(d), H)).reshape(L, len(d), 10)


for step in range(1, steps + 1):
    logits = generate(digits)
    loss = cross_entropy(logits.reshape(L * 10, 10), targets.reshape(-1))
    train_step(loss, opt)  # zero_grad, backward, step; refuses NaN or inf
    if step % 50 == 0:
        print(f"step {step:4d}  loss {loss.item():.4f}")

with minigrad.no_grad():
    predicted = generate(digits).data.argmax(axis=-1)
for d in (3, 7):
    print(f"digit {d}: generates {predicted[:, d].tolist()}, target {targets[:, d].tolist()}")
accuracy = (predicted == targets).mean()
print(f"result: token accuracy {accuracy:.3f} over all 10 digits (chance 0.100)")

"""Many-to-one: read a sequence of bits, then say whether 1s are the majority.

The GRU reads 11 bits one per step; only its last hidden state goes to the classifier,
so it must keep a running count: h_T summarises the whole sequence. Chance is 50%.
Run: python examples/classify.py [--quick]
"""

import argparse

import numpy as np

import minigrad
from minigrad import optim
from minigrad.functional import cross_entropy
from rnn.app.models import SequenceClassifier
from rnn.app.step import train_step

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="a tiny run for the test suite")
args = parser.parse_args()
minigrad.set_num_threads(1)  # small matrices: BLAS threads cost more than they gain
minigrad.manual_seed(0)
rng = np.random.default_rng(0)
T, steps = 11, (150 if args.quick else 600)


def batch(n: int) -> tuple[np.ndarray, np.ndarray]:
    """x (T, n, 1) bits as floats; y (n,) 1 when more than half the bits are 1."""
    bits = rng.integers(0, 2, (T, n))
    return bits[:, :, None].astype(np.float32), (bits.sum(axis=0) > T // 2).astype(np.int64)


model = SequenceClassifier(input_size=1, hidden_size=16, num_classes=2, cell="gru")
opt = optim.Adam(model.parameters(), lr=0.01)
for step in range(1, steps + 1):
    x, y = batch(32)
    loss = cross_entropy(model(minigrad.tensor(x)), y)  # logits from h_T only
    train_step(loss, opt)  # zero_grad, backward, step; refuses NaN or inf
    if step % 50 == 0:
        print(f"step {step:4d}  loss {loss.item():.4f}")

with minigrad.no_grad():
    x, y = batch(1000)
    accuracy = (model(minigrad.tensor(x)).data.argmax(axis=1) == y).mean()
print(f"result: accuracy {accuracy:.3f} on 1000 fresh sequences (chance 0.500)")

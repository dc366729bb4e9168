"""The textbook next-character model: from "hell" predict "ello".

Vocabulary h, e, l, o. At every step the RNN reads one character (one-hot) and
predicts the next; many-to-many. The interesting step is the second "l": after "hel"
the answer is "l", after "hell" it is "o", so the hidden state must remember how many
l's it has seen. Run: python examples/hello.py [--quick]
"""

import argparse

import numpy as np

import minigrad
from minigrad import nn, optim
from minigrad.functional import cross_entropy
from rnn.app.step import train_step
from rnn.layers import RNN

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="a tiny run for the test suite")
args = parser.parse_args()
minigrad.set_num_threads(1)  # small matrices: BLAS threads cost more than they gain
minigrad.manual_seed(0)

vocab = ["h", "e", "l", "o"]
ids = {ch: i for i, ch in enumerate(vocab)}
source, target = "hell", "ello"
x = np.eye(len(vocab), dtype=np.float32)[[ids[c] for c in source]][:, None, :]  # (T, 1, 4)
y = np.array([ids[c] for c in target])  # (T,)

rnn = RNN(input_size=4, hidden_size=8)  # h_t = tanh(W_ih x_t + W_hh h_{t-1} + b)
head = nn.Linear(8, 4)  # logits_t = W_hy h_t + b_y
opt = optim.Adam(list(rnn.parameters()) + list(head.parameters()), lr=0.05)

# Train until every character is right (the whole task is a single sequence).
for step in range(1, (100 if args.quick else 500) + 1):
    out, _ = rnn(minigrad.tensor(x))
    logits = head(out.reshape(4, 8))
    loss = cross_entropy(logits, y)
    train_step(loss, opt)  # zero_grad, backward, step; refuses NaN or inf
    predicted = "".join(vocab[i] for i in logits.data.argmax(axis=1))
    if step % 10 == 0 or predicted == target:
        print(f"step {step:3d}  loss {loss.item():.4f}  predicts {predicted!r}")
    if predicted == target:
        break

correct = sum(p == t for p, t in zip(predicted, target, strict=True))
print(
    f"result: {source!r} -> {predicted!r} ({correct}/4 characters right, target {target!r}; "
    f"chance 1/4 per character) after {step} steps"
)

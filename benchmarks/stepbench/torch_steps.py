"""PyTorch steps: ``torch.nn.*Cell`` in a Python loop over time, and the fused layers."""

from __future__ import annotations

from .workloads import LAYER_PARAMS, Grads, Problem, Step


def _build(p: Problem, fused: bool):
    import torch

    w = p.workload
    nn = torch.nn
    if fused:
        mod = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[w.cell](w.I, w.H)
        names = {k: k + "_l0" for k in LAYER_PARAMS}
    else:
        mod = {"lstm": nn.LSTMCell, "gru": nn.GRUCell, "rnn": nn.RNNCell}[w.cell](w.I, w.H)
        names = {k: k for k in LAYER_PARAMS}
    mod = mod.float()
    with torch.no_grad():
        for k, tname in names.items():
            getattr(mod, tname).copy_(torch.from_numpy(p.params[k]))
    return mod, names


def _step(p: Problem, fused: bool) -> Step:
    import torch

    F = torch.nn.functional
    w = p.workload
    mod, names = _build(p, fused)
    weight_y = torch.tensor(p.weight_y, requires_grad=True)
    bias_y = torch.tensor(p.bias_y, requires_grad=True)
    x = torch.from_numpy(p.x.copy())
    targets = torch.from_numpy(p.targets.reshape(-1).copy())
    params = [*mod.parameters(), weight_y, bias_y]
    T, B, H = w.T, w.B, w.H
    is_lstm = w.cell == "lstm"

    def run_loop() -> torch.Tensor:
        h = torch.zeros(B, H)
        c = torch.zeros(B, H)
        hs = []
        for t in range(T):
            if is_lstm:
                h, c = mod(x[t], (h, c))
            else:
                h = mod(x[t], h)
            hs.append(h)
        return torch.stack(hs)

    def step() -> tuple[float, Grads]:
        for q in params:
            q.grad = None
        out = mod(x)[0] if fused else run_loop()
        loss = F.cross_entropy(F.linear(out.reshape(T * B, H), weight_y, bias_y), targets)
        loss.backward()
        g = {k: getattr(mod, n).grad.numpy() for k, n in names.items()}
        return loss.item(), {**g, "weight_y": weight_y.grad.numpy(), "bias_y": bias_y.grad.numpy()}

    return step


def make_torch_loop(p: Problem) -> Step:
    """torch.nn.LSTMCell/GRUCell/RNNCell in a Python loop over time."""
    return _step(p, fused=False)


def make_torch_fused(p: Problem) -> Step:
    """torch.nn.LSTM/GRU/RNN (one call over the sequence)."""
    return _step(p, fused=True)

"""The training jobs run a compiled step by default and an eager one with ``--eager``;
both train the same way."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rnn.app import cli, gradflow
from rnn.app.step import loss_function
from rnn.app.tasks import train_task
from rnn.app.train import TrainConfig, Trainer

TEXT = "".join(f"def f{i}(x):\n    return x * {i % 7} + {i % 3}  # line {i}\n" for i in range(60))


def test_loss_function_compiles_unless_eager() -> None:
    def f(x):
        return x

    assert loss_function(f, eager=True) is f
    compiled = loss_function(f)
    assert compiled is not f and hasattr(compiled, "programs")


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_train_compiled_matches_eager(cell: str) -> None:
    config = TrainConfig(
        cell=cell,
        hidden=8,
        seq_len=8,
        batch=3,
        steps=8,
        eval_every=0,
        sample_every=0,
        seed=1,
        dtype="float64",
    )
    runs = []
    for eager in (True, False):
        t = Trainer(config, TEXT, eager=eager)
        losses = [t.train_step() for _ in range(8)]
        runs.append((losses, t.model.state_dict()))
    (le, pe), (lc, pc) = runs
    np.testing.assert_allclose(lc, le, rtol=1e-12)
    for k in pe:
        np.testing.assert_allclose(pc[k], pe[k], rtol=1e-10, atol=1e-14)
    assert Trainer(config, TEXT).loss.captures == 0  # compiled by default, captured lazily


@pytest.mark.parametrize("task", ["adding", "copy"])
def test_task_compiled_matches_eager(task: str) -> None:
    results = [
        train_task(
            task,
            "gru",
            6,
            hidden=6,
            steps=12,
            batch=4,
            progress=False,
            log=lambda _: None,
            eager=eager,
        )
        for eager in (True, False)
    ]
    assert results[1].final_loss == pytest.approx(results[0].final_loss, rel=1e-5)
    assert [h[1] for h in results[1].history] == pytest.approx(
        [h[1] for h in results[0].history], rel=1e-5
    )


def test_gradflow_compiled_matches_eager() -> None:
    studies = [
        gradflow.measure(T=8, hidden=4, train_steps=4, models=["tanh", "lstm"], eager=eager)
        for eager in (True, False)
    ]
    for a, b in zip(studies[0].curves, studies[1].curves, strict=True):
        np.testing.assert_allclose(b.norms, a.norms, rtol=1e-10)


@pytest.mark.parametrize("eager", [[], ["--eager"]], ids=["compiled", "eager"])
def test_commands_take_eager(eager: list[str], tmp_path, capsys) -> None:
    data = tmp_path / "text.txt"
    data.write_text(TEXT * 3, encoding="utf-8")
    tiny = ["--hidden", "8", "-q"]
    train = [
        "train",
        "--data",
        str(data),
        "--seq-len",
        "8",
        "--batch",
        "3",
        "--steps",
        "3",
        "--eval-every",
        "0",
        "--out",
        str(tmp_path / "t"),
        *tiny,
    ]
    task = ["task", "copy", "--T", "4", "--steps", "3", "--log-every", "3", *tiny]
    flow = [
        "gradflow",
        "--T",
        "6",
        "--hidden",
        "4",
        "--train-steps",
        "2",
        "--models",
        "gru",
        "--json",
    ]
    demo = ["demo", "--steps", "2", "--data", str(data), "--out", str(tmp_path / "d"), *tiny]
    outputs = []
    for argv in (train, task, flow, demo):
        assert cli.main([*argv, *eager]) == 0
        outputs.append(capsys.readouterr().out)
    assert "final copy" in outputs[1]
    assert json.loads(outputs[2])["train_steps"] == 2
    assert "result: MATCH" in outputs[3]


@pytest.mark.parametrize("task", ["adding", "copy"])
def test_orthogonal_modrelu_task_compiled_matches_eager(task: str) -> None:
    """The expRNN set-up (W_hh = exp(A), Henaff init, modReLU): the compiled step binds
    A's parameter and trains exactly as the eager one; W_hh stays orthogonal."""
    results = [
        train_task(
            task,
            "rnn",
            6,
            hidden=6,
            steps=12,
            batch=4,
            progress=False,
            log=lambda _: None,
            eager=eager,
            init="henaff",
            orthogonal="matrix_exp",
            nonlinearity="modrelu",
            optimizer="rmsprop",
        )
        for eager in (True, False)
    ]
    assert results[1].final_loss == pytest.approx(results[0].final_loss, rel=1e-5)
    assert [h[1] for h in results[1].history] == pytest.approx(
        [h[1] for h in results[0].history], rel=1e-5
    )
    layer = results[1].model.rnn
    w = layer.weight_hh_l0.numpy().astype(np.float64)
    np.testing.assert_allclose(w @ w.T, np.eye(6), atol=1e-5)
    original = layer.parametrizations.weight_hh_l0.original.numpy()
    assert not np.allclose(np.tril(original, -1), np.tril(original, -1)[0, 0])  # it trained

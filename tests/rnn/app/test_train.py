"""The training loop: exact resume, detached carry, validation in bpc, stopping on NaN."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import minigrad
from rnn.app.checkpoint import load_checkpoint, model_from_checkpoint
from rnn.app.models import CharLM
from rnn.app.train import Diverged, TrainConfig, Trainer, bits

TEXT = "".join(f"def f{i}(x):\n    return x * {i % 7} + {i % 3}  # line {i}\n" for i in range(60))


def tiny(**changes: object) -> TrainConfig:
    base = dict(hidden=8, seq_len=8, batch=3, steps=6, eval_every=2, sample_every=0, seed=1)
    return TrainConfig(**{**base, **changes})


def params(trainer: Trainer) -> dict[str, np.ndarray]:
    return {k: v.copy() for k, v in trainer.model.state_dict().items()}


def assert_same_state(a: Trainer, b: Trainer) -> None:
    pa, pb = params(a), params(b)
    assert pa.keys() == pb.keys()
    for k in pa:
        assert pa[k].dtype == pb[k].dtype
        assert np.array_equal(pa[k], pb[k]), k  # bit for bit, not allclose
    sa, sb = a.optimizer.state_dict()["state"], b.optimizer.state_dict()["state"]
    for i in sa:
        for name, v in sa[i].items():
            assert np.array_equal(v, sb[i][name]), (i, name)
    assert a.sample_rng.bit_generator.state == b.sample_rng.bit_generator.state
    assert a.step == b.step


def test_bits_is_nats_over_ln2():
    assert bits(math.log(2.0)) == 1.0
    assert bits(1.0) == pytest.approx(1.4426950408889634)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("optim", ["adam", "adagrad", "sgd"])
def test_resume_is_bit_identical_to_an_uninterrupted_run(tmp_path, cell, optim):
    # A short text: 12 steps wrap around the chunks (a state reset) after the cut.
    text = TEXT[:200]
    config = tiny(cell=cell, optim=optim, steps=12, sample_every=3)
    whole = Trainer(config, text)
    assert 5 < whole.data.train.num_chunks < 12
    losses_whole = whole.fit(progress=False, log=lambda s: None)

    first = Trainer(tiny(cell=cell, optim=optim, steps=5, sample_every=3), text)
    losses_first = first.fit(tmp_path / "half.npz", progress=False, log=lambda s: None)
    minigrad.manual_seed(12345)  # whatever happens in between must not matter
    second = Trainer.resume(tmp_path / "half.npz", text, steps=12)
    samples: list[str] = []
    losses_second = second.fit(progress=False, log=samples.append)

    assert losses_first + losses_second == losses_whole  # exact float equality
    assert_same_state(whole, second)
    assert second.val_nats == whole.val_nats


def test_resume_reloads_the_text_from_the_config(tmp_path):
    data = tmp_path / "text.txt"
    data.write_text(TEXT, encoding="utf-8")
    t = Trainer(tiny(data=str(data), steps=2), TEXT)
    t.fit(tmp_path / "c.npz", progress=False, log=lambda s: None)
    resumed = Trainer.resume(tmp_path / "c.npz", steps=4)
    assert resumed.step == 2 and resumed.config.data == str(data)


def test_resume_refuses_another_text_or_model_size(tmp_path):
    t = Trainer(tiny(steps=2), TEXT)
    t.fit(tmp_path / "c.npz", progress=False, log=lambda s: None)
    with pytest.raises(ValueError, match="different text"):
        Trainer.resume(tmp_path / "c.npz", TEXT + "x", steps=4)
    with pytest.raises(ValueError, match="--hidden 16 differs"):
        Trainer.resume(tmp_path / "c.npz", TEXT, hidden=16)
    assert Trainer.resume(tmp_path / "c.npz", TEXT, hidden=8, lr=1e-3).optimizer.param_groups[0][
        "lr"
    ] == pytest.approx(1e-3)


def test_carried_state_is_detached_and_has_the_batch_shape():
    t = Trainer(tiny(cell="lstm"), TEXT)
    t.train_step()
    h, c = t.carry
    for s in (h, c):
        assert s.shape == (1, 3, 8)
        assert not s.requires_grad and s.is_leaf


def test_checkpoint_holds_everything_for_a_resume(tmp_path):
    t = Trainer(tiny(), TEXT)
    t.fit(tmp_path / "c.npz", progress=False, log=lambda s: None)
    state = load_checkpoint(tmp_path / "c.npz")
    assert state["step"] == 6 and state["vocabulary"] == t.vocab.chars
    assert state["rng"]["sample"] == t.sample_rng.bit_generator.state  # 128-bit ints survive
    assert len(state["carry"]) == 2  # LSTM: (h, c)
    model, vocab = model_from_checkpoint(state)
    assert isinstance(model, CharLM) and vocab == t.vocab
    assert state["val_nats"] == t.val_nats


def test_validation_starts_near_uniform_and_training_lowers_it():
    t = Trainer(tiny(steps=40, eval_every=0, lr=1e-2), TEXT)
    before = t.evaluate()
    assert abs(before - math.log(len(t.vocab))) < 0.5
    t.fit(progress=False, log=lambda s: None)
    assert t.val_nats < before - 0.5


def poison_training_forward(monkeypatch, at_call: int) -> None:
    """Make the model's ``at_call``-th training forward return NaN logits."""
    forward = CharLM.forward
    calls = {"n": 0}

    def poisoned(self, ids, state=None):
        logits, state = forward(self, ids, state)
        if self.training:
            calls["n"] += 1
            if calls["n"] == at_call:
                logits = logits * float("nan")
        return logits, state

    monkeypatch.setattr(CharLM, "forward", poisoned)


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    poison_training_forward(monkeypatch, at_call=5)
    # eager: the poison is Python run at each call, which a compiled step runs only once
    t = Trainer(tiny(steps=10, eval_every=2), TEXT, eager=True)
    path = tmp_path / "c.npz"
    with pytest.raises(Diverged, match=r"step 5 is nan.*last good checkpoint .*c\.npz \(step 4\)"):
        t.fit(path, progress=False, log=lambda s: None)
    saved = load_checkpoint(path)
    assert saved["step"] == 4
    assert all(np.isfinite(v).all() for v in saved["model"].values())
    assert t.step == 4  # the bad step was not taken


def test_nonfinite_gradient_stops_before_the_update(monkeypatch):
    t = Trainer(tiny(steps=3, eval_every=0), TEXT)
    before = params(t)
    t.model.head.weight.register_hook(lambda g: np.full_like(g, np.inf))
    with pytest.raises(Diverged, match="gradient at step 1 is NaN or infinite") as exc:
        t.fit(progress=False, log=lambda s: None)
    assert "no checkpoint had been written yet" in str(exc.value)
    assert all(np.array_equal(before[k], v) for k, v in params(t).items())


def test_too_short_text_is_a_clear_error():
    with pytest.raises(ValueError, match="too short for --batch 100"):
        Trainer(tiny(batch=100, seq_len=30), TEXT)
    with pytest.raises(ValueError, match="too short to split"):
        Trainer(tiny(), "ab")


def test_weights_made_non_finite_stop_training_before_anything_is_written(tmp_path):
    t = Trainer(tiny(steps=6, eval_every=1, lr=1e300, clip=0.0), TEXT)
    path = tmp_path / "c.npz"
    with pytest.raises(Diverged, match="weights became NaN or infinite after the update at step 1"):
        t.fit(path, progress=False, log=lambda s: None)
    assert not path.exists()  # nothing evaluated or saved after the bad update
    assert t.val_nats is None


def test_the_progress_bar_shows_each_steps_own_loss(capsys):
    trainer = Trainer(tiny(steps=3), TEXT)
    losses = trainer.fit(progress=True, log=lambda s: None)
    drawn = re.findall(r"(\d+)/3 \[[^]]*loss=([-\d.]+)\]", capsys.readouterr().err)
    assert drawn, "the bar was not drawn"
    for step, loss in drawn:
        assert loss == f"{losses[int(step) - 1]:.3f}", (step, loss, losses)

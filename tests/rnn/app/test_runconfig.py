"""What defines a training run (rnn/app/runconfig.py): the corpus it reads."""

from __future__ import annotations

from rnn.app import runconfig
from rnn.app.corpus import Document
from rnn.app.runconfig import TrainConfig


def test_default_corpus_is_read_at_run_time_and_held_out_by_file(monkeypatch):
    docs = [Document(f"m{i}.py", f"x = {i}\n" * 30) for i in range(12)]
    monkeypatch.setattr(runconfig, "stdlib_documents", lambda: docs)
    split = runconfig.load_corpus(TrainConfig(max_chars=1000, val_fraction=0.2))
    sides = [{d.name for d in getattr(split, side)} for side in ("train", "tune", "val")]
    assert all(sides) and not (sides[0] & sides[1] or sides[0] & sides[2] or sides[1] & sides[2])
    assert len(split.all_text) <= 1000

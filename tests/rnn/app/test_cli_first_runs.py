"""What a new user of `train`, `task` and `sample` runs into: output paths checked before
the work, messages that name the right option and the way on, interrupts that say what
was kept, and samples written as they are drawn."""

from __future__ import annotations

import errno
import itertools
import os

from clitools import one_line_error

import minigrad
from rnn.app import cli, tasks

TASK = ["task", "adding", "--cell", "rnn", "--T", "5", "--steps", "5", "--hidden", "4"]
TASK += ["--batch", "2", "-q"]


def refused_as_minigrad_save_does(errno_: int):
    """A ``minigrad.save`` that fails as it does on a folder it may not write in: the
    path is in the OSError's strerror, beside the reason."""

    def save(state, path):
        raise PermissionError(errno_, f"save: cannot write {str(path)!r}: {os.strerror(errno_)}")

    return save


# --- task --save ----------------------------------------------------------------------


def test_task_save_that_cannot_be_written_is_refused_before_training(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    err = one_line_error(capsys, cli.main([*TASK, "--save", str(blocker / "m.npz")]))
    assert err.startswith(f"rnn: error: --save {blocker / 'm.npz'}: cannot write there")
    one_line_error(capsys, cli.main([*TASK, "--save", str(tmp_path)]), "is a directory")
    assert "final" not in capsys.readouterr().out  # training never started


def test_task_save_failing_after_training_says_why_once(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(minigrad, "save", refused_as_minigrad_save_does(errno.EACCES))
    path = tmp_path / "m.npz"
    err = one_line_error(capsys, cli.main([*TASK, "--save", str(path)]))
    assert err == f"rnn: error: cannot save the model to {path}: Permission denied\n"


def interrupt_the_third_step(monkeypatch) -> None:
    step = tasks.train_step
    calls = itertools.count(1)

    def interrupted(*args, **kwargs):
        if next(calls) == 3:
            raise KeyboardInterrupt
        return step(*args, **kwargs)

    monkeypatch.setattr(tasks, "train_step", interrupted)


def test_task_ctrl_c_says_nothing_was_saved_and_where_it_would_go(tmp_path, monkeypatch, capsys):
    interrupt_the_third_step(monkeypatch)
    path = tmp_path / "m.npz"
    assert cli.main([*TASK, "--save", str(path)]) == 130
    err = capsys.readouterr().err
    assert err == (
        f"rnn: interrupted: nothing was saved: the model goes to {path} only once training ends\n"
    )
    assert not path.exists()
    interrupt_the_third_step(monkeypatch)
    assert cli.main(TASK) == 130
    assert (
        capsys.readouterr().err == "rnn: interrupted: the model was not saved (no --save given)\n"
    )

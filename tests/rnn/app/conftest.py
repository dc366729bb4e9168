"""Fixtures of the application tests."""

from __future__ import annotations

import pytest
from clitools import TEXT, train


@pytest.fixture
def trained(text_file, tmp_path, capsys):
    """A 3-step run's checkpoint, its output read away."""
    path = tmp_path / "model.npz"
    assert train(text_file, path, "--steps", "3") == 0
    capsys.readouterr()
    return path


@pytest.fixture
def text_file(tmp_path):
    """A small UTF-8 text to train on."""
    path = tmp_path / "text.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path

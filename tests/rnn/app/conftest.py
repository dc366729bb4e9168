"""Fixtures of the application tests."""

from __future__ import annotations

import pytest
from clitools import TEXT


@pytest.fixture
def text_file(tmp_path):
    """A small UTF-8 text to train on."""
    path = tmp_path / "text.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path

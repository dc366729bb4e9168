"""rnn/app/demo.py: what the demo says about the files it writes (the demo itself runs,
at tiny size, in test_cli.py)."""

from __future__ import annotations

import re

import pytest

from rnn.app import demo

CONSTANT = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")  # e.g. GRADFLOW_MODELS


@pytest.mark.parametrize("output", demo.OUTPUTS, ids=lambda f: f.__name__)
def test_each_file_is_described_in_plain_words(output):
    """The line after "wrote PATH:" is a sentence for the reader: present, and naming
    no constant of the code."""
    text = demo.describe(output)
    assert len(text.split()) >= 5
    assert not CONSTANT.search(text), text
    assert "\n" not in text


def test_the_gradient_flow_picture_says_which_models_it_shows():
    """The models are untrained and smaller than the demo's: the description says so,
    with the sizes the code uses."""
    text = demo.describe(demo.write_gradflow)
    numbers = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven"}
    assert f"{numbers[len(demo.GRADFLOW_MODELS)]} untrained models" in text
    assert f"hidden size {demo.GRADFLOW_HIDDEN}" in text
    assert f"{demo.GRADFLOW_T}-step sequence" in text
    for name in ("IRNN", "LSTM", "GRU"):
        assert name in text

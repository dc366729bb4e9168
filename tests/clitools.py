"""What the command-line tests share: a small text, tiny training options, and the
checks for a clean one-line failure."""

from __future__ import annotations

import pytest

from rnn.app import cli

TEXT = "".join(f"def f{i}(x):\n    return x * {i % 7} + {i % 3}  # line {i}\n" for i in range(60))
TINY = ["--hidden", "8", "--seq-len", "8", "--batch", "3", "--eval-every", "2", "--quiet"]


def one_line_error(capsys, status: int, *fragments: str, code: int = 1) -> str:
    """Assert a clean failure: exit ``code`` (1, or 2 for options that do not fit
    together), one `rnn: error:` line on stderr, no traceback."""
    captured = capsys.readouterr()
    assert status == code, captured
    assert captured.err.startswith("rnn: error: ") and captured.err.count("\n") == 1, captured.err
    assert "Traceback" not in captured.err + captured.out
    for fragment in fragments:
        assert fragment in captured.err
    return captured.err


def exits_2(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    return capsys.readouterr().err


def train(text_file, ckpt, *extra: str) -> int:
    return cli.main(["train", "--data", str(text_file), *TINY, "--checkpoint", str(ckpt), *extra])

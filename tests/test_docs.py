"""The docs stay true: every fenced ```python block in README.md and docs/*.md runs.

Blocks of one file run in order in one namespace (a tutorial builds up state), inside a
temporary working directory. A block that imports torch is skipped when torch is absent.
A block followed directly by a ```text block must print exactly that text.
Docstring examples (``>>>``) of the packages run as doctests.
"""

from __future__ import annotations

import contextlib
import doctest
import importlib
import io
import pkgutil
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)


def python_blocks(path: Path) -> list[tuple[int, str]]:
    """(line number, source) of each ```python block in a Markdown file."""
    text = path.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 2, m.group(1)) for m in FENCE.finditer(text)]


# What may follow a python block's closing fence: blank lines, then a ```text block.
SHOWN = re.compile(r"[ \t]*\n\s*^```text[ \t]*\n(.*?)^```", re.M | re.S)


def shown_outputs(path: Path) -> dict[str, str]:
    """Python blocks followed directly by a ```text block: source -> the output shown."""
    return shown_in(path.read_text(encoding="utf-8"))


def shown_in(text: str) -> dict[str, str]:
    """As :func:`shown_outputs`, for Markdown text. Each python block is found on its own
    first, so a text block is paired with the block just before it: one pattern spanning
    both would start at the first python block and run on to the text block."""
    out = {}
    for m in FENCE.finditer(text):
        after = SHOWN.match(text, m.end())
        if after:
            out[m.group(1)] = after.group(1)
    return out


def test_markdown_files_are_found():
    assert ROOT / "README.md" in DOCS


def test_a_text_block_is_paired_with_the_python_block_just_before_it():
    text = "```python\nprint(1)\n```\n\n```python\nprint(2)\n```\n\n```text\n2\n```\n"
    assert shown_in(text) == {"print(2)\n": "2\n"}


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_python_blocks_run(path: Path, tmp_path, monkeypatch):
    blocks = python_blocks(path)
    if not blocks:
        pytest.skip(f"{path.name} has no python blocks")
    if any(re.search(r"^\s*(import torch|from torch)", src, re.M) for _, src in blocks):
        pytest.importorskip("torch")
    monkeypatch.chdir(tmp_path)
    shown = shown_outputs(path)
    namespace: dict = {"__name__": "__docs__"}
    for line, src in blocks:
        printed = io.StringIO()
        try:
            with contextlib.redirect_stdout(printed):
                exec(compile(src, f"{path.name}:{line}", "exec"), namespace)
        except Exception as e:
            raise AssertionError(f"{path.name}, block at line {line} failed: {e!r}") from e
        if src in shown:
            assert printed.getvalue().strip() == shown[src].strip(), (
                f"{path.name}, block at line {line}: the output shown after it is not what "
                f"it prints:\n{printed.getvalue()}"
            )


def _modules(package: str) -> list[str]:
    pkg = importlib.import_module(package)
    found = pkgutil.walk_packages(pkg.__path__, prefix=package + ".")
    return [package] + [m.name for m in found if not m.name.rsplit(".", 1)[-1].startswith("_")]


@pytest.mark.parametrize("module", _modules("minigrad") + _modules("rnn"))
def test_docstring_examples(module: str):
    if module.endswith("__main__"):
        pytest.skip("entry point")
    mod = importlib.import_module(module)
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {module}"


def _make_api():
    import sys

    sys.path.insert(0, str(ROOT / "docs"))
    try:
        import make_api
    finally:
        sys.path.pop(0)
    return make_api


def test_api_reference_is_current_and_complete():
    """docs/api.md lists every name of every public module's __all__, and is up to date."""
    make_api = _make_api()
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for module_name, _ in make_api.MODULES:
        module = importlib.import_module(module_name)
        assert f"## `{module_name}`" in text, module_name
        for name in getattr(module, "__all__", []):
            assert f"`{name}" in text or f"`{module_name}.{name}`" in text, (module_name, name)
    listed = {name for name, _ in make_api.MODULES}
    for module_name in _modules("minigrad") + _modules("rnn"):
        parent = module_name.rsplit(".", 1)[0]
        if parent in listed and parent not in ("minigrad", "rnn"):
            continue  # a subpackage's internals: its __init__ is the public face
        names = getattr(importlib.import_module(module_name), "__all__", [])
        missing = [n for n in names if f"`{n}" not in text and module_name not in listed]
        assert not missing, f"{module_name}: {missing} not in docs/api.md"
    assert make_api.main(["--check"]) == 0, "docs/api.md is stale: run python docs/make_api.py"


def test_api_reference_gives_every_registered_op_a_derivative_rule():
    """Each op's line in docs/api.md states its rule (``vjp: ...``); an op whose
    docstring states none makes ``make_api --check`` fail, naming it."""
    from minigrad.ops.registry import REGISTRY, composite, unregister

    make_api = _make_api()
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert make_api.unruled(text) == []
    for name in ("matmul", "where", "getitem", "mean", "softmax", "take", "swapaxes"):
        line = next(x for x in text.splitlines() if x.startswith(f"- `{name}("))
        assert " op): " in line and "vjp:" in line, line

    def ruleless(a):
        """Doubles a (no rule stated)."""
        return a + a

    ruleless.__module__ = "minigrad.ops.shape"  # as if an op of that module
    composite()(ruleless)
    try:
        assert "ruleless" in REGISTRY
        assert "ruleless" in make_api.unruled(make_api.render())
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            assert make_api.main(["--check"]) == 1
        assert "ruleless" in err.getvalue() and "vjp" in err.getvalue()
    finally:
        unregister("ruleless")


BASH = re.compile(r"^```(?:bash|sh|console)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)


def cli_examples() -> list[tuple[str, str]]:
    """(file name, command line) of every ``python -m rnn ...`` in the docs' shell blocks."""
    found = []
    for path in DOCS:
        for block in BASH.findall(path.read_text(encoding="utf-8")):
            for line in block.splitlines():
                m = re.search(r"python -m rnn (.*)$", line)
                if m:
                    found.append((path.name, m.group(1).split("#")[0].strip()))
    return found


def test_the_docs_show_command_line_examples():
    assert len(cli_examples()) >= 10


@pytest.mark.parametrize(("where", "command"), cli_examples(), ids=lambda v: str(v)[:40])
def test_command_line_examples_parse(where, command):
    """Every command shown in the docs is accepted by the parser (it is not run here)."""
    import shlex

    from rnn.app.cli import build_parser

    args = build_parser().parse_args(shlex.split(command))
    assert args.command == shlex.split(command)[0], where


def _b() -> None: ...


def _a() -> None: ...


def test_api_reference_values_do_not_depend_on_addresses():
    """A set of functions is listed in one order whatever their addresses."""
    make_api = _make_api()
    assert (
        make_api.value({_a, _b}) == make_api.value({_b, _a}) == "`{<function _a>, <function _b>}`"
    )

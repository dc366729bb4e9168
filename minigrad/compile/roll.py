"""Roll the per-time-step lines of a generated program into loops.

A recurrent layer runs the same ops at every time step, so the straight-line program
repeats one block of lines T times, each copy naming that step's arrays. Held as
code, a long sequence costs several hundred bytes per line (names, bytecode, one
environment entry per array): at T = 1000 more than the hand-written step's whole
working memory. Consecutive blocks that are the same lines up to the arrays they
name become one loop over lists of those arrays::

    for _r0, _r1, _r2 in zip(L7, L8, L9):
        multiply(_r0, _r1, _r2)

It makes exactly the calls the straight lines made, in the same order, on the same
arrays: a name that is the same in every block stays as it is, a name that varies
must be a fixed array or constant of the program (never one assigned while it runs),
and anything else in the lines must match character for character.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["roll"]

#: fewer blocks than this stay straight lines (short programs read as they are)
MIN_RUN = 4

_NAME = re.compile(r"((?<![\w.])[A-Za-z_]\w*)")  # split on it: names at odd places


class _Block:
    """Consecutive lines of one time step (``t`` None outside a time step)."""

    __slots__ = ("lines", "names", "rollable", "t", "template")

    def __init__(self, t: int | None) -> None:
        self.t = t
        self.lines: list[str] = []
        self.rollable = t is not None
        self.template = ""
        self.names: list[str] = []


def _step_of(comment: str) -> int | None:
    """The time step named in an op comment (``# tanh layer=0/t=3``), if any."""
    parts = comment.split()
    if len(parts) <= 2:
        return None
    for scope in parts[-1].split("/"):
        if scope[:2] == "t=" and scope[2:].isdecimal():
            return int(scope[2:])
    return None


def _blocks(lines: list[str]) -> list[_Block]:
    blocks = [_Block(None)]
    for x in lines:
        if x.startswith("# "):
            t = _step_of(x)
            if t != blocks[-1].t or t is None:
                blocks.append(_Block(t))
        blocks[-1].lines.append(x)
    return [b for b in blocks if b.lines]


def _describe(b: _Block, fixed: Any) -> None:
    """The block's template (its code lines with each fixed name as a hole) and the
    names in the holes; a block with any other kind of line is not rolled. ``fixed``:
    the names of the program's fixed arrays and constants (never assigned as it runs)."""
    code = []
    for x in b.lines:
        if x.startswith("#"):
            continue
        if x.startswith((" ", "global", "if ", "for ")) or " = " in x:
            b.rollable = False
            return
        code.append(x)
    parts = _NAME.split("\n".join(code))  # names at the odd places
    names = parts[1::2]
    b.names = [n for n in names if n in fixed]
    parts[1::2] = ["\0" if n in fixed else n for n in names]
    b.template = "".join(parts)
    b.rollable = bool(code)


def roll(lines: list[str], env: dict[str, Any], assigned: set[str]) -> list[str]:
    """``lines`` with every run of at least ``MIN_RUN`` matching time-step blocks
    replaced by one loop; the lists it iterates are added to ``env``."""
    blocks = _blocks(lines)
    fixed = env.keys() - assigned
    for b in blocks:
        if b.rollable:
            _describe(b, fixed)
    out: list[str] = []
    i = 0
    while i < len(blocks):
        j = i + 1
        if blocks[i].rollable:
            while (
                j < len(blocks)
                and blocks[j].rollable
                and blocks[j].template == blocks[i].template
                and len(blocks[j].names) == len(blocks[i].names)
            ):
                j += 1
        if j - i >= MIN_RUN:
            out.extend(_loop(blocks[i:j], env))
        else:
            for b in blocks[i:j]:
                out.extend(b.lines)
        i = j
    return out


def _loop(run: list[_Block], env: dict[str, Any]) -> list[str]:
    """One loop for ``run``: a hole whose name varies reads the next item of a list."""
    first = run[0]
    fill, heads, lists = [], [], []
    seen: dict[tuple[str, ...], str] = {}
    columns = zip(*(b.names for b in run), strict=True)  # the names of each hole, step by step
    for name, column in zip(first.names, columns, strict=True):
        if column.count(name) == len(column):
            fill.append(name)
            continue
        var = seen.get(column)
        if var is None:
            var = seen[column] = f"_r{len(heads)}"
            lst = f"L{len(env)}"
            while lst in env:
                lst += "_"
            env[lst] = [env[n] for n in column]
            heads.append(var)
            lists.append(lst)
        fill.append(var)
    parts = first.template.split("\0")
    body = parts[0] + "".join(f + p for f, p in zip(fill, parts[1:], strict=True))
    ops = ", ".join(" ".join(x[2:].split()[:-1]) for x in first.lines if x.startswith("# "))
    head = f"# t={first.t}..{run[-1].t}, one iteration per step: {ops}"
    if not heads:
        return [head, f"for _ in range({len(run)}):", *(f"    {x}" for x in body.split("\n"))]
    target = ", ".join(heads) + ("," if len(heads) == 1 else "")
    return [
        head,
        f"for {target} in zip({', '.join(lists)}):",
        *(f"    {x}" for x in body.split("\n")),
    ]

"""Rerun the measured results of docs/results.md: the long training runs, their records,
the tables and the learning-curve plots.

    python docs/make_results.py --list                  # the results and their sections
    python docs/make_results.py copy_chrono_lstm        # rerun one (up to 30 CPU minutes)
    python docs/make_results.py                         # rerun all (hours)
    python docs/make_results.py --render                # tables and plots from the records
    python docs/make_results.py --quick --out /tmp/r    # every result, tiny, in seconds

A result is a command line of ``python -m rnn`` registered with :func:`result` in a
*section* of docs/results.md; the command must accept ``--history PATH`` and write there
a JSON record with at least ``command``, ``wall``, ``cpu`` and ``load`` (``rnn task``
writes :mod:`rnn.app.taskrecord`'s, ``rnn train`` and ``rnn demo``
:mod:`rnn.app.trainrecord`'s; the section's ``rows`` read the rest). Running a result
runs its command in a subprocess (so its wall and CPU time are its own) with
``--history docs/results/<name>.json``, showing its log lines as they come; the files
it writes besides (checkpoints, pictures) go to out/runs/<name>/. Rendering rewrites, in
docs/results.md, the table between ``<!-- results:<section> -->`` and
``<!-- /results:<section> -->`` from the records of that section (one row per record,
or any rows the section's ``rows`` makes of them), and draws each section's plot into
docs/images/results_<section>.svg. A new section needs one :func:`section` call and its
:func:`result` calls; nothing else changes.

``--quick`` shrinks every run to a few steps and writes records, tables and plots under
``--out`` instead of docs/, so the test suite runs the whole script in seconds
(tests/test_make_results.py); the figures it produces mean nothing.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent


@dataclass
class Section:
    """A table of docs/results.md (``name`` marks it) and its plot: ``columns`` of the
    table, ``rows(records)`` its rows (lists of cells) from the records of the section's
    results, in the order they were registered, each with its :class:`Result` under
    ``"_result"``; ``plot(records, path)`` draws the section's figure (None: no figure)."""

    name: str
    columns: tuple[str, ...]
    rows: Callable[[list[dict[str, Any]]], list[tuple[str, ...]]]
    plot: Callable[[dict[str, dict[str, Any]], Path], None] | None = None
    results: list[str] = field(default_factory=list)


@dataclass
class Result:
    """One measured run: ``argv`` of ``python -m rnn`` (without --history), ``quick`` the
    options that replace the long ones under --quick, ``reference`` the figure to compare
    with (the paper's or the baseline's; ``{baseline}`` and ``{goal}`` are filled in from
    the record, so a --quick run at another T shows its own), ``note`` what the row is,
    ``files`` the options that say where the run writes its files (``{dir}``: a folder of
    its own; not part of the recorded command, since they do not change the run)."""

    name: str
    section: str
    argv: list[str]
    quick: dict[str, str]
    reference: str
    note: str
    files: list[str] = field(default_factory=list)


SECTIONS: dict[str, Section] = {}
RESULTS: dict[str, Result] = {}


def section(name: str, columns: tuple[str, ...], rows: Callable, plot: Callable | None) -> None:
    """Register a section of docs/results.md (see :class:`Section`)."""
    SECTIONS[name] = Section(name, columns, rows, plot)


def each(row: Callable[[dict[str, Any]], tuple[str, ...]]) -> Callable:
    """A section's ``rows`` made of one ``row(record)`` per record."""
    return lambda records: [row(record) for record in records]


def result(
    name: str,
    section: str,
    command: str,
    reference: str,
    note: str,
    files: str = "",
    **quick: str,
) -> None:
    """Register the result ``name`` of ``section``: ``command`` is the ``python -m rnn``
    command line; ``files`` the options that place its files (``"--out {dir}"``);
    ``quick`` maps options (``steps="20"`` is ``--steps 20``; several values separated
    by spaces) to their values under --quick."""
    argv = shlex.split(command)
    if argv[:3] != ["python", "-m", "rnn"]:
        raise ValueError(f"{name}: a result's command starts with 'python -m rnn', got {command}")
    RESULTS[name] = Result(name, section, argv[3:], quick, reference, note, shlex.split(files))
    SECTIONS[section].results.append(name)


def _sibling(name: str) -> Any:
    """The module docs/<name>.py (this script is also loaded by path, so docs/ may not
    be on ``sys.path``)."""
    spec = importlib.util.spec_from_file_location(name, DOCS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def say(text: str) -> None:
    """A progress line, shown at once even when the output is piped."""
    print(text, flush=True)


# ------------------------------------------------------------------ running


def quick_argv(res: Result) -> list[str]:
    """``res.argv`` with each option of ``res.quick`` given its quick value(s) (an
    option given in ``res.argv`` has one value there)."""
    argv = list(res.argv)
    for key, value in res.quick.items():
        option = "--" + key.replace("_", "-")
        if option in argv:
            i = argv.index(option)
            argv[i + 1 : i + 2] = shlex.split(value)
        else:
            argv += [option, *shlex.split(value)]
    return argv


def run(res: Result, records: Path, quick: bool) -> dict[str, Any]:
    """Run ``res`` (its files in ``records/../runs/<name>``) and return its record: in
    a subprocess, echoing its lines, or under --quick in this process."""
    argv = quick_argv(res) if quick else res.argv
    records.mkdir(parents=True, exist_ok=True)
    path = records / f"{res.name}.json"
    folder = (records.parent if quick else ROOT / "out") / "runs" / res.name
    extra = [a.replace("{dir}", str(folder)) for a in res.files]
    extra += ["--history", str(path), "--quiet"]
    if quick:
        # In this process: starting another interpreter costs more than a quick run.
        from rnn.app.cli import main as rnn_main

        if rnn_main([*argv, *extra]) != 0:
            raise SystemExit(f"[{res.name}] failed")
        return _name_command(path, argv)
    cmd = [sys.executable, "-m", "rnn", *argv, *extra]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "1")}
    say(f"[{res.name}] python -m rnn {shlex.join(argv)}")
    start = time.perf_counter()
    with subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            say(f"[{res.name}] {line.rstrip()}")
    if proc.returncode != 0:
        raise SystemExit(f"[{res.name}] failed with status {proc.returncode}")
    say(f"[{res.name}] done in {time.perf_counter() - start:.0f} s")
    return _name_command(path, argv)


def _name_command(path: Path, argv: list[str]) -> dict[str, Any]:
    """The record at ``path``, rewritten to name the command without the bookkeeping
    options added here (where the files and the record go)."""
    record = json.loads(path.read_text(encoding="utf-8"))
    record["command"] = "python -m rnn " + shlex.join(argv)
    path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return record


# ------------------------------------------------------------------ rendering


def load_records(records: Path) -> dict[str, dict[str, Any]]:
    """name -> record, for every registered result that has a record in ``records``."""
    out = {}
    for name in RESULTS:
        path = records / f"{name}.json"
        if path.is_file():
            out[name] = json.loads(path.read_text(encoding="utf-8"))
    return out


def table(sec: Section, records: dict[str, dict[str, Any]]) -> str:
    """The Markdown table of ``sec`` from the records of its results."""
    lines = ["| " + " | ".join(sec.columns) + " |", "|" + "---|" * len(sec.columns)]
    mine = [{**records[n], "_result": RESULTS[n]} for n in sec.results if n in records]
    lines += ["| " + " | ".join(cells) + " |" for cells in sec.rows(mine)]
    return "\n".join(lines)


def render(page: Path, images: Path, records: dict[str, dict[str, Any]]) -> None:
    """Rewrite each section's table in ``page`` and draw its plot into ``images``."""
    text = page.read_text(encoding="utf-8")
    for sec in SECTIONS.values():
        begin, end = f"<!-- results:{sec.name} -->", f"<!-- /results:{sec.name} -->"
        if begin not in text or end not in text:
            raise SystemExit(f"{page}: the section markers {begin} ... {end} are missing")
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = f"{head}{begin}\n{table(sec, records)}\n{end}{tail}"
        mine = {
            n: {**r, "_result": RESULTS[n]}
            for n, r in records.items()
            if RESULTS[n].section == sec.name
        }
        if sec.plot is not None and mine:
            images.mkdir(parents=True, exist_ok=True)
            sec.plot(mine, images / f"results_{sec.name}.svg")
            say(f"drew {images / f'results_{sec.name}.svg'}")
    page.write_text(text, encoding="utf-8")
    say(f"wrote the tables of {page}")


# ------------------------------------------------------------------ the results
# One block per section of docs/results.md.

# The synthetic tasks' rows and learning curves (docs/results_tasks.py).
tasks = _sibling("results_tasks")

# The copy task at T = 100 (Arjovsky et al. 2016): recall 10 symbols after 100 steps.
section("copy", tasks.COLUMNS, each(tasks.row), lambda recs, path: tasks.curves(recs, path, 0.1))
COPY_REFERENCE = "baseline {baseline:.4f}; goal <= {goal:.4f}"  # from the record
COPY_QUICK = {"steps": "4", "log_every": "2", "hidden": "8", "T": "10"}
COPY = "python -m rnn task copy --T 100 --batch 32 --clip 1 --steps 40000 "
for name, options, note in [
    ("copy_lstm", "--cell lstm --hidden 64 --lr 1e-3 --cpu-limit 30", "LSTM, PyTorch's init, Adam"),
    (
        "copy_chrono_lstm",
        "--cell lstm --hidden 64 --init chrono --lr 1e-3 --cpu-limit 30",
        "LSTM, chrono init (T_max 120), Adam",
    ),
    (
        "copy_chrono_lstm_rmsprop",
        "--cell lstm --hidden 64 --init chrono --optim rmsprop --lr 1e-3 --cpu-limit 30",
        "LSTM, chrono init, RMSprop",
    ),
    (
        "copy_chrono_lstm_lr3e-3",
        "--cell lstm --hidden 64 --init chrono --lr 3e-3 --cpu-limit 30",
        "LSTM, chrono init, Adam at 3e-3",
    ),
    (
        "copy_chrono_orth_lstm",
        "--cell lstm --hidden 64 --init chrono orthogonal --lr 1e-3 --cpu-limit 30",
        "LSTM, chrono + orthogonal W_hh, Adam",
    ),
    (
        "copy_lstm_h128",
        "--cell lstm --hidden 128 --lr 1e-3 --cpu-limit 30",
        "LSTM of 128 units, PyTorch's init, Adam",
    ),
    (
        "copy_chrono_gru",
        "--cell gru --hidden 64 --init chrono --lr 1e-3 --cpu-limit 30",
        "GRU, chrono init (T_max 120), Adam",
    ),
]:
    result(name, "copy", COPY + options + " --log-every 100", COPY_REFERENCE, note, **COPY_QUICK)
# W_hh = exp(A), A skew-symmetric (expRNN), Henaff's rotations for A, modReLU units.
result(
    "copy_exprnn_modrelu",
    "copy",
    "python -m rnn task copy --cell rnn --nonlinearity modrelu --orthogonal matrix_exp "
    "--init henaff --T 100 --hidden 128 --batch 32 --optim rmsprop --lr 1e-3 --clip 1 "
    "--steps 6000 --cpu-limit 30 --log-every 100",
    COPY_REFERENCE,
    "RNN, W_hh = exp(A) orthogonal, Henaff init, modReLU, RMSprop",
    **COPY_QUICK,
)

# The adding problem as Le, Jaitly & Hinton (2015) ran the IRNN.
# The IRNN's loss explodes for a window now and then (to 1e11 once) before clipping
# brings it back: the plot is cut at 10 x baseline so the learning shows.
section(
    "adding",
    tasks.COLUMNS,
    each(tasks.row),
    lambda recs, path: tasks.curves(recs, path, None, top=10),
)
result(
    "adding_irnn_le2015",
    "adding",
    "python -m rnn task adding --cell irnn --T 100 --hidden 100 --batch 16 --optim sgd "
    "--lr 1e-2 --clip 10 --steps 1000000 --cpu-limit 30 --log-every 500",
    "paper: MSE well below 0.167 at T = 150 (their Fig. 2)",
    "IRNN, Le et al.'s settings, plain SGD",
    steps="4",
    log_every="2",
    T="10",
)


# Character language models on held-out modules: a table and plot of their own
# (docs/results_charlm.py), model rows and the baselines' rows from rnn train/demo records.
charlm = _sibling("results_charlm")
section("charlm", charlm.COLUMNS, charlm.rows, charlm.plot)
# Under --quick: a few steps of a tiny model on a few of this repository's modules.
CHARLM_QUICK_DATA = shlex.join(
    str(ROOT / "rnn" / f) for f in ("cells.py", "layers.py", "tbptt.py", "compare.py")
)
result(
    "charlm_demo",
    "charlm",
    "python -m rnn demo",
    "",
    "LSTM, the demo",
    files="--out {dir}",
    steps="2",
    hidden="8",
    data=CHARLM_QUICK_DATA,
)
result(
    "charlm_train",
    "charlm",
    "python -m rnn train --steps 4000 --eval-every 250 --sample-every 0",
    "",
    "LSTM, longer",
    files="--out {dir} --force",  # a rerun replaces the checkpoint of the run before
    steps="4",
    eval_every="2",
    hidden="8",
    batch="4",
    seq_len="16",
    data=CHARLM_QUICK_DATA,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("names", nargs="*", help="results to rerun (default: all)")
    parser.add_argument("--list", action="store_true", help="list the results and exit")
    parser.add_argument("--render", action="store_true", help="only rewrite tables and plots")
    parser.add_argument("--quick", action="store_true", help="tiny runs, for the test suite")
    parser.add_argument("--out", type=Path, help="write here instead of docs/ (with --quick)")
    args = parser.parse_args(argv)
    if args.list:
        for res in RESULTS.values():
            say(f"{res.name:28s} [{res.section}] python -m rnn {shlex.join(res.argv)}")
        return 0
    unknown = [n for n in args.names if n not in RESULTS]
    if unknown:
        parser.error(f"unknown results {', '.join(unknown)}; see --list")
    if args.quick and args.out is None:
        parser.error("--quick needs --out (quick figures must not replace the docs' own)")
    out = args.out or DOCS
    records = out / "results"
    if not args.render:
        for name in args.names or list(RESULTS):
            run(RESULTS[name], records, args.quick)
    page = out / "results.md"
    if args.out is not None and not page.exists():
        page.write_text((DOCS / "results.md").read_text(encoding="utf-8"), encoding="utf-8")
    render(page, out / "images", load_records(records))
    return 0


if __name__ == "__main__":
    sys.exit(main())

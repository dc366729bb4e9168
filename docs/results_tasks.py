"""The synthetic tasks' sections of docs/results.md (the copy and adding problems;
registered by docs/make_results.py): their table rows and learning-curve plots, from the
JSON records that ``rnn task --history`` writes (:mod:`rnn.app.taskrecord`).

A row is a run's held-out loss against the memoryless baseline, its settings and what it
cost. Each record reaches :func:`row` and :func:`curves` with its registered result
under ``"_result"`` (whose ``note`` names the run and ``reference`` gives the figure to
compare with).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

COLUMNS = ("task", "setting", "ours", "reference", "steps", "wall", "CPU", "load", "command")


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def row(record: dict[str, Any]) -> tuple[str, ...]:
    """task | setting | ours | reference | steps | wall | CPU | load | command."""
    res = record["_result"]
    final, base = record["final_loss"], record["baseline"]
    if final is None:  # stopped before its end: no held-out figure, the last window's
        last = record["curve"][-1][1] if record["curve"] else float("nan")
        ours = f"stopped; training loss {last:.4f} ({last / base:.3f} x baseline)"
    else:
        ours = f"{final:.4f} ({final / base:.3f} x baseline)"
    return (
        f"{record['task']} T={record['T']}",
        res.note,
        ours,
        res.reference.format(baseline=base, goal=base / 10),
        f"{record['steps']:,}",
        _minutes(record["wall"]),
        _minutes(record["cpu"]),
        "" if record["load"] is None else f"{record['load']:.1f}",
        f"`{record['command']}`",
    )


def curves(
    records: dict[str, dict[str, Any]], path: Path, target: float | None, top: float | None = None
) -> None:
    """Training loss per log window against steps and against CPU minutes (log scale),
    one line per record, with the memoryless baseline (and ``target`` x baseline); the
    y axis is cut at ``top`` x baseline when given (windows above it run off the top)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    base = next(iter(records.values()))["baseline"]
    for rec in records.values():
        curve = [row for row in rec["curve"] if row[1] is not None]
        steps = [row[0] for row in curve]
        loss = [row[1] for row in curve]
        cpu = [row[4] / 60 for row in curve]
        label = rec["_result"].note
        axes[0].plot(steps, loss, label=label, lw=1.2)
        axes[1].plot(cpu, loss, label=label, lw=1.2)
    for ax, xlabel in zip(axes, ("training step", "CPU minutes"), strict=True):
        ax.axhline(base, color="k", ls="--", lw=0.8, label="memoryless baseline")
        if target is not None:
            ax.axhline(target * base, color="g", ls=":", lw=0.8, label=f"{target:g} x baseline")
        ax.set_yscale("log")
        if top is not None:
            ax.set_ylim(top=top * base)
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("training loss (mean over the log window)")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    with plt.rc_context({"svg.hashsalt": path.stem}):  # fixed ids in the SVG, so
        fig.savefig(path, metadata={"Date": None})  # the same records draw the same file
    plt.close(fig)

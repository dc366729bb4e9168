"""The character language models' section of docs/results.md (registered by
docs/make_results.py): its table and its plot, from the JSON records that ``rnn train
--history`` and ``rnn demo --history`` write (:mod:`rnn.app.trainrecord`).

A model's row is its bits per character on the validation text (held out by file), its
settings and what it cost; the baselines' rows (the Kneser-Ney n-gram at its chosen
order, the compressors, uniform; :mod:`rnn.app.baselines`) come from the records'
``figures`` and ``after_training``, measured by the runs on the same validation text.
Each record reaches :func:`rows` and :func:`plot` with its registered result under
``"_result"`` (whose ``note`` names the row).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

COLUMNS = (
    "model or baseline", "setting", "bits per character", "after reading the training text",
    "wall", "CPU", "load", "command",
)  # fmt: skip
# Baselines as the records name them -> as the table does, with their setting.
COMPRESSORS = {
    "bz2 -9": ("bzip2 -9", "Python's `bz2`, level 9"),
    "lzma -9 (xz)": ("xz -9", "Python's `lzma`, preset 9"),
    "gzip -9": ("gzip -9", "Python's `gzip`, level 9"),
}
OPTIMIZERS = {"adam": "Adam", "adagrad": "Adagrad", "sgd": "SGD"}


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def _rate(x: float) -> str:
    """0.003 as 3e-3."""
    mantissa, exponent = f"{x:e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


def _model_row(record: dict[str, Any]) -> tuple[str, ...]:
    """A model's row: its validation bits per character, settings and cost."""
    cfg = record["settings"]
    layers = f" x {cfg['layers']} layers" if cfg["layers"] > 1 else ""
    setting = (
        f"{cfg['hidden']} hidden{layers}, {cfg['steps']:,} steps of {cfg['batch']} × "
        f"{cfg['seq_len']} characters, {OPTIMIZERS[cfg['optim']]} {_rate(cfg['lr'])}"
    )
    bpc = "" if record["val_bpc"] is None else f"**{record['val_bpc']:.3f}**"
    load = "" if record["load"] is None else f"{record['load']:.1f}"
    return (
        record["_result"].note, setting, bpc, "(learnt from it)", _duration(record["wall"]),
        _duration(record["cpu"]), load, f"`{record['command']}`",
    )  # fmt: skip


def rows(records: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    """One row per model, then the baselines' rows from the records that measured them
    (all on the same validation text, or the table would compare different texts)."""
    table = [_model_row(record) for record in records]
    measured = [r for r in records if "figures" in r]
    if measured:
        texts = {json.dumps(r["split"]["val"], sort_keys=True) for r in measured}
        if len(texts) > 1:
            names = ", ".join(r["_result"].name for r in measured)
            raise SystemExit(f"charlm: the records {names} have different validation texts")
        by = {1: "printed by the run above", 2: "printed by both"}.get(
            len(measured), "printed by all"
        )
        table += _baseline_rows(measured[0], by)
    return table


def _baseline_rows(record: dict[str, Any], by: str) -> list[tuple[str, ...]]:
    """The n-gram's, the compressors' and uniform's rows from ``record``'s figures;
    ``by`` fills the command column."""
    figures, blank = record["figures"], ("", "", "", by)
    ngram = next(name for name in figures if name.startswith("Kneser-Ney"))
    order = ngram.split()[1].split("-")[0]
    tried = sorted(int(k) for k in record["ngram_tuning"])
    setting = (
        f"fitted to the training text; order {order} the best of {tried[0]}-{tried[-1]} "
        "on the tuning text"
    )
    table = [
        (ngram.replace("-", "–", 1), setting, f"{figures[ngram]:.3f}", "(fitted to it)", *blank)
    ]
    for name, (shown, setting) in COMPRESSORS.items():
        after = f"{record['after_training'][name]:.3f}"
        table.append((shown, setting, f"{figures[name]:.3f}", after, *blank))
    uniform = figures["uniform"]
    table.append(("uniform", f"{round(2**uniform)} characters", f"{uniform:.3f}", "", *blank))
    return table


def plot(records: dict[str, dict[str, Any]], path: Path) -> None:
    """Validation bits per character against training step, one line per run, with the
    baselines (but uniform, far above) as horizontal lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    for rec in records.values():
        steps, bpc = [row[0] for row in rec["curve"]], [row[2] for row in rec["curve"]]
        ax.plot(steps, bpc, marker="o", ms=4, lw=1.2, label=rec["_result"].note)
    figures = next((r["figures"] for r in records.values() if "figures" in r), {})
    colours = iter(["C2", "C3", "C4", "C5", "C6"])  # C0, C1: the runs
    for name, bpc in figures.items():
        if name != "uniform":
            shown = COMPRESSORS.get(name, (name.replace("-", "–", 1), ""))[0]
            label = f"{shown} ({bpc:.3f})"
            ax.axhline(bpc, color=next(colours), ls="--", lw=1, label=label)
    ax.set_xlabel("training step")
    ax.set_ylabel("validation bits per character")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    with plt.rc_context({"svg.hashsalt": "results_charlm"}):  # fixed ids in the SVG
        fig.savefig(path, metadata={"Date": None})  # so the same records draw the same file
    plt.close(fig)

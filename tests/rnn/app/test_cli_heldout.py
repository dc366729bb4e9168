"""`rnn train` and `rnn demo` on held-out text: which files are held out, the model's
figure beside the baselines', and the layout that scores every held-out character."""

from __future__ import annotations

import re

import numpy as np
import pytest
from clitools import TEXT, TINY, one_line_error, train

from rnn.app import cli
from rnn.app.data import IGNORE, Scored
from rnn.app.train import TrainConfig, Trainer, load_corpus

BASELINE_ROWS = ("Kneser-Ney", "gzip -9", "bz2 -9", "lzma -9 (xz)", "uniform")


def table_figures(out: str) -> dict[str, float]:
    """Row name -> bits per character, from the table printed after training."""
    head = out.index("Bits per character on the validation text")
    rows = re.findall(r"^  (\S.*?)\s+(\d+\.\d{3})(?:  |$)", out[head:], flags=re.M)
    return {name: float(v) for name, v in rows}


@pytest.mark.parametrize("n, batch, seq_len", [(103, 4, 5), (50, 32, 8), (2, 3, 3), (64, 1, 64)])
def test_every_character_after_the_first_is_scored_exactly_once(n, batch, seq_len):
    ids = np.arange(n)
    pairs = []
    for x, y in Scored(ids, batch, seq_len):
        assert x.shape == y.shape and x.shape[0] <= seq_len
        keep = y != IGNORE
        pairs += list(zip(x[keep].tolist(), y[keep].tolist(), strict=True))
    assert sorted(pairs) == [(i, i + 1) for i in range(n - 1)]


def test_train_names_the_held_out_text_and_prints_the_table(text_file, tmp_path, capsys):
    assert train(text_file, tmp_path / "c.npz", "--steps", "2") == 0
    out = capsys.readouterr().out
    assert "One file: its last 10% is held out for validation" in out
    assert re.search(r"validation .*: 1 document, [\d,]+ characters: .*text\.txt lines", out)
    figures = table_figures(out)
    model = next(name for name in figures if name.startswith("LSTM 8x1, step 2"))
    reported = float(re.search(r"= (\S+) bpc", out).group(1))
    assert figures[model] == pytest.approx(reported, abs=6e-4)
    for row in BASELINE_ROWS:
        assert any(name.startswith(row) for name in figures), row


def test_train_on_several_files_holds_out_whole_files(tmp_path, capsys):
    files = []
    for i in range(8):
        path = tmp_path / f"part{i}.txt"
        path.write_text(TEXT.replace("line", f"l{i}"), encoding="utf-8")
        files.append(str(path))
    argv = ["train", "--data", *files, *TINY, "--steps", "1", "--out", str(tmp_path / "o")]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "Held out by file" in out
    sides = {}
    for side in ("validation", "tuning", "training"):
        line = next(x for x in out.splitlines() if x.startswith(f"  {side}"))
        sides[side] = set(re.findall(r"part\d\.txt", line))
    assert sides["validation"] and sides["tuning"] and sides["training"]
    assert not sides["validation"] & sides["training"]
    assert not sides["tuning"] & (sides["training"] | sides["validation"])
    assert re.search(r"\(\d+ held-out documents?, [\d,]+ characters", out)


def test_no_baselines_leaves_the_table_out(text_file, tmp_path, capsys):
    assert train(text_file, tmp_path / "c.npz", "--steps", "1", "--no-baselines") == 0
    out = capsys.readouterr().out
    assert "validation" in out and "Bits per character" not in out


def test_a_file_given_twice_is_refused(text_file, tmp_path, capsys):
    argv = ["train", "--data", str(text_file), str(text_file), *TINY, "--out", str(tmp_path)]
    one_line_error(capsys, cli.main(argv), "the same file is given twice in --data", code=2)
    # the demo too: options that do not fit together, refused before anything is written
    argv = ["demo", "--data", str(text_file), str(text_file), "--out", str(tmp_path / "d"), "-q"]
    one_line_error(capsys, cli.main(argv), "the same file is given twice in --data", code=2)
    assert not (tmp_path / "d").exists()


def test_the_validation_text_is_the_held_out_side_only(text_file):
    config = TrainConfig(data=str(text_file), hidden=8, seq_len=8, batch=3)
    split = load_corpus(config)
    trainer = Trainer(config, split)
    val = trainer.vocab.decode(trainer.data.val.ids)
    assert val == split.text("val") and val not in split.text("train")
    assert trainer.data.val.targets == len(val) - 1


def test_demo_prints_the_table(tmp_path, capsys):
    data = tmp_path / "text.txt"
    data.write_text(TEXT * 3, encoding="utf-8")
    argv = ["demo", "--steps", "1", "--hidden", "8", "--data", str(data), "--out", str(tmp_path)]
    assert cli.main([*argv, "-q"]) == 0
    out = capsys.readouterr().out
    figures = table_figures(out)
    assert any(name.startswith("LSTM 8x1, step 1") for name in figures)
    after = float(re.search(r"validation (\S+) bpc", out).group(1))
    assert min(v for k, v in figures.items() if k.startswith("LSTM")) == pytest.approx(
        after, abs=6e-4
    )
    assert sum(name.startswith(BASELINE_ROWS) for name in figures) == len(BASELINE_ROWS)


def test_history_records_the_curve_the_split_and_the_figures(text_file, tmp_path, capsys):
    import json

    history = tmp_path / "run.json"
    ckpt = tmp_path / "c.npz"
    assert train(text_file, ckpt, "--steps", "4", "--history", str(history)) == 0
    out = capsys.readouterr().out
    record = json.loads(history.read_text(encoding="utf-8"))
    assert record["command"].startswith("python -m rnn train --data ")
    assert "--history" not in record["command"] and "--quiet" not in record["command"]
    assert [row[0] for row in record["curve"]] == [2, 4]  # TINY evaluates every 2 steps
    assert record["val_bpc"] == record["curve"][-1][2]
    assert record["wall"] >= record["curve"][0][3] > 0 and record["cpu"] > 0
    assert record["split"]["val"]["characters"] > 0
    assert set(record["figures"]) == set(table_figures(out)) - {
        name for name in table_figures(out) if name.startswith("LSTM")
    }
    assert set(record["after_training"]) == {"gzip -9", "bz2 -9", "lzma -9 (xz)"}


def test_demo_history_records_what_it_prints(tmp_path, capsys):
    import json

    data = tmp_path / "text.txt"
    data.write_text(TEXT * 3, encoding="utf-8")
    history = tmp_path / "demo.json"
    argv = ["demo", "--steps", "2", "--hidden", "8", "--data", str(data), "--out", str(tmp_path)]
    assert cli.main([*argv, "--history", str(history), "-q"]) == 0
    out = capsys.readouterr().out
    record = json.loads(history.read_text(encoding="utf-8"))
    assert record["command"] == "python -m rnn " + " ".join(argv)
    assert record["settings"]["steps"] == record["steps"] == 2
    assert [row[0] for row in record["curve"]] == [2]  # the demo validates at the end only
    printed = float(re.search(r"After 2 steps .*: validation (\S+) bpc", out).group(1))
    assert record["val_bpc"] == record["curve"][-1][2] == pytest.approx(printed, abs=6e-4)
    figures = table_figures(out)
    for name, bpc in record["figures"].items():
        assert figures[name] == pytest.approx(bpc, abs=6e-4), name
    assert set(figures) - set(record["figures"]) == {"LSTM 8x1, step 2"}
    for side in ("validation", "tuning", "training"):
        line = next(x for x in out.splitlines() if x.startswith(f"  {side}"))
        key = {"validation": "val", "tuning": "tune", "training": "train"}[side]
        assert f"{record['split'][key]['characters']:,} characters" in line
    assert record["wall"] > 0 and record["cpu"] > 0 and record["load"] >= 0
    assert record["baselines_cpu"] > 0


def test_demo_history_in_a_missing_folder_is_refused_before_training(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    argv = ["demo", "--steps", "1", "--out", str(tmp_path), "--history", str(blocker / "h.json")]
    status = cli.main(argv)
    one_line_error(capsys, status, "--history", "is a file")
    assert not (tmp_path / "checkpoint.npz").exists()

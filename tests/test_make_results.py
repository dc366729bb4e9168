"""docs/make_results.py keeps working, and docs/results.md shows what its records say.

The long runs are not part of the suite: ``--quick`` runs every registered result for a
few steps into a temporary folder, which exercises the commands, the records, the
tables and the plots; the committed tables are then checked against the committed
records.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from scripts import load_script

DOCS = Path(__file__).resolve().parent.parent / "docs"


def load_make_results():
    return load_script("docs/make_results.py", "make_results")


SCRIPT = load_make_results()


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """Every registered result run by ``--quick`` into one folder (shared: it takes a
    few seconds of CPU time)."""
    pytest.importorskip("matplotlib")
    out = tmp_path_factory.mktemp("quick")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OPENBLAS_NUM_THREADS", "1")
        assert SCRIPT.main(["--quick", "--out", str(out)]) == 0
    return out


def quick_record(out: Path, name: str) -> dict:
    return json.loads((out / "results" / f"{name}.json").read_text(encoding="utf-8"))


def test_quick_mode_runs_every_result(quick):
    page = (quick / "results.md").read_text(encoding="utf-8")
    for name, res in SCRIPT.RESULTS.items():
        record = quick_record(quick, name)
        assert record["cpu"] >= 0 and record["steps"] == int(res.quick["steps"])
        assert f"`{record['command']}`" in page
        # The record names the command without where its files and record went.
        assert "--history" not in record["command"] and "--out" not in record["command"]
        if res.section in ("copy", "adding"):
            assert record["final_loss"] is not None
            if res.section == "copy":  # the reference column shows this run's own baseline
                base = record["baseline"]
                assert f"baseline {base:.4f}; goal <= {base / 10:.4f}" in page
                assert abs(base - 10 * np.log(8) / (record["T"] + 20)) < 1e-12
            assert len(record["curve"]) == record["steps"] // int(res.quick["log_every"])
        else:
            every = int(res.quick.get("eval_every", res.quick["steps"]))
            assert [row[0] for row in record["curve"]] == list(
                range(every, record["steps"] + 1, every)
            )
            assert record["val_bpc"] == record["curve"][-1][2]
    for sec in SCRIPT.SECTIONS.values():
        if sec.plot is not None:
            svg = (quick / "images" / f"results_{sec.name}.svg").read_text()
            assert svg.lstrip().startswith("<?xml") and "<svg" in svg


def charlm_table(page: str) -> list[list[str]]:
    """The cells of the charlm table's rows (header and rule left out)."""
    table = page.split("<!-- results:charlm -->")[1].split("<!-- /results:charlm -->")[0]
    return [
        [c.strip() for c in line.strip().strip("|").split("|")] for line in table.split("\n")[3:-1]
    ]


def test_quick_charlm_table_has_the_models_and_the_baselines_of_the_records(quick):
    rows = charlm_table((quick / "results.md").read_text(encoding="utf-8"))
    demo, train = (quick_record(quick, n) for n in ("charlm_demo", "charlm_train"))
    models = {row[0]: row for row in rows[:2]}
    for name, record in (("charlm_demo", demo), ("charlm_train", train)):
        row = models[SCRIPT.RESULTS[name].note]
        assert row[2] == f"**{record['val_bpc']:.3f}**"
        assert row[-1] == f"`{record['command']}`"
        assert f"{record['settings']['steps']:,} steps" in row[1]
    assert demo["figures"] == train["figures"]  # the same validation text
    baselines = {row[0]: row for row in rows[2:]}
    ngram = next(name for name in train["figures"] if name.startswith("Kneser-Ney"))
    assert list(baselines) == [
        ngram.replace("-", "–", 1),
        "bzip2 -9",
        "xz -9",
        "gzip -9",
        "uniform",
    ]
    for shown, name in [("bzip2 -9", "bz2 -9"), ("xz -9", "lzma -9 (xz)"), ("gzip -9", "gzip -9")]:
        assert baselines[shown][2] == f"{train['figures'][name]:.3f}"
        assert baselines[shown][3] == f"{train['after_training'][name]:.3f}"
    assert baselines["uniform"][2] == f"{train['figures']['uniform']:.3f}"
    assert all(row[-1] == "printed by both" for row in baselines.values())


def test_charlm_rows_refuse_records_of_different_validation_texts(quick):
    records = [
        {**quick_record(quick, name), "_result": SCRIPT.RESULTS[name]}
        for name in ("charlm_demo", "charlm_train")
    ]
    assert len(SCRIPT.charlm.rows(records)) == 2 + 5
    records[1]["split"]["val"]["characters"] += 1
    with pytest.raises(SystemExit, match="different validation texts"):
        SCRIPT.charlm.rows(records)


def test_quick_mode_needs_an_out_folder(capsys):
    with pytest.raises(SystemExit):
        SCRIPT.main(["--quick"])
    assert "--out" in capsys.readouterr().err


def test_every_section_has_its_markers_in_the_page():
    page = (DOCS / "results.md").read_text(encoding="utf-8")
    for name in SCRIPT.SECTIONS:
        assert page.count(f"<!-- results:{name} -->") == 1
        assert page.count(f"<!-- /results:{name} -->") == 1


def test_committed_tables_match_committed_records(tmp_path):
    pytest.importorskip("matplotlib")
    records = DOCS / "results"
    committed = sorted(p.stem for p in records.glob("*.json")) if records.is_dir() else []
    assert set(committed) <= set(SCRIPT.RESULTS), "a record without a registered result"
    page = tmp_path / "results.md"
    shutil.copy(DOCS / "results.md", page)
    SCRIPT.render(page, tmp_path / "images", SCRIPT.load_records(records))
    assert page.read_text(encoding="utf-8") == (DOCS / "results.md").read_text(encoding="utf-8")


def test_committed_records_ran_the_registered_commands():
    """A record's command line means the same options as its registered result's (so a
    rerun reproduces it); the order of the options may differ."""
    import shlex

    from rnn.app.cli import build_parser

    def options(command: str) -> dict:
        args = vars(build_parser().parse_args(shlex.split(command)[3:]))
        return {k: v for k, v in args.items() if not k.startswith("_")}

    records = DOCS / "results"
    for path in sorted(records.glob("*.json")) if records.is_dir() else []:
        registered = SCRIPT.RESULTS[path.stem]
        command = json.loads(path.read_text(encoding="utf-8"))["command"]
        assert options(command) == options("python -m rnn " + shlex.join(registered.argv))

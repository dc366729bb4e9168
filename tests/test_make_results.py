"""docs/make_results.py keeps working, and docs/results.md shows what its records say.

The long runs are not part of the suite: ``--quick`` runs every registered result for a
few steps into a temporary folder, which exercises the commands, the records, the
tables and the plots; the committed tables are then checked against the committed
records.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"


def load_script():
    spec = importlib.util.spec_from_file_location("make_results", DOCS / "make_results.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


SCRIPT = load_script()


def test_quick_mode_runs_every_result(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    assert SCRIPT.main(["--quick", "--out", str(tmp_path)]) == 0
    page = (tmp_path / "results.md").read_text(encoding="utf-8")
    for name, res in SCRIPT.RESULTS.items():
        record = json.loads((tmp_path / "results" / f"{name}.json").read_text())
        assert record["final_loss"] is not None and record["cpu"] >= 0
        assert record["steps"] == int(res.quick["steps"])
        assert len(record["curve"]) == record["steps"] // int(res.quick["log_every"])
        assert f"`{record['command']}`" in page
    for sec in SCRIPT.SECTIONS.values():
        if sec.plot is not None:
            svg = (tmp_path / "images" / f"results_{sec.name}.svg").read_text()
            assert svg.lstrip().startswith("<?xml") and "<svg" in svg


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

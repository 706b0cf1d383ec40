"""Output folders (nasim.rundir): what --overwrite removes and keeps, and the folder lock
between processes (the primitive, and a sweep refused while another process holds it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from conftest import CELLS, ROOT

from nasim.cli import main
from nasim.rundir import OutputFolderError, lock, prepare

ENV = {**os.environ, "PYBAMM_DISABLE_TELEMETRY": "true"}


def _older_run(folder):
    """The files an older nasim left without run.json, and files that are not nasim's."""
    folder.mkdir()
    for name in ("timeseries.csv", "summary.json", "voltage_capacity.png", "report.md",
                 "sweep.sqlite", ".summary.tmp123.csv"):
        (folder / name).write_text("old")
    (folder / "protocol_a").mkdir()  # a replay of several protocols
    (folder / "protocol_a" / "steps.csv").write_text("old")
    (folder / "fitted").mkdir()
    (folder / "fitted" / "heo.yaml").write_text("old")
    (folder / "notes.txt").write_text("mine")
    (folder / "data").mkdir()  # a folder with something nasim never writes: kept whole
    (folder / "data" / "cell.csv").write_text("mine")
    (folder / "data" / "raw.mpr").write_text("mine")
    (folder / "link.csv").symlink_to(folder / "data" / "cell.csv")


def test_overwrite_removes_only_what_nasim_writes(tmp_path):
    out = tmp_path / "out"
    _older_run(out)
    with pytest.raises(OutputFolderError, match="holds files of something else"):
        prepare(out, ["nasim", "x"])
    run = prepare(out, ["nasim", "x"], overwrite=True)
    assert run.kept == ["data/", "link.csv", "notes.txt"]
    assert sorted(p.name for p in out.iterdir()) == ["data", "link.csv", "notes.txt",
                                                     "run.json"]
    assert (out / "data" / "cell.csv").read_text() == "mine"
    (out / "results.csv").write_text("new")
    run.finish("complete")
    assert json.loads((out / "run.json").read_text())["files"] == ["results.csv"]
    # the next --overwrite removes this run's files; what it kept is still not nasim's
    assert prepare(out, ["nasim", "x"], overwrite=True).kept == ["data/", "link.csv",
                                                                  "notes.txt"]
    assert not (out / "results.csv").exists()


def test_overwrite_on_the_command_line_lists_what_it_kept(tmp_path, capsys):
    out = tmp_path / "out"
    _older_run(out)
    code = main(["simulate", str(CELLS / "heo_half.yaml"), "--model", "SPM", "--c-rate", "1",
                 "--out", str(out), "--overwrite"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "note: --overwrite kept 3 entries" in err and "notes.txt" in err, err
    record = json.loads((out / "run.json").read_text())
    assert record["status"] == "complete"
    assert record["files"] == ["solver.log", "summary.json", "timeseries.csv",
                               "voltage_capacity.png"]
    assert not (out / "report.md").exists() and not (out / "fitted").exists()
    assert (out / "timeseries.csv").read_text() != "old"


_HOLD = textwrap.dedent("""
    import sys
    from nasim.rundir import lock
    with lock(sys.argv[1]):
        print("held", flush=True)
        sys.stdin.read()
""")


@pytest.fixture
def held(tmp_path):
    """``tmp_path / 'out'`` locked by another process until the test ends."""
    out = tmp_path / "out"
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(out)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=ENV, cwd=ROOT)
    try:
        assert holder.stdout.readline().strip() == "held"
        yield out, holder.pid
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def test_lock_refuses_a_second_process_and_is_free_after(held):
    out, pid = held
    with pytest.raises(OutputFolderError, match=f"another run is writing there \\(pid {pid}\\)"):
        with lock(out):
            pass


def test_lock_is_released_when_the_holder_ends(tmp_path):
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-c", _HOLD, str(out)], input="", text=True,
                          capture_output=True, env=ENV, cwd=ROOT, timeout=60)
    assert done.stdout.strip() == "held", done.stderr
    with lock(out), lock(out):  # free again; nested in one process: free
        assert (out / ".nasim.lock").read_text() == f"pid {os.getpid()}"


def test_a_second_sweep_on_a_locked_out_is_refused(held, tmp_path, capsys):
    out, pid = held
    study = tmp_path / "s.yaml"
    study.write_text(f"kind: study\nname: s\ncell: {CELLS / 'heo_half.yaml'}\nmodel: SPM\n"
                     "axes:\n  - {parameter: current, unit: C, values: [1]}\n")
    code = main(["sweep", str(study), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and f"another run is writing there (pid {pid})" in err
    assert sorted(p.name for p in out.iterdir()) == [".nasim.lock"]  # nothing computed
